//! The credential doctor: what `check` finds, one finding at a time. Each provider inspects its
//! credential locally (key format, ids, expiry, rights — no I/O), then the engine adds the
//! provider's cheapest read-only call as the last finding(s).

use serde::{Deserialize, Serialize};

use time::OffsetDateTime;

use super::{Provider, Token};
use crate::profile::{Profile, Secrets};

pub mod apns;
pub mod azure;
pub mod fcm;
pub mod onesignal;
pub mod sns;
pub mod tokens;
pub mod webpush;

/// How a finding reads: ✓ fine, ⚠ worth a look, ✗ will not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

impl Level {
    pub fn mark(self) -> &'static str {
        match self {
            Level::Ok => "✓",
            Level::Warn => "⚠",
            Level::Fail => "✗",
        }
    }
}

/// One thing the doctor found, in a sentence, with the raw detail (a parser's message, an HTTP
/// status) for whoever wants it. Never carries a secret's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub level: Level,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A local failure that makes the read-only call pointless (the key does not parse): the
    /// check stops before the network.
    #[serde(skip)]
    pub stops: bool,
}

impl Finding {
    fn new(level: Level, text: impl Into<String>) -> Self {
        Self {
            level,
            text: text.into(),
            detail: None,
            stops: false,
        }
    }

    pub fn ok(text: impl Into<String>) -> Self {
        Self::new(Level::Ok, text)
    }

    pub fn warn(text: impl Into<String>) -> Self {
        Self::new(Level::Warn, text)
    }

    /// A failure the read-only call can still be made with (an ARN in another region).
    pub fn fail(text: impl Into<String>) -> Self {
        Self::new(Level::Fail, text)
    }

    /// A failure that stops the check before the network: the credential cannot be used at all.
    pub fn fatal(text: impl Into<String>) -> Self {
        Self {
            stops: true,
            ..Self::new(Level::Fail, text)
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// A provider's local findings (its `Provider::inspect`).
pub fn inspect(
    provider: &dyn Provider,
    profile: &Profile,
    secrets: &Secrets,
    now: OffsetDateTime,
    cached: Option<&Token>,
) -> Vec<Finding> {
    provider.inspect(&super::InspectContext {
        profile,
        secrets,
        now,
        cached,
    })
}

/// The worst level among the findings; `Ok` for none.
pub fn worst(findings: &[Finding]) -> Level {
    findings.iter().map(|f| f.level).max().unwrap_or(Level::Ok)
}

/// Whether `text` is `len` characters of `A-Z` and `0-9` (Apple's team and key ids).
pub fn upper_alnum(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A required setting: `Ok(value)` or the fatal finding that says how to set it.
pub fn setting<'a>(profile: &'a Profile, key: &str, label: &str) -> Result<&'a str, Finding> {
    profile
        .setting(key)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            Finding::fatal(format!("No {label} is set in the profile.")).with_detail(format!(
                "set it with `pushdeck profile add {} --provider {} --set {key}=…` or Edit credentials",
                profile.name, profile.provider
            ))
        })
}

/// A required secret: `Ok(value)` or the fatal finding that says how to store it.
pub fn secret<'a>(
    profile: &Profile,
    secrets: &'a Secrets,
    field: &str,
    label: &str,
) -> Result<&'a str, Finding> {
    secrets.require(&profile.name, field).map_err(|e| {
        Finding::fatal(format!("No {label} is stored for this profile.")).with_detail(e.message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_finding_decides() {
        assert_eq!(worst(&[]), Level::Ok);
        assert_eq!(
            worst(&[Finding::ok("a"), Finding::warn("b"), Finding::ok("c")]),
            Level::Warn
        );
        assert_eq!(
            worst(&[Finding::fail("a"), Finding::warn("b")]),
            Level::Fail
        );
    }

    #[test]
    fn apple_ids_are_ten_uppercase_alphanumerics() {
        assert!(upper_alnum("ABC123DEFG", 10));
        assert!(!upper_alnum("abc123defg", 10));
        assert!(!upper_alnum("ABC123DEF", 10));
        assert!(!upper_alnum("ABC123DEF-", 10));
    }
}
