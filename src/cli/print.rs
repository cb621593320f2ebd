//! What the commands print: results as text lines or as one JSON document.

use std::sync::Arc;

use serde_json::{Value, json};

use super::args::Output;
use super::exit::Exit;
use crate::engine::{SendReport, SendResult};
use crate::http::{Exchange, TransportErrorKind, dump};
use crate::outcome::{Outcome, Verdict};

/// Prints a line to standard output; a closed pipe (`pushdeck … | head`) ends output quietly
/// instead of panicking like `println!`.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `out!` without the line end.
macro_rules! out_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

pub fn outcome_json(outcome: &Outcome) -> Value {
    let mut v = json!({
        "ok": outcome.is_ok() || outcome.verdict == Verdict::NotSent,
        "verdict": outcome.verdict,
        "summary": outcome.summary,
    });
    if let Some(id) = &outcome.message_id {
        v["message_id"] = json!(id);
    }
    if let Some(h) = &outcome.hint {
        v["hint"] = json!(h);
    }
    if let Some(s) = outcome.retry_after {
        v["retry_after"] = json!(s);
    }
    if !outcome.items.is_empty() {
        v["items"] = json!(outcome.items);
    }
    if outcome.gone {
        v["gone"] = json!(true);
    }
    v
}

pub fn result_json(result: &SendResult, reveal: bool) -> Value {
    let exchange = if reveal {
        result.exchange.clone()
    } else {
        result.exchange.redacted()
    };
    let mut row = json!({
        "recipient": exchange.request.recipient,
        "request": dump::request_json(&exchange.request),
        "response": exchange.response.as_ref().map(|r| dump::response_json(r, exchange.elapsed_ms)),
        "outcome": outcome_json(&result.outcome),
    });
    // What the transport said when no usable answer came (masked like the rest): its kind lets a
    // script tell "not started" (`cancelled`) from "in doubt" (`abandoned`) without the words.
    if let Some(error) = &exchange.error {
        row["error"] = json!(error);
    }
    row
}

/// ` (200 OK in 12 ms)`, or nothing when no answer came.
pub fn status_line(exchange: &Exchange) -> String {
    match &exchange.response {
        Some(r) => format!(
            " ({} {} in {:.0} ms)",
            r.status, r.reason, exchange.elapsed_ms
        ),
        None => String::new(),
    }
}

pub fn print_report(report: &SendReport, out: Output) {
    if out.json {
        let results: Vec<Value> = report
            .results
            .iter()
            .map(|r| result_json(r, out.reveal))
            .collect();
        let mut doc = json!({"results": results});
        if let Some(tally) = report.tally
            && tally.requests > report.results.len()
        {
            // A big fan-out lists a sample and every failure; these count them all.
            doc["requests"] = json!(tally.requests);
            doc["accepted"] = json!(tally.accepted);
        }
        if !report.warnings.is_empty() {
            doc["warnings"] = json!(report.warnings);
        }
        if let Some(id) = &report.history_id {
            doc["history_id"] = json!(id);
        }
        // A resume says how many it left in doubt (0 included); a send, only when it has any.
        if let Some(s) = &report.history_summary
            && (s.resumes.is_some() || s.in_doubt > 0)
        {
            doc["in_doubt"] = json!(s.in_doubt);
        }
        if report.cancelled {
            doc["interrupted"] = json!(true);
        }
        out!("{}", pretty(&doc));
        return;
    }
    print_rows(report);
    if let Some(id) = &report.history_id {
        out!("Saved to history as {id} (pushdeck history show {id})");
    }
}

/// A report's lines: one per request, the count, and what a stop left unsent. Written through
/// one buffer: standard output writes each line on its own, a thousand system calls for a big
/// fan-out's rows.
pub fn print_rows(report: &SendReport) {
    use std::io::Write as _;
    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
    for r in &report.results {
        // After Ctrl-C the stopped rows are counted below instead of listed one by one.
        if report.cancelled && stopped(r) {
            continue;
        }
        let mark = match r.outcome.verdict {
            Verdict::Accepted => "✓",
            Verdict::NotSent => "·",
            _ => "✗",
        };
        let who = recipient_label(&r.exchange.request);
        let _ = writeln!(
            w,
            "{mark} {who}{}{}",
            r.outcome.summary,
            status_line(&r.exchange)
        );
        if let Some(h) = &r.outcome.hint {
            let _ = writeln!(w, "  → {h}");
        }
        // Per-recipient rows a provider reports (Azure's test-send outcome).
        for item in &r.outcome.items {
            let _ = writeln!(w, "  · {}: {}", item.value, item.label);
        }
    }
    let counts = report.counts();
    let listed = report.results.len();
    if counts.requests > listed {
        let _ = writeln!(
            w,
            "… and {} more accepted, not listed (a big fan-out lists the first {} and every failure)",
            counts.requests - listed,
            crate::engine::REPORT_KEEP
        );
    }
    if counts.requests > 1 {
        let _ = writeln!(w, "{} of {} accepted", counts.accepted, counts.requests);
    }
    if report.cancelled {
        // Stopped by the user: how many got out, so nobody sends the first ones twice.
        let unanswered = report.results.iter().filter(|r| stopped(r)).count();
        let _ = writeln!(
            w,
            "Interrupted: {unanswered} of {} requests were stopped (not started, or abandoned \
             before an answer); the other {} ran to the end.",
            report.results.len(),
            report.results.len() - unanswered
        );
        let abandoned = report.abandoned();
        if abandoned > 0 {
            let _ = writeln!(
                w,
                "{}: `pushdeck resume` skips them unless given --include-in-doubt.",
                crate::engine::in_doubt_words(abandoned)
            );
        }
    }
    let _ = w.flush();
}

/// A request the user's stop kept from starting, or from being answered.
fn stopped(result: &SendResult) -> bool {
    result.exchange.response.is_none()
        && result.exchange.error.as_ref().is_some_and(|e| {
            matches!(
                e.kind,
                TransportErrorKind::Cancelled | TransportErrorKind::Abandoned
            )
        })
}

/// A side call that did not do what was asked: its outcome (and hint), and the status it ends with.
pub fn print_failure(result: &Arc<SendResult>, out: Output) -> Exit {
    if out.json {
        out!(
            "{}",
            pretty(&json!({"results": [result_json(result, out.reveal)]}))
        );
    } else {
        out!(
            "✗ {}{}",
            result.outcome.summary,
            status_line(&result.exchange)
        );
        if let Some(h) = &result.outcome.hint {
            out!("  → {h}");
        }
    }
    Exit::of_result(Arc::clone(result))
}

/// `"who: "` for a row, or nothing: the recipient with any secret in it masked (only the
/// recipient, not the whole request copied to mask it; a big fan-out lists a thousand rows).
fn recipient_label(request: &crate::http::PreparedRequest) -> String {
    request
        .recipient
        .as_deref()
        .map(|w| format!("{}: ", crate::http::mask_all(w, &request.secrets)))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::PreparedRequest;

    #[test]
    fn a_rows_recipient_is_shown_with_its_secrets_masked() {
        let mut request = PreparedRequest::new("POST", "https://example.com/");
        assert_eq!(recipient_label(&request), "");
        request.recipient = Some("chat 42 via bot 123:SECRETTOKEN".into());
        request.add_secret("bot_token", "123:SECRETTOKEN");
        let label = recipient_label(&request);
        assert!(label.starts_with("chat 42 via bot "), "{label}");
        assert!(!label.contains("SECRETTOKEN"), "{label}");
        assert!(label.ends_with(": "), "{label}");
    }
}
