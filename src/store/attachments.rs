//! Local files a draft sends (a Pushbullet file push), read whole before anything is sent so a
//! missing, unreadable or oversized file stops the send with nothing on the wire.

use std::io::Read;

use std::path::Path;

use super::error::StoreError;

/// Reads a file a draft sends, refusing one over `max_bytes` without reading it all.
pub fn read_attachment(path: &Path, max_bytes: u64) -> Result<bytes::Bytes, StoreError> {
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| {
        StoreError::Invalid(format!(
            "cannot open {shown} ({e}); check the path and that the file is readable"
        ))
    })?;
    let meta = file
        .metadata()
        .map_err(|e| StoreError::io("read", path, e))?;
    if !meta.is_file() {
        return Err(StoreError::Invalid(format!(
            "{shown} is not a file; name a file, not a folder"
        )));
    }
    let too_big = |size: u64| {
        StoreError::Invalid(format!(
            "{shown} is {} ({size} bytes), over the {} limit; send a smaller file or a link to it",
            megabytes(size),
            megabytes(max_bytes)
        ))
    };
    if meta.len() > max_bytes {
        return Err(too_big(meta.len()));
    }
    // Read at most one byte past the limit: a file that grew since `metadata` is still refused.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| StoreError::io("read", path, e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes.into())
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path, max_bytes: u64) -> Result<bytes::Bytes, StoreError> {
        read_attachment(path, max_bytes)
    }

    #[test]
    fn reads_within_the_limit_and_refuses_over_it() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("a.txt");
        std::fs::write(&path, b"hello").expect("write");
        let bytes = read(&path, 5).expect("fits");
        assert_eq!(&bytes[..], b"hello");
        let err = read(&path, 4).expect_err("too big").to_string();
        assert!(err.contains("over the") && err.contains("a.txt"), "{err}");
    }

    #[test]
    fn missing_file_and_folder_are_refused_in_words() {
        let dir = tempfile::tempdir().expect("dir");
        let err = read(&dir.path().join("nope.png"), 10)
            .expect_err("missing")
            .to_string();
        assert!(
            err.contains("cannot open") && err.contains("nope.png"),
            "{err}"
        );
        let err = read(dir.path(), 10).expect_err("folder").to_string();
        assert!(err.contains("not a file"), "{err}");
    }
}
