use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::exchange::{
    Collected, Exchange, ResponseDump, TransportError, TransportErrorKind, header_pairs,
};
use super::identity::ClientIdentity;
use super::lane::{Lane, Opener};
use super::network::{DirectReason, Network, Route};
use super::request::{Body, PreparedRequest, SecretRef, is_loopback_url};
use super::transport_errors::{
    broken_answer, classify, error_chain, proxy_refused_response, refused_connect,
};
use tokio_rustls::rustls;

const USER_AGENT: &str = concat!("pushdeck/", env!("CARGO_PKG_VERSION"));

/// The one place that sends. Connections are pooled per host, redirects are never followed
/// (credentials must not travel to another host), and every call ends within its timeout. Each
/// request goes the way its profile's network settings and the environment say (see `Route`):
/// one pair of clients per proxy, certificate bundle and client certificate, built on first use.
#[derive(Clone)]
pub struct Transport {
    connect_timeout: Duration,
    clients: Arc<Mutex<HashMap<ClientKey, Clients>>>,
    /// The lanes' TLS set-up per certificate bundle (see `tls_config`).
    tls: Arc<Mutex<HashMap<Option<BundleKey>, Arc<rustls::ClientConfig>>>>,
}

/// A `ca_certificates` bundle and when it last changed (an edited file is read again).
type BundleKey = (PathBuf, Option<SystemTime>);

/// What makes two requests need different clients.
#[derive(Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    /// The proxy URL, credentials included; `None` is direct.
    proxy: Option<String>,
    /// The extra certificate bundle and when it last changed.
    ca_certificates: Option<BundleKey>,
    /// The client certificate's fingerprint: a profile with certificate auth gets its own
    /// connections, and the key itself is not kept in the map.
    identity: Option<[u8; 32]>,
}

#[derive(Clone)]
struct Clients {
    client: reqwest::Client,
    /// HTTP/2 with prior knowledge, for requests marked `http2_only` (APNs): h2c over plain
    /// http to loopback, h2 over TLS otherwise (after a CONNECT when through a proxy). Built on
    /// first use: each client reads the system's trust store, a good part of a command's start.
    http2: Arc<LazyClient>,
}

impl Transport {
    pub fn new(connect_timeout: Duration) -> Result<Self, TransportError> {
        let transport = Self {
            connect_timeout,
            clients: Arc::default(),
            tls: Arc::default(),
        };
        // The direct clients are built now, so a broken TLS set-up shows at start, not at Send.
        transport.clients_for(
            &Route::Direct(DirectReason::Unconfigured),
            &Network::default(),
            None,
        )?;
        Ok(transport)
    }

    fn clients_for(
        &self,
        route: &Route,
        network: &Network,
        identity: Option<&ClientIdentity>,
    ) -> Result<Clients, TransportError> {
        let key = ClientKey {
            proxy: match route {
                Route::Proxy { url, .. } => Some(url.to_string()),
                Route::Direct(_) => None,
            },
            ca_certificates: bundle_key(network),
            identity: identity.map(ClientIdentity::fingerprint),
        };
        if let Ok(cache) = self.clients.lock()
            && let Some(clients) = cache.get(&key)
        {
            return Ok(clients.clone());
        }
        let clients = build_clients(self.connect_timeout, route, network, identity)?;
        if let Ok(mut cache) = self.clients.lock() {
            cache.insert(key, clients.clone());
        }
        Ok(clients)
    }

    /// Sends one request and records the exchange. Never panics, never waits beyond `timeout`.
    pub async fn send(&self, request: PreparedRequest, timeout: Duration) -> Exchange {
        match self.exchange(request, timeout, None, None).await {
            Ok(exchange) | Err(exchange) => exchange,
        }
    }

    /// `send`, unless `cancel` fires first: then the request comes back unanswered (as an
    /// exchange with neither response nor error), so the caller records it without having kept
    /// a copy of every request it sends. Given a `lane`, the request rides its connection when
    /// it can (a direct route, no client certificate, not HTTP/2 only), the pooled clients
    /// otherwise; the exchange is recorded the same either way.
    pub async fn send_unless(
        &self,
        request: PreparedRequest,
        timeout: Duration,
        cancel: &tokio_util::sync::CancellationToken,
        lane: Option<&mut Lane>,
    ) -> Result<Exchange, Exchange> {
        self.exchange(request, timeout, Some(cancel), lane).await
    }

    async fn exchange(
        &self,
        request: PreparedRequest,
        timeout: Duration,
        cancel: Option<&tokio_util::sync::CancellationToken>,
        lane: Option<&mut Lane>,
    ) -> Result<Exchange, Exchange> {
        let started_at = crate::clock::now_rfc3339();
        let start = Instant::now();
        let mut request = with_implicit_headers(request);
        let result = match self.checked(&request) {
            Ok((url, route)) => {
                let answer = async {
                    match lane {
                        Some(lane) if Lane::carries(&request, &url, &route) => {
                            let tls = || self.tls_config(request.network.as_deref());
                            let opener = Opener {
                                connect_timeout: self.connect_timeout,
                                tls: &tls,
                            };
                            lane.answer(&opener, &url, &request, &route).await
                        }
                        _ => {
                            let builder = self.build(url, &request, &route)?;
                            self.execute(builder, &request, &route).await
                        }
                    }
                };
                let answer = tokio::time::timeout(timeout, answer);
                let answer = match cancel {
                    Some(cancel) => tokio::select! {
                        _ = cancel.cancelled() => None,
                        answer = answer => Some(answer),
                    },
                    None => Some(answer.await),
                };
                match answer {
                    None => return Err(Exchange::unsent(request)),
                    Some(Ok(result)) => result,
                    Some(Err(_)) => Err(TransportError {
                        kind: TransportErrorKind::Timeout,
                        message: format!(
                            "No complete answer from {} within {} s. The server may be down or overloaded; try again, or allow more time with --timeout.",
                            request.host(),
                            timeout.as_secs_f64()
                        ),
                        detail: format!("total timeout of {timeout:?} elapsed"),
                    }),
                }
            }
            Err(e) => Err(e),
        };
        let elapsed_ms = start.elapsed().as_secs_f64() * 1000.0;
        if request.header_value("content-length").is_none() && !request.body.is_empty() {
            let len = request.body.len().to_string();
            request.headers.push(("Content-Length".into(), len));
        }
        let (response, error) = match result {
            Ok(r) => (Some(mask_echoed_secrets(r, &request.secrets)), None),
            Err(e) => (None, Some(e)),
        };
        Ok(Exchange {
            request,
            response,
            error,
            started_at,
            elapsed_ms,
        })
    }

    /// The request's URL, if Pushdeck may send to it, and the way it goes.
    fn checked(&self, request: &PreparedRequest) -> Result<(url::Url, Route), TransportError> {
        let refused = |message: String, detail: String| TransportError {
            kind: TransportErrorKind::Refused,
            message,
            detail,
        };
        let url = url::Url::parse(&request.url).map_err(|e| {
            refused(
                format!("`{}` is not a valid URL.", request.url),
                e.to_string(),
            )
        })?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback_url(&url) => {}
            scheme => {
                return Err(refused(
                    format!(
                        "Refused to send to {}: plain {scheme}:// is only allowed to this computer, so secrets never cross a network unencrypted.",
                        url.host_str().unwrap_or("?")
                    ),
                    request.url.clone(),
                ));
            }
        }
        let route = request
            .route_to(&url)
            .map_err(|e| refused(e.0, request.url.clone()))?;
        Ok((url, route))
    }

    fn build(
        &self,
        url: url::Url,
        request: &PreparedRequest,
        route: &Route,
    ) -> Result<reqwest::RequestBuilder, TransportError> {
        let method =
            reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|e| TransportError {
                kind: TransportErrorKind::Refused,
                message: format!("`{}` is not an HTTP method.", request.method),
                detail: e.to_string(),
            })?;
        let none = Network::default();
        let clients = self.clients_for(
            route,
            request.network.as_deref().unwrap_or(&none),
            request.client_identity.as_deref(),
        )?;
        let client = if request.http2_only {
            clients.http2.get()?
        } else {
            &clients.client
        };
        let mut builder = client.request(method, url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        match &request.body {
            Body::Empty => {}
            Body::Text(t) => builder = builder.body(t.clone()),
            Body::Bytes(b) => builder = builder.body(b.clone()),
        }
        Ok(builder)
    }

    async fn execute(
        &self,
        builder: reqwest::RequestBuilder,
        request: &PreparedRequest,
        route: &Route,
    ) -> Result<ResponseDump, TransportError> {
        let mut response = match builder.send().await {
            Ok(response) => response,
            Err(e) => {
                let mut error = classify(&e, request, route);
                // hyper does not say what the proxy answered to CONNECT: ask it again.
                if let Route::Proxy { url, .. } = route
                    && error.detail.contains("tunnel error: unsuccessful")
                    && let Ok(target) = url::Url::parse(&request.url)
                    && let Some((status, reason)) =
                        super::proxy_probe::connect_status(url, &target).await
                {
                    error.message = refused_connect(request, route, status, &reason);
                }
                return Err(error);
            }
        };
        let status = response.status();
        // Only a proxy answers 407; through a forwarding proxy (plain http) it comes as a response.
        if status.as_u16() == 407 && route.is_proxy() {
            return Err(proxy_refused_response(request, route));
        }
        let version = response.version();
        let headers = header_pairs(response.headers());
        let mut collected = Collected::default();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if !collected.take(&chunk) {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let mut err = classify(&e, request, route);
                    err.message = broken_answer(request, collected.len());
                    return Err(err);
                }
            }
        }
        Ok(collected.into_dump(status, version, headers))
    }
}

/// Masks the request's own secrets wherever the server quoted them back (an error body that echoes
/// the key, a proxy page that repeats the URL with a bot token in it). Providers put parts of the
/// answer into the outcome's words, which are printed and kept in history, so a secret must not
/// get past this point. Nothing a provider reads is lost: no API answers with the caller's key.
pub fn mask_echoed_secrets(mut response: ResponseDump, secrets: &[SecretRef]) -> ResponseDump {
    let quotes = |text: &str| {
        secrets
            .iter()
            .any(|s| !s.value.is_empty() && text.contains(&s.value))
    };
    for (_, value) in &mut response.headers {
        if quotes(value) {
            *value = super::redact::mask_all(value, secrets);
        }
    }
    if let Body::Text(text) = &response.body
        && quotes(text)
    {
        response.body = Body::Text(super::redact::mask_all(text, secrets));
    }
    response
}

/// The dump shows the headers the HTTP stack would add, so it does not lie about the wire.
fn with_implicit_headers(mut request: PreparedRequest) -> PreparedRequest {
    if request.header_value("user-agent").is_none() {
        request
            .headers
            .push(("User-Agent".into(), USER_AGENT.into()));
    }
    if request.header_value("accept").is_none() {
        request.headers.push(("Accept".into(), "*/*".into()));
    }
    request
}

/// The pair of clients for one route and certificate bundle.
fn build_clients(
    connect_timeout: Duration,
    route: &Route,
    network: &Network,
    identity: Option<&ClientIdentity>,
) -> Result<Clients, TransportError> {
    let identity = identity.map(read_identity).transpose()?;
    let extra_roots = match &network.ca_certificates {
        Some(path) => read_bundle(path)?,
        None => Vec::new(),
    };
    let proxy = match route {
        Route::Proxy { url, .. } => Some(reqwest::Proxy::all(url.as_str()).map_err(|e| {
            TransportError {
                kind: TransportErrorKind::Refused,
                message: format!(
                    "The proxy {} cannot be used: {e}. Check the profile's `proxy` setting or the proxy environment variables.",
                    route.shown_proxy()
                ),
                detail: route.shown_proxy(),
            }
        })?),
        Route::Direct(_) => None,
    };
    let builder = move || {
        let builder = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT)
            .pool_idle_timeout(Duration::from_secs(60))
            // The system's own trust store (rustls-platform-verifier), plus the profile's bundle.
            .tls_certs_merge(extra_roots.clone());
        // The route was decided above (and is what the Request pane shows); reqwest must not
        // pick another one from the environment.
        let builder = match &identity {
            Some(identity) => builder.identity(identity.clone()),
            None => builder,
        };
        match &proxy {
            Some(proxy) => builder.proxy(proxy.clone()),
            None => builder.no_proxy(),
        }
    };
    let failed = |e: reqwest::Error| TransportError {
        kind: TransportErrorKind::Other,
        message: "Could not set up the HTTP client.".into(),
        detail: error_chain(&e),
    };
    Ok(Clients {
        client: builder().build().map_err(failed)?,
        http2: Arc::new(LazyClient {
            made: std::sync::OnceLock::new(),
            make: Box::new(move || builder().http2_prior_knowledge().build().map_err(failed)),
        }),
    })
}

/// A client made the first time it is needed.
struct LazyClient {
    made: std::sync::OnceLock<Result<reqwest::Client, TransportError>>,
    make: Box<dyn Fn() -> Result<reqwest::Client, TransportError> + Send + Sync>,
}

impl LazyClient {
    fn get(&self) -> Result<&reqwest::Client, TransportError> {
        self.made
            .get_or_init(&self.make)
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// The bundle a network names, and when it last changed.
fn bundle_key(network: &Network) -> Option<BundleKey> {
    network.ca_certificates.as_ref().map(|path| {
        let changed = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        (path.clone(), changed)
    })
}

impl Transport {
    /// The lanes' TLS set-up: what the pooled clients use (the system's trust store through
    /// rustls-platform-verifier, the profile's `ca_certificates` added), offering HTTP/1.1.
    fn tls_config(
        &self,
        network: Option<&Network>,
    ) -> Result<Arc<rustls::ClientConfig>, TransportError> {
        let key = network.and_then(bundle_key);
        if let Ok(cache) = self.tls.lock()
            && let Some(config) = cache.get(&key)
        {
            return Ok(Arc::clone(config));
        }
        let extra = match &key {
            Some((path, _)) => read_bundle_der(path)?,
            None => Vec::new(),
        };
        let failed = |e: rustls::Error| TransportError {
            kind: TransportErrorKind::Other,
            message: "Could not set up TLS.".into(),
            detail: e.to_string(),
        };
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = if extra.is_empty() {
            rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
        } else {
            rustls_platform_verifier::Verifier::new_with_extra_roots(extra, Arc::clone(&provider))
        }
        .map_err(failed)?;
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(failed)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let config = Arc::new(config);
        if let Ok(mut cache) = self.tls.lock() {
            cache.insert(key, Arc::clone(&config));
        }
        Ok(config)
    }
}

/// A `ca_certificates` bundle for rustls, checked as the pooled clients check it.
fn read_bundle_der(
    path: &std::path::Path,
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, TransportError> {
    use rustls::pki_types::pem::PemObject;
    let (bytes, _) = checked_bundle(path)?;
    rustls::pki_types::CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bundle_refused(path, format!("is not a PEM bundle ({e})")))
}

/// The client certificate as rustls takes it. The error never quotes the PEM: it holds the key.
fn read_identity(identity: &ClientIdentity) -> Result<reqwest::Identity, TransportError> {
    reqwest::Identity::from_pem(identity.pem()).map_err(|e| TransportError {
        kind: TransportErrorKind::Refused,
        message: format!(
            "The client certificate ({}) cannot be used for TLS: {}. Nothing was sent. Store the certificate again (a .p12, or PEM certificate and private key).",
            identity.description,
            error_chain(&e)
        ),
        detail: identity.description.clone(),
    })
}

/// The certificates of a `ca_certificates` PEM bundle, or why they cannot be used.
fn read_bundle(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, TransportError> {
    checked_bundle(path).map(|(_, certs)| certs)
}

/// The bundle's bytes, read once, and its certificates: refused in words when it cannot be read,
/// is not PEM or holds none.
fn checked_bundle(
    path: &std::path::Path,
) -> Result<(Vec<u8>, Vec<reqwest::Certificate>), TransportError> {
    let bytes =
        std::fs::read(path).map_err(|e| bundle_refused(path, format!("cannot be read ({e})")))?;
    let certs = reqwest::Certificate::from_pem_bundle(&bytes)
        .map_err(|e| bundle_refused(path, format!("is not a PEM bundle ({})", error_chain(&e))))?;
    if certs.is_empty() {
        return Err(bundle_refused(path, "holds no certificate".into()));
    }
    Ok((bytes, certs))
}

fn bundle_refused(path: &std::path::Path, why: String) -> TransportError {
    TransportError {
        kind: TransportErrorKind::Refused,
        message: format!(
            "The profile's `ca_certificates` file {} {why}. Nothing was sent. Point the setting at a PEM file holding the certificate(s) to trust (-----BEGIN CERTIFICATE-----).",
            path.display()
        ),
        detail: path.display().to_string(),
    }
}
