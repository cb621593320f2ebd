//! End to end: the real `pushdeck` binary against a local OneSignal stand-in. The key comes from
//! `PUSHDECK_API_KEY`; no test here touches a real keyring (the child has no session bus).

use crate::support as common;
use crate::support::{assert_exit, only_result, request_header};

use std::time::{Duration, Instant};

use common::{
    API_KEY, APP_ID, OneSignalStandIn, Sandbox, Scenario, WRONG_KEY, stderr, stdout, stdout_json,
};
use serde_json::{Value, json};

const PROFILE: &str = "acme-test";

/// A sandbox with a profile pointing at a fresh stand-in.
fn setup() -> (OneSignalStandIn, Sandbox) {
    let standin = OneSignalStandIn::start();
    let sandbox = Sandbox::new();
    sandbox.add_profile(PROFILE, &standin.base_url());
    (standin, sandbox)
}

/// Bad input: exit 2, one line on stderr naming `field`, nothing on the wire.
fn assert_bad_input(output: &std::process::Output, field: &str, standin: &OneSignalStandIn) {
    let err = stderr(output);
    assert_eq!(
        output.status.code(),
        Some(2),
        "stdout: {}\nstderr: {err}",
        stdout(output)
    );
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected on stderr:\n{err}"
    );
    assert!(err.starts_with("pushdeck: "), "{err}");
    assert!(err.contains(field), "stderr should name `{field}`: {err}");
    assert_eq!(standin.hits(), 0, "nothing may be sent on bad input");
}

#[test]
fn send_success_prints_the_contract_json_with_the_key_redacted() {
    let (standin, sandbox) = setup();
    let output = sandbox.run_draft(&["send", "--json"], PROFILE);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}\nstdout: {}",
        stderr(&output),
        stdout(&output)
    );
    standin.assert_no_problems();

    let doc = stdout_json(&output);
    let result = only_result(&doc);
    let request = &result["request"];
    assert_eq!(request["method"], "POST");
    assert_eq!(
        request["url"],
        format!("{}/notifications", standin.base_url())
    );
    let auth = request_header(request, "Authorization").expect("Authorization header shown");
    assert!(auth.starts_with("Key ") && auth.contains("••••"), "{auth}");
    assert!(
        !doc.to_string().contains(API_KEY),
        "the key leaked into --json output"
    );
    let shown_body: Value = serde_json::from_str(request["body"].as_str().expect("body is text"))
        .expect("body is JSON");
    assert_eq!(shown_body["app_id"], APP_ID);

    let response = &result["response"];
    assert_eq!(response["status"], 200);
    assert!(response["elapsed_ms"].as_f64().is_some(), "{response}");
    let answered: Value =
        serde_json::from_str(response["body"].as_str().expect("response body")).expect("JSON");
    let id = answered["id"].as_str().expect("id");
    assert_eq!(id.len(), 36, "{answered}");

    let outcome = &result["outcome"];
    assert_eq!(outcome["ok"], true, "{outcome}");
    assert_eq!(outcome["message_id"], id);
    assert!(
        outcome["summary"]
            .as_str()
            .is_some_and(|s| !s.is_empty() && !s.contains('\n'))
    );
    assert!(doc["history_id"].as_str().is_some(), "{doc:#}");

    // What went over the wire: exactly one authorised request with the composed fields.
    let seen = standin.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Key {API_KEY}").as_str())
    );
    let body = seen[0].json();
    assert_eq!(body, shown_body, "the dump must show what was sent");
    assert_eq!(
        body["contents"],
        json!({"en": "50% off everything until midnight", "fr": "-50 % jusqu'à minuit"})
    );
    assert_eq!(
        body["headings"],
        json!({"en": "Flash sale", "fr": "Vente flash"})
    );
    assert_eq!(body["included_segments"], json!(["Active Users"]));
    assert_eq!(body["ttl"], 3600);
    assert_eq!(body["priority"], 10);
    assert_eq!(body["url"], "https://example.com/sale");
    assert_eq!(body["data"], json!({"campaign": "fall-2026"}));
    assert_eq!(
        body["web_buttons"][0],
        json!({"id": "shop", "text": "Shop now", "url": "https://example.com/shop"})
    );
    assert!(
        body["idempotency_key"]
            .as_str()
            .is_some_and(|k| k.len() == 36),
        "{body}"
    );
}

#[test]
fn send_reveal_shows_the_key() {
    let (standin, sandbox) = setup();
    let output = sandbox.run_draft(&["send", "--json", "--reveal"], PROFILE);
    assert_exit(&output, 0);
    let doc = stdout_json(&output);
    assert_eq!(
        request_header(&only_result(&doc)["request"], "Authorization"),
        Some(format!("Key {API_KEY}").as_str())
    );
    standin.assert_no_problems();
}

#[test]
fn send_from_standard_input() {
    let (standin, sandbox) = setup();
    let output = sandbox
        .cmd()
        .args(["send", "-"])
        .write_stdin(common::draft_json(PROFILE).to_string())
        .output()
        .expect("runs");
    assert_exit(&output, 0);
    let out = stdout(&output);
    assert!(out.contains("Sent: notification"), "{out}");
    assert!(!out.contains(API_KEY));
    assert_eq!(standin.hits(), 1);
    standin.assert_no_problems();
}

#[test]
fn newer_fields_pass_the_stand_in() {
    // External IDs, a channel, a schedule and an explicit idempotency key: the fields the old spec
    // lacks must still be the documented names.
    let (standin, sandbox) = setup();
    let draft = json!({
        "profile": PROFILE,
        "message": {"title": "Build finished", "body": "Pipeline #118 passed", "silent": false},
        "audience": {"external_ids": ["user-42", "user-43"]},
        "options": {"target_channel": "push", "schedule_at": "2099-12-01T09:00:00+01:00", "idempotency_key": "0f8fad5b-d9cb-469f-a165-70867728950e"}
    });
    let path = sandbox.write("ids.json", &draft.to_string());
    let output = sandbox.cmd().arg("send").arg(path).output().expect("runs");
    crate::support::assert_exit_output(&output, 0);
    standin.assert_no_problems();
    let body = standin.requests()[0].json();
    assert_eq!(
        body["include_aliases"],
        json!({"external_id": ["user-42", "user-43"]})
    );
    assert_eq!(body["target_channel"], "push");
    assert_eq!(body["send_after"], "2099-12-01 08:00:00 GMT+0000");
    assert_eq!(
        body["idempotency_key"],
        "0f8fad5b-d9cb-469f-a165-70867728950e"
    );
}

#[test]
fn bad_request_exits_1_with_the_error_text() {
    let (standin, sandbox) = setup();
    let text =
        "You must include which players, segments, or tags you wish to send this notification to.";
    standin.set(Scenario::BadRequest(text.into()));
    let output = sandbox.run_draft(&["send", "--json"], PROFILE);
    assert_exit(&output, 1);
    let doc = stdout_json(&output);
    let result = only_result(&doc);
    assert_eq!(result["response"]["status"], 400);
    assert_eq!(result["outcome"]["ok"], false);
    assert!(
        result["outcome"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains(text)),
        "{result:#}"
    );
    standin.assert_no_problems();
}

#[test]
fn ok_status_with_errors_and_no_id_is_a_failure() {
    let (standin, sandbox) = setup();
    standin.set(Scenario::NotSubscribed);
    let output = sandbox.run_draft(&["send", "--json"], PROFILE);
    assert_eq!(
        output.status.code(),
        Some(1),
        "success is judged from the body: {}",
        stdout(&output)
    );
    let doc = stdout_json(&output);
    let result = only_result(&doc);
    assert_eq!(result["response"]["status"], 200);
    assert_eq!(result["outcome"]["ok"], false);
    assert!(result["outcome"].get("message_id").is_none(), "{result:#}");
    let summary = result["outcome"]["summary"].as_str().expect("summary");
    assert!(
        summary.contains("All included players are not subscribed"),
        "{summary}"
    );
    standin.assert_no_problems();
}

#[test]
fn wrong_key_is_refused_and_explained() {
    let standin = OneSignalStandIn::start();
    let sandbox = Sandbox::with(common::Keyring::None, Some(WRONG_KEY.into()));
    sandbox.add_profile(PROFILE, &standin.base_url());
    let output = sandbox.run_draft(&["send"], PROFILE);
    assert_exit(&output, 1);
    let out = stdout(&output);
    assert!(out.contains("refused the API key (403)"), "{out}");
    assert!(out.contains("Access denied."), "{out}");
    assert!(
        out.contains("App API key"),
        "a hint says what to check: {out}"
    );
    assert!(!out.contains(WRONG_KEY) && !stderr(&output).contains(WRONG_KEY));
    assert_eq!(standin.hits(), 1);
}

#[test]
fn rate_limit_mentions_the_wait() {
    let (standin, sandbox) = setup();
    standin.set(Scenario::RateLimited(7));
    let output = sandbox.run_draft(&["send", "--json"], PROFILE);
    assert_exit(&output, 1);
    let doc = stdout_json(&output);
    let result = only_result(&doc);
    assert_eq!(result["response"]["status"], 429);
    let summary = result["outcome"]["summary"].as_str().expect("summary");
    assert!(summary.contains("wait 7 s"), "{summary}");
    assert_eq!(result["outcome"]["retry_after"], 7);
    assert!(
        request_header(&result["response"], "retry-after").is_some(),
        "{result:#}"
    );
}

#[test]
fn timeout_exits_3_quickly() {
    let (standin, sandbox) = setup();
    standin.set(Scenario::Delay(Duration::from_secs(5)));
    let started = Instant::now();
    let output = sandbox.run_draft(&["send", "--json", "--timeout", "1"], PROFILE);
    let took = started.elapsed();
    crate::support::assert_exit_output(&output, 3);
    assert!(
        took < Duration::from_secs(4),
        "took {took:?} with --timeout 1"
    );
    let doc = stdout_json(&output);
    let result = only_result(&doc);
    assert!(result["response"].is_null(), "{result:#}");
    assert_eq!(result["outcome"]["ok"], false);
    let summary = result["outcome"]["summary"].as_str().expect("summary");
    assert!(summary.contains("within 1 s"), "{summary}");
    assert_eq!(standin.hits(), 1);
}

#[test]
fn connection_refused_exits_3() {
    let sandbox = Sandbox::new();
    sandbox.add_profile(
        PROFILE,
        &format!("http://127.0.0.1:{}", common::closed_port()),
    );
    let output = sandbox.run_draft(&["send", "--json", "--timeout", "5"], PROFILE);
    crate::support::assert_exit_output(&output, 3);
    let doc = stdout_json(&output);
    let result = only_result(&doc);
    assert!(result["response"].is_null());
    let summary = result["outcome"]["summary"].as_str().expect("summary");
    assert!(summary.contains("refused"), "{summary}");
}

#[test]
fn unknown_draft_key_is_bad_input() {
    let (standin, sandbox) = setup();
    let path = sandbox.write("typo.json", &json!({"profile": PROFILE, "message": {"titel": "Hi", "body": "x"}, "audience": {"segments": ["All"]}}).to_string());
    let output = sandbox.cmd().arg("send").arg(path).output().expect("runs");
    assert_bad_input(&output, "message.titel", &standin);
}

#[test]
fn invalid_json_is_bad_input() {
    let (standin, sandbox) = setup();
    let path = sandbox.write(
        "broken.json",
        r#"{"profile": "acme-test", "message": {"body": "x"#,
    );
    let output = sandbox.cmd().arg("send").arg(path).output().expect("runs");
    assert_bad_input(&output, "invalid JSON", &standin);
}

#[test]
fn unknown_profile_is_bad_input() {
    let (standin, sandbox) = setup();
    let output = sandbox
        .cmd()
        .arg("send")
        .arg(sandbox.draft("no-such-profile"))
        .output()
        .expect("runs");
    assert_bad_input(&output, "no-such-profile", &standin);
    assert!(stderr(&output).contains("profile"));
}

#[test]
fn missing_secret_is_bad_input() {
    let standin = OneSignalStandIn::start();
    let sandbox = Sandbox::with(common::Keyring::None, None);
    sandbox.add_profile(PROFILE, &standin.base_url());
    let output = sandbox.run_draft(&["send"], PROFILE);
    assert_bad_input(&output, "api_key", &standin);
}

#[test]
fn cleartext_base_url_to_another_host_is_refused() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .cmd()
        .args([
            "profile",
            "add",
            PROFILE,
            "--provider",
            "onesignal",
            "--base-url",
            "http://example.com",
            "--set",
        ])
        .arg(format!("app_id={APP_ID}"))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let err = stderr(&output);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("--base-url") && err.contains("example.com"),
        "{err}"
    );
    assert!(
        sandbox.files_containing("example.com").is_empty(),
        "the profile must not be saved"
    );
    let list = sandbox.run(&["profile", "list", "--json"]);
    assert_eq!(stdout_json(&list)["profiles"], json!([]));
}

#[test]
fn preview_masks_the_key_and_sends_nothing() {
    let (standin, sandbox) = setup();
    let output = sandbox.run_draft(&["preview"], PROFILE);
    assert_exit(&output, 0);
    let out = stdout(&output);
    assert!(
        out.starts_with(&format!("POST {}/notifications\n", standin.base_url())),
        "{out}"
    );
    assert!(out.contains("Authorization: Key os_v2_app_••••"), "{out}");
    assert!(
        out.contains(APP_ID) && out.contains("Active Users"),
        "{out}"
    );
    assert!(!out.contains(API_KEY), "{out}");

    let json_out = sandbox.run_draft(&["preview", "--json"], PROFILE);
    assert_eq!(json_out.status.code(), Some(0));
    let doc = stdout_json(&json_out);
    assert!(only_result(&doc)["response"].is_null());
    assert!(!doc.to_string().contains(API_KEY));

    let revealed = sandbox.run_draft(&["preview", "--reveal"], PROFILE);
    assert!(stdout(&revealed).contains(&format!("Authorization: Key {API_KEY}")));
    assert_eq!(standin.hits(), 0, "preview must not touch the network");
}

#[test]
fn preview_curl_uses_environment_references() {
    let (standin, sandbox) = setup();
    let output = sandbox.run_draft(&["preview", "--curl"], PROFILE);
    assert_exit(&output, 0);
    let out = stdout(&output);
    assert!(
        out.starts_with(&format!(
            "curl -X POST '{}/notifications'",
            standin.base_url()
        )),
        "{out}"
    );
    assert!(out.contains("\"${PUSHDECK_API_KEY}\""), "{out}");
    assert!(!out.contains(API_KEY), "{out}");
    assert_eq!(
        out.trim_end().matches("curl ").count(),
        1,
        "one command per request: {out}"
    );

    let revealed = sandbox.run_draft(&["preview", "--curl", "--reveal"], PROFILE);
    let out = stdout(&revealed);
    assert!(
        out.contains(API_KEY) && !out.contains("PUSHDECK_API_KEY"),
        "{out}"
    );
    assert_eq!(standin.hits(), 0);
}

#[test]
fn check_says_the_key_works() {
    let (standin, sandbox) = setup();
    let output = sandbox.run(&["check", PROFILE]);
    crate::support::assert_exit_output(&output, 0);
    let out = stdout(&output);
    assert!(out.contains("Key works"), "{out}");
    assert!(out.contains("2 segments"), "{out}");
    let seen = standin.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].path, format!("/apps/{APP_ID}/segments"));
    assert_eq!(seen[0].query.as_deref(), Some("offset=0&limit=1"));
    standin.assert_no_problems();

    let json_out = sandbox.run(&["check", PROFILE, "--json"]);
    assert_eq!(json_out.status.code(), Some(0));
    let doc = stdout_json(&json_out);
    assert_eq!(only_result(&doc)["outcome"]["ok"], true);
    assert!(!doc.to_string().contains(API_KEY));
}

#[test]
fn check_with_a_wrong_key_fails() {
    let standin = OneSignalStandIn::start();
    let sandbox = Sandbox::with(common::Keyring::None, Some(WRONG_KEY.into()));
    sandbox.add_profile(PROFILE, &standin.base_url());
    let output = sandbox.run(&["check", PROFILE]);
    assert_exit(&output, 1);
    let out = stdout(&output);
    assert!(out.contains("refused the API key (403)"), "{out}");
    assert!(!out.contains("Key works"), "{out}");
}

#[test]
fn history_keeps_the_redacted_dump() {
    let (standin, sandbox) = setup();
    let sent = sandbox.run_draft(&["send", "--json"], PROFILE);
    assert_exit(&sent, 0);
    let sent = stdout_json(&sent);
    let id = sent["history_id"].as_str().expect("history_id").to_string();
    let message_id = only_result(&sent)["outcome"]["message_id"].clone();

    let list = sandbox.run(&["history", "list", "--json"]);
    assert_eq!(list.status.code(), Some(0));
    let list = stdout_json(&list);
    let entries = list["history"].as_array().expect("history list");
    assert_eq!(entries.len(), 1, "{list:#}");
    assert_eq!(entries[0]["id"], id.as_str());
    assert_eq!(entries[0]["ok"], true);
    assert_eq!(entries[0]["profile"], PROFILE);

    let show = sandbox.run(&["history", "show", &id, "--json"]);
    assert_exit(&show, 0);
    let show = stdout_json(&show);
    assert_eq!(show["id"], id.as_str());
    assert_eq!(show["provider"], "onesignal");
    assert_eq!(show["draft"]["message"]["title"], "Flash sale");
    let result = only_result(&show);
    let auth = request_header(&result["request"], "Authorization").expect("Authorization");
    assert!(auth.starts_with("Key os_v2_app_••••"), "{auth}");
    assert_eq!(result["response"]["status"], 200);
    assert_eq!(result["outcome"]["message_id"], message_id);
    assert!(!show.to_string().contains(API_KEY));

    let text = sandbox.run(&["history", "show", &id]);
    assert!(stdout(&text).contains("POST "), "{}", stdout(&text));
    assert!(!stdout(&text).contains(API_KEY));
    assert!(
        sandbox.files_containing(API_KEY).is_empty(),
        "the key was written to a file"
    );
    assert!(
        sandbox.file_count() >= 2,
        "profiles and history are on disk"
    );
    standin.assert_no_problems();
}

#[test]
fn providers_lists_onesignal() {
    let sandbox = Sandbox::new();
    let output = sandbox.run(&["providers", "--json"]);
    assert_eq!(output.status.code(), Some(0));
    let doc = stdout_json(&output);
    let onesignal = doc["providers"]
        .as_array()
        .expect("providers list")
        .iter()
        .find(|p| p["id"] == "onesignal")
        .expect("onesignal is listed")
        .clone();
    assert_eq!(onesignal["default_base_url"], "https://api.onesignal.com");
    assert_eq!(onesignal["settings"][0]["key"], "app_id");
    assert_eq!(onesignal["secrets"][0]["key"], "api_key");
    let audience: Vec<&str> = onesignal["audience"]
        .as_array()
        .expect("audience")
        .iter()
        .filter_map(|f| f["key"].as_str())
        .collect();
    assert_eq!(
        audience,
        [
            "segments",
            "exclude_segments",
            "filters",
            "external_ids",
            "subscription_ids"
        ]
    );
}

#[test]
fn dry_run_sends_nothing() {
    let (standin, sandbox) = setup();
    let output = sandbox.run_draft(&["send", "--dry-run", "--json"], PROFILE);
    assert_exit(&output, 0);
    let doc = stdout_json(&output);
    let result = only_result(&doc);
    assert!(result["response"].is_null(), "{result:#}");
    assert_eq!(result["request"]["method"], "POST");
    assert!(!doc.to_string().contains(API_KEY));
    assert_eq!(standin.hits(), 0, "--dry-run must not send");
    // The request it built is one the stand-in would accept.
    let body: Value =
        serde_json::from_str(result["request"]["body"].as_str().expect("body")).expect("JSON");
    assert_eq!(
        common::notification_problems(&body, APP_ID),
        Vec::<String>::new()
    );
}

#[test]
fn the_stand_in_checks_what_onesignal_checks() {
    // The schema and field checks themselves.
    let good = json!({"app_id": APP_ID, "contents": {"en": "Hi"}, "included_segments": ["All"]});
    assert_eq!(
        common::notification_problems(&good, APP_ID),
        Vec::<String>::new()
    );
    let problems = |body: Value| common::notification_problems(&body, APP_ID).join("\n");
    assert!(problems(json!({"app_id": APP_ID, "contents": "Hi"})).contains("schema"));
    assert!(problems(json!({"app_id": APP_ID, "ttl": "3600"})).contains("schema"));
    assert!(problems(json!({"app_id": APP_ID, "buttons": [{"text": "no id"}]})).contains("schema"));
    assert!(
        problems(json!({"app_id": APP_ID, "contents": {"en": "Hi"}, "titel": "x"}))
            .contains("`titel`")
    );
    assert!(
        problems(json!({"app_id": "another-app", "contents": {"en": "Hi"}})).contains("app_id")
    );
    assert!(problems(json!({"contents": {"en": "Hi"}})).contains("app_id"));

    // And over HTTP: the key, the content type, the JSON.
    let standin = OneSignalStandIn::start();
    let url = format!("{}/notifications", standin.base_url());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let post = |key: &str, content_type: &str, body: &str| {
        rt.block_on(async {
            let response = reqwest::Client::new()
                .post(&url)
                .header("Authorization", format!("Key {key}"))
                .header("Content-Type", content_type)
                .body(body.to_string())
                .send()
                .await
                .expect("the stand-in answers");
            (
                response.status().as_u16(),
                response.text().await.expect("body"),
            )
        })
    };
    let (status, body) = post(WRONG_KEY, "application/json", &good.to_string());
    assert_eq!((status, body.as_str()), (403, common::ACCESS_DENIED));
    assert_eq!(post(API_KEY, "text/plain", &good.to_string()).0, 400);
    assert_eq!(post(API_KEY, "application/json", "{nope").0, 400);
    let (status, body) = post(
        API_KEY,
        "application/json; charset=utf-8",
        &good.to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(answer["external_id"], Value::Null);
    assert_eq!(answer["id"].as_str().map(str::len), Some(36));
    assert_eq!(standin.hits(), 4);
    assert_eq!(standin.problems().len(), 2, "{:?}", standin.problems());
}

#[test]
fn lookup_segments_prints_each_segment_and_its_exchange_in_json() {
    let (standin, sandbox) = setup();
    let output = sandbox.run(&["lookup", PROFILE, "segments"]);
    crate::support::assert_exit_output(&output, 0);
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "one line per segment: {out}");
    assert!(
        lines.iter().any(|l| l.starts_with("Active Users\t")),
        "value, tab, label: {out}"
    );
    assert_eq!(
        standin.requests()[0].path,
        format!("/apps/{APP_ID}/segments")
    );

    let doc = stdout_json(&sandbox.run(&["lookup", PROFILE, "segments", "--json"]));
    let items = doc["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{doc}");
    assert_eq!(items[1]["value"], "Active Users");
    assert!(items[1]["label"].is_string());
    let result = only_result(&doc);
    assert_eq!(result["request"]["method"], "GET");
    assert_eq!(result["response"]["status"], 200);
    assert!(!doc.to_string().contains(API_KEY), "the key leaked: {doc}");
    standin.assert_no_problems();
}

#[test]
fn lookup_without_a_kind_lists_the_lookups_and_an_unknown_kind_names_them() {
    let (standin, sandbox) = setup();
    let output = sandbox.run(&["lookup", PROFILE]);
    crate::support::assert_says(&output, 0, &["segments\tLoad segments"]);
    let doc = stdout_json(&sandbox.run(&["lookup", PROFILE, "--json"]));
    assert_eq!(doc["kinds"][0]["id"], "segments");
    assert_eq!(doc["kinds"][0]["audience_key"], "segments");

    crate::support::assert_bad_input(
        &sandbox.run(&["lookup", PROFILE, "devices"]),
        &["`devices` is not a lookup of OneSignal", "`segments`"],
    );
    assert_eq!(
        standin.hits(),
        0,
        "nothing is sent for a listing or bad input"
    );
}

#[test]
fn lookup_with_a_wrong_key_is_refused_and_without_an_answer_is_a_transport_failure() {
    let standin = OneSignalStandIn::start();
    let sandbox = Sandbox::with(common::Keyring::None, Some(WRONG_KEY.into()));
    sandbox.add_profile(PROFILE, &standin.base_url());
    let refused = sandbox.run(&["lookup", PROFILE, "segments"]);
    crate::support::assert_says(&refused, 1, &["refused the API key (403)"]);

    let (_, unreachable) = setup();
    unreachable.add_profile(
        PROFILE,
        &format!("http://127.0.0.1:{}", common::closed_port()),
    );
    let output = unreachable.run(&["lookup", PROFILE, "segments", "--timeout", "5"]);
    crate::support::assert_exit_output(&output, 3);
}

#[test]
fn preview_refuses_a_made_up_filter_field_naming_it() {
    let (standin, sandbox) = setup();
    let draft = json!({"profile": PROFILE, "message": {"body": "Hi"}, "audience": {"filters": [
        {"field": "tag", "key": "plan", "relation": "=", "value": "pro"},
        {"operator": "OR"},
        {"field": "langage", "relation": "=", "value": "fr"}
    ]}});
    let path = sandbox.write("filters.json", &draft.to_string());
    let output = sandbox
        .cmd()
        .arg("preview")
        .arg(path)
        .output()
        .expect("runs");
    assert_bad_input(
        &output,
        "audience.filters[2].field: unknown filter field \"langage\"",
        &standin,
    );
    assert!(
        stderr(&output).contains("expected one of"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_legacy_rest_key_is_sent_as_basic_to_the_older_api_unless_the_profile_says_app() {
    const LEGACY_KEY: &str = "NGEwZmZmODAtZmZmZi00ZmZmLWZmZmYtZmZmZmZmZmZmZmZm";
    let standin = OneSignalStandIn::start_legacy(LEGACY_KEY);
    let sandbox = Sandbox::with(common::Keyring::None, Some(LEGACY_KEY.to_string()));
    let root = format!("{}/api/v1", standin.base_url());
    // No key_kind: the key's form (not os_v2_…) says legacy.
    sandbox.add_profile(PROFILE, &root);
    let output = sandbox.run_draft(&["send", "--json"], PROFILE);
    assert_exit(&output, 0);
    standin.assert_no_problems();
    let doc = stdout_json(&output);
    let request = &only_result(&doc)["request"];
    assert_eq!(request["url"], format!("{root}/notifications"));
    let auth = request_header(request, "Authorization").expect("Authorization header shown");
    assert!(
        auth.starts_with("Basic ") && auth.contains("••••"),
        "{auth}"
    );
    assert!(!doc.to_string().contains(LEGACY_KEY), "the key leaked");

    // key_kind=app: the same key goes as `Key …`, which the older API refuses.
    sandbox.add_provider_profile(
        "as-app",
        "onesignal",
        &root,
        &[("app_id", APP_ID), ("key_kind", "app")],
    );
    let output = sandbox.run_draft(&["send"], "as-app");
    assert_exit(&output, 1);
    assert!(
        stdout(&output).contains("refused the API key"),
        "{}",
        stdout(&output)
    );
}
