//! `pushdeck resume HISTORY_ID`: sends an interrupted (or partly failed) send's draft again, only to
//! the recipients with no recorded success, as a new history entry that links the original.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use super::args::{Output, ResumeChoice as Choice};
use super::context::{CliResult, Context, Failure, bad_input};
use super::exit::Exit;
use crate::engine::{ResumeFrom, in_doubt_words};

pub fn resume(
    ctx: &Context,
    asked: &str,
    choice: Choice,
    out: Output,
    timeout: Duration,
) -> CliResult {
    let history = ctx.history();
    if let Ok(Some(campaign)) = history.get_campaign(asked) {
        return super::campaign::resume(ctx, campaign, choice, out, timeout);
    }
    let id = &history.latest_resume(asked);
    if id != asked {
        eprintln!(
            "pushdeck: note: {asked} was already resumed; resuming the latest send of it, {id}"
        );
    }
    let entry = history
        .get(id)
        .map_err(|e| bad_input(e.to_string()))?
        .ok_or_else(|| {
            bad_input(format!(
                "there is no history entry `{id}`; `pushdeck history list` shows them"
            ))
        })?;
    let from = ResumeFrom::of(&entry, choice.include_in_doubt).map_err(bad_input)?;
    let remaining = entry.to_resume(choice.include_in_doubt).len();
    let in_doubt = entry.in_doubt.len();
    if in_doubt > 0 && !choice.include_in_doubt {
        eprintln!(
            "pushdeck: note: {}; not sent again. --include-in-doubt sends to them too",
            in_doubt_words(in_doubt)
        );
    }
    let loaded = ctx.load(&entry.profile)?;
    let provider = loaded.provider.info().id;
    if provider != entry.provider {
        return Err(bad_input(format!(
            "profile `{}` now sends with {provider}, but history entry {id} was sent with {}; nothing was sent",
            entry.profile, entry.provider
        )));
    }
    let summary = entry.summary();
    if !choice.yes && !confirm(&summary.summary, remaining, summary.recipients)? {
        eprintln!("pushdeck: nothing was sent");
        return Ok(Exit::BadInput);
    }
    let job = loaded.job(Arc::new(entry.draft), false, timeout);
    let report = super::send::run_job(ctx, job, Some(from), out)?;
    if !out.json {
        let doubt = match (in_doubt, choice.include_in_doubt) {
            (0, _) => String::new(),
            (k, true) => format!(" (the {k} in doubt included)"),
            (k, false) => format!(", and the {k} in doubt were not sent again"),
        };
        out!(
            "Resumed {id}: sent to the {remaining} remaining of {} recipients; the {} already reached were skipped{doubt}",
            summary.recipients,
            summary.reached
        );
    }
    if report.cancelled {
        return Ok(Exit::Interrupted);
    }
    Ok(Exit::of_report(&report))
}

/// Asks on a terminal; a script (no terminal) ran the command on purpose and goes ahead.
fn confirm(state: &str, remaining: usize, recipients: usize) -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Ok(true);
    }
    eprint!(
        "This send is {state}. Send to the remaining {remaining} of {recipients} recipients? [y/N] "
    );
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| bad_input(format!("could not read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}
