//! A misbehaving HTTP server on a loopback address (a raw tokio `TcpListener` on its own thread),
//! shared by `tests/faults.rs` and `tests/secret_hygiene.rs`: each connection gets one `Fault`.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the fault server does with each connection.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Reads the request, answers with this status line, headers and body.
    Reply {
        status: &'static str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// Sends the status line and part of the headers, then resets the connection (RST).
    ResetMidResponse,
    /// Promises a 1000-byte body, sends 20 bytes of it and closes.
    CloseMidBody,
    /// Reads the request and never answers.
    Silent,
    /// Answers 200 with a body of 5000 bytes, one byte every 100 ms.
    Trickle,
    /// A 200 whose body is this many bytes of JSON-ish text.
    Huge(usize),
    /// Answers plain HTTP to whatever arrives (a TLS ClientHello included).
    PlainHttp,
    /// Answers with this status and a JSON body that quotes the whole request (head and body) in
    /// the fields providers quote from: a server or proxy that echoes what it got.
    Echo(&'static str),
}

struct Shared {
    hits: AtomicUsize,
    requests: Mutex<Vec<String>>,
}

/// A misbehaving server on 127.0.0.1 (or another loopback address) with a random port.
pub struct FaultServer {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FaultServer {
    pub fn start(fault: Fault) -> Self {
        Self::start_on("127.0.0.1", fault)
    }

    pub fn start_on(ip: &str, fault: Fault) -> Self {
        let std_listener = std::net::TcpListener::bind((ip, 0)).expect("bind the fault server");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("addr");
        let shared = Arc::new(Shared {
            hits: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
        });
        let state = shared.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("listener");
                while let Ok((stream, _)) = listener.accept().await {
                    state.hits.fetch_add(1, Ordering::SeqCst);
                    let fault = fault.clone();
                    let state = state.clone();
                    tokio::spawn(async move {
                        serve(stream, fault, state).await;
                    });
                }
            });
        });
        Self { addr, shared }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn hits(&self) -> usize {
        self.shared.hits.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<String> {
        self.shared.requests.lock().expect("lock").clone()
    }
}

/// Reads one request: its head, and its body when the head says how long it is.
async fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 1 << 20 {
            return None;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    Some((head, body))
}

async fn serve(mut stream: TcpStream, fault: Fault, state: Arc<Shared>) {
    if let Fault::PlainHttp = fault {
        let mut first = [0u8; 512];
        let _ = stream.read(&mut first).await;
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .await;
        return;
    }
    let Some((head, body)) = read_request(&mut stream).await else {
        return;
    };
    state.requests.lock().expect("lock").push(head.clone());
    match fault {
        Fault::Echo(status) => {
            let all = format!("{head}{}", String::from_utf8_lossy(&body));
            let echo = serde_json::json!({
                "ok": false, "error_code": 401, "code": 40101, "http": 401,
                "description": all, "error": all, "message": all, "errors": [all],
                "reason": all, "error_description": all, "type": "echo"
            })
            .to_string();
            let out = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nWWW-Authenticate: {}\r\nConnection: close\r\n\r\n{echo}",
                echo.len(),
                head.lines()
                    .find(|l| l.to_ascii_lowercase().starts_with("authorization"))
                    .unwrap_or("none")
            );
            let _ = stream.write_all(out.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Fault::Reply {
            status,
            headers,
            body,
        } => {
            let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
            for (name, value) in headers {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
            out.push_str("Connection: close\r\n\r\n");
            let _ = stream.write_all(out.as_bytes()).await;
            let _ = stream.write_all(&body).await;
            let _ = stream.shutdown().await;
        }
        Fault::ResetMidResponse => {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: appli")
                .await;
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            // SO_LINGER 0: closing sends RST instead of FIN.
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            drop(stream);
        }
        Fault::CloseMidBody => {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"id\":\"sPs71M8A2T\",")
                .await;
            let _ = stream.shutdown().await;
        }
        Fault::Silent => {
            tokio::time::sleep(Duration::from_secs(600)).await;
        }
        Fault::Trickle => {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n")
                .await;
            for _ in 0..5000 {
                if stream.write_all(b" ").await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Fault::Huge(size) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
            );
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let _ = stream
                .write_all(b"{\"id\":\"sPs71M8A2T\",\"padding\":\"")
                .await;
            let chunk = vec![b'a'; 64 * 1024];
            let mut sent = 0;
            while sent < size {
                if stream.write_all(&chunk).await.is_err() {
                    return;
                }
                sent += chunk.len();
            }
        }
        Fault::PlainHttp => {}
    }
}
