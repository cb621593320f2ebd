//! Which way a request goes: straight to its host or through a proxy (the profile's own, or the
//! one the environment names as curl reads it), and which extra certificates it trusts. The
//! transport sends by this decision and the Request pane / `preview` print it, so what is shown is
//! what happens.

use std::path::PathBuf;

use super::redact::REDACTION;

/// A profile's network settings: its `proxy` and `ca_certificates` settings and the
/// `proxy_password` secret. Its `Debug` never prints the password.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Network {
    /// A proxy URL (`http://`, `https://`, `socks5://`, `socks5h://`; the user may be in it), or
    /// `direct` to ignore the environment's proxy.
    pub proxy: Option<String>,
    /// The proxy user's password, from the keyring.
    pub proxy_password: Option<String>,
    /// A PEM bundle trusted in addition to the system's roots.
    pub ca_certificates: Option<PathBuf>,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("proxy", &self.proxy.as_deref().map(redact_proxy_url))
            .field("proxy_password", &self.proxy_password.as_ref().map(|_| "…"))
            .field("ca_certificates", &self.ca_certificates)
            .finish()
    }
}

/// Schemes a proxy URL may have.
pub const PROXY_SCHEMES: [&str; 4] = ["http", "https", "socks5", "socks5h"];

/// The value of the `proxy` setting that means "no proxy, whatever the environment says".
pub const DIRECT: &str = "direct";

/// The route line when no proxy is configured anywhere: the text dump and the Request pane leave
/// it out, as it says nothing new.
pub const UNCONFIGURED: &str = "direct (no proxy configured)";

/// Where a proxy came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxySource {
    Profile,
    /// The environment variable, by the name it was found under.
    Env(&'static str),
}

/// The way one request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Direct(DirectReason),
    Proxy {
        /// The URL to connect through, credentials included: never shown.
        url: url::Url,
        source: ProxySource,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectReason {
    /// No proxy is configured anywhere.
    Unconfigured,
    /// The host matches `NO_PROXY` (the variable's name as found).
    NoProxy(&'static str),
    /// The profile's `proxy` is `direct`.
    ProfileDirect,
    /// HTTP/2 over cleartext (a local APNs stand-in) cannot go through a forwarding proxy.
    Cleartext2,
}

/// A problem with the network settings themselves (a proxy URL that is not one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkError(pub String);

/// Reads the environment variables curl reads.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Checks a `proxy` setting as typed: a URL with a scheme Pushdeck can use and no password in it
/// (the password belongs in the keyring, never in the settings file).
pub fn check_proxy_setting(value: &str) -> Result<(), String> {
    let value = value.trim();
    if value.eq_ignore_ascii_case(DIRECT) {
        return Ok(());
    }
    let url = url::Url::parse(value).map_err(|e| {
        format!(
            "`{}` is not a proxy URL ({e}); write it like http://proxy.example.com:3128 or socks5://127.0.0.1:1080, or `direct` for no proxy",
            redact_proxy_url(value)
        )
    })?;
    if !PROXY_SCHEMES.contains(&url.scheme()) {
        return Err(format!(
            "a proxy URL starts with http://, https://, socks5:// or socks5h://, not {}://",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the proxy URL has no host".into());
    }
    if url.password().is_some() {
        return Err("the proxy URL holds a password; keep only the user in it (http://USER@host:port) and store the password as the profile's `proxy_password` secret, so it stays out of files".into());
    }
    Ok(())
}

/// The proxy URL with any password masked, for display.
pub fn redact_proxy_url(value: &str) -> String {
    match url::Url::parse(value) {
        Ok(url) => shown_url(&url),
        // Not a URL: show nothing of it after a possible `user:password@`.
        Err(_) => match value.rsplit_once('@') {
            Some((_, host)) => format!("{}@{host}", REDACTION),
            None => value.to_string(),
        },
    }
}

impl Route {
    /// How `url` goes with `network`, the environment read through `env` (curl's rules: the
    /// profile's proxy first; then `https_proxy`/`HTTPS_PROXY` for https, only lowercase
    /// `http_proxy` for http; then `all_proxy`/`ALL_PROXY`; `no_proxy`/`NO_PROXY` exempts hosts
    /// from any of them).
    pub fn resolve(
        url: &url::Url,
        http2_only: bool,
        network: &Network,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Route, NetworkError> {
        let chosen = match network.proxy.as_deref().map(str::trim) {
            Some(p) if p.eq_ignore_ascii_case(DIRECT) => {
                return Ok(Route::Direct(DirectReason::ProfileDirect));
            }
            Some(p) if !p.is_empty() => Some((p.to_string(), ProxySource::Profile)),
            _ => from_env(url.scheme(), env),
        };
        let Some((text, source)) = chosen else {
            return Ok(Route::Direct(DirectReason::Unconfigured));
        };
        if let Some((list, name)) = first(env, &["no_proxy", "NO_PROXY"])
            && exempts(&list, url)
        {
            return Ok(Route::Direct(DirectReason::NoProxy(name)));
        }
        if http2_only && url.scheme() == "http" {
            return Ok(Route::Direct(DirectReason::Cleartext2));
        }
        // curl takes a bare `host:port` as an http proxy.
        let with_scheme = if text.contains("://") {
            text.clone()
        } else {
            format!("http://{text}")
        };
        let named = match &source {
            ProxySource::Profile => "the profile's `proxy` setting".to_string(),
            ProxySource::Env(name) => format!("the {name} environment variable"),
        };
        let mut proxy = url::Url::parse(&with_scheme).map_err(|e| {
            NetworkError(format!(
                "The proxy in {named} (`{}`) is not a URL: {e}. Write it like http://proxy.example.com:3128.",
                redact_proxy_url(&text)
            ))
        })?;
        if !PROXY_SCHEMES.contains(&proxy.scheme()) {
            return Err(NetworkError(format!(
                "The proxy in {named} is a {}:// URL; Pushdeck speaks to http://, https://, socks5:// and socks5h:// proxies.",
                proxy.scheme()
            )));
        }
        if source == ProxySource::Profile && !proxy.username().is_empty() {
            match &network.proxy_password {
                Some(password) => {
                    let _ = proxy.set_password(Some(password));
                }
                // A user without a password is credentials not yet stored: send none, so the
                // proxy says it wants them (407) instead of refusing a half login.
                None => {
                    let _ = proxy.set_username("");
                }
            }
        }
        Ok(Route::Proxy { url: proxy, source })
    }

    /// One line for the Request pane and `preview`: "via proxy http://proxy:3128 (from
    /// HTTPS_PROXY)", "direct (NO_PROXY)"… Credentials never appear.
    pub fn describe(&self) -> String {
        match self {
            Route::Direct(DirectReason::Unconfigured) => UNCONFIGURED.into(),
            Route::Direct(DirectReason::NoProxy(name)) => format!("direct ({name})"),
            Route::Direct(DirectReason::ProfileDirect) => {
                "direct (the profile's proxy is `direct`)".into()
            }
            Route::Direct(DirectReason::Cleartext2) => {
                "direct (HTTP/2 without TLS cannot pass a proxy)".into()
            }
            Route::Proxy { source, .. } => {
                let from = match source {
                    ProxySource::Profile => "the profile's proxy setting",
                    ProxySource::Env(name) => name,
                };
                format!("via proxy {} (from {from})", self.shown_proxy())
            }
        }
    }

    /// The proxy's URL without credentials (the user kept, the password masked), or "".
    pub fn shown_proxy(&self) -> String {
        match self {
            Route::Proxy { url, .. } => shown_url(url),
            Route::Direct(_) => String::new(),
        }
    }

    /// Whether credentials go to the proxy.
    pub fn has_credentials(&self) -> bool {
        matches!(self, Route::Proxy { url, .. } if !url.username().is_empty())
    }

    pub fn is_proxy(&self) -> bool {
        matches!(self, Route::Proxy { .. })
    }
}

/// `scheme://[user[:••••]@]host[:port]`: a proxy URL as shown (`Url` would percent-encode the
/// mask, and adds a trailing slash the setting never had).
fn shown_url(url: &url::Url) -> String {
    let mut text = format!("{}://", url.scheme());
    if !url.username().is_empty() {
        text.push_str(url.username());
        if url.password().is_some() {
            text.push(':');
            text.push_str(REDACTION);
        }
        text.push('@');
    }
    text.push_str(url.host_str().unwrap_or(""));
    if let Some(port) = url.port() {
        text.push_str(&format!(":{port}"));
    }
    text
}

/// The environment's proxy for `scheme`, by curl's rules.
fn from_env(scheme: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<(String, ProxySource)> {
    let names: &[&'static str] = match scheme {
        "https" => &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"],
        // curl ignores HTTP_PROXY: in a CGI script it is set by the client's `Proxy:` header.
        "http" => &["http_proxy", "all_proxy", "ALL_PROXY"],
        _ => return None,
    };
    first(env, names).map(|(value, name)| (value, ProxySource::Env(name)))
}

fn first(
    env: &dyn Fn(&str) -> Option<String>,
    names: &[&'static str],
) -> Option<(String, &'static str)> {
    names
        .iter()
        .find_map(|name| env(name).map(|v| (v.trim().to_string(), *name)))
        .filter(|(v, _)| !v.is_empty())
}

/// Whether the NO_PROXY list exempts the URL's host (matching is hyper-util's: `*`, domains with
/// their subdomains, IP addresses and CIDR ranges).
fn exempts(list: &str, url: &url::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let matcher = hyper_util::client::proxy::matcher::Matcher::builder()
        .all("http://proxy.invalid")
        .no(list)
        .build();
    let Ok(uri) = format!("http://{host}/").parse::<http::Uri>() else {
        return false;
    };
    matcher.intercept(&uri).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn route(url: &str, network: &Network, vars: &'static [(&'static str, &'static str)]) -> Route {
        let url = url::Url::parse(url).expect("url");
        Route::resolve(&url, false, network, &env_of(vars)).expect("resolves")
    }

    #[test]
    fn https_takes_https_proxy_and_says_so() {
        let r = route(
            "https://api.example.com/x",
            &Network::default(),
            &[("HTTPS_PROXY", "http://proxy:3128")],
        );
        assert_eq!(
            r.describe(),
            "via proxy http://proxy:3128 (from HTTPS_PROXY)"
        );
        let r = route(
            "https://api.example.com/x",
            &Network::default(),
            &[
                ("https_proxy", "proxy:3128"),
                ("HTTPS_PROXY", "http://other:1"),
            ],
        );
        assert_eq!(
            r.describe(),
            "via proxy http://proxy:3128 (from https_proxy)"
        );
    }

    #[test]
    fn plain_http_ignores_uppercase_http_proxy_like_curl() {
        let r = route(
            "http://127.0.0.1:9/x",
            &Network::default(),
            &[("HTTP_PROXY", "http://proxy:3128")],
        );
        assert_eq!(r.describe(), "direct (no proxy configured)");
        let r = route(
            "http://127.0.0.1:9/x",
            &Network::default(),
            &[("http_proxy", "http://proxy:3128")],
        );
        assert_eq!(
            r.describe(),
            "via proxy http://proxy:3128 (from http_proxy)"
        );
    }

    #[test]
    fn all_proxy_is_the_fallback() {
        let r = route(
            "https://a.example/",
            &Network::default(),
            &[("ALL_PROXY", "socks5h://127.0.0.1:1080")],
        );
        assert_eq!(
            r.describe(),
            "via proxy socks5h://127.0.0.1:1080 (from ALL_PROXY)"
        );
    }

    #[test]
    fn no_proxy_exempts_hosts_and_subdomains_and_ranges() {
        let vars: &[(&str, &str)] = &[
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("NO_PROXY", "example.com, 10.0.0.0/8"),
        ];
        assert_eq!(
            route("https://api.example.com/", &Network::default(), vars).describe(),
            "direct (NO_PROXY)"
        );
        assert_eq!(
            route("https://10.1.2.3/", &Network::default(), vars).describe(),
            "direct (NO_PROXY)"
        );
        assert!(route("https://notexample.com/", &Network::default(), vars).is_proxy());
        // Loopback is proxied unless NO_PROXY names it, as curl does.
        assert!(route("https://127.0.0.1:8443/", &Network::default(), vars).is_proxy());
        let star: &[(&str, &str)] = &[("https_proxy", "http://p:1"), ("no_proxy", "*")];
        assert_eq!(
            route("https://x.example/", &Network::default(), star).describe(),
            "direct (no_proxy)"
        );
    }

    #[test]
    fn the_profile_proxy_wins_and_hides_its_password() {
        let network = Network {
            proxy: Some("http://alice@corp-proxy:8080".into()),
            proxy_password: Some("s3cret".into()),
            ca_certificates: None,
        };
        let r = route(
            "https://api.example.com/",
            &network,
            &[("HTTPS_PROXY", "http://other:3128")],
        );
        let Route::Proxy { url, .. } = &r else {
            panic!("{r:?}")
        };
        assert_eq!(url.password(), Some("s3cret"));
        let line = r.describe();
        assert_eq!(
            line,
            format!(
                "via proxy http://alice:{}@corp-proxy:8080 (from the profile's proxy setting)",
                REDACTION
            )
        );
        assert!(!line.contains("s3cret"));
        assert!(!format!("{network:?}").contains("s3cret"));
    }

    #[test]
    fn a_user_without_a_stored_password_sends_no_credentials() {
        let network = Network {
            proxy: Some("http://alice@corp-proxy:8080".into()),
            ..Network::default()
        };
        let r = route("https://api.example.com/", &network, &[]);
        assert!(!r.has_credentials(), "{r:?}");
        assert_eq!(
            r.describe(),
            "via proxy http://corp-proxy:8080 (from the profile's proxy setting)"
        );
    }

    #[test]
    fn env_credentials_are_redacted() {
        let r = route(
            "https://a.example/",
            &Network::default(),
            &[("HTTPS_PROXY", "http://bob:hunter2@proxy:3128")],
        );
        assert!(!r.describe().contains("hunter2"), "{}", r.describe());
    }

    #[test]
    fn direct_profile_ignores_the_environment() {
        let network = Network {
            proxy: Some("direct".into()),
            ..Network::default()
        };
        let r = route(
            "https://a.example/",
            &network,
            &[("HTTPS_PROXY", "http://p:1")],
        );
        assert_eq!(r, Route::Direct(DirectReason::ProfileDirect));
    }

    #[test]
    fn a_bad_proxy_is_named() {
        let url = url::Url::parse("https://a.example/").expect("url");
        let env = env_of(&[("HTTPS_PROXY", "ftp://p:1")]);
        let e = Route::resolve(&url, false, &Network::default(), &env).expect_err("refused");
        assert!(e.0.contains("HTTPS_PROXY"), "{}", e.0);
    }

    #[test]
    fn proxy_settings_are_checked() {
        assert!(check_proxy_setting("http://proxy:3128").is_ok());
        assert!(check_proxy_setting("socks5h://alice@127.0.0.1:1080").is_ok());
        assert!(check_proxy_setting("direct").is_ok());
        let e = check_proxy_setting("http://alice:pw@proxy:3128").expect_err("password");
        assert!(e.contains("proxy_password") && !e.contains("pw@"), "{e}");
        assert!(check_proxy_setting("ftp://proxy:21").is_err());
    }
}
