//! The credentials check's request and answer: a background push to a dummy device token, which
//! APNs refuses only after it accepted the provider token or the client certificate.

use super::auth::{mint, setting};
use super::errors::{reason, reason_outcome};
use super::{Apns, CHECK_TOKEN, certificate, root};
use crate::draft::DraftError;
use crate::http::{Body, Exchange, PreparedRequest};
use crate::outcome::Outcome;
use crate::profile::{Profile, Secrets};
use crate::provider::shared::answer;

/// The calls beside sending, behind `Provider::call`.
impl Apns {
    pub(super) fn check(
        &self,
        profile: &Profile,
        secrets: &Secrets,
    ) -> Result<PreparedRequest, DraftError> {
        let cert = certificate::for_profile(profile, secrets, crate::clock::now())?;
        let url = format!("{}/3/device/{CHECK_TOKEN}", root(profile, cert.as_ref())?);
        let mut r = PreparedRequest::new("POST", url).http2_only();
        let bundle = match &cert {
            Some(c) => {
                r = c.apply(r);
                c.topic.clone()
            }
            None => {
                let token = mint(profile, secrets, crate::clock::now())?;
                r = r.header("authorization", format!("bearer {}", token.value));
                r.add_secret("provider_token", &token.value);
                setting(profile, "topic", "topic (bundle id)")?.to_string()
            }
        };
        r = r
            .header("apns-topic", bundle)
            .header("apns-push-type", "background")
            .header("apns-priority", "5")
            .header("apns-expiration", "0")
            .header("content-type", "application/json");
        r.body = Body::Text(r#"{"aps":{"content-available":1}}"#.into());
        Ok(r)
    }

    pub(super) fn interpret_check(&self, exchange: &Exchange) -> Outcome {
        let response = match answer(exchange) {
            Ok(response) => response,
            Err(outcome) => return certificate::with_facts(outcome, exchange),
        };
        let outcome = match reason(response).as_str() {
            "BadDeviceToken" if exchange.request.client_identity.is_some() => Outcome::accepted(
                "Certificate and topic work: APNs accepted the client certificate and refused only the dummy device token",
            ),
            "BadDeviceToken" => Outcome::accepted(
                "Key, team and topic work: APNs accepted the provider token and refused only the dummy device token",
            ),
            _ if response.status == 200 => Outcome::accepted("APNs accepted the provider token"),
            _ => reason_outcome(response),
        };
        certificate::with_facts(outcome, exchange)
    }
}
