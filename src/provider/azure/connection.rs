//! The hub's connection string (providers.md §2.1):
//! `Endpoint=sb://<ns>.servicebus.windows.net/;SharedAccessKeyName=<policy>;SharedAccessKey=<key>`,
//! parts in any order, each split on its first `=` (the key itself may end in `=`).

use crate::draft::DraftError;

const FIELD: &str = "secret connection_string";

/// The parts of a connection string that a send needs.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionString {
    /// `https://<ns>.servicebus.windows.net` (no trailing slash).
    pub endpoint: String,
    pub key_name: String,
    /// The key exactly as written: the HMAC key is its UTF-8 bytes, never base64-decoded.
    pub key: String,
}

impl std::fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ConnectionString({}, {}, {})",
            self.endpoint,
            self.key_name,
            crate::http::redact_value(&self.key)
        )
    }
}

fn err(message: impl Into<String>) -> DraftError {
    DraftError::new(FIELD, message)
}

const HINT: &str = "copy the whole string from the hub's Access Policies page in the Azure portal";

pub fn parse(text: &str) -> Result<ConnectionString, DraftError> {
    let mut endpoint = None;
    let mut key_name = None;
    let mut key = None;
    for (index, part) in text.trim().split(';').enumerate() {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((name, value)) = part.split_once('=') else {
            return Err(err(format!(
                "part {} (`{}`) is not Name=value; {HINT}",
                index + 1,
                shorten(part)
            )));
        };
        let slot = match name.trim().to_ascii_lowercase().as_str() {
            "endpoint" => &mut endpoint,
            "sharedaccesskeyname" => &mut key_name,
            "sharedaccesskey" => &mut key,
            // EntityPath and other Service Bus parts do not matter to a hub send.
            _ => continue,
        };
        if slot.is_some() {
            return Err(err(format!("`{}` appears twice", name.trim())));
        }
        *slot = Some(value.trim().to_string());
    }
    let endpoint = endpoint.ok_or_else(|| err(format!("the Endpoint= part is missing; {HINT}")))?;
    let key_name =
        key_name.ok_or_else(|| err(format!("the SharedAccessKeyName= part is missing; {HINT}")))?;
    let key = key.ok_or_else(|| err(format!("the SharedAccessKey= part is missing; {HINT}")))?;
    if key_name.is_empty() {
        return Err(err("SharedAccessKeyName is empty"));
    }
    if key.is_empty() {
        return Err(err("SharedAccessKey is empty"));
    }
    Ok(ConnectionString {
        endpoint: https_endpoint(&endpoint)?,
        key_name,
        key,
    })
}

/// `sb://ns.servicebus.windows.net/` → `https://ns.servicebus.windows.net`.
fn https_endpoint(raw: &str) -> Result<String, DraftError> {
    let rest = raw
        .strip_prefix("sb://")
        .or_else(|| raw.strip_prefix("https://"))
        .ok_or_else(|| {
            err(format!(
                "Endpoint `{}` must start with sb:// (e.g. sb://my-namespace.servicebus.windows.net/)",
                shorten(raw)
            ))
        })?;
    let host = rest.trim_end_matches('/');
    if host.is_empty() || host.contains('/') {
        return Err(err(format!(
            "Endpoint `{}` must be just the namespace address, e.g. sb://my-namespace.servicebus.windows.net/",
            shorten(raw)
        )));
    }
    let url = format!("https://{host}");
    match url::Url::parse(&url) {
        Ok(u) if u.host_str().is_some_and(|h| !h.is_empty()) => Ok(url),
        _ => Err(err(format!(
            "Endpoint `{}` has no valid host name",
            shorten(raw)
        ))),
    }
}

/// Echoes a part of the user's input without risking a whole key in an error message.
fn shorten(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("sharedaccesskey") && !lower.starts_with("sharedaccesskeyname") {
        return "SharedAccessKey…".into();
    }
    let chars: Vec<char> = text.chars().collect();
    if chars.len() > 60 {
        format!("{}…", chars[..60].iter().collect::<String>())
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_in_any_order_and_key_with_equals() {
        let cs = parse(
            "SharedAccessKey=abc+/def==;Endpoint=sb://My-NS.servicebus.windows.net/;SharedAccessKeyName=DefaultFullSharedAccessSignature",
        )
        .expect("valid");
        assert_eq!(cs.endpoint, "https://My-NS.servicebus.windows.net");
        assert_eq!(cs.key_name, "DefaultFullSharedAccessSignature");
        assert_eq!(cs.key, "abc+/def==");
        assert!(!format!("{cs:?}").contains("abc+/def=="));
    }

    #[test]
    fn tolerates_trailing_semicolon_spaces_and_entity_path() {
        let cs = parse(" Endpoint=sb://ns.servicebus.windows.net/ ; SharedAccessKeyName=p;SharedAccessKey=k;EntityPath=hub; ")
            .expect("valid");
        assert_eq!(cs.endpoint, "https://ns.servicebus.windows.net");
    }

    #[test]
    fn names_the_missing_part() {
        for (text, part) in [
            (
                "SharedAccessKeyName=p;SharedAccessKey=k",
                "Endpoint= part is missing",
            ),
            (
                "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=k",
                "SharedAccessKeyName= part is missing",
            ),
            (
                "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=p",
                "SharedAccessKey= part is missing",
            ),
        ] {
            let e = parse(text).expect_err(text);
            assert_eq!(e.field, "secret connection_string");
            assert!(e.message.contains(part), "{e}");
        }
    }

    #[test]
    fn names_the_malformed_part() {
        let e =
            parse("Endpoint=http://ns/;SharedAccessKeyName=p;SharedAccessKey=k").expect_err("http");
        assert!(e.message.contains("must start with sb://"), "{e}");
        let e = parse("Endpoint=sb://ns/;SharedAccessKeyName=p;garbage").expect_err("no =");
        assert!(e.message.contains("part 3 (`garbage`)"), "{e}");
        let e =
            parse("Endpoint=sb://ns/;SharedAccessKeyName=;SharedAccessKey=k").expect_err("empty");
        assert!(e.message.contains("SharedAccessKeyName is empty"), "{e}");
        let e =
            parse("Endpoint=sb://ns/;SharedAccessKeyName=p;SharedAccessKey=k;SharedAccessKey=k2")
                .expect_err("twice");
        assert!(e.message.contains("appears twice"), "{e}");
        let e = parse("Endpoint=sb://ns/x/y;SharedAccessKeyName=p;SharedAccessKey=k")
            .expect_err("path");
        assert!(e.message.contains("just the namespace"), "{e}");
    }
}
