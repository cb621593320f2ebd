//! `pushdeck send` and `preview`: a draft through the engine.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::args::Output;
use super::context::{CliResult, Context, Failure, bad_input, read_composed, runtime};
use super::exit::Exit;
use super::print::{pretty, print_report};
use super::progress::{Progress, watch_ctrl_c};
use super::webpush;
use crate::campaign::{Campaign, Composed};
use crate::draft::Draft;
use crate::engine::{DEFAULT_TIMEOUT, Engine, EngineEvent, ResumeFrom, SendJob, SendReport};
use crate::http::{self, dump};

/// A draft file, kept as it is (so it sends exactly as before), or a campaign's targets.
fn draft_or_campaign(path: &str, only: &[String]) -> Result<Result<Draft, Campaign>, Failure> {
    match read_composed(path)? {
        Composed::Campaign(c) => Ok(Err(c)),
        Composed::Draft(d) => {
            if !only.is_empty() && !only.contains(&d.profile) {
                return Err(bad_input(format!(
                    "--only: the draft sends through profile `{}` only; nothing was sent",
                    d.profile
                )));
            }
            Ok(Ok(d))
        }
    }
}

pub fn preview(ctx: &Context, path: &str, only: &[String], out: Output, curl: bool) -> CliResult {
    let draft = match draft_or_campaign(path, only)? {
        Ok(draft) => draft,
        Err(campaign) => return super::campaign::preview(ctx, campaign, only, out, curl),
    };
    // Not a dry run: the preview shows what `send` makes (a server-side dry run such as Azure's
    // test mode would change the request).
    let mut draft = draft;
    webpush::resolve_file(&mut draft, path);
    let job = ctx.job(Arc::new(draft), false, DEFAULT_TIMEOUT)?;
    let prepared = Engine::prepare(&job).map_err(|e| bad_input(e.to_string()))?;
    for w in &prepared.warnings {
        eprintln!("pushdeck: note: {w}");
    }
    let mut stdout = std::io::stdout().lock();
    if curl {
        for request in &prepared.requests {
            let _ = writeln!(stdout, "{}", http::to_curl(request, out.reveal));
        }
    } else if out.json {
        let results: Vec<Value> = prepared
            .requests
            .iter()
            .map(|r| {
                let shown = if out.reveal { r.clone() } else { r.redacted() };
                json!({
                    "recipient": shown.recipient,
                    "request": dump::request_json(&shown),
                    "response": Value::Null,
                    "outcome": {"ok": true, "verdict": "not_sent", "summary": "Preview: not sent"},
                })
            })
            .collect();
        let _ = writeln!(
            stdout,
            "{}",
            pretty(&json!({"results": results, "warnings": prepared.warnings}))
        );
    } else {
        for (i, request) in prepared.requests.iter().enumerate() {
            if i > 0 {
                let _ = writeln!(stdout);
            }
            let shown = if out.reveal {
                request.clone()
            } else {
                request.redacted()
            };
            let _ = write!(stdout, "{}", dump::request_text(&shown));
        }
    }
    Ok(Exit::Success)
}

pub fn send(
    ctx: &Context,
    path: &str,
    only: &[String],
    dry_run: bool,
    out: Output,
    timeout: Duration,
    prune_gone: bool,
) -> CliResult {
    let draft = match draft_or_campaign(path, only)? {
        Ok(mut draft) => {
            webpush::resolve_file(&mut draft, path);
            Arc::new(draft)
        }
        Err(_) if prune_gone => {
            return Err(bad_input(
                "--prune-gone works on a draft file; for a campaign, prune the Web Push target's subscriptions in the window or send its draft",
            ));
        }
        Err(campaign) => {
            return super::campaign::send(ctx, campaign, only, dry_run, out, timeout);
        }
    };
    let job = ctx.job(Arc::clone(&draft), dry_run, timeout)?;
    let report = run_job(ctx, job, None, out)?;
    if prune_gone {
        let removed = webpush::prune_gone(path, &draft, &report)?;
        if removed > 0 {
            eprintln!("pushdeck: removed {removed} gone subscription(s) from {path}");
        }
    }
    if report.cancelled {
        return Ok(Exit::Interrupted);
    }
    Ok(Exit::of_report(&report))
}

/// Sends a job (or resumes one) with the command line's conventions: a progress bar on a terminal,
/// Ctrl-C stops starting requests (a second abandons those in flight), bad input exits 2 with
/// nothing sent, and the report is printed.
pub(super) fn run_job(
    ctx: &Context,
    job: SendJob,
    resume: Option<ResumeFrom>,
    out: Output,
) -> Result<Arc<SendReport>, Failure> {
    // The engine validates before touching the network (`EngineEvent::Invalid` below): bad input
    // exits 2 with nothing sent, and a costly fan-out is built only once.
    let engine = ctx.engine()?;
    let rt = runtime()?;
    let invalid = Arc::new(Mutex::new(None));
    let progress = Arc::new(Progress::new(!out.json && std::io::stderr().is_terminal()));
    let stop_starting = CancellationToken::new();
    let abandon = CancellationToken::new();
    let ctrl_c = rt.spawn(watch_ctrl_c(
        stop_starting.clone(),
        abandon.clone(),
        Arc::clone(&progress),
    ));
    let emit = {
        let (invalid, progress) = (Arc::clone(&invalid), Arc::clone(&progress));
        move |event: EngineEvent| match &event {
            EngineEvent::Invalid(e) => {
                if let Ok(mut slot) = invalid.lock() {
                    *slot = Some(e.to_string());
                }
            }
            EngineEvent::Started { total, warnings } => {
                for w in warnings {
                    progress.say(&format!("pushdeck: note: {w}"));
                }
                progress.started(*total);
            }
            EngineEvent::Result(_) => progress.done_one(),
            EngineEvent::Finished(_) => {}
        }
    };
    let report = super::context::on_worker(&rt, async move {
        engine
            .send_as(job, resume, stop_starting, abandon, &emit)
            .await
    })?;
    ctrl_c.abort();
    progress.finish();
    if let Some(e) = invalid.lock().ok().and_then(|mut slot| slot.take()) {
        return Err(bad_input(e));
    }
    print_report(&report, out);
    if let Some(e) = &report.history_error {
        eprintln!("pushdeck: warning: {e}");
    }
    Ok(report)
}
