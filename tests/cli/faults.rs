//! Network faults, end to end: the real `pushdeck send` against a fault server on 127.0.0.1 (a raw
//! tokio `TcpListener` that misbehaves on purpose). Every fault must end within the timeout with a
//! clear outcome in words, the exit status of CONTRACT.md, and the attempt in history.
//!
//! Faults: connection refused, reset mid-response, closed mid-body, no answer, a slow trickle, a
//! 50 MB body, malformed JSON and XML, 500, 503 with Retry-After, 429 (also for a provider that
//! retries), a redirect to another host (which must never see a request), TLS to a server that
//! does not speak it, and TLS with an untrusted self-signed certificate (served by Python's `ssl`;
//! skipped when `python3` is missing unless `PUSHDECK_REQUIRE_PEERS` is set).

use crate::support as common;
use crate::support::fault_server;

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use common::{Sandbox, closed_port, stderr, stdout_json};
use fault_server::{Fault, FaultServer};
use serde_json::{Value, json};

const TOKEN: &str = "tk_faultsecret0123456789abcdefghij";
const PROFILE: &str = "faulty";
/// Seconds given to `--timeout`.
const TIMEOUT: u64 = 2;
/// What a run may take beyond `--timeout`: process start-up and a loaded CI machine.
const SLACK: Duration = Duration::from_secs(8);

// ---------------------------------------------------------------------------------------------
// Driving the CLI.

struct Run {
    code: Option<i32>,
    elapsed: Duration,
    doc: Value,
    stderr: String,
}

impl Run {
    fn outcome(&self) -> &Value {
        let results = self.doc["results"].as_array().expect("results");
        assert_eq!(results.len(), 1, "one request: {:#}", self.doc);
        &results[0]["outcome"]
    }

    fn summary(&self) -> String {
        self.outcome()["summary"]
            .as_str()
            .expect("summary")
            .to_string()
    }
}

fn ntfy_profile(sandbox: &Sandbox, base_url: &str) {
    sandbox.add_provider_profile(PROFILE, "ntfy", base_url, &[]);
}

fn ntfy_draft(sandbox: &Sandbox) -> String {
    sandbox
        .write(
            "fault.json",
            &json!({
                "profile": PROFILE,
                "message": {"title": "Build 118", "body": "Passed"},
                "audience": {"topic": "ci"}
            })
            .to_string(),
        )
        .to_string_lossy()
        .into_owned()
}

/// `pushdeck send --json --timeout 2 DRAFT`, timed.
fn send(sandbox: &Sandbox, draft: &str, timeout: u64, env: &[(&str, &str)]) -> Run {
    let mut cmd = sandbox.cmd();
    cmd.args(["send", "--json", "--timeout", &timeout.to_string(), draft]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let out = cmd.output().expect("pushdeck runs");
    let elapsed = start.elapsed();
    Run {
        code: out.status.code(),
        elapsed,
        doc: stdout_json(&out),
        stderr: stderr(&out),
    }
}

/// Sets up an ntfy profile at `base_url` and sends one draft with an access token.
fn ntfy_send(base_url: &str) -> (Sandbox, Run) {
    let sandbox = Sandbox::new();
    ntfy_profile(&sandbox, base_url);
    let draft = ntfy_draft(&sandbox);
    let run = send(
        &sandbox,
        &draft,
        TIMEOUT,
        &[("PUSHDECK_ACCESS_TOKEN", TOKEN)],
    );
    (sandbox, run)
}

/// An ntfy send to a fault server that misbehaves with `fault`, checked as every fault is (see
/// `assert_fault`) with the exit status `code` and `words` in the summary. The server is returned
/// for its log: dropped, it stops.
fn ntfy_fault(fault: Fault, code: i32, words: &[&str]) -> (FaultServer, Sandbox, Run) {
    let server = FaultServer::start(fault);
    let (sandbox, run) = ntfy_send(&server.base_url());
    assert_fault(&sandbox, &run, TIMEOUT, code, words);
    (server, sandbox, run)
}

/// The checks every fault shares: ended in time, the exit status, words in the summary, the
/// attempt in history with the same summary, and the token nowhere on disk.
fn assert_fault(sandbox: &Sandbox, run: &Run, timeout: u64, code: i32, words: &[&str]) {
    assert!(
        run.elapsed < Duration::from_secs(timeout) + SLACK,
        "took {:?} with --timeout {timeout}",
        run.elapsed
    );
    assert_eq!(
        run.code,
        Some(code),
        "exit status; stderr: {}\n{:#}",
        run.stderr,
        run.doc
    );
    let summary = run.summary();
    eprintln!(
        "fault {}: exit {:?} in {:.1} s: {summary}",
        std::thread::current().name().unwrap_or("?"),
        run.code,
        run.elapsed.as_secs_f64()
    );
    for w in words {
        assert!(
            summary.to_lowercase().contains(&w.to_lowercase()),
            "the summary should say `{w}`: {summary}"
        );
    }
    assert_eq!(run.outcome()["ok"], false, "{:#}", run.doc);
    // In history, with the same words.
    let id = run.doc["history_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no history_id: {:#}", run.doc))
        .to_string();
    let out = sandbox.run(&["history", "list", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let list = stdout_json(&out);
    let entries = list["history"].as_array().expect("history");
    let entry = entries
        .iter()
        .find(|e| e["id"] == id.as_str())
        .unwrap_or_else(|| panic!("{id} is not in history: {list:#}"));
    assert_eq!(entry["ok"], false);
    assert_eq!(entry["summary"], summary.as_str());
    assert!(
        sandbox.files_containing(TOKEN).is_empty(),
        "the token was written to disk"
    );
    assert!(
        !run.doc.to_string().contains(TOKEN),
        "the token is in --json"
    );
}

fn reply(status: &'static str, headers: Vec<(&'static str, String)>, body: &str) -> Fault {
    Fault::Reply {
        status,
        headers,
        body: body.as_bytes().to_vec(),
    }
}

/// A JSON answer with `status` that asks to wait `seconds` (Retry-After).
fn json_reply_after(status: &'static str, seconds: &str, body: &str) -> Fault {
    reply(
        status,
        vec![
            ("Content-Type", "application/json".into()),
            ("Retry-After", seconds.into()),
        ],
        body,
    )
}

// ---------------------------------------------------------------------------------------------
// The faults.

#[test]
fn connection_refused() {
    let (sandbox, run) = ntfy_send(&format!("http://127.0.0.1:{}", closed_port()));
    assert_fault(
        &sandbox,
        &run,
        TIMEOUT,
        3,
        &["could not connect", "refused"],
    );
    assert_eq!(run.outcome()["verdict"], "transport_failed");
}

#[test]
fn reset_mid_response() {
    let (server, _sandbox, _run) = ntfy_fault(
        Fault::ResetMidResponse,
        3,
        &[
            "127.0.0.1 reset the connection",
            "may or may not have been received",
        ],
    );
    assert_eq!(server.hits(), 1);
}

#[test]
fn closed_mid_body() {
    let (_server, _sandbox, _run) = ntfy_fault(
        Fault::CloseMidBody,
        3,
        &["broke while the answer was arriving"],
    );
}

#[test]
fn no_answer_times_out() {
    let (server, _sandbox, run) =
        ntfy_fault(Fault::Silent, 3, &["no complete answer", "within 2 s"]);
    assert!(
        run.elapsed >= Duration::from_secs(TIMEOUT),
        "{:?}",
        run.elapsed
    );
    assert_eq!(server.requests().len(), 1, "the request did arrive");
}

#[test]
fn slow_trickle_times_out() {
    let (_server, _sandbox, _run) =
        ntfy_fault(Fault::Trickle, 3, &["no complete answer", "within 2 s"]);
}

#[test]
fn fifty_megabyte_body_is_capped_and_said_so() {
    let server = FaultServer::start(Fault::Huge(50 * 1024 * 1024));
    let sandbox = Sandbox::new();
    ntfy_profile(&sandbox, &server.base_url());
    let draft = ntfy_draft(&sandbox);
    // Reading 10 MB in a debug build takes a moment: a roomier timeout than the other faults.
    let run = send(&sandbox, &draft, 20, &[("PUSHDECK_ACCESS_TOKEN", TOKEN)]);
    assert_fault(&sandbox, &run, 20, 3, &["larger than 10 MB", "capped"]);
    let response = &run.doc["results"][0]["response"];
    assert_eq!(response["truncated"], true, "{response:#}");
    let kept = response["body"].as_str().map_or(0, str::len);
    assert_eq!(
        kept,
        pushdeck::http::MAX_RESPONSE_BYTES,
        "the first 10 MB are kept"
    );
}

#[test]
fn malformed_json() {
    let (_server, _sandbox, run) = ntfy_fault(
        reply(
            "200 OK",
            vec![("Content-Type", "application/json".into())],
            "{\"id\": \"sPs71M8A2T\", \"event\": ",
        ),
        1,
        &["without a message id"],
    );
    assert!(run.outcome()["hint"].as_str().is_some(), "{:#}", run.doc);
}

#[test]
fn malformed_xml() {
    let server = FaultServer::start(reply(
        "200 OK",
        vec![("Content-Type", "text/xml".into())],
        "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult><MessageId>567910cd-",
    ));
    let sandbox = Sandbox::new();
    sandbox.add_provider_profile(
        "sns-fault",
        "sns",
        &server.base_url(),
        &[
            ("region", "us-east-1"),
            ("access_key_id", "AKIAIOSFODNN7EXAMPLE"),
        ],
    );
    let draft = sandbox
        .write(
            "sns.json",
            &json!({
                "profile": "sns-fault",
                "message": {"title": "Build", "body": "Passed"},
                "audience": {"topic_arn": "arn:aws:sns:us-east-1:123456789012:Builds"}
            })
            .to_string(),
        )
        .to_string_lossy()
        .into_owned();
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAULTKEY01";
    let run = send(
        &sandbox,
        &draft,
        TIMEOUT,
        &[("PUSHDECK_SECRET_ACCESS_KEY", secret)],
    );
    assert_fault(&sandbox, &run, TIMEOUT, 1, &[]);
    let summary = run.summary();
    assert!(
        summary.contains("without a MessageId") && summary.contains("unclear"),
        "the summary should say what was wrong with the answer: {summary}"
    );
    assert!(sandbox.files_containing(secret).is_empty());
}

#[test]
fn server_error_500() {
    let (_server, _sandbox, run) = ntfy_fault(
        reply(
            "500 Internal Server Error",
            vec![("Content-Type", "text/plain".into())],
            "Internal Server Error",
        ),
        1,
        &["500"],
    );
    assert_eq!(run.outcome()["verdict"], "refused");
}

#[test]
fn unavailable_503_with_retry_after() {
    let (server, _sandbox, _run) = ntfy_fault(
        json_reply_after(
            "503 Service Unavailable",
            "120",
            r#"{"code":50301,"http":503,"error":"server is shutting down"}"#,
        ),
        1,
        &["503"],
    );
    assert_eq!(
        server.hits(),
        1,
        "a 120 s wait is not retried within a 2 s timeout"
    );
}

#[test]
fn rate_limited_429() {
    let (_server, _sandbox, run) = ntfy_fault(
        json_reply_after(
            "429 Too Many Requests",
            "1",
            r#"{"code":42901,"http":429,"error":"limit reached: too many requests"}"#,
        ),
        1,
        &["too many requests"],
    );
    assert!(run.outcome()["hint"].as_str().is_some(), "{:#}", run.doc);
}

/// A Courier profile at the fault server, and a draft for it.
fn courier_setup(server: &FaultServer) -> (Sandbox, String) {
    let sandbox = Sandbox::new();
    sandbox.add_provider_profile("courier-fault", "courier", &server.base_url(), &[]);
    let draft = sandbox
        .write(
            "courier.json",
            &json!({
                "profile": "courier-fault",
                "message": {"title": "Hi", "body": "Hello"},
                "audience": {"to": {"email": "ada@example.com"}}
            })
            .to_string(),
        )
        .to_string_lossy()
        .into_owned();
    (sandbox, draft)
}

const COURIER_TOKEN: &str = "pk_test_FAULTTOKEN0123456789ABCDEF";

fn rate_limited(seconds: &str) -> Fault {
    json_reply_after(
        "429 Too Many Requests",
        seconds,
        r#"{"message":"Too many requests","type":"rate_limit_error"}"#,
    )
}

/// Courier honours Retry-After (two retries): a short wait is retried, and every attempt is in
/// history.
#[test]
fn retrying_provider_retries_a_short_wait() {
    let server = FaultServer::start(rate_limited("1"));
    let (sandbox, draft) = courier_setup(&server);
    let run = send(
        &sandbox,
        &draft,
        10,
        &[("PUSHDECK_AUTH_TOKEN", COURIER_TOKEN)],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.elapsed < Duration::from_secs(2) + SLACK,
        "{:?}",
        run.elapsed
    );
    eprintln!(
        "fault retrying_provider_retries_a_short_wait: exit {:?} in {:.1} s: {}",
        run.code,
        run.elapsed.as_secs_f64(),
        run.summary()
    );
    assert!(run.summary().contains("rate limiting"), "{}", run.summary());
    assert_eq!(server.hits(), 3, "the first attempt and two retries");
    let id = run.doc["history_id"].as_str().expect("history_id");
    let out = sandbox.run(&["history", "show", id, "--json"]);
    let entry = stdout_json(&out);
    assert_eq!(
        entry["results"].as_array().map(Vec::len),
        Some(3),
        "{entry:#}"
    );
    assert!(sandbox.files_containing(COURIER_TOKEN).is_empty());
}

/// CONTRACT: no request waits longer than --timeout in total. A server that keeps asking for a
/// 5 s wait must not hold a 2 s send for 10 s.
#[test]
fn retrying_provider_ends_within_the_timeout() {
    let server = FaultServer::start(rate_limited("5"));
    let (sandbox, draft) = courier_setup(&server);
    let run = send(
        &sandbox,
        &draft,
        TIMEOUT,
        &[("PUSHDECK_AUTH_TOKEN", COURIER_TOKEN)],
    );
    assert!(
        run.elapsed < Duration::from_secs(TIMEOUT) + SLACK,
        "took {:?} with --timeout {TIMEOUT}",
        run.elapsed
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.summary().contains("rate limiting"), "{}", run.summary());
}

#[test]
fn redirect_to_another_host_is_not_followed() {
    // The other host: another loopback address, so another origin entirely.
    let elsewhere = FaultServer::start_on("127.0.0.2", reply("200 OK", vec![], "{}"));
    let (server, _sandbox, run) = ntfy_fault(
        reply(
            "302 Found",
            vec![("Location", format!("{}/steal", elsewhere.base_url()))],
            "",
        ),
        1,
        &["redirect", "127.0.0.2", "does not follow redirects"],
    );
    assert!(run.outcome()["hint"].as_str().is_some(), "{:#}", run.doc);
    assert_eq!(server.hits(), 1);
    let first = server.requests().concat();
    assert!(
        first.contains(&format!("Bearer {TOKEN}")),
        "the token went to the profile's host: {first}"
    );
    assert_eq!(elsewhere.hits(), 0, "the other host got a request");
}

/// https:// to a server that answers in plain HTTP: the TLS handshake fails and says so.
#[test]
fn tls_to_a_server_that_does_not_speak_it() {
    let server = FaultServer::start(Fault::PlainHttp);
    let (sandbox, run) = ntfy_send(&format!("https://{}", server.addr));
    assert_fault(
        &sandbox,
        &run,
        TIMEOUT,
        3,
        &["secure connection", "handshake did not complete", "not TLS"],
    );
    assert_eq!(run.outcome()["verdict"], "transport_failed");
}

/// A real TLS server with a self-signed certificate for 127.0.0.1 (Python's `ssl`, an independent
/// peer): the certificate is refused, explained, and nothing is sent.
#[test]
fn tls_with_an_untrusted_certificate() {
    let python = std::env::var("PUSHDECK_PYTHON").unwrap_or_else(|_| "python3".into());
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let script = r#"
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(8)
print(srv.getsockname()[1], flush=True)
while True:
    conn, _ = srv.accept()
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
        data = tls.recv(65536)
        print("GOT-REQUEST", flush=True)
        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        tls.close()
    except (ssl.SSLError, OSError) as e:
        print("HANDSHAKE-FAILED", type(e).__name__, flush=True)
        conn.close()
"#;
    let child = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(fixtures.join("untrusted_tls_cert.pem"))
        .arg(fixtures.join("untrusted_tls_key.pem"))
        .stdout(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            assert!(
                std::env::var_os("PUSHDECK_REQUIRE_PEERS").is_none(),
                "PUSHDECK_REQUIRE_PEERS is set but {python} cannot run: {e}"
            );
            eprintln!("skipped: {python} is not available (set PUSHDECK_PYTHON)");
            return;
        }
    };
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let port: u16 = lines
        .next()
        .and_then(Result::ok)
        .and_then(|l| l.trim().parse().ok())
        .expect("the TLS server prints its port");
    let (sandbox, run) = ntfy_send(&format!("https://127.0.0.1:{port}"));
    let _ = child.kill();
    let log: Vec<String> = lines.map_while(Result::ok).collect();
    let _ = child.wait();
    assert_fault(
        &sandbox,
        &run,
        TIMEOUT,
        3,
        &["secure connection", "certificate is not trusted"],
    );
    assert_eq!(run.outcome()["verdict"], "transport_failed");
    assert!(
        log.iter().any(|l| l.starts_with("HANDSHAKE-FAILED")),
        "the server saw the handshake refused: {log:?}"
    );
    assert!(
        !log.iter().any(|l| l == "GOT-REQUEST"),
        "a request crossed the untrusted connection: {log:?}"
    );
}
