//! The cost of Pushdeck's Web Push encryption alone (RFC 8291 `aes128gcm`, a fresh sender key
//! pair and salt per message): one `encrypt_message` per subscription, no VAPID, no network.
//! benches/webpush-fanout compares `pushdeck send` against it.
//!
//!   cargo run --release --example ece_cost -- SUBSCRIPTIONS.json PAYLOAD_FILE
//!
//! SUBSCRIPTIONS.json is a JSON array of PushSubscription objects. Prints one JSON line:
//! `{"messages", "cpu_seconds", "wall_seconds", "body_bytes"}` (CPU time of this thread, from
//! /proc/thread-self/schedstat; wall time when that is unavailable).

use std::hint::black_box;
use std::time::Instant;

use anyhow::{Context, bail};
use pushdeck::provider::webpush::ece;
use pushdeck::provider::webpush::vapid::decode_b64;
use serde_json::{Value, json};

/// CPU nanoseconds this thread has run, where Linux tells.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn key(sub: &Value, name: &str, index: usize) -> anyhow::Result<Vec<u8>> {
    let text = sub["keys"][name]
        .as_str()
        .with_context(|| format!("subscription {index} has no keys.{name}"))?;
    decode_b64(text).with_context(|| format!("subscription {index}: keys.{name} is not base64url"))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [subs_path, payload_path] = args.as_slice() else {
        bail!("usage: ece_cost SUBSCRIPTIONS.json PAYLOAD_FILE");
    };
    let subs: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(subs_path).with_context(|| format!("reading {subs_path}"))?,
    )
    .with_context(|| format!("{subs_path} is not a JSON array"))?;
    let payload = std::fs::read(payload_path).with_context(|| format!("reading {payload_path}"))?;
    let keys = subs
        .iter()
        .enumerate()
        .map(|(i, sub)| Ok((key(sub, "p256dh", i)?, key(sub, "auth", i)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;

    let cpu_start = thread_cpu_ns();
    let wall_start = Instant::now();
    let mut bytes = 0usize;
    for (i, (p256dh, auth)) in keys.iter().enumerate() {
        let body = ece::encrypt_message(black_box(&payload), p256dh, auth)
            .with_context(|| format!("encrypting for subscription {i}"))?;
        bytes += black_box(body).len();
    }
    let wall = wall_start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, thread_cpu_ns()) {
        (Some(a), Some(b)) => (b.saturating_sub(a)) as f64 / 1e9,
        _ => wall,
    };
    println!(
        "{}",
        json!({"messages": keys.len(), "cpu_seconds": cpu, "wall_seconds": wall, "body_bytes": bytes})
    );
    Ok(())
}
