//! Access tokens (an FCM OAuth token, an APNs provider JWT), cached per provider, profile and
//! credentials, in memory only.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use super::report::SendResult;
use super::{Engine, SendJob};
use crate::http::{Exchange, PreparedRequest};
use crate::outcome::Outcome;
use crate::profile::{Profile, Secrets};
use crate::provider::{Provider, Token, TokenPlan};

/// Keyed by provider, profile and a fingerprint of its secrets and settings: a changed key gets a
/// new token.
pub(super) type TokenCache = Arc<Mutex<HashMap<(String, String, u64), Token>>>;

impl Engine {
    fn token_key(job: &SendJob) -> (String, String, u64) {
        Self::key_of(job.provider, &job.profile, &job.secrets)
    }

    fn key_of(
        provider: &dyn Provider,
        profile: &Profile,
        secrets: &Secrets,
    ) -> (String, String, u64) {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        secrets.fingerprint().hash(&mut hasher);
        profile.settings.hash(&mut hasher);
        (
            provider.info().id.to_string(),
            profile.name.clone(),
            hasher.finish(),
        )
    }

    /// The fresh token cached for this profile and credentials, if any (the doctor shows its age).
    pub(super) fn cached_token_of(
        &self,
        provider: &dyn Provider,
        profile: &Profile,
        secrets: &Secrets,
    ) -> Option<Token> {
        let now = crate::clock::now();
        let cache = self.tokens.lock().ok()?;
        cache
            .get(&Self::key_of(provider, profile, secrets))
            .filter(|t| now < t.refresh_after)
            .cloned()
    }

    /// A cached token that is still fresh.
    fn cached_token(&self, job: &SendJob) -> Option<Token> {
        let now = crate::clock::now();
        let cache = self.tokens.lock().ok()?;
        cache
            .get(&Self::token_key(job))
            .filter(|t| now < t.refresh_after)
            .cloned()
    }

    /// Makes sure the job has a fresh token when its provider needs one. A token exchange is an
    /// ordinary exchange: it is returned so the front ends show and record it.
    pub(super) async fn ensure_token(
        &self,
        job: &SendJob,
    ) -> Result<(Option<Token>, Option<SendResult>), SendResult> {
        if let Some(token) = self.cached_token(job) {
            return Ok((Some(token), None));
        }
        let plan = job
            .provider
            .token_plan(&job.profile, &job.secrets, crate::clock::now())
            .map_err(|e| SendResult {
                index: 0,
                exchange: Exchange::unsent(PreparedRequest::new("POST", "")),
                outcome: Outcome::refused(e.to_string()),
                retried: Vec::new(),
            })?;
        let (token, exchange) = match plan {
            TokenPlan::None => return Ok((None, None)),
            TokenPlan::Mint(token) => (token, None),
            TokenPlan::Exchange(mut request) => {
                request.use_network(job.profile.network(&job.secrets));
                let exchange = self.transport.send(request, job.timeout).await;
                match job
                    .provider
                    .token_from_exchange(&exchange, crate::clock::now())
                {
                    Ok(token) => (token, Some(exchange)),
                    Err(outcome) => {
                        let outcome = outcome.without_secrets(&exchange.request.secrets);
                        return Err(SendResult {
                            index: 0,
                            exchange,
                            outcome,
                            retried: Vec::new(),
                        });
                    }
                }
            }
        };
        if let Ok(mut cache) = self.tokens.lock() {
            cache.insert(Self::token_key(job), token.clone());
        }
        let result = exchange.map(|mut exchange| {
            exchange.request.add_secret("access_token", &token.value);
            let minutes = (token.expires_at - crate::clock::now())
                .whole_minutes()
                .max(0);
            SendResult {
                index: 0,
                exchange,
                outcome: Outcome::accepted(format!("Got an access token, valid for {minutes} min")),
                retried: Vec::new(),
            }
        });
        Ok((Some(token), result))
    }

    /// A token the provider refused (revoked key, wrong clock) must not be reused.
    pub(super) fn forget_refused_token(&self, job: &SendJob, results: &[Arc<SendResult>]) {
        let refused = results.iter().any(|r| {
            r.exchange
                .response
                .as_ref()
                .is_some_and(|resp| matches!(resp.status, 401 | 403))
        });
        if refused && let Ok(mut cache) = self.tokens.lock() {
            cache.remove(&Self::token_key(job));
        }
    }
}
