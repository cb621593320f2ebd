//! APNs to a list of device tokens, one token at a time: the headers, the body and the signer
//! (provider token or client certificate) are checked and built once into a template, and each
//! device token only sets the URL. `prepare` builds a whole list with it; the engine streams a
//! longer list through it (`Provider::fan_out`), so 10,000 tokens are never all built at once.
//! A broadcast channel send is one request and never goes through here.

use serde_json::Value;

use super::payload::{device_token, short};
use crate::draft::Draft;
use crate::http::PreparedRequest;
use crate::provider::seam::{FanOut, FanOutSource, Identity};

/// The audience key of the device tokens.
pub const FIELD: &str = "device_tokens";

pub struct ApnsFanOut {
    root: String,
    /// Every header and the body; the URL is set per device.
    template: PreparedRequest,
    warnings: Vec<String>,
}

impl ApnsFanOut {
    pub fn new(root: String, template: PreparedRequest, warnings: Vec<String>) -> Self {
        Self {
            root,
            template,
            warnings,
        }
    }

    /// The request to one checked device token; `named` shows the token in result rows (a list
    /// of one needs no name).
    pub fn for_device(&self, device: &str, named: bool) -> PreparedRequest {
        let mut r = self.template.clone();
        r.url = format!("{}/3/device/{device}", self.root);
        if named {
            r.recipient = Some(short(device));
        }
        r
    }

    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    fn device(item: &Value) -> Result<String, String> {
        let raw = item
            .as_str()
            .ok_or("must be a string (a hex device token)")?;
        device_token(raw).map_err(str::to_string)
    }
}

impl FanOut for ApnsFanOut {
    fn identify(&self, item: &Value) -> Result<Identity, String> {
        let device = Self::device(item)?;
        // The same method, URL and recipient as the request: a resume of a list sent whole
        // (by an older Pushdeck) finds the same fingerprints.
        Ok(Identity {
            method: self.template.method.clone(),
            url: format!("{}/3/device/{device}", self.root),
            recipient: Some(short(&device)),
        })
    }

    fn prepare_one(&self, item: &Value) -> Result<PreparedRequest, String> {
        Ok(self.for_device(&Self::device(item)?, true))
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

/// A list of two or more device tokens streams; one token, a channel send, or a list with blank
/// lines (which the whole-list path drops, keeping positions as the user sees them) does not.
pub fn source(draft: &Draft) -> Option<FanOutSource> {
    let channel = draft
        .audience
        .get("channel_id")
        .and_then(Value::as_str)
        .is_some_and(|c| !c.trim().is_empty());
    match draft.audience.get(FIELD) {
        Some(Value::Array(tokens))
            if !channel
                && tokens.len() > 1
                && tokens
                    .iter()
                    .all(|t| t.as_str().is_some_and(|s| !s.trim().is_empty())) =>
        {
            Some(FanOutSource::Inline { field: FIELD })
        }
        _ => None,
    }
}
