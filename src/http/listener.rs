//! The sink's server (`pushdeck sink`): the only place Pushdeck accepts connections. HTTP/1.1 and
//! HTTP/2 with prior knowledge (h2c) on one port, or TLS (ALPN h2 and http/1.1) with a client
//! certificate asked for but never required. Each request is read whole (up to a cap) into an
//! [`Arrival`] and handed to the caller, whose [`Reply`] is sent back; the listener knows nothing
//! of providers.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio_rustls::rustls;
use tokio_util::sync::CancellationToken;

use super::Arrival;

/// Bodies larger than this are answered 413 before any imitation sees them: no provider Pushdeck
/// imitates accepts more in one request.
pub const MAX_ARRIVAL_BYTES: usize = 8 * 1024 * 1024;

/// What the caller answers a request with.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A request as it came, or one refused for its size (its body is empty, `limit` says why).
pub enum Intake {
    Whole(Arrival),
    TooLarge { arrival: Arrival, limit: usize },
}

/// Called once per request, on the runtime: must not block for long.
pub type Answer = Arc<dyn Fn(Intake) -> Reply + Send + Sync>;

/// The certificate chain and key the TLS listener presents (DER).
pub struct TlsIdentity {
    pub chain: Vec<Vec<u8>>,
    pub key_pkcs8: Vec<u8>,
}

/// A bound listener: its real address, and the token that stops it.
pub struct Listening {
    pub local_addr: SocketAddr,
    pub stop: CancellationToken,
    /// Ends when the listener has stopped accepting and its connections are closed.
    pub done: tokio::task::JoinHandle<()>,
}

/// Binds `addr` now, so a taken port is an error before anything else starts; port 0 picks a
/// free one (`local_addr` says which).
pub fn bind(addr: SocketAddr) -> Result<std::net::TcpListener, String> {
    let listener = std::net::TcpListener::bind(addr).map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "port {} on {} is already in use: pick another with --port N (0 picks a free one)",
            addr.port(),
            addr.ip()
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "not allowed to listen on {addr} (ports below 1024 need privileges): pick another with --port N"
        ),
        std::io::ErrorKind::AddrNotAvailable => {
            format!("{} is not an address of this computer: cannot listen on it", addr.ip())
        }
        _ => format!("cannot listen on {addr}: {e}"),
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    Ok(listener)
}

/// Serves a bound listener on the current runtime until `stop` is cancelled. Must be called
/// within a runtime context.
pub fn serve(
    listener: std::net::TcpListener,
    tls: Option<TlsIdentity>,
    answer: Answer,
) -> Result<Listening, String> {
    let acceptor = match tls {
        Some(identity) => Some(tls_acceptor(identity)?),
        None => None,
    };
    let local_addr = listener
        .local_addr()
        .map_err(|e| format!("cannot listen: {e}"))?;
    let listener = TcpListener::from_std(listener)
        .map_err(|e| format!("cannot listen on {local_addr}: {e}"))?;
    let stop = CancellationToken::new();
    let done = tokio::spawn(accept_loop(listener, acceptor, answer, stop.clone()));
    Ok(Listening {
        local_addr,
        stop,
        done,
    })
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    answer: Answer,
    stop: CancellationToken,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // Out of file descriptors and the like: wait a moment rather than spin.
                tracing::warn!(error = %e, "sink: accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let answer = answer.clone();
        let acceptor = acceptor.clone();
        let stop = stop.clone();
        connections.spawn(async move {
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = serve_connection(stream, peer, acceptor, answer) => {}
            }
        });
        // Finished connections are reaped as the loop goes, so a long session holds no handles.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    connections.shutdown().await;
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    answer: Answer,
) {
    let builder = auto::Builder::new(TokioExecutor::new());
    match acceptor {
        None => {
            let service = service(answer, peer, false, None);
            if let Err(e) = builder
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, %peer, "sink: connection ended");
            }
        }
        Some(acceptor) => {
            let tls = match acceptor.accept(stream).await {
                Ok(tls) => tls,
                Err(e) => {
                    tracing::info!(error = %e, %peer, "sink: TLS handshake failed");
                    return;
                }
            };
            let certificate = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|chain| chain.first())
                .map(|der| der.as_ref().to_vec());
            let service = service(answer, peer, true, certificate);
            if let Err(e) = builder.serve_connection(TokioIo::new(tls), service).await {
                tracing::debug!(error = %e, %peer, "sink: connection ended");
            }
        }
    }
}

fn service(
    answer: Answer,
    peer: SocketAddr,
    tls: bool,
    certificate: Option<Vec<u8>>,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = hyper::Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Future<Output = Result<hyper::Response<Full<Bytes>>, Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let answer = answer.clone();
        let certificate = certificate.clone();
        async move {
            let intake = read(request, peer, tls, certificate).await;
            // The imitation is quick and pure; it runs off the reactor all the same.
            let reply = tokio::task::spawn_blocking(move || answer(intake))
                .await
                .unwrap_or_else(|_| Reply {
                    status: 500,
                    headers: vec![("content-type".into(), "text/plain".into())],
                    body: b"the sink failed to answer this request".to_vec(),
                });
            Ok(response(reply))
        }
    })
}

/// The request read whole into an arrival, or refused for its size.
async fn read(
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
    tls: bool,
    client_certificate: Option<Vec<u8>>,
) -> Intake {
    let (parts, body) = request.into_parts();
    let mut arrival = Arrival {
        method: parts.method.as_str().to_string(),
        target: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into()),
        version: format!("{:?}", parts.version),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: Bytes::new(),
        tls,
        client_certificate,
        peer: peer.to_string(),
        received_at: SystemTime::now(),
    };
    let declared = arrival
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_ARRIVAL_BYTES as u64) {
        return Intake::TooLarge {
            arrival,
            limit: MAX_ARRIVAL_BYTES,
        };
    }
    match Limited::new(body, MAX_ARRIVAL_BYTES).collect().await {
        Ok(collected) => {
            arrival.body = collected.to_bytes();
            Intake::Whole(arrival)
        }
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Intake::TooLarge {
            arrival,
            limit: MAX_ARRIVAL_BYTES,
        },
        // The client went away or broke the framing mid-body: what came is what there is.
        Err(e) => {
            tracing::debug!(error = %e, "sink: request body cut short");
            Intake::Whole(arrival)
        }
    }
}

fn response(reply: Reply) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() =
        hyper::StatusCode::from_u16(reply.status).unwrap_or(hyper::StatusCode::OK);
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        // HTTP/2 forbids connection-specific headers; the server sets the length itself.
        if matches!(
            name.to_ascii_lowercase().as_str(),
            "connection" | "transfer-encoding" | "keep-alive" | "content-length"
        ) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_str(&value),
        ) {
            headers.append(name, value);
        }
    }
    response
}

fn tls_acceptor(identity: TlsIdentity) -> Result<tokio_rustls::TlsAcceptor, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let chain = identity
        .chain
        .into_iter()
        .map(rustls::pki_types::CertificateDer::from)
        .collect();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(identity.key_pkcs8.into());
    let mut config = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_client_cert_verifier(Arc::new(AnyClientCertificate(provider)))
        .with_single_cert(chain, key)
        .map_err(|e| format!("the sink's TLS certificate was refused: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Asks every client for a certificate and takes whichever it presents (or none): judging it is
/// the imitation's job (APNs checks the topic in it), not the handshake's. The handshake still
/// proves the client holds the certificate's key.
#[derive(Debug)]
struct AnyClientCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::server::danger::ClientCertVerifier for AnyClientCertificate {
    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::server::danger::ClientCertVerified, rustls::Error> {
        Ok(rustls::server::danger::ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
