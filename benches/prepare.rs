//! Per-send engine overhead for each provider: prepare (build + sign/encrypt + serialize) of a
//! typical message, no network. `cargo bench --bench prepare`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pushdeck::draft::Draft;
use pushdeck::engine::{Engine, SendJob};
use pushdeck::provider::{self, Secrets};
use pushdeck::store::Profile;

/// A representative draft, profile and secrets per provider.
fn fixtures() -> Vec<SendJob> {
    let message = serde_json::json!({
        "title": "Flash sale", "subtitle": "Today only", "body": "50% off everything until midnight",
        "url": "https://acme.example/sale", "image": "https://acme.example/banner.png",
        "buttons": [{"id": "shop", "label": "Shop now", "url": "https://acme.example/shop"}],
        "data": {"campaign": "fall-2026"},
        "translations": {"fr": {"title": "Vente flash", "body": "-50 %"}}
    });
    let mut jobs = Vec::new();
    for p in provider::all() {
        let id = p.info().id;
        let mut profile = Profile::new("bench", id);
        let mut secrets = Secrets::default();
        let audience = match id {
            "onesignal" => {
                profile.settings.insert(
                    "app_id".into(),
                    "8a7b3c2d-1e0f-4a5b-9c8d-944455556666".into(),
                );
                secrets.insert(
                    "api_key",
                    "os_v2_app_benchkey0123456789abcdefghijklmnop".into(),
                );
                serde_json::json!({"segments": ["Active Users"]})
            }
            // Providers added later bring their own fixture here.
            _ => continue,
        };
        let draft = Draft::from_json(
            &serde_json::json!({"profile": "bench", "message": message, "audience": audience})
                .to_string(),
        )
        .expect("bench draft");
        jobs.push(SendJob {
            provider: *p,
            draft,
            profile,
            secrets,
            idempotency_key: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
            dry_run: false,
            timeout: std::time::Duration::from_secs(30),
            concurrency: 8,
        });
    }
    jobs
}

fn prepare(c: &mut Criterion) {
    for job in fixtures() {
        c.bench_function(&format!("prepare/{}", job.provider.info().id), |b| {
            b.iter(|| black_box(Engine::prepare(black_box(&job)).expect("prepares")))
        });
    }
}

criterion_group!(benches, prepare);
criterion_main!(benches);
