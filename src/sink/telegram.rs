//! The Telegram Bot API (providers.md §3): `/bot<token>/sendMessage`, `sendPhoto` (by URL),
//! `getMe` and `getUpdates`, by GET or POST with query, form or JSON parameters, checked against
//! the Bot API description and the provider's own markup checkers, answered with Telegram's
//! `{"ok": …}` envelope and its error descriptions.

mod message;
mod params;
mod spec;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::UNIX_EPOCH;

use serde_json::{Value, json};

use super::seam::{Decoded, Imitation, Rehearsal, SetupLine, SinkSetup, SinkStart, Verdict};
use crate::finding::Finding;
use crate::http::Arrival;
use crate::provider::telegram::{explain, is_bot_token};
pub use spec::BotApi;

/// How long the rehearsed flood control asks to wait, as Telegram's `retry_after`.
const RETRY_AFTER_S: u64 = 35;

const REHEARSALS: &[Rehearsal] = &[
    Rehearsal {
        name: "chat-not-found",
        status: 400,
        about: "the chat id is wrong, or the user never pressed Start: check the id",
    },
    Rehearsal {
        name: "blocked",
        status: 403,
        about: "the user blocked the bot: stop sending to this chat",
    },
    Rehearsal {
        name: "rate-limited",
        status: 429,
        about: "flood control: wait parameters.retry_after seconds, then resend",
    },
    Rehearsal {
        name: "unauthorized",
        status: 401,
        about: "the bot token is wrong or was revoked: get it again from @BotFather",
    },
    Rehearsal {
        name: "server-error",
        status: 500,
        about: "Telegram failed: retry later",
    },
];

/// Why Telegram refuses a call: the finding in our words, the `description` in Telegram's.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: u16,
    pub finding: String,
    pub description: String,
    pub retry_after: Option<u64>,
}

impl Failure {
    pub fn new(status: u16, finding: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            status,
            finding: finding.into(),
            description: description.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(finding: impl Into<String>, description: impl Into<String>) -> Self {
        Self::new(400, finding, description)
    }
}

/// The findings so far and the first refusal.
#[derive(Default)]
pub struct Step {
    pub findings: Vec<Finding>,
    pub refusal: Option<Failure>,
    /// Where it went and what it said, for the summary line (` to 42: “Deploy…”`).
    pub about: String,
}

impl Step {
    pub fn refuse(&mut self, failure: Failure) {
        self.findings.push(Finding::fail(failure.finding.clone()));
        if self.refusal.is_none() {
            self.refusal = Some(failure);
        }
    }
}

fn failure_body(failure: &Failure) -> Value {
    let mut body = json!({
        "ok": false,
        "error_code": failure.status,
        "description": failure.description,
    });
    if let Some(seconds) = failure.retry_after {
        body["parameters"] = json!({"retry_after": seconds});
    }
    body
}

fn rehearsed(rehearsal: &Rehearsal) -> Failure {
    let mut failure = Failure::new(
        rehearsal.status,
        rehearsal.about,
        match rehearsal.name {
            "chat-not-found" => "Bad Request: chat not found".to_string(),
            "blocked" => "Forbidden: bot was blocked by the user".to_string(),
            "rate-limited" => format!("Too Many Requests: retry after {RETRY_AFTER_S}"),
            "unauthorized" => "Unauthorized".to_string(),
            _ => "Internal Server Error".to_string(),
        },
    );
    if rehearsal.name == "rate-limited" {
        failure.retry_after = Some(RETRY_AFTER_S);
    }
    failure
}

#[derive(Default)]
pub struct TelegramSink {
    base_url: String,
    /// The profile's bot token: calls with another are refused 401.
    expected_token: Option<String>,
    messages: AtomicI64,
}

/// The bot getMe describes: its id is the token's number.
fn bot(token: &str) -> Value {
    let id: i64 = token
        .split(':')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    json!({"id": id, "is_bot": true, "first_name": "Pushdeck Sink", "username": "pushdeck_sink_bot"})
}

impl Imitation for TelegramSink {
    fn provider(&self) -> &'static str {
        "telegram"
    }

    fn rehearsals(&self) -> &'static [Rehearsal] {
        REHEARSALS
    }

    fn begin(&mut self, start: &SinkStart) -> Result<SinkSetup, String> {
        self.base_url = start.base_url.trim_end_matches('/').to_string();
        if let Some((profile, secrets)) =
            super::start::profile_of(start, "telegram", "calls are checked against its bot token")?
        {
            let token = super::start::secret(profile, secrets, "bot_token")?;
            self.expected_token = Some(token.trim().to_string());
        }
        let token_about = if self.expected_token.is_some() {
            "calls must use the profile's bot token; any other is answered 401 Unauthorized"
        } else {
            "any token shaped like 123456789:AAE… is taken (start with --profile P to check it)"
        };
        Ok(SinkSetup {
            lines: vec![
                SetupLine {
                    label: "Bot API base URL".into(),
                    value: self.base_url.clone(),
                    about:
                        "use it instead of https://api.telegram.org in your backend or bot library"
                            .into(),
                },
                SetupLine {
                    label: "Send a message".into(),
                    value: format!("{}/bot<token>/sendMessage", self.base_url),
                    about: format!("also sendPhoto (by URL), getMe and getUpdates; {token_about}"),
                },
            ],
            keep: None,
        })
    }

    fn answer(&self, arrival: &Arrival, rehearsal: Option<&Rehearsal>) -> Verdict {
        let mut verdict = Verdict::default();
        let mut step = Step::default();
        let route = arrival
            .path()
            .strip_prefix("/bot")
            .and_then(|rest| rest.split_once('/'));
        let mut what = String::new();
        let mut result = Value::Null;
        match route {
            None => step.refuse(Failure::new(
                404,
                format!(
                    "{} is not a Bot API path: calls go to {}/bot<token>/<method>",
                    arrival.path(),
                    self.base_url
                ),
                "Not Found",
            )),
            Some((token, method_name)) => {
                verdict
                    .secrets
                    .push(("bot_token".into(), token.to_string()));
                self.check_token(token, &mut step);
                match spec::method(method_name) {
                    None => step.refuse(Failure::new(
                        404,
                        format!(
                            "`{method_name}` is not a method the sink imitates (sendMessage, sendPhoto, getMe, getUpdates)"
                        ),
                        "Not Found",
                    )),
                    Some(method) => {
                        what = method.to_string();
                        result = self.call(arrival, token, method, &mut step, &mut verdict);
                    }
                }
            }
        }
        verdict.findings.append(&mut step.findings);
        let about = std::mem::take(&mut step.about);
        let failure = match (rehearsal, step.refusal) {
            (Some(rehearsal), _) => {
                let failure = rehearsed(rehearsal);
                let told = explain(
                    failure.status,
                    &failure.description,
                    failure.retry_after,
                    None,
                );
                verdict.findings.push(Finding::warn(format!(
                    "answered with the rehearsal {}; Pushdeck would tell a sender: {}{}",
                    rehearsal.name,
                    told.summary,
                    told.hint.map(|h| format!(" {h}")).unwrap_or_default()
                )));
                Some(failure)
            }
            (None, refusal) => refusal,
        };
        let body = match &failure {
            Some(failure) => {
                verdict.status = failure.status;
                failure_body(failure)
            }
            None => {
                verdict.status = 200;
                json!({"ok": true, "result": result})
            }
        };
        verdict.headers = vec![("Content-Type".into(), "application/json".into())];
        verdict.body = body.to_string().into_bytes();
        let told = failure
            .map(|f| format!(" ({})", f.description))
            .unwrap_or_default();
        verdict.summary = format!(
            "{}{} → {}{told}",
            if what.is_empty() {
                arrival.path().to_string()
            } else {
                what
            },
            about,
            verdict.status
        );
        verdict
    }
}

impl TelegramSink {
    fn check_token(&self, token: &str, step: &mut Step) {
        if !is_bot_token(token) {
            step.refuse(Failure::new(
                404,
                "the bot token is not shaped like 123456789:AAE… (digits, a colon, letters, digits, - and _): Telegram answers 404 Not Found; copy the whole token from @BotFather",
                "Not Found",
            ));
            return;
        }
        match &self.expected_token {
            Some(expected) if expected == token => step
                .findings
                .push(Finding::ok("the bot token is the profile's")),
            Some(_) => step.refuse(Failure::new(
                401,
                "the bot token is not the profile's: Telegram answers 401 Unauthorized for a wrong or revoked token",
                "Unauthorized",
            )),
            None => step.findings.push(Finding::warn(
                "not verified: the token's shape is right, but the sink was started without --profile P, so any token is taken",
            )),
        }
    }

    /// Reads and checks one call of `method`; its `result` when it would succeed.
    fn call(
        &self,
        arrival: &Arrival,
        token: &str,
        method: &str,
        step: &mut Step,
        verdict: &mut Verdict,
    ) -> Value {
        if !matches!(arrival.method.as_str(), "GET" | "POST") {
            step.findings.push(Finding::warn(format!(
                "{} request: the Bot API is called with GET or POST",
                arrival.method
            )));
        }
        let read = match params::read(arrival) {
            Ok(read) => read,
            Err(failure) => {
                step.refuse(failure);
                return Value::Null;
            }
        };
        let typed = params::check(method, &read, step);
        if !typed.is_empty() {
            verdict.decoded.push(Decoded {
                label: format!("Parameters ({})", read.encoding),
                text: serde_json::to_string_pretty(&typed).unwrap_or_default(),
            });
        }
        let me = bot(token);
        match method {
            "getMe" => {
                let mut me = me;
                me["can_join_groups"] = json!(true);
                me["can_read_all_group_messages"] = json!(false);
                me["supports_inline_queries"] = json!(false);
                me
            }
            "getUpdates" => {
                if let Some(limit) = typed.get("limit").and_then(Value::as_i64)
                    && !(1..=100).contains(&limit)
                {
                    step.findings.push(Finding::warn(format!(
                        "limit {limit} is outside 1-100: Telegram uses the nearest of those"
                    )));
                }
                step.findings.push(Finding::ok(
                    "getUpdates: the sink has no updates to give (an empty list)",
                ));
                json!([])
            }
            _ => {
                let chat = message::chat(&typed, step);
                let (field, limit) = message::text_limit(method);
                let shown = message::text(&typed, field, limit, step);
                message::keyboard(&typed, step);
                if method == "sendPhoto" {
                    message::photo(&typed, step);
                }
                if let Some(shown) = &shown {
                    let flat = shown.replace('\n', " ");
                    let mut preview: String = flat.chars().take(50).collect();
                    if flat.chars().count() > 50 {
                        preview.push('…');
                    }
                    step.about = format!(": “{preview}”");
                    verdict.decoded.push(Decoded {
                        label: format!("The {field} as the chat shows it"),
                        text: shown.clone(),
                    });
                }
                let Some(chat) = chat else {
                    return Value::Null;
                };
                step.about = format!(" to {}{}", chat.label(), step.about);
                let date = arrival
                    .received_at
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
                if step.refusal.is_some() {
                    return Value::Null;
                }
                let id = self.messages.fetch_add(1, Ordering::Relaxed) + 1;
                message::sent(id, &me, &chat, date, shown, method, &typed)
            }
        }
    }
}
