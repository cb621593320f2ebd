//! CPU time of one UI frame, headless: while typing in the composer with the Request pane live, and
//! with a 5 MB JSON response open in the inspector. `cargo bench --bench ui_frame`.

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use pushdeck::engine::{SendReport, SendResult};
use pushdeck::http::{Body, Exchange, PreparedRequest, ResponseDump};
use pushdeck::outcome::Outcome;
use pushdeck::store::{Paths, Profile, ProfileStore, SecretStore};
use pushdeck::ui::{AppSetup, PushdeckApp, RightTab};

fn app(dir: &std::path::Path, runtime: &tokio::runtime::Runtime) -> PushdeckApp {
    let paths = Paths::under(dir);
    let mut profiles = ProfileStore::open(paths.profiles_file()).expect("profiles");
    let mut p = Profile::new("bench", "onesignal");
    p.settings.insert(
        "app_id".into(),
        "8a7b3c2d-1e0f-4a5b-9c8d-944455556666".into(),
    );
    profiles.upsert(p).expect("profile");
    let keyring = SecretStore::memory();
    keyring
        .set(
            "bench",
            "api_key",
            "os_v2_app_benchkey0123456789abcdefghijklmnop",
        )
        .expect("secret");
    let mut app = PushdeckApp::new(AppSetup {
        paths,
        keyring,
        runtime: runtime.handle().clone(),
    })
    .expect("app");
    let draft = pushdeck::draft::Draft::from_json(
        &include_str!("../assets/examples/onesignal-flash-sale.json").replace("acme-web", "bench"),
    )
    .expect("draft");
    app.load_draft(&draft).expect("load");
    app
}

/// A Web Push profile with keys and a draft to `count` subscriptions (real P-256 keys).
fn webpush_app(
    dir: &std::path::Path,
    runtime: &tokio::runtime::Runtime,
    count: usize,
) -> PushdeckApp {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let paths = Paths::under(dir);
    let key = pushdeck::provider::webpush::vapid::VapidKey::generate().expect("vapid");
    let mut profiles = ProfileStore::open(paths.profiles_file()).expect("profiles");
    let mut p = Profile::new("site", "webpush");
    p.settings
        .insert("subject".into(), "mailto:ops@example.com".into());
    p.settings
        .insert("vapid_public_key".into(), key.public_key_b64());
    profiles.upsert(p).expect("profile");
    let keyring = SecretStore::memory();
    keyring
        .set(
            "site",
            "vapid_private_key",
            &key.private_key_b64().expect("export"),
        )
        .expect("secret");
    let mut app = PushdeckApp::new(AppSetup {
        paths,
        keyring,
        runtime: runtime.handle().clone(),
    })
    .expect("app");
    let subs: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            let k = aws_lc_rs::agreement::PrivateKey::generate(&aws_lc_rs::agreement::ECDH_P256)
                .expect("key");
            let public = k.compute_public_key().expect("public");
            serde_json::json!({"endpoint": format!("https://fcm.googleapis.com/fcm/send/bench-{i}"),
                "expirationTime": null,
                "keys": {"p256dh": b64.encode(public.as_ref()), "auth": b64.encode([7u8; 16])}})
        })
        .collect();
    let draft = pushdeck::draft::Draft::from_json(
        &serde_json::json!({"profile": "site", "message": {"title": "Build 118", "body": "Passed"},
            "audience": {"subscriptions": subs}})
        .to_string(),
    )
    .expect("draft");
    app.tab = pushdeck::provider::all()
        .iter()
        .position(|p| p.info().id == "webpush")
        .expect("webpush");
    app.load_draft(&draft).expect("load");
    app
}

/// A JSON document of about `bytes` bytes.
fn big_json(bytes: usize) -> String {
    let item = r#"{"id":"b6b326a8-40aa-4b8f-9ad4-1d0fe7e3b5a1","name":"segment name","created_at":"2026-11-24T00:00:00Z"},"#;
    let mut s = String::from(r#"{"segments":["#);
    while s.len() < bytes {
        s.push_str(item);
    }
    s.pop();
    s.push_str("]}");
    s
}

fn frames(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");

    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(
            |ui, app: &mut PushdeckApp| app.ui(ui),
            app(dir.path(), &runtime),
        );
    h.run();
    h.get_by_label("Body").focus();
    h.run();
    c.bench_function("frame/typing_with_live_request_pane", |b| {
        b.iter(|| {
            h.get_by_label("Body").type_text("x");
            h.step();
        })
    });

    // The same with a Web Push fan-out of 10,000 subscriptions in the audience.
    let webpush_dir = tempfile::tempdir().expect("tempdir");
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(
            |ui, app: &mut PushdeckApp| app.ui(ui),
            webpush_app(webpush_dir.path(), &runtime, 10_000),
        );
    h.run();
    h.get_by_label("Body").focus();
    h.run();
    c.bench_function("frame/typing_with_10k_webpush_subscriptions", |b| {
        b.iter(|| {
            h.get_by_label("Body").type_text("x");
            h.step();
        })
    });
    c.bench_function("frame/idle_redraw_with_10k_webpush_subscriptions", |b| {
        b.iter(|| h.step())
    });

    let mut a = app(dir.path(), &runtime);
    let mut exchange = Exchange::unsent(PreparedRequest::new(
        "GET",
        "https://api.onesignal.com/apps/x/segments",
    ));
    exchange.response = Some(ResponseDump {
        status: 200,
        reason: "OK".into(),
        version: "HTTP/1.1".into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: Body::Text(big_json(5 * 1024 * 1024)),
        truncated: false,
    });
    let report = SendReport {
        results: vec![std::sync::Arc::new(SendResult {
            index: 0,
            exchange,
            outcome: Outcome::accepted("Loaded"),
            retried: Vec::new(),
        })],
        ..Default::default()
    };
    a.set_last_report(report);
    a.right = RightTab::Response;
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(|ui, app: &mut PushdeckApp| app.ui(ui), a);
    h.run();
    c.bench_function("frame/inspector_with_5MB_json_response", |b| {
        b.iter(|| h.step())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = frames
}
criterion_main!(benches);
