use serde_json::json;
use time::macros::datetime;

use super::chats::*;
use super::payload::*;
use super::*;
use crate::http::{Body, ResponseDump};
use crate::outcome::{LookupItem, Verdict};
use crate::provider::PrepareContext;

const TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

fn profile() -> Profile {
    Profile::new("acme-bot", "telegram")
}

fn secrets() -> Secrets {
    let mut s = Secrets::default();
    s.insert("bot_token", TOKEN.into());
    s
}

/// `f` given the context a send of `draft` with the test profile and bot token has.
fn with_context<T>(draft: &Draft, f: impl FnOnce(&PrepareContext<'_>) -> T) -> T {
    f(&PrepareContext {
        draft,
        profile: &profile(),
        secrets: &secrets(),
        now: datetime!(2026-11-24 12:00 UTC),
        idempotency_key: "0f8fad5b-d9cb-469f-a165-70867728950e",
        token: None,
        dry_run: false,
    })
}

fn prepare(draft: &Draft) -> Result<Prepared, DraftError> {
    with_context(draft, |ctx| Telegram.prepare(ctx))
}

fn draft(json: serde_json::Value) -> Draft {
    Draft::from_json(&json.to_string()).expect("valid draft")
}

fn exchange(status: u16, body: &str) -> Exchange {
    let request = PreparedRequest::new("POST", "https://api.telegram.org/botX/sendMessage");
    let mut ex = Exchange::unsent(request);
    ex.response = Some(ResponseDump {
        status,
        reason: String::new(),
        version: "HTTP/1.1".into(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Body::Text(body.into()),
        truncated: false,
    });
    ex
}

/// Title, body with reserved characters, a link, two buttons, every option: byte for byte.
#[test]
fn html_message_byte_for_byte() {
    let d = draft(json!({
        "profile": "acme-bot",
        "message": {
            "title": "Release <v2.0>",
            "body": "Fixes & speed-ups: 50% faster!",
            "url": "https://acme.example/r?v=2&x=1",
            "buttons": [
                {"id": "notes", "label": "Notes", "url": "https://acme.example/notes"},
                {"id": "ack:1", "label": "Got it"}
            ]
        },
        "audience": {"chat_ids": ["123456789", -1001234567890_i64, "@acme_news"]},
        "options": {"disable_notification": true, "protect_content": true,
                    "disable_link_preview": true, "message_thread_id": 7}
    }));
    let p = prepare(&d).expect("prepares");
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(p.requests.len(), 3);
    let r = &p.requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(
        r.url,
        format!("https://api.telegram.org/bot{TOKEN}/sendMessage")
    );
    assert_eq!(r.recipient.as_deref(), Some("123456789"));
    assert_eq!(r.secrets.len(), 1);
    assert_eq!(r.secrets[0].field, "bot_token");
    let expected = r#"{
  "chat_id": 123456789,
  "message_thread_id": 7,
  "text": "<b>Release &lt;v2.0&gt;</b>\nFixes &amp; speed-ups: 50% faster!\n<a href=\"https://acme.example/r?v=2&amp;x=1\">https://acme.example/r?v=2&amp;x=1</a>",
  "parse_mode": "HTML",
  "link_preview_options": {
    "is_disabled": true
  },
  "disable_notification": true,
  "protect_content": true,
  "reply_markup": {
    "inline_keyboard": [
      [
        {
          "text": "Notes",
          "url": "https://acme.example/notes"
        }
      ],
      [
        {
          "text": "Got it",
          "callback_data": "ack:1"
        }
      ]
    ]
  }
}"#;
    assert_eq!(r.body.as_text(), Some(expected));
    let second: Value =
        serde_json::from_str(p.requests[1].body.as_text().expect("text")).expect("json");
    assert_eq!(second["chat_id"], json!(-1001234567890_i64));
    assert_eq!(p.requests[2].recipient.as_deref(), Some("@acme_news"));
    assert!(
        p.requests[2]
            .body
            .as_text()
            .expect("text")
            .contains("\"chat_id\": \"@acme_news\"")
    );
    // The token is masked in every dump.
    let red = serde_json::to_string(&r.redacted()).expect("json");
    assert!(!red.contains(TOKEN), "{red}");
}

#[test]
fn markdown_v2_message_byte_for_byte() {
    let d = draft(json!({
        "profile": "acme-bot",
        "message": {"title": "Deploy v1.2.3", "subtitle": "(prod)", "body": "All green - 100%!",
                    "url": "https://ci.example/run_(1)"},
        "audience": {"chat_ids": [42]},
        "options": {"parse_mode": "MarkdownV2"}
    }));
    let p = prepare(&d).expect("prepares");
    let expected = r#"{
  "chat_id": 42,
  "text": "*Deploy v1\\.2\\.3*\n_\\(prod\\)_\nAll green \\- 100%\\!\n[https://ci\\.example/run\\_\\(1\\)](https://ci.example/run_(1\\))",
  "parse_mode": "MarkdownV2"
}"#;
    assert_eq!(p.requests[0].body.as_text(), Some(expected));
}

#[test]
fn legacy_markdown_message_byte_for_byte_in_any_letter_case() {
    for mode in ["Markdown", "markdown", "MARKDOWN"] {
        let d = draft(json!({
            "profile": "acme-bot",
            "message": {"title": "2*2 = 4", "subtitle": "snake_case", "body": "Use `cargo` [now] (v1.2)!",
                        "url": "https://ci.example/run/1"},
            "audience": {"chat_ids": [42]},
            "options": {"parse_mode": mode}
        }));
        let p = prepare(&d).expect("prepares");
        let expected = r#"{
  "chat_id": 42,
  "text": "*2*\\**2 = 4*\n_snake_\\__case_\nUse \\`cargo\\` \\[now] (v1.2)!\n[https://ci.example/run/1](https://ci.example/run/1)",
  "parse_mode": "Markdown"
}"#;
        assert_eq!(p.requests[0].body.as_text(), Some(expected), "{mode}");
    }
    for (mode, wire) in [("markdownv2", "MarkdownV2"), ("html", "HTML")] {
        let d = draft(json!({"profile": "acme-bot", "message": {"body": "x"},
                             "audience": {"chat_ids": [42]}, "options": {"parse_mode": mode}}));
        let body = prepare(&d).expect("prepares").requests[0]
            .body
            .as_text()
            .expect("t")
            .to_string();
        assert!(
            body.contains(&format!("\"parse_mode\": \"{wire}\"")),
            "{body}"
        );
    }
    // A URL with `_` is escaped text (Telegram links it), not a link whose text would nest.
    let d = draft(
        json!({"profile": "acme-bot", "message": {"body": "x", "url": "https://a.example/my_page"},
                         "audience": {"chat_ids": [42]}, "options": {"parse_mode": "Markdown"}}),
    );
    let body: Value = serde_json::from_str(
        prepare(&d).expect("ok").requests[0]
            .body
            .as_text()
            .expect("t"),
    )
    .expect("j");
    assert_eq!(body["text"], "x\nhttps://a.example/my\\_page");

    let d = draft(
        json!({"profile": "acme-bot", "message": {"body": "*bold _italic_*"},
                         "audience": {"chat_ids": [42]}, "options": {"parse_mode": "Markdown", "user_markup": true}}),
    );
    let e = prepare(&d).expect_err("nested");
    assert_eq!(e.field, "message.body");
    assert!(
        e.message.contains("character 7") && e.message.contains("cannot nest"),
        "{e}"
    );
}

#[test]
fn plain_text_and_user_markup() {
    let d = draft(json!({
        "profile": "acme-bot",
        "message": {"title": "T*", "body": "<b>as is</b>"},
        "audience": {"chat_ids": "42"},
        "options": {"parse_mode": "none"}
    }));
    let body: Value = serde_json::from_str(
        prepare(&d).expect("ok").requests[0]
            .body
            .as_text()
            .expect("t"),
    )
    .expect("j");
    assert_eq!(body, json!({"chat_id": 42, "text": "T*\n<b>as is</b>"}));

    let d = draft(json!({
        "profile": "acme-bot",
        "message": {"title": "News", "body": "<b>bold</b> & <i>more</i>"},
        "audience": {"chat_ids": ["42"]},
        "options": {"user_markup": true}
    }));
    let body: Value = serde_json::from_str(
        prepare(&d).expect("ok").requests[0]
            .body
            .as_text()
            .expect("t"),
    )
    .expect("j");
    assert_eq!(body["text"], "<b>News</b>\n<b>bold</b> & <i>more</i>");

    let d = draft(json!({
        "profile": "acme-bot",
        "message": {"body": "Price: 5.00 *off"},
        "audience": {"chat_ids": ["42"]},
        "options": {"parse_mode": "MarkdownV2", "user_markup": true}
    }));
    let e = prepare(&d).expect_err("unescaped");
    assert_eq!(e.field, "message.body");
    assert!(
        e.message.contains("character 9") && e.message.contains("MarkdownV2"),
        "{e}"
    );

    let d = draft(json!({
        "profile": "acme-bot", "message": {"body": "x"}, "audience": {"chat_ids": ["42"]},
        "options": {"parse_mode": "none", "user_markup": true}
    }));
    assert_eq!(
        prepare(&d).expect_err("no mode").field,
        "options.user_markup"
    );
}

#[test]
fn photo_with_caption() {
    let d = draft(json!({
        "profile": "acme-bot",
        "message": {"title": "New", "body": "a & b", "image": "https://acme.example/p.png", "silent": true},
        "audience": {"chat_ids": ["42"]},
        "options": {"disable_link_preview": true}
    }));
    let p = prepare(&d).expect("prepares");
    assert!(p.requests[0].url.ends_with("/sendPhoto"));
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    let body: Value = serde_json::from_str(p.requests[0].body.as_text().expect("t")).expect("j");
    assert_eq!(
        body,
        json!({"chat_id": 42, "photo": "https://acme.example/p.png", "caption": "<b>New</b>\na &amp; b",
               "parse_mode": "HTML", "disable_notification": true})
    );
}

#[test]
fn length_limits_count_visible_characters() {
    let at_limit = "&".repeat(TEXT_LIMIT);
    let d = draft(
        json!({"profile": "acme-bot", "message": {"body": at_limit}, "audience": {"chat_ids": ["42"]}}),
    );
    assert!(
        prepare(&d).is_ok(),
        "4096 visible characters fit even though the markup is longer"
    );
    let d = draft(
        json!({"profile": "acme-bot", "message": {"body": "x".repeat(TEXT_LIMIT + 1)}, "audience": {"chat_ids": ["42"]}}),
    );
    let e = prepare(&d).expect_err("too long");
    assert_eq!(e.field, "message.body");
    assert!(
        e.message.contains("4097") && e.message.contains("4096"),
        "{e}"
    );
    let d = draft(
        json!({"profile": "acme-bot", "message": {"body": "x".repeat(CAPTION_LIMIT + 1), "image": "https://x.test/a.png"}, "audience": {"chat_ids": ["42"]}}),
    );
    let e = prepare(&d).expect_err("caption too long");
    assert!(
        e.message.contains("1025") && e.message.contains("1024"),
        "{e}"
    );
    // Emoji outside the BMP count twice, as Telegram counts UTF-16 units.
    let d = draft(
        json!({"profile": "acme-bot", "message": {"body": "😀".repeat(2049)}, "audience": {"chat_ids": ["42"]}}),
    );
    assert!(prepare(&d).is_err());
}

#[test]
fn bad_input_names_the_field() {
    let cases = [
        (
            json!({"profile": "acme-bot", "message": {"body": "x"}}),
            "audience.chat_ids",
        ),
        (
            json!({"profile": "acme-bot", "message": {"body": "x"}, "audience": {"chat_ids": ["42", "channel"]}}),
            "audience.chat_ids[1]",
        ),
        (
            json!({"profile": "acme-bot", "message": {"body": "x"}, "audience": {"chat_ids": ["42", 42]}}),
            "audience.chat_ids[1]",
        ),
        (
            json!({"profile": "acme-bot", "message": {"body": "x"}, "audience": {"chat_ids": [true]}}),
            "audience.chat_ids[0]",
        ),
        (
            json!({"profile": "acme-bot", "message": {"body": " "}, "audience": {"chat_ids": ["42"]}}),
            "message.body",
        ),
        (
            json!({"profile": "acme-bot", "message": {"body": "x", "url": "ftp://x"}, "audience": {"chat_ids": ["42"]}}),
            "message.url",
        ),
        (
            json!({"profile": "acme-bot", "message": {"body": "x", "buttons": [{"id": "", "label": "A"}]}, "audience": {"chat_ids": ["42"]}}),
            "message.buttons[0].id",
        ),
        (
            json!({"profile": "acme-bot", "message": {"body": "x", "buttons": [{"id": "a", "label": "A", "url": "javascript:x"}]}, "audience": {"chat_ids": ["42"]}}),
            "message.buttons[0].url",
        ),
        (
            json!({"profile": "acme-bot", "message": {"body": "x", "buttons": [{"id": "a".repeat(65), "label": "A"}]}, "audience": {"chat_ids": ["42"]}}),
            "message.buttons[0].id",
        ),
        (
            json!({"profile": "acme-bot", "message": {"body": "x"}, "audience": {"chat_ids": ["42"]}, "options": {"ttl": 60}}),
            "options.ttl",
        ),
        (
            json!({"profile": "acme-bot", "message": {"body": "x"}, "audience": {"chat_ids": ["42"]}, "options": {"parse_mode": "Textile"}}),
            "options.parse_mode",
        ),
        (
            json!({"profile": "acme-bot", "message": {"body": "x"}, "audience": {"chat_ids": ["42"]}, "options": {"thread": 1}}),
            "options.thread",
        ),
        (
            json!({"profile": "acme-bot", "message": {"body": "x", "image": "file:///etc/passwd"}, "audience": {"chat_ids": ["42"]}}),
            "message.image",
        ),
    ];
    for (d, field) in cases {
        let e = prepare(&draft(d.clone())).expect_err(&d.to_string());
        assert_eq!(e.field, field, "{d}: {e}");
    }
    let mut s = Secrets::default();
    s.insert("bot_token", "not a token".into());
    let e = Telegram.check(&profile(), &s).expect_err("bad token");
    assert_eq!(e.field, "secret bot_token");
    let e = Telegram
        .check(&profile(), &Secrets::default())
        .expect_err("no token");
    assert!(
        e.message.contains("pushdeck secret set acme-bot bot_token"),
        "{e}"
    );
}

#[test]
fn raw_payload_gets_each_chat_id() {
    let d = draft(json!({
        "profile": "acme-bot", "message": {},
        "audience": {"chat_ids": ["1", "2"]},
        "options": {"raw": {"chat_id": 9, "text": "*hi*", "parse_mode": "MarkdownV2"}}
    }));
    let p = prepare(&d).expect("raw");
    let body: Value = serde_json::from_str(p.requests[1].body.as_text().expect("t")).expect("j");
    assert_eq!(
        body,
        json!({"chat_id": 2, "text": "*hi*", "parse_mode": "MarkdownV2"})
    );
}

#[test]
fn interprets_telegram_answers() {
    let ok = Telegram.interpret(&exchange(200, r#"{"ok":true,"result":{"message_id":77,"date":1,"chat":{"id":42,"type":"private","first_name":"Ada","username":"ada"},"text":"x"}}"#));
    assert_eq!(ok.verdict, Verdict::Accepted);
    assert_eq!(ok.message_id.as_deref(), Some("77"));
    assert_eq!(ok.summary, "Sent to Ada (@ada): message 77");

    let cases = [
        (
            400,
            r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#,
            "Chat not found",
        ),
        (
            403,
            r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#,
            "blocked the bot",
        ),
        (
            400,
            r#"{"ok":false,"error_code":400,"description":"Bad Request: not enough rights to send text messages to the chat"}"#,
            "not allowed to post",
        ),
        (
            403,
            r#"{"ok":false,"error_code":403,"description":"Forbidden: bot is not a member of the channel chat"}"#,
            "not in this chat",
        ),
        (
            400,
            r#"{"ok":false,"error_code":400,"description":"Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 4"}"#,
            "formatting",
        ),
        (
            401,
            r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
            "bot token",
        ),
        (
            409,
            r#"{"ok":false,"error_code":409,"description":"Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}"#,
            "webhook",
        ),
        (
            404,
            r#"{"ok":false,"error_code":404,"description":"Not Found"}"#,
            "Not Found",
        ),
        (502, "<html>bad gateway</html>", "without a JSON body"),
    ];
    for (status, body, words) in cases {
        let o = Telegram.interpret(&exchange(status, body));
        assert_eq!(o.verdict, Verdict::Refused, "{body}");
        assert!(o.summary.contains(words), "{body}: {}", o.summary);
        assert!(o.hint.is_some(), "{body}");
    }
    let limited = Telegram.interpret(&exchange(429, r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}"#));
    assert_eq!(limited.retry_after, Some(3));
    assert!(limited.summary.contains("3 s"), "{}", limited.summary);
    let moved = Telegram.interpret(&exchange(400, r#"{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1009}}"#));
    assert!(
        moved.hint.as_deref().is_some_and(|h| h.contains("-1009")),
        "{moved:?}"
    );
}

#[test]
fn check_names_the_bot() {
    let r = Telegram.check(&profile(), &secrets()).expect("request");
    assert_eq!(r.method, "GET");
    assert_eq!(r.url, format!("https://api.telegram.org/bot{TOKEN}/getMe"));
    assert!(!r.redacted().url.contains(TOKEN));
    let o = Telegram.interpret_check(&exchange(200, r#"{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"Acme Bot","username":"acme_bot"}}"#));
    assert_eq!(o.summary, "Token works: bot “Acme Bot” (@acme_bot)");
    assert_eq!(o.message_id.as_deref(), Some("acme_bot"));
    let bad = Telegram.interpret_check(&exchange(
        401,
        r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
    ));
    assert!(!bad.is_ok() && bad.hint.is_some());
}

#[test]
fn find_chats_lists_each_chat_once_with_its_start_payload() {
    let r = Telegram
        .lookup("chats", &profile(), &secrets())
        .expect("request");
    assert!(r.url.ends_with("/getUpdates"));
    assert_eq!(
        r.body.as_text(),
        Some("{\n  \"limit\": 100,\n  \"timeout\": 0\n}")
    );
    let updates = r#"{"ok":true,"result":[
      {"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":42,"type":"private","first_name":"Ada","last_name":"L","username":"ada"},"text":"/start tok_123"}},
      {"update_id":2,"my_chat_member":{"chat":{"id":-100555,"type":"channel","title":"Acme News"},"date":1}},
      {"update_id":3,"message":{"message_id":2,"date":2,"chat":{"id":42,"type":"private","first_name":"Ada","last_name":"L","username":"ada"},"text":"hello"}},
      {"update_id":4,"callback_query":{"id":"q","message":{"message_id":3,"date":3,"chat":{"id":-42,"type":"group","title":"Team"}}}},
      {"update_id":5,"message":{"message_id":4,"date":4,"chat":{"id":7,"type":"private","first_name":"Bo"},"text":"/start@acme_bot other"}}
    ]}"#;
    let o = Telegram.interpret_lookup("chats", &exchange(200, updates));
    assert!(o.is_ok());
    assert_eq!(o.summary, "Found 4 chats");
    assert_eq!(
        o.items,
        vec![
            LookupItem::new("42", "Ada L (@ada) · private, pressed Start with tok_123"),
            LookupItem::new("-100555", "Acme News · channel"),
            LookupItem::new("-42", "Team · group"),
            LookupItem::new("7", "Bo · private, pressed Start with other"),
        ]
    );
    let none = Telegram.interpret_lookup("chats", &exchange(200, r#"{"ok":true,"result":[]}"#));
    assert!(none.is_ok() && none.items.is_empty() && none.summary.contains("press Start"));
}

#[test]
fn a_full_page_of_updates_says_the_newest_may_be_missing_and_newest_reads_from_the_end() {
    let updates: Vec<Value> = (0..100)
        .map(|i| json!({"update_id": i, "message": {"message_id": i, "date": 1, "chat": {"id": 7, "type": "private", "first_name": "Bo"}, "text": "hi"}}))
        .collect();
    let page = json!({"ok": true, "result": updates}).to_string();
    let o = Telegram.interpret_lookup("chats", &exchange(200, &page));
    assert_eq!(
        o.summary,
        "Found 1 chat. The bot has more pending updates than one read shows; the newest may be missing"
    );
    let call = |params| Telegram.call(&Call::action("getUpdates", params), &profile(), &secrets());
    let Ok(CallPlan::Request(r)) = call(json!({"offset": -100})) else {
        panic!("a request")
    };
    assert_eq!(
        r.body.as_text(),
        Some("{\n  \"offset\": -100,\n  \"limit\": 100,\n  \"timeout\": 0\n}")
    );
    assert!(
        call(json!({"offset": 5})).is_err(),
        "no other offset is sent"
    );
}

#[test]
fn deep_links_and_webhooks() {
    let token = start_token([0xfb; 16]);
    assert_eq!(token.len(), 22);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        "{token}"
    );
    assert_eq!(
        deep_link("@acme_bot", "abc"),
        "https://t.me/acme_bot?start=abc"
    );
    assert!(check_webhook_url("http://hook.example/x").is_err());
    assert!(check_webhook_url("https://hook.example/x").is_ok());
    let lines = webhook_summary(
        &json!({"url": "https://hook.example/x", "pending_update_count": 3, "last_error_date": 1_790_000_000, "last_error_message": "Connection refused"}),
    );
    assert_eq!(lines[0], "Webhook URL: https://hook.example/x");
    assert_eq!(lines[1], "Pending updates: 3");
    assert!(lines[2].contains("Connection refused"), "{lines:?}");
    assert!(webhook_summary(&json!({"url": ""}))[0].contains("No webhook"));
}

#[test]
fn audience_words_and_broadcasts() {
    let d = draft(json!({"profile": "p", "audience": {"chat_ids": ["42"]}}));
    assert_eq!(Telegram.audience_label(&d), "chat 42");
    assert_eq!(Telegram.broadcast(&d), None);
    let d = draft(json!({"profile": "p", "audience": {"chat_ids": ["42", "@acme_news"]}}));
    assert_eq!(Telegram.audience_label(&d), "2 chats");
    assert_eq!(
        Telegram.broadcast(&d).as_deref(),
        Some("every subscriber of @acme_news")
    );
}

#[test]
fn the_example_draft_prepares() {
    let d = Draft::from_json(include_str!(
        "../../../assets/examples/telegram-release.json"
    ))
    .expect("example draft");
    let p = prepare(&d).expect("prepares");
    assert_eq!(p.requests.len(), 2);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

mod fan_out;
mod markup;
