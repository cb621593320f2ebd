//! AWS SNS Publish over the Query API, signed with SigV4 (providers.md §6).

mod account;
mod doctor;
mod errors;
mod payload;
pub mod sigv4;

use super::shared::{Refused, refuse_options};

use super::describe::{FieldKind, FieldSpec, LookupSpec, ProviderInfo, validate_keys};
use super::seam::{Call, CallPlan, PrepareContext, Prepared, Provider};
use crate::draft::{Draft, DraftError, Fields};
use crate::http::{Exchange, PreparedRequest};
use crate::outcome::{LookupItem, Outcome};
use crate::profile::Profile;
use crate::profile::Secrets;

pub use account::amz_date;
use account::{Account, VERSION};
use errors::{NAME, all_tags, judge, tag};
pub use payload::MAX_MESSAGE_BYTES;
use payload::{publish_params, raw_params};

pub struct Sns;

/// The common options outside `INFO.common_options`, and why.
const REFUSED: &[Refused] = &[
    (
        "ttl",
        "Publish has no ttl: set AWS.SNS.MOBILE.*.TTL in message.data instead; remove this option",
    ),
    (
        "priority",
        "Publish has no priority: SNS has no priority; remove this option",
    ),
    (
        "schedule_at",
        "Publish has no schedule_at: SNS cannot schedule; remove this option",
    ),
];

static INFO: ProviderInfo = ProviderInfo {
    id: "sns",
    name: NAME,
    default_base_url: "https://sns.{region}.amazonaws.com",
    settings: &[
        FieldSpec::new(
            "region",
            "Region",
            FieldKind::Text,
            "e.g. us-east-1: the region of the topic or endpoint",
        )
        .required(),
        FieldSpec::new(
            "access_key_id",
            "Access key ID",
            FieldKind::Text,
            "AKIA… (or ASIA… with a session token)",
        )
        .required(),
    ],
    secrets: &[
        FieldSpec::new(
            "secret_access_key",
            "Secret access key",
            FieldKind::Text,
            "the secret of this access key",
        )
        .required(),
        FieldSpec::new(
            "session_token",
            "Session token",
            FieldKind::Text,
            "only for temporary credentials (ASIA… keys)",
        ),
    ],
    audience: &[
        FieldSpec::new(
            "topic_arn",
            "Topic ARN",
            FieldKind::Text,
            "arn:aws:sns:REGION:ACCOUNT:NAME (Load topics); every subscriber gets it",
        ),
        FieldSpec::new(
            "target_arn",
            "Target ARN",
            FieldKind::Text,
            "a mobile platform endpoint ARN",
        ),
        FieldSpec::new(
            "phone_number",
            "Phone number",
            FieldKind::Text,
            "E.164, e.g. +14155550100: a direct SMS",
        ),
    ],
    options: &[FieldSpec::new(
        "message_structure_json",
        "Per-platform messages",
        FieldKind::Bool,
        "MessageStructure=json: default, APNS, APNS_SANDBOX and GCM (FCM v1) built from the message",
    )],
    lookups: &[LookupSpec {
        id: "topics",
        label: "Load topics",
        audience_key: "topic_arn",
    }],
    common_options: &["raw"],
    ..ProviderInfo::BASE
};

impl Provider for Sns {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn inspect(&self, ctx: &super::seam::InspectContext<'_>) -> Vec<crate::finding::Finding> {
        doctor::inspect(ctx.profile, ctx.secrets, ctx.audience)
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, DraftError> {
        let draft = ctx.draft;
        validate_keys(&INFO, draft)?;
        let account = Account::from(ctx.profile, ctx.secrets, &INFO)?;
        let options = Fields::new("options", &draft.options);
        refuse_options(&options, REFUSED)?;
        let mut warnings = Vec::new();
        let params = match options.value("raw") {
            Some(raw) => raw_params(raw)?,
            None => publish_params(draft, &options, &account, &mut warnings)?,
        };
        let request = account.signed_post(&params, ctx.now)?;
        Ok(Prepared {
            requests: vec![request],
            warnings,
        })
    }

    fn interpret(&self, exchange: &Exchange) -> Outcome {
        judge(exchange, |text| {
            let id = tag(text, "MessageId").unwrap_or_default();
            if id.is_empty() {
                return Outcome::refused(format!(
                    "{NAME} answered without a MessageId, so it is unclear whether anything was published"
                ))
                .with_hint("Check the base URL: it should be https://sns.REGION.amazonaws.com.");
            }
            let seq = tag(text, "SequenceNumber")
                .map(|s| format!(" (sequence {s})"))
                .unwrap_or_default();
            Outcome::accepted(format!("Published: message {id}{seq}")).with_id(id)
        })
    }

    fn call(
        &self,
        call: &Call,
        profile: &Profile,
        secrets: &Secrets,
    ) -> Result<CallPlan, DraftError> {
        match call {
            Call::Check => self.check(profile, secrets).map(CallPlan::Request),
            Call::Lookup(id) => self.lookup(id, profile, secrets).map(CallPlan::Request),
            other => Err(other.unsupported(self.info().name)),
        }
    }

    fn interpret_call(&self, call: &Call, exchange: &Exchange) -> Outcome {
        match call {
            Call::Lookup(id) => self.interpret_lookup(id, exchange),
            _ => self.interpret_check(exchange),
        }
    }

    fn audience_label(&self, draft: &Draft) -> String {
        let a = Fields::new("audience", &draft.audience);
        let get = |k| a.string(k).ok().flatten();
        if let Some(arn) = get("topic_arn") {
            format!("topic “{}”", arn.rsplit(':').next().unwrap_or(arn))
        } else if let Some(arn) = get("target_arn") {
            "1 endpoint".to_string() + &format!(" ({})", arn.rsplit('/').next().unwrap_or(arn))
        } else if let Some(phone) = get("phone_number") {
            phone.to_string()
        } else {
            "nobody yet".into()
        }
    }

    fn broadcast(&self, draft: &Draft) -> Option<String> {
        Fields::new("audience", &draft.audience)
            .string("topic_arn")
            .ok()
            .flatten()
            .map(|_| format!("every subscriber of {}", self.audience_label(draft)))
    }
}

/// The calls beside sending, behind `Provider::call`.
impl Sns {
    fn check(&self, profile: &Profile, secrets: &Secrets) -> Result<PreparedRequest, DraftError> {
        list_topics(profile, secrets)
    }

    fn interpret_check(&self, exchange: &Exchange) -> Outcome {
        judge(exchange, |text| {
            let n = all_tags(text, "TopicArn").len();
            let more = if tag(text, "NextToken").is_some() {
                " (first page)"
            } else {
                ""
            };
            Outcome::accepted(format!(
                "Credentials work: {n} topic{} in this region{more}",
                if n == 1 { "" } else { "s" }
            ))
        })
    }

    fn lookup(
        &self,
        id: &str,
        profile: &Profile,
        secrets: &Secrets,
    ) -> Result<PreparedRequest, DraftError> {
        match id {
            "topics" => list_topics(profile, secrets),
            other => Err(DraftError::new(
                "lookup",
                format!("`{other}` is not a lookup of {NAME}"),
            )),
        }
    }

    fn interpret_lookup(&self, _id: &str, exchange: &Exchange) -> Outcome {
        judge(exchange, |text| {
            let arns = all_tags(text, "TopicArn");
            let mut o = Outcome::accepted(format!(
                "Loaded {} topic{}",
                arns.len(),
                if arns.len() == 1 { "" } else { "s" }
            ));
            o.items = arns
                .into_iter()
                .map(|arn| {
                    let name = arn.rsplit(':').next().unwrap_or(&arn).to_string();
                    LookupItem::new(arn, name)
                })
                .collect();
            o
        })
    }
}

fn list_topics(profile: &Profile, secrets: &Secrets) -> Result<PreparedRequest, DraftError> {
    let account = Account::from(profile, secrets, &INFO)?;
    account.signed_post(
        &[
            ("Action".into(), "ListTopics".into()),
            ("Version".into(), VERSION.into()),
        ],
        crate::clock::now(),
    )
}

#[cfg(test)]
mod tests;
