//! A campaign from the real `pushdeck` binary: one message to four local stand-ins of different
//! providers (OneSignal, Telegram, Web Push with 3 subscriptions, ntfy) at once. Each stand-in
//! receives exactly its requests; a target answering 500 does not stop the others, and
//! `pushdeck resume CAMPAIGN_ID` sends again only what failed.

use crate::support::stand_ins::ntfy::{NtfyStandIn, Scenario};
use crate::support::stand_ins::telegram::{self, TelegramStandIn};
use crate::support::stand_ins::webpush::PushService;
use crate::support::{
    API_KEY, Keyring, OneSignalStandIn, Sandbox, assert_exit, stderr, stdout, stdout_json,
};
use pushdeck::provider::webpush::vapid::VapidKey;
use serde_json::{Value, json};

pub struct Four {
    pub onesignal: OneSignalStandIn,
    pub telegram: TelegramStandIn,
    pub push: PushService,
    pub ntfy: NtfyStandIn,
    pub sandbox: Sandbox,
    pub key: VapidKey,
    pub subscriptions: Vec<Value>,
}

impl Four {
    pub fn start() -> Self {
        let onesignal = OneSignalStandIn::start();
        let telegram = TelegramStandIn::start();
        let push = PushService::start();
        let ntfy = NtfyStandIn::start();
        let sandbox = Sandbox::with(Keyring::None, None);
        let key = VapidKey::generate().expect("key");
        sandbox.add_profile("app", &onesignal.base_url());
        sandbox.add_provider_profile("channel", "telegram", &telegram.base_url(), &[]);
        sandbox.add_profile_at(
            "site",
            "webpush",
            None,
            &[
                ("subject", "mailto:ops@example.com"),
                ("vapid_public_key", &key.public_key_b64()),
            ],
        );
        sandbox.add_provider_profile("alerts", "ntfy", &ntfy.base_url(), &[]);
        let subscriptions = ["ana", "ben", "cy"]
            .iter()
            .map(|id| push.subscribe(id, None))
            .collect();
        Self {
            onesignal,
            telegram,
            push,
            ntfy,
            sandbox,
            key,
            subscriptions,
        }
    }

    pub fn campaign(&self) -> Value {
        json!({
            "message": {"title": "Flash sale", "body": "50% off everything until midnight",
                        "url": "https://example.com/sale"},
            "targets": [
                {"profile": "app", "audience": {"segments": ["Active Users"]}},
                {"profile": "channel", "audience": {"chat_ids": [telegram::CHANNEL]}},
                {"profile": "site", "audience": {"subscriptions": self.subscriptions}},
                {"profile": "alerts", "audience": {"topic": "sales"}, "options": {"priority": "high"}}
            ]
        })
    }

    pub fn write(&self, value: &Value) -> String {
        self.sandbox
            .write("campaign.json", &value.to_string())
            .to_string_lossy()
            .into_owned()
    }

    /// `pushdeck ARGS` with every target's secret in the environment.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        self.sandbox
            .cmd()
            .args(args)
            .env("PUSHDECK_API_KEY", API_KEY)
            .env("PUSHDECK_BOT_TOKEN", telegram::TOKEN)
            .env(
                "PUSHDECK_VAPID_PRIVATE_KEY",
                self.key.private_key_b64().expect("export"),
            )
            .output()
            .expect("runs")
    }

    /// Requests each stand-in received: OneSignal, Telegram sendMessage, Web Push, ntfy.
    pub fn counts(&self) -> [usize; 4] {
        [
            self.onesignal.requests().len(),
            self.telegram
                .calls()
                .iter()
                .filter(|c| c.method == "sendMessage")
                .count(),
            self.push.requests().len(),
            self.ntfy.requests().len(),
        ]
    }
}

fn targets_of(doc: &Value) -> Vec<(String, u64)> {
    doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["target"].as_str().expect("target").to_string(),
                r["target_index"].as_u64().expect("index"),
            )
        })
        .collect()
}

#[test]
fn a_campaign_sends_each_target_exactly_its_requests() {
    let four = Four::start();
    let path = four.write(&four.campaign());

    // The preview shows every target's requests, nothing sent.
    let out = four.run(&["preview", &path]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    for head in [
        "== target 1 of 4 · app (onesignal)",
        "== target 2 of 4 · channel (telegram)",
        "== target 3 of 4 · site (webpush)",
        "== target 4 of 4 · alerts (ntfy)",
    ] {
        assert!(text.contains(head), "{head} missing:\n{text}");
    }
    assert_eq!(four.counts(), [0, 0, 0, 0]);

    // A dry run builds every target's requests, sends none and records nothing.
    let out = four.run(&["send", &path, "--dry-run", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(targets_of(&stdout_json(&out)).len(), 6);
    assert_eq!(four.counts(), [0, 0, 0, 0]);
    let list = stdout_json(&four.run(&["history", "list", "--json"]));
    assert_eq!(list["history"].as_array().map(Vec::len), Some(0), "{list}");

    let out = four.run(&["send", &path, "--json"]);
    assert_exit(&out, 0);
    let doc = stdout_json(&out);
    let mut targets = targets_of(&doc);
    targets.sort();
    assert_eq!(
        targets,
        [
            ("alerts".to_string(), 3),
            ("app".to_string(), 0),
            ("channel".to_string(), 1),
            ("site".to_string(), 2),
            ("site".to_string(), 2),
            ("site".to_string(), 2),
        ]
    );
    assert_eq!(four.counts(), [1, 1, 3, 1]);
    assert_eq!(four.push.delivered().len(), 3);
    four.onesignal.assert_no_problems();
    four.ntfy.assert_no_problems();
    four.telegram.assert_no_problems();

    // One history row for the whole campaign.
    let id = doc["history_id"].as_str().expect("campaign id");
    let list = stdout_json(&four.run(&["history", "list", "--json"]));
    let rows = list["history"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{list}");
    assert_eq!(rows[0]["id"], json!(id));
    assert_eq!(rows[0]["summary"], json!("4 of 4 targets accepted"));
    let shown = stdout_json(&four.run(&["history", "show", id, "--json"]));
    assert_eq!(shown["targets"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        shown["campaign"]["targets"][2]["audience"]["subscriptions"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "reopening restores every target's audience"
    );
}

#[test]
fn a_failing_target_does_not_stop_the_others_and_resume_sends_only_it() {
    let four = Four::start();
    four.ntfy.set(Scenario::ServerError);
    let path = four.write(&four.campaign());
    let out = four.run(&["send", &path]);
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(text.contains("3 of 4 targets accepted"), "{text}");
    assert!(text.contains("== target 4 of 4 · alerts (ntfy)"), "{text}");
    assert_eq!(four.counts(), [1, 1, 3, 1]);
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("Saved to history as "))
        .and_then(|l| l.split(' ').next())
        .expect("campaign id")
        .to_string();

    four.ntfy.set(Scenario::Ok);
    let out = four.run(&["resume", &id, "--yes", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(targets_of(&stdout_json(&out)), [("alerts".to_string(), 3)]);
    assert_eq!(four.counts(), [1, 1, 3, 2], "only ntfy was sent again");
    let list = stdout_json(&four.run(&["history", "list", "--json"]));
    assert_eq!(
        list["history"][0]["summary"],
        json!("4 of 4 targets accepted")
    );

    // `--only` sends one target of the file.
    let out = four.run(&["send", &path, "--only", "channel", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(targets_of(&stdout_json(&out)), [("channel".to_string(), 1)]);
    assert_eq!(four.counts(), [1, 2, 3, 2]);
}

#[test]
fn a_target_with_a_missing_profile_is_bad_input_and_nothing_is_sent() {
    let four = Four::start();
    let mut campaign = four.campaign();
    campaign["targets"][1]["profile"] = json!("nope");
    let out = four.run(&["send", &four.write(&campaign)]);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("targets[1]") && err.contains("`nope`") && err.contains("nothing was sent"),
        "{err}"
    );

    // A bad audience names the target's field; no target is sent to.
    let mut campaign = four.campaign();
    campaign["targets"][3]["audience"] = json!({"topic": "no spaces allowed"});
    let out = four.run(&["send", &four.write(&campaign)]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("targets[3].audience.topic"),
        "{}",
        stderr(&out)
    );
    let out = four.run(&["send", &four.write(&four.campaign()), "--only", "ghost"]);
    assert_exit(&out, 2);
    assert_eq!(four.counts(), [0, 0, 0, 0]);
}
