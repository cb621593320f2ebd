//! End to end through a real forward proxy (tinyproxy, started here) to local TLS stand-ins whose
//! certificates a CA made by the test signed: what a send from behind a corporate proxy with a
//! private CA meets. Secrets come from the environment; no test here touches a real keyring.

use crate::support::forward_proxy::ForwardProxy;
use crate::support::stand_ins::apns::{self, ApnsStandIn};
use crate::support::stand_ins::ntfy::{Ntfy, NtfyStandIn, TOKEN};
use crate::support::tls::TestCa;
use crate::support::{Sandbox, assert_exit_output, stderr, stdout};
use serde_json::json;

const PROFILE: &str = "alerts";
const PROXY_VARS: [&str; 9] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "PUSHDECK_PROXY_PASSWORD",
];

/// An ntfy over TLS (HTTP/1.1) with a certificate from `ca`.
fn ntfy_tls(ca: &TestCa) -> NtfyStandIn {
    NtfyStandIn::serve_tls(Ntfy::default(), ca.server_config(&[b"http/1.1"]))
}

/// `pushdeck ARGS` with no proxy from the test's own environment, plus `env`.
fn run(sandbox: &Sandbox, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut cmd = sandbox.cmd();
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    cmd.env("PUSHDECK_ACCESS_TOKEN", TOKEN);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("runs")
}

fn ntfy_draft(sandbox: &Sandbox) -> String {
    sandbox
        .write(
            "ntfy.json",
            &json!({"profile": PROFILE, "message": {"title": "Build 118", "body": "Passed"},
                "audience": {"topic": "private-ci"}})
            .to_string(),
        )
        .to_string_lossy()
        .into_owned()
}

fn said(out: &std::process::Output) -> String {
    format!("{}{}", stdout(out), stderr(out))
}

fn connects_to(proxy: &ForwardProxy, port: u16) -> usize {
    proxy
        .log()
        .matches(&format!("CONNECT 127.0.0.1:{port} "))
        .count()
}

fn port_of(base_url: &str) -> u16 {
    base_url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port")
}

#[test]
fn a_private_ca_is_explained_until_ca_certificates_names_it() {
    let ca = TestCa::new();
    let standin = ntfy_tls(&ca);
    let proxy = ForwardProxy::start(None);
    let sandbox = Sandbox::new();
    sandbox.add_provider_profile(
        PROFILE,
        "ntfy",
        &standin.base_url(),
        &[("proxy", &proxy.url())],
    );
    let draft = ntfy_draft(&sandbox);

    let out = run(&sandbox, &[], &["send", &draft]);
    assert_exit_output(&out, 3);
    let text = said(&out);
    assert!(text.contains("not trusted"), "{text}");
    assert!(text.contains("ca_certificates"), "{text}");
    assert_eq!(standin.hits(), 0, "nothing may reach an untrusted server");
    let port = port_of(&standin.base_url());
    assert_eq!(connects_to(&proxy, port), 1, "{}", proxy.log());

    let ca_file = ca.write_ca(sandbox.dir.path());
    sandbox.add_provider_profile(
        PROFILE,
        "ntfy",
        &standin.base_url(),
        &[("ca_certificates", &ca_file.to_string_lossy())],
    );
    let out = run(&sandbox, &[], &["send", &draft]);
    assert_exit_output(&out, 0);
    assert_eq!(standin.hits(), 1);
    standin.assert_no_problems();
    assert_eq!(connects_to(&proxy, port), 2, "{}", proxy.log());
}

#[test]
fn a_proxy_that_wants_credentials_is_explained_then_satisfied() {
    let ca = TestCa::new();
    let standin = ntfy_tls(&ca);
    let proxy = ForwardProxy::start(Some(("alice", "pr0xy-pass")));
    let sandbox = Sandbox::new();
    let ca_file = ca.write_ca(sandbox.dir.path());
    let with_user = proxy.url().replace("http://", "http://alice@");
    sandbox.add_provider_profile(
        PROFILE,
        "ntfy",
        &standin.base_url(),
        &[
            ("proxy", &with_user),
            ("ca_certificates", &ca_file.to_string_lossy()),
        ],
    );
    let draft = ntfy_draft(&sandbox);

    let out = run(&sandbox, &[], &["send", &draft]);
    assert_exit_output(&out, 3);
    let text = said(&out);
    assert!(
        text.contains("refused CONNECT") && text.contains("407 Proxy Authentication Required"),
        "{text}"
    );
    assert!(text.contains("proxy_password"), "{text}");
    assert_eq!(standin.hits(), 0);

    let out = run(
        &sandbox,
        &[("PUSHDECK_PROXY_PASSWORD", "wrong-pass")],
        &["send", &draft],
    );
    assert_exit_output(&out, 3);
    let text = said(&out);
    // tinyproxy answers a wrong password with 401; the error quotes what the proxy said.
    assert!(
        text.contains("refused CONNECT to 127.0.0.1: 401 Unauthorized")
            && text.contains("proxy user and password"),
        "{text}"
    );
    assert!(!text.contains("wrong-pass"), "{text}");
    assert_eq!(standin.hits(), 0);

    let out = run(
        &sandbox,
        &[("PUSHDECK_PROXY_PASSWORD", "pr0xy-pass")],
        &["send", "--json", &draft],
    );
    assert_exit_output(&out, 0);
    assert_eq!(standin.hits(), 1);
    assert!(!said(&out).contains("pr0xy-pass"), "{}", said(&out));
    assert!(sandbox.files_containing("pr0xy-pass").is_empty());
    assert!(sandbox.file_count() > 0);
}

#[test]
fn apns_speaks_http2_over_tls_through_the_connect_proxy() {
    let ca = TestCa::new();
    let standin = ApnsStandIn::start_tls(ca.server_config(&[b"h2"]));
    let proxy = ForwardProxy::start(None);
    let sandbox = Sandbox::new();
    let ca_file = ca.write_ca(sandbox.dir.path());
    sandbox.add_provider_profile(
        "ios",
        "apns",
        &standin.base_url(),
        &[
            ("key_id", apns::KEY_ID),
            ("team_id", apns::TEAM_ID),
            ("topic", apns::TOPIC),
            ("environment", "sandbox"),
            ("proxy", &proxy.url()),
            ("ca_certificates", &ca_file.to_string_lossy()),
        ],
    );
    let draft = sandbox.write(
        "apns.json",
        &json!({"profile": "ios", "message": {"title": "Build 118", "body": "Passed"},
            "audience": {"device_tokens": [apns::DEVICE]}})
        .to_string(),
    );
    let out = run(
        &sandbox,
        &[("PUSHDECK_SIGNING_KEY_P8", apns::SIGNING_KEY)],
        &["send", &draft.to_string_lossy()],
    );
    assert_exit_output(&out, 0);
    let seen = standin.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].version, "HTTP/2.0");
    standin.assert_no_problems();
    assert_eq!(
        connects_to(&proxy, port_of(&standin.base_url())),
        1,
        "{}",
        proxy.log()
    );
}

#[test]
fn https_proxy_from_the_environment_is_used_and_no_proxy_bypasses_it() {
    let ca = TestCa::new();
    let standin = ntfy_tls(&ca);
    let proxy = ForwardProxy::start(None);
    let sandbox = Sandbox::new();
    let ca_file = ca.write_ca(sandbox.dir.path());
    sandbox.add_provider_profile(
        PROFILE,
        "ntfy",
        &standin.base_url(),
        &[("ca_certificates", &ca_file.to_string_lossy())],
    );
    let draft = ntfy_draft(&sandbox);
    let port = port_of(&standin.base_url());
    let env = [("HTTPS_PROXY", proxy.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let out = run(&sandbox, &env, &["preview", &draft]);
    assert_exit_output(&out, 0);
    let line = format!("[connection] via proxy {} (from HTTPS_PROXY)", proxy.url());
    assert!(stdout(&out).contains(&line), "{}", stdout(&out));

    let out = run(&sandbox, &env, &["send", &draft]);
    assert_exit_output(&out, 0);
    assert_eq!(connects_to(&proxy, port), 1, "{}", proxy.log());

    let mut bypass = env.clone();
    bypass.push(("NO_PROXY", "localhost,127.0.0.1"));
    let out = run(&sandbox, &bypass, &["preview", &draft]);
    assert!(
        stdout(&out).contains("[connection] direct (NO_PROXY)"),
        "{}",
        stdout(&out)
    );
    let out = run(&sandbox, &bypass, &["send", &draft]);
    assert_exit_output(&out, 0);
    assert_eq!(standin.hits(), 2);
    assert_eq!(
        connects_to(&proxy, port),
        1,
        "NO_PROXY must bypass it: {}",
        proxy.log()
    );
}

#[test]
fn a_proxy_nobody_listens_on_is_named_in_the_error() {
    let ca = TestCa::new();
    let standin = ntfy_tls(&ca);
    let sandbox = Sandbox::new();
    let dead = format!("http://127.0.0.1:{}", crate::support::closed_port());
    sandbox.add_provider_profile(PROFILE, "ntfy", &standin.base_url(), &[("proxy", &dead)]);
    let out = run(&sandbox, &[], &["send", &ntfy_draft(&sandbox)]);
    assert_exit_output(&out, 3);
    let text = said(&out);
    assert!(text.contains(&format!("the proxy {dead}")), "{text}");
}

#[test]
fn a_password_in_the_proxy_url_is_refused_and_never_written() {
    let sandbox = Sandbox::new();
    let out = run(
        &sandbox,
        &[],
        &[
            "profile",
            "add",
            PROFILE,
            "--provider",
            "ntfy",
            "--set",
            "proxy=http://alice:hunter2@proxy.example:3128",
        ],
    );
    assert_exit_output(&out, 2);
    assert!(stderr(&out).contains("proxy_password"), "{}", stderr(&out));
    assert!(sandbox.files_containing("hunter2").is_empty());
    let out = run(
        &sandbox,
        &[],
        &[
            "profile",
            "add",
            PROFILE,
            "--provider",
            "ntfy",
            "--set",
            "proxy=ftp://p:21",
        ],
    );
    assert_exit_output(&out, 2);
}

#[test]
fn preview_names_the_profile_proxy_without_its_password() {
    let sandbox = Sandbox::new();
    sandbox.add_provider_profile(
        PROFILE,
        "ntfy",
        "https://ntfy.example.com",
        &[("proxy", "http://alice@proxy.example:3128")],
    );
    let out = run(
        &sandbox,
        &[
            ("PUSHDECK_PROXY_PASSWORD", "s3cret-pw"),
            ("HTTPS_PROXY", "http://other:1"),
        ],
        &["preview", "--json", &ntfy_draft(&sandbox)],
    );
    assert_exit_output(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains(
            "via proxy http://alice:••••@proxy.example:3128 (from the profile's proxy setting)"
        ),
        "{text}"
    );
    assert!(!text.contains("s3cret-pw"), "{text}");
}

#[test]
fn a_ca_in_the_system_trust_store_is_trusted_without_ca_certificates() {
    // The system store as rustls-platform-verifier reads it on Linux (through openssl's
    // SSL_CERT_FILE, which points at the distribution's bundle by default).
    let ca = TestCa::new();
    let standin = ntfy_tls(&ca);
    let sandbox = Sandbox::new();
    sandbox.add_provider_profile(PROFILE, "ntfy", &standin.base_url(), &[]);
    let ca_file = ca.write_ca(sandbox.dir.path());
    let draft = ntfy_draft(&sandbox);
    let out = run(&sandbox, &[], &["send", &draft]);
    assert_exit_output(&out, 3);
    let out = run(
        &sandbox,
        &[("SSL_CERT_FILE", &ca_file.to_string_lossy())],
        &["send", &draft],
    );
    assert_exit_output(&out, 0);
    assert_eq!(standin.hits(), 1);
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test"]
fn the_proxy_password_comes_from_the_keyring_and_profile_remove_deletes_it() {
    crate::keyring::require_session_bus();
    let ca = TestCa::new();
    let standin = ntfy_tls(&ca);
    let password = format!("kr-{}", crate::keyring::unique("pw"));
    let proxy = ForwardProxy::start(Some(("alice", &password)));
    let sandbox = Sandbox::with(crate::support::Keyring::Real, None);
    let profile = crate::keyring::unique("proxied");
    let ca_file = ca.write_ca(sandbox.dir.path());
    let with_user = proxy.url().replace("http://", "http://alice@");
    sandbox.add_provider_profile(
        &profile,
        "ntfy",
        &standin.base_url(),
        &[
            ("proxy", &with_user),
            ("ca_certificates", &ca_file.to_string_lossy()),
        ],
    );
    let mut set = sandbox.cmd();
    for var in PROXY_VARS {
        set.env_remove(var);
    }
    set.args(["secret", "set", &profile, "proxy_password"])
        .write_stdin(format!("{password}\n"))
        .assert()
        .success();
    let draft = sandbox
        .write(
            "ntfy.json",
            &json!({"profile": profile, "message": {"body": "Passed"},
                "audience": {"topic": "private-ci"}})
            .to_string(),
        )
        .to_string_lossy()
        .into_owned();
    let out = run(&sandbox, &[], &["send", &draft]);
    assert_exit_output(&out, 0);
    assert_eq!(standin.hits(), 1);
    assert!(sandbox.files_containing(&password).is_empty());

    let stored = || {
        let found = std::process::Command::new("timeout")
            .args([
                "20",
                "secret-tool",
                "lookup",
                "service",
                "pushdeck",
                "username",
            ])
            .arg(format!("{profile}/proxy_password"))
            .stdin(std::process::Stdio::null())
            .output()
            .expect("secret-tool runs");
        String::from_utf8_lossy(&found.stdout).into_owned()
    };
    assert_eq!(stored(), password, "secret set stored it in the keyring");
    let out = run(&sandbox, &[], &["profile", "remove", &profile]);
    assert_exit_output(&out, 0);
    assert_eq!(
        stored(),
        "",
        "profile remove must delete the proxy password from the keyring"
    );
}

#[test]
fn a_socks5h_proxy_with_credentials_carries_the_send() {
    let ca = TestCa::new();
    let standin = ntfy_tls(&ca);
    let socks = crate::support::forward_proxy::SocksProxy::start("alice", "s0cks-pass");
    let sandbox = Sandbox::new();
    let ca_file = ca.write_ca(sandbox.dir.path());
    let proxy = format!("socks5h://alice@127.0.0.1:{}", socks.port);
    sandbox.add_provider_profile(
        PROFILE,
        "ntfy",
        &standin.base_url(),
        &[
            ("proxy", &proxy),
            ("ca_certificates", &ca_file.to_string_lossy()),
        ],
    );
    let draft = ntfy_draft(&sandbox);
    // Without the password the SOCKS proxy refuses: the proxy is in the path, and named.
    let out = run(&sandbox, &[], &["send", &draft]);
    assert_exit_output(&out, 3);
    let text = said(&out);
    assert!(
        text.contains(&format!("proxy socks5h://127.0.0.1:{}", socks.port)),
        "{text}"
    );
    assert_eq!(standin.hits(), 0);
    let out = run(
        &sandbox,
        &[("PUSHDECK_PROXY_PASSWORD", "s0cks-pass")],
        &["send", &draft],
    );
    assert_exit_output(&out, 0);
    assert_eq!(standin.hits(), 1);
    assert!(!said(&out).contains("s0cks-pass"));
}

#[test]
fn a_ca_certificates_file_that_is_missing_or_not_pem_is_explained() {
    let ca = TestCa::new();
    let standin = ntfy_tls(&ca);
    let sandbox = Sandbox::new();
    let not_pem = sandbox.write("not-a-ca.pem", "hello");
    for (path, why) in [
        (sandbox.dir.path().join("missing.pem"), "cannot be read"),
        (not_pem, "holds no certificate"),
    ] {
        sandbox.add_provider_profile(
            PROFILE,
            "ntfy",
            &standin.base_url(),
            &[("ca_certificates", &path.to_string_lossy())],
        );
        let out = run(&sandbox, &[], &["send", &ntfy_draft(&sandbox)]);
        assert_exit_output(&out, 3);
        let text = said(&out);
        assert!(
            text.contains("`ca_certificates` file") && text.contains(why),
            "{text}"
        );
    }
    assert_eq!(standin.hits(), 0);
}
