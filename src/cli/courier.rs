//! `pushdeck courier …`: Courier follow-ups.

use std::time::Duration;

use serde_json::json;

use super::args::{CourierCommand, Output};
use super::context::{CliResult, Context, bad_input, timeout};
use super::exit::Exit;
use super::print::{pretty, result_json, status_line};
use crate::provider::{Call, courier};

pub fn courier_command(ctx: &Context, cmd: CourierCommand) -> CliResult {
    match cmd {
        CourierCommand::Delivery {
            profile,
            message_id,
            out,
            timeout: t,
        } => delivery(ctx, &profile, &message_id, out, timeout(t)?),
    }
}

fn delivery(
    ctx: &Context,
    name: &str,
    message_id: &str,
    out: Output,
    timeout: Duration,
) -> CliResult {
    let loaded = ctx.load_checked(name, |provider| {
        if provider.info().id == "courier" {
            Ok(())
        } else {
            Err(bad_input(format!(
                "profile `{name}` is a {} profile; `courier delivery` needs a Courier profile",
                provider.info().name
            )))
        }
    })?;
    let call = Call::action(courier::DELIVERY, json!({ "message_id": message_id }));
    let result = ctx.call(&loaded, call, timeout)?;
    if out.json {
        let mut row = result_json(&result, out.reveal);
        row["outcome"]["channels"] = json!(
            result
                .outcome
                .items
                .iter()
                .map(|i| i.label.clone())
                .collect::<Vec<_>>()
        );
        out!("{}", pretty(&json!({ "results": [row] })));
    } else {
        let mark = if result.outcome.is_ok() { "✓" } else { "✗" };
        out!(
            "{mark} {}{}",
            result.outcome.summary,
            status_line(&result.exchange)
        );
        for item in &result.outcome.items {
            out!("  {}", item.label);
        }
        if let Some(h) = &result.outcome.hint {
            out!("  → {h}");
        }
    }
    Ok(Exit::of_result(result))
}
