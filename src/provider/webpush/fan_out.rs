//! Web Push prepared one subscription at a time: everything every request shares (the VAPID key,
//! subject, headers, payload) is checked and built once, then each subscription costs one RFC 8291
//! encryption and, per push-service origin, one VAPID JWT (cached). The engine streams a fan-out
//! through it; `prepare` builds a whole (small, inline) audience with it too.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;
use time::OffsetDateTime;

use super::subscription::Subscription;
use super::vapid::VapidKey;
use super::{INFO, ece, headers, key, override_origin, payload_bytes, replace_origin_of};
use crate::draft::{DraftError, Fields};
use crate::http::{Body, PreparedRequest};
use crate::provider::describe::validate_keys;
use crate::provider::seam::{FanOut, Identity, PrepareContext};

pub struct WebPushFanOut {
    key: VapidKey,
    subject: String,
    public: String,
    headers: Vec<(&'static str, String)>,
    plaintext: Vec<u8>,
    shown: Option<String>,
    override_origin: Option<String>,
    now: OffsetDateTime,
    /// One JWT per push-service origin (keyed by the endpoint up to its port): thousands of FCM
    /// subscriptions share one signature.
    jwts: Mutex<HashMap<String, Signed>>,
    warnings: Vec<String>,
}

#[derive(Clone)]
struct Signed {
    jwt: String,
    authorization: String,
}

impl WebPushFanOut {
    /// Checks and builds what every request of the draft shares; the audience is not read.
    pub fn new(ctx: &PrepareContext<'_>) -> Result<Self, DraftError> {
        let draft = ctx.draft;
        validate_keys(&INFO, draft)?;
        let key = key(ctx.profile, ctx.secrets)?;
        let subject = super::subject(ctx.profile)?.to_string();
        let public = key.public_key_b64();
        let options = Fields::new("options", &draft.options);
        let mut warnings = Vec::new();
        let headers = headers(&options)?;
        let plaintext = match options.value("raw") {
            Some(Value::String(text)) => text.clone().into_bytes(),
            Some(raw) => serde_json::to_vec(raw).unwrap_or_default(),
            None => payload_bytes(draft, &mut warnings),
        };
        if plaintext.len() > ece::MAX_PLAINTEXT {
            return Err(DraftError::new(
                "message",
                format!(
                    "the payload is {} bytes; Web Push carries at most {} bytes (4096 with encryption). Shorten the body or data, or drop the image/actions",
                    plaintext.len(),
                    ece::MAX_PLAINTEXT
                ),
            ));
        }
        let shown = String::from_utf8(plaintext.clone()).ok();
        Ok(Self {
            key,
            subject,
            public,
            headers,
            plaintext,
            shown,
            override_origin: override_origin(ctx.profile)?,
            now: ctx.now,
            jwts: Mutex::new(HashMap::new()),
            warnings,
        })
    }

    /// Where the request for `sub` goes. From the endpoint parsed when it was read: no second
    /// parse per subscription.
    fn target(&self, sub: &Subscription) -> Result<String, String> {
        let parsed = sub.url();
        if parsed.host_str().is_none() {
            return Err("endpoint has no host".into());
        }
        Ok(match &self.override_origin {
            Some(origin) => replace_origin_of(parsed, origin),
            None => sub.endpoint.clone(),
        })
    }

    fn identity(&self, sub: &Subscription) -> Result<Identity, String> {
        Ok(Identity {
            method: "POST".into(),
            url: self.target(sub)?,
            recipient: Some(sub.display_name()),
        })
    }

    /// The VAPID JWT for `sub`'s push service (its origin is the audience) and the
    /// `Authorization` value that carries it, both made once per origin.
    fn signed(&self, sub: &Subscription) -> Result<Signed, String> {
        // Looked up by the endpoint's text up to its port: no origin is serialized per request.
        let key = match &self.override_origin {
            Some(origin) => origin.as_str(),
            None => &sub.url()[..url::Position::AfterPort],
        };
        if let Some(signed) = self.jwts.lock().ok().and_then(|j| j.get(key).cloned()) {
            return Ok(signed);
        }
        let audience = match &self.override_origin {
            Some(origin) => origin.clone(),
            None => sub.url().origin().ascii_serialization(),
        };
        let jwt = self.key.jwt(&audience, &self.subject, self.now)?;
        let signed = Signed {
            authorization: format!("vapid t={jwt}, k={}", self.public),
            jwt,
        };
        if let Ok(mut jwts) = self.jwts.lock() {
            jwts.insert(key.to_string(), signed.clone());
        }
        Ok(signed)
    }

    /// The request for `sub`, signed; its body is not encrypted yet.
    pub fn request_for(&self, sub: &Subscription) -> Result<PreparedRequest, String> {
        let url = self.target(sub)?;
        let Signed { jwt, authorization } = self.signed(sub)?;
        let mut request = PreparedRequest::new("POST", url);
        for (name, value) in &self.headers {
            request = request.header(name, value.clone());
        }
        let mut request = request
            .header("Content-Encoding", "aes128gcm")
            .header("Content-Type", "application/octet-stream")
            .secret_header("Authorization", authorization, "vapid_jwt", &jwt);
        request.plaintext = self.shown.clone();
        request.recipient = Some(sub.display_name());
        Ok(request)
    }

    fn encrypted_for(&self, sub: &Subscription) -> Result<PreparedRequest, String> {
        let mut request = self.request_for(sub)?;
        let body = ece::encrypt_message(&self.plaintext, &sub.p256dh, &sub.auth)
            .map_err(|e| e.to_string())?;
        request.body = Body::Bytes(body.into());
        Ok(request)
    }

    pub fn plaintext(&self) -> &[u8] {
        &self.plaintext
    }

    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

impl FanOut for WebPushFanOut {
    fn identify(&self, item: &Value) -> Result<Identity, String> {
        self.identity(&Subscription::from_value(item)?)
    }

    fn identify_text(&self, text: &[u8]) -> Option<Identity> {
        self.identity(&Subscription::from_json(text)?).ok()
    }

    fn prepare_one(&self, item: &Value) -> Result<PreparedRequest, String> {
        self.encrypted_for(&Subscription::from_value(item)?)
    }

    fn prepare_text(&self, text: &[u8]) -> Option<Result<PreparedRequest, String>> {
        Some(self.encrypted_for(&Subscription::from_json(text)?))
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

/// Encrypts the payload for every subscription, on all cores for a big fan-out: the P-256 work
/// is nearly all of a Web Push send's CPU. Results are in subscription order.
pub(super) fn encrypt_all(
    plaintext: &[u8],
    subscriptions: &[Subscription],
) -> Vec<Result<Vec<u8>, ece::EceError>> {
    let encrypt = |s: &Subscription| ece::encrypt_message(plaintext, &s.p256dh, &s.auth);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads < 2 || subscriptions.len() < 64 {
        return subscriptions.iter().map(encrypt).collect();
    }
    let chunk = subscriptions.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = subscriptions
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(encrypt).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .zip(subscriptions.chunks(chunk))
            .flat_map(|(worker, part)| {
                // A worker that panicked (it cannot: encryption returns errors) is redone inline.
                worker
                    .join()
                    .unwrap_or_else(|_| part.iter().map(encrypt).collect())
            })
            .collect()
    })
}
