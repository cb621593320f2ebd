//! iOS 18 broadcast channels end to end: the real `pushdeck` binary creates, lists, shows and
//! deletes channels on the h2c APNs stand-in, and sends a Live Activity update to one.

use crate::apns::{PROFILE, run, setup};
use crate::support::stand_ins::apns::TOPIC;
use crate::support::{Sandbox, stderr, stdout, stdout_json};
use serde_json::json;

fn channel_draft(sandbox: &Sandbox, channel: &str) -> String {
    sandbox
        .write(
            "channel.json",
            &json!({"profile": PROFILE, "message": {},
                "audience": {"channel_id": channel},
                "options": {"priority": "low", "live_activity": {"event": "update",
                    "content_state": {"score": "2-1"}}}})
            .to_string(),
        )
        .to_string_lossy()
        .into_owned()
}

#[test]
fn create_list_send_show_and_delete_a_channel() {
    let (standin, sandbox) = setup();

    let out = run(
        &sandbox,
        &[
            "apns",
            "channels",
            "create",
            PROFILE,
            "--storage-policy",
            "most-recent-message",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let id = stdout(&out).trim().to_string();
    assert!(!id.is_empty() && id.ends_with('='), "the id alone: {id}");
    assert_eq!(standin.channels(), vec![id.clone()]);
    let create = &standin.requests()[0];
    assert_eq!(create.method, "POST");
    assert_eq!(create.path, format!("/1/apps/{TOPIC}/channels"));
    assert_eq!(create.version, "HTTP/2.0");
    assert_eq!(
        create.json(),
        json!({"message-storage-policy": 1, "push-type": "LiveActivity"})
    );

    let out = run(&sandbox, &["apns", "channels", "list", PROFILE, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = stdout_json(&out);
    assert_eq!(doc["channels"], json!([id]), "{doc:#}");
    let auth = doc["results"][0]["request"]["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .find(|h| h[0] == "authorization")
        .map(|h| h[1].as_str().expect("value").to_string())
        .expect("authorization");
    assert!(
        auth.matches('.').count() < 2,
        "the provider token is masked: {auth}"
    );
    // The same list through the generic lookup, as the window's Load channels does.
    let out = run(&sandbox, &["lookup", PROFILE, "channels"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with(&id), "{}", stdout(&out));

    let draft = channel_draft(&sandbox, &id);
    let out = run(&sandbox, &["send", "--json", &draft]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stderr(&out),
        stdout(&out)
    );
    standin.assert_no_problems();
    let doc = stdout_json(&out);
    let summary = doc["results"][0]["outcome"]["summary"].as_str().expect("s");
    assert!(
        summary.starts_with("Sent to the channel's subscribers: apns-request-id "),
        "{summary}"
    );
    let send = standin.requests().last().cloned().expect("the broadcast");
    assert_eq!(send.path, format!("/4/broadcasts/apps/{TOPIC}"));
    assert_eq!(send.header("apns-channel-id"), Some(id.as_str()));
    assert_eq!(send.header("apns-push-type"), Some("liveactivity"));
    assert_eq!(send.header("apns-priority"), Some("5"));
    assert_eq!(send.header("apns-topic"), None, "the path names the app");
    assert_eq!(send.json()["aps"]["event"], "update");
    assert_eq!(send.json()["aps"]["content-state"], json!({"score": "2-1"}));

    let out = run(&sandbox, &["apns", "channels", "show", PROFILE, &id]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("storage policy most-recent-message, push type LiveActivity"),
        "{}",
        stdout(&out)
    );

    let out = run(&sandbox, &["apns", "channels", "delete", PROFILE, &id]);
    assert_eq!(out.status.code(), Some(2), "needs --yes");
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert_eq!(standin.channels().len(), 1, "nothing deleted without --yes");
    let out = run(
        &sandbox,
        &["apns", "channels", "delete", PROFILE, &id, "--yes"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("Channel {id} deleted")));
    assert!(standin.channels().is_empty());
    let delete = standin.requests().last().cloned().expect("delete");
    assert_eq!(delete.method, "DELETE");
    assert_eq!(delete.path, format!("/1/apps/{TOPIC}/channels"));
    assert_eq!(delete.header("apns-channel-id"), Some(id.as_str()));
}

#[test]
fn an_unknown_channel_is_refused_with_the_reason_and_what_to_do() {
    let (standin, sandbox) = setup();
    let unknown = "bm90LWEtY2hhbm5lbA==";
    let out = run(&sandbox, &["apns", "channels", "show", PROFILE, unknown]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("ChannelNotRegistered"), "{text}");
    assert!(text.contains("apns-request-id"), "{text}");
    assert!(text.contains("other environment"), "the hint: {text}");

    let draft = channel_draft(&sandbox, unknown);
    let out = run(&sandbox, &["send", &draft]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("ChannelNotRegistered"),
        "{}",
        stdout(&out)
    );
    standin.assert_no_problems();
}

#[test]
fn bad_input_sends_nothing() {
    let (standin, sandbox) = setup();
    let out = run(
        &sandbox,
        &[
            "apns",
            "channels",
            "create",
            PROFILE,
            "--storage-policy",
            "forever",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`forever` is not a storage policy"),
        "{}",
        stderr(&out)
    );
    let out = run(
        &sandbox,
        &["apns", "channels", "show", PROFILE, "not base64!"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("base64"), "{}", stderr(&out));

    // A channel carries Live Activities only.
    let draft = sandbox.write(
        "alert.json",
        &json!({"profile": PROFILE, "message": {"title": "Goal"},
            "audience": {"channel_id": "Y2hhbm5lbA=="}})
        .to_string(),
    );
    let out = run(&sandbox, &["send", &draft.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("Live Activity"), "{}", stderr(&out));
    assert_eq!(standin.hits(), 0, "nothing was sent");
}

#[test]
fn channels_need_an_apns_profile() {
    let (_standin, sandbox) = setup();
    sandbox.add_provider_profile("bot", "telegram", "http://127.0.0.1:9", &[]);
    let out = run(&sandbox, &["apns", "channels", "list", "bot"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("needs an APNs profile"),
        "{}",
        stderr(&out)
    );
}
