use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::StoreError;

/// Writes a file so that a crash at any moment leaves either the old or the new content, never a
/// mix: temp file in the same folder → flush → fsync → rename.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), StoreError> {
    write_atomic_with(path, &mut |file| file.write_all(contents))
}

/// `write_atomic` of `value` as compact JSON, streamed into the temporary file: a history entry
/// of megabytes is never built in memory first.
pub fn write_atomic_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    write_atomic_with(path, &mut |file| {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, file);
        serde_json::to_writer(&mut out, value).map_err(std::io::Error::other)?;
        out.flush()
    })
}

fn write_atomic_with(
    path: &Path,
    write: &mut dyn FnMut(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| StoreError::io("create folder", dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".pushdeck-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| StoreError::io("create a temporary file in", dir, e))?;
    write(tmp.as_file_mut())
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| StoreError::io("write", path, e))?;
    tmp.persist(path)
        .map_err(|e| StoreError::io("replace", path, e.error))?;
    // Make the rename itself durable.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    remove_stale_temp_files(dir);
    Ok(())
}

/// A write that was killed (power cut, SIGKILL) leaves its temporary file behind; nothing reads
/// it, but it may be as large as the file it was for. Those older than any live write are removed.
fn remove_stale_temp_files(dir: &Path) {
    const STALE: std::time::Duration = std::time::Duration::from_secs(10 * 60);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(".pushdeck-") && name.ends_with(".tmp")) {
            continue;
        }
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE);
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A file read that survives corruption: what was parsed, and where a broken file was moved.
pub struct Loaded<T> {
    pub value: T,
    /// Set when the file did not parse and was moved aside: tell the user.
    pub quarantined: Option<(PathBuf, String)>,
}

/// Reads and parses a JSON file. A missing file gives the default; a file that fails to parse is
/// renamed to `name.corrupt-<time>` (nothing is lost) and the default is used.
pub fn read_or_quarantine<T: serde::de::DeserializeOwned + Default>(
    path: &Path,
) -> Result<Loaded<T>, StoreError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Loaded {
                value: T::default(),
                quarantined: None,
            });
        }
        Err(e) => return Err(StoreError::io("read", path, e)),
    };
    match serde_json::from_slice(&bytes) {
        Ok(value) => Ok(Loaded {
            value,
            quarantined: None,
        }),
        Err(parse_error) => {
            let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
            let mut aside = path.as_os_str().to_owned();
            aside.push(format!(".corrupt-{stamp}"));
            let aside = PathBuf::from(aside);
            std::fs::rename(path, &aside).map_err(|e| StoreError::io("move aside", path, e))?;
            tracing::warn!(file = %path.display(), moved_to = %aside.display(), "corrupt file moved aside");
            Ok(Loaded {
                value: T::default(),
                quarantined: Some((aside, parse_error.to_string())),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a/b.json");
        write_atomic(&path, b"{\"x\":1}").expect("write");
        write_atomic(&path, b"{\"x\":2}").expect("rewrite");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "{\"x\":2}");
        let names: Vec<_> = std::fs::read_dir(path.parent().expect("parent"))
            .expect("ls")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn temporary_files_of_killed_writes_are_removed_once_stale() {
        let dir = tempfile::tempdir().expect("tempdir");
        let stale = dir.path().join(".pushdeck-killed.tmp");
        let fresh = dir.path().join(".pushdeck-writing.tmp");
        let other = dir.path().join("notes.tmp");
        for f in [&stale, &fresh, &other] {
            std::fs::write(f, "half a file").expect("write");
        }
        let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for f in [&stale, &other] {
            std::fs::File::options()
                .write(true)
                .open(f)
                .and_then(|f| f.set_modified(an_hour_ago))
                .expect("age the file");
        }
        write_atomic(&dir.path().join("p.json"), b"{}").expect("write");
        assert!(!stale.exists(), "a stale temporary file is removed");
        assert!(fresh.exists(), "a write in progress is left alone");
        assert!(other.exists(), "only our own temporary files are touched");
    }

    #[test]
    fn corrupt_file_is_moved_aside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.json");
        std::fs::write(&path, "{not json").expect("write");
        let loaded: Loaded<serde_json::Map<String, serde_json::Value>> =
            read_or_quarantine(&path).expect("load");
        assert!(loaded.value.is_empty());
        let (aside, _) = loaded.quarantined.expect("reported");
        assert_eq!(std::fs::read_to_string(aside).expect("kept"), "{not json");
        assert!(!path.exists());
    }
}
