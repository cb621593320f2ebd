//! APNs certificate auth: the `.p12` (or PEM certificate and key) a profile authenticates with as
//! its TLS client certificate, and what Apple encoded in it — the bundle id (the subject's UID),
//! the topics it covers, the environments it may push to, its expiry.
//!
//! Apple's extensions (as Apple's push certificates carry them, and as pushy and SwiftyAPNS read
//! them): `1.2.840.113635.100.6.3.1` development (sandbox), `…3.2` production (a universal
//! certificate has both), `…3.6` the topics: a SEQUENCE of UTF8String topics, each followed by a
//! SEQUENCE naming its kind.

use base64::Engine as _;
use time::OffsetDateTime;

use crate::draft::DraftError;
use crate::http::ClientIdentity;
use crate::profile::{Profile, Secrets};

pub const CERTIFICATE: &str = "certificate";
pub const PASSWORD: &str = "certificate_password";
/// The `auth` setting: `token` (the `.p8` key, the default) or `certificate`.
pub const AUTH: &str = "auth";
pub const AUTH_CHOICES: &[&str] = &["token", "certificate"];

const OID_DEVELOPMENT: &str = "1.2.840.113635.100.6.3.1";
const OID_PRODUCTION: &str = "1.2.840.113635.100.6.3.2";
const OID_TOPICS: &str = "1.2.840.113635.100.6.3.6";
const OID_UID: &str = "0.9.2342.19200300.100.1.1";

/// Warn this long before the certificate expires.
pub const WARN_DAYS: i64 = 30;

/// Whether the profile authenticates with a certificate rather than a `.p8` token.
pub fn uses_certificate(profile: &Profile) -> Result<bool, DraftError> {
    match profile
        .setting(AUTH)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("token") => Ok(false),
        Some("certificate") => Ok(true),
        Some(other) => Err(DraftError::new(
            format!("settings.{AUTH}"),
            format!("`{other}` is not token or certificate"),
        )),
    }
}

/// What the certificate says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The subject's common name, e.g. "Apple Push Services: com.example.app".
    pub subject: String,
    /// The subject's UID: the bundle id the certificate was made for.
    pub bundle_id: Option<String>,
    /// The topics extension, when present (universal certificates).
    pub topics: Vec<String>,
    pub sandbox: bool,
    pub production: bool,
    pub not_after: OffsetDateTime,
}

impl Facts {
    /// The topic sent when the profile names none: the bundle id, else the first topic.
    pub fn default_topic(&self) -> Option<&str> {
        self.bundle_id
            .as_deref()
            .or_else(|| self.topics.first().map(String::as_str))
    }

    /// The environment when the certificate allows exactly one.
    pub fn only_environment(&self) -> Option<&'static str> {
        match (self.sandbox, self.production) {
            (true, false) => Some("sandbox"),
            (false, true) => Some("production"),
            _ => None,
        }
    }

    pub fn environments(&self) -> &'static str {
        match (self.sandbox, self.production) {
            (true, true) => "sandbox and production",
            (true, false) => "sandbox only",
            (false, true) => "production only",
            (false, false) => "no APNs environment (not an Apple push certificate?)",
        }
    }

    /// The topics it covers: the extension's list, or the bundle id alone.
    pub fn covered_topics(&self) -> Vec<String> {
        if self.topics.is_empty() {
            self.bundle_id.iter().cloned().collect()
        } else {
            self.topics.clone()
        }
    }

    pub fn covers(&self, topic: &str) -> bool {
        self.covered_topics().iter().any(|t| t == topic)
    }

    pub fn expiry(&self) -> String {
        self.not_after
            .format(&time::macros::format_description!("[year]-[month]-[day]"))
            .unwrap_or_default()
    }

    /// Days left at `now` (negative once expired).
    pub fn days_left(&self, now: OffsetDateTime) -> i64 {
        (self.not_after - now).whole_days()
    }

    /// The facts on one line, for outcomes.
    pub fn summary(&self, now: OffsetDateTime) -> String {
        let mut text = self.subject.clone();
        let topics = self.covered_topics();
        if !topics.is_empty() {
            text.push_str(&format!(", topics {}", topics.join(" ")));
        }
        text.push_str(&format!(
            ", {}, expires {} ({})",
            self.environments(),
            self.expiry(),
            self.expiry_words(now)
        ));
        text
    }

    /// One line each: what the window's certificate box and `check` show.
    pub fn lines(&self, now: OffsetDateTime) -> Vec<String> {
        let mut lines = vec![format!("Certificate: {}", self.subject)];
        if let Some(b) = &self.bundle_id {
            lines.push(format!("Bundle id: {b}"));
        }
        let topics = self.covered_topics();
        if !topics.is_empty() {
            lines.push(format!("Topics: {}", topics.join(", ")));
        }
        lines.push(format!("Environment: {}", self.environments()));
        lines.push(format!(
            "Expires: {} ({})",
            self.expiry(),
            self.expiry_words(now)
        ));
        lines
    }

    fn expiry_words(&self, now: OffsetDateTime) -> String {
        match self.days_left(now) {
            d if self.not_after <= now => format!("expired {} days ago", -d),
            0 => "expires today".into(),
            1 => "in 1 day".into(),
            d => format!("in {d} days"),
        }
    }

    /// A warning when it expires within 30 days or has expired.
    pub fn expiry_warning(&self, now: OffsetDateTime) -> Option<String> {
        if self.not_after <= now {
            Some(format!(
                "The APNs certificate expired on {}: Apple refuses it. Make a new one in Certificates, Identifiers & Profiles and store it as the profile's `certificate`.",
                self.expiry()
            ))
        } else if self.days_left(now) < WARN_DAYS {
            Some(format!(
                "The APNs certificate expires on {} ({}): renew it in Certificates, Identifiers & Profiles before then, or switch the profile to a .p8 key (auth=token), which does not expire.",
                self.expiry(),
                self.expiry_words(now)
            ))
        } else {
            None
        }
    }
}

/// The opened certificate: its facts and the identity the transport presents.
pub struct Opened {
    pub facts: Facts,
    pub identity: ClientIdentity,
}

fn error(field: &str, message: impl Into<String>) -> DraftError {
    DraftError::new(format!("secret {field}"), message)
}

/// Opens the profile's `certificate` secret with its `certificate_password`.
pub fn open_profile(profile: &Profile, secrets: &Secrets) -> Result<Opened, DraftError> {
    open(
        secrets.require(&profile.name, CERTIFICATE)?,
        secrets.get(PASSWORD),
    )
}

/// Opens a stored certificate: PEM text (certificate(s) and an unencrypted private key), or a
/// `.p12` as base64 (how its bytes are kept in the keyring, which stores text).
pub fn open(stored: &str, password: Option<&str>) -> Result<Opened, DraftError> {
    let text = stored.trim();
    let (certs, key) = if text.starts_with("-----BEGIN") {
        from_pem(text)?
    } else {
        from_p12(text, password)?
    };
    let Some(leaf) = certs.first() else {
        return Err(error(CERTIFICATE, "holds no certificate"));
    };
    let facts = read_facts(leaf)?;
    let mut pem_text = String::new();
    for der in &certs {
        pem_text.push_str(&pem::encode(&pem::Pem::new("CERTIFICATE", der.clone())));
    }
    pem_text.push_str(&pem::encode(&key));
    let description = format!("{}, expires {}", facts.subject, facts.expiry());
    Ok(Opened {
        identity: ClientIdentity::from_pem(pem_text.into_bytes(), description),
        facts,
    })
}

/// How a certificate file is kept in the keyring, which stores text: PEM as it is, a binary
/// `.p12` as base64.
pub fn stored_form(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|e| base64::engine::general_purpose::STANDARD.encode(e.into_bytes()))
}

/// Checks a `certificate` when it is stored: it must be PEM with a certificate, or a `.p12`
/// (whose password may be stored after it, so a password error is not a refusal here).
pub fn validate(stored: &str) -> Result<(), String> {
    let text = stored.trim();
    if text.starts_with("-----BEGIN") {
        return from_pem(text).map(|_| ()).map_err(|e| e.message);
    }
    let bytes = base64_bytes(text).map_err(|e| e.message)?;
    match p12_keystore::KeyStore::from_pkcs12(&bytes, "", p12_keystore::Pkcs12ImportPolicy::Strict)
    {
        Ok(_) | Err(p12_keystore::error::Error::MacError(_)) => Ok(()),
        // Encrypted with a password other than empty: it decrypts later, with the password.
        Err(p12_keystore::error::Error::UnpadError | p12_keystore::error::Error::Pkcs5Error(_)) => {
            Ok(())
        }
        Err(e) => Err(format!(
            "is neither a .p12 (PKCS#12) file nor PEM certificate and key text ({e})"
        )),
    }
}

fn base64_bytes(text: &str) -> Result<Vec<u8>, DraftError> {
    let compact: String = text.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| {
            error(
                CERTIFICATE,
                "is neither PEM text (-----BEGIN CERTIFICATE-----…) nor a .p12 file; store the .p12 with `pushdeck secret set PROFILE certificate < cert.p12`",
            )
        })
}

/// The certificates (leaf first) and the private key.
type Parts = (Vec<Vec<u8>>, pem::Pem);

fn from_pem(text: &str) -> Result<Parts, DraftError> {
    let blocks = pem::parse_many(text).map_err(|e| {
        error(
            CERTIFICATE,
            format!("is not readable PEM ({e}); paste the certificate and its private key as exported, -----BEGIN…----- lines included"),
        )
    })?;
    let certs: Vec<Vec<u8>> = blocks
        .iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .map(|b| b.contents().to_vec())
        .collect();
    if certs.is_empty() {
        return Err(error(
            CERTIFICATE,
            "holds no -----BEGIN CERTIFICATE----- block; add the certificate before its key",
        ));
    }
    if blocks.iter().any(|b| b.tag() == "ENCRYPTED PRIVATE KEY") {
        return Err(error(
            CERTIFICATE,
            "has an encrypted private key; export it unencrypted (openssl pkcs12 -in cert.p12 -nodes) or store the .p12 itself with its certificate_password",
        ));
    }
    let key = blocks
        .iter()
        .find(|b| matches!(b.tag(), "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY"))
        .ok_or_else(|| {
            error(
                CERTIFICATE,
                "holds the certificate but no private key; add its -----BEGIN PRIVATE KEY----- block, or store the .p12, which has both",
            )
        })?;
    // PKCS#8, PKCS#1 (RSA) or SEC1 (EC): rustls reads each under its own label.
    Ok((certs, key.clone()))
}

fn from_p12(text: &str, password: Option<&str>) -> Result<Parts, DraftError> {
    let bytes = base64_bytes(text)?;
    let store = p12_keystore::KeyStore::from_pkcs12(
        &bytes,
        password.unwrap_or(""),
        p12_keystore::Pkcs12ImportPolicy::Strict,
    )
    .map_err(|e| match e {
        p12_keystore::error::Error::MacError(_)
        | p12_keystore::error::Error::UnpadError
        | p12_keystore::error::Error::Pkcs5Error(_) => match password {
            Some(_) => error(
                PASSWORD,
                "does not open the .p12 certificate: the password is wrong. Store the password the .p12 was exported with (`pushdeck secret set PROFILE certificate_password`, or Edit credentials)",
            ),
            None => error(
                PASSWORD,
                "is missing: the .p12 certificate is protected by a password. Store it with `pushdeck secret set PROFILE certificate_password` or Edit credentials",
            ),
        },
        other => error(
            CERTIFICATE,
            format!("is not a .p12 (PKCS#12) file Pushdeck can read ({other}); export it again from Keychain Access (My Certificates > Export… > .p12)"),
        ),
    })?;
    let Some((_, chain)) = store.private_key_chain() else {
        return Err(error(
            CERTIFICATE,
            "the .p12 holds no private key with its certificate; in Keychain Access, export the certificate together with its key (expand it, select both)",
        ));
    };
    let certs = chain.certs().iter().map(|c| c.as_der().to_vec()).collect();
    Ok((
        certs,
        pem::Pem::new("PRIVATE KEY", chain.key().as_der().to_vec()),
    ))
}

pub fn read_facts(der: &[u8]) -> Result<Facts, DraftError> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| {
        error(
            CERTIFICATE,
            format!("holds a certificate that cannot be read ({e})"),
        )
    })?;
    let subject = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| cert.subject().to_string());
    let bundle_id = cert
        .subject()
        .iter_attributes()
        .find(|a| a.attr_type().to_id_string() == OID_UID)
        .and_then(|a| a.as_str().ok())
        .map(str::to_string);
    let mut facts = Facts {
        subject,
        bundle_id,
        topics: Vec::new(),
        sandbox: false,
        production: false,
        not_after: OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp())
            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
    };
    for ext in cert.extensions() {
        match ext.oid.to_id_string().as_str() {
            OID_DEVELOPMENT => facts.sandbox = true,
            OID_PRODUCTION => facts.production = true,
            OID_TOPICS => facts.topics = topics(ext.value),
            _ => {}
        }
    }
    Ok(facts)
}

/// The strings of the topics extension's SEQUENCE; the nested SEQUENCEs (each topic's kind) are
/// skipped, as pushy does.
fn topics(value: &[u8]) -> Vec<String> {
    let Ok((_, object)) = x509_parser::der_parser::parse_der(value) else {
        return Vec::new();
    };
    let Ok(items) = object.as_sequence() else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| item.as_str().ok())
        .map(str::to_string)
        .collect()
}

/// A profile with certificate auth, ready to send: the opened certificate and the topic.
pub struct CertificateAuth {
    pub facts: Facts,
    pub identity: std::sync::Arc<ClientIdentity>,
    /// The profile's `topic`, or the certificate's bundle id when the profile names none.
    pub topic: String,
}

/// `None` for token auth; for certificate auth, the certificate opened with its password (an
/// expired one is refused here: Apple would refuse the TLS handshake).
pub fn for_profile(
    profile: &Profile,
    secrets: &Secrets,
    now: OffsetDateTime,
) -> Result<Option<CertificateAuth>, DraftError> {
    if !uses_certificate(profile)? {
        return Ok(None);
    }
    let Opened {
        facts,
        mut identity,
    } = open_profile(profile, secrets)?;
    if facts.not_after <= now {
        return Err(error(
            CERTIFICATE,
            facts.expiry_warning(now).unwrap_or_default(),
        ));
    }
    identity.description = facts.summary(now);
    identity.note = facts.expiry_warning(now);
    let topic = match profile.setting("topic") {
        Some(t) => t.to_string(),
        None => facts.default_topic().map(str::to_string).ok_or_else(|| {
            DraftError::new(
                "settings.topic",
                format!(
                    "the certificate names no bundle id; set the topic with `pushdeck profile add {} --provider apns --set topic=…`",
                    profile.name
                ),
            )
        })?,
    };
    Ok(Some(CertificateAuth {
        facts,
        identity: std::sync::Arc::new(identity),
        topic,
    }))
}

impl CertificateAuth {
    /// What Apple will refuse, said before sending: a topic the certificate does not cover, an
    /// environment it is not for, an expiry within 30 days.
    pub fn warnings(
        &self,
        topic: &str,
        environment: Option<&str>,
        now: OffsetDateTime,
    ) -> Vec<String> {
        let f = &self.facts;
        let mut warnings = Vec::new();
        if !f.covered_topics().is_empty() && !f.covers(topic) {
            warnings.push(format!(
                "The certificate covers {}, not {topic}: APNs will answer TopicDisallowed. Use the app's own push certificate, or a universal one that lists this topic.",
                f.covered_topics().join(", ")
            ));
        }
        match (environment, f.sandbox, f.production) {
            (Some("production"), true, false) | (Some("sandbox"), false, true) => {
                warnings.push(format!(
                    "The certificate is for {} but the profile sends to {}: APNs will answer BadCertificateEnvironment. Change the profile's environment, or use the other certificate.",
                    f.environments(),
                    environment.unwrap_or_default()
                ));
            }
            _ => {}
        }
        warnings.extend(f.expiry_warning(now));
        warnings
    }

    /// Sends `request` with the certificate: no `authorization` header, the client identity set.
    pub fn apply(&self, mut request: crate::http::PreparedRequest) -> crate::http::PreparedRequest {
        request.use_client_identity(self.identity.clone());
        request
    }
}

/// The check's outcome with what the certificate says (and a warning when it expires soon).
pub fn with_facts(
    mut outcome: crate::outcome::Outcome,
    exchange: &crate::http::Exchange,
) -> crate::outcome::Outcome {
    if let Some(id) = &exchange.request.client_identity {
        outcome
            .summary
            .push_str(&format!(". Certificate: {}", id.description));
        if let Some(note) = &id.note {
            outcome.hint = Some(match outcome.hint.take() {
                Some(h) => format!("{h} {note}"),
                None => note.clone(),
            });
        }
    }
    outcome
}

/// An APNs refusal of a request sent with a certificate, in a certificate's words (the reasons'
/// own explanations assume token auth).
pub fn explain_refusal(
    mut outcome: crate::outcome::Outcome,
    exchange: &crate::http::Exchange,
    reason: &str,
) -> crate::outcome::Outcome {
    if exchange.request.client_certificate.is_none() {
        return outcome;
    }
    outcome.summary = outcome
        .summary
        .replace("refused the provider token", "refused the certificate");
    let hint = match reason {
        "BadCertificate" => Some(
            "APNs does not accept this certificate: make sure it is the app's Apple Push Notification service certificate (not a development or distribution signing certificate), then export it again from Keychain Access with its private key.",
        ),
        "BadCertificateEnvironment" => Some(
            "The certificate is for the other APNs environment: a development (sandbox) certificate cannot push to production, nor the other way round. Change the profile's environment, or use the matching certificate (a universal one covers both).",
        ),
        "TopicDisallowed" => Some(
            "The certificate does not cover this topic: its bundle id (or a topic it lists) must be the topic. Clear the profile's topic to use the certificate's own.",
        ),
        _ => None,
    };
    if let Some(h) = hint {
        outcome.hint = Some(h.into());
    }
    outcome
}
