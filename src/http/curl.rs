use os_display::Quotable;

use super::request::{Body, PreparedRequest};

/// A runnable curl command for a request. Unless `reveal`, each secret becomes a shell variable
/// reference named after its profile field (`$PUSHDECK_API_KEY`), so the command can be pasted into
/// a ticket and run by someone who has the key. Binary bodies are referenced as a file.
pub fn to_curl(request: &PreparedRequest, reveal: bool) -> String {
    let mut parts: Vec<String> = vec!["curl".into()];
    if request.http2_only {
        // h2c needs prior knowledge; over TLS, curl negotiates HTTP/2 by ALPN.
        let flag = if request.url.starts_with("http://") {
            "--http2-prior-knowledge"
        } else {
            "--http2"
        };
        parts.push(flag.into());
    }
    if request.client_certificate.is_some() {
        // curl takes the certificate and its key from one PEM file (`openssl pkcs12 -in
        // cert.p12 -nodes -out push-certificate.pem`); the key is never printed.
        parts.push("--cert".into());
        parts.push("push-certificate.pem".into());
    }
    if request.method != "GET" || !request.body.is_empty() {
        parts.push("-X".into());
        parts.push(request.method.clone());
    }
    parts.push(quote(&request.url, request, reveal));
    for (name, value) in &request.headers {
        parts.push("-H".into());
        parts.push(quote(&format!("{name}: {value}"), request, reveal));
    }
    match &request.body {
        Body::Empty => {}
        Body::Text(text) => {
            parts.push("--data-raw".into());
            parts.push(quote(text, request, reveal));
        }
        Body::Bytes(bytes) => {
            parts.push("--data-binary".into());
            parts.push(format!("@body-{}bytes.bin", bytes.len()));
        }
    }
    parts.join(" ")
}

/// Quotes one argument for a POSIX shell; secrets become `"$PUSHDECK_FIELD"` segments.
fn quote(text: &str, request: &PreparedRequest, reveal: bool) -> String {
    if reveal || request.secrets.is_empty() {
        return text.quote().to_string();
    }
    let mut secrets: Vec<_> = request
        .secrets
        .iter()
        .filter(|s| !s.value.is_empty())
        .collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.value.len()));
    // Split the text into literal runs and secret references, then quote each literal run alone.
    let mut segments: Vec<(bool, String)> = vec![(false, text.to_string())];
    for secret in secrets {
        let var = format!("PUSHDECK_{}", secret.field.to_ascii_uppercase());
        let mut next = Vec::new();
        for (is_var, seg) in segments {
            if is_var {
                next.push((true, seg));
                continue;
            }
            let mut pieces = seg.split(secret.value.as_str()).peekable();
            while let Some(piece) = pieces.next() {
                if !piece.is_empty() {
                    next.push((false, piece.to_string()));
                }
                if pieces.peek().is_some() {
                    next.push((true, var.clone()));
                }
            }
        }
        segments = next;
    }
    if segments.iter().all(|(v, _)| !v) {
        return text.quote().to_string();
    }
    segments
        .into_iter()
        .map(|(is_var, s)| {
            if is_var {
                format!("\"${{{s}}}\"")
            } else {
                s.quote().force(true).to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> PreparedRequest {
        PreparedRequest::new("POST", "https://api.onesignal.com/notifications")
            .secret_header(
                "Authorization",
                "Key os_v2_app_secret",
                "api_key",
                "os_v2_app_secret",
            )
            .json_body(&serde_json::json!({"contents": {"en": "it's here"}}))
    }

    #[test]
    fn secrets_become_variables() {
        let curl = to_curl(&request(), false);
        assert!(!curl.contains("os_v2_app_secret"), "{curl}");
        assert!(
            curl.contains(r#"'Authorization: Key '"${PUSHDECK_API_KEY}""#),
            "{curl}"
        );
        assert!(
            curl.starts_with("curl -X POST 'https://api.onesignal.com/notifications'"),
            "{curl}"
        );
    }

    #[test]
    fn reveal_keeps_the_value_and_quotes_apostrophes() {
        let curl = to_curl(&request(), true);
        assert!(curl.contains("os_v2_app_secret"));
        // Multi-line bodies use bash's $'…' quoting, where an apostrophe is \'.
        assert!(
            curl.ends_with(r#"--data-raw $'{\n  "contents": {\n    "en": "it\'s here"\n  }\n}'"#),
            "{curl}"
        );
    }

    #[test]
    fn binary_body_is_a_file_reference() {
        let mut req = PreparedRequest::new("POST", "https://push.example/abc");
        req.body = Body::Bytes(vec![1, 2, 3].into());
        assert!(to_curl(&req, false).ends_with("--data-binary @body-3bytes.bin"));
    }

    #[test]
    fn get_has_no_method_flag() {
        let req = PreparedRequest::new("GET", "https://x.test/a?b=c&d");
        assert_eq!(to_curl(&req, false), "curl 'https://x.test/a?b=c&d'");
    }
}
