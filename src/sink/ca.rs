//! The sink's local certificate authority: a CA made once (its certificate in the data folder for
//! clients to trust, its key in the keyring) and, at each start, a fresh server certificate it
//! signs for 127.0.0.1, ::1, localhost and the address listened on. No I/O here.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

/// The CA's name: also how a user recognises it in a trust store.
const CA_NAME: &str = "Pushdeck sink local CA";
/// Long enough that a backend configured to trust it keeps working; it only signs for this
/// computer's loopback names and the address the user chose.
const CA_YEARS: i64 = 10;

/// A CA: its certificate (PEM, what clients trust) and its key.
pub struct LocalCa {
    pub cert_pem: String,
    key: KeyPair,
}

/// A server certificate and its key, as the listener takes them (DER; key PKCS#8).
pub struct ServerIdentity {
    pub chain: Vec<Vec<u8>>,
    pub key_pkcs8: Vec<u8>,
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, CA_NAME);
    name.push(DnType::OrganizationName, "Pushdeck");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

impl LocalCa {
    /// A new CA valid from yesterday (clocks differ a little) for `CA_YEARS`.
    pub fn generate(now: OffsetDateTime) -> Result<LocalCa, String> {
        let key = KeyPair::generate().map_err(|e| format!("cannot make the sink's CA key: {e}"))?;
        let mut params = ca_params();
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(365 * CA_YEARS);
        let cert = params
            .self_signed(&key)
            .map_err(|e| format!("cannot make the sink's CA certificate: {e}"))?;
        Ok(LocalCa {
            cert_pem: cert.pem(),
            key,
        })
    }

    /// The CA kept from an earlier start, or why it cannot be used (the key does not match the
    /// certificate, or the certificate has expired): the caller then makes a new one.
    pub fn from_parts(
        cert_pem: &str,
        key_pem: &str,
        now: OffsetDateTime,
    ) -> Result<LocalCa, String> {
        let key = KeyPair::from_pem(key_pem)
            .map_err(|e| format!("the kept CA key does not read: {e}"))?;
        let (_, pem) = x509_parser::pem::parse_x509_pem(cert_pem.as_bytes())
            .map_err(|e| format!("the CA certificate does not read: {e}"))?;
        let cert = pem
            .parse_x509()
            .map_err(|e| format!("the CA certificate does not read: {e}"))?;
        if cert.public_key().subject_public_key.data.as_ref()
            != rcgen::PublicKeyData::der_bytes(&key)
        {
            return Err("the CA certificate is not the kept key's".into());
        }
        let until = cert.validity().not_after.timestamp();
        if until < (now + Duration::days(1)).unix_timestamp() {
            return Err("the CA certificate has expired".into());
        }
        Ok(LocalCa {
            cert_pem: cert_pem.to_string(),
            key,
        })
    }

    /// The key, to keep in the keyring.
    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }

    /// A short name for this CA (the start of its certificate's SHA-256): its key is kept in
    /// the keyring under it, so several data folders (portable installs, tests) each keep their
    /// own CA without overwriting one another's key.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.cert_pem).unwrap_or_default()
    }

    /// A server certificate for the loopback names and `extra` hosts (IP addresses or names),
    /// valid for a week from yesterday, signed by this CA.
    pub fn server_identity(
        &self,
        extra: &[String],
        now: OffsetDateTime,
    ) -> Result<ServerIdentity, String> {
        let mut hosts = vec![
            "127.0.0.1".to_string(),
            "::1".to_string(),
            "localhost".to_string(),
        ];
        for host in extra {
            if !hosts.contains(host) {
                hosts.push(host.clone());
            }
        }
        let mut params = CertificateParams::default();
        params.subject_alt_names = hosts
            .iter()
            .map(|h| match h.parse::<std::net::IpAddr>() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => h
                    .clone()
                    .try_into()
                    .map(SanType::DnsName)
                    .map_err(|e| format!("`{h}` cannot be a certificate name: {e}")),
            })
            .collect::<Result<_, _>>()?;
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, "Pushdeck sink");
        params.distinguished_name = name;
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(7);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let key =
            KeyPair::generate().map_err(|e| format!("cannot make the sink's server key: {e}"))?;
        // The issuer is rebuilt from the same name and key as the kept CA certificate, so what
        // it signs chains to the PEM clients already trust.
        let issuer = Issuer::new(ca_params(), &self.key);
        let cert = params
            .signed_by(&key, &issuer)
            .map_err(|e| format!("cannot sign the sink's server certificate: {e}"))?;
        let ca_der = pem::parse(&self.cert_pem)
            .map_err(|e| format!("the CA certificate does not read: {e}"))?
            .into_contents();
        Ok(ServerIdentity {
            chain: vec![cert.der().to_vec(), ca_der],
            key_pkcs8: key.serialize_der(),
        })
    }
}

/// [`LocalCa::fingerprint`] of a certificate file's text, or none when it is not PEM.
pub fn fingerprint(cert_pem: &str) -> Option<String> {
    let der = pem::parse(cert_pem).ok()?.into_contents();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der);
    Some(
        digest.as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_ca_signs_again_and_a_mismatched_key_is_refused() {
        let now = OffsetDateTime::now_utc();
        let ca = LocalCa::generate(now).expect("ca");
        let again = LocalCa::from_parts(&ca.cert_pem, &ca.key_pem(), now).expect("kept");
        let identity = again
            .server_identity(&["192.0.2.7".into()], now)
            .expect("leaf");
        assert_eq!(identity.chain.len(), 2);
        let (_, leaf) = x509_parser::parse_x509_certificate(&identity.chain[0]).expect("leaf");
        let (_, root) = x509_parser::parse_x509_certificate(&identity.chain[1]).expect("root");
        assert_eq!(leaf.issuer(), root.subject());
        let other = LocalCa::generate(now).expect("other");
        let err = LocalCa::from_parts(&ca.cert_pem, &other.key_pem(), now)
            .err()
            .expect("mismatch");
        assert!(err.contains("not the kept key"), "{err}");
        let later = now + Duration::days(365 * CA_YEARS + 30);
        assert!(LocalCa::from_parts(&ca.cert_pem, &ca.key_pem(), later).is_err());
    }
}
