//! End to end: the real `pushdeck` binary against a local Pushbullet stand-in. The token comes
//! from `PUSHDECK_ACCESS_TOKEN`; no test here touches a real keyring.

use crate::support as common;
use crate::support::stand_ins::pushbullet as stand_in;
use crate::support::{
    CliSetup, assert_bad_input, assert_exit, assert_says, block_on, request_header,
};

use common::{Sandbox, stdout, stdout_json};
use serde_json::{Value, json};
use stand_in::{PushbulletStandIn, Scenario, TOKEN};

const PROFILE: &str = "me";

struct Setup {
    standin: PushbulletStandIn,
    sandbox: Sandbox,
    token: String,
}

impl Setup {
    fn new() -> Self {
        Self::with_token(TOKEN)
    }

    fn with_token(token: &str) -> Self {
        let standin = block_on(PushbulletStandIn::start_async());
        let sandbox = Sandbox::with(common::Keyring::None, None);
        let s = Setup {
            standin,
            sandbox,
            token: token.into(),
        };
        s.sandbox
            .add_provider_profile(PROFILE, "pushbullet", &s.standin.base_url(), &[]);
        s
    }
}

impl CliSetup for Setup {
    fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut c = self.sandbox.cmd();
        c.env("PUSHDECK_ACCESS_TOKEN", &self.token);
        c
    }
}

fn link_draft() -> Value {
    json!({
        "profile": PROFILE,
        "message": {"title": "Build #118", "body": "Passed", "url": "https://ci.example.com/118"},
        "audience": {"device_iden": "ujpah72o0sjAoRtnM0jc"}
    })
}

#[test]
fn link_push_to_a_device_shows_iden_and_rate_limit() {
    let s = Setup::new();
    let out = s.run_draft(&["send", "--json"], link_draft());
    crate::support::assert_exit_output(&out, 0);
    let doc = stdout_json(&out);
    let result = &doc["results"][0];
    assert_eq!(result["outcome"]["ok"], true);
    assert_eq!(result["outcome"]["message_id"], "ujpah72o0sjAsoRtnM0jc");
    let summary = result["outcome"]["summary"].as_str().expect("summary");
    assert!(
        summary.contains("rate limit 32767 of 32768 left, resets 2026-11-24 12:00:00 UTC"),
        "{summary}"
    );
    assert!(request_header(&result["response"], "x-ratelimit-remaining").is_some());
    let token_shown = request_header(&result["request"], "Access-Token").expect("header");
    assert!(
        token_shown.contains("••••") && !token_shown.contains(TOKEN),
        "{token_shown}"
    );
    assert!(!stdout(&out).contains(TOKEN));

    let seen = s.standin.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("access-token"), Some(TOKEN));
    let body = seen[0].json();
    assert_eq!(body["type"], "link");
    assert_eq!(body["url"], "https://ci.example.com/118");
    assert_eq!(body["device_iden"], "ujpah72o0sjAoRtnM0jc");
    assert!(body["guid"].as_str().is_some_and(|g| g.len() == 36));
    assert!(
        s.sandbox.files_containing(TOKEN).is_empty(),
        "token written to disk"
    );
}

#[test]
fn check_names_the_account_and_a_bad_token_is_explained() {
    let s = Setup::new();
    let out = s.run(&["check", PROFILE]);
    assert_says(
        &out,
        0,
        &["Token works: signed in as Elon Musk <elon@teslamotors.com>"],
    );

    let bad = Setup::with_token("o.wrongwrongwrongwrongwrong");
    let out = bad.run(&["check", PROFILE]);
    assert_says(
        &out,
        1,
        &[
            "refused the access token (401): Access token is missing or invalid.",
            "Create one at pushbullet.com",
        ],
    );
}

#[test]
fn two_targets_are_bad_input_and_nothing_is_sent() {
    let s = Setup::new();
    let mut d = link_draft();
    d["audience"]["email"] = json!("friend@example.com");
    let out = s.run_draft(&["send"], d);
    assert_bad_input(&out, &["audience", "one target"]);
    assert_eq!(s.standin.hits(), 0);
}

#[test]
fn a_push_to_every_user_of_an_oauth_client_carries_only_client_iden() {
    let s = Setup::new();
    let mut d = link_draft();
    d["audience"] = json!({"client_iden": "ujxPklLhvyKsjAvkMyTVh6"});
    crate::support::assert_exit_output(&s.run_draft(&["send"], d.clone()), 0);
    let body = s.standin.requests()[0].json();
    assert_eq!(body["client_iden"], "ujxPklLhvyKsjAvkMyTVh6");
    assert!(body.get("device_iden").is_none(), "{body}");

    d["audience"]["channel_tag"] = json!("acme");
    assert_bad_input(
        &s.run_draft(&["send"], d),
        &["audience", "channel_tag, client_iden"],
    );
    assert_eq!(s.standin.hits(), 1, "nothing more is sent on bad input");
}

#[test]
fn quota_and_rate_limit_are_explained() {
    let s = Setup::new();
    for (scenario, words) in [
        (Scenario::QuotaUsed, &["500 pushes a month"][..]),
        (
            Scenario::RateLimited,
            &[
                "rate limiting this account (429)",
                "rate limit 0 of 32768 left",
            ][..],
        ),
    ] {
        s.standin.set(scenario);
        assert_says(&s.run_draft(&["send"], link_draft()), 1, words);
    }
}

#[test]
fn an_unknown_device_is_explained() {
    let s = Setup::new();
    let mut d = link_draft();
    d["audience"]["device_iden"] = json!("gone0000");
    assert_says(&s.run_draft(&["send"], d), 1, &["Load devices again"]);
}

#[test]
fn preview_curl_refers_to_the_token_variable() {
    let s = Setup::new();
    let out = s.run_draft(&["preview", "--curl"], link_draft());
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("${PUSHDECK_ACCESS_TOKEN}"), "{text}");
    assert!(!text.contains(TOKEN));
    assert_eq!(s.standin.hits(), 0);
}

#[test]
fn providers_lists_pushbullet_fields() {
    let s = Setup::new();
    let out = s.run(&["providers", "--json"]);
    let text = stdout(&out);
    for key in ["pushbullet", "access_token", "device_iden", "channel_tag"] {
        assert!(text.contains(key), "{key} missing: {text}");
    }
}

/// A draft pushing the file at `path` to one device.
fn file_draft(path: &std::path::Path) -> Value {
    json!({
        "profile": PROFILE,
        "message": {"title": "Build log", "body": "Build #118 failed; log attached"},
        "audience": {"device_iden": "ujpah72o0sjAoRtnM0jc"},
        "options": {"file": path.display().to_string()}
    })
}

/// Bytes no text encoding would keep: every byte value, and a CRLF-dash line like a boundary.
fn awkward_bytes() -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..=255u8).collect();
    bytes.extend_from_slice(b"\r\n--pushdeck-not-the-boundary\r\n");
    bytes.extend((0..=255u8).rev());
    bytes
}

#[test]
fn a_file_push_uploads_the_exact_bytes_then_pushes_its_url() {
    let s = Setup::new();
    let path = s.sandbox.dir.path().join("build log.png");
    let bytes = awkward_bytes();
    std::fs::write(&path, &bytes).expect("write the file");
    let out = s.run_draft(&["send", "--json"], file_draft(&path));
    crate::support::assert_exit_output(&out, 0);
    s.standin.assert_no_problems();

    let uploads = s.standin.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(
        uploads[0].bytes, bytes,
        "the stand-in received the file byte for byte"
    );
    assert_eq!(uploads[0].file_name, "build log.png");
    assert_eq!(uploads[0].content_type, "image/png");

    let seen = s.standin.requests();
    let paths: Vec<&str> = seen.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/v2/upload-request", "/upload/1", "/v2/pushes"]);
    assert_eq!(
        seen[0].json(),
        json!({"file_name": "build log.png", "file_type": "image/png"})
    );
    assert_eq!(
        seen[1].header("access-token"),
        None,
        "no token to the upload host"
    );
    let push = seen[2].json();
    assert_eq!(push["type"], "file");
    assert_eq!(push["file_type"], "image/png");
    assert_eq!(push["body"], "Build #118 failed; log attached");
    assert!(
        push["file_url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/build log.png"))
    );

    // Each step is its own result row, in order, saying which step it was.
    let doc = stdout_json(&out);
    let results = doc["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    for (i, words) in ["upload slot", "Uploaded the file", "Pushed file"]
        .iter()
        .enumerate()
    {
        let summary = results[i]["outcome"]["summary"].as_str().unwrap_or("");
        assert!(
            summary.starts_with(&format!("Step {} of 3", i + 1)),
            "{summary}"
        );
        assert!(summary.contains(words), "{summary}");
        assert_eq!(results[i]["outcome"]["ok"], true);
    }
    assert!(!stdout(&out).contains(TOKEN));
}

#[test]
fn a_missing_file_is_bad_input_and_nothing_is_sent() {
    let s = Setup::new();
    let path = s.sandbox.dir.path().join("nowhere.pdf");
    assert_bad_input(
        &s.run_draft(&["send"], file_draft(&path)),
        &["options.file", "cannot open", "nowhere.pdf"],
    );
    assert_eq!(s.standin.hits(), 0);
}

#[test]
fn a_file_over_25_mb_is_refused_before_sending() {
    let s = Setup::new();
    let path = s.sandbox.dir.path().join("huge.bin");
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(25 * 1024 * 1024 + 1).expect("sparse file");
    assert_bad_input(
        &s.run_draft(&["send"], file_draft(&path)),
        &["options.file", "huge.bin", "over the 25.0 MB limit"],
    );
    assert_eq!(s.standin.hits(), 0);
}

#[test]
fn a_failed_upload_stops_before_the_push() {
    let s = Setup::new();
    s.standin.set(Scenario::UploadFails);
    let path = s.sandbox.dir.path().join("notes.txt");
    std::fs::write(&path, "remember the milk").expect("write");
    let out = s.run_draft(&["send"], file_draft(&path));
    assert_says(
        &out,
        1,
        &[
            "Step 2 of 3 (upload notes.txt",
            "failed: The upload was refused with HTTP 500: upload backend unavailable",
            "the later steps were not sent",
        ],
    );
    let paths: Vec<String> = s.standin.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        ["/v2/upload-request", "/upload/1"],
        "no push after a failed upload"
    );
}

#[test]
fn preview_shows_the_upload_request_and_names_the_later_steps() {
    let s = Setup::new();
    let path = s.sandbox.dir.path().join("report.pdf");
    std::fs::write(&path, "%PDF-1.7").expect("write");
    let out = s.run_draft(&["preview"], file_draft(&path));
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("POST ") && text.contains("/v2/upload-request"),
        "{text}"
    );
    assert!(
        text.contains("\"file_type\": \"application/pdf\""),
        "{text}"
    );
    let err = common::stderr(&out);
    assert!(
        err.contains("3 requests in sequence")
            && err.contains("2. upload report.pdf")
            && err.contains("3. push report.pdf"),
        "{err}"
    );
    let out = s.run_draft(&["send", "--dry-run"], file_draft(&path));
    assert_exit(&out, 0);
    let err = common::stderr(&out);
    assert!(
        err.contains("3 requests in sequence") && err.contains("2. upload report.pdf"),
        "a dry run names the later steps too: {err}"
    );
    assert_eq!(s.standin.hits(), 0);
}

#[test]
fn lookup_lists_devices_and_owned_channels_by_the_value_a_draft_names() {
    let s = Setup::new();
    let out = s.run(&["lookup", PROFILE]);
    assert_says(
        &out,
        0,
        &["devices\tLoad devices", "channels\tLoad channels"],
    );

    let out = s.run(&["lookup", PROFILE, "channels"]);
    crate::support::assert_exit_output(&out, 0);
    let text = stdout(&out);
    // The tag is what `audience.channel_tag` takes; a deleted channel is left out.
    assert_eq!(text.trim(), "acme-releases\tAcme releases", "{text}");
    let doc = stdout_json(&s.run(&["lookup", PROFILE, "channels", "--json"]));
    assert_eq!(doc["kinds"], Value::Null, "{doc}");
    assert_eq!(doc["items"][0]["value"], "acme-releases", "{doc}");
    assert!(!doc.to_string().contains(TOKEN), "the token leaked: {doc}");

    let out = s.run(&["lookup", PROFILE, "devices"]);
    assert!(stdout(&out).contains("Elon's iPhone"), "{}", stdout(&out));
}
