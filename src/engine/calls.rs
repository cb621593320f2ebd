//! The calls beside sending — checks, lookups, a provider's own actions, the Preview's image —
//! through the same transport, scrubbed by the same code, and recorded.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Engine;
use super::report::SendResult;
use super::run::{RunPlan, run};
use crate::draft::DraftError;
use crate::http::{Exchange, PreparedRequest};
use crate::profile::{Profile, Secrets};
use crate::provider::{Call, CallPlan, Provider};
use crate::store::{CallRecord, history_result};

impl Engine {
    /// Makes one call beside sending and records it (`history/calls.jsonl`), redacted. `Err` when
    /// the call cannot be built (a missing secret, an unknown lookup): nothing was sent.
    pub async fn call(
        &self,
        provider: &'static dyn Provider,
        profile: &Profile,
        secrets: &Secrets,
        call: Call,
        timeout: Duration,
    ) -> Result<Arc<SendResult>, DraftError> {
        let result = match provider.call(&call, profile, secrets)? {
            CallPlan::Local(outcome) => {
                let request =
                    PreparedRequest::new("CHECK", format!("local:{}", provider.info().id));
                Arc::new(SendResult {
                    index: 0,
                    exchange: Exchange::unsent(request),
                    outcome,
                    retried: Vec::new(),
                })
            }
            CallPlan::Request(mut request) => {
                request.use_network(profile.network(secrets));
                self.call_request(provider, &call, request, timeout).await
            }
        };
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
        Ok(result)
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
            &|_| {},
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
