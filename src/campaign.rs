//! A campaign: one message to several targets, each a profile with its own audience and options.
//! The campaign file (`{"message": {…}, "targets": [ … ]}`) sits beside drafts; a draft file is
//! the one-target case, so every draft reads as a campaign and sends unchanged.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::draft::{Audience, Draft, DraftError, Message};

/// One message and where it goes. Exactly the campaign file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    #[serde(default)]
    pub message: Message,
    pub targets: Vec<Target>,
}

/// One profile the message goes to, with that provider's audience and options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub profile: String,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub audience: Audience,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub options: Map<String, Value>,
    /// A disabled target stays in the file but is not sent to.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

fn is_yes(b: &bool) -> bool {
    *b
}

impl Target {
    pub fn new(profile: impl Into<String>) -> Self {
        Self {
            profile: profile.into(),
            audience: Audience::default(),
            options: Map::new(),
            enabled: true,
        }
    }
}

/// What a file held: a draft (kept as it is, so it sends exactly as before) or a campaign.
#[derive(Debug, Clone, PartialEq)]
pub enum Composed {
    Draft(Draft),
    Campaign(Campaign),
}

impl Composed {
    /// Reads a draft or a campaign file: a top-level `targets` key makes it a campaign. Errors
    /// name the field (`targets[2].audience: invalid type…`).
    pub fn from_json(text: &str) -> Result<Self, DraftError> {
        // Only a campaign has `targets`; anything else (even invalid JSON) is read as a draft so
        // its errors stay the draft errors users know.
        // The values are skipped, not built: a draft with 10,000 subscriptions is read once.
        let is_campaign =
            serde_json::from_str::<std::collections::HashMap<String, serde::de::IgnoredAny>>(text)
                .is_ok_and(|map| map.contains_key("targets"));
        if is_campaign {
            Campaign::from_json(text).map(Composed::Campaign)
        } else {
            Draft::from_json(text).map(Composed::Draft)
        }
    }

    /// The campaign this is (a draft becomes one target).
    pub fn into_campaign(self) -> Campaign {
        match self {
            Composed::Draft(d) => Campaign::from_draft(d),
            Composed::Campaign(c) => c,
        }
    }
}

impl Campaign {
    /// A campaign file, naming the offending field on error.
    pub fn from_json(text: &str) -> Result<Self, DraftError> {
        let campaign: Campaign = crate::draft::parse_json(text, "campaign")?;
        campaign.check()?;
        Ok(campaign)
    }

    /// What the structure alone can tell: every target names a profile, there is one at least.
    pub fn check(&self) -> Result<(), DraftError> {
        if self.targets.is_empty() {
            return Err(DraftError::new(
                "targets",
                "a campaign needs at least one target (a profile with its audience)",
            ));
        }
        for (i, t) in self.targets.iter().enumerate() {
            if t.profile.trim().is_empty() {
                return Err(DraftError::new(
                    format!("targets[{i}].profile"),
                    "is required: the profile this target sends through",
                ));
            }
        }
        Ok(())
    }

    pub fn from_draft(draft: Draft) -> Self {
        Self {
            message: draft.message,
            targets: vec![Target {
                profile: draft.profile,
                audience: draft.audience,
                options: draft.options,
                enabled: true,
            }],
        }
    }

    /// Target `index` as the draft it sends: the shared message with that target's audience
    /// and options. The audience is shared (`Audience` is reference-counted), not copied.
    pub fn draft(&self, index: usize) -> Option<Draft> {
        let t = self.targets.get(index)?;
        Some(Draft {
            profile: t.profile.clone(),
            message: self.message.clone(),
            audience: t.audience.clone(),
            options: t.options.clone(),
        })
    }

    /// One draft per enabled target, with its index in `targets`.
    pub fn drafts(&self) -> Vec<(usize, Draft)> {
        (0..self.targets.len())
            .filter(|i| self.targets[*i].enabled)
            .filter_map(|i| self.draft(i).map(|d| (i, d)))
            .collect()
    }

    /// Keeps `only` (profile names) enabled and disables the rest; names no target has are an
    /// error naming them.
    pub fn only(&mut self, only: &[String]) -> Result<(), DraftError> {
        if only.is_empty() {
            return Ok(());
        }
        for name in only {
            if !self.targets.iter().any(|t| &t.profile == name) {
                let names: Vec<&str> = self.targets.iter().map(|t| t.profile.as_str()).collect();
                return Err(DraftError::new(
                    "--only",
                    format!(
                        "no target sends through profile `{name}`; the targets are: {}",
                        names.join(", ")
                    ),
                ));
            }
        }
        for t in &mut self.targets {
            t.enabled = t.enabled && only.contains(&t.profile);
        }
        Ok(())
    }

    pub fn to_json_pretty(&self) -> String {
        // Plain data with string keys: serializing cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

/// A provider's error about a target's draft, with the target's place in front of the field
/// (`audience.segments` → `targets[2].audience.segments`).
pub fn target_error(index: usize, error: &DraftError) -> DraftError {
    DraftError::new(
        format!("targets[{index}].{}", error.field),
        error.message.clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAMPAIGN: &str = r#"{
      "message": {"title": "Sale", "body": "50% off"},
      "targets": [
        {"profile": "app", "audience": {"segments": ["Active Users"]}},
        {"profile": "bot", "audience": {"chat_ids": ["@news"]}, "options": {"parse_mode": "html"}},
        {"profile": "site", "enabled": false}
      ]
    }"#;

    #[test]
    fn a_campaign_makes_one_draft_per_enabled_target() {
        let Composed::Campaign(c) = Composed::from_json(CAMPAIGN).expect("valid") else {
            panic!("a campaign")
        };
        let drafts = c.drafts();
        assert_eq!(drafts.len(), 2);
        assert_eq!(drafts[1].0, 1);
        assert_eq!(drafts[1].1.profile, "bot");
        assert_eq!(drafts[1].1.message.title, "Sale");
        assert_eq!(drafts[1].1.options["parse_mode"], "html");
        let again = Campaign::from_json(&c.to_json_pretty()).expect("round trip");
        assert_eq!(again, c);
        assert!(!c.to_json_pretty().contains("\"enabled\": true"));
    }

    #[test]
    fn a_draft_is_the_one_target_case() {
        let text = r#"{"profile":"p","message":{"body":"b"},"audience":{"topic":"t"}}"#;
        let composed = Composed::from_json(text).expect("draft");
        let Composed::Draft(draft) = &composed else {
            panic!("a draft stays a draft")
        };
        let c = composed.clone().into_campaign();
        assert_eq!(c.drafts(), vec![(0, draft.clone())]);
    }

    #[test]
    fn errors_name_the_target_field() {
        let err = Campaign::from_json(
            r#"{"message":{},"targets":[{"profile":"a"},{"profile":"b","audiense":{}}]}"#,
        )
        .expect_err("typo");
        assert_eq!(err.field, "targets[1].audiense");
        let err = Campaign::from_json(r#"{"targets":[{"profile":" "}]}"#).expect_err("blank");
        assert_eq!(err.field, "targets[0].profile");
        let err = Campaign::from_json(r#"{"targets":[]}"#).expect_err("empty");
        assert_eq!(err.field, "targets");
        let provider = DraftError::new("audience.segments", "must be a list");
        assert_eq!(
            target_error(2, &provider).field,
            "targets[2].audience.segments"
        );
    }

    #[test]
    fn only_keeps_the_named_targets_and_refuses_unknown_names() {
        let mut c = Campaign::from_json(CAMPAIGN).expect("valid");
        c.only(&["bot".into()]).expect("known");
        assert_eq!(c.drafts().len(), 1);
        let err = c.only(&["nope".into()]).expect_err("unknown");
        assert!(err.message.contains("app, bot, site"), "{err}");
    }
}
