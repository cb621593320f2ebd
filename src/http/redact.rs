use serde::{Deserialize, Serialize};

/// A secret value used in a request, and the profile field it belongs to (for `$PUSHDECK_<FIELD>`).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SecretRef {
    pub field: String,
    pub value: String,
}

impl std::fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SecretRef({}: {})",
            self.field,
            redact_value(&self.value)
        )
    }
}

pub const REDACTION: &str = "••••";

/// Masks one secret, keeping a short prefix so two different keys can be told apart.
pub fn redact_value(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    // Long keys keep a few characters (often a non-secret scheme prefix such as `os_v2_app_`);
    // short ones keep almost nothing, so the mask never gives away a guessable share of the key.
    let keep = match chars.len() {
        0..=7 => 0,
        8..=15 => 2,
        16..=31 => 4,
        _ => 10,
    };
    let prefix: String = chars.iter().take(keep).collect();
    format!("{prefix}{REDACTION}")
}

/// Replaces every occurrence of every secret in `text` (longest first, so a secret that contains
/// another is masked whole).
pub(crate) fn mask_all(text: &str, secrets: &[SecretRef]) -> String {
    let mut sorted: Vec<&SecretRef> = secrets.iter().filter(|s| !s.value.is_empty()).collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.value.len()));
    let mut out = text.to_string();
    for secret in sorted {
        if out.contains(&secret.value) {
            out = out.replace(&secret.value, &redact_value(&secret.value));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_a_short_prefix() {
        assert_eq!(redact_value("abc"), "••••");
        assert_eq!(
            redact_value("os_v2_app_abcdefghijklmnopqrstuvwxyz0123"),
            "os_v2_app_••••"
        );
        assert_ne!(redact_value("ab12345678"), redact_value("cd12345678"));
    }

    #[test]
    fn masks_longest_first() {
        let secrets = vec![
            SecretRef {
                field: "a".into(),
                value: "short1234".into(),
            },
            SecretRef {
                field: "b".into(),
                value: "short1234-and-longer".into(),
            },
        ];
        let out = mask_all("x short1234-and-longer y short1234", &secrets);
        assert!(!out.contains("1234"), "{out}");
    }
}
