//! The profile's AWS credentials and SNS's refusal, shared by the signature and Publish checks.

/// The profile's credentials the signatures are checked against.
pub struct Account {
    pub region: String,
    pub access_key_id: String,
    pub secret: String,
    pub session_token: Option<String>,
}

/// SNS's refusal: `<Error><Type>…<Code>…<Message>…`.
#[derive(Debug, Clone)]
pub struct AwsError {
    pub status: u16,
    /// `Sender` (the request is at fault) or `Receiver` (SNS is).
    pub kind: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl AwsError {
    pub fn sender(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind: "Sender",
            code,
            message: message.into(),
        }
    }
}

/// AWS's `SignatureDoesNotMatch` message, quoting the canonical request and string to sign it
/// expected when it got that far.
pub fn signature_mismatch(quoted: Option<(&str, &str)>) -> String {
    let head = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
    match quoted {
        Some((canonical, to_sign)) => format!(
            "{head}\n\nThe Canonical String for this request should have been\n'{canonical}'\n\nThe String-to-Sign should have been\n'{to_sign}'\n"
        ),
        None => head.to_string(),
    }
}
