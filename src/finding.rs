//! What the credential doctor finds (`check`): one finding at a time, ✓ / ⚠ / ✗ with a sentence.
//! A leaf module: the outcome carries findings, and the providers make them.

use serde::{Deserialize, Serialize};

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

/// The sentences of the findings at `level`, one per line: what the doctor's tests read.
#[cfg(test)]
pub fn texts_at(findings: &[Finding], level: Level) -> String {
    findings
        .iter()
        .filter(|f| f.level == level)
        .map(|f| f.text.clone())
        .collect::<Vec<_>>()
        .join("\n")
}
