//! Browser push subscriptions (`PushSubscription.toJSON()`), checked before anything is encrypted
//! for them, with the reason when one is unusable.

use serde_json::{Map, Value, json};

use super::ece::{AUTH_SECRET_LEN, PUBLIC_KEY_LEN};
use super::vapid::decode_b64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub endpoint: String,
    pub p256dh: Vec<u8>,
    pub auth: Vec<u8>,
    /// A name the user gave it ("Ana's laptop"); our extension of the browser's object.
    pub label: Option<String>,
    /// What the browser said (`expirationTime`, epoch ms), kept so a round trip loses nothing.
    pub expiration_time: Option<i64>,
    /// `endpoint`, parsed once when read (checked, named, routed from this).
    url: url::Url,
}

impl Subscription {
    /// Reads one subscription object; the error says which part is wrong.
    pub fn from_value(value: &Value) -> Result<Self, String> {
        let Value::Object(map) = value else {
            return Err(
                "not a JSON object like {\"endpoint\": …, \"keys\": {\"p256dh\": …, \"auth\": …}}"
                    .into(),
            );
        };
        for key in map.keys() {
            if !matches!(
                key.as_str(),
                "endpoint" | "keys" | "expirationTime" | "expiration_time" | "label"
            ) {
                return Err(format!(
                    "unknown key `{key}`; a subscription has endpoint, keys, expirationTime (or expiration_time) and label"
                ));
            }
        }
        let endpoint = map
            .get("endpoint")
            .and_then(Value::as_str)
            .ok_or("no `endpoint` (the push service URL)")?
            .trim();
        let url = check_endpoint(endpoint)?;
        let keys = map
            .get("keys")
            .and_then(Value::as_object)
            .ok_or("no `keys` object with p256dh and auth")?;
        let key = |name: &str, len: usize| -> Result<Vec<u8>, String> {
            let text = keys
                .get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("no `keys.{name}`"))?;
            let bytes =
                decode_b64(text).ok_or_else(|| format!("`keys.{name}` is not base64url"))?;
            if bytes.len() != len {
                return Err(format!(
                    "`keys.{name}` is {} bytes; it must be {len}",
                    bytes.len()
                ));
            }
            Ok(bytes)
        };
        let p256dh = key("p256dh", PUBLIC_KEY_LEN)?;
        if p256dh[0] != 4 {
            return Err(
                "`keys.p256dh` is not an uncompressed P-256 point (must start with 0x04)".into(),
            );
        }
        let auth = key("auth", AUTH_SECRET_LEN)?;
        let label = match map.get("label") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Some(_) => return Err("`label` must be a string".into()),
        };
        let expiration_time = expiration_time(map)?;
        Ok(Self {
            endpoint: endpoint.to_string(),
            p256dh,
            auth,
            label,
            expiration_time,
            url,
        })
    }

    /// The endpoint, parsed.
    pub fn url(&self) -> &url::Url {
        &self.url
    }

    /// Back to the browser's JSON shape (plus our label).
    pub fn to_value(&self) -> Value {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut map = Map::new();
        map.insert("endpoint".into(), json!(self.endpoint));
        map.insert("expirationTime".into(), json!(self.expiration_time));
        map.insert(
            "keys".into(),
            json!({"p256dh": b64.encode(&self.p256dh), "auth": b64.encode(&self.auth)}),
        );
        if let Some(label) = &self.label {
            map.insert("label".into(), json!(label));
        }
        Value::Object(map)
    }

    /// How to name it in tables: its label, or the push service and the end of its endpoint.
    pub fn display_name(&self) -> String {
        if let Some(label) = &self.label {
            return label.clone();
        }
        let host = self.url.host_str().unwrap_or_default();
        // The last 8 characters (not bytes: an endpoint may hold any).
        let tail = self
            .endpoint
            .char_indices()
            .rev()
            .nth(7)
            .map_or(self.endpoint.as_str(), |(at, _)| &self.endpoint[at..]);
        format!("{host} …{tail}")
    }
}

/// `expirationTime` as the browser names it, or `expiration_time` as Python servers store it.
fn expiration_time(map: &Map<String, Value>) -> Result<Option<i64>, String> {
    let mut found = None;
    for name in ["expirationTime", "expiration_time"] {
        let value = match map.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_i64()
                    .ok_or_else(|| format!("`{name}` must be null or epoch milliseconds"))?,
            ),
        };
        match (found, value) {
            (Some(a), Some(b)) if a != b => {
                return Err(
                    "`expirationTime` and `expiration_time` disagree; keep one of them".into(),
                );
            }
            (None, v) => found = v,
            _ => {}
        }
    }
    Ok(found)
}

fn check_endpoint(endpoint: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(endpoint).map_err(|e| format!("`endpoint` is not a URL ({e})"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if crate::http::is_loopback_url(&url) => Ok(url),
        "http" => Err(
            "`endpoint` uses plain http:// to another computer; push services use https://".into(),
        ),
        other => Err(format!("`endpoint` must be an https:// URL, not {other}:")),
    }
}

/// One problem found while reading many subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// "item 3" or "line 7".
    pub place: String,
    pub reason: String,
}

/// Reads pasted text or a file: one object, a JSON array of them, or one object per line
/// (JSON Lines). Duplicate endpoints keep the first.
pub fn parse_many(text: &str) -> (Vec<Subscription>, Vec<Rejected>) {
    let mut found = Vec::new();
    let mut rejected = Vec::new();
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return (found, rejected);
    }
    let whole = serde_json::from_str::<Value>(trimmed);
    match whole {
        Ok(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match Subscription::from_value(item) {
                    Ok(s) => found.push(s),
                    Err(reason) => rejected.push(Rejected {
                        place: format!("item {}", i + 1),
                        reason,
                    }),
                }
            }
        }
        Ok(value @ Value::Object(_)) => match Subscription::from_value(&value) {
            Ok(s) => found.push(s),
            Err(reason) => rejected.push(Rejected {
                place: "the subscription".into(),
                reason,
            }),
        },
        _ => {
            for (i, line) in text.lines().enumerate() {
                let line = line.trim().trim_end_matches(',');
                if line.is_empty() {
                    continue;
                }
                let parsed = serde_json::from_str::<Value>(line)
                    .map_err(|e| format!("not JSON ({e})"))
                    .and_then(|v| Subscription::from_value(&v));
                match parsed {
                    Ok(s) => found.push(s),
                    Err(reason) => rejected.push(Rejected {
                        place: format!("line {}", i + 1),
                        reason,
                    }),
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    found.retain(|s| seen.insert(s.endpoint.clone()));
    (found, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P256DH: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

    fn sub(endpoint: &str, p256dh: &str, auth: &str) -> String {
        format!(
            r#"{{"endpoint":"{endpoint}","expirationTime":null,"keys":{{"p256dh":"{p256dh}","auth":"{auth}"}}}}"#
        )
    }

    #[test]
    fn reads_the_browser_shape_and_round_trips() {
        let (subs, bad) = parse_many(&sub(
            "https://fcm.googleapis.com/fcm/send/abc",
            P256DH,
            AUTH,
        ));
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(subs.len(), 1);
        assert_eq!(subs[0].p256dh.len(), 65);
        assert_eq!(subs[0].display_name(), "fcm.googleapis.com …send/abc");
        let again = Subscription::from_value(&subs[0].to_value()).expect("round trip");
        assert_eq!(again, subs[0]);
    }

    #[test]
    fn arrays_lines_and_padding_variants() {
        let padded_std = format!("{}=", AUTH.replace('_', "/").replace('-', "+"));
        let text = format!(
            "[{}, {}, {}]",
            sub("https://a.test/1", P256DH, AUTH),
            sub("https://a.test/2", P256DH, &padded_std),
            sub("https://a.test/1", P256DH, AUTH)
        );
        let (subs, bad) = parse_many(&text);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(subs.len(), 2, "duplicate endpoint dropped");
        let lines = format!(
            "{}\n\n{}\n",
            sub("https://a.test/1", P256DH, AUTH),
            sub("https://a.test/3", P256DH, AUTH)
        );
        assert_eq!(parse_many(&lines).0.len(), 2);
    }

    #[test]
    fn rejects_with_the_reason() {
        let text = [
            sub("https://a.test/1", "not*base64", AUTH),
            sub("https://a.test/2", &P256DH[..40], AUTH),
            sub("https://a.test/3", P256DH, "AAAA"),
            sub("not a url", P256DH, AUTH),
            sub("http://push.example.com/x", P256DH, AUTH),
            "{nonsense".to_string(),
            sub("https://a.test/ok", P256DH, AUTH),
        ]
        .join("\n");
        let (subs, bad) = parse_many(&text);
        assert_eq!(subs.len(), 1);
        let reasons: Vec<String> = bad
            .iter()
            .map(|r| format!("{}: {}", r.place, r.reason))
            .collect();
        assert_eq!(reasons.len(), 6, "{reasons:?}");
        assert!(
            reasons[0].contains("line 1") && reasons[0].contains("not base64url"),
            "{reasons:?}"
        );
        assert!(reasons[1].contains("it must be 65"), "{reasons:?}");
        assert!(
            reasons[2].contains("keys.auth") && reasons[2].contains("16"),
            "{reasons:?}"
        );
        assert!(reasons[3].contains("not a URL"), "{reasons:?}");
        assert!(reasons[4].contains("plain http"), "{reasons:?}");
        assert!(reasons[5].contains("not JSON"), "{reasons:?}");
    }

    #[test]
    fn expiration_time_in_snake_case_is_the_same_field_and_comes_back_as_expiration_time() {
        let json = |extra: &str| {
            format!(
                r#"{{"endpoint":"https://a.test/1",{extra}"keys":{{"p256dh":"{P256DH}","auth":"{AUTH}"}}}}"#
            )
        };
        let value = |extra: &str| serde_json::from_str::<Value>(&json(extra)).expect("json");
        let sub = Subscription::from_value(&value(r#""expiration_time":1767225600000,"#))
            .expect("accepted");
        assert_eq!(sub.expiration_time, Some(1_767_225_600_000));
        let out = sub.to_value();
        assert_eq!(out["expirationTime"], json!(1_767_225_600_000_i64));
        assert!(out.get("expiration_time").is_none(), "{out}");
        let both = r#""expirationTime":5,"expiration_time":5,"#;
        assert_eq!(
            Subscription::from_value(&value(both)).map(|s| s.expiration_time),
            Ok(Some(5))
        );
        let clash = Subscription::from_value(&value(r#""expirationTime":5,"expiration_time":6,"#));
        assert!(clash.is_err_and(|e| e.contains("disagree")));
        let bad = Subscription::from_value(&value(r#""expiration_time":"soon","#));
        assert!(bad.is_err_and(|e| e.contains("`expiration_time` must be null")));
    }
}
