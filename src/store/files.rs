//! Files the user points at (picked, dropped or typed): read with a size bound, so a wrong pick
//! (a video, /dev/zero) is refused in words instead of filling memory, and `~` in typed paths.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::error::StoreError;

/// Large enough for any key, draft or a 10,000-subscription list; small enough to refuse a wrong
/// file at once.
pub const MAX_USER_FILE: u64 = 16 * 1024 * 1024;

/// Reads at most `limit` bytes of `path`; a longer file (or a device that never ends) is an error
/// that says how big a file may be.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, StoreError> {
    let file = std::fs::File::open(path).map_err(|e| StoreError::io("open", path, e))?;
    let meta = file
        .metadata()
        .map_err(|e| StoreError::io("read", path, e))?;
    if meta.is_dir() {
        return Err(StoreError::Invalid(format!(
            "{} is a folder: choose a file in it",
            path.display()
        )));
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| StoreError::io("read", path, e))?;
    if bytes.len() as u64 > limit {
        return Err(StoreError::Invalid(format!(
            "{} is larger than {} KiB, too large for a key, draft or subscription list: check it is the right file",
            path.display(),
            limit / 1024
        )));
    }
    Ok(bytes)
}

/// [`read_bounded`] with [`MAX_USER_FILE`], as UTF-8 text.
pub fn read_user_text(path: &Path) -> Result<String, StoreError> {
    let bytes = read_bounded(path, MAX_USER_FILE)?;
    String::from_utf8(bytes).map_err(|_| {
        StoreError::Invalid(format!(
            "{} is not text (UTF-8): choose the text file itself",
            path.display()
        ))
    })
}

/// Whether something is at `path` already (Save asks before replacing it).
pub fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

/// A path as typed: surrounding spaces dropped, and a leading `~` or `~/` is the home folder.
pub fn expand_user_path(typed: &str) -> PathBuf {
    let typed = typed.trim();
    let home = || directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
    if typed == "~" {
        if let Some(h) = home() {
            return h;
        }
    } else if let Some(rest) = typed.strip_prefix("~/")
        && let Some(h) = home()
    {
        return h.join(rest);
    }
    PathBuf::from(typed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_limit_is_refused_in_words() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.json");
        std::fs::write(&path, vec![b'x'; 2048]).expect("write");
        assert_eq!(read_bounded(&path, 2048).expect("at the limit").len(), 2048);
        let e = read_bounded(&path, 1024).expect_err("over").to_string();
        assert!(e.contains("larger than 1 KiB"), "{e}");
        let e = read_bounded(dir.path(), 1024)
            .expect_err("folder")
            .to_string();
        assert!(e.contains("is a folder"), "{e}");
        assert!(read_bounded(&dir.path().join("missing"), 10).is_err());
    }

    #[test]
    fn text_must_be_utf8() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("key.p12");
        std::fs::write(&path, [0x30, 0x82, 0xff, 0xfe]).expect("write");
        assert!(
            read_user_text(&path)
                .expect_err("binary")
                .to_string()
                .contains("not text")
        );
    }

    #[test]
    fn tilde_is_the_home_folder() {
        let home = directories::BaseDirs::new()
            .expect("home")
            .home_dir()
            .to_path_buf();
        assert_eq!(
            expand_user_path(" ~/drafts/a.json "),
            home.join("drafts/a.json")
        );
        assert_eq!(expand_user_path("~"), home);
        assert_eq!(expand_user_path("/tmp/~x"), PathBuf::from("/tmp/~x"));
        assert_eq!(expand_user_path("~other/x"), PathBuf::from("~other/x"));
    }
}
