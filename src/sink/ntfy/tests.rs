use super::*;
use crate::finding::Level;
use crate::http::{Body, PreparedRequest};
use crate::provider::{PrepareContext, Provider};

const BASE: &str = "http://127.0.0.1:8630";
const TOKEN: &str = "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2";

fn arrival(method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Arrival {
    Arrival {
        method: method.into(),
        target: target.into(),
        version: "HTTP/1.1".into(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
            .collect(),
        body: bytes::Bytes::from(body.to_string()),
        tls: false,
        client_certificate: None,
        peer: "127.0.0.1:1".into(),
        received_at: std::time::SystemTime::now(),
    }
}

/// A request as Pushdeck's own ntfy provider prepares it, as it would arrive.
fn from_prepared(request: &PreparedRequest) -> Arrival {
    let target = request.url.strip_prefix(BASE).unwrap_or("/").to_string();
    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let body = match &request.body {
        Body::Text(t) => t.clone(),
        _ => String::new(),
    };
    arrival(&request.method, &target, &headers, &body)
}

fn sink(token: Option<&str>) -> NtfySink {
    let mut sink = NtfySink::default();
    let mut profile = Profile::new("alerts", "ntfy");
    profile.base_url = Some(BASE.into());
    let mut secrets = Secrets::default();
    if let Some(t) = token {
        secrets.insert("access_token", t.into());
    }
    sink.begin(&SinkStart {
        profile: token.map(|_| &profile),
        secrets: token.map(|_| &secrets),
        base_url: BASE,
        kept: None,
        now: std::time::SystemTime::now(),
    })
    .expect("begins");
    sink
}

fn body(v: &Verdict) -> Value {
    serde_json::from_slice(&v.body).expect("JSON body")
}

fn fails(v: &Verdict) -> String {
    crate::finding::texts_at(&v.findings, Level::Fail)
}

#[test]
fn what_pushdecks_own_provider_sends_is_published() {
    let draft = crate::draft::Draft::from_json(
        r#"{"profile":"alerts","message":{"title":"Disk","body":"Disk almost full","url":"https://example.com/disk"},"audience":{"topic":"ops-alerts"},"options":{"priority":"high","tags":["warning"]}}"#,
    )
    .expect("draft");
    let mut profile = Profile::new("alerts", "ntfy");
    profile.base_url = Some(BASE.into());
    let mut secrets = Secrets::default();
    secrets.insert("access_token", TOKEN.into());
    let prepared = crate::provider::ntfy::Ntfy
        .prepare(&PrepareContext {
            draft: &draft,
            profile: &profile,
            secrets: &secrets,
            now: crate::clock::now(),
            idempotency_key: "k",
            token: None,
            dry_run: false,
        })
        .expect("prepares");
    let verdict = sink(Some(TOKEN)).answer(&from_prepared(&prepared.requests[0]), None);
    assert_eq!(verdict.status, 200, "{:?}", verdict.findings);
    assert_eq!(fails(&verdict), "");
    let answer = body(&verdict);
    assert_eq!(answer["topic"], "ops-alerts");
    assert_eq!(answer["title"], "Disk");
    assert_eq!(answer["priority"], 4);
    assert_eq!(answer["tags"], json!(["warning"]));
    assert_eq!(answer["event"], "message");
    assert_eq!(answer["id"].as_str().map(str::len), Some(12));
    assert!(verdict.secrets.iter().any(|(_, v)| v == TOKEN));
    // Pushdeck's own provider reads the answer as a publish.
    let outcome = crate::provider::ntfy::Ntfy.interpret(&crate::http::Exchange {
        response: Some(crate::http::ResponseDump {
            status: 200,
            reason: "OK".into(),
            version: "HTTP/1.1".into(),
            headers: verdict.headers.clone(),
            body: Body::Text(String::from_utf8_lossy(&verdict.body).into_owned()),
            truncated: false,
        }),
        ..crate::http::Exchange::unsent(prepared.requests[0].clone())
    });
    assert!(outcome.is_ok(), "{outcome:?}");
}

#[test]
fn a_plain_publish_reads_the_headers_and_their_aliases() {
    let verdict = sink(None).answer(
        &arrival(
            "PUT",
            "/backups?tags=a,b",
            &[
                ("Title", "Nightly"),
                ("p", "urgent"),
                ("X-Click", "https://x.test"),
            ],
            "done",
        ),
        None,
    );
    assert_eq!(verdict.status, 200);
    let answer = body(&verdict);
    assert_eq!(answer["title"], "Nightly");
    assert_eq!(answer["priority"], 5);
    assert_eq!(answer["tags"], json!(["a", "b"]));
    assert_eq!(answer["click"], "https://x.test");
    assert_eq!(answer["message"], "done");
}

#[test]
fn each_refusal_has_ntfys_code_and_a_reason() {
    let s = sink(None);
    for (a, status, code) in [
        (
            arrival("POST", "/", &[], r#"{"topic":"bad topic!"}"#),
            400,
            40009,
        ),
        (arrival("POST", "/", &[], "not json"), 400, 40017),
        (
            arrival("POST", "/t", &[("X-Priority", "loud")], "m"),
            400,
            40007,
        ),
        (
            arrival(
                "POST",
                "/",
                &[],
                r#"{"topic":"t","actions":[{"action":"view","label":"a","url":"https://a"},{"action":"view","label":"b","url":"https://a"},{"action":"view","label":"c","url":"https://a"},{"action":"view","label":"d","url":"https://a"}]}"#,
            ),
            400,
            40018,
        ),
        (
            arrival("POST", "/t", &[("X-Attach", "not a url")], "m"),
            400,
            40013,
        ),
        (arrival("GET", "/nowhere/at/all", &[], ""), 404, 40401),
    ] {
        let v = s.answer(&a, None);
        assert_eq!(v.status, status, "{} {}", a.method, a.target);
        assert_eq!(body(&v)["code"], code, "{}", a.target);
        assert_eq!(body(&v)["http"], status);
        assert!(!fails(&v).is_empty(), "{}: a ✗ says why", a.target);
        assert!(
            !v.summary.starts_with(' ') && !v.summary.starts_with('→'),
            "a refusal's summary starts with words, not an empty head: {:?}",
            v.summary
        );
    }
}

#[test]
fn with_a_profile_the_token_is_verified() {
    let s = sink(Some(TOKEN));
    let good = s.answer(
        &arrival(
            "POST",
            "/t",
            &[("Authorization", &format!("Bearer {TOKEN}"))],
            "m",
        ),
        None,
    );
    assert_eq!(good.status, 200);
    let wrong = s.answer(
        &arrival(
            "POST",
            "/t",
            &[("Authorization", "Bearer tk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAA")],
            "m",
        ),
        None,
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(body(&wrong)["code"], 40101);
    assert!(
        fails(&wrong).contains("not profile alerts"),
        "{}",
        fails(&wrong)
    );
    let none = s.answer(&arrival("POST", "/t", &[], "m"), None);
    assert_eq!(none.status, 403);
    assert_eq!(body(&none)["error"], "forbidden");
    // The token as a Basic password, and as ?auth= (base64url of the header value).
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(":{TOKEN}"));
    let v = s.answer(
        &arrival(
            "POST",
            "/t",
            &[("Authorization", &format!("Basic {basic}"))],
            "m",
        ),
        None,
    );
    assert_eq!(v.status, 200, "{:?}", v.findings);
    let auth = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("Bearer {TOKEN}"));
    let v = s.answer(&arrival("POST", &format!("/t?auth={auth}"), &[], "m"), None);
    assert_eq!(v.status, 200, "{:?}", v.findings);
    assert!(v.secrets.iter().any(|(_, value)| *value == auth));
}

#[test]
fn without_a_profile_a_token_is_read_but_not_verified() {
    let v = sink(None).answer(
        &arrival(
            "POST",
            "/t",
            &[("Authorization", &format!("Bearer {TOKEN}"))],
            "m",
        ),
        None,
    );
    assert_eq!(v.status, 200);
    let warns = crate::finding::texts_at(&v.findings, Level::Warn);
    assert!(warns.contains("start the sink with --profile"), "{warns}");
    let v = sink(None).answer(
        &arrival("POST", "/t", &[("Authorization", "Bearer nonsense")], "m"),
        None,
    );
    assert_eq!(v.status, 401, "no ntfy token has that form");
}

#[test]
fn a_rehearsal_answers_the_documented_error_and_still_checks() {
    let s = sink(None);
    let rate = REHEARSALS
        .iter()
        .find(|r| r.name == "rate-limited")
        .expect("rehearsal");
    let v = s.answer(&arrival("POST", "/t", &[("X-Title", "x")], "m"), Some(rate));
    assert_eq!(v.status, 429);
    assert_eq!(body(&v)["code"], 42901);
    assert!(
        v.headers
            .iter()
            .any(|(n, v)| n == "retry-after" && v == "5")
    );
    assert!(v.findings.iter().any(|f| f.text.contains("plain publish")));
    for r in REHEARSALS {
        let v = s.answer(&arrival("POST", "/t", &[], "m"), Some(r));
        assert_eq!(v.status, r.status, "{}", r.name);
        assert_eq!(body(&v)["http"], r.status);
    }
}

#[test]
fn a_body_over_the_attachment_limit_is_41301_and_a_long_message_an_attachment() {
    let sink = sink(None);
    let big = "x".repeat(3 * 1024 * 1024);
    let v = sink.answer(&arrival("POST", "/ops", &[], &big), None);
    assert_eq!(v.status, 413);
    assert_eq!(body(&v)["code"], 41301);
    assert!(fails(&v).contains("up to 2 MB"), "{}", fails(&v));
    // Over 4096 bytes but under 2 MB: ntfy keeps it as an attachment, and says so.
    let v = sink.answer(&arrival("POST", "/ops", &[], &"y".repeat(5000)), None);
    assert_eq!(v.status, 200);
    assert!(
        v.findings
            .iter()
            .any(|f| f.level == Level::Warn && f.text.contains("attachment")),
        "{:?}",
        v.findings
    );
}
