//! `pushdeck send CAMPAIGN`, `preview CAMPAIGN` and `resume CAMPAIGN_ID`: every target through the
//! engine's campaign send; output grouped by target, one `--json` result per request with a
//! `target` field (its profile) and `target_index`.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::args::Output;
use super::context::{CliResult, Context, Failure, bad_input, runtime};
use super::exit::Exit;
use super::print::{pretty, print_rows, result_json};
use super::progress::{Progress, watch_ctrl_c};
use crate::campaign::{Campaign, target_error};
use crate::engine::{
    CampaignEvent, CampaignJob, CampaignReport, DEFAULT_TIMEOUT, Engine, EngineEvent, ResumeFrom,
    TargetJob,
};
use crate::http::{self, dump};
use crate::store::CampaignEntry;

/// One job per enabled target. A target whose profile is missing (or whose secrets cannot be
/// read) is bad input naming the target: nothing is sent to any target.
fn target_jobs(
    ctx: &Context,
    campaign: &Campaign,
    dry_run: bool,
    timeout: Duration,
) -> Result<Vec<TargetJob>, Failure> {
    let drafts = campaign.drafts();
    if drafts.is_empty() {
        return Err(bad_input(
            "targets: every target is disabled; enable one (\"enabled\": true) or name it with --only",
        ));
    }
    drafts
        .into_iter()
        .map(|(index, draft)| {
            let profile = draft.profile.clone();
            ctx.job(Arc::new(draft), dry_run, timeout)
                .map(|job| TargetJob {
                    index,
                    job,
                    resume: None,
                })
                .map_err(|f| Failure {
                    message: format!(
                        "targets[{index}] (profile `{profile}`): {}; nothing was sent to any target",
                        f.message
                    ),
                    ..f
                })
        })
        .collect()
}

pub fn send(
    ctx: &Context,
    mut campaign: Campaign,
    only: &[String],
    dry_run: bool,
    out: Output,
    timeout: Duration,
) -> CliResult {
    campaign.only(only).map_err(|e| bad_input(e.to_string()))?;
    let targets = target_jobs(ctx, &campaign, dry_run, timeout)?;
    let job = CampaignJob {
        campaign: Arc::new(campaign),
        targets,
        retries: None,
    };
    let report = run_campaign(ctx, job, out)?;
    Ok(exit_of(&report))
}

fn exit_of(report: &CampaignReport) -> Exit {
    if report.cancelled {
        return Exit::Interrupted;
    }
    match report.exit_code() {
        0 => Exit::Success,
        1 => Exit::Refused,
        2 => Exit::BadInput,
        _ => Exit::TransportFailure,
    }
}

pub fn preview(
    ctx: &Context,
    mut campaign: Campaign,
    only: &[String],
    out: Output,
    curl: bool,
) -> CliResult {
    campaign.only(only).map_err(|e| bad_input(e.to_string()))?;
    let targets = target_jobs(ctx, &campaign, false, DEFAULT_TIMEOUT)?;
    let mut prepared = Vec::new();
    for t in &targets {
        let p = Engine::prepare(&t.job)
            .map_err(|e| bad_input(target_error(t.index, &e).to_string()))?;
        for w in &p.warnings {
            eprintln!("pushdeck: note: {}: {w}", t.job.profile.name);
        }
        prepared.push((t, p));
    }
    let mut stdout = std::io::stdout().lock();
    if out.json {
        let mut results = Vec::new();
        let mut warnings = Vec::new();
        for (t, p) in &prepared {
            for r in &p.requests {
                let shown = if out.reveal { r.clone() } else { r.redacted() };
                results.push(json!({
                    "target": t.job.profile.name,
                    "target_index": t.index,
                    "recipient": shown.recipient,
                    "request": dump::request_json(&shown),
                    "response": Value::Null,
                    "outcome": {"ok": true, "verdict": "not_sent", "summary": "Preview: not sent"},
                }));
            }
            warnings.extend(
                p.warnings
                    .iter()
                    .map(|w| format!("{}: {w}", t.job.profile.name)),
            );
        }
        let _ = writeln!(
            stdout,
            "{}",
            pretty(&json!({"results": results, "warnings": warnings}))
        );
        return Ok(Exit::Success);
    }
    for (n, (t, p)) in prepared.iter().enumerate() {
        let head = heading(t, n, prepared.len());
        if curl {
            let _ = writeln!(stdout, "# {head}");
        } else {
            let _ = writeln!(stdout, "{}== {head}", if n > 0 { "\n" } else { "" });
        }
        for (i, request) in p.requests.iter().enumerate() {
            if curl {
                let _ = writeln!(stdout, "{}", http::to_curl(request, out.reveal));
                continue;
            }
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

/// `target 2 of 4 · shop (onesignal) · to Active Users`
fn heading(t: &TargetJob, n: usize, of: usize) -> String {
    format!(
        "target {} of {of} · {} ({}) · to {}",
        n + 1,
        t.job.profile.name,
        t.job.provider.info().id,
        t.job.provider.audience_label(&t.job.draft)
    )
}

/// `pushdeck resume CAMPAIGN_ID`: each target with recipients not reached, only to those; the
/// campaign's entry moves on to the new sends.
pub fn resume(
    ctx: &Context,
    record: CampaignEntry,
    choice: super::args::ResumeChoice,
    out: Output,
    timeout: Duration,
) -> CliResult {
    let history = ctx.history();
    let campaign = record.restore(&history);
    let mut targets = Vec::new();
    let mut in_doubt = 0;
    for (index, entry) in history.campaign_entries(&record) {
        if !choice.include_in_doubt {
            in_doubt += entry.in_doubt.len();
        }
        let Ok(from) = ResumeFrom::of(&entry, choice.include_in_doubt) else {
            continue; // fully reached (or still sending): nothing to resume for this target
        };
        let loaded = ctx.load(&entry.profile)?;
        if loaded.provider.info().id != entry.provider {
            return Err(bad_input(format!(
                "targets[{index}]: profile `{}` now sends with {}, but it was sent with {}; nothing was sent",
                entry.profile,
                loaded.provider.info().id,
                entry.provider
            )));
        }
        let remaining = entry.to_resume(choice.include_in_doubt).len();
        targets.push((
            remaining,
            entry.recipients.len(),
            TargetJob {
                index,
                job: loaded.job(Arc::new(entry.draft), false, timeout),
                resume: Some(from),
            },
        ));
    }
    if in_doubt > 0 {
        eprintln!(
            "pushdeck: note: {}; not sent again. --include-in-doubt sends to them too",
            crate::engine::in_doubt_words(in_doubt)
        );
    }
    if targets.is_empty() {
        return Err(bad_input(format!(
            "every target of campaign {} already has a recorded success for each recipient: nothing to resume",
            record.id
        )));
    }
    let plan: Vec<String> = targets
        .iter()
        .map(|(remaining, all, t)| {
            format!("{} ({remaining} of {all} recipients)", t.job.profile.name)
        })
        .collect();
    if !choice.yes && std::io::stdin().is_terminal() {
        eprint!(
            "Send again to the recipients not reached of: {}? [y/N] ",
            plan.join(", ")
        );
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(|e| bad_input(format!("could not read the answer: {e}")))?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
            eprintln!("pushdeck: nothing was sent");
            return Ok(Exit::BadInput);
        }
    }
    let job = CampaignJob {
        campaign: Arc::new(campaign),
        targets: targets.into_iter().map(|(_, _, t)| t).collect(),
        retries: Some(record.id.clone()),
    };
    let report = run_campaign(ctx, job, out)?;
    if !out.json {
        out!("Resumed campaign {}: {}", record.id, plan.join(", "));
    }
    Ok(exit_of(&report))
}

/// Sends a campaign with the command line's conventions (Ctrl-C stops all targets, bad input
/// exits 2 with nothing sent) and prints the report grouped by target.
fn run_campaign(
    ctx: &Context,
    job: CampaignJob,
    out: Output,
) -> Result<Arc<CampaignReport>, Failure> {
    let engine = ctx.engine()?;
    let rt = runtime()?;
    let names: Vec<(usize, String)> = job
        .targets
        .iter()
        .map(|t| (t.index, t.job.profile.name.clone()))
        .collect();
    let name_of = move |i: usize| {
        names
            .iter()
            .find(|(n, _)| *n == i)
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| "?".into())
    };
    let invalid = Arc::new(Mutex::new(Vec::new()));
    // One bar is not right for several providers at their own pace; notes only.
    let progress = Arc::new(Progress::new(false));
    let stop_starting = CancellationToken::new();
    let abandon = CancellationToken::new();
    let ctrl_c = rt.spawn(watch_ctrl_c(
        stop_starting.clone(),
        abandon.clone(),
        Arc::clone(&progress),
    ));
    let emit = {
        let (invalid, progress) = (Arc::clone(&invalid), Arc::clone(&progress));
        move |event: CampaignEvent| {
            if let CampaignEvent::Target { target, event } = &event {
                match event {
                    EngineEvent::Invalid(e) => {
                        if let Ok(mut all) = invalid.lock() {
                            all.push(format!("{e} (profile `{}`)", name_of(*target)));
                        }
                    }
                    EngineEvent::Started { warnings, .. } => {
                        for w in warnings {
                            progress.say(&format!("pushdeck: note: {}: {w}", name_of(*target)));
                        }
                    }
                    _ => {}
                }
            }
        }
    };
    let report = super::context::on_worker(&rt, async move {
        engine
            .send_campaign(job, stop_starting, abandon, &emit)
            .await
    })?;
    ctrl_c.abort();
    let invalid = invalid
        .lock()
        .map(|mut all| std::mem::take(&mut *all))
        .unwrap_or_default();
    if !invalid.is_empty() {
        return Err(bad_input(format!(
            "{}; nothing was sent to any target",
            invalid.join("; ")
        )));
    }
    print_campaign(&report, out);
    if let Some(e) = &report.history_error {
        eprintln!("pushdeck: warning: {e}");
    }
    Ok(report)
}

fn print_campaign(report: &CampaignReport, out: Output) {
    if out.json {
        let mut results = Vec::new();
        let mut targets = Vec::new();
        let mut warnings = Vec::new();
        for t in &report.targets {
            for r in &t.report.results {
                let mut row = result_json(r, out.reveal);
                row["target"] = json!(t.profile);
                row["target_index"] = json!(t.index);
                results.push(row);
            }
            warnings.extend(
                t.report
                    .warnings
                    .iter()
                    .map(|w| format!("{}: {w}", t.profile)),
            );
            let ok = t
                .report
                .results
                .iter()
                .filter(|r| r.outcome.is_ok())
                .count();
            targets.push(json!({
                "index": t.index,
                "profile": t.profile,
                "provider": t.provider,
                "audience": t.audience,
                "requests": t.report.results.len(),
                "accepted": ok,
                "history_id": t.report.history_id,
            }));
        }
        let mut doc = json!({"results": results, "targets": targets});
        if !warnings.is_empty() {
            doc["warnings"] = json!(warnings);
        }
        if let Some(id) = &report.history_id {
            doc["history_id"] = json!(id);
        }
        if report.cancelled {
            doc["interrupted"] = json!(true);
        }
        out!("{}", pretty(&doc));
        return;
    }
    let of = report.targets.len();
    for (n, t) in report.targets.iter().enumerate() {
        out!(
            "{}== target {} of {of} · {} ({}) · to {}",
            if n > 0 { "\n" } else { "" },
            n + 1,
            t.profile,
            t.provider,
            t.audience
        );
        print_rows(&t.report);
    }
    let accepted = report
        .targets
        .iter()
        .filter(|t| {
            !t.report.results.is_empty() && t.report.results.iter().all(|r| r.outcome.is_ok())
        })
        .count();
    out!("\n{accepted} of {of} targets accepted");
    if let Some(id) = &report.history_id {
        out!(
            "Saved to history as {id} (pushdeck history show {id}; pushdeck resume {id} sends again only what failed)"
        );
    }
}
