//! End to end: the real `pushdeck` binary against a local Telegram Bot API stand-in that checks
//! every parameter against the Bot API spec. The token comes from `PUSHDECK_BOT_TOKEN`; no test here
//! touches a real keyring.

use crate::support as common;
use crate::support::stand_ins::telegram as stand_in;
use crate::support::{assert_complains, assert_exit, assert_says};

use std::time::{Duration, Instant};

use common::{Keyring, Sandbox, stderr, stdout, stdout_json};
use serde_json::{Value, json};
use stand_in::{BOT_NAME, BOT_USERNAME, TOKEN, TelegramStandIn, WRONG_TOKEN};

const PROFILE: &str = "acme-bot";

fn setup() -> (TelegramStandIn, Sandbox) {
    let standin = TelegramStandIn::start();
    let sandbox = Sandbox::with(Keyring::None, None);
    sandbox.add_provider_profile(PROFILE, "telegram", &standin.base_url(), &[]);
    (standin, sandbox)
}

fn run(sandbox: &Sandbox, token: &str, args: &[&str]) -> std::process::Output {
    sandbox
        .cmd()
        .env("PUSHDECK_BOT_TOKEN", token)
        .args(args)
        .output()
        .expect("runs")
}

fn draft(sandbox: &Sandbox, value: Value) -> String {
    sandbox
        .write("draft.json", &value.to_string())
        .to_string_lossy()
        .into_owned()
}

/// `pushdeck ARGS DRAFT` with the bot token, the draft written from `value`.
fn run_draft(sandbox: &Sandbox, args: &[&str], value: Value) -> std::process::Output {
    let path = draft(sandbox, value);
    let mut args = args.to_vec();
    args.push(&path);
    run(sandbox, TOKEN, &args)
}

fn assert_no_token(output: &std::process::Output) {
    let all = format!("{}{}", stdout(output), stderr(output));
    assert!(!all.contains(TOKEN), "the bot token leaked:\n{all}");
}

#[test]
fn check_names_the_bot_and_masks_the_token() {
    let (standin, sandbox) = setup();
    let out = run(&sandbox, TOKEN, &["check", PROFILE]);
    crate::support::assert_exit_output(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains(BOT_NAME) && text.contains(&format!("@{BOT_USERNAME}")),
        "{text}"
    );
    assert_no_token(&out);

    let out = run(&sandbox, TOKEN, &["check", PROFILE, "--json"]);
    let doc = stdout_json(&out);
    let url = doc["results"][0]["request"]["url"].as_str().expect("url");
    assert!(url.ends_with("/getMe") && url.contains("••••"), "{url}");
    assert_no_token(&out);
    standin.assert_no_problems();

    let out = run(&sandbox, WRONG_TOKEN, &["check", PROFILE]);
    assert_says(&out, 1, &["refused the bot token", "@BotFather"]);
}

#[test]
fn fan_out_gives_one_row_per_chat_with_reasons_in_words() {
    let (standin, sandbox) = setup();
    let path = draft(
        &sandbox,
        json!({
            "profile": PROFILE,
            "message": {"title": "Release 2.0", "body": "Faster & smaller (50%)!", "url": "https://acme.example/r",
                        "buttons": [{"id": "notes", "label": "Notes", "url": "https://acme.example/notes"},
                                    {"id": "ack", "label": "Got it"}]},
            "audience": {"chat_ids": [42, "@acme_news", "403403", "@acme_readonly", "-555"]},
            "options": {"disable_notification": true, "protect_content": true, "disable_link_preview": true}
        }),
    );
    let out = run(&sandbox, TOKEN, &["send", "--json", &path]);
    crate::support::assert_exit_output(&out, 1);
    assert_no_token(&out);
    standin.assert_no_problems();
    let doc = stdout_json(&out);
    let rows = doc["results"].as_array().expect("rows");
    let by = |r: &str| {
        rows.iter()
            .find(|row| row["recipient"] == r)
            .unwrap_or_else(|| panic!("no row for {r}: {doc:#}"))
    };
    assert_eq!(rows.len(), 5);
    for ok in ["42", "@acme_news"] {
        let o = &by(ok)["outcome"];
        assert_eq!(o["ok"], true, "{o}");
        assert!(o["message_id"].as_str().is_some(), "{o}");
    }
    let reason = |r: &str| {
        by(r)["outcome"]["summary"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert!(
        reason("403403").contains("blocked the bot"),
        "{}",
        reason("403403")
    );
    assert!(
        reason("@acme_readonly").contains("not allowed to post"),
        "{}",
        reason("@acme_readonly")
    );
    assert!(
        reason("-555").contains("Chat not found"),
        "{}",
        reason("-555")
    );

    let sends: Vec<_> = standin
        .calls()
        .into_iter()
        .filter(|s| s.method == "sendMessage")
        .collect();
    assert_eq!(sends.len(), 5);
    let first = &sends
        .iter()
        .find(|s| s.params["chat_id"] == json!(42))
        .expect("42")
        .params;
    assert_eq!(first["parse_mode"], "HTML");
    assert_eq!(
        first["text"],
        "<b>Release 2.0</b>\nFaster &amp; smaller (50%)!\n<a href=\"https://acme.example/r\">https://acme.example/r</a>"
    );
    assert_eq!(
        first["reply_markup"]["inline_keyboard"][1][0]["callback_data"],
        "ack"
    );
    assert_eq!(first["link_preview_options"]["is_disabled"], true);
    assert_eq!(first["disable_notification"], true);
    assert_eq!(first["protect_content"], true);
}

#[test]
fn a_429_is_retried_after_retry_after() {
    let (standin, sandbox) = setup();
    let started = Instant::now();
    let out = run_draft(
        &sandbox,
        &["send"],
        json!({"profile": PROFILE, "message": {"body": "hello"}, "audience": {"chat_ids": ["429429"]}}),
    );
    crate::support::assert_exit_output(&out, 0);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited retry_after"
    );
    let sends = standin
        .calls()
        .into_iter()
        .filter(|s| s.method == "sendMessage")
        .count();
    assert_eq!(sends, 2, "one rate-limited attempt, one accepted");
    standin.assert_no_problems();
}

#[test]
fn photo_goes_with_a_caption_and_markdown_v2() {
    let (standin, sandbox) = setup();
    let out = run_draft(
        &sandbox,
        &["send", "--json"],
        json!({"profile": PROFILE, "message": {"title": "New v1.2", "body": "Look!", "image": "https://acme.example/p.png"},
               "audience": {"chat_ids": ["42"]}, "options": {"parse_mode": "MarkdownV2", "message_thread_id": 3}}),
    );
    crate::support::assert_exit_output(&out, 0);
    standin.assert_no_problems();
    let seen = standin.calls();
    let photo = seen
        .iter()
        .find(|s| s.method == "sendPhoto")
        .expect("sendPhoto");
    assert_eq!(photo.params["caption"], "*New v1\\.2*\nLook\\!");
    assert_eq!(photo.params["photo"], "https://acme.example/p.png");
    assert_eq!(photo.params["message_thread_id"], 3);
}

#[test]
fn a_bot_that_writes_legacy_markdown_sends_it_in_any_letter_case() {
    let (standin, sandbox) = setup();
    for (mode, options) in [
        (
            "Markdown",
            json!({"parse_mode": "Markdown", "user_markup": true}),
        ),
        (
            "markdown",
            json!({"parse_mode": "markdown", "user_markup": true}),
        ),
    ] {
        let out = run_draft(
            &sandbox,
            &["send"],
            json!({"profile": PROFILE, "message": {"title": "Deploy_42", "body": "*done* in _3 min_, see [log](https://ci.example/1) `ok`"},
                   "audience": {"chat_ids": ["42"]}, "options": options}),
        );
        crate::support::assert_exit_output(&out, 0);
        let calls = standin.calls();
        let sent = &calls.last().expect("sent").params;
        assert_eq!(sent["parse_mode"], "Markdown", "{mode}");
        assert_eq!(
            sent["text"],
            "*Deploy*\\_*42*\n*done* in _3 min_, see [log](https://ci.example/1) `ok`",
            "{mode}"
        );
    }
    // Other modes in lower case go out with the canonical spelling.
    for (mode, wire) in [("markdownv2", "MarkdownV2"), ("html", "HTML")] {
        let out = run_draft(
            &sandbox,
            &["send"],
            json!({"profile": PROFILE, "message": {"body": "hi"}, "audience": {"chat_ids": ["42"]},
                   "options": {"parse_mode": mode}}),
        );
        crate::support::assert_exit_output(&out, 0);
        assert_eq!(
            standin.calls().last().expect("sent").params["parse_mode"],
            wire
        );
    }
    standin.assert_no_problems();
}

#[test]
fn markup_errors_are_caught_before_sending_and_telegram_errors_explained() {
    let (standin, sandbox) = setup();
    let long = "x".repeat(4097);
    let to_42 = json!({"chat_ids": ["42"]});
    // (story, message, audience, options, exit status, words: on stderr for bad input (2), else
    // on stdout)
    for (story, message, audience, options, code, words) in [
        (
            "broken MarkdownV2 is refused locally",
            json!({"body": "Save 5.00 now"}),
            to_42.clone(),
            json!({"parse_mode": "MarkdownV2", "user_markup": true}),
            2,
            &["message.body", "character 7"][..],
        ),
        (
            "broken legacy Markdown is refused locally, naming the problem",
            json!({"body": "Deploy *done"}),
            to_42.clone(),
            json!({"parse_mode": "markdown", "user_markup": true}),
            2,
            &["message.body", "character 8", "bold (*)", "never closed"][..],
        ),
        (
            "nested legacy Markdown is refused locally",
            json!({"body": "*bold _italic_*"}),
            to_42.clone(),
            json!({"parse_mode": "Markdown", "user_markup": true}),
            2,
            &["character 7", "cannot nest"][..],
        ),
        (
            "an unknown parse mode is refused locally",
            json!({"body": "x"}),
            to_42.clone(),
            json!({"parse_mode": "Textile"}),
            2,
            &["options.parse_mode", "Markdown (legacy)"][..],
        ),
        (
            "a chat twice is refused locally",
            json!({"body": "x"}),
            json!({"chat_ids": ["42", "42"]}),
            Value::Null,
            2,
            &["audience.chat_ids[1]"][..],
        ),
        (
            "a raw payload is not checked locally: Telegram's own refusal is explained",
            json!({}),
            to_42.clone(),
            json!({"raw": {"text": "v1.2 is out", "parse_mode": "MarkdownV2"}}),
            1,
            &["could not read the formatting"][..],
        ),
        (
            "too long for Telegram: refused locally with the count",
            json!({"body": long}),
            to_42.clone(),
            Value::Null,
            2,
            &["4097"][..],
        ),
        (
            "too long for Telegram, sent raw: explained",
            json!({}),
            to_42.clone(),
            json!({"raw": {"text": long}}),
            1,
            &["too long"][..],
        ),
    ] {
        let hits = standin.hits();
        let mut value = json!({"profile": PROFILE, "message": message, "audience": audience});
        if options != Value::Null {
            value["options"] = options;
        }
        let out = run_draft(&sandbox, &["send"], value);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{story}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        let text = if code == 2 {
            stderr(&out)
        } else {
            stdout(&out)
        };
        for w in words {
            assert!(text.contains(w), "{story}: should say `{w}`: {text}");
        }
        if code == 2 {
            assert_eq!(
                text.trim_end().lines().count(),
                1,
                "{story}: one line: {text}"
            );
            assert_eq!(
                standin.hits(),
                hits,
                "{story}: nothing may be sent on bad input"
            );
        }
    }
    standin.assert_no_problems();
}

#[test]
fn preview_and_curl_never_show_the_token() {
    let (standin, sandbox) = setup();
    let path = draft(
        &sandbox,
        json!({"profile": PROFILE, "message": {"body": "hi"}, "audience": {"chat_ids": ["42", "@acme_news"]}}),
    );
    let out = run(&sandbox, TOKEN, &["preview", "--curl", &path]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("${PUSHDECK_BOT_TOKEN}"), "{text}");
    assert_eq!(text.matches("sendMessage").count(), 2, "{text}");
    assert_no_token(&out);
    let out = run(&sandbox, TOKEN, &["preview", "--reveal", &path]);
    assert!(stdout(&out).contains(TOKEN));
    assert_eq!(standin.hits(), 0);
    // History keeps no token either.
    assert!(sandbox.files_containing(TOKEN).is_empty());
}

#[test]
fn chats_webhook_and_link_commands() {
    let (standin, sandbox) = setup();
    // A deep link, then someone opens it.
    let out = run(&sandbox, TOKEN, &["telegram", "link", PROFILE]);
    assert_exit(&out, 0);
    let link = stdout(&out).trim().to_string();
    let prefix = format!("https://t.me/{BOT_USERNAME}?start=");
    let token = link.strip_prefix(&prefix).expect("a t.me link").to_string();
    assert_eq!(token.len(), 22, "{link}");
    standin.private_message(42, "Ada", "ada", &format!("/start {token}"));
    standin.added_to_channel(-100_777, "Acme News");

    let out = run(&sandbox, TOKEN, &["telegram", "chats", PROFILE]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains(&format!("42\tprivate\tAda (@ada)  start={token}")),
        "{text}"
    );
    assert!(text.contains("-100777\tchannel\tAcme News"), "{text}");
    let out = run(&sandbox, TOKEN, &["telegram", "chats", PROFILE, "--json"]);
    let doc = stdout_json(&out);
    assert_eq!(doc["chats"][0]["start_payload"], json!(token));
    assert_no_token(&out);

    // A webhook blocks getUpdates: said in words, with what to do.
    standin.set_webhook(Some("https://hooks.acme.example/tg"));
    let out = run(&sandbox, TOKEN, &["telegram", "chats", PROFILE]);
    assert_says(&out, 1, &["A webhook is set"]);
    let out = run(&sandbox, TOKEN, &["telegram", "webhook", PROFILE]);
    assert_says(
        &out,
        0,
        &[
            "Webhook URL: https://hooks.acme.example/tg",
            "Pending updates: 2",
        ],
    );

    let hits = standin.hits();
    let out = run(
        &sandbox,
        TOKEN,
        &["telegram", "webhook", PROFILE, "--delete"],
    );
    assert_complains(&out, 2, &["--yes", "stop"]);
    let out = run(
        &sandbox,
        TOKEN,
        &[
            "telegram",
            "webhook",
            PROFILE,
            "--set",
            "http://plain.example/x",
        ],
    );
    assert_complains(&out, 2, &["https"]);
    assert_eq!(standin.hits(), hits, "nothing sent on bad input");
    assert!(standin.webhook().is_some());

    let out = run(
        &sandbox,
        TOKEN,
        &["telegram", "webhook", PROFILE, "--delete", "--yes"],
    );
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("Webhook was deleted") && stdout(&out).contains("No webhook is set"),
        "{}",
        stdout(&out)
    );
    assert_eq!(standin.webhook(), None);

    let out = run(
        &sandbox,
        TOKEN,
        &[
            "telegram",
            "webhook",
            PROFILE,
            "--set",
            "https://hooks.acme.example/new",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(
        standin.webhook().as_deref(),
        Some("https://hooks.acme.example/new")
    );
    standin.assert_no_problems();
}

#[test]
fn on_a_busy_bot_chats_says_the_newest_may_be_missing_and_newest_reads_them() {
    let (standin, sandbox) = setup();
    for _ in 0..120 {
        standin.private_message(7, "Bo", "bo", "hello");
    }
    standin.private_message(42, "Ada", "ada", "/start fresh");

    // The default read shows the oldest 100 and says more are waiting; it confirms nothing.
    let out = run(&sandbox, TOKEN, &["telegram", "chats", PROFILE]);
    assert_complains(
        &out,
        0,
        &[
            "more pending updates than one read shows; the newest may be missing",
            "--newest",
            "forgets them",
        ],
    );
    assert!(!stdout(&out).contains("Ada"), "{}", stdout(&out));
    let doc = stdout_json(&run(
        &sandbox,
        TOKEN,
        &["telegram", "chats", PROFILE, "--json"],
    ));
    assert_eq!(doc["more_pending"], true);
    let reads: Vec<_> = standin
        .calls()
        .into_iter()
        .filter(|c| c.method == "getUpdates")
        .collect();
    assert!(reads.iter().all(|c| c.params.get("offset").is_none()));

    // --newest reads from the newest end (offset -100), finding the fresh /start.
    let out = run(&sandbox, TOKEN, &["telegram", "chats", PROFILE, "--newest"]);
    assert_says(&out, 0, &["42\tprivate\tAda (@ada)  start=fresh"]);
    assert!(!stderr(&out).contains("more pending"), "{}", stderr(&out));
    let calls = standin.calls();
    assert_eq!(calls.last().expect("read").params["offset"], -100);
    standin.assert_no_problems();
}

/// A list of chats streams at Telegram's pace: each chat gets its message once (a 429 with
/// retry_after is waited and retried for that chat alone), never more than about 30 start in a
/// second, a blocked chat (403) is recorded for that chat, and `resume` sends only to it.
#[test]
fn a_chat_list_streams_once_per_chat_at_telegrams_pace_and_resumes_to_the_rest() {
    use stand_in::{BLOCKED, FANS, FLOODED};
    let (standin, sandbox) = setup();
    let mut chats: Vec<Value> = FANS.take(88).map(|id| json!(id)).collect();
    chats.insert(20, json!(FLOODED.to_string()));
    chats.insert(60, json!(BLOCKED));
    let out = run_draft(
        &sandbox,
        &["send", "--json"],
        json!({"profile": PROFILE, "message": {"body": "Release 2.0 is out"},
               "audience": {"chat_ids": chats}}),
    );
    assert_exit(&out, 1);
    standin.assert_no_problems();
    assert_no_token(&out);

    let sends: Vec<_> = standin
        .calls()
        .into_iter()
        .filter(|c| c.method == "sendMessage")
        .collect();
    let mut per_chat = std::collections::BTreeMap::<String, usize>::new();
    for c in &sends {
        *per_chat.entry(c.params["chat_id"].to_string()).or_default() += 1;
    }
    assert_eq!(per_chat.len(), 90, "every chat reached");
    for (chat, n) in &per_chat {
        let expected = if *chat == FLOODED.to_string() { 2 } else { 1 };
        assert_eq!(*n, expected, "chat {chat}");
    }
    // About 30 a second overall: 91 starts take at least three seconds, and no one-second window
    // holds more than 30 plus the 8 in flight (a stalled machine releases the slots they
    // reserved together); unpaced, all 91 would arrive within a fraction of a second.
    let mut at: Vec<_> = sends.iter().map(|c| c.at).collect();
    at.sort();
    for (i, first) in at.iter().enumerate() {
        let within = at[i..]
            .iter()
            .take_while(|t| t.duration_since(*first) < Duration::from_secs(1))
            .count();
        assert!(within <= 38, "{within} messages within one second");
    }
    assert!(at[at.len() - 1].duration_since(at[0]) >= Duration::from_millis(2900));

    let doc = stdout_json(&out);
    let results = doc["results"].as_array().expect("results");
    assert_eq!(results.len(), 90);
    let failed: Vec<&Value> = results
        .iter()
        .filter(|r| r["outcome"]["ok"] != true)
        .collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0]["recipient"], BLOCKED.to_string());
    assert!(
        failed[0]["outcome"]["summary"]
            .as_str()
            .unwrap_or("")
            .contains("blocked"),
        "{:#}",
        failed[0]
    );
    let flooded = results
        .iter()
        .find(|r| r["recipient"].as_str() == Some(FLOODED.to_string().as_str()))
        .expect("the flooded chat's row");
    assert_eq!(flooded["outcome"]["ok"], true, "{flooded:#}");

    // History knows who was reached; a resume sends to the blocked chat alone.
    let list = stdout_json(&run(&sandbox, TOKEN, &["history", "list", "--json"]));
    let newest = &list["history"][0];
    assert_eq!(
        (newest["recipients"].clone(), newest["reached"].clone()),
        (json!(90), json!(89)),
        "{newest:#}"
    );
    let id = newest["id"].as_str().expect("id").to_string();
    let before = sends.len();
    let out = run(&sandbox, TOKEN, &["resume", &id, "--yes"]);
    assert_exit(&out, 1);
    let again: Vec<_> = standin
        .calls()
        .into_iter()
        .filter(|c| c.method == "sendMessage")
        .skip(before)
        .collect();
    assert_eq!(again.len(), 1, "only the chat not reached");
    assert_eq!(again[0].params["chat_id"], json!(BLOCKED));
    assert!(
        stdout(&out).contains("the 89 already reached were skipped"),
        "{}",
        stdout(&out)
    );
}
