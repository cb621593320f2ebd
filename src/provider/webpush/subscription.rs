//! Browser push subscriptions (`PushSubscription.toJSON()`), checked before anything is encrypted
//! for them, with the reason when one is unusable.

use std::borrow::Cow;

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
        let text = |name: &str| -> Result<&str, String> {
            keys.get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("no `keys.{name}`"))
        };
        let p256dh = p256dh_key(text("p256dh")?)?;
        let auth = decode_key("auth", text("auth")?, AUTH_SECRET_LEN)?;
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

    /// Reads one subscription straight from its JSON text, without building a `Value` first
    /// (what counting a million of them costs most). `None` for anything it does not accept
    /// exactly as `from_value` would: the caller then reads it through `from_value`, whose error
    /// says what is wrong, so both ways give the same subscriptions and the same errors.
    pub fn from_json(text: &[u8]) -> Option<Self> {
        // Serde would also read a struct from an array; `from_value` takes objects only.
        if text.trim_ascii_start().first() != Some(&b'{') {
            return None;
        }
        let brief: Brief<'_> = serde_json::from_slice(text).ok()?;
        let endpoint = brief.endpoint.trim();
        let url = check_endpoint(endpoint).ok()?;
        let p256dh = p256dh_key(brief.keys.p256dh).ok()?;
        let auth = decode_key("auth", brief.keys.auth, AUTH_SECRET_LEN).ok()?;
        let expiration_time =
            agreed_expiration(brief.expiration_camel, brief.expiration_snake).ok()?;
        Some(Self {
            endpoint: endpoint.to_string(),
            p256dh,
            auth,
            label: brief
                .label
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
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
    let read = |name: &str| match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("`{name}` must be null or epoch milliseconds")),
    };
    let camel = read("expirationTime")?;
    agreed_expiration(camel, read("expiration_time")?)
}

fn agreed_expiration(camel: Option<i64>, snake: Option<i64>) -> Result<Option<i64>, String> {
    match (camel, snake) {
        (Some(a), Some(b)) if a != b => {
            Err("`expirationTime` and `expiration_time` disagree; keep one of them".into())
        }
        (found, other) => Ok(found.or(other)),
    }
}

/// One of `keys`, decoded and of the length RFC 8291 needs.
fn decode_key(name: &str, text: &str, len: usize) -> Result<Vec<u8>, String> {
    let bytes = decode_b64(text).ok_or_else(|| format!("`keys.{name}` is not base64url"))?;
    if bytes.len() != len {
        return Err(format!(
            "`keys.{name}` is {} bytes; it must be {len}",
            bytes.len()
        ));
    }
    Ok(bytes)
}

fn p256dh_key(text: &str) -> Result<Vec<u8>, String> {
    let bytes = decode_key("p256dh", text, PUBLIC_KEY_LEN)?;
    if bytes[0] != 4 {
        return Err(
            "`keys.p256dh` is not an uncompressed P-256 point (must start with 0x04)".into(),
        );
    }
    Ok(bytes)
}

/// The browser's object as `from_json` reads it, its strings borrowed from the text where they
/// hold no escapes. An unknown or repeated key, or a value of another type, fails the read.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Brief<'a> {
    #[serde(borrow)]
    endpoint: Cow<'a, str>,
    #[serde(borrow)]
    keys: BriefKeys<'a>,
    #[serde(rename = "expirationTime", default)]
    expiration_camel: Option<i64>,
    #[serde(rename = "expiration_time", default)]
    expiration_snake: Option<i64>,
    #[serde(borrow, default)]
    label: Option<Cow<'a, str>>,
}

/// `keys`: an object (never an array, which derived code would take) whose other keys are
/// ignored, as `from_value` ignores them. A string with escapes fails (base64 holds none).
struct BriefKeys<'a> {
    p256dh: &'a str,
    auth: &'a str,
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for BriefKeys<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Keys<'a> {
            type Value = BriefKeys<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object with p256dh and auth")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Self::Value, M::Error> {
                use serde::de::Error;
                let (mut p256dh, mut auth) = (None, None);
                while let Some(key) = map.next_key::<&'de str>()? {
                    let slot = match key {
                        "p256dh" => &mut p256dh,
                        "auth" => &mut auth,
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    if slot.is_some() {
                        return Err(M::Error::custom("repeated key"));
                    }
                    *slot = Some(map.next_value::<&'de str>()?);
                }
                match (p256dh, auth) {
                    (Some(p256dh), Some(auth)) => Ok(BriefKeys { p256dh, auth }),
                    _ => Err(M::Error::custom("a key is missing")),
                }
            }
        }
        d.deserialize_map(Keys(std::marker::PhantomData))
    }
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
    fn from_json_reads_what_from_value_reads_and_leaves_the_rest_to_it() {
        let json = |body: &str| {
            format!(
                r#"{{"endpoint":"https://a.test/1",{body}"keys":{{"p256dh":"{P256DH}","auth":"{AUTH}"}}}}"#
            )
        };
        let taken = [
            sub("https://a.test/1", P256DH, AUTH),
            json(r#""label":"  Ana's laptop ","expiration_time":7,"#),
            json(r#""expirationTime":7,"expiration_time":7,"label":null,"#),
            json(r#""label":"   ","#),
            format!(
                r#" {{"keys":{{"extra":[1,{{}}],"auth":"{AUTH}","p256dh":"{P256DH}"}},"endpoint":" https://a.test/\u00e9 "}}"#
            ),
        ];
        for text in &taken {
            let value: Value = serde_json::from_str(text).expect("json");
            let fast = Subscription::from_json(text.as_bytes());
            assert!(fast.is_some(), "not taken: {text}");
            assert_eq!(fast, Subscription::from_value(&value).ok(), "{text}");
        }
        // Left to `from_value`, which says what is wrong (or, for the last two, reads it).
        let left = [
            sub("not a url", P256DH, AUTH),
            sub("https://a.test/1", &P256DH[..40], AUTH),
            sub("https://a.test/1", P256DH, "AAAA"),
            json(r#""expirationTime":5,"expiration_time":6,"#),
            json(r#""expirationTime":5.5,"#),
            json(r#""label":3,"#),
            json(r#""colour":"red","#),
            r#"["https://a.test/1",{"p256dh":"x","auth":"y"}]"#.to_string(),
            r#"{"endpoint":"https://a.test/1","keys":["x","y"]}"#.to_string(),
            "{nonsense".to_string(),
            json(r#""endpoint":"https://a.test/2","#),
            format!(
                r#"{{"endpoint":"https://a.test/1","keys":{{"p256dh":"{P256DH}","auth":"BTBZMqHH6r4Tts7J_aSI\u0067g"}}}}"#
            ),
        ];
        for text in &left {
            assert_eq!(Subscription::from_json(text.as_bytes()), None, "{text}");
        }
        let read =
            |text: &str| Subscription::from_value(&serde_json::from_str(text).expect("json"));
        assert!(read(&left[10]).is_ok() && read(&left[11]).is_ok());
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
