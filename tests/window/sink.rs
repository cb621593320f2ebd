//! The Sink view in the real window, driven by label: Pushdeck stands in for ntfy on a free port,
//! requests sent from here (plain HTTP/1.1 over a socket, as any backend would) show live with
//! their verdict, the inspector shows the body and the findings, a rehearsal changes the answer,
//! and Stop (or switching away) frees the port.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::kittest::{By, Queryable as _};
use pushdeck::store::{HistoryStore, Profile, SecretStore};

use crate::support::stand_ins::ntfy::TOKEN;

use crate::support::window::{
    Desk, Window, click, open, snapshot, step_until, text_visible, wait_for_text,
};

/// Picks `item` from the combo box labelled `list` (the item's label may also be a provider tab:
/// the popup's, drawn last, is the one clicked).
fn pick(h: &mut Window, list: &str, item: &str) {
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, list)
        .click();
    h.run();
    h.get_all_by_label(item)
        .last()
        .unwrap_or_else(|| panic!("“{item}” in {list}"))
        .click();
    h.run();
}

/// Replaces what the Port field holds with `port`.
fn set_port(h: &mut Window, port: &str) {
    h.get_by_label("Port").focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    h.get_by_label("Port").type_text(port);
    h.run();
}

/// Opens the Sink view on ntfy at a free port and starts it; its address.
fn start_ntfy(h: &mut Window) -> SocketAddr {
    click(h, "Sink");
    h.run();
    pick(h, "Provider", "ntfy");
    set_port(h, "0");
    start_listening(h).1
}

/// Starts the sink as the view is set up; its base URL and address once it listens.
fn start_listening(h: &mut Window) -> (String, SocketAddr) {
    click(h, "Start listening");
    step_until(h, "the sink to listen", |app| app.sink.is_running());
    h.run();
    let url = h.state().sink.base_url().expect("listening").to_string();
    let addr = url
        .trim_start_matches("http://")
        .parse()
        .expect("an address");
    (url, addr)
}

/// POSTs JSON `body` to `path` on `addr` as HTTP/1.1 and returns the status the sink answered.
fn post(addr: SocketAddr, path: &str, body: &str) -> u16 {
    post_with(addr, path, "", body)
}

/// [`post`] with more header lines (each ending in `\r\n`).
fn post_with(addr: SocketAddr, path: &str, headers: &str, body: &str) -> u16 {
    let headers = format!("{headers}Content-Type: application/json\r\n");
    send(addr, path, &headers, body)
}

/// POSTs `body` with `headers` (each line ending in `\r\n`, the content type among them).
fn send(addr: SocketAddr, path: &str, headers: &str, body: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).expect("the sink accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("request written");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line in {answer:?}"))
}

/// Waits until nothing listens on `addr` any more.
fn wait_refused(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
        assert!(Instant::now() < deadline, "{addr} still accepts");
        std::thread::sleep(Duration::from_millis(50));
    }
}

const MESSAGE: &str = r#"{"topic":"deploys","title":"Deploy","message":"Deployed to production"}"#;

#[test]
fn receives_shows_rehearses_and_stops() {
    let desk = Desk::new();
    let mut h = open(desk.app_with(SecretStore::memory()));
    let addr = start_ntfy(&mut h);
    let base = format!("http://{addr}");
    assert!(text_visible(&h, &format!("Listening at {base}")));
    assert!(
        text_visible(&h, &format!("{base}/mytopic")),
        "the setup lines name the real URL"
    );

    assert_eq!(post(addr, "/", MESSAGE), 200);
    wait_for_text(
        &mut h,
        "OK: publish to “deploys”: “Deploy” “Deployed to production” → 200",
    );
    assert!(text_visible(&h, "200"));
    h.get_by_label("OK: publish to “deploys”: “Deploy” “Deployed to production” → 200")
        .click();
    h.run();
    assert!(
        text_visible(&h, "\"message\": \"Deployed to production\""),
        "the inspector shows the body pretty-printed"
    );
    assert!(
        text_visible(&h, "no credentials: an anonymous publish to an open topic"),
        "and what was checked"
    );

    pick(&mut h, "Answer with", "rate-limited");
    assert_eq!(post(addr, "/", MESSAGE), 429, "the rehearsal answers");
    wait_for_text(&mut h, "429");
    pick(&mut h, "Answer with", "Normal");
    assert_eq!(post(addr, "/", MESSAGE), 200, "back to normal");
    step_until(&mut h, "the third request", |app| {
        app.sink.arrivals.len() == 3
    });

    // Esc leaves a running sink alone.
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(h.state().sink.is_running(), "Esc does not stop the sink");

    click(&mut h, "Stop listening");
    h.run();
    wait_refused(addr);
    assert!(text_visible(&h, "Start listening"), "ready to start again");
    assert!(text_visible(
        &h,
        "The ntfy sink stopped after 3 requests, kept in History (and for `pushdeck history show sink-"
    ));
    assert_eq!(h.state().sink.arrivals.len(), 3, "what arrived stays shown");
}

#[test]
fn a_stopped_session_is_in_history_with_its_requests() {
    let desk = Desk::new();
    let mut h = open(desk.app_with(SecretStore::memory()));
    let addr = start_ntfy(&mut h);
    let base = format!("http://{addr}");
    assert_eq!(post(addr, "/", MESSAGE), 200);
    step_until(&mut h, "the request", |app| app.sink.arrivals.len() == 1);
    assert!(
        text_visible(&h, "History (0)"),
        "a session still running is not listed yet"
    );
    click(&mut h, "Stop listening");
    h.run();
    wait_for_text(&mut h, "History (1)");
    click(&mut h, "Show in History");
    h.run();
    wait_for_text(&mut h, &format!("Sink · ntfy at {base} · no profile"));
    assert!(h.state().history_open());
    assert!(text_visible(&h, "1 request received, worst: OK"));
    assert!(
        text_visible(&h, "session sink-"),
        "its id for the command line"
    );
    drop(h);

    // A new window lists it among the sends, read from history.
    let mut h = open(desk.app_with(SecretStore::memory()));
    wait_for_text(&mut h, "History (1)");
    click(&mut h, "History (1)");
    h.run();
    assert!(text_visible(&h, "Sink"), "its kind");
    assert!(text_visible(&h, &format!("at {base}")));
    click(&mut h, "1 request received");
    wait_for_text(&mut h, &format!("Sink · ntfy at {base} · no profile"));
    let verdict = "OK: publish to “deploys”: “Deploy” “Deployed to production” → 200";
    assert!(h.query_by_label("200").is_some(), "the status answered");
    h.get_by_label(verdict).click();
    h.run();
    assert!(
        text_visible(&h, "no credentials: an anonymous publish to an open topic"),
        "what was checked"
    );
    assert!(
        text_visible(&h, "\"message\": \"Deployed to production\""),
        "the body, pretty-printed"
    );
    click(&mut h, "Answer");
    h.run();
    assert!(text_visible(&h, "200 OK"), "the answer given");
    // The History window's, drawn over the main window's Request pane.
    h.get_all_by_label("Request")
        .last()
        .expect("the Request toggle")
        .click();
    h.run();
    // The port, the session and the times vary from run to run: mask them.
    let kept = HistoryStore::new(desk.paths().history_dir());
    let id = kept.sink_sessions()[0].id.clone();
    let session = kept.sink_session(&id).expect("read").expect("kept");
    let day = session.header.at[..10].to_string();
    let time = session.arrivals[0].at[11..19].to_string();
    let mut masks: Vec<egui::Rect> = h
        .query_all(By::new().predicate(move |n| {
            let varies = |v: &str| ["127.0.0.1", &day, &time].iter().any(|x| v.contains(x));
            n.value().is_some_and(|v| varies(&v)) || n.label().is_some_and(|l| varies(&l))
        }))
        .map(|n| n.rect())
        .collect();
    // A session id's random letters vary in width: its mask does not.
    let id_label = h.get_by_label(&format!("session {id}")).rect();
    masks.push(id_label.with_max_x(id_label.min.x + 360.0));
    for rect in masks {
        h.mask(rect);
    }
    snapshot(&mut h, "sink_history");
}

#[test]
fn a_profile_verifies_the_token_which_stays_masked_until_revealed() {
    let desk = Desk::new();
    let mut h = open(desk.app(Profile::new("alerts", "ntfy"), &[("access_token", TOKEN)]));
    click(&mut h, "Sink");
    h.run();
    pick(&mut h, "Profile", "alerts");
    set_port(&mut h, "0");
    let (_, addr) = start_listening(&mut h);
    assert!(
        text_visible(&h, "profile alerts's access_token"),
        "the setup says so"
    );

    let bearer = format!("Authorization: Bearer {TOKEN}\r\n");
    assert_eq!(post_with(addr, "/", &bearer, MESSAGE), 200);
    let wrong = "Authorization: Bearer tk_thisisnotthetokenofalerts1234\r\n";
    assert_eq!(
        post_with(addr, "/", wrong, MESSAGE),
        401,
        "ntfy's answer to a wrong token"
    );
    step_until(&mut h, "both requests", |app| app.sink.arrivals.len() == 2);
    h.run();
    assert!(text_visible(
        &h,
        "Problem: publish to “deploys”: “Deploy” “Deployed to production” → 401 unauthorized"
    ));

    h.get_by_label("OK: publish to “deploys”: “Deploy” “Deployed to production” → 200")
        .click();
    h.run();
    assert!(text_visible(&h, "the access token is profile alerts's"));
    assert!(!text_visible(&h, TOKEN), "the token is masked");
    click(&mut h, "Reveal");
    h.run();
    assert!(text_visible(&h, TOKEN), "Reveal shows it");
    // Picking another request masks it again.
    h.get_by_label(
        "Problem: publish to “deploys”: “Deploy” “Deployed to production” → 401 unauthorized",
    )
    .click();
    h.run();
    assert!(text_visible(
        &h,
        "the credentials are not profile alerts's access token"
    ));
    assert!(
        !text_visible(&h, "tk_thisisnotthetokenofalerts1234"),
        "masked again"
    );
}

#[test]
fn a_jwt_grant_shows_its_decoded_claims() {
    use base64::Engine as _;
    let desk = Desk::new();
    let mut h = open(desk.app_with(SecretStore::memory()));
    click(&mut h, "Sink");
    h.run();
    pick(&mut h, "Provider", "FCM");
    set_port(&mut h, "0");
    let (url, addr) = start_listening(&mut h);
    assert!(
        text_visible(&h, &format!("{url}/token")),
        "the token_uri to set"
    );
    // A grant as a service account makes it; its signature is not what this test looks at.
    let part = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let jwt = format!(
        "{}.{}.c2lnbmF0dXJl",
        part(serde_json::json!({"alg": "RS256", "typ": "JWT"})),
        part(serde_json::json!({
            "iss": "sink-test@example.iam.gserviceaccount.com",
            "scope": "https://www.googleapis.com/auth/firebase.messaging",
            "aud": format!("{url}/token"),
            "iat": 1_700_000_000,
            "exp": 1_700_003_600
        }))
    );
    let form =
        format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={jwt}");
    let status = send(
        addr,
        "/token",
        "Content-Type: application/x-www-form-urlencoded\r\n",
        &form,
    );
    assert!(status >= 200, "an answer");
    step_until(&mut h, "the grant", |app| app.sink.arrivals.len() == 1);
    h.run();
    let summary = h.state().sink.arrivals[0].shown.summary.clone();
    h.query_all(By::new().predicate(move |n| n.label().is_some_and(|l| l.ends_with(&summary))))
        .next()
        .expect("the grant's row")
        .click();
    h.run();
    assert!(text_visible(&h, "Grant (JWT)"), "the decoded part");
    assert!(
        text_visible(&h, "\"iss\": \"sink-test@example.iam.gserviceaccount.com\""),
        "its claims, pretty"
    );
    assert!(!text_visible(&h, &jwt), "the assertion itself is masked");
}

#[test]
fn a_port_in_use_and_a_bad_port_are_said_in_words() {
    let desk = Desk::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().expect("addr").port();
    let mut h = open(desk.app_with(SecretStore::memory()));
    click(&mut h, "Sink");
    h.run();
    set_port(&mut h, &port.to_string());
    click(&mut h, "Start listening");
    h.run();
    assert!(
        text_visible(
            &h,
            &format!(
                "Not started: port {port} on 127.0.0.1 is already in use: pick another in Port (0 picks a free one)"
            )
        ),
        "{:?}",
        h.state().sink.error
    );
    assert!(!h.state().sink.is_running());
    set_port(&mut h, "eighty");
    click(&mut h, "Start listening");
    h.run();
    assert!(text_visible(&h, "Port: `eighty` is not a port number"));
}

#[test]
fn only_the_providers_profiles_are_offered_and_switching_away_stops_it() {
    let desk = Desk::new();
    desk.save_profile(Profile::new("alerts", "ntfy"));
    desk.save_profile(Profile::new("mobile", "apns"));
    let mut h = open(desk.app_with(SecretStore::memory()));
    let addr = start_ntfy(&mut h);
    assert_eq!(post(addr, "/", MESSAGE), 200);
    click(&mut h, "Stop listening");
    h.run();
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Profile")
        .click();
    h.run();
    assert!(h.query_by_label("alerts").is_some(), "the ntfy profile");
    assert!(h.query_by_label("mobile").is_none(), "not the APNs one");
    h.get_by_label("alerts").click();
    h.run();
    let (_, addr) = start_listening(&mut h);
    // A provider tab leaves the view, and the listener stops.
    h.get_all_by_label("ntfy")
        .next()
        .expect("the ntfy tab")
        .click();
    h.run();
    assert!(!h.state().sink.open && !h.state().sink.is_running());
    wait_refused(addr);
}

#[test]
fn snapshot_of_a_received_request() {
    let desk = Desk::new();
    let mut h = open(desk.app_with(SecretStore::memory()));
    let addr = start_ntfy(&mut h);
    assert_eq!(post(addr, "/", MESSAGE), 200);
    step_until(&mut h, "the request", |app| app.sink.arrivals.len() == 1);
    h.run();
    h.get_by_label("OK: publish to “deploys”: “Deploy” “Deployed to production” → 200")
        .click();
    h.run();
    let time = h.state().sink.arrivals[0].record.at[11..19].to_string();
    // The port and the time of day vary from run to run: mask them (the ephemeral port always
    // has five digits, so the masks keep their size).
    for node in h
        .query_all(By::new().predicate(move |n| {
            let varies = |v: &str| v.contains("127.0.0.1") || v.contains(&time);
            n.value().is_some_and(|v| varies(&v)) || n.label().is_some_and(|l| varies(&l))
        }))
        .map(|n| n.rect())
        .collect::<Vec<_>>()
    {
        h.mask(node);
    }
    snapshot(&mut h, "sink");
}
