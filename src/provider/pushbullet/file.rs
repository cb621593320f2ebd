//! File pushes (providers.md §4.2): `POST /v2/upload-request` names the file, the file goes as
//! multipart/form-data to the `upload_url` Pushbullet answers with (without the access token:
//! that host is not the API), then `POST /v2/pushes` sends `type: file` with the `file_url`.
//! Each step is built from the answer before it, so the engine runs them in sequence.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::{NAME, error_outcome, target};
use crate::draft::{Draft, DraftError, Fields};
use crate::http::{Body, Exchange, PreparedRequest, ResponseDump, check_base_url};
use crate::outcome::Outcome;
use crate::provider::base_url;
use crate::provider::seam::{FileNeed, LocalFile, PrepareContext, Prepared};

/// Pushbullet's upload limit (`max_upload_size` of `/v2/users/me`: 25 MB).
pub const MAX_UPLOAD: u64 = 25 * 1024 * 1024;

pub const UPLOAD_REQUEST: &str = "/v2/upload-request";

/// The file a draft pushes, from `options.file`; `None` for a note or link push.
pub fn path_of(draft: &Draft) -> Result<Option<PathBuf>, DraftError> {
    let options = Fields::new("options", &draft.options);
    Ok(options
        .string("file")?
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from))
}

/// The file a draft pushes, unless `options.raw` replaces the generated push.
pub fn pushed(draft: &Draft) -> Option<PathBuf> {
    let raw = Fields::new("options", &draft.options)
        .value("raw")
        .is_some();
    if raw {
        return None;
    }
    path_of(draft).ok().flatten()
}

/// The name Pushbullet shows: the path's last part.
pub fn file_name(path: &Path) -> Result<String, DraftError> {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            DraftError::new(
                "options.file",
                format!(
                    "`{}` names no file; give the path of a file",
                    path.display()
                ),
            )
        })
}

/// `options.file_type`, or the type its extension suggests (`application/octet-stream` when
/// unknown).
pub fn file_type(draft: &Draft, path: &Path) -> Result<String, DraftError> {
    let options = Fields::new("options", &draft.options);
    match options.string("file_type")?.map(str::trim) {
        Some(t) if !t.is_empty() => {
            if !t.contains('/') || t.contains(char::is_whitespace) {
                return Err(DraftError::new(
                    "options.file_type",
                    format!("`{t}` is not a MIME type (like image/png)"),
                ));
            }
            Ok(t.to_string())
        }
        _ => Ok(mime_guess::from_path(path)
            .first_or_octet_stream()
            .essence_str()
            .to_string()),
    }
}

pub fn need(path: PathBuf) -> FileNeed {
    FileNeed {
        field: "options.file".into(),
        path,
        max_bytes: MAX_UPLOAD,
    }
}

/// The three steps, in words, for previews and failed-step outcomes.
pub fn steps(name: &str) -> Vec<String> {
    vec![
        format!("ask {NAME} for an upload slot for {name}"),
        format!("upload {name} to the address {NAME} answers with"),
        format!("push {name}"),
    ]
}

/// Step 1: `{file_name, file_type}` to the upload-request endpoint.
pub fn upload_request_body(name: &str, kind: &str) -> Value {
    json!({"file_name": name, "file_type": kind})
}

/// What the upload-request answer grants.
struct Slot {
    file_name: String,
    file_type: String,
    file_url: String,
    upload_url: String,
    data: Vec<(String, String)>,
}

fn slot(exchange: &Exchange) -> Result<Slot, Outcome> {
    let body = exchange.response.as_ref().and_then(ResponseDump::json);
    let text = |k: &str| {
        body.as_ref()
            .and_then(|b| b.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
            .filter(|s| !s.is_empty())
    };
    let (Some(file_url), Some(upload_url)) = (text("file_url"), text("upload_url")) else {
        return Err(Outcome::refused(format!(
            "{NAME} answered the upload request without a file_url and upload_url, so the file cannot be uploaded"
        ))
        .with_hint("Check the base URL: it should be the API root, https://api.pushbullet.com."));
    };
    // The address comes from the server: the base URL's rule applies (https, or http only to
    // this computer), since the file's bytes travel there.
    if let Err(e) = check_base_url(&upload_url) {
        return Err(Outcome::refused(format!(
            "{NAME} gave an upload address Pushdeck will not use: {e}"
        ))
        .with_hint("Nothing was uploaded. A real Pushbullet answers with an https:// address; check the base URL."));
    }
    // Older answers carry form fields to send along with the file (an S3 policy).
    let data = body
        .as_ref()
        .and_then(|b| b.get("data"))
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .map(|(k, v)| {
                    let v = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Slot {
        file_name: text("file_name").unwrap_or_default(),
        file_type: text("file_type").unwrap_or_default(),
        file_url,
        upload_url,
        data,
    })
}

/// Step 2: the file as multipart/form-data (the `data` fields first, then `file`), with no
/// access token: the upload host is not the API.
pub fn upload(
    upload_answer: &Exchange,
    file: &LocalFile,
    name: &str,
    kind: &str,
    boundary_seed: &str,
) -> Result<PreparedRequest, Outcome> {
    let slot = slot(upload_answer)?;
    let name = if slot.file_name.is_empty() {
        name
    } else {
        slot.file_name.as_str()
    };
    let kind = if slot.file_type.is_empty() {
        kind
    } else {
        slot.file_type.as_str()
    };
    let (body, boundary) = multipart(&slot.data, name, kind, &file.bytes, boundary_seed);
    let mut request = PreparedRequest::new("POST", slot.upload_url).header(
        "Content-Type",
        format!("multipart/form-data; boundary={boundary}"),
    );
    request.body = Body::Bytes(body.into());
    Ok(request)
}

/// Step 3's fields from step 1's answer.
pub fn uploaded(upload_answer: &Exchange, name: &str, kind: &str) -> Result<Value, Outcome> {
    let slot = slot(upload_answer)?;
    let pick = |granted: String, ours: &str| {
        if granted.is_empty() {
            ours.to_string()
        } else {
            granted
        }
    };
    Ok(json!({
        "file_name": pick(slot.file_name, name),
        "file_type": pick(slot.file_type, kind),
        "file_url": slot.file_url,
    }))
}

/// Step 3: the push of `type: file`, with the message's title and body beside the file.
pub fn push_body(draft: &Draft, uploaded: Value, guid: &str) -> Result<Value, DraftError> {
    let m = &draft.message;
    let mut body = Map::new();
    body.insert("type".into(), json!("file"));
    if let Value::Object(fields) = uploaded {
        body.extend(fields);
    }
    if !m.title.is_empty() {
        body.insert("title".into(), json!(m.title));
    }
    if !m.body.is_empty() {
        body.insert("body".into(), json!(m.body));
    }
    if let Some((key, value)) = target(draft)? {
        body.insert(key.into(), json!(value));
    }
    if !guid.is_empty() {
        body.insert("guid".into(), json!(guid));
    }
    Ok(Value::Object(body))
}

/// A multipart/form-data body and its boundary. The boundary comes from the seed (the message's
/// idempotency key) so the same inputs build the same bytes, and is lengthened until the file
/// does not contain it.
fn multipart(
    fields: &[(String, String)],
    name: &str,
    kind: &str,
    bytes: &[u8],
    seed: &str,
) -> (Vec<u8>, String) {
    let mut boundary = format!("pushdeck-{seed}");
    while contains(bytes, boundary.as_bytes())
        || fields
            .iter()
            .any(|(k, v)| k.contains(&boundary) || v.contains(&boundary))
    {
        boundary.push('x');
    }
    let mut out = Vec::with_capacity(bytes.len() + 512);
    for (key, value) in fields {
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                quoted(key)
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: {kind}\r\n\r\n",
            quoted(name)
        )
        .as_bytes(),
    );
    out.extend_from_slice(bytes);
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (out, boundary)
}

/// A name inside a quoted header parameter, escaped as browsers do (WHATWG HTML form encoding).
fn quoted(name: &str) -> String {
    name.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Which step an exchange was, read from its request.
pub enum Step {
    UploadRequest,
    Upload,
    Push,
}

pub fn step_of(request: &PreparedRequest) -> Step {
    let path = url::Url::parse(&request.url)
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    if path.ends_with(UPLOAD_REQUEST) {
        Step::UploadRequest
    } else if request
        .header_value("Content-Type")
        .is_some_and(|t| t.starts_with("multipart/form-data"))
    {
        Step::Upload
    } else {
        Step::Push
    }
}

/// Judges step 1's answer (an API answer) and step 2's (the upload host's).
pub fn interpret(step: &Step, exchange: &Exchange, response: &ResponseDump) -> Outcome {
    let body = response.json();
    match step {
        Step::UploadRequest if response.is_success() => {
            let name = body
                .as_ref()
                .and_then(|b| b.get("file_name"))
                .and_then(Value::as_str)
                .unwrap_or("the file");
            Outcome::accepted(format!("{NAME} granted an upload slot for {name}"))
        }
        Step::UploadRequest => error_outcome(response, body.as_ref()),
        Step::Upload if response.is_success() => Outcome::accepted(format!(
            "Uploaded the file ({} bytes with the form around it)",
            exchange.request.body.len()
        )),
        Step::Upload => {
            let said = response.text().trim();
            let said: String = said.chars().take(200).collect();
            Outcome::refused(format!(
                "The upload was refused with HTTP {}{}",
                response.status,
                if said.is_empty() {
                    String::new()
                } else {
                    format!(": {said}")
                }
            ))
            .with_hint("Nothing was pushed. Try again later; if it keeps failing, the file may be of a kind or size the upload host does not take.")
        }
        Step::Push => Outcome::refused("not a file step"),
    }
}

/// The message fields no Pushbullet push carries (note, link or file), and whether each is set.
pub fn unsent(draft: &Draft) -> [(&'static str, bool); 7] {
    let m = &draft.message;
    [
        ("subtitle", !m.subtitle.is_empty()),
        ("image", !m.image.is_empty()),
        ("icon", !m.icon.is_empty()),
        ("buttons", !m.buttons.is_empty()),
        ("data", !m.data.is_empty()),
        ("translations", !m.translations.is_empty()),
        ("silent", m.silent),
    ]
}

/// Step 1, what `prepare` returns for a draft with `options.file`.
pub fn prepare(ctx: &PrepareContext<'_>, path: &Path) -> Result<Prepared, DraftError> {
    let draft = ctx.draft;
    let options = Fields::new("options", &draft.options);
    if let Some(kind) = options.one_of("type", &["note", "link", "file"])?
        && kind != "file"
    {
        return Err(DraftError::new(
            "options.type",
            format!("a {kind} push carries no file: choose the file type or remove options.file"),
        ));
    }
    // Checked now, so a wrong target stops the send before the upload.
    target(draft)?;
    let name = file_name(path)?;
    let kind = file_type(draft, path)?;
    let mut warnings = Vec::new();
    if !draft.message.url.trim().is_empty() {
        warnings.push("A file push has no link: the URL is not sent.".into());
    }
    super::warn_unsent(NAME, &unsent(draft), &mut warnings);
    Ok(Prepared {
        requests: vec![api_post(
            ctx,
            UPLOAD_REQUEST,
            &upload_request_body(&name, &kind),
        )?],
        warnings,
    })
}

/// Steps 2 and 3, each from the answers so far.
pub fn next_step(
    ctx: &PrepareContext<'_>,
    files: &[LocalFile],
    done: &[Exchange],
) -> Result<Option<PreparedRequest>, Outcome> {
    let refused = |e: DraftError| Outcome::refused(e.to_string());
    let Some(path) = path_of(ctx.draft).map_err(refused)? else {
        return Ok(None);
    };
    let name = file_name(&path).map_err(refused)?;
    let kind = file_type(ctx.draft, &path).map_err(refused)?;
    match done {
        [asked] => {
            // The answer is checked before the file is looked up: an unusable slot says so.
            uploaded(asked, &name, &kind)?;
            let file = files.iter().find(|f| f.path == path).ok_or_else(|| {
                Outcome::not_sent(format!(
                    "{} was not read, so it was not uploaded",
                    path.display()
                ))
            })?;
            upload(asked, file, &name, &kind, ctx.idempotency_key).map(Some)
        }
        [asked, _uploaded] => {
            let fields = uploaded(asked, &name, &kind)?;
            let body = push_body(ctx.draft, fields, ctx.idempotency_key).map_err(refused)?;
            api_post(ctx, "/v2/pushes", &body)
                .map(Some)
                .map_err(refused)
        }
        _ => Ok(None),
    }
}

fn api_post(
    ctx: &PrepareContext<'_>,
    path: &str,
    body: &Value,
) -> Result<PreparedRequest, DraftError> {
    let token = ctx.secrets.require(&ctx.profile.name, "access_token")?;
    let root = base_url(ctx.profile, &super::INFO)?;
    Ok(PreparedRequest::new("POST", format!("{root}{path}"))
        .secret_header("Access-Token", token, "access_token", token)
        .header("Accept", "application/json")
        .json_body(body))
}
