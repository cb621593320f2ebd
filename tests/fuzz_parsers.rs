//! Fuzzing (property-based, with proptest) of every parser of outside input in the library: draft
//! files and what providers read from them, connection strings, tag expressions, Telegram markup,
//! APNs `.p8` keys, FCM service-account JSON, Web Push subscriptions and VAPID keys, and every
//! provider's reading of responses (arbitrary status, headers and JSON/XML/garbage bodies), and
//! every sink imitation's answer to arbitrary arrivals.
//!
//! The property is always "no panic", plus a few invariants that must hold for any input (escaped
//! text passes its own markup check, a parsed draft round-trips, redacted dumps and outcomes carry
//! no secret). Inputs are arbitrary strings, structured JSON built from the keys and values the
//! providers know, and valid samples mutated by random edits.
//!
//! `PROPTEST_CASES` sets the number of cases per target (default 48, quick enough for CI);
//! `scripts/fuzz` runs each target with a large fixed budget and prints executions per target.
//! Every target prints one line `fuzz TARGET: N executions, 0 panics in S s` (see it with
//! `--nocapture`).

use std::cell::Cell;
use std::fmt::Debug;
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

use pushdeck::draft::{Button, Draft, Message, Translation};
use pushdeck::engine::{Engine, SendJob};
use pushdeck::http::{self, Body, Exchange, PreparedRequest, ResponseDump, TransportError};
use pushdeck::outcome::{Outcome, Verdict};
use pushdeck::provider::{
    self, Call, CallPlan, FieldKind, FieldSpec, Provider, Secrets, TokenPlan,
};
use pushdeck::store::Profile;

const DEFAULT_CASES: u32 = 48;
const APNS_KEY: &str = include_str!("fixtures/apns_test_key.p8");
const FCM_KEY: &str = include_str!("fixtures/fcm_test_key.pem");
const DEVICE: &str = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";

// ---------------------------------------------------------------------------------------------
// The harness: one runner per target, executions counted and printed.

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_CASES)
}

/// Runs `test` on `cases()` values of `strategy`; a panic (or failed assertion) is shrunk to a
/// minimal input and fails the test with it.
fn fuzz<S>(name: &str, strategy: S, test: impl Fn(S::Value))
where
    S: Strategy,
    S::Value: Debug,
{
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 2048,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let executions = Cell::new(0u64);
    let start = Instant::now();
    let result = runner.run(&strategy, |value| {
        executions.set(executions.get() + 1);
        test(value);
        Ok(())
    });
    let seconds = start.elapsed().as_secs_f64();
    match result {
        Ok(()) => eprintln!(
            "fuzz {name}: {} executions, 0 panics in {seconds:.1} s",
            executions.get()
        ),
        Err(e) => panic!(
            "fuzz {name}: failed after {} executions: {e}",
            executions.get()
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs: tokens that matter to some format, arbitrary text, mutations of valid samples, JSON.

/// Pieces of syntax of every format we parse, and values that break careless code.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "{", "}", "[", "]", "\"", "\\", ":", ",", "=", ";", "&&", "||", "!", "(", ")", "<", ">", "</",
    "/>", "&amp;", "&lt;", "&#", "&#x1F600;", "&#0;", "&#xD800;", "&nope;", "*", "_", "__", "~",
    "`", "```", "|", "||", ">", "**>", "![", "](", "tg://user?id=1", "\n", "\r\n", "\t", " ", "\0",
    "é", "😀", "\u{200d}", "\u{feff}", "\u{fffd}", "\u{10ffff}", "-----BEGIN PRIVATE KEY-----",
    "-----END PRIVATE KEY-----", "-----BEGIN EC PRIVATE KEY-----", "==", "+", "/", "-", "0", "-1",
    "1e999", "-1e999", "0.5", "18446744073709551616", "9223372036854775807", "-9223372036854775808",
    "null", "true", "false", "[]", "{}", "\"\"", "<![CDATA[", "]]>", "<?xml version=\"1.0\"?>",
    "<!DOCTYPE x [<!ENTITY a \"b\">]>", "&a;", "<!--", "-->", "Endpoint=", "SharedAccessKey=",
    "SharedAccessKeyName=", "sb://", "https://", "http://", "@", "#", "%", "%00", "%zz", "..",
    "../", "mailto:", "<b>", "</b>", "<a href=\"", "<tg-spoiler>", "<pre><code class=\"language-",
    "<blockquote expandable>", "<tg-emoji emoji-id=\"",
];

fn token() -> impl Strategy<Value = String> {
    prop::sample::select(TOKENS).prop_map(str::to_string)
}

/// Text that is hostile often: arbitrary Unicode, runs of tokens, long repeats.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        3 => prop::collection::vec(token(), 0..12).prop_map(|t| t.concat()),
        1 => (token(), 0usize..3000).prop_map(|(t, n)| t.repeat(n)),
        1 => "[a-zA-Z0-9 _.@:/+=-]{0,40}",
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, String),
    Delete(usize, usize),
    Replace(usize, String),
    Duplicate(usize, usize),
    Swap(usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let piece = prop_oneof![token(), any::<char>().prop_map(String::from)];
    prop_oneof![
        (any::<usize>(), piece.clone()).prop_map(|(at, s)| Edit::Insert(at, s)),
        (any::<usize>(), 1usize..16).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), piece).prop_map(|(at, s)| Edit::Replace(at, s)),
        (any::<usize>(), 1usize..64).prop_map(|(at, n)| Edit::Duplicate(at, n)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

/// Applies edits on character boundaries (the parsers take `&str`).
fn apply(sample: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = sample.chars().collect();
    for e in edits {
        let len = chars.len();
        let at = |i: usize| if len == 0 { 0 } else { i % (len + 1) };
        match e {
            Edit::Insert(i, s) => {
                let i = at(*i);
                chars.splice(i..i, s.chars());
            }
            Edit::Delete(i, n) => {
                let i = at(*i);
                let end = (i + n).min(len);
                chars.drain(i..end);
            }
            Edit::Replace(i, s) => {
                let i = at(*i);
                let end = (i + 1).min(len);
                chars.splice(i..end, s.chars());
            }
            Edit::Duplicate(i, n) => {
                let i = at(*i);
                let end = (i + n).min(len);
                let copy: Vec<char> = chars[i..end].to_vec();
                chars.splice(i..i, copy);
            }
            Edit::Swap(a, b) if len > 0 => chars.swap(a % len, b % len),
            Edit::Swap(..) => {}
            Edit::Truncate(i) => chars.truncate(at(*i)),
        }
    }
    chars.into_iter().collect()
}

/// A valid sample with up to 8 random edits (none, sometimes: the valid path runs too).
fn mutated(samples: Vec<String>) -> impl Strategy<Value = String> {
    (
        prop::sample::select(samples),
        prop::collection::vec(edit(), 0..8),
    )
        .prop_map(|(s, edits)| apply(&s, &edits))
}

/// Keys the providers read from drafts and responses, so structured JSON reaches deep paths.
fn known_keys() -> Vec<String> {
    let fields = every_field(true).into_iter().map(|f| f.key.to_string());
    let common = pushdeck::draft::COMMON_OPTIONS
        .iter()
        .map(|s| s.to_string());
    sorted_words(
        &[
            "id",
            "errors",
            "error",
            "ok",
            "result",
            "description",
            "error_code",
            "parameters",
            "retry_after",
            "migrate_to_chat_id",
            "reason",
            "timestamp",
            "name",
            "code",
            "message",
            "status",
            "details",
            "@type",
            "errorCode",
            "requestId",
            "messageId",
            "http",
            "link",
            "iden",
            "type",
            "title",
            "body",
            "url",
            "access_token",
            "expires_in",
            "token_type",
            "error_description",
            "external_id",
            "invalid_player_ids",
            "invalid_aliases",
            "warnings",
            "segments",
            "total_count",
            "offset",
            "limit",
            "devices",
            "nickname",
            "active",
            "pushable",
            "chat",
            "first_name",
            "username",
            "update_id",
            "my_chat_member",
            "channel_post",
            "pending_update_count",
            "last_error_date",
            "last_error_message",
            "has_custom_certificate",
            "channels",
            "providers",
            "event",
            "delivered",
            "healthy",
            "role",
            "channel",
            "project_id",
            "private_key",
            "client_email",
            "token_uri",
            "private_key_id",
            "endpoint",
            "keys",
            "p256dh",
            "auth",
            "expirationTime",
            "label",
            "text",
            "from",
            "is_bot",
            "can_join_groups",
            "results",
            "routing",
            "method",
            "template",
            "data",
            "to",
            "content",
        ],
        fields.chain(common),
    )
}

/// Every field of every provider: settings, secrets (when `with_secrets`), audience and options.
fn every_field(with_secrets: bool) -> Vec<&'static FieldSpec> {
    provider::all()
        .iter()
        .flat_map(|p| {
            let info = p.info();
            let secrets = if with_secrets { info.secrets } else { &[] };
            info.settings
                .iter()
                .chain(secrets)
                .chain(info.audience)
                .chain(info.options)
        })
        .collect()
}

/// `words` and `more` as one sorted list without repeats.
fn sorted_words(words: &[&str], more: impl Iterator<Item = String>) -> Vec<String> {
    let mut all: Vec<String> = words.iter().map(|s| s.to_string()).chain(more).collect();
    all.sort();
    all.dedup();
    all
}

/// Values the providers compare against: every choice of every field, and common options.
fn known_values() -> Vec<String> {
    let choices = every_field(false).into_iter().flat_map(|f| match f.kind {
        FieldKind::Choice(choices) => choices.iter().map(|c| c.to_string()).collect(),
        _ => Vec::new(),
    });
    sorted_words(
        &[
            "high",
            "low",
            "normal",
            "very-low",
            "MarkdownV2",
            "HTML",
            "note",
            "link",
            "single",
            "all",
            "apple",
            "fcmv1",
            "gcm",
            "windows",
            "windowsphone",
            "adm",
            "baidu",
            "template",
            "toast",
            "tile",
            "badge",
            "raw",
            "push",
            "email",
            "sms",
            "sandbox",
            "production",
            "alert",
            "background",
            "voip",
            "liveactivity",
            "2026-11-24T10:00:00Z",
            "2026-13-45T99:99:99Z",
            "arn:aws:sns:us-east-1:123456789012:Builds",
            "@acme_news",
            "mailto:a@example.com",
            "https://example.com",
            DEVICE,
        ],
        choices,
    )
}

fn json_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (-5i64..100_000).prop_map(|n| json!(n)),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
    ]
}

fn json_string() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(known_values()),
        2 => text(),
        1 => prop::sample::select(known_keys()),
    ]
}

/// Arbitrary JSON whose object keys are mostly ones some provider reads.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        json_number(),
        json_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![4 => prop::sample::select(known_keys()), 1 => text()];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Map<String, Value>> {
    let key = prop_oneof![4 => prop::sample::select(known_keys()), 1 => text()];
    prop::collection::vec((key, json_value()), 0..8).prop_map(|kv| kv.into_iter().collect())
}

// ---------------------------------------------------------------------------------------------
// Profiles and secrets that are valid for each provider, so inputs get past the credentials.

fn service_account() -> String {
    json!({
        "type": "service_account",
        "project_id": "acme-push",
        "private_key_id": "4f1c2a9e8d7b6a5c",
        "private_key": FCM_KEY,
        "client_email": "pushdeck@acme-push.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token"
    })
    .to_string()
}

struct Webpush {
    private: String,
    public: String,
    /// A real P-256 point, usable as a subscription's p256dh.
    p256dh: String,
}

fn webpush_keys() -> &'static Webpush {
    use pushdeck::provider::webpush::vapid::VapidKey;
    static KEYS: std::sync::OnceLock<Webpush> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let key = VapidKey::generate().expect("a VAPID key");
        let other = VapidKey::generate().expect("a second key");
        Webpush {
            private: key.private_key_b64().expect("exports"),
            public: key.public_key_b64(),
            p256dh: other.public_key_b64(),
        }
    })
}

fn subscription() -> Value {
    json!({
        "endpoint": "https://fcm.googleapis.com/fcm/send/dXNlcjE6abc",
        "keys": {"p256dh": webpush_keys().p256dh, "auth": "8eDyX_uCN0XRhSbY5hs7Hg"}
    })
}

fn setting_value(provider: &str, key: &str) -> String {
    match (provider, key) {
        ("onesignal", "app_id") => "8a7b3c2d-1e0f-4a5b-9c8d-944455556666".into(),
        ("onesignal", "key_kind") => "app".into(),
        ("azure", "hub") => "acme-hub".into(),
        ("sns", "region") => "us-east-1".into(),
        ("sns", "access_key_id") => "AKIAIOSFODNN7EXAMPLE".into(),
        ("fcm", "project_id") => "acme-push".into(),
        ("apns", "key_id") => "ABC123DEFG".into(),
        ("apns", "team_id") => "DEF123GHIJ".into(),
        ("apns", "topic") => "com.example.app".into(),
        ("apns", "environment") => "sandbox".into(),
        ("apns", "auth") => "token".into(),
        ("apns", "key_file") => "AuthKey_ABC123DEFG.p8".into(),
        ("webpush", "subject") => "mailto:ops@example.com".into(),
        ("webpush", "vapid_public_key") => webpush_keys().public.clone(),
        _ => "setting-value".into(),
    }
}

fn secret_value(provider: &str, key: &str) -> String {
    match (provider, key) {
        ("onesignal", _) => "os_v2_app_fuzzsecretkey0123456789abcdefghijklmnop".into(),
        ("azure", _) => "Endpoint=sb://acme-ns.servicebus.windows.net/;SharedAccessKeyName=DefaultFullSharedAccessSignature;SharedAccessKey=FuzzKeyNotReal0123456789+/abcdefghijkl=".into(),
        ("telegram", _) => "7012345678:AAHfuzzTokenForPushdeckTests_0123456".into(),
        ("sns", "session_token") => "FuzzSessionToken0123456789abcdefghijklmnop".into(),
        ("sns", _) => "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFUZZKEY0123".into(),
        ("fcm", _) => service_account(),
        ("apns", _) => APNS_KEY.into(),
        ("webpush", _) => webpush_keys().private.clone(),
        _ => format!("{provider}-fuzz-secret-0123456789abcdef"),
    }
}

fn profile_for(p: &dyn Provider) -> Profile {
    let info = p.info();
    let mut profile = Profile::new(&format!("fuzz-{}", info.id), info.id);
    for f in info.settings {
        profile
            .settings
            .insert(f.key.to_string(), setting_value(info.id, f.key));
    }
    profile
}

fn secrets_for(p: &dyn Provider) -> Secrets {
    let info = p.info();
    let mut secrets = Secrets::default();
    for f in info.secrets {
        secrets.insert(f.key, secret_value(info.id, f.key));
    }
    secrets
}

/// The raw secret values of a provider's fixture (and the Azure key inside its connection
/// string), which no redacted output may contain.
fn secret_needles(p: &dyn Provider) -> Vec<String> {
    let info = p.info();
    let mut needles: Vec<String> = info
        .secrets
        .iter()
        .map(|f| secret_value(info.id, f.key))
        .collect();
    if info.id == "azure" {
        needles.push("FuzzKeyNotReal0123456789+/abcdefghijkl=".into());
    }
    if info.id == "fcm" || info.id == "apns" {
        // The PEM body lines of the keys.
        let pem = if info.id == "fcm" { FCM_KEY } else { APNS_KEY };
        needles.extend(
            pem.lines()
                .filter(|l| !l.starts_with("-----") && l.len() > 20)
                .map(str::to_string),
        );
    }
    needles
}

/// A draft every provider accepts as it is.
fn valid_draft(p: &dyn Provider) -> Draft {
    let id = p.info().id;
    let audience = match id {
        "onesignal" => json!({"segments": ["Active Users"]}),
        "azure" => json!({"tags": ["vip"]}),
        "telegram" => json!({"chat_ids": [42, "@acme_news"]}),
        "pushbullet" => json!({}),
        "courier" => json!({"to": {"email": "ada@example.com"}}),
        "sns" => json!({"topic_arn": "arn:aws:sns:us-east-1:123456789012:Builds"}),
        "fcm" => json!({"topic": "news"}),
        "apns" => json!({"device_tokens": [DEVICE]}),
        "ntfy" => json!({"topic": "alerts"}),
        "webpush" => json!({"subscriptions": [subscription()]}),
        _ => json!({}),
    };
    let options = match id {
        "azure" => json!({"format": "fcmv1"}),
        _ => json!({}),
    };
    Draft {
        profile: format!("fuzz-{id}"),
        message: Message {
            title: "Flash sale".into(),
            body: "50% off everything until midnight".into(),
            url: "https://example.com/sale".into(),
            ..Message::default()
        },
        audience: audience.as_object().cloned().unwrap_or_default().into(),
        options: options.as_object().cloned().unwrap_or_default(),
    }
}

fn job(p: &'static dyn Provider, draft: Draft, profile: Profile, secrets: Secrets) -> SendJob {
    SendJob {
        provider: p,
        draft: draft.into(),
        profile,
        secrets,
        idempotency_key: "4f1c2a9e-8d7b-4a5c-9e8f-7a6b5c4d3e2f".into(),
        dry_run: false,
        timeout: std::time::Duration::from_secs(30),
        concurrency: 8,
    }
}

fn provider_index() -> impl Strategy<Value = usize> {
    0..provider::all().len()
}

/// Everything a redacted request shows, as text, for secret checks.
fn shown(request: &PreparedRequest) -> String {
    let red = request.redacted();
    format!(
        "{}\n{}\n{}",
        http::dump::request_text(&red),
        http::dump::request_json(&red),
        http::to_curl(request, false)
    )
}

fn assert_no_secret(p: &dyn Provider, text: &str, what: &str) {
    for needle in secret_needles(p) {
        assert!(
            !text.contains(&needle),
            "{}: a secret appears in {what}:\n{text}",
            p.info().id
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Targets.

fn draft_samples() -> Vec<String> {
    let mut samples: Vec<String> = provider::all()
        .iter()
        .map(|p| valid_draft(*p).to_json_pretty())
        .collect();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples");
    if let Ok(dir) = std::fs::read_dir(examples) {
        for entry in dir.flatten() {
            if let Ok(text) = std::fs::read_to_string(entry.path()) {
                samples.push(text);
            }
        }
    }
    samples.push(
        r#"{"profile":"p","message":{"title":"t","subtitle":"s","body":"b","url":"https://x","image":"https://i","icon":"https://c","buttons":[{"id":"a","label":"A","url":"https://u","icon":"https://i"}],"data":{"k":{"n":[1,2.5,null]}},"translations":{"fr":{"title":"T","subtitle":"S","body":"B"}},"silent":true},"audience":{"segments":["All"]},"options":{"ttl":3600,"priority":"high","schedule_at":"2026-11-24T10:00:00Z","raw":{"x":1}}}"#.into(),
    );
    samples
}

#[test]
fn draft_files() {
    let input = prop_oneof![
        2 => mutated(draft_samples()),
        1 => text(),
        1 => json_value().prop_map(|v| v.to_string()),
    ];
    fuzz("draft_files", input, |text| {
        if let Ok(draft) = Draft::from_json(&text) {
            let again = Draft::from_json(&draft.to_json_pretty())
                .unwrap_or_else(|e| panic!("a parsed draft must parse again: {e}"));
            assert_eq!(again, draft, "round trip changed the draft");
        }
    });
}

fn button() -> impl Strategy<Value = Button> {
    (text(), text(), text(), text()).prop_map(|(id, label, url, icon)| Button {
        id,
        label,
        url,
        icon,
    })
}

fn message() -> impl Strategy<Value = Message> {
    let translations = prop::collection::btree_map(
        prop_oneof![Just("fr".to_string()), Just("en".to_string()), text()],
        (text(), text(), text()).prop_map(|(title, subtitle, body)| Translation {
            title,
            subtitle,
            body,
        }),
        0..3,
    );
    (
        (text(), text(), text()),
        (text(), text(), text()),
        prop::collection::vec(button(), 0..5),
        json_object(),
        translations,
        any::<bool>(),
    )
        .prop_map(
            |((title, subtitle, body), (url, image, icon), buttons, data, translations, silent)| {
                Message {
                    title,
                    subtitle,
                    body,
                    url,
                    image,
                    icon,
                    buttons,
                    data,
                    translations,
                    silent,
                }
            },
        )
}

/// Audience or options of one provider: its own keys with arbitrary values (lists of known
/// values often), over a valid base.
fn fields_for(keys: Vec<String>) -> impl Strategy<Value = Vec<(String, Value)>> {
    let value = prop_oneof![
        3 => json_value(),
        2 => prop::collection::vec(json_string().prop_map(Value::String), 0..5).prop_map(Value::Array),
        2 => json_string().prop_map(Value::String),
        1 => prop::collection::vec(Just(subscription()), 1..3).prop_map(Value::Array),
        1 => (-3i64..5000).prop_map(|n| json!(n)),
    ];
    let key = prop_oneof![9 => prop::sample::select(keys), 1 => text()];
    prop::collection::vec((key, value), 0..5)
}

fn provider_keys(p: &dyn Provider) -> (Vec<String>, Vec<String>) {
    let info = p.info();
    let audience: Vec<String> = info.audience.iter().map(|f| f.key.to_string()).collect();
    let options: Vec<String> = info
        .options
        .iter()
        .map(|f| f.key.to_string())
        .chain(
            pushdeck::draft::COMMON_OPTIONS
                .iter()
                .map(|s| s.to_string()),
        )
        .collect();
    let nonempty = |mut v: Vec<String>| {
        if v.is_empty() {
            v.push("none".into());
        }
        v
    };
    (nonempty(audience), nonempty(options))
}

fn draft_for() -> impl Strategy<Value = (usize, Draft)> {
    provider_index().prop_flat_map(|i| {
        let p = provider::all()[i];
        let (audience_keys, option_keys) = provider_keys(p);
        let base = valid_draft(p);
        (
            Just(i),
            prop_oneof![Just(base.message.clone()), message()],
            any::<bool>(),
            fields_for(audience_keys),
            fields_for(option_keys),
        )
            .prop_map(move |(i, message, keep_base, audience, options)| {
                let mut draft = base.clone();
                draft.message = message;
                if !keep_base {
                    draft.audience.clear();
                    draft.options.clear();
                }
                draft.audience.extend(audience);
                draft.options.extend(options);
                (i, draft)
            })
    })
}

/// Everything a provider does with a draft: validate, label, build the requests (with a minted
/// token where it mints one), and show them redacted.
#[test]
fn drafts_through_every_provider() {
    fuzz(
        "drafts_through_every_provider",
        draft_for(),
        |(i, draft)| {
            let p = provider::all()[i];
            let _ = provider::validate_keys(p.info(), &draft);
            let _ = p.audience_label(&draft);
            let _ = p.broadcast(&draft);
            let _ = p.concurrency(&draft);
            let job = job(p, draft, profile_for(p), secrets_for(p));
            for dry_run in [false, true] {
                let job = SendJob {
                    dry_run,
                    ..job.clone()
                };
                if let Ok(prepared) = Engine::prepare(&job) {
                    for request in &prepared.requests {
                        assert_no_secret(p, &shown(request), "a redacted request");
                        let _ = http::to_curl(request, true);
                    }
                }
            }
        },
    );
}

/// A sample value of each field, by its key, and the empty string.
fn samples(fields: &[FieldSpec], value: impl Fn(&str) -> String) -> Vec<String> {
    fields
        .iter()
        .map(|f| value(f.key))
        .chain(std::iter::once(String::new()))
        .collect()
}

/// Settings, secrets and base URLs as a user may type them, with a valid draft.
#[test]
fn profiles_through_every_provider() {
    let strategy = provider_index().prop_flat_map(|i| {
        let p = provider::all()[i];
        let info = p.info();
        let setting_samples = samples(info.settings, |key| setting_value(info.id, key));
        let secret_samples = samples(info.secrets, |key| secret_value(info.id, key));
        let base_url = prop_oneof![
            Just(None),
            Just(Some("http://127.0.0.1:9".to_string())),
            text().prop_map(Some),
        ];
        (
            Just(i),
            prop::collection::vec(
                prop_oneof![mutated(setting_samples), text()],
                info.settings.len(),
            ),
            prop::collection::vec(
                prop_oneof![mutated(secret_samples), text()],
                info.secrets.len(),
            ),
            base_url,
        )
    });
    fuzz(
        "profiles_through_every_provider",
        strategy,
        |(i, settings, secret_values, base_url)| {
            let p = provider::all()[i];
            let info = p.info();
            let mut profile = profile_for(p);
            for (f, v) in info.settings.iter().zip(settings) {
                profile.settings.insert(f.key.to_string(), v);
            }
            profile.base_url = base_url;
            let mut secrets = Secrets::default();
            for (f, v) in info.secrets.iter().zip(secret_values) {
                let _ = p.validate_secret(f.key, &v);
                secrets.insert(f.key, v);
            }
            let _ = p.call(&Call::Check, &profile, &secrets);
            for lookup in info.lookups {
                let _ = p.call(&Call::lookup(lookup.id), &profile, &secrets);
            }
            if let Ok(TokenPlan::Exchange(request)) =
                p.token_plan(&profile, &secrets, time::OffsetDateTime::now_utc())
            {
                let _ = shown(&request);
            }
            let _ = Engine::prepare(&job(p, valid_draft(p), profile, secrets));
        },
    );
}

#[test]
fn azure_connection_strings() {
    let samples = vec![
        secret_value("azure", "connection_string"),
        "SharedAccessKey=k==;Endpoint=sb://ns.servicebus.windows.net;SharedAccessKeyName=n".into(),
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=DefaultListenSharedAccessSignature;SharedAccessKey=abc=;EntityPath=hub".into(),
    ];
    let input = prop_oneof![2 => mutated(samples), 1 => text()];
    fuzz("azure_connection_strings", input, |text| {
        if let Ok(cs) = pushdeck::provider::azure::parse_connection_string(&text) {
            assert!(!cs.key.is_empty() && !cs.key_name.is_empty(), "{cs:?}");
            assert!(cs.endpoint.starts_with("https://"), "{cs:?}");
        }
    });
}

#[test]
fn azure_tag_expressions() {
    let samples = vec![
        "(follows_RedSox || follows_Cardinals) && location_Boston".to_string(),
        "!vip && (lang_fr || lang_en) && !(a||b)".into(),
        "tag:with.dots@and_underscores#1".into(),
        "a || b || c || d || e || f || g || h || i || j || k || l || m || n || o || p || q || r || s || t || u".into(),
    ];
    let input = prop_oneof![2 => mutated(samples), 1 => text()];
    fuzz("azure_tag_expressions", input, |text| {
        match pushdeck::provider::azure::parse_tag_expression(&text) {
            Ok(e) => assert!(e.tags > 0, "a valid expression names a tag: {e:?}"),
            Err(e) => {
                assert!(!e.to_string().is_empty());
                if let Some(at) = e.position {
                    assert!(
                        at <= text.chars().count() + 1,
                        "position {at} is past the end"
                    );
                }
            }
        }
    });
}

#[test]
fn telegram_markup() {
    use pushdeck::provider::telegram::{ParseMode, compose, markup};
    let samples = vec![
        "*bold* _italic_ __underline__ ~strike~ ||spoiler|| `code` [link](https://x.test/a\\)b)".to_string(),
        "```rust\nfn main() {}\n```\n>quote\n**>expandable\n>more||".into(),
        "![👍](tg://emoji?id=5368324170671202286) \\. \\- \\!".into(),
        "<b>bold</b> <i>it</i> <u>u</u> <s>s</s> <tg-spoiler>sp</tg-spoiler> <a href=\"https://x.test/?a=1&amp;b=2\">l</a>".into(),
        "<pre><code class=\"language-python\">x &lt; 1</code></pre><blockquote expandable>q</blockquote>&#128512;&quot;".into(),
    ];
    let input = (
        prop_oneof![2 => mutated(samples), 1 => text()],
        message(),
        any::<bool>(),
    );
    fuzz("telegram_markup", input, |(text, message, user_markup)| {
        let _ = markup::check_markdown_v2(&text);
        let _ = markup::check_html(&text);
        assert!(markup::telegram_len(&text) <= text.len());
        // Escaped text always passes, and shows exactly the original text.
        assert_eq!(
            markup::check_markdown_v2(&markup::escape_markdown_v2(&text)).ok(),
            Some(text.clone()),
            "escaped MarkdownV2"
        );
        assert_eq!(
            markup::check_html(&markup::escape_html(&text)).ok(),
            Some(text.clone()),
            "escaped HTML"
        );
        let _ = markup::escape_markdown_v2_url(&text);
        for mode in [ParseMode::Html, ParseMode::MarkdownV2, ParseMode::Plain] {
            let _ = compose(&message, mode, user_markup);
        }
    });
}

fn p8_samples() -> Vec<String> {
    let body: String = APNS_KEY
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    vec![
        APNS_KEY.to_string(),
        APNS_KEY.replace('\n', " "),
        APNS_KEY.replace('\n', "\r\n"),
        body.clone(),
        format!("-----BEGIN PRIVATE KEY-----{body}-----END PRIVATE KEY-----"),
        FCM_KEY.to_string(),
    ]
}

#[test]
fn apns_p8_keys() {
    let apns = provider::find("apns").expect("apns");
    assert_eq!(apns.validate_secret("signing_key_p8", APNS_KEY), Ok(()));
    let input = prop_oneof![3 => mutated(p8_samples()), 1 => text()];
    fuzz("apns_p8_keys", input, |text| {
        if let Err(e) = apns.validate_secret("signing_key_p8", &text) {
            assert!(!e.is_empty());
            assert!(
                !e.contains(&text) || text.len() < 40,
                "the error quotes the key: {e}"
            );
        }
        let mut secrets = Secrets::default();
        secrets.insert("signing_key_p8", text);
        let _ = apns.token_plan(
            &profile_for(apns),
            &secrets,
            time::OffsetDateTime::now_utc(),
        );
    });
}

/// APNs certificates: PEM text and base64 `.p12` bytes, mutated and random, with and without a
/// password, never panic and never quote themselves in an error.
#[test]
fn apns_certificates() {
    use base64::Engine as _;
    use pushdeck::provider::apns::certificate::open;
    let pem = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUb3Zp\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEG\n-----END PRIVATE KEY-----\n".to_string();
    // A PKCS#12 header (SEQUENCE, version 3, data content) followed by nothing useful.
    let p12 = base64::engine::general_purpose::STANDARD.encode([
        0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x03, 0x30, 0x82, 0x00, 0xf0, 0x06, 0x09,
    ]);
    let input = (
        prop_oneof![3 => mutated(vec![pem, p12]), 1 => text()],
        proptest::option::of("[a-z]{0,8}"),
    );
    fuzz("apns_certificates", input, |(text, password)| {
        if let Err(e) = open(&text, password.as_deref()) {
            assert!(!e.message.is_empty());
            assert!(
                !e.message.contains(text.trim()) || text.trim().len() < 40,
                "the error quotes the certificate: {}",
                e.message
            );
        }
        let _ = pushdeck::provider::apns::certificate::validate(&text);
    });
}

#[test]
fn fcm_service_accounts() {
    let fcm = provider::find("fcm").expect("fcm");
    assert_eq!(
        fcm.validate_secret("service_account_json", &service_account()),
        Ok(())
    );
    let structured = json_object().prop_map(|mut m| {
        m.entry("type").or_insert(json!("service_account"));
        m.entry("private_key").or_insert(json!(FCM_KEY));
        Value::Object(m).to_string()
    });
    let pretty = serde_json::to_string_pretty(
        &serde_json::from_str::<Value>(&service_account()).expect("json"),
    )
    .expect("pretty");
    let input = prop_oneof![
        3 => mutated(vec![service_account(), pretty]),
        2 => structured,
        1 => text(),
    ];
    fuzz("fcm_service_accounts", input, |text| {
        if let Err(e) = fcm.validate_secret("service_account_json", &text) {
            assert!(!e.is_empty());
        }
        let mut secrets = Secrets::default();
        secrets.insert("service_account_json", text);
        let mut profile = profile_for(fcm);
        profile.settings.clear();
        let _ = fcm.token_plan(&profile, &secrets, time::OffsetDateTime::now_utc());
        let _ = fcm.call(&Call::Check, &profile, &secrets);
    });
}

#[test]
fn webpush_subscriptions_and_vapid_keys() {
    use pushdeck::provider::webpush::{subscription, vapid};
    let one = subscription().to_string();
    let samples = vec![
        one.clone(),
        format!("[{one}, {one}]"),
        format!("{one}\n{one}\n"),
        json!({"endpoint": "https://updates.push.services.mozilla.com/wpush/v2/gAAA", "expirationTime": null, "label": "Ana's laptop", "keys": {"p256dh": webpush_keys().p256dh, "auth": "8eDyX_uCN0XRhSbY5hs7Hg"}}).to_string(),
    ];
    let keys = vec![
        webpush_keys().private.clone(),
        webpush_keys().public.clone(),
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            webpush_keys().private
        ),
    ];
    let input = (
        prop_oneof![3 => mutated(samples), 1 => text(), 1 => json_value().prop_map(|v| v.to_string())],
        prop_oneof![2 => mutated(keys), 1 => text()],
    );
    fuzz(
        "webpush_subscriptions_and_vapid_keys",
        input,
        |(subs, key)| {
            let (found, rejected) = subscription::parse_many(&subs);
            for s in &found {
                let again = subscription::Subscription::from_value(&s.to_value())
                    .unwrap_or_else(|e| panic!("a parsed subscription must parse again: {e}"));
                assert_eq!(&again, s);
                let _ = s.display_name();
            }
            for r in &rejected {
                assert!(!r.reason.is_empty());
            }
            if let Ok(v) = serde_json::from_str::<Value>(&subs) {
                let _ = subscription::Subscription::from_value(&v);
            }
            let _ = vapid::decode_b64(&key);
            let _ = vapid::check_subject(&key);
            if let Ok(k) = vapid::VapidKey::import(&key) {
                let _ = k.jwt(
                    "https://fcm.googleapis.com",
                    "mailto:ops@example.com",
                    time::OffsetDateTime::now_utc(),
                );
            }
        },
    );
}

// --- provider responses -------------------------------------------------------------------------

/// Bodies the providers really send (from their documentation and our stand-ins).
fn response_samples() -> Vec<String> {
    [
        r#"{"id":"b98881cc-1e94-4366-bbd9-db8f3429292b","external_id":null}"#,
        r#"{"id":"","errors":["All included players are not subscribed"]}"#,
        r#"{"id":"x","errors":{"invalid_player_ids":["a","b"],"invalid_aliases":{"external_id":["c"]}}}"#,
        r#"{"errors":["Access denied.  Please include an 'Authorization: ...' header with a valid API key."]}"#,
        r#"{"total_count":2,"offset":0,"limit":300,"segments":[{"id":"6a8d","name":"All"},{"id":"1c2d","name":"Active Users"}]}"#,
        r#"{"ok":true,"result":{"message_id":12,"chat":{"id":42,"type":"private","first_name":"Ada"},"date":1700000000,"text":"hi"}}"#,
        r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}"#,
        r#"{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234567890}}"#,
        r#"{"ok":true,"result":[{"update_id":1,"message":{"chat":{"id":42,"type":"private","first_name":"Ada","username":"ada"},"text":"/start tok_123"}},{"update_id":2,"my_chat_member":{"chat":{"id":-100123,"type":"channel","title":"News"}}}]}"#,
        r#"{"ok":true,"result":{"url":"https://x.test/hook","has_custom_certificate":false,"pending_update_count":3,"last_error_date":1700000000,"last_error_message":"Connection refused"}}"#,
        r#"{"ok":true,"result":{"id":7012345678,"is_bot":true,"first_name":"Acme Alerts","username":"acme_alerts_bot"}}"#,
        r#"{"active":true,"iden":"ujpah72o0sjAoRtnM0jc","type":"note","title":"t","body":"b"}"#,
        r#"{"error":{"code":"invalid_access_token","type":"invalid_request","message":"Access token is missing or invalid.","cat":"~(=^‥^)ノ"}}"#,
        r#"{"devices":[{"iden":"ujpah72o0sjAoRtnM0jc","nickname":"Phone","active":true,"pushable":true}]}"#,
        r#"{"requestId":"1-65f0c2a3-4d2a1b0c9e8f7a6b5c4d3e2f"}"#,
        r#"{"messageId":"1-5e2b2615-05efbb3acab9172f88dd3f6f"}"#,
        r#"{"message":"Unauthorized","type":"authorization_error"}"#,
        r#"{"id":"1-65f0","status":"DELIVERED","providers":[{"channel":{"name":"email"},"status":"DELIVERED","delivered":1700000000000}]}"#,
        r#"{"name":"projects/acme-push/messages/0:1500415314455276%31bd1c9631bd1c96"}"#,
        r#"{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}"#,
        r#"{"access_token":"ya29.c.fuzz","expires_in":3599,"token_type":"Bearer"}"#,
        r#"{"access_token":"ya29.c.fuzz","expires_in":9223372036854775807}"#,
        r#"{"access_token":"ya29.c.fuzz","expires_in":-9223372036854775808}"#,
        r#"{"ok":false,"error_code":429,"description":"Too Many Requests","parameters":{"retry_after":18446744073709551615}}"#,
        r#"{"reason":"Unregistered","timestamp":9223372036854775807}"#,
        r#"{"id":"1-65f0","status":"DELIVERED","providers":[{"channel":{"name":"email"},"status":"SENT","delivered":9223372036854775807,"sent":-9223372036854775808}]}"#,
        r#"{"error":"invalid_grant","error_description":"Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe."}"#,
        r#"{"reason":"BadDeviceToken"}"#,
        r#"{"reason":"Unregistered","timestamp":1700000000000}"#,
        r#"{"id":"sPs71M8A2T","time":1700000000,"expires":1700043200,"event":"message","topic":"alerts","message":"hi"}"#,
        r#"{"code":40301,"http":403,"error":"forbidden","link":"https://ntfy.sh/docs/publish/#authentication"}"#,
        r#"{"healthy":true}"#,
        r#"{"username":"phil","role":"user"}"#,
        r#"<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult><ResponseMetadata><RequestId>f187a3c1</RequestId></ResponseMetadata></PublishResponse>"#,
        r#"<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. The Canonical String for this request should have been 'POST / &amp; x' The String-to-Sign should have been 'AWS4-HMAC-SHA256 x'</Message></Error><RequestId>r</RequestId></ErrorResponse>"#,
        r#"<ListTopicsResponse><ListTopicsResult><Topics><member><TopicArn>arn:aws:sns:us-east-1:123456789012:Builds</TopicArn></member></Topics></ListTopicsResult></ListTopicsResponse>"#,
        r#"<NotificationOutcome xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Success>1</Success><Failure>1</Failure><Results><RegistrationResult><ApplicationPlatform>apple</ApplicationPlatform><PnsHandle>a1b2</PnsHandle><RegistrationId>5126-1</RegistrationId><Outcome>The Notification was successfully sent to the Push Notification System</Outcome></RegistrationResult><RegistrationResult><ApplicationPlatform>gcm</ApplicationPlatform><PnsHandle>dead</PnsHandle><RegistrationId>5126-2</RegistrationId><Outcome>The Push Notification System handle for the registration is invalid</Outcome></RegistrationResult></Results></NotificationOutcome>"#,
        r#"<Error><Code>401</Code><Detail>ExpiredToken: .TrackingId:0f8f_G1,TimeStamp:11/24/2026 10:00:00 AM</Detail></Error>"#,
        r#"<Error><Code>401</Code><Detail>'Send' claim(s) are required for this operation.</Detail></Error>"#,
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><content><WindowsRegistrationDescription><Tags>a,b</Tags></WindowsRegistrationDescription></content></entry></feed>"#,
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Requests each provider really makes (send, check, lookups, token exchange), to attach
/// responses to.
fn provider_requests(p: &'static dyn Provider) -> Vec<PreparedRequest> {
    let profile = profile_for(p);
    let secrets = secrets_for(p);
    let mut requests = Vec::new();
    if let Ok(CallPlan::Request(r)) = p.call(&Call::Check, &profile, &secrets) {
        requests.push(r);
    }
    for lookup in p.info().lookups {
        if let Ok(CallPlan::Request(r)) = p.call(&Call::lookup(lookup.id), &profile, &secrets) {
            requests.push(r);
        }
    }
    if let Ok(TokenPlan::Exchange(r)) =
        p.token_plan(&profile, &secrets, time::OffsetDateTime::now_utc())
    {
        requests.push(r);
    }
    let job = job(p, valid_draft(p), profile, secrets);
    if let Ok(prepared) = Engine::prepare(&job) {
        requests.extend(prepared.requests);
    }
    requests
}

#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Body,
    truncated: bool,
    /// Which of the request's secrets the reply quotes, if it quotes one.
    echo: usize,
}

fn header() -> impl Strategy<Value = (String, String)> {
    let name = prop::sample::select(vec![
        "Retry-After",
        "Content-Type",
        "Location",
        "X-Ratelimit-Limit",
        "X-Ratelimit-Remaining",
        "X-Ratelimit-Reset",
        "apns-id",
        "apns-unique-id",
        "TrackingId",
        "x-amzn-RequestId",
        "Link",
    ])
    .prop_map(str::to_string);
    let value = prop_oneof![
        (-2i64..100_000).prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("application/json; charset=utf-8".to_string()),
        Just("application/xml".to_string()),
        Just("Wed, 21 Oct 2026 07:28:00 GMT".to_string()),
        Just("https://elsewhere.example/".to_string()),
        text(),
    ];
    (name, value)
}

/// Where a reply quotes back one of the request's secrets (servers quote what they got).
const ECHO: &str = "\u{1}ECHO\u{1}";

/// A response; its body sometimes quotes a secret of the request it answers (`ECHO`).
fn reply() -> impl Strategy<Value = Reply> {
    let status = prop_oneof![
        4 => prop::sample::select(vec![
            200u16, 201, 202, 204, 301, 302, 307, 400, 401, 403, 404, 405, 410, 413, 429, 500, 502,
            503,
        ]),
        1 => 100u16..1000,
        1 => any::<u16>(),
    ];
    let echoed = prop::sample::select(response_samples()).prop_map(|sample| {
        let mut out = sample;
        for word in [
            "Access token",
            "Bad Request",
            "BadDeviceToken",
            "forbidden",
            "SignatureDoesNotMatch",
            "ExpiredToken",
            "Unauthorized",
            "invalid_grant",
            "Requested entity",
            "All included",
            "Too Many Requests",
            "Invalid JWT",
            "limit reached",
            "Send",
        ] {
            out = out.replacen(word, ECHO, 1);
        }
        out
    });
    let text_body = prop_oneof![
        4 => mutated(response_samples()),
        2 => json_value().prop_map(|v| v.to_string()),
        1 => text(),
        2 => echoed,
    ];
    let body = prop_oneof![
        6 => text_body.prop_map(Body::Text),
        1 => Just(Body::Empty),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| Body::Bytes(b.into())),
    ];
    let headers = prop::collection::vec(
        prop_oneof![4 => header(), 1 => Just(("WWW-Authenticate".to_string(), ECHO.to_string()))],
        0..4,
    );
    (
        status,
        headers,
        body,
        prop::bool::weighted(0.1),
        any::<usize>(),
    )
        .prop_map(|(status, headers, body, truncated, echo)| Reply {
            status,
            headers,
            body,
            truncated,
            echo,
        })
}

/// The exchange as the transport records it: the echo filled in with one of the request's own
/// secrets, then the transport's masking of echoed secrets.
fn exchange(request: &PreparedRequest, reply: &Reply) -> Exchange {
    let echo = match request.secrets.as_slice() {
        [] => "-".to_string(),
        all => all[reply.echo % all.len()].value.clone(),
    };
    let fill = |t: &str| t.replace(ECHO, &echo);
    let body = match &reply.body {
        Body::Text(t) => Body::Text(fill(t)),
        other => other.clone(),
    };
    let response = ResponseDump {
        status: reply.status,
        reason: ::http::StatusCode::from_u16(reply.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("")
            .to_string(),
        version: "HTTP/1.1".into(),
        headers: reply
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), fill(v)))
            .collect(),
        body,
        truncated: reply.truncated,
    };
    let mut exchange = Exchange::unsent(request.clone());
    exchange.response = Some(http::mask_echoed_secrets(response, &request.secrets));
    exchange
}

fn check_outcome(p: &dyn Provider, request: &PreparedRequest, outcome: &Outcome, what: &str) {
    assert!(
        !outcome.summary.trim().is_empty(),
        "{} {what}: an outcome without words",
        p.info().id
    );
    let text = format!(
        "{}\n{}",
        outcome.summary,
        outcome.hint.as_deref().unwrap_or("")
    );
    assert_no_secret(p, &text, &format!("the outcome of {what}"));
    for secret in &request.secrets {
        assert!(
            !text.contains(&secret.value),
            "{}: the request's {} appears in the outcome of {what}:\n{text}",
            p.info().id,
            secret.field
        );
    }
}

fn responses_for(id: &'static str, name: &'static str) {
    let p = provider::find(id).unwrap_or_else(|| panic!("provider {id}"));
    let requests = provider_requests(p);
    assert!(
        !requests.is_empty(),
        "{id}: no request to attach responses to (the fixture profile no longer works)"
    );
    let strategy = (0..requests.len(), reply());
    fuzz(name, strategy, |(i, reply)| {
        let request = &requests[i];
        let ex = exchange(request, &reply);
        let now = time::OffsetDateTime::now_utc();
        check_outcome(p, request, &p.interpret(&ex), "a send");
        check_outcome(p, request, &p.interpret_call(&Call::Check, &ex), "a check");
        for lookup in p.info().lookups {
            let call = Call::lookup(lookup.id);
            check_outcome(p, request, &p.interpret_call(&call, &ex), "a lookup");
        }
        let _ = p.interpret_call(&Call::lookup("no-such-lookup"), &ex);
        match p.token_from_exchange(&ex, now) {
            Ok(token) => assert!(!token.value.is_empty()),
            Err(outcome) => check_outcome(p, request, &outcome, "a token exchange"),
        }
        let red = ex.redacted();
        let _ = red.response.as_ref().map(|r| {
            (
                http::dump::response_text(r),
                http::dump::response_json(r, 1.0),
            )
        });
        // The generic readings every provider falls back on.
        let _ = Outcome::from_transport(&ex);
        let _ = Outcome::from_status(p.info().name, reply.status, "detail");
    });
}

#[test]
fn responses_onesignal() {
    responses_for("onesignal", "responses_onesignal");
}

#[test]
fn responses_azure() {
    responses_for("azure", "responses_azure");
}

#[test]
fn responses_telegram() {
    responses_for("telegram", "responses_telegram");
}

#[test]
fn responses_pushbullet() {
    responses_for("pushbullet", "responses_pushbullet");
}

#[test]
fn responses_courier() {
    responses_for("courier", "responses_courier");
}

#[test]
fn responses_sns() {
    responses_for("sns", "responses_sns");
}

#[test]
fn responses_fcm() {
    responses_for("fcm", "responses_fcm");
}

#[test]
fn responses_apns() {
    responses_for("apns", "responses_apns");
}

#[test]
fn responses_ntfy() {
    responses_for("ntfy", "responses_ntfy");
}

#[test]
fn responses_webpush() {
    responses_for("webpush", "responses_webpush");
}

/// Every registered provider has its own response target above.
#[test]
fn every_provider_has_a_response_target() {
    let covered = [
        "onesignal",
        "azure",
        "telegram",
        "pushbullet",
        "courier",
        "sns",
        "fcm",
        "apns",
        "ntfy",
        "webpush",
    ];
    for p in provider::all() {
        assert!(
            covered.contains(&p.info().id),
            "add a responses_{} target for the new provider",
            p.info().id
        );
    }
}

/// The helpers that read provider answers outside `interpret`: Courier's delivery status, the
/// Telegram Bot API envelope and what the bot helpers read from it, Azure's XML, Pushbullet's
/// rate-limit headers.
#[test]
fn provider_response_helpers() {
    use pushdeck::provider::{azure, courier, pushbullet, telegram};
    let telegram_request = telegram::method_request(
        &profile_for(provider::find("telegram").expect("telegram")),
        &secrets_for(provider::find("telegram").expect("telegram")),
        "getUpdates",
        None,
    );
    let courier_request = courier::delivery_request(
        &profile_for(provider::find("courier").expect("courier")),
        &secrets_for(provider::find("courier").expect("courier")),
        "1-65f0c2a3",
    );
    let requests: Vec<PreparedRequest> = [telegram_request.ok(), courier_request.ok()]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(requests.len(), 2, "the helper requests build");
    let strategy = (reply(), json_value());
    fuzz("provider_response_helpers", strategy, |(reply, value)| {
        for request in &requests {
            let ex = exchange(request, &reply);
            let _ = courier::interpret_delivery(&ex);
            if let Ok(result) = telegram::reply(&ex) {
                let _ = telegram::discover_chats(&result);
                let _ = telegram::webhook_summary(&result);
                let _ = telegram::bot_identity(&result);
            }
            if let Some(r) = ex.response.as_ref() {
                let _ = pushbullet::rate_limit_text(r);
                let text = r.text();
                let _ = azure::parse_outcome(text);
                let detail = azure::report::error_detail(text);
                let _ = azure::report::missing_claim(&detail);
                let _ = azure::report::missing_claim(text);
            }
        }
        let _ = telegram::discover_chats(&value);
        let _ = telegram::webhook_summary(&value);
        let _ = telegram::bot_identity(&value);
    });
}

/// A transport failure of any kind and wording is explained, and never with a secret.
#[test]
fn transport_failures() {
    let kinds = vec![
        http::TransportErrorKind::Connect,
        http::TransportErrorKind::Timeout,
        http::TransportErrorKind::Tls,
        http::TransportErrorKind::Cancelled,
        http::TransportErrorKind::Abandoned,
        http::TransportErrorKind::Refused,
        http::TransportErrorKind::Other,
    ];
    let strategy = (
        provider_index(),
        prop::sample::select(kinds),
        text(),
        any::<bool>(),
    );
    fuzz(
        "transport_failures",
        strategy,
        |(i, kind, words, quote_url)| {
            let p = provider::all()[i];
            for request in provider_requests(p).into_iter().take(2) {
                let mut ex = Exchange::unsent(request.clone());
                let message = if quote_url {
                    format!("`{}` failed: {words}", request.url)
                } else {
                    words.clone()
                };
                ex.error = Some(TransportError {
                    kind,
                    message: if message.trim().is_empty() {
                        "failed".into()
                    } else {
                        message
                    },
                    detail: request.url.clone(),
                });
                let outcome = p.interpret(&ex);
                assert_eq!(outcome.verdict, Verdict::TransportFailed, "{outcome:?}");
                check_outcome(p, &request, &outcome, "a transport failure");
            }
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Regressions: inputs the fuzzer found. Each stays as a plain test.

/// Found by `azure_tag_expressions`: deep nesting overflowed the stack (a process abort, not an
/// error). Run in a child process so that the overflow fails this test instead of aborting the
/// whole binary.
#[test]
fn tag_expression_nesting_is_bounded() {
    if std::env::var_os("PUSHDECK_FUZZ_CHILD").is_some() {
        for deep in ["(".repeat(100_000) + "a", "!".repeat(100_000) + "a"] {
            let result = pushdeck::provider::azure::parse_tag_expression(&deep);
            assert!(result.is_err(), "{} levels deep is refused", deep.len());
        }
        return;
    }
    let status = std::process::Command::new(std::env::current_exe().expect("this binary"))
        .args([
            "--exact",
            "tag_expression_nesting_is_bounded",
            "--include-ignored",
        ])
        .env("PUSHDECK_FUZZ_CHILD", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("runs");
    assert!(
        status.success(),
        "parsing a deeply nested tag expression crashed or was accepted: {status}"
    );
}

/// Found by `responses_sns`: a SignatureDoesNotMatch answer to a request signed with a session
/// token put the token into the outcome's hint.
#[test]
fn sns_signature_hint_does_not_quote_the_session_token() {
    let sns = provider::find("sns").expect("sns");
    let job = job(sns, valid_draft(sns), profile_for(sns), secrets_for(sns));
    let request = Engine::prepare(&job).expect("prepares").requests.remove(0);
    let token = secret_value("sns", "session_token");
    assert!(request.secrets.iter().any(|s| s.value == token));
    let reply = Reply {
        status: 403,
        headers: Vec::new(),
        body: Body::Text(
            response_samples()
                .into_iter()
                .find(|s| s.contains("SignatureDoesNotMatch"))
                .expect("sample"),
        ),
        truncated: false,
        echo: 0,
    };
    let outcome = sns.interpret(&exchange(&request, &reply));
    let text = format!("{} {}", outcome.summary, outcome.hint.unwrap_or_default());
    assert!(text.contains("this app signed"), "{text}");
    assert!(
        !text.contains(&token),
        "the session token is in the outcome: {text}"
    );
}

/// Found by `responses_fcm`: a token endpoint answering `"expires_in": 9223372036854775807`
/// panicked in `token_from_exchange` (the CLI dies with a panic, the app's send never ends).
#[test]
fn fcm_token_lifetime_cannot_overflow() {
    let fcm = provider::find("fcm").expect("fcm");
    let Ok(TokenPlan::Exchange(request)) = fcm.token_plan(
        &profile_for(fcm),
        &secrets_for(fcm),
        time::OffsetDateTime::now_utc(),
    ) else {
        panic!("FCM exchanges its token");
    };
    for lifetime in [i64::MAX, 300_000_000_000] {
        let reply = Reply {
            status: 200,
            headers: Vec::new(),
            body: Body::Text(
                json!({"access_token": "ya29.c.x", "expires_in": lifetime}).to_string(),
            ),
            truncated: false,
            echo: 0,
        };
        let ex = exchange(&request, &reply);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            fcm.token_from_exchange(&ex, time::OffsetDateTime::now_utc())
                .map(|t| t.expires_at)
        }));
        assert!(result.is_ok(), "expires_in {lifetime} panicked");
    }
}

// ---------------------------------------------------------------------------------------------
// The sink: every imitation answers whatever a backend sends (any method, path, headers, body,
// rehearsal) without panicking, and with an HTTP status.

#[test]
fn sink_arrivals() {
    let now = std::time::SystemTime::now();
    let imitations: Vec<Box<dyn pushdeck::sink::Imitation>> = pushdeck::sink::imitated()
        .into_iter()
        .filter_map(|id| {
            let mut sink = pushdeck::sink::imitation(id)?;
            sink.begin(&pushdeck::sink::SinkStart {
                profile: None,
                secrets: None,
                base_url: "https://127.0.0.1:8630",
                kept: None,
                now,
            })
            .ok()?;
            Some(sink)
        })
        .collect();
    let paths = mutated(vec![
        format!("/3/device/{DEVICE}"),
        "/token".into(),
        "/v1/projects/acme-push/messages:send".into(),
        "/push/Ab3dE5gH".into(),
        "/bot7012345678:AAHfuzzToken_0123/sendMessage?chat_id=42&text=hi".into(),
        "/".into(),
    ]);
    let names = prop::sample::select(vec![
        "authorization",
        "apns-topic",
        "apns-push-type",
        "apns-priority",
        "apns-expiration",
        "apns-collapse-id",
        "apns-id",
        "content-type",
        "ttl",
        "urgency",
        "topic",
        "content-encoding",
        "crypto-key",
        "encryption",
    ]);
    let values = mutated(vec![
        "bearer eyJhbGciOiJFUzI1NiIsImtpZCI6IkFCQzEyM0RFRkcifQ.eyJpc3MiOiJERUYxMjNHSElKIiwiaWF0IjoxfQ.AAAA".into(),
        "Bearer ya29.c.x".into(),
        "com.example.app".into(),
        "background".into(),
        "10".into(),
        "application/x-www-form-urlencoded".into(),
        "eabeae54-14a8-11e5-b60b-1697f925ec7b".into(),
        "vapid t=eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJodHRwczovL3giLCJleHAiOjF9.AA, k=BA1Hxzyi1RUM1b5wjxsn7nGxAszw2u61m164i3MrAIxHF6YK5h4SDYic".into(),
        "aes128gcm".into(),
        "dh=BCVx; p256ecdsa=BA1H".into(),
        "application/json".into(),
    ]);
    let bodies = prop_oneof![
        3 => mutated(vec![
            r#"{"aps":{"alert":{"title":"t","body":"b"},"event":"start","content-state":{}}}"#.into(),
            r##"{"message":{"token":"eXaMpLeToKeN:APA91b","data":{"a":"b"},"android":{"ttl":"3s","notification":{"color":"#ffffff"}}},"validate_only":true}"##.into(),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.AA".into(),
            r#"{"chat_id":42,"text":"*b* _i_ \\.","parse_mode":"MarkdownV2","reply_markup":{"inline_keyboard":[[{"text":"a","url":"https://x.test"}]]}}"#.into(),
        ]),
        1 => text(),
    ];
    let input = (
        0..imitations.len().max(1),
        prop::sample::select(vec!["POST", "GET", "PUT"]),
        paths,
        prop::collection::vec((names, values), 0..8),
        bodies,
        any::<(bool, bool, u8)>(),
    );
    fuzz(
        "sink_arrivals",
        input,
        |(which, method, target, headers, body, (http2, certificate, rehearse))| {
            let Some(sink) = imitations.get(which) else {
                return;
            };
            let arrival = http::Arrival {
                method: method.into(),
                target,
                version: if http2 { "HTTP/2.0" } else { "HTTP/1.1" }.into(),
                headers: headers
                    .into_iter()
                    .map(|(n, v)| (n.to_string(), v))
                    .collect(),
                body: body.into_bytes().into(),
                tls: true,
                client_certificate: certificate.then(|| b"not a certificate".to_vec()),
                peer: "127.0.0.1:50000".into(),
                received_at: now,
            };
            let rehearsals = sink.rehearsals();
            let rehearsal = rehearsals.get(usize::from(rehearse) % (rehearsals.len() + 1));
            let verdict = sink.answer(&arrival, rehearsal);
            assert!(
                (100..=599).contains(&verdict.status),
                "{} answered {}",
                sink.provider(),
                verdict.status
            );
        },
    );
}
