//! Files dropped on the window (or loaded into a credential field): what each one is, decided from
//! its name and content alone, and where the app puts it.

use std::path::Path;

use crate::draft::Draft;

/// What a dropped file turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Dropped {
    /// A draft file: it opens.
    Draft(Box<Draft>),
    /// A secret for one provider's credential field.
    Secret {
        provider: &'static str,
        field: &'static str,
        /// In words, for the status line ("APNs signing key").
        what: &'static str,
        value: String,
    },
    /// Web Push subscriptions (a JSON array or JSON lines): added to the audience.
    Subscriptions(String),
    /// Not recognised; the text says what was expected.
    Unknown(String),
}

const APNS_KEY: &str = "APNs signing key (.p8)";
const APNS_CERT: &str = "APNs push certificate (.p12)";
const APNS_CERT_FIELD: &str = crate::provider::apns::certificate::CERTIFICATE;
const FCM_KEY: &str = "FCM service-account key";
const VAPID_KEY: &str = "VAPID private key";

/// Decides what `bytes` (the file at `path`) is. `tab` is the provider id of the tab shown: a PEM
/// private key with neither a `.p8` nor a `.pem` name goes to that tab's key field if it has one.
pub fn classify(path: &Path, bytes: &[u8], tab: &str) -> Dropped {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if ext == "p12" || ext == "pfx" {
        // A push certificate exported from Keychain Access: the APNs certificate field (its
        // password goes beside it); the keyring keeps text, so the bytes are kept as base64.
        let value = crate::provider::apns::certificate::stored_form(bytes.to_vec());
        return secret(APNS_CERT_FIELD, "apns", APNS_CERT, &value);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Dropped::Unknown(format!("{name} is not a text file. {EXPECTED}"));
    };
    let trimmed = text.trim();
    // JSON first: a service-account key holds a PEM private key inside it.
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(trimmed) {
        if value.get("type").and_then(|t| t.as_str()) == Some("service_account") {
            return secret("service_account_json", "fcm", FCM_KEY, trimmed);
        }
        if value.is_object()
            && let Ok(draft) = Draft::from_json(trimmed)
        {
            return Dropped::Draft(Box::new(draft));
        }
    }
    if trimmed.contains("-----BEGIN") && trimmed.contains("PRIVATE KEY-----") {
        let apns = || secret("signing_key_p8", "apns", APNS_KEY, trimmed);
        let vapid = || secret("vapid_private_key", "webpush", VAPID_KEY, trimmed);
        return match ext.as_str() {
            "p8" => apns(),
            "pem" => vapid(),
            _ if tab == "apns" => apns(),
            _ if tab == "webpush" => vapid(),
            _ => Dropped::Unknown(format!(
                "{name} holds a private key, but its name does not say whose: rename it to .p8 (APNs) or .pem (VAPID), or drop it on the APNs or Web Push tab."
            )),
        };
    }
    let (found, _) = crate::provider::webpush::subscription::parse_many(trimmed);
    if !found.is_empty() {
        return Dropped::Subscriptions(trimmed.to_string());
    }
    if trimmed.starts_with('{')
        && let Err(e) = Draft::from_json(trimmed)
    {
        return Dropped::Unknown(format!(
            "{name} is JSON but not a draft ({e}), a service-account key or subscriptions. {EXPECTED}"
        ));
    }
    Dropped::Unknown(format!("{name} was not recognised. {EXPECTED}"))
}

const EXPECTED: &str = "Drop a draft (.json), an APNs key (.p8), an FCM service-account JSON, a VAPID key (.pem) or a subscriptions file.";

fn secret(field: &'static str, provider: &'static str, what: &'static str, value: &str) -> Dropped {
    Dropped::Secret {
        provider,
        field,
        what,
        value: value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";

    fn of(name: &str, text: &str, tab: &str) -> Dropped {
        classify(Path::new(name), text.as_bytes(), tab)
    }

    fn field(d: &Dropped) -> Option<(&str, &str)> {
        match d {
            Dropped::Secret {
                provider, field, ..
            } => Some((provider, field)),
            _ => None,
        }
    }

    #[test]
    fn a_draft_opens() {
        let d = of(
            "sale.json",
            r#"{"profile":"acme","message":{"title":"Sale"}}"#,
            "ntfy",
        );
        let Dropped::Draft(draft) = d else {
            panic!("{d:?}")
        };
        assert_eq!(draft.message.title, "Sale");
    }

    #[test]
    fn keys_go_to_their_provider_field() {
        assert_eq!(
            field(&of("AuthKey_AB.p8", PEM, "ntfy")),
            Some(("apns", "signing_key_p8"))
        );
        assert_eq!(
            field(&of("vapid.pem", PEM, "apns")),
            Some(("webpush", "vapid_private_key"))
        );
        assert_eq!(
            field(&of("key.txt", PEM, "apns")),
            Some(("apns", "signing_key_p8"))
        );
        assert_eq!(
            field(&of("key.txt", PEM, "webpush")),
            Some(("webpush", "vapid_private_key"))
        );
        assert!(matches!(of("key.txt", PEM, "ntfy"), Dropped::Unknown(_)));
        let sa = r#"{"type":"service_account","project_id":"p","private_key":"-----BEGIN PRIVATE KEY-----\nMIG\n-----END PRIVATE KEY-----\n","client_email":"a@b"}"#;
        assert_eq!(
            field(&of("p-123.json", sa, "ntfy")),
            Some(("fcm", "service_account_json"))
        );
    }

    #[test]
    fn a_p12_goes_to_the_apns_certificate_as_base64() {
        let bytes = [0x30, 0x82, 0x0a, 0xff];
        let d = classify(Path::new("cert.p12"), &bytes, "ntfy");
        assert_eq!(field(&d), Some(("apns", "certificate")));
        let Dropped::Secret { value, .. } = d else {
            panic!("{d:?}")
        };
        assert_eq!(value, "MIIK/w==");
    }

    #[test]
    fn subscriptions_as_array_or_lines() {
        let one = r#"{"endpoint":"https://push.example/a","keys":{"p256dh":"BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4","auth":"BTBZMqHH6r4Tts7J_aSIgg"}}"#;
        for text in [format!("[{one}]"), format!("{one}\n{one}")] {
            assert!(
                matches!(of("subs.json", &text, "ntfy"), Dropped::Subscriptions(_)),
                "{text}"
            );
        }
    }

    #[test]
    fn anything_else_is_explained() {
        for (name, text) in [
            ("notes.txt", "hello"),
            ("other.json", r#"{"hello":1}"#),
            ("empty.json", ""),
        ] {
            let Dropped::Unknown(why) = of(name, text, "ntfy") else {
                panic!("{name}")
            };
            assert!(why.contains(name) && why.contains("Drop a draft"), "{why}");
        }
        assert!(matches!(
            classify(Path::new("a.bin"), &[0xff, 0xfe, 0], "ntfy"),
            Dropped::Unknown(_)
        ));
    }
}
