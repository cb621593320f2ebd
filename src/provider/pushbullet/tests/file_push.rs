//! File pushes: the three steps, each built from the answer before it.

use super::*;
use crate::http::Exchange;
use crate::provider::LocalFile;

fn file_draft() -> Draft {
    draft(json!({
        "profile": "me",
        "message": {"title": "Log", "body": "attached", "url": "https://x.example"},
        "audience": {"email": "ada@example.com"},
        "options": {"file": "/tmp/logs/build.log"}
    }))
}

fn ctx<'a>(d: &'a Draft, p: &'a Profile, s: &'a Secrets) -> PrepareContext<'a> {
    PrepareContext {
        draft: d,
        profile: p,
        secrets: s,
        now: datetime!(2026-11-24 12:00 UTC),
        idempotency_key: GUID,
        token: None,
        dry_run: false,
    }
}

fn answered(request: PreparedRequest, status: u16, body: serde_json::Value) -> Exchange {
    let mut exchange = Exchange::unsent(request);
    exchange.response = Some(ResponseDump {
        status,
        reason: String::new(),
        version: "HTTP/1.1".into(),
        headers: vec![],
        body: Body::Text(body.to_string()),
        truncated: false,
    });
    exchange
}

fn slot(upload_url: &str) -> serde_json::Value {
    json!({
        "file_name": "build.log", "file_type": "text/plain",
        "file_url": "https://dl.pushbulletusercontent.com/abc/build.log",
        "upload_url": upload_url,
        "data": {"policy": "p0"}
    })
}

#[test]
fn step_one_asks_for_an_upload_slot_and_the_plan_names_three_steps() {
    let d = file_draft();
    let p = prepare(&d).expect("prepares");
    let r = &p.requests[0];
    assert_eq!(r.url, "https://api.pushbullet.com/v2/upload-request");
    assert_eq!(r.header_value("Access-Token"), Some(TOKEN));
    let body: serde_json::Value = serde_json::from_str(body_of(&p)).expect("json");
    assert_eq!(
        body,
        json!({"file_name": "build.log", "file_type": "text/plain"})
    );
    assert!(
        p.warnings.iter().any(|w| w.contains("URL is not sent")),
        "{:?}",
        p.warnings
    );
    let steps = Pushbullet.steps(&d);
    assert_eq!(steps.len(), 3);
    assert!(steps[1].starts_with("upload build.log"), "{steps:?}");
    let files = Pushbullet.files(&d);
    assert_eq!(
        files[0].path,
        std::path::PathBuf::from("/tmp/logs/build.log")
    );
    assert_eq!(files[0].max_bytes, 25 * 1024 * 1024);
    assert!(
        Pushbullet
            .steps(&draft(json!({"profile": "me", "message": {"body": "x"}})))
            .is_empty()
    );
}

#[test]
fn step_two_uploads_multipart_without_the_token_and_step_three_pushes_the_file_url() {
    let d = file_draft();
    let (pr, se) = (profile(), secrets());
    let c = ctx(&d, &pr, &se);
    let first = prepare(&d).expect("prepares").requests.remove(0);
    let files = [LocalFile {
        path: "/tmp/logs/build.log".into(),
        bytes: b"line 1\nline 2\n".to_vec().into(),
    }];
    let asked = answered(
        first,
        200,
        slot("https://upload.pushbullet.com/upload-legacy/xyz"),
    );
    let upload = Pushbullet
        .next_step(&c, &files, std::slice::from_ref(&asked))
        .expect("builds")
        .expect("a second step");
    assert_eq!(
        upload.url,
        "https://upload.pushbullet.com/upload-legacy/xyz"
    );
    assert_eq!(upload.header_value("Access-Token"), None);
    assert!(upload.secrets.is_empty());
    let boundary = format!("pushdeck-{GUID}");
    assert_eq!(
        upload.header_value("Content-Type"),
        Some(format!("multipart/form-data; boundary={boundary}").as_str())
    );
    let expected = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"policy\"\r\n\r\np0\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"build.log\"\r\nContent-Type: text/plain\r\n\r\n\
         line 1\nline 2\n\r\n--{boundary}--\r\n"
    );
    assert_eq!(upload.body.as_bytes(), expected.as_bytes());

    let uploaded = answered(upload, 204, json!(null));
    let push = Pushbullet
        .next_step(&c, &files, &[asked.clone(), uploaded.clone()])
        .expect("builds")
        .expect("a third step");
    assert_eq!(push.url, "https://api.pushbullet.com/v2/pushes");
    assert_eq!(push.header_value("Access-Token"), Some(TOKEN));
    let body: serde_json::Value =
        serde_json::from_str(push.body.as_text().expect("text")).expect("json");
    assert_eq!(
        body,
        json!({
            "type": "file", "file_name": "build.log", "file_type": "text/plain",
            "file_url": "https://dl.pushbulletusercontent.com/abc/build.log",
            "title": "Log", "body": "attached", "email": "ada@example.com", "guid": GUID
        })
    );
    let pushed = answered(push, 200, json!({"iden": "ujp1", "type": "file"}));
    assert!(
        Pushbullet
            .next_step(&c, &files, &[asked, uploaded, pushed])
            .expect("done")
            .is_none()
    );
}

#[test]
fn a_cleartext_upload_address_to_another_host_is_refused() {
    let d = file_draft();
    let (pr, se) = (profile(), secrets());
    let first = prepare(&d).expect("prepares").requests.remove(0);
    let asked = answered(first, 200, slot("http://upload.example.com/x"));
    let refused = Pushbullet
        .next_step(&ctx(&d, &pr, &se), &[], &[asked])
        .expect_err("refused");
    assert_eq!(refused.verdict, Verdict::Refused);
    assert!(
        refused.summary.contains("plain http://"),
        "{}",
        refused.summary
    );
}

#[test]
fn step_answers_are_judged_by_step() {
    let first = prepare(&file_draft()).expect("prepares").requests.remove(0);
    let o = Pushbullet.interpret(&answered(first.clone(), 200, slot("https://u.example/1")));
    assert!(
        o.is_ok() && o.summary.contains("upload slot for build.log"),
        "{}",
        o.summary
    );
    let denied = answered(
        first,
        401,
        json!({"error": {"message": "Access token is missing or invalid."}}),
    );
    assert_eq!(Pushbullet.interpret(&denied).verdict, Verdict::Refused);
    let mut upload = PreparedRequest::new("POST", "https://u.example/1")
        .header("Content-Type", "multipart/form-data; boundary=b");
    upload.body = Body::Text("--b--".into());
    let failed = Pushbullet.interpret(&answered(upload, 500, json!("busy")));
    assert_eq!(failed.verdict, Verdict::Refused);
    assert!(failed.summary.contains("HTTP 500"), "{}", failed.summary);
}

#[test]
fn file_type_override_and_contradicting_type_are_checked() {
    let mut d = file_draft();
    d.options.insert("file_type".into(), json!("text/x-log"));
    let p = prepare(&d).expect("prepares");
    assert!(body_of(&p).contains("text/x-log"));
    d.options.insert("file_type".into(), json!("log"));
    assert_eq!(
        prepare(&d).expect_err("not a mime").field,
        "options.file_type"
    );
    d.options.remove("file_type");
    d.options.insert("type".into(), json!("note"));
    assert_eq!(prepare(&d).expect_err("contradicts").field, "options.type");
    let e = prepare(&draft(json!({
        "profile": "me", "message": {"body": "x"}, "options": {"type": "file"}
    })))
    .expect_err("no file");
    assert_eq!(e.field, "options.file");
}
