//! `pushdeck apns channels …`: iOS 18 broadcast channels on Apple's channel management host
//! (create, list, show, delete). Each call is sent and recorded by the engine like any exchange,
//! the provider token masked. Sending to a channel is `pushdeck send` with `audience.channel_id`.

use std::time::Duration;

use serde_json::{Value, json};

use super::args::{ApnsCommand, ChannelsCommand, Output};
use super::context::{CliResult, Context, bad_input, timeout};
use super::exit::Exit;
use super::print::{pretty, print_failure, result_json, status_line};
use crate::provider::Call;
use crate::provider::apns::channels;

pub fn apns_command(ctx: &Context, cmd: ApnsCommand) -> CliResult {
    let ApnsCommand::Channels(cmd) = cmd;
    match cmd {
        ChannelsCommand::List {
            profile,
            out,
            timeout: t,
        } => list(ctx, &profile, out, timeout(t)?),
        ChannelsCommand::Create {
            profile,
            storage_policy,
            out,
            timeout: t,
        } => {
            let t = timeout(t)?;
            channels::storage_policy(&storage_policy)
                .map_err(|e| bad_input(format!("--storage-policy: {}", e.message)))?;
            let params = json!({"storage_policy": storage_policy.trim()});
            one(
                ctx,
                &profile,
                Call::action(channels::CREATE, params),
                out,
                t,
            )
        }
        ChannelsCommand::Show {
            profile,
            channel_id,
            out,
            timeout: t,
        } => {
            let t = timeout(t)?;
            let id = channel_id_arg(&channel_id)?;
            let params = json!({ "channel_id": id });
            one(ctx, &profile, Call::action(channels::READ, params), out, t)
        }
        ChannelsCommand::Delete {
            profile,
            channel_id,
            yes,
            out,
            timeout: t,
        } => {
            let t = timeout(t)?;
            let id = channel_id_arg(&channel_id)?;
            if !yes {
                return Err(bad_input(format!(
                    "delete: channel {id} stops reaching the devices subscribed to it. Add --yes to delete it."
                )));
            }
            let params = json!({ "channel_id": id });
            one(
                ctx,
                &profile,
                Call::action(channels::DELETE, params),
                out,
                t,
            )
        }
    }
}

fn channel_id_arg(id: &str) -> Result<String, super::context::Failure> {
    channels::check_channel_id("channel_id", id).map_err(|e| bad_input(e.to_string()))
}

/// Loads an APNs profile (refusing any other kind) and makes one channel call.
fn call(
    ctx: &Context,
    name: &str,
    call: Call,
    timeout: Duration,
) -> Result<std::sync::Arc<crate::engine::SendResult>, super::context::Failure> {
    let loaded = ctx.load_checked(name, |provider| {
        if provider.info().id == "apns" {
            Ok(())
        } else {
            Err(bad_input(format!(
                "profile: `{name}` is a {} profile; `apns channels` needs an APNs profile",
                provider.info().name
            )))
        }
    })?;
    ctx.call(&loaded, call, timeout)
}

fn list(ctx: &Context, profile: &str, out: Output, timeout: Duration) -> CliResult {
    let result = call(ctx, profile, Call::lookup(channels::LOOKUP), timeout)?;
    if !result.outcome.is_ok() {
        return Ok(print_failure(&result, out));
    }
    let ids: Vec<&str> = result
        .outcome
        .items
        .iter()
        .map(|i| i.value.as_str())
        .collect();
    if out.json {
        out!(
            "{}",
            pretty(&json!({"results": [result_json(&result, out.reveal)], "channels": ids}))
        );
    } else {
        for id in &ids {
            out!("{id}");
        }
        if ids.is_empty() {
            eprintln!("pushdeck: {}", result.outcome.summary);
        }
    }
    Ok(Exit::of_result(result))
}

/// Create, show or delete: the outcome in a line (the new id alone on stdout for create).
fn one(ctx: &Context, profile: &str, c: Call, out: Output, timeout: Duration) -> CliResult {
    let creating = matches!(&c, Call::Action { name, .. } if name == channels::CREATE);
    let result = call(ctx, profile, c, timeout)?;
    if !result.outcome.is_ok() {
        return Ok(print_failure(&result, out));
    }
    if out.json {
        let id = result.outcome.message_id.clone().map(Value::String);
        out!(
            "{}",
            pretty(&json!({
                "results": [result_json(&result, out.reveal)],
                "channel_id": id.unwrap_or(Value::Null),
            }))
        );
    } else if creating && let Some(id) = &result.outcome.message_id {
        // The id alone on standard output, for scripts; the sentence on standard error.
        out!("{id}");
        eprintln!("pushdeck: ✓ {}", result.outcome.summary);
    } else {
        out!(
            "✓ {}{}",
            result.outcome.summary,
            status_line(&result.exchange)
        );
    }
    Ok(Exit::of_result(result))
}
