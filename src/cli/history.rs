//! `pushdeck history …`: past sends with their (redacted) exchanges.

use serde_json::{Value, json};

use super::args::HistoryCommand;
use super::context::{CliResult, Context, bad_input};
use super::exit::Exit;
use super::print::{outcome_json, pretty};
use crate::http::dump;
use crate::store::HistoryStore;

pub fn history_command(ctx: &Context, cmd: HistoryCommand) -> CliResult {
    let history = ctx.history();
    match cmd {
        HistoryCommand::List { json } => list(&history, json),
        HistoryCommand::Show { id, json } => show(&history, &id, json),
    }
}

fn list(history: &HistoryStore, json: bool) -> CliResult {
    let list = history.list();
    if json {
        out!("{}", pretty(&json!({"history": list})));
    } else if list.is_empty() {
        out!("No sends yet.");
    } else {
        for s in list {
            out!(
                "{}  {}  {:<12} {:<16} {}",
                s.id,
                if s.ok { "✓" } else { "✗" },
                s.provider,
                s.profile,
                s.summary
            );
        }
    }
    Ok(Exit::Success)
}

fn show(history: &HistoryStore, id: &str, json: bool) -> CliResult {
    let entry = history
        .get(id)
        .map_err(|e| bad_input(e.to_string()))?
        .ok_or_else(|| {
            bad_input(format!(
                "history: no entry `{id}` (see `pushdeck history list`)"
            ))
        })?;
    if json {
        let results: Vec<Value> = entry
            .results
            .iter()
            .map(|r| json!({
                "recipient": r.exchange.request.recipient,
                "request": dump::request_json(&r.exchange.request),
                "response": r.exchange.response.as_ref().map(|resp| dump::response_json(resp, r.exchange.elapsed_ms)),
                "outcome": outcome_json(&r.outcome),
            }))
            .collect();
        out!(
            "{}",
            pretty(
                &json!({"id": entry.id, "at": entry.at, "provider": entry.provider, "profile": entry.profile, "audience": entry.audience, "draft": entry.draft, "results": results})
            )
        );
    } else {
        out!(
            "{} · {} · profile {} · to {}",
            entry.at,
            entry.provider,
            entry.profile,
            entry.audience
        );
        for r in &entry.results {
            out!("\n== {}", r.outcome.summary);
            out_raw!("{}", dump::exchange_text(&r.exchange));
        }
    }
    Ok(Exit::Success)
}
