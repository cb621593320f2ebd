//! The `.p8` signing key and the provider token (an ES256 JWT) minted from it.

use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::draft::DraftError;
use crate::profile::{Profile, Secrets};
use crate::provider::seam::Token;

pub const SECRET: &str = "signing_key_p8";

/// Provider tokens: `iat` aligned to this step, reused until `REUSE` after it, dead after `LIFE`.
pub const STEP_S: i64 = 20 * 60;

pub const REUSE_S: i64 = 40 * 60;

pub const LIFE_S: i64 = 60 * 60;

pub fn setting<'a>(profile: &'a Profile, key: &str, label: &str) -> Result<&'a str, DraftError> {
    profile
        .setting(key)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            DraftError::new(
                format!("settings.{key}"),
                format!(
                    "profile `{}` has no {label}; set it with `pushdeck profile add {} --provider apns --set {key}=…`",
                    profile.name, profile.name
                ),
            )
        })
}

/// Checks token auth's settings and key; returns the topic.
pub fn token_credentials(profile: &Profile, secrets: &Secrets) -> Result<String, DraftError> {
    setting(profile, "key_id", "Key ID")?;
    setting(profile, "team_id", "Team ID")?;
    let bundle = setting(profile, "topic", "topic (bundle id)")?;
    signing_key(secrets.require(&profile.name, SECRET)?)?;
    Ok(bundle.to_string())
}

/// The key as PEM. Accepts the `.p8` file as is, the PEM flattened onto one line (a single-line
/// paste drops the line breaks), or the base64 body alone.
pub fn pem(text: &str) -> String {
    let mut body = text.trim();
    for marker in [
        "-----BEGIN PRIVATE KEY-----",
        "-----BEGIN EC PRIVATE KEY-----",
    ] {
        if let Some(rest) = body.strip_prefix(marker) {
            body = rest;
        }
    }
    for marker in ["-----END PRIVATE KEY-----", "-----END EC PRIVATE KEY-----"] {
        if let Some(rest) = body.trim_end().strip_suffix(marker) {
            body = rest;
        }
    }
    let body: String = body.split_whitespace().collect();
    let lines: Vec<String> = body
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

pub fn signing_key(text: &str) -> Result<jsonwebtoken::EncodingKey, DraftError> {
    jsonwebtoken::EncodingKey::from_ec_pem(pem(text).as_bytes()).map_err(|e| {
        DraftError::new(
            format!("secret {SECRET}"),
            format!("is not a .p8 signing key (a P-256 private key in PEM form): {e}"),
        )
    })
}

/// Checks a `.p8` key when it is stored.
pub fn validate_signing_key(text: &str) -> Result<(), String> {
    crate::provider::jwt::install_crypto();
    let key = signing_key(text).map_err(|e| e.message)?;
    // A key of another curve parses but cannot sign ES256: try it.
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256),
        &json!({"iss": "check", "iat": 0}),
        &key,
    )
    .map(|_| ())
    .map_err(|e| format!("cannot sign ES256 with this key ({e}); APNs keys are P-256"))
}

#[derive(Serialize)]
pub struct Claims<'a> {
    iss: &'a str,
    iat: i64,
}

/// The provider token for a profile at `now`, with its `iat` aligned to the 20-minute step.
pub fn mint(
    profile: &Profile,
    secrets: &Secrets,
    now: OffsetDateTime,
) -> Result<Token, DraftError> {
    let key_id = setting(profile, "key_id", "Key ID")?;
    let team_id = setting(profile, "team_id", "Team ID")?;
    let key = signing_key(secrets.require(&profile.name, SECRET)?)?;
    crate::provider::jwt::install_crypto();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(key_id.to_string());
    let now_s = now.unix_timestamp();
    let iat = now_s - now_s.rem_euclid(STEP_S);
    let value =
        jsonwebtoken::encode(&header, &Claims { iss: team_id, iat }, &key).map_err(|e| {
            DraftError::new(
                format!("secret {SECRET}"),
                format!("could not sign the provider token ({e})"),
            )
        })?;
    let issued = OffsetDateTime::from_unix_timestamp(iat).unwrap_or(now);
    Ok(Token {
        value,
        expires_at: issued + time::Duration::seconds(LIFE_S),
        refresh_after: issued + time::Duration::seconds(REUSE_S),
    })
}
