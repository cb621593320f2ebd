//! Ctrl-C (SIGINT, as a terminal sends it) in the middle of a 200-chat fan-out to a slow Bot API
//! stand-in: the real `pushdeck` binary stops starting requests, exits 130, and history says
//! exactly which requests the server received. The list is streamed (read, built and sent one
//! chat at a time), so the chats never fed to the network have no row: history counts who was
//! reached, and `resume` sends exactly to the rest.

use std::collections::BTreeSet;
use std::process::{Child, Command as Process, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::stand_ins::telegram::{FANS, TOKEN, TelegramStandIn};
use crate::support::{Keyring, Sandbox, assert_exit_output};

/// A send of 200 chats to a Bot API that answers each request `delay` after it arrived.
fn start_fan_out(delay: Duration) -> (TelegramStandIn, Sandbox, Child) {
    let standin = TelegramStandIn::start_slow(delay);
    let sandbox = Sandbox::with(Keyring::None, None);
    sandbox.add_provider_profile("bot", "telegram", &standin.base_url(), &[]);
    // Subscriber chats the stand-in accepts: an answered request is a reached chat.
    let chats: Vec<i64> = FANS.take(200).collect();
    let draft = sandbox.write(
        "fan-out.json",
        &json!({
            "profile": "bot",
            "message": {"title": "Sale", "body": "Everything 20% off today."},
            "audience": {"chat_ids": chats},
        })
        .to_string(),
    );
    let child = Process::new(env!("CARGO_BIN_EXE_pushdeck"))
        .args(["send", "--json"])
        .arg(&draft)
        .env("PUSHDECK_CONFIG_DIR", sandbox.config_dir())
        .env("PUSHDECK_DATA_DIR", sandbox.data_dir())
        .env("PUSHDECK_CACHE_DIR", sandbox.cache_dir())
        .env("PUSHDECK_BOT_TOKEN", TOKEN)
        .env_remove("PUSHDECK_LOG")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_RUNTIME_DIR", sandbox.dir.path().join("runtime"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pushdeck starts");
    (standin, sandbox, child)
}

/// The chats the stand-in received a sendMessage for.
fn received(standin: &TelegramStandIn) -> BTreeSet<String> {
    standin
        .calls()
        .iter()
        .filter(|c| c.method == "sendMessage")
        .map(|c| c.params["chat_id"].to_string())
        .collect()
}

fn wait_for_sends(standin: &TelegramStandIn, n: usize) {
    let started = Instant::now();
    while received(standin).len() < n {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the fan-out never got going ({} sent)",
            received(standin).len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What a terminal's Ctrl-C sends (bash's builtin kill: no procps needed).
fn ctrl_c(pid: u32) {
    let kill = Process::new("bash")
        .args(["-c", &format!("kill -s INT {pid}")])
        .status()
        .expect("kill runs");
    assert!(kill.success());
}

/// Reads the child's output while it finishes (200 JSON rows overflow a pipe's buffer).
fn finish(child: Child, within: Duration) -> Output {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    rx.recv_timeout(within)
        .unwrap_or_else(|_| panic!("pushdeck did not stop within {within:?} of Ctrl-C"))
        .expect("output")
}

/// The send's result rows (`send --json`: each chat fed to the network before the stop,
/// answered or stopped), its history id, and how many of the 200 history says were reached.
fn rows_and_reached(sandbox: &Sandbox, out: &Output) -> (Vec<Value>, String, usize) {
    let doc: Value = serde_json::from_slice(&out.stdout).expect("send --json");
    assert_eq!(doc["interrupted"], true, "{doc}");
    let rows = doc["results"].as_array().expect("results").clone();
    assert!(!rows.is_empty() && rows.len() <= 200, "{} rows", rows.len());
    let id = doc["history_id"].as_str().expect("history id").to_string();
    let list = sandbox.run(&["history", "list", "--json"]);
    assert_exit_output(&list, 0);
    let list: Value = serde_json::from_slice(&list.stdout).expect("history list --json");
    let entry = list["history"]
        .as_array()
        .and_then(|l| l.iter().find(|e| e["id"] == id.as_str()))
        .expect("the send's entry")
        .clone();
    assert_eq!(entry["recipients"], 200, "{entry}");
    let reached = entry["reached"].as_u64().expect("reached") as usize;
    (rows, id, reached)
}

fn recipients(rows: &[Value], answered: bool) -> BTreeSet<String> {
    rows.iter()
        .filter(|r| r["response"].is_null() != answered)
        .map(|r| r["recipient"].as_str().unwrap_or("").to_string())
        .collect()
}

/// `pushdeck resume ID --yes` (it must succeed), and then how many messages each chat has had
/// from the two sends together.
fn resume(
    standin: &TelegramStandIn,
    sandbox: &Sandbox,
    id: &str,
) -> (Output, std::collections::BTreeMap<String, usize>) {
    let out = sandbox
        .cmd()
        .env("PUSHDECK_BOT_TOKEN", TOKEN)
        .args(["resume", id, "--yes"])
        .output()
        .expect("runs");
    assert_exit_output(&out, 0);
    let mut per_chat = std::collections::BTreeMap::<String, usize>::new();
    for c in standin.calls().iter().filter(|c| c.method == "sendMessage") {
        *per_chat.entry(c.params["chat_id"].to_string()).or_default() += 1;
    }
    (out, per_chat)
}

fn assert_stopped(rows: &[Value]) {
    for r in rows.iter().filter(|r| r["response"].is_null()) {
        assert_eq!(r["outcome"]["verdict"], "transport_failed", "{r}");
        assert_eq!(r["error"]["kind"], "cancelled", "{r}");
        assert_eq!(
            r["outcome"]["summary"], "Not sent: the send was stopped before this request started.",
            "{r}"
        );
    }
}

/// One Ctrl-C: no request starts after it, those in flight finish, the exit status is 130, and
/// history holds as answered exactly the requests the server received.
#[test]
fn ctrl_c_stops_a_fan_out_and_history_matches_what_the_server_received() {
    let (standin, sandbox, child) = start_fan_out(Duration::from_millis(400));
    wait_for_sends(&standin, 20);
    ctrl_c(child.id());
    let out = finish(child, Duration::from_secs(30));
    assert_exit_output(&out, 130);
    let received = received(&standin);
    assert!(
        received.len() < 200,
        "everything was sent: the stop came too late to show anything"
    );
    standin.assert_no_problems();

    let (rows, id, reached) = rows_and_reached(&sandbox, &out);
    assert_eq!(
        recipients(&rows, true),
        received,
        "the answered rows are the received requests"
    );
    assert_eq!(reached, received.len(), "history counts them as reached");
    // The rest never left: stopped before they started (none was abandoned in flight).
    assert_stopped(&rows);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no new request starts"), "{stderr}");

    // Resuming sends exactly to the chats not reached: each of the 200 gets one message.
    let (_, per_chat) = resume(&standin, &sandbox, &id);
    assert_eq!(per_chat.len(), 200);
    assert!(per_chat.values().all(|n| *n == 1), "{per_chat:?}");
}

/// A second Ctrl-C stops waiting: the requests in flight are abandoned instead of holding the
/// command for the slow server, and since they may have arrived (the stand-in did receive them)
/// their recipients are in doubt: `resume` sends to everyone else, and to nobody twice.
#[test]
fn a_second_ctrl_c_abandons_the_requests_in_flight_and_leaves_them_in_doubt() {
    let (standin, sandbox, child) = start_fan_out(Duration::from_secs(20));
    wait_for_sends(&standin, 3);
    let pid = child.id();
    ctrl_c(pid);
    std::thread::sleep(Duration::from_millis(300));
    ctrl_c(pid);
    // Far sooner than the 20 s the server would take to answer.
    let out = finish(child, Duration::from_secs(10));
    assert_exit_output(&out, 130);
    let received = received(&standin);
    assert!(!received.is_empty() && received.len() < 200, "{received:?}");

    let (rows, id, reached) = rows_and_reached(&sandbox, &out);
    assert!(recipients(&rows, true).is_empty(), "nothing was answered");
    assert_eq!(reached, 0);
    let in_doubt = |r: &Value| {
        r["outcome"]["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("Cancelled") && s.contains("in doubt"))
    };
    let abandoned: Vec<&Value> = rows.iter().filter(|r| in_doubt(r)).collect();
    for r in &abandoned {
        assert_eq!(r["outcome"]["verdict"], "transport_failed", "{r}");
        assert_eq!(r["error"]["kind"], "abandoned", "{r}");
        assert!(
            r["outcome"]["hint"]
                .as_str()
                .is_some_and(|h| h.contains("Resuming")),
            "{r}"
        );
    }
    // Every request the server received was on its way when the send stopped waiting.
    assert!(
        abandoned.len() >= received.len(),
        "{} abandoned",
        abandoned.len()
    );
    assert_stopped(
        &rows
            .iter()
            .filter(|r| !in_doubt(r))
            .cloned()
            .collect::<Vec<_>>(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("stopped waiting"), "{stderr}");

    let show = sandbox.run(&["history", "show", &id, "--json"]);
    assert_exit_output(&show, 0);
    let show: Value = serde_json::from_slice(&show.stdout).expect("history show --json");
    assert_eq!(
        show["in_doubt"].as_u64(),
        Some(abandoned.len() as u64),
        "the abandoned are in doubt"
    );

    // Resuming skips those in doubt (and says so): the server never gets a chat twice, and
    // every chat not in doubt gets exactly one.
    standin.set_delay(None);
    let (out, per_chat) = resume(&standin, &sandbox, &id);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{} recipient", abandoned.len()))
            && stderr.contains("may already have it"),
        "{stderr}"
    );
    assert!(per_chat.values().all(|n| *n == 1), "{per_chat:?}");
    assert_eq!(per_chat.len(), 200 - abandoned.len() + received.len());
}
