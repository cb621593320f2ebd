//! The plumbing every stand-in shares, written once: a server on 127.0.0.1 that records each
//! request as a [`Seen`], counts the hits, keeps the problems the checks found, and serves what
//! an [`Api`] answers, over HTTP/1.1 (wiremock) or HTTP/2 over cleartext (h2c, as APNs speaks).
//!
//! A provider's stand-in is one type implementing [`Api`]: what it checks (`authenticate`, and
//! the contract checks in `answer` that report to [`Record::problem`]) and what it answers.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::Value;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// One request a stand-in received, whatever its transport.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// `HTTP/1.1` or `HTTP/2.0`.
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether [`Api::authenticate`] accepted it (for SNS: the signature verified).
    pub authenticated: bool,
    /// The TLS client certificate the connection presented (DER), when there was one.
    pub client_certificate: Option<Vec<u8>>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The header's value, or `""` when it is missing.
    pub fn header_or_empty(&self, name: &str) -> &str {
        self.header(name).unwrap_or("")
    }

    /// Every value sent under `name`, in order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }

    pub fn query_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.query.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .collect()
    }

    /// The form-encoded body's fields.
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }

    /// One field of a form-encoded body.
    pub fn param(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// What a stand-in answers: a status, headers, a body and, when the scenario asks, a delay.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Option<Duration>,
}

impl Reply {
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: None,
        }
    }

    pub fn json(status: u16, body: Value) -> Self {
        Self::new(status).set_body_json(body)
    }

    pub fn set_body_json(self, body: Value) -> Self {
        self.set_body_raw(body.to_string(), "application/json")
    }

    pub fn set_body_string(self, body: impl Into<String>) -> Self {
        self.set_body_raw(body.into(), "text/plain")
    }

    pub fn set_body_raw(mut self, body: impl Into<Vec<u8>>, mime: &str) -> Self {
        self.body = body.into();
        self.insert_header("content-type", mime)
    }

    /// Sets `name` (replacing an earlier value).
    pub fn insert_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn set_delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
}

/// What the server keeps: every request and the problems the checks found.
#[derive(Default)]
pub struct Record {
    seen: Mutex<Vec<Seen>>,
    problems: Mutex<Vec<String>>,
    origin: OnceLock<String>,
}

impl Record {
    /// A contract violation: the app sent what the real API would reject or misread.
    pub fn problem(&self, message: impl Into<String>) {
        self.problems.lock().expect("lock").push(message.into());
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> &str {
        self.origin.get().map(String::as_str).unwrap_or("")
    }

    /// Requests received so far, the one being answered included.
    pub fn hits(&self) -> usize {
        self.seen.lock().expect("lock").len()
    }

    fn receive(&self, seen: Seen) {
        self.seen.lock().expect("lock").push(seen);
    }
}

/// A provider's API as its stand-in plays it.
pub trait Api: Send + Sync + 'static {
    /// The provider's name in failure messages.
    const NAME: &'static str;

    /// What it checks first (credentials, a signature): `Err` is the refusal, and the request is
    /// recorded as not authenticated. By default every request goes on to [`Api::answer`].
    fn authenticate(&self, _request: &Seen) -> Result<(), Reply> {
        Ok(())
    }

    /// What it answers, checking the request as the real API does; contract violations go to
    /// `record.problem`.
    fn answer(&self, request: &Seen, record: &Record) -> Reply;
}

struct Shared<A> {
    api: A,
    record: Record,
}

impl<A: Api> Shared<A> {
    fn serve(&self, mut seen: Seen) -> Reply {
        let verdict = self.api.authenticate(&seen);
        seen.authenticated = verdict.is_ok();
        self.record.receive(seen.clone());
        match verdict {
            Ok(()) => self.api.answer(&seen, &self.record),
            Err(refusal) => refusal,
        }
    }
}

/// A running stand-in of the API `A`; it stops when dropped (HTTP/1) or with the test process.
pub struct StandIn<A> {
    shared: Arc<Shared<A>>,
    port: u16,
    _server: Option<MockServer>,
    /// Serves https (a certificate from a test CA) rather than http.
    tls: bool,
}

struct Http1<A>(Arc<Shared<A>>);

impl<A: Api> Respond for Http1<A> {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let reply = self.0.serve(Seen {
            method: request.method.to_string(),
            path: request.url.path().to_string(),
            query: request.url.query().map(str::to_string),
            version: "HTTP/1.1".into(),
            headers: request
                .headers
                .iter()
                .map(|(n, v)| {
                    let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                    (n.to_string(), v)
                })
                .collect(),
            body: request.body.clone(),
            authenticated: false,
            client_certificate: None,
        });
        let mut template = ResponseTemplate::new(reply.status).set_body_bytes(reply.body);
        for (name, value) in &reply.headers {
            template = template.append_header(name.as_str(), value.as_str());
        }
        match reply.delay {
            Some(delay) => template.set_delay(delay),
            None => template,
        }
    }
}

impl<A: Api> StandIn<A> {
    fn shared(api: A) -> Arc<Shared<A>> {
        Arc::new(Shared {
            api,
            record: Record::default(),
        })
    }

    /// Serves `api` over HTTP/1.1 (wiremock runs the server on a thread of its own).
    pub async fn serve_async(api: A) -> Self {
        let shared = Self::shared(api);
        let server = MockServer::builder().start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(Http1(shared.clone()))
            .mount(&server)
            .await;
        let port = server.address().port();
        let _ = shared.record.origin.set(format!("http://127.0.0.1:{port}"));
        Self {
            shared,
            port,
            _server: Some(server),
            tls: false,
        }
    }

    /// Serves `api` over HTTP/1.1; call it outside async code.
    pub fn serve(api: A) -> Self {
        crate::support::block_on(Self::serve_async(api))
    }

    /// Serves `api` over HTTP/2 without TLS, with prior knowledge (h2c), on a thread of its own.
    pub fn serve_h2c(api: A) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let shared = Self::shared(api);
        let _ = shared.record.origin.set(format!("http://127.0.0.1:{port}"));
        let serving = shared.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                while let Ok((socket, _)) = listener.accept().await {
                    tokio::spawn(serve_h2_connection(socket, serving.clone(), None));
                }
            });
        });
        Self {
            shared,
            port,
            _server: None,
            tls: false,
        }
    }

    /// Serves `api` over TLS with `config` (its certificate and ALPN) on a thread of its own:
    /// HTTP/2 when the client negotiates `h2`, HTTP/1.1 otherwise.
    pub fn serve_tls(api: A, config: Arc<tokio_rustls::rustls::ServerConfig>) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let shared = Self::shared(api);
        let _ = shared
            .record
            .origin
            .set(format!("https://127.0.0.1:{port}"));
        let serving = shared.clone();
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                while let Ok((socket, _)) = listener.accept().await {
                    let (acceptor, shared) = (acceptor.clone(), serving.clone());
                    tokio::spawn(async move {
                        // A client that does not trust the certificate hangs up here.
                        let Ok(tls) = acceptor.accept(socket).await else {
                            return;
                        };
                        let client = tls
                            .get_ref()
                            .1
                            .peer_certificates()
                            .and_then(|chain| chain.first())
                            .map(|c| c.to_vec());
                        if tls.get_ref().1.alpn_protocol() == Some(b"h2") {
                            serve_h2_connection(tls, shared, client).await;
                        } else {
                            serve_http1_connection(tls, shared).await;
                        }
                    });
                }
            });
        });
        Self {
            shared,
            port,
            _server: None,
            tls: true,
        }
    }

    /// `http://127.0.0.1:PORT` (`https://` when served over TLS): the profile's base URL.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The provider's own state (scenario, tokens, deliveries).
    pub fn api(&self) -> &A {
        &self.shared.api
    }

    /// Every request received so far, answered or refused.
    pub fn requests(&self) -> Vec<Seen> {
        self.shared.record.seen.lock().expect("lock").clone()
    }

    pub fn hits(&self) -> usize {
        self.shared.record.hits()
    }

    pub fn problems(&self) -> Vec<String> {
        self.shared.record.problems.lock().expect("lock").clone()
    }

    /// Fails the test with the stand-in's complaints, if any.
    pub fn assert_no_problems(&self) {
        let problems = self.problems();
        assert!(
            problems.is_empty(),
            "the {} stand-in found problems: {problems:#?}",
            A::NAME
        );
    }
}

impl<A: Api + Default> StandIn<A> {
    pub fn start() -> Self {
        Self::serve(A::default())
    }

    /// Starts from async code (wiremock serves from a thread of its own).
    pub async fn start_async() -> Self {
        Self::serve_async(A::default()).await
    }

    /// Starts on `runtime` (the window tests' own).
    pub fn start_on(runtime: &tokio::runtime::Runtime) -> Self {
        runtime.block_on(Self::serve_async(A::default()))
    }
}

/// HTTP/1.1 over any stream (the TLS stand-ins' fallback when `h2` was not negotiated).
async fn serve_http1_connection<A: Api, S>(stream: S, shared: Arc<Shared<A>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use http_body_util::BodyExt;
    let service =
        hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
            let shared = shared.clone();
            async move {
                let (parts, body) = request.into_parts();
                let bytes = body
                    .collect()
                    .await
                    .map(|b| b.to_bytes().to_vec())
                    .unwrap_or_default();
                let reply = shared.serve(seen_of(&parts, bytes));
                let mut builder = http::Response::builder().status(reply.status);
                for (name, value) in &reply.headers {
                    builder = builder.header(name.as_str(), value.as_str());
                }
                builder.body(http_body_util::Full::new(bytes::Bytes::from(reply.body)))
            }
        });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
        .await;
}

fn seen_of(parts: &http::request::Parts, body: Vec<u8>) -> Seen {
    Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        version: format!("{:?}", parts.version),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (n.to_string(), v)
            })
            .collect(),
        body,
        authenticated: false,
        client_certificate: None,
    }
}

async fn serve_h2_connection<A: Api, S>(
    socket: S,
    shared: Arc<Shared<A>>,
    client_certificate: Option<Vec<u8>>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let Ok(mut connection) = h2::server::handshake(socket).await else {
        shared.record.problem("a connection did not speak HTTP/2");
        return;
    };
    while let Some(Ok((request, mut respond))) = connection.accept().await {
        let shared = shared.clone();
        let client_certificate = client_certificate.clone();
        tokio::spawn(async move {
            let (parts, mut body) = request.into_parts();
            let mut bytes = Vec::new();
            while let Some(Ok(chunk)) = body.data().await {
                let _ = body.flow_control().release_capacity(chunk.len());
                bytes.extend_from_slice(&chunk);
            }
            let reply = shared.serve(Seen {
                client_certificate,
                ..seen_of(&parts, bytes)
            });
            let mut builder = http::Response::builder().status(reply.status);
            for (name, value) in &reply.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            let Ok(response) = builder.body(()) else {
                return;
            };
            let empty = reply.body.is_empty();
            if let Ok(mut stream) = respond.send_response(response, empty)
                && !empty
            {
                let _ = stream.send_data(bytes::Bytes::from(reply.body), true);
            }
        });
    }
}
