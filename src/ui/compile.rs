//! The form becomes a draft, and the draft the requests Send would make, once per change of the
//! form, the profile or its credentials — not once per frame, and not once per pane. The audience
//! is read again only when its text changes: a 10,000-subscription list is parsed once, then
//! shared by every draft made while the user types the message.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::form::ComposerForm;
use super::view::Compiled;
use crate::draft::{Audience, DraftError};
use crate::engine::{DEFAULT_TIMEOUT, Engine, MAX_CONCURRENCY, SendJob};
use crate::profile::{Profile, Secrets};
use crate::provider::Provider;

/// Tokens in a preview (APNs, VAPID) carry times: a preview older than this is built again.
const MAX_AGE: Duration = Duration::from_secs(60);

/// What one compiled preview was made from.
#[derive(PartialEq)]
struct Inputs {
    provider: &'static str,
    form: ComposerForm,
    profile: Option<Profile>,
    secrets: u64,
    idempotency_key: String,
}

/// A provider's audience fields as typed, and what they read as.
type ReadAudience = (
    &'static str,
    std::collections::BTreeMap<String, String>,
    Result<Audience, DraftError>,
);

#[derive(Default)]
pub struct Compiler {
    /// The audience text last read and what it gave, per provider.
    audience: Option<ReadAudience>,
    last: Option<(Inputs, Instant, Arc<Compiled>)>,
}

/// Everything a job needs besides the form.
pub struct Context<'a> {
    pub provider: &'static dyn Provider,
    pub profile: Option<&'a Profile>,
    pub secrets: Result<&'a Secrets, &'a str>,
    pub idempotency_key: &'a str,
}

impl Compiler {
    /// The compiled form, from the cache when nothing it depends on changed.
    pub fn compile(&mut self, form: &ComposerForm, cx: &Context<'_>) -> Arc<Compiled> {
        let info = cx.provider.info();
        let fingerprint = cx.secrets.map(Secrets::fingerprint).unwrap_or(0);
        if let Some((inputs, built, compiled)) = &self.last
            && inputs.provider == info.id
            && inputs.secrets == fingerprint
            && crate::clock::instant().duration_since(*built) < MAX_AGE
            && inputs.profile.as_ref() == cx.profile
            && inputs.idempotency_key == cx.idempotency_key
            && &inputs.form == form
        {
            return compiled.clone();
        }
        let compiled = Arc::new(self.build(form, cx));
        self.last = Some((
            Inputs {
                provider: info.id,
                form: form.clone(),
                profile: cx.profile.cloned(),
                secrets: fingerprint,
                idempotency_key: cx.idempotency_key.to_string(),
            },
            crate::clock::instant(),
            compiled.clone(),
        ));
        compiled
    }

    /// Forget everything (credentials edited, a profile saved).
    pub fn clear(&mut self) {
        self.last = None;
    }

    fn audience(
        &mut self,
        form: &ComposerForm,
        provider: &'static dyn Provider,
    ) -> Result<Audience, DraftError> {
        let id = provider.info().id;
        if let Some((p, text, parsed)) = &self.audience
            && *p == id
            && text == &form.audience
        {
            return parsed.clone();
        }
        let parsed = form.audience_of(provider.info());
        self.audience = Some((id, form.audience.clone(), parsed.clone()));
        parsed
    }

    fn build(&mut self, form: &ComposerForm, cx: &Context<'_>) -> Compiled {
        let profile_name = cx.profile.map(|p| p.name.as_str()).unwrap_or("");
        let draft = self
            .audience(form, cx.provider)
            .and_then(|audience| form.to_draft_with(profile_name, cx.provider.info(), audience))
            .map(Arc::new);
        let audience = match &draft {
            Ok(d) => cx.provider.audience_label(d),
            // A raw payload that does not parse yet does not hide the audience.
            Err(_) => {
                let mut without_raw = form.clone();
                without_raw.options.remove("raw");
                self.audience(form, cx.provider)
                    .and_then(|a| without_raw.to_draft_with(profile_name, cx.provider.info(), a))
                    .map(|d| cx.provider.audience_label(&d))
                    .unwrap_or_default()
            }
        };
        let (prepared, total) = prepare(&draft, cx);
        let generated = if form
            .options
            .get("raw")
            .is_some_and(|r| !r.trim().is_empty())
        {
            let mut without_raw = form.clone();
            without_raw.options.remove("raw");
            let draft = self
                .audience(form, cx.provider)
                .and_then(|a| without_raw.to_draft_with(profile_name, cx.provider.info(), a))
                .map(Arc::new);
            payload_text(&prepare(&draft, cx).0)
        } else {
            payload_text(&prepared)
        };
        Compiled {
            draft,
            prepared,
            total,
            audience,
            generated,
        }
    }
}

fn prepare(
    draft: &Result<Arc<crate::draft::Draft>, DraftError>,
    cx: &Context<'_>,
) -> (Result<Arc<crate::provider::Prepared>, String>, usize) {
    let prepared =
        job(draft, cx).and_then(|job| Engine::prepare_preview(&job).map_err(|e| e.to_string()));
    match prepared {
        Ok((p, total)) => (Ok(Arc::new(p)), total),
        Err(e) => (Err(e), 0),
    }
}

/// The first request's payload as text; an encrypted body (Web Push) is edited as its
/// plaintext, which `raw` replaces.
fn payload_text(
    prepared: &Result<Arc<crate::provider::Prepared>, String>,
) -> Result<String, String> {
    let prepared = prepared.as_ref().map_err(Clone::clone)?;
    prepared
        .requests
        .first()
        .and_then(|r| {
            r.plaintext
                .as_deref()
                .map(crate::http::dump::pretty_if_json)
                .or_else(|| r.body.as_text().map(str::to_string))
        })
        .ok_or_else(|| "this request has no text body to edit".to_string())
}

/// The job Send would run for a compiled draft, or why there is none, in words.
pub fn job(
    draft: &Result<Arc<crate::draft::Draft>, DraftError>,
    cx: &Context<'_>,
) -> Result<SendJob, String> {
    let profile = cx
        .profile
        .cloned()
        .ok_or_else(|| "Choose or create a profile first (Edit credentials…).".to_string())?;
    let draft = draft.clone().map_err(|e| e.to_string())?;
    let secrets = cx.secrets.map_err(str::to_string)?.clone();
    Ok(SendJob {
        provider: cx.provider,
        draft,
        profile,
        secrets,
        idempotency_key: cx.idempotency_key.to_string(),
        dry_run: false,
        timeout: DEFAULT_TIMEOUT,
        concurrency: MAX_CONCURRENCY,
    })
}
