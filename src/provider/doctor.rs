//! The credential doctor: what `check` finds, one finding at a time. Each provider inspects its
//! credential locally (key format, ids, expiry, rights — no I/O), then the engine adds the
//! provider's cheapest read-only call as the last finding(s).

pub use crate::finding::{Finding, Level};
use crate::profile::{Profile, Secrets};

pub mod tokens;

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
