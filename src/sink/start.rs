//! Reading the profile an imitation is started with (`--profile P`): it must be one of the
//! imitated provider's, and the settings and secrets the checks need must be there.

use super::seam::SinkStart;
use crate::profile::{Profile, Secrets};

/// The profile and its secrets when the sink was started with one of `provider`'s; `uses` says
/// in words what the imitation checks with it.
pub fn profile_of<'a>(
    start: &SinkStart<'a>,
    provider: &str,
    uses: &str,
) -> Result<Option<(&'a Profile, &'a Secrets)>, String> {
    let Some(profile) = start.profile else {
        return Ok(None);
    };
    if profile.provider != provider {
        return Err(format!(
            "profile `{}` is a {} profile; the {provider} sink needs a profile of that provider ({uses})",
            profile.name, profile.provider
        ));
    }
    let secrets = start.secrets.ok_or_else(|| {
        format!(
            "the secrets of profile `{}` could not be read",
            profile.name
        )
    })?;
    Ok(Some((profile, secrets)))
}

/// A setting the imitation needs, or how to set it.
pub fn setting(profile: &Profile, key: &str) -> Result<String, String> {
    profile.setting(key).map(str::to_string).ok_or_else(|| {
        format!(
            "profile `{}` has no {key}; set it with `pushdeck profile add {} --provider {} --set {key}=…`",
            profile.name, profile.name, profile.provider
        )
    })
}

/// A secret the imitation needs, or how to store it.
pub fn secret(profile: &Profile, secrets: &Secrets, field: &str) -> Result<String, String> {
    secrets
        .require(&profile.name, field)
        .map(str::to_string)
        .map_err(|e| e.message)
}
