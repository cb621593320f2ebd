use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::*;
use crate::draft::Draft;
use crate::finding::{Level, texts_at};
use crate::http::PreparedRequest;
use crate::profile::{Profile, Secrets};
use crate::provider::telegram::{Telegram, method_request};
use crate::provider::{PrepareContext, Provider};

const BASE: &str = "http://127.0.0.1:8631";
const TOKEN: &str = "7012345678:AAHsinkTokenForPushdeckTests_0123456";

fn arrival(method: &str, target: &str, content_type: Option<&str>, body: &[u8]) -> Arrival {
    let mut headers = vec![("host".to_string(), "127.0.0.1:8631".to_string())];
    if let Some(ct) = content_type {
        headers.push(("content-type".into(), ct.into()));
    }
    Arrival {
        method: method.into(),
        target: target.into(),
        version: "HTTP/1.1".into(),
        headers,
        body: bytes::Bytes::copy_from_slice(body),
        tls: false,
        client_certificate: None,
        peer: "127.0.0.1:50001".into(),
        received_at: UNIX_EPOCH + Duration::from_secs(1_800_000_000),
    }
}

/// What the listener would hand the sink for one of Pushdeck's own requests.
fn from_request(request: &PreparedRequest) -> Arrival {
    crate::sink::testing::arrival_of(request, UNIX_EPOCH + Duration::from_secs(1_800_000_000))
}

fn profile(token: &str) -> (Profile, Secrets) {
    let mut p = Profile::new("bot", "telegram");
    p.base_url = Some(BASE.into());
    let mut s = Secrets::default();
    s.insert("bot_token", token.to_string());
    (p, s)
}

fn sink(profile: Option<(&Profile, &Secrets)>) -> TelegramSink {
    let mut sink = TelegramSink::default();
    sink.begin(&SinkStart {
        profile: profile.map(|p| p.0),
        secrets: profile.map(|p| p.1),
        base_url: BASE,
        kept: None,
        now: SystemTime::now(),
    })
    .expect("begins");
    sink
}

fn sent_by_pushdeck(draft: Value) -> PreparedRequest {
    let (p, s) = profile(TOKEN);
    let draft = Draft::from_json(&draft.to_string()).expect("draft");
    let mut prepared = Telegram
        .prepare(&PrepareContext {
            draft: &draft,
            profile: &p,
            secrets: &s,
            now: crate::clock::now(),
            idempotency_key: "k",
            token: None,
            dry_run: false,
        })
        .expect("prepares");
    prepared.requests.remove(0)
}

fn body(verdict: &Verdict) -> Value {
    serde_json::from_slice(&verdict.body).expect("JSON")
}

fn send_json(sink: &TelegramSink, params: Value) -> Verdict {
    sink.answer(
        &arrival(
            "POST",
            &format!("/bot{TOKEN}/sendMessage"),
            Some("application/json"),
            params.to_string().as_bytes(),
        ),
        None,
    )
}

#[test]
fn pushdecks_own_send_is_answered_with_the_message() {
    let (p, s) = profile(TOKEN);
    let sink = sink(Some((&p, &s)));
    let request = sent_by_pushdeck(json!({"profile": "bot",
        "message": {"title": "Deploy", "body": "v1.2.3 is out (finally)!", "url": "https://ci.example.com/1"},
        "audience": {"chat_ids": [42]}}));
    let verdict = sink.answer(&from_request(&request), None);
    assert_eq!(verdict.status, 200, "{:?}", verdict.findings);
    assert!(
        texts_at(&verdict.findings, Level::Fail).is_empty(),
        "{:?}",
        verdict.findings
    );
    let answer = body(&verdict);
    assert_eq!(answer["ok"], json!(true));
    assert_eq!(answer["result"]["message_id"], json!(1));
    assert_eq!(answer["result"]["chat"]["id"], json!(42));
    let text = answer["result"]["text"].as_str().expect("text");
    assert!(
        text.contains("Deploy") && text.contains("v1.2.3 is out (finally)!"),
        "{text}"
    );
    assert!(!text.contains('<'), "markup is parsed away: {text}");
    assert!(
        verdict
            .secrets
            .contains(&("bot_token".into(), TOKEN.into()))
    );
    assert!(
        verdict.summary.starts_with("sendMessage to 42: “Deploy"),
        "{}",
        verdict.summary
    );
    let again = sink.answer(&from_request(&request), None);
    assert_eq!(
        body(&again)["result"]["message_id"],
        json!(2),
        "ids count up"
    );
}

#[test]
fn the_profiles_token_is_required_with_a_profile_and_unchecked_without() {
    let (p, s) = profile("7012345678:AAHsomeOtherTokenAltogether_987654");
    let strict = sink(Some((&p, &s)));
    let request =
        method_request(&profile(TOKEN).0, &profile(TOKEN).1, "getMe", None).expect("getMe");
    let verdict = strict.answer(&from_request(&request), None);
    assert_eq!(verdict.status, 401);
    assert_eq!(
        body(&verdict),
        json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
    );
    let open = sink(None);
    let verdict = open.answer(&from_request(&request), None);
    assert_eq!(verdict.status, 200);
    assert_eq!(body(&verdict)["result"]["id"], json!(7_012_345_678_i64));
    assert!(texts_at(&verdict.findings, Level::Warn).contains("not verified"));
    let malformed = open.answer(&arrival("GET", "/botnotatoken/getMe", None, b""), None);
    assert_eq!(malformed.status, 404);
}

#[test]
fn required_parameters_and_limits() {
    let sink = sink(None);
    let verdict = send_json(&sink, json!({"text": "hi"}));
    assert_eq!(verdict.status, 400);
    assert_eq!(
        body(&verdict)["description"],
        json!("Bad Request: chat_id is empty")
    );
    let verdict = send_json(&sink, json!({"chat_id": 42}));
    assert_eq!(
        body(&verdict)["description"],
        json!("Bad Request: message text is empty")
    );
    let verdict = send_json(&sink, json!({"chat_id": 42, "text": "x".repeat(4097)}));
    assert_eq!(
        body(&verdict)["description"],
        json!("Bad Request: message is too long")
    );
    // Markup does not count: 4096 visible characters inside <b> fit.
    let verdict = send_json(
        &sink,
        json!({"chat_id": 42, "parse_mode": "HTML", "text": format!("<b>{}</b>", "x".repeat(4096))}),
    );
    assert_eq!(verdict.status, 200, "{:?}", verdict.findings);
    let verdict = send_json(&sink, json!({"chat_id": "nobody", "text": "hi"}));
    assert_eq!(
        body(&verdict)["description"],
        json!("Bad Request: chat not found")
    );
}

#[test]
fn markup_is_parsed_as_telegram_does() {
    let sink = sink(None);
    let verdict = send_json(
        &sink,
        json!({"chat_id": 42, "parse_mode": "MarkdownV2", "text": "Deploy v1.2.3 done"}),
    );
    assert_eq!(verdict.status, 400);
    let description = body(&verdict)["description"]
        .as_str()
        .expect("text")
        .to_string();
    assert!(
        description.starts_with("Bad Request: can't parse entities:"),
        "{description}"
    );
    let verdict = send_json(
        &sink,
        json!({"chat_id": 42, "parse_mode": "HTML", "text": "<blink>x</blink>"}),
    );
    assert_eq!(verdict.status, 400);
    let verdict = send_json(
        &sink,
        json!({"chat_id": 42, "parse_mode": "Fancy", "text": "x"}),
    );
    assert!(
        body(&verdict)["description"]
            .as_str()
            .expect("d")
            .contains("unsupported parse_mode")
    );
    let verdict = send_json(
        &sink,
        json!({"chat_id": 42, "parse_mode": "MarkdownV2", "text": "*Deploy* v1\\.2\\.3"}),
    );
    assert_eq!(verdict.status, 200, "{:?}", verdict.findings);
    assert_eq!(body(&verdict)["result"]["text"], json!("Deploy v1.2.3"));
}

#[test]
fn form_and_query_parameters_and_reply_markup_shape() {
    let sink = sink(None);
    let keyboard =
        json!({"inline_keyboard": [[{"text": "Open", "url": "https://ci.example.com"}]]});
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("chat_id", "-1001234567890")
        .append_pair("text", "hello")
        .append_pair("disable_notification", "true")
        .append_pair("reply_markup", &keyboard.to_string())
        .finish();
    let verdict = sink.answer(
        &arrival(
            "POST",
            &format!("/bot{TOKEN}/sendMessage"),
            Some("application/x-www-form-urlencoded"),
            form.as_bytes(),
        ),
        None,
    );
    assert_eq!(verdict.status, 200, "{:?}", verdict.findings);
    let result = &body(&verdict)["result"];
    assert_eq!(result["chat"]["type"], json!("supergroup"));
    assert_eq!(result["reply_markup"], keyboard);

    let query = format!("/bot{TOKEN}/sendMessage?chat_id=%40acme_news&text=hi&colour=blue");
    let verdict = sink.answer(&arrival("GET", &query, None, b""), None);
    assert_eq!(verdict.status, 200, "{:?}", verdict.findings);
    assert_eq!(body(&verdict)["result"]["chat"]["type"], json!("channel"));
    assert!(texts_at(&verdict.findings, Level::Warn).contains("colour is not a parameter"));
    let legacy =
        format!("/bot{TOKEN}/sendMessage?chat_id=42&text=hi&disable_web_page_preview=true");
    let verdict = sink.answer(&arrival("GET", &legacy, None, b""), None);
    assert_eq!(verdict.status, 200);
    assert!(texts_at(&verdict.findings, Level::Warn).contains("replaced by link_preview_options"));

    let text_only = json!({"inline_keyboard": [[{"text": "Open"}]]});
    let verdict = send_json(
        &sink,
        json!({"chat_id": 42, "text": "hi", "reply_markup": text_only}),
    );
    assert_eq!(verdict.status, 400);
    assert_eq!(
        body(&verdict)["description"],
        json!("Bad Request: can't parse reply keyboard markup JSON object")
    );
    assert!(texts_at(&verdict.findings, Level::Fail).contains("exactly one action"));
}

#[test]
fn photos_by_url_get_me_and_get_updates() {
    let sink = sink(None);
    let photo = json!({"chat_id": 42, "photo": "https://ci.example.com/graph.png", "caption": "<b>Build</b> 118", "parse_mode": "HTML"});
    let verdict = sink.answer(
        &arrival(
            "POST",
            &format!("/bot{TOKEN}/sendPhoto"),
            Some("application/json"),
            photo.to_string().as_bytes(),
        ),
        None,
    );
    assert_eq!(verdict.status, 200, "{:?}", verdict.findings);
    assert_eq!(body(&verdict)["result"]["caption"], json!("Build 118"));
    let no_photo = json!({"chat_id": 42});
    let verdict = sink.answer(
        &arrival(
            "POST",
            &format!("/bot{TOKEN}/sendphoto"),
            Some("application/json"),
            no_photo.to_string().as_bytes(),
        ),
        None,
    );
    assert_eq!(
        body(&verdict)["description"],
        json!("Bad Request: there is no photo in the request")
    );
    let verdict = sink.answer(
        &arrival("GET", &format!("/bot{TOKEN}/getUpdates?limit=5"), None, b""),
        None,
    );
    assert_eq!(body(&verdict), json!({"ok": true, "result": []}));
    let verdict = sink.answer(
        &arrival("GET", &format!("/bot{TOKEN}/deleteEverything"), None, b""),
        None,
    );
    assert_eq!(verdict.status, 404);
}

#[test]
fn rehearsals_answer_with_telegrams_errors() {
    let sink = sink(None);
    let send = arrival(
        "POST",
        &format!("/bot{TOKEN}/sendMessage"),
        Some("application/json"),
        json!({"chat_id": 42, "text": "hi"}).to_string().as_bytes(),
    );
    for rehearsal in sink.rehearsals() {
        let verdict = sink.answer(&send, Some(rehearsal));
        assert_eq!(verdict.status, rehearsal.status, "{}", rehearsal.name);
        let answer = body(&verdict);
        assert_eq!(answer["ok"], json!(false));
        assert_eq!(answer["error_code"], json!(rehearsal.status));
    }
    let blocked = REHEARSALS
        .iter()
        .find(|r| r.name == "blocked")
        .expect("blocked");
    let verdict = sink.answer(&send, Some(blocked));
    assert_eq!(
        body(&verdict)["description"],
        json!("Forbidden: bot was blocked by the user")
    );
    let limited = REHEARSALS
        .iter()
        .find(|r| r.name == "rate-limited")
        .expect("rate-limited");
    let verdict = sink.answer(&send, Some(limited));
    assert_eq!(body(&verdict)["parameters"]["retry_after"], json!(35));
    assert!(
        texts_at(&verdict.findings, Level::Ok).contains("chat_id 42"),
        "checks still run"
    );
}

#[test]
fn pushdecks_provider_reads_the_sinks_answers_as_telegrams() {
    use crate::outcome::Verdict as Said;
    use crate::sink::testing::exchange;
    let sink = sink(None);
    let request = sent_by_pushdeck(json!({"profile": "bot", "message": {"body": "hi"},
        "audience": {"chat_ids": [42]}}));
    let ok = sink.answer(&from_request(&request), None);
    let outcome = Telegram.interpret(&exchange(request.clone(), &ok));
    assert_eq!(outcome.verdict, Said::Accepted, "{}", outcome.summary);
    assert_eq!(outcome.message_id.as_deref(), Some("1"));
    let limited = REHEARSALS
        .iter()
        .find(|r| r.name == "rate-limited")
        .expect("rate-limited");
    let verdict = sink.answer(&from_request(&request), Some(limited));
    let outcome = Telegram.interpret(&exchange(request.clone(), &verdict));
    assert_eq!(outcome.verdict, Said::Refused);
    assert_eq!(outcome.retry_after, Some(RETRY_AFTER_S));
    let blocked = REHEARSALS
        .iter()
        .find(|r| r.name == "blocked")
        .expect("blocked");
    let verdict = sink.answer(&from_request(&request), Some(blocked));
    let outcome = Telegram.interpret(&exchange(request, &verdict));
    assert!(
        outcome.summary.to_lowercase().contains("blocked"),
        "{}",
        outcome.summary
    );
}
