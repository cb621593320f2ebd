//! Why a send failed, in words: the transport's errors sorted into kinds, naming the proxy when it
//! is the proxy that failed and the fix when a certificate is not trusted.

use super::exchange::{TransportError, TransportErrorKind};
use super::network::{ProxySource, Route};
use super::request::PreparedRequest;

pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// How to give a proxy its credentials, by where the proxy came from.
fn credentials_hint(route: &Route) -> String {
    match route {
        Route::Proxy {
            source: ProxySource::Env(name),
            ..
        } => format!(
            "Put the user and password in {name} (http://USER:PASSWORD@host:port), or give the profile its own `proxy` setting and `proxy_password` secret."
        ),
        _ => "Put the user in the profile's `proxy` setting (http://USER@host:port) and store the password as its `proxy_password` secret (`pushdeck secret set PROFILE proxy_password`, or Edit credentials).".into(),
    }
}

fn via(route: &Route) -> String {
    match route {
        Route::Proxy { .. } => format!(" ({})", route.describe()),
        Route::Direct(_) => String::new(),
    }
}

/// A 407 answer from a forwarding proxy (plain http through it).
pub(super) fn proxy_refused_response(request: &PreparedRequest, route: &Route) -> TransportError {
    TransportError {
        kind: TransportErrorKind::Refused,
        message: format!(
            "The proxy {} refused the request to {}: 407 Proxy Authentication Required. Nothing reached the server. {}",
            route.shown_proxy(),
            request.host(),
            credentials_hint(route)
        ),
        detail: "407 Proxy Authentication Required".into(),
    }
}

/// The proxy answered CONNECT with `status`: what it means and what to do.
pub(super) fn refused_connect(
    request: &PreparedRequest,
    route: &Route,
    status: u16,
    reason: &str,
) -> String {
    let advice = match status {
        407 => credentials_hint(route),
        401 | 403 if route.has_credentials() => "Check the proxy user and password (the profile's `proxy` URL and `proxy_password` secret, or the proxy variable); otherwise the proxy does not allow this host or port: ask its administrator.".into(),
        401 | 403 => "The proxy does not allow this host or port (or wants credentials): ask its administrator, or exempt the host with NO_PROXY.".into(),
        502..=504 => "The proxy could not reach the host: check the base URL, or ask the proxy's administrator.".into(),
        _ => "Ask the proxy's administrator, or exempt the host with NO_PROXY.".into(),
    };
    format!(
        "The proxy {} refused CONNECT to {}: {status} {reason}. Nothing was sent. {advice}",
        route.shown_proxy(),
        request.host(),
    )
}

/// The words for a connection that broke after the answer began.
pub(super) fn broken_answer(request: &PreparedRequest, received: usize) -> String {
    format!(
        "The connection to {} broke while the answer was arriving ({received} bytes received). Try again; if it keeps happening, the server or a proxy is cutting the connection.",
        request.host()
    )
}

/// What went wrong, as the HTTP stack tells it: the error's chain of causes, and whether it
/// happened while connecting and whether it was a timeout.
pub(super) struct Failure {
    pub detail: String,
    pub connect: bool,
    pub timeout: bool,
}

pub(super) fn classify(
    e: &reqwest::Error,
    request: &PreparedRequest,
    route: &Route,
) -> TransportError {
    describe(
        Failure {
            detail: error_chain(e),
            connect: e.is_connect(),
            timeout: e.is_timeout(),
        },
        request,
        route,
    )
}

/// A failure in words: what happened, why, and what to do.
pub(super) fn describe(
    failure: Failure,
    request: &PreparedRequest,
    route: &Route,
) -> TransportError {
    let Failure {
        detail,
        connect,
        timeout,
    } = failure;
    let host = request.host();
    let lower = detail.to_ascii_lowercase();
    let https = request.url.starts_with("https:");
    let proxy = route.shown_proxy();
    let error = |kind, message: String| TransportError {
        kind,
        message,
        detail: detail.clone(),
    };
    if route.is_proxy() && lower.contains("proxy authorization required") {
        return error(
            TransportErrorKind::Connect,
            format!(
                "The proxy {proxy} refused CONNECT to {host}: 407 Proxy Authentication Required. Nothing was sent. {}",
                credentials_hint(route)
            ),
        );
    }
    if route.is_proxy() && lower.contains("tunnel error: unsuccessful") {
        return error(
            TransportErrorKind::Connect,
            format!(
                "The proxy {proxy} refused CONNECT to {host} (it answered with an error instead of opening the tunnel). Nothing was sent. {}",
                if route.has_credentials() {
                    "Check the proxy user and password (the profile's `proxy` URL and `proxy_password` secret, or the proxy variable); otherwise the proxy does not allow this host or port: ask its administrator, or exempt the host with NO_PROXY."
                } else {
                    "The proxy may not allow this host or port: ask its administrator, or exempt the host with NO_PROXY."
                }
            ),
        );
    }
    if route.is_proxy() && lower.contains("socks") {
        return error(
            TransportErrorKind::Connect,
            format!(
                "The SOCKS proxy {proxy} could not open a connection to {host}. Nothing was sent. Check the proxy address and credentials, and that it allows this host."
            ),
        );
    }
    if let Some(identity) = &request.client_identity
        && https
        && refused_client_certificate(&lower)
    {
        // With TLS 1.3 the server's verdict on the client certificate arrives just after the
        // handshake, so hyper only sees the connection die before the request went out.
        return error(
            TransportErrorKind::Tls,
            format!(
                "The secure connection to {host}{} was closed in the TLS handshake after Pushdeck presented the client certificate ({}): the server did not accept it. Nothing was delivered. APNs does this with a certificate Apple did not issue, or one that is revoked or expired: check it in Edit credentials or with `pushdeck check`, or export it again from Keychain Access.",
                via(route),
                identity.description
            ),
        );
    }
    if lower.contains("certificate") || lower.contains("unknownissuer") {
        error(
            TransportErrorKind::Tls,
            format!(
                "The secure connection to {host}{} failed: its certificate is not trusted (the system's trust store and the profile's `ca_certificates` do not vouch for it). Nothing was sent. If a TLS-inspecting proxy or a private CA signs it, set the profile's `ca_certificates` to that CA's PEM file; otherwise check the base URL.",
                via(route)
            ),
        )
    } else if https && connect && is_tls_failure(&lower) {
        error(
            TransportErrorKind::Tls,
            format!(
                "The secure connection to {host}{} failed: the TLS handshake did not complete ({}). Nothing was sent. Check the base URL: the server may not speak https on that port, or a proxy is in the way.",
                via(route),
                tls_reason(&lower)
            ),
        )
    } else if timeout {
        error(
            TransportErrorKind::Timeout,
            format!(
                "{host} did not answer in time{}. Try again, or allow more time with --timeout.",
                via(route)
            ),
        )
    } else if connect && route.is_proxy() {
        // Through a proxy, the only connection Pushdeck opens is the one to the proxy.
        error(
            TransportErrorKind::Connect,
            format!(
                "Could not connect to the proxy {proxy}: {}. Nothing was sent. Check the proxy address ({}), or bypass it for this host with NO_PROXY.",
                short_reason(&lower),
                route.describe()
            ),
        )
    } else if connect {
        error(
            TransportErrorKind::Connect,
            format!(
                "Could not connect to {host}: {}. Check the base URL and that the server is reachable.",
                short_reason(&lower)
            ),
        )
    } else if lower.contains("reset") || is_early_close(&lower) {
        // The request may have arrived before the connection broke.
        let how = if lower.contains("reset") {
            "reset the connection"
        } else {
            "closed the connection"
        };
        error(
            TransportErrorKind::Other,
            format!(
                "{host}{} {how} before answering. The request may or may not have been received: check (history, the provider's dashboard) before sending again.",
                via(route)
            ),
        )
    } else {
        error(
            TransportErrorKind::Other,
            format!(
                "The request to {host}{} failed before an answer arrived.",
                via(route)
            ),
        )
    }
}

/// Error texts of rustls and hyper-rustls for a handshake that went wrong (not a certificate).
fn is_tls_failure(lower: &str) -> bool {
    [
        "tls",
        "handshake",
        "corrupt message",
        "invalidcontenttype",
        "alert",
        "peer is incompatible",
        "peer misbehaved",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

fn tls_reason(lower: &str) -> &'static str {
    if lower.contains("corrupt message") || lower.contains("invalidcontenttype") {
        "the server answered with something that is not TLS, perhaps plain http"
    } else if lower.contains("alert") {
        "the server refused it"
    } else if lower.contains("incompatible") {
        "the server and Pushdeck share no TLS version or cipher"
    } else {
        "the server broke it off"
    }
}

/// The server hung up before a complete answer head.
fn is_early_close(lower: &str) -> bool {
    [
        // "connection closed before message completed", and hyper's "operation was canceled:
        // connection closed" when the peer closes an HTTP/2 connection under the request (as
        // TLS 1.3 does when it refuses a client certificate just after the handshake).
        "connection closed",
        "incomplete message",
        "unexpected eof",
        "end of file",
        "broken pipe",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

fn short_reason(lower: &str) -> &'static str {
    if lower.contains("refused") {
        "the connection was refused (nothing is listening there)"
    } else if lower.contains("dns") || lower.contains("resolve") || lower.contains("name") {
        "the host name could not be found"
    } else if lower.contains("reset") {
        "the connection was reset"
    } else {
        "the network said no"
    }
}

/// Whether a failure with a client certificate looks like the server refusing it: a TLS alert, or
/// the connection dying before the request went out. A server certificate that is not trusted is
/// another matter (rustls says "invalid peer certificate").
fn refused_client_certificate(lower: &str) -> bool {
    !lower.contains("invalid peer certificate")
        && (lower.contains("alert")
            || lower.contains("connection was not ready")
            || lower.contains("handshake")
            || is_early_close(lower)
            || lower.contains("reset"))
}
