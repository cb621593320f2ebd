//! What an exchange means, in words: the provider's verdict, judged from the body as well as the
//! status.

use serde::{Deserialize, Serialize};

use crate::http::{Exchange, MAX_RESPONSE_BYTES, ResponseDump, SecretRef, TransportErrorKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The provider accepted it.
    Accepted,
    /// The provider answered and said no (4xx/5xx, or an error in a 2xx body).
    Refused,
    /// Nothing usable came back: connect, TLS, timeout, cancelled.
    TransportFailed,
    /// Built but deliberately not sent (preview, local dry run).
    NotSent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub verdict: Verdict,
    /// One line a marketer understands.
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// What to do about it, when there is something to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Seconds the provider asked us to wait before retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Extra structured data a provider reports (e.g. lists loaded by a lookup).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<LookupItem>,
    /// The recipient no longer exists (a Web Push 404/410): the front ends offer to remove it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gone: bool,
    /// A credential check's findings, local ones first, the read-only call's answer last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<crate::finding::Finding>,
}

/// One thing a lookup found: the value that goes into the audience, and how to show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupItem {
    pub value: String,
    pub label: String,
}

impl LookupItem {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            label: label.into(),
        }
    }

    /// An item shown as its own value.
    pub fn plain(value: impl Into<String>) -> Self {
        let value = value.into();
        Self {
            label: value.clone(),
            value,
        }
    }
}

impl Outcome {
    pub fn accepted(summary: impl Into<String>) -> Self {
        Self::new(Verdict::Accepted, summary)
    }

    pub fn refused(summary: impl Into<String>) -> Self {
        Self::new(Verdict::Refused, summary)
    }

    pub fn not_sent(summary: impl Into<String>) -> Self {
        Self::new(Verdict::NotSent, summary)
    }

    fn new(verdict: Verdict, summary: impl Into<String>) -> Self {
        Self {
            verdict,
            summary: summary.into(),
            message_id: None,
            hint: None,
            retry_after: None,
            items: Vec::new(),
            gone: false,
            findings: Vec::new(),
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.message_id = Some(id.into());
        self
    }

    pub fn is_ok(&self) -> bool {
        self.verdict == Verdict::Accepted
    }

    /// A check's read-only call as the doctor's last finding: the summary, with the hint and the
    /// HTTP status as its detail.
    pub fn finding(&self, status: Option<String>) -> crate::finding::Finding {
        use crate::finding::Finding;
        let detail = [self.hint.clone(), status]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; ");
        let finding = match self.verdict {
            Verdict::Accepted => Finding::ok(self.summary.clone()),
            Verdict::NotSent => Finding::warn(self.summary.clone()),
            Verdict::Refused | Verdict::TransportFailed => Finding::fail(self.summary.clone()),
        };
        if detail.is_empty() {
            finding
        } else {
            finding.with_detail(detail)
        }
    }

    /// The transport's own verdict when no usable response arrived: no answer at all, a redirect
    /// (never followed, so credentials stay with the host they were meant for), or an answer too
    /// large to keep whole. `None` when there is a complete response for the provider to judge.
    /// The summary never carries a secret of the request.
    pub fn from_transport(exchange: &Exchange) -> Option<Outcome> {
        let outcome = if let Some(error) = exchange.error.as_ref() {
            // The transport's words are the summary: a cancelled request's say whether it was
            // kept from starting ("Not sent: …") or abandoned on its way (in doubt).
            let mut outcome = Outcome::new(Verdict::TransportFailed, error.message.clone());
            if error.kind == TransportErrorKind::Abandoned {
                outcome.hint = Some(
                    "Resuming the send skips it unless you include those in doubt: check with the recipient first if a second copy would hurt.".into(),
                );
            }
            outcome
        } else {
            let response = exchange.response.as_ref()?;
            if is_redirect(response.status) {
                redirect(exchange, response)
            } else if response.truncated {
                truncated(exchange, response)
            } else {
                return None;
            }
        };
        Some(outcome.without_secrets(&exchange.request.secrets))
    }

    /// The same outcome with every secret of the request masked in its words: a provider may
    /// quote the request or the answer (an error that echoes a key, a signature mismatch that
    /// shows what was signed), and outcomes are printed and kept in history.
    pub fn without_secrets(mut self, secrets: &[SecretRef]) -> Outcome {
        let quotes = |text: &str| {
            secrets
                .iter()
                .any(|s| !s.value.is_empty() && text.contains(&s.value))
        };
        if quotes(&self.summary) {
            self.summary = crate::http::mask_all(&self.summary, secrets);
        }
        if let Some(hint) = self.hint.as_mut()
            && quotes(hint)
        {
            *hint = crate::http::mask_all(hint, secrets);
        }
        for item in &mut self.items {
            if quotes(&item.label) {
                item.label = crate::http::mask_all(&item.label, secrets);
            }
        }
        for finding in &mut self.findings {
            if quotes(&finding.text) {
                finding.text = crate::http::mask_all(&finding.text, secrets);
            }
            if let Some(detail) = finding.detail.as_mut()
                && quotes(detail)
            {
                *detail = crate::http::mask_all(detail, secrets);
            }
        }
        self
    }

    /// A generic reading of an HTTP status for providers' unlisted cases.
    pub fn from_status(provider: &str, status: u16, detail: &str) -> Outcome {
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(": {detail}")
        };
        match status {
            200..=299 => Outcome::accepted(format!("{provider} accepted it ({status}){detail}")),
            401 | 403 => Outcome::refused(format!("{provider} refused the credentials ({status}){detail}"))
                .with_hint("Check the key in this profile (Edit credentials) and that it belongs to this app or account."),
            404 => Outcome::refused(format!("{provider} could not find it ({status}){detail}"))
                .with_hint("Check the IDs in this profile and the base URL."),
            429 => Outcome::refused(format!("{provider} is rate limiting ({status}){detail}"))
                .with_hint("Wait a little and send again."),
            500..=599 => Outcome::refused(format!("{provider} had a server error ({status}){detail}"))
                .with_hint("This is on the provider's side; try again in a few minutes."),
            _ => Outcome::refused(format!("{provider} refused it ({status}){detail}")),
        }
    }
}

/// 3xx answers that point elsewhere (304 Not Modified is no redirect).
fn is_redirect(status: u16) -> bool {
    (300..400).contains(&status) && status != 304
}

/// `scheme://host[:port]` of a redirect target, resolved against the request URL; never its path
/// or query, which may echo a token.
fn origin_of(location: &str, request_url: &str) -> Option<String> {
    let base = url::Url::parse(request_url).ok()?;
    let target = base.join(location.trim()).ok()?;
    let host = target.host_str()?;
    Some(match target.port() {
        Some(port) => format!("{}://{host}:{port}", target.scheme()),
        None => format!("{}://{host}", target.scheme()),
    })
}

fn status_words(response: &ResponseDump) -> String {
    if response.reason.is_empty() {
        response.status.to_string()
    } else {
        format!("{} {}", response.status, response.reason)
    }
}

fn redirect(exchange: &Exchange, response: &ResponseDump) -> Outcome {
    let host = exchange.request.host();
    let status = status_words(response);
    let own_origin = origin_of(&exchange.request.url, &exchange.request.url);
    let summary = match response
        .header("location")
        .and_then(|l| origin_of(l, &exchange.request.url))
    {
        Some(origin) if Some(&origin) == own_origin.as_ref() => format!(
            "{host} answered {status}: a redirect to another path on the same server. Pushdeck does not follow redirects, so the message was not delivered there."
        ),
        Some(origin) => format!(
            "{host} answered {status}: a redirect to {origin}. Pushdeck does not follow redirects, so nothing was sent there and the credentials stayed with {host}."
        ),
        None => format!(
            "{host} answered {status}: a redirect. Pushdeck does not follow redirects, so nothing was sent anywhere else."
        ),
    };
    Outcome::refused(summary).with_hint(
        "Check the base URL: it should be the provider's API root. If the redirect goes where you expect (http → https, a moved server), put that address in the profile instead.",
    )
}

fn truncated(exchange: &Exchange, response: &ResponseDump) -> Outcome {
    let megabytes = MAX_RESPONSE_BYTES / (1024 * 1024);
    let mut outcome = Outcome::new(Verdict::TransportFailed, format!(
        "{} answered {} with a body larger than {megabytes} MB; Pushdeck kept only the first {megabytes} MB (capped), so it cannot tell whether the message was accepted.",
        exchange.request.host(),
        status_words(response)
    ))
    .with_hint(
        "No push API answers with this much: check that the base URL is the provider's API and not a download or a web page. Look at the history before sending again, in case it was delivered.",
    );
    outcome.retry_after = response.retry_after();
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Body, PreparedRequest};

    #[test]
    fn a_refused_check_call_is_a_failing_finding_with_its_hint_and_status() {
        use crate::finding::Level;
        let f = Outcome::refused("Key refused")
            .with_hint("make a new one")
            .finding(Some("HTTP 401".into()));
        assert_eq!(f.level, Level::Fail);
        assert_eq!(f.detail.as_deref(), Some("make a new one; HTTP 401"));
        assert!(!f.stops);
        assert_eq!(Outcome::accepted("fine").finding(None).detail, None);
    }

    fn answered(status: u16, headers: &[(&str, &str)], truncated: bool) -> Exchange {
        let request =
            PreparedRequest::new("POST", "https://api.example.com/bot123:SECRETTOKEN/send")
                .secret_header(
                    "Authorization",
                    "Key SECRETTOKEN",
                    "api_key",
                    "123:SECRETTOKEN",
                );
        let mut exchange = Exchange::unsent(request);
        exchange.response = Some(ResponseDump {
            status,
            reason: String::new(),
            version: "HTTP/1.1".into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Body::Text("{}".into()),
            truncated,
        });
        exchange
    }

    #[test]
    fn a_redirect_is_explained_and_names_only_the_other_origin() {
        let ex = answered(
            302,
            &[("Location", "http://evil.example:8080/bot123:SECRETTOKEN/x")],
            false,
        );
        let o = Outcome::from_transport(&ex).expect("a redirect is the transport's to explain");
        assert_eq!(o.verdict, Verdict::Refused);
        assert!(
            o.summary.contains("http://evil.example:8080"),
            "{}",
            o.summary
        );
        assert!(
            o.summary.contains("does not follow redirects"),
            "{}",
            o.summary
        );
        assert!(!o.summary.contains("SECRETTOKEN"), "{}", o.summary);
        let same = answered(301, &[("location", "/v2/send")], false);
        let o = Outcome::from_transport(&same).expect("redirect");
        assert!(o.summary.contains("same server"), "{}", o.summary);
        assert!(Outcome::from_transport(&answered(304, &[], false)).is_none());
        assert!(Outcome::from_transport(&answered(200, &[], false)).is_none());
    }

    #[test]
    fn a_capped_body_is_said_so() {
        let o =
            Outcome::from_transport(&answered(200, &[("Retry-After", "7")], true)).expect("capped");
        assert_eq!(o.verdict, Verdict::TransportFailed);
        assert!(o.summary.contains("capped"), "{}", o.summary);
        assert_eq!(o.retry_after, Some(7));
    }

    #[test]
    fn transport_words_never_carry_a_secret() {
        let mut ex = answered(200, &[], false);
        ex.response = None;
        ex.error = Some(crate::http::TransportError {
            kind: TransportErrorKind::Connect,
            message: "`https://api.example.com/bot123:SECRETTOKEN/send` failed".into(),
            detail: String::new(),
        });
        let o = Outcome::from_transport(&ex).expect("failure");
        assert!(!o.summary.contains("SECRETTOKEN"), "{}", o.summary);
        let quoted = Outcome::refused("bad key 123:SECRETTOKEN")
            .with_hint("SECRETTOKEN")
            .without_secrets(&ex.request.secrets);
        assert!(
            !quoted.summary.contains("SECRETTOKEN"),
            "{}",
            quoted.summary
        );
    }
}
