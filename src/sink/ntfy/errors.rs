//! ntfy's errors as its `server/errors.go` words them, and the JSON answer they make.

use serde_json::{Value, json};

use crate::sink::seam::Verdict;

const AUTH_LINK: &str = "https://ntfy.sh/docs/publish/#authentication";

/// One of ntfy's errors, as its `errors.go` words it.
pub struct NtfyError {
    pub code: u32,
    pub error: &'static str,
    pub link: &'static str,
}

impl NtfyError {
    const fn new(code: u32, error: &'static str, link: &'static str) -> Self {
        Self { code, error, link }
    }

    pub fn status(&self) -> u16 {
        (self.code / 100) as u16
    }

    pub fn verdict(&self, verdict: Verdict) -> Verdict {
        let mut body = json!({"code": self.code, "http": self.status(), "error": self.error});
        if !self.link.is_empty() {
            body["link"] = json!(self.link);
        }
        reply(verdict, self.status(), &body)
    }
}

pub const UNAUTHORIZED: NtfyError = NtfyError::new(40101, "unauthorized", AUTH_LINK);
pub const FORBIDDEN: NtfyError = NtfyError::new(40301, "forbidden", AUTH_LINK);
pub const NOT_FOUND: NtfyError = NtfyError::new(40401, "page not found", "");
pub const PRIORITY_INVALID: NtfyError = NtfyError::new(
    40007,
    "invalid request: priority invalid",
    "https://ntfy.sh/docs/publish/#message-priority",
);
pub const TOPIC_INVALID: NtfyError = NtfyError::new(40009, "invalid request: topic invalid", "");
pub const JSON_INVALID: NtfyError = NtfyError::new(
    40017,
    "invalid request: request body must be message JSON",
    "https://ntfy.sh/docs/publish/#publish-as-json",
);
pub const ACTIONS_INVALID: NtfyError = NtfyError::new(
    40018,
    "invalid request: actions invalid",
    "https://ntfy.sh/docs/publish/#action-buttons",
);
pub const TOO_LARGE: NtfyError = NtfyError::new(
    41301,
    "invalid request: attachment too large, or bandwidth limit reached",
    "https://ntfy.sh/docs/publish/#limitations",
);
pub const TOO_MANY: NtfyError = NtfyError::new(
    42901,
    "limit reached: too many requests",
    "https://ntfy.sh/docs/publish/#limitations",
);
pub const ATTACHMENT_URL_INVALID: NtfyError = NtfyError::new(
    40013,
    "invalid request: attachment URL is invalid",
    "https://ntfy.sh/docs/publish/#attach-file-from-a-url",
);
pub const INTERNAL: NtfyError = NtfyError::new(50001, "internal server error", "");

pub fn reply(mut verdict: Verdict, status: u16, body: &Value) -> Verdict {
    verdict.status = status;
    verdict
        .headers
        .push(("content-type".into(), "application/json".into()));
    let mut text = body.to_string();
    text.push('\n');
    verdict.body = text.into_bytes();
    verdict
}

/// A line of text cut for the live list.
pub fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > 40 {
        format!("{}…", line.chars().take(40).collect::<String>())
    } else {
        line.to_string()
    }
}
