//! `pushdeck check`: the credential doctor's findings, local ones first, then the provider's
//! read-only call.
//!
//! Exit status: `0` when no finding is ✗; `2` when a ✗ found locally stopped the check before
//! the network (nothing was sent); otherwise the read-only call's status (`1` refused, `3` no
//! answer), and `1` when the call worked but a local finding is ✗ (the credential would be
//! refused when sending, e.g. a temporary key without its session token).

use std::time::Duration;

use serde_json::json;

use super::args::Output;
use super::context::{CliResult, Context, read_draft, runtime};
use super::exit::Exit;
use super::print::{pretty, result_json, status_line};
use crate::engine::SendResult;
use crate::provider::doctor::{Level, worst};

pub fn check(
    ctx: &Context,
    name: &str,
    draft: Option<&str>,
    out: Output,
    timeout: Duration,
) -> CliResult {
    let loaded = ctx.load(name)?;
    let draft = draft.map(read_draft).transpose()?;
    let engine = ctx.engine()?;
    let result = runtime()?.block_on(engine.check(
        loaded.provider,
        &loaded.profile,
        &loaded.secrets,
        draft.as_ref().map(|d| &d.audience),
        timeout,
    ));
    let findings = &result.outcome.findings;
    if out.json {
        out!(
            "{}",
            pretty(&json!({
                "results": [result_json(&result, out.reveal)],
                "findings": findings,
            }))
        );
    } else {
        out!("{}:", loaded.profile.name);
        for f in findings {
            out!("{} {}", f.level.mark(), f.text);
            if let Some(d) = &f.detail {
                out!("    {d}");
            }
        }
        if findings.is_empty() {
            // A call that brought no findings (none today): its verdict alone.
            let mark = if result.outcome.is_ok() { "✓" } else { "✗" };
            out!(
                "{mark} {}{}",
                result.outcome.summary,
                status_line(&result.exchange)
            );
        }
    }
    let exit = exit(&result);
    if exit == Exit::BadInput {
        // Like any bad input: one line on stderr, beside the findings.
        eprintln!("pushdeck: check: {}", result.outcome.summary);
    }
    Ok(exit)
}

/// The rule in the module's comment.
fn exit(result: &SendResult) -> Exit {
    let findings = &result.outcome.findings;
    if findings.iter().any(|f| f.stops) {
        return Exit::BadInput;
    }
    let call = Exit::of_result(std::sync::Arc::new(result.clone()));
    if call != Exit::Success {
        return call;
    }
    if worst(findings) == Level::Fail {
        Exit::Refused
    } else {
        Exit::Success
    }
}
