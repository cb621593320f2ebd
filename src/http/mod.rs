//! What goes over the wire: prepared requests, the recorded exchange, redaction, copy-as-curl, and
//! the one transport that sends.

mod arrival;
mod curl;
pub mod dump;
mod exchange;
mod identity;
mod lane;
pub mod listener;
mod network;
mod proxy_probe;
mod redact;
mod request;
mod transport;
mod transport_errors;

pub use arrival::Arrival;
pub use curl::to_curl;
pub use exchange::{
    Exchange, MAX_RESPONSE_BYTES, ResponseDump, TransportError, TransportErrorKind,
};
pub use identity::ClientIdentity;
pub use lane::Lane;
pub use network::{
    DIRECT, DirectReason, Network, NetworkError, PROXY_SCHEMES, ProxySource, Route, UNCONFIGURED,
    check_proxy_setting, redact_proxy_url,
};
pub(crate) use redact::mask_all;
pub use redact::{REDACTION, redact_value};
pub use request::{Body, PreparedRequest, SecretRef, check_base_url, is_loopback_url};
pub use transport::{Transport, mask_echoed_secrets};
