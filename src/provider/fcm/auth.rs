//! The service-account key and the OAuth token request it signs (a JWT grant, RS256).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::draft::DraftError;
use crate::http::PreparedRequest;
use crate::profile::{Profile, Secrets};
use crate::provider::describe::{ProviderInfo, base_url};

pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

pub const SECRET: &str = "service_account_json";

/// The fields of a service-account key Pushdeck uses.
#[derive(Deserialize)]
pub struct ServiceAccount {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub project_id: String,
    #[serde(default)]
    pub private_key_id: String,
    #[serde(default)]
    pub private_key: String,
    #[serde(default)]
    pub client_email: String,
    #[serde(default)]
    pub token_uri: String,
}

pub fn secret_error(message: impl Into<String>) -> DraftError {
    DraftError::new(format!("secret {SECRET}"), message)
}

/// Reads and checks a service-account key: what `secret set` and every send validate.
pub fn service_account(
    text: &str,
) -> Result<(ServiceAccount, jsonwebtoken::EncodingKey), DraftError> {
    let sa: ServiceAccount = serde_json::from_str(text.trim()).map_err(|e| {
        secret_error(format!(
            "is not the JSON of a service-account key ({e}); paste the whole downloaded file"
        ))
    })?;
    if sa.kind != "service_account" {
        return Err(secret_error(format!(
            "has type `{}`, expected `service_account`: download a key under Project settings > Service accounts",
            sa.kind
        )));
    }
    if sa.client_email.trim().is_empty() {
        return Err(secret_error("has no client_email"));
    }
    if sa.token_uri.trim().is_empty() {
        return Err(secret_error("has no token_uri"));
    }
    crate::http::check_base_url(&sa.token_uri)
        .map_err(|e| secret_error(format!("token_uri: {e}")))?;
    if sa.private_key.trim().is_empty() {
        return Err(secret_error("has no private_key"));
    }
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(sa.private_key.as_bytes()).map_err(|e| {
        secret_error(format!(
            "private_key is not an RSA private key in PEM form ({e})"
        ))
    })?;
    Ok((sa, key))
}

/// Checks a key when it is stored (`pushdeck secret set`).
pub fn validate_service_account(text: &str) -> Result<(), String> {
    service_account(text).map(|_| ()).map_err(|e| e.message)
}

pub fn project_id(profile: &Profile, sa: &ServiceAccount) -> Result<String, DraftError> {
    match profile.setting("project_id").map(str::trim) {
        Some(id) if !id.is_empty() => Ok(id.to_string()),
        _ if !sa.project_id.trim().is_empty() => Ok(sa.project_id.trim().to_string()),
        _ => Err(DraftError::new(
            "settings.project_id",
            format!(
                "the key names no project; set it with `pushdeck profile add {} --provider fcm --set project_id=…`",
                profile.name
            ),
        )),
    }
}

/// Where the token request goes: the key's `token_uri`, or its path under the base URL override.
pub fn token_endpoint(profile: &Profile, sa: &ServiceAccount) -> Result<String, DraftError> {
    let uri = sa.token_uri.trim();
    match profile
        .base_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(uri.to_string()),
        Some(_) => {
            // An override is set, so the default base URL is never read.
            let root = base_url(profile, &ProviderInfo::BASE)?;
            let path = url::Url::parse(uri)
                .map(|u| u.path().to_string())
                .unwrap_or_else(|_| "/token".into());
            Ok(format!("{root}{path}"))
        }
    }
}

#[derive(Serialize)]
pub struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

/// The token request: a signed JWT grant, form-encoded.
pub fn token_request(
    profile: &Profile,
    secrets: &Secrets,
    now: OffsetDateTime,
) -> Result<PreparedRequest, DraftError> {
    let text = secrets.require(&profile.name, SECRET)?;
    let (sa, key) = service_account(text)?;
    crate::provider::jwt::install_crypto();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    if !sa.private_key_id.is_empty() {
        header.kid = Some(sa.private_key_id.clone());
    }
    let iat = now.unix_timestamp();
    let claims = Claims {
        iss: &sa.client_email,
        scope: SCOPE,
        aud: sa.token_uri.trim(),
        iat,
        exp: iat + 3600,
    };
    let jwt = jsonwebtoken::encode(&header, &claims, &key)
        .map_err(|e| secret_error(format!("could not sign with private_key ({e})")))?;
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
        .append_pair("assertion", &jwt)
        .finish();
    let mut request = PreparedRequest::new("POST", token_endpoint(profile, &sa)?)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json");
    request.body = crate::http::Body::Text(body);
    request.add_secret("assertion", &jwt);
    Ok(request)
}
