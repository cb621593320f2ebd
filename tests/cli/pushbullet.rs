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
