//! `pushdeck lookup PROFILE [KIND]`: the lookups the window's audience pickers load (OneSignal
//! segments, Pushbullet devices, SNS topics, Telegram chats…), one call through the engine.

use std::time::Duration;

use serde_json::json;

use super::args::Output;
use super::context::{CliResult, Context, bad_input};
use super::exit::Exit;
use super::print::{pretty, print_failure, result_json};
use crate::provider::{Call, LookupSpec, Provider};

pub fn lookup(
    ctx: &Context,
    name: &str,
    kind: Option<&str>,
    out: Output,
    timeout: Duration,
) -> CliResult {
    let Some(kind) = kind else {
        let (_, provider) = ctx.profile(name)?;
        return list_kinds(provider, out);
    };
    let loaded = ctx.load_checked(name, |provider| {
        let lookups = provider.info().lookups;
        if lookups.iter().any(|l| l.id == kind) {
            Ok(())
        } else {
            Err(bad_input(format!(
                "lookup: `{kind}` is not a lookup of {}; {}",
                provider.info().name,
                valid_kinds(lookups)
            )))
        }
    })?;
    let result = ctx.call(&loaded, Call::lookup(kind), timeout)?;
    if !result.outcome.is_ok() {
        return Ok(print_failure(&result, out));
    }
    if out.json {
        out!(
            "{}",
            pretty(&json!({
                "results": [result_json(&result, out.reveal)],
                "items": result.outcome.items,
            }))
        );
    } else {
        for item in &result.outcome.items {
            out!("{}\t{}", item.value, item.label);
        }
        if result.outcome.items.is_empty() {
            eprintln!("pushdeck: {}", result.outcome.summary);
        }
    }
    Ok(Exit::of_result(result))
}

/// The lookups a provider offers, as the error for an unknown one names them.
fn valid_kinds(lookups: &[LookupSpec]) -> String {
    if lookups.is_empty() {
        "it has none".into()
    } else {
        let ids: Vec<String> = lookups.iter().map(|l| format!("`{}`", l.id)).collect();
        format!("its lookups are {}", ids.join(", "))
    }
}

/// Without KIND: one line per lookup (id, tab, label), read from the provider, no network.
fn list_kinds(provider: &dyn Provider, out: Output) -> CliResult {
    let lookups = provider.info().lookups;
    if out.json {
        let kinds: Vec<_> = lookups
            .iter()
            .map(|l| json!({"id": l.id, "label": l.label, "audience_key": l.audience_key}))
            .collect();
        out!("{}", pretty(&json!({ "kinds": kinds })));
    } else if lookups.is_empty() {
        eprintln!("pushdeck: {} has no lookups", provider.info().name);
    } else {
        for l in lookups {
            out!("{}\t{}", l.id, l.label);
        }
    }
    Ok(Exit::Success)
}
