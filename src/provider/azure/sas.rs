//! The SAS token (providers.md §2.2): HMAC-SHA256 keyed with the key string's UTF-8 bytes over
//! `sr + "\n" + se`, where `sr` is the lower-cased, URL-encoded resource URI.

use aws_lc_rs::hmac;
use base64::Engine as _;

/// Seconds a token stays valid: short, like Microsoft's Python sample (300 s).
pub const TTL_SECS: i64 = 300;

/// A signed token and its parts (the signature is the secret to mask in dumps).
#[derive(Clone, PartialEq, Eq)]
pub struct SasToken {
    /// The whole `Authorization` header value.
    pub header: String,
    /// The URL-encoded signature as it appears in the header.
    pub signature: String,
}

impl std::fmt::Debug for SasToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SasToken({})", crate::http::redact_value(&self.header))
    }
}

/// Signs `resource_uri` (the hub URL without query) until `expiry` (UNIX seconds).
pub fn token(resource_uri: &str, key_name: &str, key: &str, expiry: i64) -> SasToken {
    let sr = encode(resource_uri).to_ascii_lowercase();
    let signature = encode(&sign(&sr, &expiry.to_string(), key));
    SasToken {
        header: format!(
            "SharedAccessSignature sr={sr}&sig={signature}&se={expiry}&skn={}",
            encode(key_name)
        ),
        signature,
    }
}

/// The base64 signature of `sr` (as written in the token) and `se`: what the hub recomputes
/// to check a token, and what the sink does with the profile's key.
pub fn sign(sr: &str, expiry: &str, key: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
    let tag = hmac::sign(&key, format!("{sr}\n{expiry}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

/// Percent-encodes everything but the RFC 3986 unreserved characters, like Python's
/// `urllib.parse.quote(text, safe='')`.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Reads `skn=` (the policy name) back out of a header value, for error messages.
pub fn key_name_of(header: &str) -> Option<&str> {
    header
        .strip_prefix("SharedAccessSignature ")?
        .split('&')
        .find_map(|p| p.strip_prefix("skn="))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The expected values were computed independently of this code, with Python's standard
    // library, following Microsoft's Python sample (providers.md §2.2):
    //
    //   import hmac, hashlib, base64, urllib.parse
    //   def sas(uri, key, name, se):
    //       sr = urllib.parse.quote(uri, safe='').lower()
    //       sig = base64.b64encode(hmac.new(key.encode(), (sr + "\n" + str(se)).encode(),
    //                                       hashlib.sha256).digest()).decode()
    //       return sig, "SharedAccessSignature sr=%s&sig=%s&se=%d&skn=%s" % (
    //           sr, urllib.parse.quote(sig, safe=''), se, name)

    #[test]
    fn providers_md_worked_example() {
        let t = token(
            "https://MyNamespace.servicebus.windows.net/MyHub",
            "DefaultFullSharedAccessSignature",
            "ExampleKeyNotReal0123456789abcdefghijklmnopq=",
            1_700_000_000,
        );
        // raw sig: Vsn8IlIUINb0SUjnl9aBx0aZ9yrzGQwCZ34WI1U/7ro=
        assert_eq!(
            t.header,
            "SharedAccessSignature sr=https%3a%2f%2fmynamespace.servicebus.windows.net%2fmyhub&sig=Vsn8IlIUINb0SUjnl9aBx0aZ9yrzGQwCZ34WI1U%2F7ro%3D&se=1700000000&skn=DefaultFullSharedAccessSignature"
        );
        assert_eq!(
            t.signature,
            "Vsn8IlIUINb0SUjnl9aBx0aZ9yrzGQwCZ34WI1U%2F7ro%3D"
        );
    }

    #[test]
    fn key_is_not_base64_decoded() {
        // The key looks like base64 with + / =; it is used as its own bytes.
        let t = token(
            "https://contoso-ns.servicebus.windows.net/Orders_Hub",
            "SendOnly",
            "k+/Z9w8=abc/def+ghi==",
            1_790_000_300,
        );
        // raw sig: Y0npmcvJ/oDQ6tPRytkrnD+skJsuoR9sC4/N2+IPRqM=
        assert_eq!(
            t.header,
            "SharedAccessSignature sr=https%3a%2f%2fcontoso-ns.servicebus.windows.net%2forders_hub&sig=Y0npmcvJ%2FoDQ6tPRytkrnD%2BskJsuoR9sC4%2FN2%2BIPRqM%3D&se=1790000300&skn=SendOnly"
        );
    }

    #[test]
    fn loopback_stand_in_uri() {
        let t = token(
            "http://127.0.0.1:8080/hub",
            "DefaultFullSharedAccessSignature",
            "testkey",
            1_700_000_300,
        );
        // raw sig: E/8I02hcCmn+smBgCo6xOGGks5wmxdMHwjqWwVCONAM=
        assert_eq!(
            t.header,
            "SharedAccessSignature sr=http%3a%2f%2f127.0.0.1%3a8080%2fhub&sig=E%2F8I02hcCmn%2BsmBgCo6xOGGks5wmxdMHwjqWwVCONAM%3D&se=1700000300&skn=DefaultFullSharedAccessSignature"
        );
        assert_eq!(
            key_name_of(&t.header),
            Some("DefaultFullSharedAccessSignature")
        );
    }
}
