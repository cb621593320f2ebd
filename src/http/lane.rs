//! A lane: one HTTP/1.1 connection of its own, driven by the task that sends on it, for a stream
//! of requests (a streamed fan-out holds one lane per request in flight).
//!
//! Why not the pooled client: for a fan-out of thousands, the client's per-request machinery (its
//! layers, the pool's check-out, and a hand-off to the connection's own task and back for every
//! answer) cost about as much CPU as the HTTP itself. A lane writes the request and reads the
//! answer in the caller's task, on a connection it keeps open. Only direct routes ride a lane:
//! through a proxy, with a client certificate or HTTP/2 only, the request goes by the pooled
//! clients as any other (`Transport::send_unless` decides).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;
use tokio_util::either::Either;

use super::exchange::{Collected, ResponseDump, TransportError, TransportErrorKind, header_pairs};
use super::network::Route;
use super::request::{Body, PreparedRequest};
use super::transport_errors::{Failure, broken_answer, describe, error_chain};

/// A connection kept between the requests of one send. Starts closed; opened on first use, and
/// again whenever the origin changes or the server closed it.
#[derive(Default)]
pub struct Lane {
    open: Option<Open>,
}

/// Where a connection goes: requests to the same origin share it.
#[derive(Clone, PartialEq, Eq)]
struct Origin {
    https: bool,
    host: String,
    port: u16,
}

struct Open {
    origin: Origin,
    sender: http1::SendRequest<Full<Bytes>>,
    connection: Pin<Box<http1::Connection<TokioIo<Stream>, Full<Bytes>>>>,
    /// The connection future finished (closed, or failed): it must not be polled again.
    ended: bool,
}

/// What a lane needs of the transport to open a connection.
pub(super) struct Opener<'a> {
    pub connect_timeout: std::time::Duration,
    pub tls: &'a (dyn Fn() -> Result<Arc<rustls::ClientConfig>, TransportError> + Sync),
}

impl Lane {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `request` (to `url`, by `route`) can ride a lane.
    pub(super) fn carries(request: &PreparedRequest, url: &url::Url, route: &Route) -> bool {
        matches!(route, Route::Direct(_))
            && !request.http2_only
            && request.client_identity.is_none()
            && matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some()
    }

    /// Sends `request` on this lane's connection (opened first if need be) and reads the answer.
    /// A future dropped half-way (a timeout, a cancel) leaves the lane closed, never mid-request.
    pub(super) async fn answer(
        &mut self,
        opener: &Opener<'_>,
        url: &url::Url,
        request: &PreparedRequest,
        route: &Route,
    ) -> Result<ResponseDump, TransportError> {
        let origin = Origin::of(url)?;
        let failed = |failure: Failure| describe(failure, request, route);
        let wire = to_wire(url, request)?;
        let (mut open, reused) = match self.open.take() {
            Some(open) if open.origin == origin && !open.ended && !open.sender.is_closed() => {
                (open, true)
            }
            _ => (Open::connect(origin.clone(), opener, &failed).await?, false),
        };
        let response = match open.send(wire).await {
            Ok(response) => response,
            Err(mut e) => {
                let failure = Failure::of(e.error());
                match e.take_message() {
                    // A kept-alive connection the server had closed: the request never left, so
                    // it goes once more on a new connection.
                    Some(wire) if reused => {
                        open = Open::connect(origin, opener, &failed).await?;
                        open.send(wire)
                            .await
                            .map_err(|e| failed(Failure::of(e.error())))?
                    }
                    _ => return Err(failed(failure)),
                }
            }
        };
        let (dump, complete) = open.read(response).await.map_err(|(failure, received)| {
            let mut error = failed(failure);
            error.message = broken_answer(request, received);
            error
        })?;
        if complete && !open.ended {
            self.open = Some(open);
        }
        Ok(dump)
    }
}

impl Origin {
    fn of(url: &url::Url) -> Result<Self, TransportError> {
        let refused = |why: &str| TransportError {
            kind: TransportErrorKind::Refused,
            message: format!("`{url}` cannot be sent to: {why}."),
            detail: url.to_string(),
        };
        Ok(Self {
            https: url.scheme() == "https",
            // As the URL already holds it (no formatting per request); an IPv6 address without
            // its brackets, as a socket address and a TLS server name take it.
            host: match url.host_str() {
                Some(host) => host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string(),
                None => return Err(refused("it has no host")),
            },
            port: url
                .port_or_known_default()
                .ok_or_else(|| refused("it has no port"))?,
        })
    }
}

impl Failure {
    fn of(e: &hyper::Error) -> Self {
        Failure {
            detail: error_chain(e),
            connect: false,
            timeout: e.is_timeout(),
        }
    }

    fn connecting(e: &dyn std::error::Error) -> Self {
        Failure {
            detail: error_chain(e),
            connect: true,
            timeout: false,
        }
    }
}

impl Open {
    /// A new connection to `origin`. The TLS set-up's own error (an unreadable
    /// `ca_certificates`) comes as the transport words it; what the network says goes through
    /// `failed`.
    async fn connect(
        origin: Origin,
        opener: &Opener<'_>,
        failed: &(dyn Fn(Failure) -> TransportError + Sync),
    ) -> Result<Self, TransportError> {
        let tls = if origin.https {
            Some((opener.tls)()?)
        } else {
            None
        };
        let timed_out = || Failure {
            detail: format!("connect timeout after {:?}", opener.connect_timeout),
            connect: true,
            timeout: true,
        };
        let stream = tokio::time::timeout(opener.connect_timeout, Self::stream(&origin, tls))
            .await
            .map_err(|_| failed(timed_out()))?
            .map_err(failed)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| failed(Failure::connecting(&e)))?;
        Ok(Self {
            origin,
            sender,
            connection: Box::pin(connection),
            ended: false,
        })
    }

    async fn stream(
        origin: &Origin,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Result<Stream, Failure> {
        let tcp = TcpStream::connect((origin.host.as_str(), origin.port))
            .await
            .map_err(|e| Failure::connecting(&e))?;
        // Requests are small and answers awaited one by one: Nagle would only add delay.
        let _ = tcp.set_nodelay(true);
        let Some(config) = tls else {
            return Ok(Either::Left(tcp));
        };
        let name = rustls::pki_types::ServerName::try_from(origin.host.clone())
            .map_err(|e| Failure::connecting(&e))?;
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| Failure::connecting(&e))?;
        Ok(Either::Right(Box::new(tls)))
    }

    /// Hands the request to the connection and drives it until the answer's head is in.
    async fn send(
        &mut self,
        wire: http::Request<Full<Bytes>>,
    ) -> Result<
        http::Response<Incoming>,
        hyper::client::conn::TrySendError<http::Request<Full<Bytes>>>,
    > {
        let Self {
            sender,
            connection,
            ended,
            ..
        } = self;
        drive(
            connection,
            ended,
            std::future::poll_fn(|cx| sender.poll_ready(cx)),
        )
        .await
        .ok();
        let sent = sender.try_send_request(wire);
        drive(connection, ended, sent).await
    }

    /// Reads the answer's body (up to `MAX_RESPONSE_BYTES`), driving the connection meanwhile;
    /// whether it was read to its end (a cut one leaves the connection unusable).
    async fn read(
        &mut self,
        response: http::Response<Incoming>,
    ) -> Result<(ResponseDump, bool), (Failure, usize)> {
        let (head, mut body) = response.into_parts();
        let mut collected = Collected::default();
        loop {
            match drive(&mut self.connection, &mut self.ended, body.frame()).await {
                Some(Ok(frame)) => {
                    if let Ok(chunk) = frame.into_data()
                        && !collected.take(&chunk)
                    {
                        break;
                    }
                }
                None => break,
                Some(Err(e)) => return Err((Failure::of(&e), collected.len())),
            }
        }
        let dump = collected.into_dump(head.status, head.version, header_pairs(&head.headers));
        let complete = !dump.truncated;
        Ok((dump, complete))
    }
}

/// Polls `future` to its end while also polling the connection that carries it, in this task.
async fn drive<F: Future>(
    connection: &mut Pin<Box<http1::Connection<TokioIo<Stream>, Full<Bytes>>>>,
    ended: &mut bool,
    future: F,
) -> F::Output {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        if !*ended && connection.as_mut().poll(cx).is_ready() {
            // Closed or failed: the request's own future says how.
            *ended = true;
        }
        future.as_mut().poll(cx)
    })
    .await
}

/// The request as it goes on the wire: origin-form target, `Host` as the pooled client sets it.
fn to_wire(
    url: &url::Url,
    request: &PreparedRequest,
) -> Result<http::Request<Full<Bytes>>, TransportError> {
    let invalid = |what: String, e: &dyn std::error::Error| TransportError {
        kind: TransportErrorKind::Refused,
        message: format!("{what}: nothing was sent. Fix it in the draft or the profile."),
        detail: e.to_string(),
    };
    // Origin form: the path and query exactly as the URL holds them.
    let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
    let mut wire = http::Request::builder()
        .method(
            http::Method::from_bytes(request.method.as_bytes())
                .map_err(|e| invalid(format!("`{}` is not an HTTP method", request.method), &e))?,
        )
        .uri(target)
        .body(Full::new(match &request.body {
            Body::Empty => Bytes::new(),
            Body::Text(t) => Bytes::from(t.clone()),
            Body::Bytes(b) => b.clone(),
        }))
        .map_err(|e| invalid(format!("`{}` is not a valid URL", request.url), &e))?;
    let headers = wire.headers_mut();
    headers.reserve(request.headers.len() + 1);
    if request.header_value("host").is_none() {
        // `host[:port]` exactly as the URL spells it: its authority without userinfo.
        let host = &url[url::Position::BeforeHost..url::Position::AfterPort];
        headers.insert(
            http::header::HOST,
            http::HeaderValue::from_str(host)
                .map_err(|e| invalid(format!("`{host}` is not a valid host"), &e))?,
        );
    }
    for (name, value) in &request.headers {
        let name = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| invalid(format!("`{name}` is not a valid header name"), &e))?;
        let value = http::HeaderValue::from_str(value)
            .map_err(|e| invalid(format!("the value of header `{name}` is not valid"), &e))?;
        headers.append(name, value);
    }
    Ok(wire)
}

/// Plain TCP (http to loopback) or TLS over it.
type Stream = Either<TcpStream, Box<TlsStream<TcpStream>>>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Transport;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn parsed(url: &str) -> url::Url {
        url::Url::parse(url).expect("a URL")
    }

    #[test]
    fn origin_and_host_header_come_from_the_url_as_written() {
        let cases = [
            (
                "http://127.0.0.1:8630/push/1?x=1",
                "127.0.0.1",
                8630,
                "127.0.0.1:8630",
            ),
            (
                "https://fcm.googleapis.com/fcm/send/a",
                "fcm.googleapis.com",
                443,
                "fcm.googleapis.com",
            ),
            ("http://[::1]:9000/p", "::1", 9000, "[::1]:9000"),
            (
                "https://user:pw@[2001:db8::1]/p",
                "2001:db8::1",
                443,
                "[2001:db8::1]",
            ),
        ];
        for (url, host, port, header) in cases {
            let url = parsed(url);
            let origin = Origin::of(&url).expect("an origin");
            assert_eq!((origin.host.as_str(), origin.port), (host, port), "{url}");
            let wire = to_wire(&url, &PreparedRequest::new("POST", url.as_str())).expect("wire");
            assert_eq!(wire.headers()["host"], header, "{url}");
            assert_eq!(
                wire.uri().path_and_query().map(|p| p.as_str()),
                Some(&url[url::Position::BeforePath..url::Position::AfterQuery]),
            );
        }
    }

    /// A lane to an IPv6 loopback address connects to the bare address and names it, with its
    /// brackets, in `Host`; the connection is kept for the next request.
    #[tokio::test]
    async fn a_lane_reaches_an_ipv6_loopback_server_and_keeps_its_connection() {
        let listener = tokio::net::TcpListener::bind("[::1]:0")
            .await
            .expect("binds ::1");
        let port = listener.local_addr().expect("address").port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accepts");
            let mut heads = Vec::new();
            let mut buffer = Vec::new();
            while heads.len() < 2 {
                let mut chunk = [0u8; 4096];
                let n = socket.read(&mut chunk).await.expect("reads");
                assert!(
                    n > 0,
                    "the connection closed after {} requests",
                    heads.len()
                );
                buffer.extend_from_slice(&chunk[..n]);
                while let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                    heads.push(String::from_utf8_lossy(&buffer[..end]).to_string());
                    buffer.drain(..end + 4);
                    socket
                        .write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
                        .await
                        .expect("answers");
                }
            }
            heads
        });
        let transport = Transport::new(std::time::Duration::from_secs(5)).expect("transport");
        let cancel = tokio_util::sync::CancellationToken::new();
        let mut lane = Lane::new();
        for i in 0..2 {
            let request = PreparedRequest::new("GET", format!("http://[::1]:{port}/push/{i}"));
            let exchange = transport
                .send_unless(
                    request,
                    std::time::Duration::from_secs(5),
                    &cancel,
                    Some(&mut lane),
                )
                .await
                .expect("not cancelled");
            let response = exchange.response.expect("answered");
            assert_eq!(response.status, 201, "{:?}", exchange.error);
        }
        let heads = server.await.expect("the server ends");
        for (i, head) in heads.iter().enumerate() {
            assert!(
                head.starts_with(&format!("GET /push/{i} HTTP/1.1")),
                "{head}"
            );
            assert!(
                head.to_ascii_lowercase()
                    .contains(&format!("host: [::1]:{port}")),
                "{head}"
            );
        }
    }
}
