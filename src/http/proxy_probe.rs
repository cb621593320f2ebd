//! When an HTTP proxy refuses a CONNECT, hyper only says "unsuccessful": this asks the proxy once
//! more, the same way, and reads its status line, so the error can say "403 Forbidden" or "401
//! Unauthorized" instead of guessing.

use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The proxy's status and reason for `CONNECT host:port`, or `None` when it cannot be learned
/// (not an http:// proxy, no answer within a few seconds, not HTTP).
pub async fn connect_status(proxy: &url::Url, target: &url::Url) -> Option<(u16, String)> {
    if proxy.scheme() != "http" {
        return None;
    }
    let host = proxy.host_str()?;
    let port = proxy.port_or_known_default()?;
    let authority = format!("{}:{}", target.host_str()?, target.port_or_known_default()?);
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if !proxy.username().is_empty() {
        let user = percent_decode(proxy.username());
        let password = proxy.password().map(percent_decode).unwrap_or_default();
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect((host, port)).await.ok()?;
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut buffer = vec![0u8; 4096];
        let mut filled = 0;
        loop {
            let n = stream.read(&mut buffer[filled..]).await.ok()?;
            if n == 0 {
                return None;
            }
            filled += n;
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(&buffer[..filled]) {
                Ok(_) if response.code.is_some() => {
                    return Some((
                        response.code?,
                        response.reason.unwrap_or_default().to_string(),
                    ));
                }
                Ok(_) if filled < buffer.len() => continue,
                _ => return None,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(3), exchange)
        .await
        .ok()
        .flatten()
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
