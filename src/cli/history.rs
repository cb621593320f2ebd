//! `pushdeck history …`: past sends with their (redacted) exchanges.

use serde_json::{Value, json};

use super::args::HistoryCommand;
use super::context::{CliResult, Context, bad_input};
use super::exit::Exit;
use super::print::{outcome_json, pretty};
use crate::http::dump;
use crate::store::{CampaignEntry, EntryState, HistoryStore};

pub fn history_command(ctx: &Context, cmd: HistoryCommand) -> CliResult {
    let history = ctx.history();
    match cmd {
        HistoryCommand::List { json } => list(&history, json),
        HistoryCommand::Calls { json } => calls(&history, json),
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

fn calls(history: &HistoryStore, json: bool) -> CliResult {
    let mut calls = history.calls().list();
    calls.reverse();
    if json {
        let rows: Vec<Value> = calls
            .iter()
            .map(|c| {
                let ex = &c.result.exchange;
                json!({
                    "at": c.at,
                    "provider": c.provider,
                    "profile": c.profile,
                    "call": c.call,
                    "request": dump::request_json(&ex.request),
                    "response": ex.response.as_ref().map(|r| dump::response_json(r, ex.elapsed_ms)),
                    "outcome": outcome_json(&c.result.outcome),
                })
            })
            .collect();
        out!("{}", pretty(&json!({ "calls": rows })));
    } else if calls.is_empty() {
        out!("No calls yet.");
    } else {
        for c in calls {
            out!(
                "{}  {}  {:<12} {:<16} {:<16} {}",
                c.at,
                if c.result.outcome.is_ok() {
                    "✓"
                } else {
                    "✗"
                },
                c.provider,
                c.profile,
                c.call,
                c.result.outcome.summary
            );
        }
    }
    Ok(Exit::Success)
}

fn show(history: &HistoryStore, id: &str, json: bool) -> CliResult {
    if let Some(campaign) = history
        .get_campaign(id)
        .map_err(|e| bad_input(e.to_string()))?
    {
        return show_campaign(history, &campaign, json);
    }
    let entry = history
        .get(id)
        .map_err(|e| bad_input(e.to_string()))?
        .ok_or_else(|| {
            bad_input(format!(
                "history: no entry `{id}` (see `pushdeck history list`)"
            ))
        })?;
    let summary = entry.summary();
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
                &json!({"id": entry.id, "at": entry.at, "provider": entry.provider, "profile": entry.profile, "audience": entry.audience, "draft": entry.draft,
                        "state": entry.state, "summary": summary.summary, "recipients": summary.recipients, "reached": summary.reached, "in_doubt": summary.in_doubt,
                        "results": results})
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
        if entry.state != EntryState::Finished || summary.in_doubt > 0 {
            out!("{}", summary.summary);
        }
        if summary.in_doubt > 0 {
            out!(
                "{}; `pushdeck resume {}` skips them unless --include-in-doubt",
                crate::engine::in_doubt_words(summary.in_doubt),
                entry.id
            );
        }
        for r in &entry.results {
            out!("\n== {}", r.outcome.summary);
            out_raw!("{}", dump::exchange_text(&r.exchange));
        }
    }
    Ok(Exit::Success)
}

/// A campaign: every target's entry, one after the other.
fn show_campaign(history: &HistoryStore, campaign: &CampaignEntry, json: bool) -> CliResult {
    let entries = history.campaign_entries(campaign);
    let summary = campaign.summary(&history.list_entries());
    if json {
        let targets: Vec<Value> = campaign
            .targets
            .iter()
            .map(|t| {
                let entry = entries.iter().find(|(i, _)| *i == t.index).map(|(_, e)| e);
                json!({
                    "index": t.index,
                    "profile": t.profile,
                    "provider": t.provider,
                    "audience": t.audience,
                    "history_id": t.entry,
                    "earlier": t.earlier,
                    "results": entry.map(|e| e.results.iter().map(|r| json!({
                        "recipient": r.exchange.request.recipient,
                        "request": dump::request_json(&r.exchange.request),
                        "response": r.exchange.response.as_ref().map(|resp| dump::response_json(resp, r.exchange.elapsed_ms)),
                        "outcome": outcome_json(&r.outcome),
                    })).collect::<Vec<_>>()),
                })
            })
            .collect();
        out!(
            "{}",
            pretty(
                &json!({"id": campaign.id, "at": campaign.at, "summary": summary.summary,
                "campaign": campaign.restore(history), "targets": targets})
            )
        );
        return Ok(Exit::Success);
    }
    out!("{} · campaign · {}", campaign.at, summary.summary);
    for t in &campaign.targets {
        out!(
            "\n=== target {} · {} ({}) · to {} · entry {}",
            t.index + 1,
            t.profile,
            t.provider,
            t.audience,
            t.entry.as_deref().unwrap_or("(not in history)")
        );
        let Some((_, entry)) = entries.iter().find(|(i, _)| *i == t.index) else {
            continue;
        };
        for r in &entry.results {
            out!("\n== {}", r.outcome.summary);
            out_raw!("{}", dump::exchange_text(&r.exchange));
        }
    }
    Ok(Exit::Success)
}
