//! APNs certificate auth end to end: a local APNs over TLS that requires a client certificate
//! signed by the test's CA (as APNs requires the provider's push certificate), reads the bundle id
//! from its subject UID and Apple's extensions, and answers as Apple does. The `.p12` files are
//! made by `openssl pkcs12 -export`, as Keychain Access exports them. The profile trusts the
//! stand-in's server certificate through `ca_certificates`.

use base64::Engine as _;
use serde_json::json;

use crate::support::stand_ins::apns::{self, ApnsStandIn};
use crate::support::tls::{AppleExtensions, ClientCert, TestCa};
use crate::support::{Keyring, Sandbox, assert_exit_output, stderr, stdout};

const PROFILE: &str = "ios-cert";
const PASSWORD: &str = "k3ychain-export";

fn said(out: &std::process::Output) -> String {
    format!("{}{}", stdout(out), stderr(out))
}

/// A stand-in that requires client certificates from `ca`, and a profile with certificate auth
/// that trusts it. No topic or environment is set: they come from the certificate.
fn setup(ca: &TestCa) -> (ApnsStandIn, Sandbox) {
    let standin = ApnsStandIn::start_tls(ca.server_config_requiring_client_certs(&[b"h2"]));
    let sandbox = Sandbox::new();
    let ca_file = ca.write_ca(sandbox.dir.path());
    sandbox.add_provider_profile(
        PROFILE,
        "apns",
        &standin.base_url(),
        &[
            ("auth", "certificate"),
            ("ca_certificates", &ca_file.to_string_lossy()),
        ],
    );
    (standin, sandbox)
}

fn draft(sandbox: &Sandbox) -> String {
    sandbox
        .write(
            "apns.json",
            &json!({"profile": PROFILE, "message": {"title": "Build 118", "body": "Passed"},
                "audience": {"device_tokens": [apns::DEVICE]}})
            .to_string(),
        )
        .to_string_lossy()
        .into_owned()
}

/// `pushdeck ARGS` with the certificate (and password) as the environment gives secrets.
fn run(
    sandbox: &Sandbox,
    certificate: &str,
    password: Option<&str>,
    args: &[&str],
) -> std::process::Output {
    let mut cmd = sandbox.cmd();
    for var in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        cmd.env_remove(var);
    }
    cmd.env("PUSHDECK_CERTIFICATE", certificate)
        .env_remove("PUSHDECK_CERTIFICATE_PASSWORD")
        .env_remove("PUSHDECK_SIGNING_KEY_P8");
    if let Some(p) = password {
        cmd.env("PUSHDECK_CERTIFICATE_PASSWORD", p);
    }
    cmd.args(args).output().expect("runs")
}

fn p12_base64(cert: &ClientCert, sandbox: &Sandbox) -> String {
    base64::engine::general_purpose::STANDARD.encode(cert.p12(sandbox.dir.path(), PASSWORD))
}

#[test]
fn a_p12_certificate_sends_without_an_authorization_header() {
    let ca = TestCa::new();
    let (standin, sandbox) = setup(&ca);
    let cert = ca.client_certificate(apns::TOPIC, &AppleExtensions::default());
    let p12 = p12_base64(&cert, &sandbox);
    let out = run(
        &sandbox,
        &p12,
        Some(PASSWORD),
        &["send", &draft(&sandbox), "--json"],
    );
    assert_exit_output(&out, 0);
    let seen = standin.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].version, "HTTP/2.0");
    assert!(seen[0].client_certificate.is_some());
    assert_eq!(seen[0].header("authorization"), None);
    // The topic came from the certificate's subject UID.
    assert_eq!(seen[0].header("apns-topic"), Some(apns::TOPIC));
    standin.assert_no_problems();
    // Neither the key nor the .p12 reaches the output or the history.
    let key_body: String = cert.key_pem.lines().nth(1).unwrap_or("").to_string();
    assert!(!said(&out).contains(&key_body));
    assert!(sandbox.files_containing(&key_body).is_empty());
    assert!(sandbox.files_containing(&p12[..40]).is_empty());
}

#[test]
fn a_certificate_from_another_ca_is_refused_in_the_handshake() {
    let ca = TestCa::new();
    let (standin, sandbox) = setup(&ca);
    // Same bundle id, but not issued by the CA the service trusts: as APNs does with a
    // certificate Apple did not issue, the TLS handshake fails and nothing is delivered.
    let stranger = TestCa::new().client_certificate(apns::TOPIC, &AppleExtensions::default());
    let p12 = p12_base64(&stranger, &sandbox);
    let out = run(
        &sandbox,
        &p12,
        Some(PASSWORD),
        &["send", &draft(&sandbox), "--json"],
    );
    assert_exit_output(&out, 3);
    let text = said(&out);
    assert!(
        text.contains("presented the client certificate")
            && text.contains("Apple Push Services: com.example.app")
            && text.contains("did not accept it"),
        "{text}"
    );
    assert_eq!(standin.hits(), 0, "no request got past the handshake");
}

#[test]
fn a_certificate_for_another_app_is_topic_disallowed() {
    let ca = TestCa::new();
    let (standin, sandbox) = setup(&ca);
    let other = ca.client_certificate("com.example.other", &AppleExtensions::default());
    let p12 = p12_base64(&other, &sandbox);
    sandbox.add_provider_profile(
        PROFILE,
        "apns",
        &standin.base_url(),
        &[("topic", apns::TOPIC)],
    );
    let out = run(&sandbox, &p12, Some(PASSWORD), &["send", &draft(&sandbox)]);
    assert_exit_output(&out, 1);
    let text = said(&out);
    assert!(text.contains("TopicDisallowed"), "{text}");
    // Said before sending, too: the certificate does not cover the topic.
    assert!(text.contains("covers com.example.other"), "{text}");
}

#[test]
fn a_wrong_password_names_certificate_password() {
    let ca = TestCa::new();
    let (standin, sandbox) = setup(&ca);
    let cert = ca.client_certificate(apns::TOPIC, &AppleExtensions::default());
    let p12 = p12_base64(&cert, &sandbox);
    let out = run(&sandbox, &p12, Some("not-it"), &["send", &draft(&sandbox)]);
    assert_exit_output(&out, 2);
    let text = said(&out);
    assert!(
        text.contains("certificate_password") && text.contains("password is wrong"),
        "{text}"
    );
    let out = run(&sandbox, &p12, None, &["send", &draft(&sandbox)]);
    assert_exit_output(&out, 2);
    assert!(
        said(&out).contains("certificate_password"),
        "{}",
        said(&out)
    );
    // The doctor says so too, locally, and does not call Apple with a certificate it cannot open.
    let out = run(&sandbox, &p12, Some("not-it"), &["check", PROFILE]);
    assert_exit_output(&out, 2);
    let text = said(&out);
    assert!(
        text.contains("✗ The push certificate does not open.")
            && text.contains("certificate_password"),
        "{text}"
    );
    assert_eq!(standin.hits(), 0);
}

#[test]
fn pem_certificate_and_key_work() {
    let ca = TestCa::new();
    let (standin, sandbox) = setup(&ca);
    let cert = ca.client_certificate(apns::TOPIC, &AppleExtensions::default());
    let pem = format!("{}{}", cert.cert_pem, cert.key_pem);
    let out = run(&sandbox, &pem, None, &["send", &draft(&sandbox)]);
    assert_exit_output(&out, 0);
    assert_eq!(standin.hits(), 1);
    assert!(standin.requests()[0].client_certificate.is_some());
    // A PEM certificate without its key is explained.
    let out = run(&sandbox, &cert.cert_pem, None, &["send", &draft(&sandbox)]);
    assert_exit_output(&out, 2);
    assert!(said(&out).contains("no private key"), "{}", said(&out));
}

#[test]
fn check_reads_topics_and_environment_from_apples_extensions_and_warns_before_expiry() {
    let ca = TestCa::new();
    let (standin, sandbox) = setup(&ca);
    let apple = AppleExtensions {
        sandbox: true,
        production: true,
        topics: vec![
            apns::TOPIC.to_string(),
            format!("{}.voip", apns::TOPIC),
            format!("{}.complication", apns::TOPIC),
        ],
        valid_days: 10,
    };
    let cert = ca.client_certificate(apns::TOPIC, &apple);
    let p12 = p12_base64(&cert, &sandbox);
    let out = run(&sandbox, &p12, Some(PASSWORD), &["check", PROFILE]);
    assert_exit_output(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("Apple Push Services: com.example.app"),
        "{text}"
    );
    assert!(
        text.contains("com.example.app.voip") && text.contains("com.example.app.complication"),
        "{text}"
    );
    assert!(text.contains("sandbox and production"), "{text}");
    assert!(
        text.contains("in 9 days") || text.contains("in 10 days"),
        "{text}"
    );
    assert!(text.contains("renew it"), "{text}");
    assert_eq!(standin.hits(), 1);
    assert_eq!(standin.requests()[0].header("authorization"), None);
    // The send warns too, and a voip push goes to the topic the certificate lists.
    let voip = sandbox.write(
        "voip.json",
        &json!({"profile": PROFILE, "message": {"body": "Call"},
            "audience": {"device_tokens": [apns::DEVICE]}, "options": {"push_type": "voip"}})
        .to_string(),
    );
    let out = run(
        &sandbox,
        &p12,
        Some(PASSWORD),
        &["send", &voip.to_string_lossy()],
    );
    assert_exit_output(&out, 0);
    assert!(said(&out).contains("renew it"), "{}", said(&out));
    standin.assert_no_problems();
}

#[test]
fn a_production_only_certificate_sends_to_production() {
    let ca = TestCa::new();
    let sandbox = Sandbox::new();
    sandbox.add_profile_at(PROFILE, "apns", None, &[("auth", "certificate")]);
    let apple = AppleExtensions {
        sandbox: false,
        production: true,
        ..AppleExtensions::default()
    };
    let cert = ca.client_certificate(apns::TOPIC, &apple);
    let p12 = p12_base64(&cert, &sandbox);
    let out = run(
        &sandbox,
        &p12,
        Some(PASSWORD),
        &["preview", &draft(&sandbox)],
    );
    assert_exit_output(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("https://api.push.apple.com/3/device/"),
        "{text}"
    );
    assert!(
        !text.to_ascii_lowercase().contains("authorization"),
        "{text}"
    );
    assert!(
        text.contains("[client certificate] Apple Push Services: com.example.app"),
        "{text}"
    );
    let out = run(
        &sandbox,
        &p12,
        Some(PASSWORD),
        &["preview", "--curl", &draft(&sandbox)],
    );
    assert_exit_output(&out, 0);
    assert!(
        stdout(&out).contains("--cert push-certificate.pem"),
        "{}",
        stdout(&out)
    );
    let key_body = cert.key_pem.lines().nth(1).unwrap_or("").to_string();
    assert!(!stdout(&out).contains(&key_body));
}

/// `pushdeck secret set PROFILE certificate < cert.p12`: the binary file is stored (as base64,
/// the keyring keeps text) and sends.
#[test]
#[ignore = "needs a Secret Service: run by scripts/test"]
fn a_binary_p12_is_stored_from_standard_input() {
    crate::keyring::require_session_bus();
    let ca = TestCa::new();
    let standin = ApnsStandIn::start_tls(ca.server_config_requiring_client_certs(&[b"h2"]));
    let sandbox = Sandbox::with(Keyring::Real, None);
    let profile = crate::keyring::unique("cert");
    let ca_file = ca.write_ca(sandbox.dir.path());
    sandbox.add_provider_profile(
        &profile,
        "apns",
        &standin.base_url(),
        &[
            ("auth", "certificate"),
            ("ca_certificates", &ca_file.to_string_lossy()),
        ],
    );
    let cert = ca.client_certificate(apns::TOPIC, &AppleExtensions::default());
    let bytes = cert.p12(sandbox.dir.path(), PASSWORD);
    for (field, value) in [
        ("certificate", bytes),
        ("certificate_password", format!("{PASSWORD}\n").into_bytes()),
    ] {
        let out = sandbox
            .cmd()
            .args(["secret", "set", &profile, field])
            .write_stdin(value)
            .output()
            .expect("runs");
        assert_exit_output(&out, 0);
    }
    let draft = sandbox.write(
        "apns.json",
        &json!({"profile": profile, "message": {"body": "Passed"},
            "audience": {"device_tokens": [apns::DEVICE]}})
        .to_string(),
    );
    let out = sandbox
        .cmd()
        .args(["send", &draft.to_string_lossy()])
        .output()
        .expect("runs");
    assert_exit_output(&out, 0);
    assert_eq!(standin.hits(), 1);
    let _ = sandbox.cmd().args(["profile", "remove", &profile]).output();
}

#[test]
fn a_production_certificate_on_the_sandbox_is_bad_certificate_environment() {
    let ca = TestCa::new();
    let (standin, sandbox) = setup(&ca);
    sandbox.add_provider_profile(
        PROFILE,
        "apns",
        &standin.base_url(),
        &[("environment", "sandbox")],
    );
    let apple = AppleExtensions {
        sandbox: false,
        production: true,
        ..AppleExtensions::default()
    };
    let cert = ca.client_certificate(apns::TOPIC, &apple);
    let p12 = p12_base64(&cert, &sandbox);
    let out = run(&sandbox, &p12, Some(PASSWORD), &["send", &draft(&sandbox)]);
    assert_exit_output(&out, 1);
    let text = said(&out);
    // Warned before sending, then Apple's answer in a certificate's words.
    assert!(
        text.contains("production only but the profile sends to sandbox"),
        "{text}"
    );
    assert!(
        text.contains("BadCertificateEnvironment") && text.contains("refused the certificate"),
        "{text}"
    );
    assert!(text.contains("other APNs environment"), "{text}");
    assert_eq!(standin.hits(), 1);
}

/// A list of device tokens streams with certificate auth too: every request carries the client
/// certificate and no provider token, each token reached once.
#[test]
fn a_token_list_streams_with_the_client_certificate() {
    let ca = TestCa::new();
    let (standin, sandbox) = setup(&ca);
    let cert = ca.client_certificate(apns::TOPIC, &AppleExtensions::default());
    let p12 = p12_base64(&cert, &sandbox);
    let tokens: Vec<String> = (1..=40).map(|i| format!("{i:064x}")).collect();
    let path = sandbox
        .write(
            "list.json",
            &json!({"profile": PROFILE, "message": {"title": "Build 118", "body": "Passed"},
                "audience": {"device_tokens": tokens}})
            .to_string(),
        )
        .to_string_lossy()
        .into_owned();
    let out = run(&sandbox, &p12, Some(PASSWORD), &["send", &path]);
    assert_exit_output(&out, 0);
    assert!(said(&out).contains("40 of 40 accepted"), "{}", said(&out));
    let seen = standin.requests();
    let mut paths: Vec<String> = seen.iter().map(|s| s.path.clone()).collect();
    paths.sort();
    let expected: Vec<String> = tokens.iter().map(|t| format!("/3/device/{t}")).collect();
    assert_eq!(paths, expected);
    assert!(seen.iter().all(|s| s.client_certificate.is_some()
        && s.header("authorization").is_none()
        && s.header("apns-topic") == Some(apns::TOPIC)));
    standin.assert_no_problems();
}
