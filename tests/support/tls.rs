//! A certificate authority made for one test, and the TLS set-up of a stand-in whose certificate
//! it signs: what a company's private CA or a TLS-inspecting gateway looks like to Pushdeck.

use std::path::PathBuf;
use std::sync::Arc;

use tokio_rustls::rustls;

/// A CA made fresh for the test, and a server certificate for 127.0.0.1 / localhost it signed.
pub struct TestCa {
    ca_pem: String,
    ca_der: rustls::pki_types::CertificateDer<'static>,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    server_chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    server_key: rustls::pki_types::PrivateKeyDer<'static>,
}

impl TestCa {
    pub fn new() -> Self {
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Pushdeck test CA");
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = rcgen::Issuer::new(ca_params, ca_key);

        let server_key = rcgen::KeyPair::generate().expect("server key");
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "127.0.0.1");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let server_cert = params.signed_by(&server_key, &issuer).expect("signed");
        Self {
            ca_pem: ca_cert.pem(),
            ca_der: ca_cert.der().clone(),
            issuer,
            server_chain: vec![server_cert.der().clone()],
            server_key: rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
        }
    }

    /// The CA certificate as a PEM file in `dir`: what `ca_certificates` points at.
    pub fn write_ca(&self, dir: &std::path::Path) -> PathBuf {
        let path = dir.join("test-ca.pem");
        std::fs::write(&path, &self.ca_pem).expect("write CA");
        path
    }

    /// A client certificate this CA signs, made as Apple makes APNs push certificates: the bundle
    /// id as the subject's UID, "Apple Push Services: …" as its name, and Apple's environment and
    /// topics extensions when `apple` asks for them.
    pub fn client_certificate(&self, bundle_id: &str, apple: &AppleExtensions) -> ClientCert {
        let key = rcgen::KeyPair::generate().expect("client key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name.push(
            rcgen::DnType::CustomDnType(vec![0, 9, 2342, 19_200_300, 100, 1, 1]),
            bundle_id,
        );
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            format!("Apple Push Services: {bundle_id}"),
        );
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(apple.valid_days);
        // Apple's push certificate extensions; the environment ones carry NULL.
        let apple_oid = |last: u64| vec![1, 2, 840, 113_635, 100, 6, 3, last];
        if apple.sandbox {
            params
                .custom_extensions
                .push(rcgen::CustomExtension::from_oid_content(
                    &apple_oid(1),
                    vec![0x05, 0x00],
                ));
        }
        if apple.production {
            params
                .custom_extensions
                .push(rcgen::CustomExtension::from_oid_content(
                    &apple_oid(2),
                    vec![0x05, 0x00],
                ));
        }
        if !apple.topics.is_empty() {
            params
                .custom_extensions
                .push(rcgen::CustomExtension::from_oid_content(
                    &apple_oid(6),
                    topics_der(&apple.topics),
                ));
        }
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("client certificate");
        ClientCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// Like `server_config`, but the handshake requires a client certificate this CA signed (as
    /// APNs requires the provider's push certificate); any other is refused during the handshake.
    pub fn server_config_requiring_client_certs(
        &self,
        alpn: &[&[u8]],
    ) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca_der.clone()).expect("CA as root");
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .expect("client verifier");
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_client_cert_verifier(verifier)
            .with_single_cert(self.server_chain.clone(), self.server_key.clone_key())
            .expect("server certificate");
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Arc::new(config)
    }

    /// A server configuration offering `alpn` (e.g. `[b"h2"]` for APNs, `[b"http/1.1"]`).
    pub fn server_config(&self, alpn: &[&[u8]]) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(self.server_chain.clone(), self.server_key.clone_key())
            .expect("server certificate");
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Arc::new(config)
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

/// Which of Apple's extensions a test push certificate carries, and how long it is valid.
pub struct AppleExtensions {
    pub sandbox: bool,
    pub production: bool,
    pub topics: Vec<String>,
    pub valid_days: i64,
}

impl Default for AppleExtensions {
    fn default() -> Self {
        Self {
            sandbox: true,
            production: false,
            topics: Vec::new(),
            valid_days: 365,
        }
    }
}

/// A client certificate and its private key, as PEM.
pub struct ClientCert {
    pub cert_pem: String,
    pub key_pem: String,
}

impl ClientCert {
    /// The certificate and key exported as a real `.p12` by the openssl command (AES-256 and a
    /// SHA-256 MAC, as current openssl and Keychain Access write them).
    pub fn p12(&self, dir: &std::path::Path, password: &str) -> Vec<u8> {
        let cert = dir.join("push-cert.pem");
        let key = dir.join("push-key.pem");
        let out = dir.join("push.p12");
        std::fs::write(&cert, &self.cert_pem).expect("write cert");
        std::fs::write(&key, &self.key_pem).expect("write key");
        let status = std::process::Command::new("openssl")
            .args(["pkcs12", "-export", "-in"])
            .arg(&cert)
            .arg("-inkey")
            .arg(&key)
            .arg("-out")
            .arg(&out)
            .args(["-name", "Apple Push Services", "-passout"])
            .arg(format!("pass:{password}"))
            .status()
            .expect("the openssl command runs");
        assert!(status.success(), "openssl pkcs12 -export failed");
        std::fs::read(&out).expect("read .p12")
    }
}

/// The topics extension's value: a SEQUENCE of UTF8String topics, each followed by a SEQUENCE
/// naming its kind (short DER lengths: test topics are short).
fn topics_der(topics: &[String]) -> Vec<u8> {
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        assert!(content.len() < 128, "short-form DER length only");
        let mut out = vec![tag, content.len() as u8];
        out.extend_from_slice(content);
        out
    }
    let mut items = Vec::new();
    for topic in topics {
        items.extend(tlv(0x0c, topic.as_bytes()));
        items.extend(tlv(0x30, &tlv(0x0c, b"app")));
    }
    tlv(0x30, &items)
}
