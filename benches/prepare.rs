//! Per-send engine overhead for each provider: prepare (build + sign/encrypt + serialize) of a
//! typical message to one recipient, no network. `cargo bench --bench prepare`.
//! Web Push is also measured for a 100-subscription fan-out (per request, it is the encryption).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pushdeck::draft::Draft;
use pushdeck::engine::{Engine, SendJob};
use pushdeck::provider::webpush::vapid::VapidKey;
use pushdeck::provider::{self, Secrets};
use pushdeck::store::Profile;
use serde_json::{Value, json};

const FCM_KEY: &str = include_str!("../tests/fixtures/fcm_test_key.pem");
const APNS_KEY: &str = include_str!("../tests/fixtures/apns_test_key.p8");

/// A browser subscription with a real P-256 key (encryption needs a point on the curve).
fn subscription(i: usize) -> Value {
    use base64::Engine as _;
    let key =
        aws_lc_rs::agreement::PrivateKey::generate(&aws_lc_rs::agreement::ECDH_P256).expect("key");
    let public = key.compute_public_key().expect("public");
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    json!({"endpoint": format!("https://fcm.googleapis.com/fcm/send/bench-{i}"),
           "keys": {"p256dh": b64.encode(public.as_ref()), "auth": b64.encode([7u8; 16])}})
}

/// A representative draft, profile and secrets per provider.
fn fixtures() -> Vec<(String, SendJob)> {
    let message = json!({
        "title": "Flash sale", "body": "50% off everything until midnight",
        "url": "https://acme.example/sale", "image": "https://acme.example/banner.png",
        "buttons": [{"id": "shop", "label": "Shop now", "url": "https://acme.example/shop"}],
        "data": {"campaign": "fall-2026"}
    });
    let vapid = VapidKey::generate().expect("vapid key");
    let mut jobs = Vec::new();
    for p in provider::all() {
        let id = p.info().id;
        let mut message = message.clone();
        let mut profile = Profile::new("bench", id);
        let mut secrets = Secrets::default();
        let mut set = |k: &str, v: &str| {
            profile.settings.insert(k.into(), v.into());
        };
        let mut audiences = vec![(id.to_string(), Value::Null)];
        let mut options = json!({});
        match id {
            "onesignal" => {
                set("app_id", "8a7b3c2d-1e0f-4a5b-9c8d-944455556666");
                secrets.insert(
                    "api_key",
                    "os_v2_app_benchkey0123456789abcdefghijklmnop".into(),
                );
                audiences[0].1 = json!({"segments": ["Active Users"]});
            }
            "azure" => {
                set("hub", "acme-hub");
                secrets.insert("connection_string", "Endpoint=sb://acme-ns.servicebus.windows.net/;SharedAccessKeyName=DefaultFullSharedAccessSignature;SharedAccessKey=QmVuY2hLZXkwMTIzNDU2Nzg5YWJjZGVmZ2hpams=".into());
                audiences[0].1 = json!({"tags": ["sports"]});
            }
            "telegram" => {
                secrets.insert(
                    "bot_token",
                    "123456789:AAEbenchTokenabcdefghijklmnopqrstuv".into(),
                );
                audiences[0].1 = json!({"chat_ids": ["123456789"]});
            }
            "pushbullet" => {
                secrets.insert("access_token", "o.benchtoken0123456789abcdefghijkl".into());
                audiences[0].1 = json!({});
            }
            "courier" => {
                secrets.insert("auth_token", "pk_prod_BENCH0123456789ABCDEFGHIJ".into());
                audiences[0].1 = json!({"to": {"email": "ana@example.com"}});
            }
            "sns" => {
                set("region", "us-east-1");
                set("access_key_id", "AKIAIOSFODNN7EXAMPLE");
                secrets.insert(
                    "secret_access_key",
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
                );
                audiences[0].1 = json!({"topic_arn": "arn:aws:sns:us-east-1:123456789012:news"});
            }
            "fcm" => {
                set("project_id", "acme-bench");
                secrets.insert(
                    "service_account_json",
                    json!({
                    "type": "service_account", "project_id": "acme-bench",
                    "private_key_id": "4f1c2a9e8d7b6a5c", "private_key": FCM_KEY,
                    "client_email": "bench@acme-bench.iam.gserviceaccount.com",
                    "token_uri": "https://oauth2.googleapis.com/token"})
                    .to_string(),
                );
                audiences[0].1 = json!({"topic": "news"});
            }
            "apns" => {
                set("key_id", "ABC123DEFG");
                set("team_id", "DEF123GHIJ");
                set("topic", "com.example.app");
                set("environment", "sandbox");
                secrets.insert("signing_key_p8", APNS_KEY.into());
                // iOS shows buttons from a category the app registers.
                options = json!({"category": "SALE"});
                audiences[0].1 = json!({"device_tokens": ["a".repeat(64)]});
            }
            "ntfy" => {
                // ntfy carries no custom data.
                message.as_object_mut().map(|m| m.remove("data"));
                audiences[0].1 = json!({"topic": "ci-builds"});
            }
            "webpush" => {
                set("subject", "mailto:ops@example.com");
                set("vapid_public_key", &vapid.public_key_b64());
                secrets.insert(
                    "vapid_private_key",
                    vapid.private_key_b64().expect("export"),
                );
                audiences[0].1 = json!({"subscriptions": [subscription(0)]});
                let many: Vec<Value> = (0..100).map(subscription).collect();
                audiences.push(("webpush x100".into(), json!({"subscriptions": many})));
            }
            other => panic!("no benchmark fixture for provider `{other}`: add one here"),
        }
        for (name, audience) in audiences {
            let draft = Draft::from_json(
                &json!({"profile": "bench", "message": message, "audience": audience, "options": options})
                    .to_string(),
            )
            .expect("bench draft");
            jobs.push((
                name,
                SendJob {
                    provider: *p,
                    draft: draft.into(),
                    profile: profile.clone(),
                    secrets: secrets.clone(),
                    idempotency_key: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
                    dry_run: false,
                    timeout: std::time::Duration::from_secs(30),
                    concurrency: 8,
                },
            ));
        }
    }
    jobs
}

fn prepare(c: &mut Criterion) {
    for (name, job) in fixtures() {
        c.bench_function(&format!("prepare/{name}"), |b| {
            b.iter(|| black_box(Engine::prepare(black_box(&job)).expect("prepares")))
        });
    }
}

criterion_group!(benches, prepare);
criterion_main!(benches);
