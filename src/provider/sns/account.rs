//! The AWS account a profile names, and the Query API requests it signs (SigV4).

use super::sigv4;
use crate::draft::DraftError;
use crate::http::{Body, PreparedRequest};
use crate::profile::{Profile, Secrets};
use crate::provider::describe::{ProviderInfo, base_url};

pub const VERSION: &str = "2010-03-31";

pub const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// The profile's credentials and endpoint.
pub struct Account<'a> {
    pub region: &'a str,
    pub access_key_id: &'a str,
    pub secret: &'a str,
    pub session_token: Option<&'a str>,
    pub root: String,
}

impl<'a> Account<'a> {
    pub fn from(
        profile: &'a Profile,
        secrets: &'a Secrets,
        info: &ProviderInfo,
    ) -> Result<Self, DraftError> {
        let setting = |key: &str, what: &str| {
            profile.setting(key).map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
                DraftError::new(
                    format!("settings.{key}"),
                    format!("profile `{}` has no {what}; set it with `pushdeck profile add {} --provider sns --set {key}=…`", profile.name, profile.name),
                )
            })
        };
        let region = setting("region", "region")?;
        if !region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(DraftError::new(
                "settings.region",
                format!("`{region}` is not a region name such as us-east-1"),
            ));
        }
        let access_key_id = setting("access_key_id", "access key ID")?;
        let secret = secrets.require(&profile.name, "secret_access_key")?;
        let session_token = secrets.get("session_token");
        let root = match base_url(profile, info)? {
            url if url.contains("{region}") => {
                let host = if region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                format!("https://sns.{region}.{host}")
            }
            url => url,
        };
        Ok(Self {
            region,
            access_key_id,
            secret,
            session_token,
            root,
        })
    }

    /// A signed `POST /` with the form body: `Content-Type`, `X-Amz-Date`, the session token
    /// when there is one, and `Authorization`, all over the host of the URL.
    pub fn signed_post(
        &self,
        params: &[(String, String)],
        now: time::OffsetDateTime,
    ) -> Result<PreparedRequest, DraftError> {
        let body = form(params);
        let url = format!("{}/", self.root);
        let parsed = url::Url::parse(&url)
            .map_err(|e| DraftError::new("base_url", format!("not a URL: {e}")))?;
        let host = match (parsed.host_str(), parsed.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => return Err(DraftError::new("base_url", "has no host")),
        };
        let amz_date = amz_date(now);
        let mut headers = vec![
            ("Content-Type".to_string(), FORM.to_string()),
            ("Host".to_string(), host),
            ("X-Amz-Date".to_string(), amz_date.clone()),
        ];
        if let Some(token) = self.session_token {
            headers.push(("X-Amz-Security-Token".to_string(), token.to_string()));
        }
        let signed = sigv4::sign(
            &sigv4::Request {
                method: "POST",
                path: parsed.path(),
                query: parsed.query().unwrap_or(""),
                headers: &headers,
                body: body.as_bytes(),
            },
            &sigv4::Credentials {
                access_key_id: self.access_key_id,
                secret_access_key: self.secret,
                region: self.region,
                service: "sns",
                amz_date: &amz_date,
            },
        );
        // The Host header is set by the HTTP client from the URL (the same value as signed).
        let mut request = PreparedRequest::new("POST", url);
        for (name, value) in headers.into_iter().filter(|(n, _)| n != "Host") {
            request = if name == "X-Amz-Security-Token" {
                request.secret_header(&name, value.clone(), "session_token", &value)
            } else {
                request.header(&name, value)
            };
        }
        let mut request = request
            .header("Authorization", signed.authorization.clone())
            .header("Accept", "text/xml");
        // The signature is a credential for 15 minutes: masked like a key.
        request.add_secret("signature", &signed.signature);
        request.add_secret("secret_access_key", self.secret);
        request.body = Body::Text(body);
        Ok(request)
    }
}

pub fn amz_date(now: time::OffsetDateTime) -> String {
    let t = now.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub fn form(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                sigv4::uri_encode(k, false),
                sigv4::uri_encode(v, false)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}
