//! Pushdeck standing in for a provider (`pushdeck sink`, the window's Sink view): loads the
//! profile and what the imitation kept, starts the listener, and for each request that arrives
//! asks the imitation for its answer, records the pair in history (redacted) and tells the front
//! end.
//!
//! The front ends use: [`listen_address`] (what `--port`/`--listen` mean), [`Engine::start_sink`]
//! → a [`SinkHandle`] (its setup lines and base URL; drain `events` for [`SinkEvent`]s; switch
//! the answer with `set_rehearsal`; `stop`, or drop it), and [`catalogue`] for what can be
//! imitated.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use tokio_util::sync::CancellationToken;

use super::Engine;
use crate::finding::Finding;
use crate::http::listener::{self, Intake, Reply, TlsIdentity};
use crate::http::{Arrival, Body, Exchange, PreparedRequest, ResponseDump};
use crate::profile::{Profile, Secrets};
use crate::sink::ca::LocalCa;
use crate::sink::{Imitation, Listening, Rehearsal, SetupLine, SinkStart, Verdict};
use crate::store::{
    HistoryStore, Paths, ProfileStore, SecretStore, SinkLog, SinkRecord, SinkSessionHeader,
};

/// What a sink is started with.
#[derive(Debug, Clone)]
pub struct SinkJob {
    /// The provider id to imitate (`ntfy`, `apns`…).
    pub provider: String,
    /// The profile whose credentials arrivals are verified against.
    pub profile: Option<String>,
    /// Where to listen (see [`listen_address`]).
    pub listen: SocketAddr,
    /// The rehearsal to answer with from the start (`--answer`).
    pub rehearsal: Option<String>,
    /// Serve over TLS even when the provider is plain HTTP (APNs always is TLS).
    pub tls: bool,
    /// Where the profiles, history and the CA certificate are.
    pub paths: Paths,
}

/// What happens while a sink runs.
#[derive(Debug, Clone)]
pub enum SinkEvent {
    /// A request came and was answered. Not redacted: show `record.redacted()` unless the user
    /// asked to reveal.
    Arrival(Arc<SinkRecord>),
    /// Something the user should know that did not stop the sink (history not written…).
    Warning(String),
}

/// A running sink. Dropping it stops the listener.
pub struct SinkHandle {
    pub provider: &'static str,
    /// Its history id (`sink-…`): `pushdeck history show ID`.
    pub session: String,
    /// `http://127.0.0.1:8630` or `https://…`: what the backend is pointed at.
    pub base_url: String,
    pub local_addr: SocketAddr,
    /// What to configure in the backend, as the imitation says.
    pub setup: Vec<SetupLine>,
    /// The CA certificate clients must trust, when serving TLS.
    pub ca_file: Option<PathBuf>,
    /// Said once at start (listening beyond this computer, keyring missing…).
    pub warnings: Vec<String>,
    /// The answers `set_rehearsal` can pick.
    pub rehearsals: &'static [Rehearsal],
    pub events: mpsc::Receiver<SinkEvent>,
    rehearsal: Arc<Mutex<Option<Rehearsal>>>,
    received: Arc<AtomicUsize>,
    stop: CancellationToken,
}

impl SinkHandle {
    /// Answers with the named rehearsal from the next request on (`None`: answer normally).
    pub fn set_rehearsal(&self, name: Option<&str>) -> Result<(), String> {
        let chosen = match name {
            None => None,
            Some(name) => Some(find_rehearsal(self.provider, self.rehearsals, name)?),
        };
        if let Ok(mut current) = self.rehearsal.lock() {
            *current = chosen;
        }
        Ok(())
    }

    /// The rehearsal answering now, if any.
    pub fn rehearsal(&self) -> Option<Rehearsal> {
        self.rehearsal.lock().ok().and_then(|r| *r)
    }

    /// Requests received so far.
    pub fn received(&self) -> usize {
        self.received.load(Ordering::SeqCst)
    }

    /// Stops accepting and closes the connections; `events` ends soon after.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// What stops the sink, for another task (a Ctrl-C watcher) to hold.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }
}

impl Drop for SinkHandle {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// The port a provider's sink listens on by default: one each, so several can run side by side.
pub fn default_port(provider: &str) -> u16 {
    const PORTS: &[(&str, u16)] = &[
        ("ntfy", 8630),
        ("webpush", 8631),
        ("telegram", 8632),
        ("apns", 8633),
        ("fcm", 8634),
        ("onesignal", 8635),
        ("sns", 8636),
        ("azure", 8637),
    ];
    PORTS
        .iter()
        .find(|(id, _)| *id == provider)
        .map_or(8639, |(_, port)| *port)
}

/// Where to listen: 127.0.0.1 on `port` (or the provider's default), or `listen` (`ADDR` or
/// `ADDR:PORT`) when given, with a warning line when that reaches beyond this computer.
pub fn listen_address(
    provider: &str,
    port: Option<u16>,
    listen: Option<&str>,
) -> Result<(SocketAddr, Option<String>), String> {
    let port = port.unwrap_or_else(|| default_port(provider));
    let Some(listen) = listen.map(str::trim) else {
        return Ok((SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port), None));
    };
    let addr = listen
        .parse::<SocketAddr>()
        .or_else(|_| {
            listen
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .map(|ip| SocketAddr::new(ip, port))
        })
        .map_err(|_| {
            format!(
                "--listen: `{listen}` is not an address: give an IP address, optionally with a port (127.0.0.1:8630, 0.0.0.0:0, [::1]:8630)"
            )
        })?;
    let warning = (!addr.ip().is_loopback()).then(|| {
        format!(
            "warning: listening on {addr}, beyond this computer: anyone who can reach it can send to the sink and read its answers"
        )
    });
    Ok((addr, warning))
}

/// Every imitated provider with its rehearsals and how it listens, in the registry's order.
pub fn catalogue() -> Vec<(&'static str, &'static [Rehearsal], Listening)> {
    crate::sink::imitated()
        .into_iter()
        .filter_map(|id| crate::sink::imitation(id).map(|i| (id, i.rehearsals(), i.listening())))
        .collect()
}

fn find_rehearsal(
    provider: &str,
    rehearsals: &'static [Rehearsal],
    name: &str,
) -> Result<Rehearsal, String> {
    rehearsals
        .iter()
        .find(|r| r.name == name)
        .copied()
        .ok_or_else(|| {
            let names: Vec<&str> = rehearsals.iter().map(|r| r.name).collect();
            format!(
                "--answer: {provider} has no rehearsal `{name}`; it has: {}",
                names.join(", ")
            )
        })
}

/// What the keyring holds for the sink: the CA key (`ca_key.<fingerprint>`, one per CA), and each
/// imitation's kept blob (`keep.<provider>.<data folder>`).
const CA_KEY: &str = "ca_key";

/// The kept blob's keyring field, keyed by the data folder too: a portable install or a test's sandbox keeps its own (Web Push
/// test subscriptions made in one are not overwritten by another's).
fn kept_field(provider: &str, paths: &Paths) -> String {
    let folder = paths.data.to_string_lossy();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, folder.as_bytes());
    let short: String = digest.as_ref()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("keep.{provider}.{short}")
}

impl Engine {
    /// Starts a sink on `runtime` and returns once it listens; `notify` is called after each
    /// event (the window passes `ctx.request_repaint`). An error is a sentence for the user.
    pub fn start_sink(
        &self,
        runtime: &tokio::runtime::Handle,
        job: SinkJob,
        notify: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<SinkHandle, String> {
        self.start_sink_with(runtime, job, &SecretStore::open_os_keyring(), notify)
    }

    /// [`Engine::start_sink`] with the keyring the front end already holds: the window's, which
    /// without an OS keyring keeps this session's secrets in memory (a profile's token entered
    /// there must verify what the sink receives).
    pub fn start_sink_with(
        &self,
        runtime: &tokio::runtime::Handle,
        job: SinkJob,
        keyring: &SecretStore,
        notify: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<SinkHandle, String> {
        let mut imitation = crate::sink::imitation(&job.provider).ok_or_else(|| {
            format!(
                "the sink does not imitate `{}`; it imitates: {}",
                job.provider,
                crate::sink::imitated().join(", ")
            )
        })?;
        let provider = imitation.provider();
        let rehearsals = imitation.rehearsals();
        let rehearsal = match &job.rehearsal {
            Some(name) => Some(find_rehearsal(provider, rehearsals, name)?),
            None => None,
        };
        let credentials = match &job.profile {
            Some(name) => Some(load_profile(&job.paths, keyring, name, provider)?),
            None => None,
        };
        let mut warnings = Vec::new();
        let tls = job.tls || imitation.listening() == Listening::Tls;
        let identity = if tls {
            Some(tls_identity(&job, keyring, &mut warnings)?)
        } else {
            None
        };
        let bound = listener::bind(job.listen)?;
        let local_addr = bound
            .local_addr()
            .map_err(|e| format!("cannot listen: {e}"))?;
        let base_url = base_url(local_addr, tls);
        let kept = match keyring.sink_secret(&kept_field(provider, &job.paths)) {
            Ok(kept) => kept,
            Err(e) => {
                warnings.push(format!("what the {provider} sink kept last time could not be read ({e}): it starts afresh"));
                None
            }
        };
        let setup = imitation.begin(&SinkStart {
            profile: credentials.as_ref().map(|(p, _)| p),
            secrets: credentials.as_ref().map(|(_, s)| s),
            base_url: &base_url,
            kept: kept.as_deref(),
            now: std::time::SystemTime::now(),
        })?;
        if let Some(keep) = &setup.keep
            && kept.as_deref() != Some(keep)
        {
            if !keyring.is_persistent() {
                warnings.push(format!("no keyring: what the {provider} sink hands out above (a test device token, subscriptions, keys) is new at every start: configure the backend again after a restart"));
            } else if let Err(e) = keyring.set_sink_secret(&kept_field(provider, &job.paths), keep)
            {
                warnings.push(format!("what the {provider} sink set up could not be kept ({e}): it is new at the next start"));
            }
        }
        let session = HistoryStore::new_sink_session_id();
        let log = match self.history.start_sink_session(&SinkSessionHeader {
            session: session.clone(),
            at: crate::clock::now_rfc3339(),
            provider: provider.to_string(),
            profile: job.profile.clone(),
            base_url: base_url.clone(),
        }) {
            Ok(log) => Some(log),
            Err(e) => {
                warnings.push(format!("requests are not kept in history ({e})"));
                None
            }
        };
        let (tx, events) = mpsc::channel();
        let rehearsal = Arc::new(Mutex::new(rehearsal));
        let received = Arc::new(AtomicUsize::new(0));
        let arrive = Arrive {
            imitation: Arc::from(imitation),
            provider,
            base_url: base_url.clone(),
            rehearsal: rehearsal.clone(),
            received: received.clone(),
            log,
            tx: Mutex::new(tx),
            notify,
        };
        let answer: listener::Answer = Arc::new(move |intake| arrive.answer(intake));
        let listening = {
            let _entered = runtime.enter();
            listener::serve(bound, identity, answer)?
        };
        Ok(SinkHandle {
            provider,
            session,
            base_url,
            local_addr: listening.local_addr,
            setup: setup.lines,
            ca_file: tls.then(|| job.paths.sink_ca_file()),
            warnings,
            rehearsals,
            events,
            rehearsal,
            received,
            stop: listening.stop,
        })
    }
}

/// The profile and its secrets; its provider must be the one imitated.
fn load_profile(
    paths: &Paths,
    keyring: &SecretStore,
    name: &str,
    provider: &str,
) -> Result<(Profile, Secrets), String> {
    let store = ProfileStore::open(paths.profiles_file()).map_err(|e| e.to_string())?;
    let profile = store.get(name).cloned().ok_or_else(|| {
        format!("--profile: unknown profile `{name}` (see `pushdeck profile list`)")
    })?;
    if profile.provider != provider {
        return Err(format!(
            "--profile: profile `{name}` is a {} profile, not {provider}: pick a {provider} profile",
            profile.provider
        ));
    }
    let fields = crate::provider::find(provider)
        .map(|p| p.info().secret_keys().collect::<Vec<_>>())
        .unwrap_or_default();
    let secrets = keyring
        .load(name, fields)
        .map_err(|e| format!("keyring: {e}"))?;
    Ok((profile, secrets))
}

/// The server certificate, signed by the kept local CA (or a new one, written where clients
/// are told to find it).
fn tls_identity(
    job: &SinkJob,
    keyring: &SecretStore,
    warnings: &mut Vec<String>,
) -> Result<TlsIdentity, String> {
    let now = crate::clock::now();
    let file = job.paths.sink_ca_file();
    let kept = crate::store::read_ca_pem(&file).and_then(|pem| {
        let field = format!("{CA_KEY}.{}", crate::sink::ca::fingerprint(&pem)?);
        let key = keyring.sink_secret(&field).ok()??;
        LocalCa::from_parts(&pem, &key, now).ok()
    });
    let ca = match kept {
        Some(ca) => ca,
        None => {
            let ca = LocalCa::generate(now)?;
            crate::store::write_ca_pem(&file, &ca.cert_pem)
                .map_err(|e| format!("cannot write the sink's CA certificate: {e}"))?;
            if !keyring.is_persistent() {
                warnings.push(
                    "no keyring: the sink's CA is new at every start; clients must trust its new certificate each time".into(),
                );
            } else if let Err(e) =
                keyring.set_sink_secret(&format!("{CA_KEY}.{}", ca.fingerprint()), &ca.key_pem())
            {
                warnings.push(format!(
                    "the sink's CA key could not be kept ({e}): the CA is new at the next start"
                ));
            }
            ca
        }
    };
    let extra: Vec<String> = Some(job.listen.ip())
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
        .map(|ip| ip.to_string())
        .into_iter()
        .collect();
    let identity = ca.server_identity(&extra, now)?;
    Ok(TlsIdentity {
        chain: identity.chain,
        key_pkcs8: identity.key_pkcs8,
    })
}

fn base_url(addr: SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    let ip = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("{scheme}://{}", SocketAddr::new(ip, addr.port()))
}

/// What each arrival goes through, shared by the listener's connections.
struct Arrive {
    imitation: Arc<dyn Imitation>,
    provider: &'static str,
    base_url: String,
    rehearsal: Arc<Mutex<Option<Rehearsal>>>,
    received: Arc<AtomicUsize>,
    log: Option<SinkLog>,
    tx: Mutex<mpsc::Sender<SinkEvent>>,
    notify: Arc<dyn Fn() + Send + Sync>,
}

impl Arrive {
    fn answer(&self, intake: Intake) -> Reply {
        let (arrival, verdict, rehearsal) = match intake {
            Intake::Whole(arrival) => {
                let rehearsal = self.rehearsal.lock().ok().and_then(|r| *r);
                let verdict = self.imitation.answer(&arrival, rehearsal.as_ref());
                (arrival, verdict, rehearsal.map(|r| r.name.to_string()))
            }
            Intake::TooLarge { arrival, limit } => (arrival, too_large(limit), None),
        };
        let record = record(self.provider, &self.base_url, &arrival, &verdict, rehearsal);
        self.received.fetch_add(1, Ordering::SeqCst);
        let mut events = Vec::new();
        if let Some(log) = &self.log
            && let Err(e) = log.add(&record)
        {
            events.push(SinkEvent::Warning(format!(
                "this request was not kept in history: {e}"
            )));
        }
        events.push(SinkEvent::Arrival(Arc::new(record)));
        if let Ok(tx) = self.tx.lock() {
            for event in events {
                let _ = tx.send(event);
            }
        }
        (self.notify)();
        Reply {
            status: verdict.status,
            headers: verdict.headers,
            body: verdict.body,
        }
    }
}

/// A body over the listener's cap: answered before the imitation sees it.
fn too_large(limit: usize) -> Verdict {
    Verdict {
        status: 413,
        headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
        body: format!("request body larger than {} MB\n", limit / (1024 * 1024)).into_bytes(),
        findings: vec![Finding::fail(format!(
            "the body is larger than {} MB, more than any provider Pushdeck imitates accepts: answered 413 without reading it",
            limit / (1024 * 1024)
        ))],
        summary: "body too large → 413".into(),
        ..Verdict::default()
    }
}

fn body_of(bytes: &[u8]) -> Body {
    if bytes.is_empty() {
        return Body::Empty;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Body::Text(text.to_string()),
        Err(_) => Body::Bytes(bytes::Bytes::copy_from_slice(bytes)),
    }
}

/// The arrival and its answer as an exchange, the way sends are recorded.
fn record(
    provider: &str,
    base_url: &str,
    arrival: &Arrival,
    verdict: &Verdict,
    rehearsal: Option<String>,
) -> SinkRecord {
    let mut request =
        PreparedRequest::new(&arrival.method, format!("{base_url}{}", arrival.target));
    request.headers = arrival.headers.clone();
    request.body = body_of(&arrival.body);
    request.http2_only = arrival.version == "HTTP/2.0";
    request.plaintext = verdict
        .decoded
        .iter()
        .find(|d| d.label.to_ascii_lowercase().contains("plaintext"))
        .map(|d| d.text.clone());
    request.client_certificate = arrival
        .client_certificate
        .as_deref()
        .map(describe_certificate);
    for (field, value) in &verdict.secrets {
        request.add_secret(field, value);
    }
    let elapsed = arrival
        .received_at
        .elapsed()
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    let response = ResponseDump {
        status: verdict.status,
        reason: http::StatusCode::from_u16(verdict.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("")
            .to_string(),
        version: arrival.version.clone(),
        headers: verdict.headers.clone(),
        body: body_of(&verdict.body),
        truncated: false,
    };
    SinkRecord {
        at: crate::clock::rfc3339(time::OffsetDateTime::from(arrival.received_at)),
        provider: provider.to_string(),
        exchange: Exchange {
            request,
            response: Some(response),
            error: None,
            started_at: crate::clock::rfc3339(time::OffsetDateTime::from(arrival.received_at)),
            elapsed_ms: elapsed,
        },
        findings: verdict.findings.clone(),
        summary: verdict.summary.clone(),
        decoded: verdict.decoded.clone(),
        rehearsal,
    }
}

/// A presented client certificate in words: its subject, never more.
fn describe_certificate(der: &[u8]) -> String {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => format!("presented: {}", cert.subject()),
        Err(_) => format!(
            "presented: {} bytes that do not read as a certificate",
            der.len()
        ),
    }
}
