//! `pushdeck sink PROVIDER`: Pushdeck standing in for a provider. Prints the setup lines, then
//! one line (or, with --json, one JSON object) per request as it arrives, until Ctrl-C.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};

use super::args::SinkArgs;
use super::context::{CliResult, Context, bad_input, runtime};
use super::exit::Exit;
use crate::engine::sink::{
    SinkEvent, SinkHandle, SinkJob, catalogue, default_port, listen_address,
};
use crate::finding::Level;
use crate::http::dump;
use crate::sink::Listening;
use crate::store::SinkRecord;

pub fn sink(ctx: &Context, args: SinkArgs) -> CliResult {
    let imitated = crate::sink::imitated();
    let provider = match &args.provider {
        Some(p) if !imitated.contains(&p.as_str()) => {
            return Err(bad_input(format!(
                "sink: `{p}` is not imitated; the sink imitates: {} (see `pushdeck sink --list`)",
                imitated.join(", ")
            )));
        }
        other => other.clone(),
    };
    if args.list {
        return list(provider.as_deref(), args.out.json);
    }
    let Some(provider) = provider else {
        return Err(bad_input(format!(
            "sink: name the provider to imitate: {}",
            imitated.join(", ")
        )));
    };
    let (listen, warning) = listen_address(&provider, args.port, args.listen.as_deref())
        .map_err(|e| bad_input(format!("sink: {e}")))?;
    let rt = runtime()?;
    let engine = ctx.engine()?;
    let handle = engine
        .start_sink(
            rt.handle(),
            SinkJob {
                provider,
                profile: args.profile.clone(),
                listen,
                rehearsal: args.answer.clone(),
                tls: args.tls,
                paths: ctx.paths().clone(),
            },
            Arc::new(|| {}),
        )
        .map_err(|e| bad_input(format!("sink: {e}")))?;
    let warnings: Vec<String> = warning.into_iter().chain(handle.warnings.clone()).collect();
    for w in &warnings {
        eprintln!("pushdeck: {w}");
    }
    if args.out.json {
        out!("{}", setup_json(&handle, &warnings));
    } else {
        print_setup(&handle);
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    let stop = handle.stop_token();
    let flag = interrupted.clone();
    rt.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            flag.store(true, Ordering::SeqCst);
            stop.cancel();
        }
    });
    // Ends when the listener has stopped and dropped its side of the channel.
    for event in handle.events.iter() {
        match event {
            SinkEvent::Warning(w) => eprintln!("pushdeck: warning: {w}"),
            SinkEvent::Arrival(record) => {
                let shown = if args.out.reveal {
                    SinkRecord::clone(&record)
                } else {
                    record.redacted()
                };
                if args.out.json {
                    out!("{}", arrival_json(&shown));
                } else {
                    out!("{}", arrival_line(&shown));
                }
            }
        }
    }
    let n = handle.received();
    if args.out.json {
        out!(
            "{}",
            json!({"event": "stopped", "requests": n, "session": handle.session})
        );
    } else {
        out!(
            "Stopped: {n} request{} received (pushdeck history show {})",
            if n == 1 { "" } else { "s" },
            handle.session
        );
    }
    Ok(if interrupted.load(Ordering::SeqCst) {
        Exit::Interrupted
    } else {
        Exit::Success
    })
}

/// `--list`: each imitated provider and its rehearsals.
fn list(only: Option<&str>, json: bool) -> CliResult {
    let all = catalogue();
    let shown = all
        .iter()
        .filter(|(id, _, _)| only.is_none_or(|o| o == *id));
    if json {
        let rows: Vec<Value> = shown
            .map(|(id, rehearsals, listening)| {
                json!({
                    "provider": id,
                    "tls": *listening == Listening::Tls,
                    "default_port": default_port(id),
                    "rehearsals": rehearsals.iter().map(|r| json!({"name": r.name, "status": r.status, "about": r.about})).collect::<Vec<_>>(),
                })
            })
            .collect();
        out!("{}", super::print::pretty(&json!({ "sink": rows })));
        return Ok(Exit::Success);
    }
    for (id, rehearsals, listening) in shown {
        out!(
            "{id}  (port {}{})",
            default_port(id),
            if *listening == Listening::Tls {
                ", TLS"
            } else {
                ""
            }
        );
        for r in *rehearsals {
            out!("  --answer {:<20} {}  {}", r.name, r.status, r.about);
        }
    }
    Ok(Exit::Success)
}

fn print_setup(handle: &SinkHandle) {
    out!(
        "pushdeck sink: imitating {} at {}",
        handle.provider,
        handle.base_url
    );
    let mut rows: Vec<(String, String, String)> = handle
        .setup
        .iter()
        .map(|l| (l.label.clone(), l.value.clone(), l.about.clone()))
        .collect();
    if let Some(ca) = &handle.ca_file {
        rows.push((
            "CA certificate".into(),
            ca.display().to_string(),
            "trust it in the client (curl --cacert FILE)".into(),
        ));
    }
    rows.push((
        "Answering".into(),
        match handle.rehearsal() {
            Some(r) => format!("rehearsal {} ({})", r.name, r.status),
            None => "as the provider would".into(),
        },
        handle
            .rehearsal()
            .map(|r| r.about.to_string())
            .unwrap_or_else(|| {
                let names: Vec<&str> = handle.rehearsals.iter().map(|r| r.name).collect();
                format!("rehearsals: {} (--answer NAME)", names.join(", "))
            }),
    ));
    rows.push((
        "History".into(),
        handle.session.clone(),
        format!("pushdeck history show {}", handle.session),
    ));
    let width = rows
        .iter()
        .map(|(l, _, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    for (label, value, about) in rows {
        out!("  {label:<width$}  {value}    {about}");
    }
    out!("Waiting for requests; Ctrl-C stops.");
}

fn setup_json(handle: &SinkHandle, warnings: &[String]) -> Value {
    json!({
        "event": "setup",
        "provider": handle.provider,
        "base_url": handle.base_url,
        "port": handle.local_addr.port(),
        "listen": handle.local_addr.to_string(),
        "tls": handle.ca_file.is_some(),
        "ca_file": handle.ca_file.as_ref().map(|p| p.display().to_string()),
        "session": handle.session,
        "lines": handle.setup.iter().map(|l| json!({"label": l.label, "value": l.value, "about": l.about})).collect::<Vec<_>>(),
        "rehearsal": handle.rehearsal().map(|r| r.name),
        "rehearsals": handle.rehearsals.iter().map(|r| r.name).collect::<Vec<_>>(),
        "warnings": warnings,
    })
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Ok => "ok",
        Level::Warn => "warn",
        Level::Fail => "fail",
    }
}

fn path_of(record: &SinkRecord) -> String {
    url::Url::parse(&record.exchange.request.url)
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        })
        .unwrap_or_else(|_| record.exchange.request.url.clone())
}

/// One JSON object per arrival (already redacted unless revealed).
pub fn arrival_json(record: &SinkRecord) -> Value {
    let ex = &record.exchange;
    json!({
        "event": "arrival",
        "at": record.at,
        "provider": record.provider,
        "method": ex.request.method,
        "path": path_of(record),
        "http2": ex.request.http2_only,
        "status": record.status(),
        "level": level_name(record.worst()),
        "summary": record.summary,
        "findings": record.findings,
        "decoded": record.decoded,
        "rehearsal": record.rehearsal,
        "client_certificate": ex.request.client_certificate,
        "exchange": {
            "request": dump::request_json(&ex.request),
            "response": ex.response.as_ref().map(|r| dump::response_json(r, ex.elapsed_ms)),
        },
    })
}

/// `21:04:05  POST /alerts  200  ✓ publish to “alerts” → 200`, then the first ✗ finding.
pub fn arrival_line(record: &SinkRecord) -> String {
    let time = record.at.get(11..19).unwrap_or(&record.at);
    let mut line = format!(
        "{time}  {} {}  {}  {} {}",
        record.exchange.request.method,
        path_of(record),
        record.status(),
        record.worst().mark(),
        record.summary
    );
    if let Some(fail) = record.findings.iter().find(|f| f.level == Level::Fail) {
        line.push_str(&format!("  ✗ {}", fail.text));
    }
    line
}
