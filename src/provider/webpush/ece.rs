//! RFC 8291 message encryption in the RFC 8188 `aes128gcm` content coding, composed from aws-lc-rs
//! primitives (ECDH P-256, HKDF-SHA256, AES-128-GCM): the crates that implement the whole scheme
//! pull a second crypto stack (ARCHITECTURE.md). One record, as RFC 8291 requires.

use aws_lc_rs::{aead, agreement, hkdf, rand};

/// Record size we declare: the 4096 bytes every push service must accept.
pub const RECORD_SIZE: u32 = 4096;
/// salt (16) + rs (4) + idlen (1) + keyid (65).
pub const HEADER_LEN: usize = 86;
/// AES-GCM tag.
const TAG_LEN: usize = 16;
/// The largest plaintext that fits one 4096-byte body: 4096 − 86 − 1 (delimiter) − 16 (tag).
pub const MAX_PLAINTEXT: usize = 4096 - HEADER_LEN - 1 - TAG_LEN;
/// An uncompressed P-256 point.
pub const PUBLIC_KEY_LEN: usize = 65;
pub const AUTH_SECRET_LEN: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EceError {
    #[error("the payload is {0} bytes; Web Push allows at most {MAX_PLAINTEXT} bytes")]
    TooLarge(usize),
    #[error("the subscription's p256dh key is not a valid P-256 public key")]
    BadPublicKey,
    #[error("the subscription's auth secret must be {AUTH_SECRET_LEN} bytes, not {0}")]
    BadAuthSecret(usize),
    #[error("the encrypted body is malformed: {0}")]
    Malformed(&'static str),
    #[error("the body does not decrypt with this key and auth secret")]
    Decrypt,
    #[error("the system's random number generator or key generation failed")]
    Crypto,
}

/// The random inputs of one message: RFC 8291 needs a fresh salt and sender key pair per message.
pub struct Ephemeral {
    pub salt: [u8; 16],
    pub private_key: agreement::PrivateKey,
}

impl Ephemeral {
    pub fn generate() -> Result<Self, EceError> {
        let mut salt = [0u8; 16];
        rand::fill(&mut salt).map_err(|_| EceError::Crypto)?;
        let private_key =
            agreement::PrivateKey::generate(&agreement::ECDH_P256).map_err(|_| EceError::Crypto)?;
        Ok(Self { salt, private_key })
    }

    /// Fixed inputs, for test vectors.
    pub fn from_parts(salt: [u8; 16], private_key: &[u8]) -> Result<Self, EceError> {
        let private_key =
            agreement::PrivateKey::from_private_key(&agreement::ECDH_P256, private_key)
                .map_err(|_| EceError::Crypto)?;
        Ok(Self { salt, private_key })
    }
}

/// Encrypts `plaintext` for one subscription with fresh randomness: the body to POST.
pub fn encrypt_message(
    plaintext: &[u8],
    ua_public: &[u8],
    auth_secret: &[u8],
) -> Result<Vec<u8>, EceError> {
    encrypt(plaintext, ua_public, auth_secret, &Ephemeral::generate()?)
}

/// HKDF output length for aws-lc-rs.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn expand(prk: &hkdf::Prk, info: &[&[u8]], out: &mut [u8]) -> Result<(), EceError> {
    prk.expand(info, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| EceError::Crypto)
}

/// Content-encryption key and nonce for one message (RFC 8291 §3.3–3.4, RFC 8188 §2.2).
fn derive(
    ecdh_secret: &[u8],
    auth_secret: &[u8],
    ua_public: &[u8],
    as_public: &[u8],
    salt: &[u8],
) -> Result<([u8; 16], [u8; 12]), EceError> {
    // IKM = HKDF(salt = auth_secret, ikm = ecdh_secret, info = "WebPush: info" 0 ua as, 32)
    let prk_key = hkdf::Salt::new(hkdf::HKDF_SHA256, auth_secret).extract(ecdh_secret);
    let mut ikm = [0u8; 32];
    expand(
        &prk_key,
        &[b"WebPush: info\0", ua_public, as_public],
        &mut ikm,
    )?;
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(&ikm);
    let mut cek = [0u8; 16];
    expand(&prk, &[b"Content-Encoding: aes128gcm\0"], &mut cek)?;
    let mut nonce = [0u8; 12];
    expand(&prk, &[b"Content-Encoding: nonce\0"], &mut nonce)?;
    Ok((cek, nonce))
}

fn check_auth(auth_secret: &[u8]) -> Result<(), EceError> {
    if auth_secret.len() == AUTH_SECRET_LEN {
        Ok(())
    } else {
        Err(EceError::BadAuthSecret(auth_secret.len()))
    }
}

/// Encrypts with the given salt and sender key: a pure function, so RFC 8291 Appendix A is a
/// byte-for-byte test.
pub fn encrypt(
    plaintext: &[u8],
    ua_public: &[u8],
    auth_secret: &[u8],
    ephemeral: &Ephemeral,
) -> Result<Vec<u8>, EceError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(EceError::TooLarge(plaintext.len()));
    }
    check_auth(auth_secret)?;
    if ua_public.len() != PUBLIC_KEY_LEN {
        return Err(EceError::BadPublicKey);
    }
    let as_public = ephemeral
        .private_key
        .compute_public_key()
        .map_err(|_| EceError::Crypto)?;
    let as_public = as_public.as_ref();
    // aws-lc-rs validates that the peer point is on the curve.
    let ecdh_secret = agreement::agree(
        &ephemeral.private_key,
        agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, ua_public),
        EceError::BadPublicKey,
        |secret| Ok(secret.to_vec()),
    )?;
    let (cek, nonce) = derive(
        &ecdh_secret,
        auth_secret,
        ua_public,
        as_public,
        &ephemeral.salt,
    )?;
    let mut body = Vec::with_capacity(HEADER_LEN + plaintext.len() + 1 + TAG_LEN);
    body.extend_from_slice(&ephemeral.salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(PUBLIC_KEY_LEN as u8);
    body.extend_from_slice(as_public);
    let mut record = Vec::with_capacity(plaintext.len() + 1 + TAG_LEN);
    record.extend_from_slice(plaintext);
    // The last (and only) record ends with 0x02 and no padding.
    record.push(2);
    seal(&cek, nonce, &mut record)?;
    body.extend_from_slice(&record);
    Ok(body)
}

fn seal(cek: &[u8; 16], nonce: [u8; 12], in_out: &mut Vec<u8>) -> Result<(), EceError> {
    let key = aead::UnboundKey::new(&aead::AES_128_GCM, cek).map_err(|_| EceError::Crypto)?;
    aead::LessSafeKey::new(key)
        .seal_in_place_append_tag(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::empty(),
            in_out,
        )
        .map_err(|_| EceError::Crypto)
}

/// Decrypts a one-record `aes128gcm` Web Push body with the receiver's private key (what a
/// browser does): used by the local push-service stand-ins and to prove the encryption.
pub fn decrypt(body: &[u8], ua_private: &[u8], auth_secret: &[u8]) -> Result<Vec<u8>, EceError> {
    check_auth(auth_secret)?;
    if body.len() < HEADER_LEN + TAG_LEN + 1 {
        return Err(EceError::Malformed(
            "shorter than the header and one record",
        ));
    }
    let (salt, rest) = body.split_at(16);
    let rs = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
    if rs < 18 {
        return Err(EceError::Malformed("record size below 18"));
    }
    let idlen = usize::from(rest[4]);
    if idlen != PUBLIC_KEY_LEN {
        return Err(EceError::Malformed("key id is not a 65-byte P-256 key"));
    }
    let as_public = &rest[5..5 + idlen];
    let ciphertext = &rest[5 + idlen..];
    if ciphertext.len() > rs as usize {
        return Err(EceError::Malformed("more than one record"));
    }
    let private = agreement::PrivateKey::from_private_key(&agreement::ECDH_P256, ua_private)
        .map_err(|_| EceError::BadPublicKey)?;
    let ua_public = private.compute_public_key().map_err(|_| EceError::Crypto)?;
    let ecdh_secret = agreement::agree(
        &private,
        agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, as_public),
        EceError::Malformed("the sender key is not a valid P-256 point"),
        |secret| Ok(secret.to_vec()),
    )?;
    let (cek, nonce) = derive(
        &ecdh_secret,
        auth_secret,
        ua_public.as_ref(),
        as_public,
        salt,
    )?;
    let key = aead::UnboundKey::new(&aead::AES_128_GCM, &cek).map_err(|_| EceError::Crypto)?;
    let mut record = ciphertext.to_vec();
    let plain = aead::LessSafeKey::new(key)
        .open_in_place(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::empty(),
            &mut record,
        )
        .map_err(|_| EceError::Decrypt)?;
    // Strip the zero padding, then the final-record delimiter.
    let end = plain
        .iter()
        .rposition(|b| *b != 0)
        .ok_or(EceError::Malformed("no record delimiter"))?;
    if plain[end] != 2 {
        return Err(EceError::Malformed(
            "the only record is not marked final (0x02)",
        ));
    }
    Ok(plain[..end].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn b64(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).expect("test vector is base64url")
    }

    /// RFC 8291 Appendix A, byte for byte.
    #[test]
    fn rfc8291_appendix_a() {
        let plaintext = b64("V2hlbiBJIGdyb3cgdXAsIEkgd2FudCB0byBiZSBhIHdhdGVybWVsb24");
        let ua_public = b64(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        );
        let auth = b64("BTBZMqHH6r4Tts7J_aSIgg");
        let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().expect("16 bytes");
        let as_private = b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw");
        let ephemeral = Ephemeral::from_parts(salt, &as_private).expect("key");
        let body = encrypt(&plaintext, &ua_public, &auth, &ephemeral).expect("encrypts");
        assert_eq!(
            URL_SAFE_NO_PAD.encode(&body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
        assert_eq!(body.len(), 144, "86-byte header + 58-byte record");
        let ua_private = b64("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94");
        assert_eq!(
            decrypt(&body, &ua_private, &auth).expect("decrypts"),
            plaintext
        );
    }

    /// RFC 8291 Appendix A read the other way: the example body, decrypted with the user agent's
    /// private key, is the example message (what the sink does with every push).
    #[test]
    fn rfc8291_appendix_a_decrypts() {
        let body = b64(
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
        );
        let ua_private = b64("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94");
        let auth = b64("BTBZMqHH6r4Tts7J_aSIgg");
        assert_eq!(
            decrypt(&body, &ua_private, &auth).expect("decrypts"),
            b"When I grow up, I want to be a watermelon"
        );
        let wrong_auth = [0u8; 16];
        assert_eq!(
            decrypt(&body, &ua_private, &wrong_auth),
            Err(EceError::Decrypt)
        );
    }

    #[test]
    fn fresh_keys_round_trip_and_differ() {
        let receiver = agreement::PrivateKey::generate(&agreement::ECDH_P256).expect("key");
        let public = receiver.compute_public_key().expect("public");
        let private =
            aws_lc_rs::encoding::AsBigEndian::<aws_lc_rs::encoding::EcPrivateKeyBin>::as_be_bytes(
                &receiver,
            )
            .expect("bytes");
        let auth = [7u8; 16];
        let a = encrypt_message(b"hello", public.as_ref(), &auth).expect("a");
        let b = encrypt_message(b"hello", public.as_ref(), &auth).expect("b");
        assert_ne!(a, b, "salt and sender key are fresh per message");
        assert_eq!(decrypt(&a, private.as_ref(), &auth).expect("a"), b"hello");
        assert_eq!(decrypt(&b, private.as_ref(), &auth).expect("b"), b"hello");
        let mut tampered = a.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(
            decrypt(&tampered, private.as_ref(), &auth),
            Err(EceError::Decrypt)
        );
    }

    #[test]
    fn limits_and_bad_keys() {
        let receiver = agreement::PrivateKey::generate(&agreement::ECDH_P256).expect("key");
        let public = receiver.compute_public_key().expect("public");
        let auth = [1u8; 16];
        let biggest = vec![b'x'; MAX_PLAINTEXT];
        let body = encrypt_message(&biggest, public.as_ref(), &auth).expect("fits");
        assert_eq!(
            body.len(),
            4096,
            "the largest payload fills exactly 4096 bytes"
        );
        assert_eq!(
            encrypt_message(&[0; MAX_PLAINTEXT + 1], public.as_ref(), &auth),
            Err(EceError::TooLarge(MAX_PLAINTEXT + 1))
        );
        let mut off_curve = public.as_ref().to_vec();
        off_curve[40] ^= 0xff;
        assert_eq!(
            encrypt_message(b"x", &off_curve, &auth),
            Err(EceError::BadPublicKey)
        );
        assert_eq!(
            encrypt_message(b"x", public.as_ref(), &[0; 12]),
            Err(EceError::BadAuthSecret(12))
        );
    }
}
