//! The calls beside sending — checks, lookups, a provider's own actions, the Preview's image —
//! through the same transport, scrubbed by the same code, and recorded.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Engine;
use super::report::SendResult;
use super::run::{Hooks, RunPlan, run};
use crate::draft::{Audience, DraftError};
use crate::finding::Finding;
use crate::http::{Exchange, PreparedRequest};
use crate::outcome::Outcome;
use crate::profile::{Profile, Secrets};
use crate::provider::{Call, CallPlan, InspectContext, Provider};
use crate::store::{CallRecord, history_result};

impl Engine {
    /// Makes one call beside sending and records it (`history/calls.jsonl`), redacted. `Err` when
    /// the call cannot be built (a missing secret, an unknown lookup): nothing was sent. A check
    /// is never `Err`: what stops it is one of its findings.
    pub async fn call(
        &self,
        provider: &'static dyn Provider,
        profile: &Profile,
        secrets: &Secrets,
        call: Call,
        timeout: Duration,
    ) -> Result<Arc<SendResult>, DraftError> {
        if call == Call::Check {
            return Ok(self.check(provider, profile, secrets, None, timeout).await);
        }
        let result = self
            .call_once(provider, profile, secrets, &call, timeout)
            .await?;
        self.record(provider, profile, &call, &result);
        Ok(result)
    }

    /// The credential doctor: the provider's local findings (no I/O), then — unless one of them
    /// makes it pointless — the read-only call, whose answer is the last finding. Always an
    /// answer: a check that cannot be built is a finding too. With the audience of a draft (the
    /// window's composer, `check --draft`), the findings cover what it names as well.
    pub async fn check(
        &self,
        provider: &'static dyn Provider,
        profile: &Profile,
        secrets: &Secrets,
        audience: Option<&Audience>,
        timeout: Duration,
    ) -> Arc<SendResult> {
        let cached = self.cached_token_of(provider, profile, secrets);
        let mut findings = provider.inspect(&InspectContext {
            profile,
            secrets,
            now: crate::clock::now(),
            cached: cached.as_ref(),
            audience: audience.map(|a| &**a),
        });
        let stopped = findings.iter().find(|f| f.stops).map(|f| f.text.clone());
        let built = match stopped {
            Some(first) => Err(first),
            None => self
                .call_once(provider, profile, secrets, &Call::Check, timeout)
                .await
                .map_err(|e| {
                    findings.push(
                        Finding::fatal("The check could not be made.").with_detail(e.to_string()),
                    );
                    e.message
                }),
        };
        let mut result = match built {
            Ok(result) => result,
            Err(first) => local_result(
                provider,
                Outcome::refused(format!("Nothing was sent: {first}"))
                    .with_hint("fix the ✗ findings, then check again"),
            ),
        };
        if result.exchange.response.is_some()
            || result.exchange.error.is_some()
            || result.outcome.is_ok()
        {
            let status = result
                .exchange
                .response
                .as_ref()
                .map(|r| format!("HTTP {} {}", r.status, r.reason));
            findings.push(result.outcome.finding(status));
        }
        Arc::make_mut(&mut result).outcome.findings = findings;
        // Recorded with its findings, so `history calls` shows what the doctor said.
        self.record(provider, profile, &Call::Check, &result);
        result
    }

    /// One call as the provider plans it; the caller records it.
    async fn call_once(
        &self,
        provider: &'static dyn Provider,
        profile: &Profile,
        secrets: &Secrets,
        call: &Call,
        timeout: Duration,
    ) -> Result<Arc<SendResult>, DraftError> {
        Ok(match provider.call(call, profile, secrets)? {
            CallPlan::Local(outcome) => local_result(provider, outcome),
            CallPlan::Request(mut request) => {
                request.use_network(profile.network(secrets));
                self.call_request(provider, call, request, timeout).await
            }
        })
    }

    fn record(
        &self,
        provider: &'static dyn Provider,
        profile: &Profile,
        call: &Call,
        result: &SendResult,
    ) {
        let record = CallRecord {
            at: crate::clock::now_rfc3339(),
            provider: provider.info().id.to_string(),
            profile: profile.name.clone(),
            call: call.label(),
            result: history_result(&result.exchange, &result.outcome),
        };
        if let Err(e) = self.history().calls().add(record) {
            tracing::warn!(error = %e, "a call could not be recorded");
        }
    }

    async fn call_request(
        &self,
        provider: &'static dyn Provider,
        call: &Call,
        request: PreparedRequest,
        timeout: Duration,
    ) -> Arc<SendResult> {
        let plan = RunPlan {
            timeout,
            concurrency: 1,
            max_per_second: None,
            retries: 0,
            index_offset: 0,
            stop_starting: None,
            lanes: false,
        };
        let owned = call.clone();
        let interpret = Arc::new(move |exchange: &Exchange| {
            let mut exchange = exchange.clone();
            // A check that is a token exchange (FCM) gets a token back: mask it like a send does.
            if let Ok(token) = provider.token_from_exchange(&exchange, crate::clock::now()) {
                exchange.request.add_secret("access_token", &token.value);
            }
            provider.interpret_call(&owned, &exchange)
        });
        let mut results = run(
            &self.transport,
            vec![request],
            &plan,
            &CancellationToken::new(),
            Hooks::new(&|_| {}, &|_| {}),
            interpret,
        )
        .await;
        let mut result = results.pop().unwrap_or_else(|| {
            Arc::new(SendResult {
                index: 0,
                exchange: Exchange::unsent(PreparedRequest::new("GET", "")),
                outcome: crate::outcome::Outcome::refused("No answer."),
                retried: Vec::new(),
            })
        });
        if let Ok(token) = provider.token_from_exchange(&result.exchange, crate::clock::now()) {
            Arc::make_mut(&mut result)
                .exchange
                .request
                .add_secret("access_token", &token.value);
        }
        result
    }

    /// One plain GET for the Preview's image, through the transport's rules (no redirects
    /// followed, plain http only to loopback, 10 MB cap), recorded like the other calls.
    pub async fn fetch(&self, url: &str, timeout: Duration) -> Result<Vec<u8>, String> {
        let request = PreparedRequest::new("GET", url).header("Accept", "image/*");
        let exchange = self.transport.send(request, timeout).await;
        let outcome = match &exchange.response {
            Some(r) if r.status == 200 => crate::outcome::Outcome::accepted("Image fetched"),
            _ => crate::outcome::Outcome::from_transport(&exchange).unwrap_or_else(|| {
                crate::outcome::Outcome::refused("The image could not be fetched")
            }),
        };
        let mut record = history_result(&exchange, &outcome);
        // The record keeps the answer's headers, not the picture itself.
        record
            .exchange
            .response
            .iter_mut()
            .for_each(|r| r.body = Default::default());
        let record = CallRecord {
            at: crate::clock::now_rfc3339(),
            provider: String::new(),
            profile: String::new(),
            call: "preview image".into(),
            result: record,
        };
        if let Err(e) = self.history().calls().add(record) {
            tracing::warn!(error = %e, "a call could not be recorded");
        }
        if let Some(error) = &exchange.error {
            return Err(error.message.clone());
        }
        let Some(response) = exchange.response else {
            return Err("no answer".into());
        };
        if response.status != 200 {
            return Err(format!(
                "the server answered {} {}",
                response.status, response.reason
            ));
        }
        if response.truncated {
            return Err("the file is larger than 10 MB".into());
        }
        Ok(response.body.as_bytes().to_vec())
    }
}

/// An answer given without the network (Web Push's check, a check stopped by its findings).
fn local_result(provider: &dyn Provider, outcome: Outcome) -> Arc<SendResult> {
    let request = PreparedRequest::new("CHECK", format!("local:{}", provider.info().id));
    Arc::new(SendResult {
        index: 0,
        exchange: Exchange::unsent(request),
        outcome,
        retried: Vec::new(),
    })
}
