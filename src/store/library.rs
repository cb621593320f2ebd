//! Small user libraries beside the profiles: recently used draft files and the window's theme (in
//! `settings.json`) and saved templates per provider (`data/templates/<provider>/<name>.json`, in the draft format).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::atomic::{read_or_quarantine, write_atomic};
use super::error::StoreError;
use crate::draft::Draft;

const MAX_RECENT: usize = 10;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Settings {
    #[serde(default)]
    recent_drafts: Vec<PathBuf>,
    #[serde(default)]
    theme: Theme,
}

/// The window's colours: the system's choice, or always light or dark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// The theme chosen in the window (the system's when none was, or the file cannot be read).
pub fn theme(settings_file: &Path) -> Theme {
    read_or_quarantine::<Settings>(settings_file)
        .map(|l| l.value.theme)
        .unwrap_or_default()
}

pub fn set_theme(settings_file: &Path, theme: Theme) -> Result<(), StoreError> {
    let mut settings = read_or_quarantine::<Settings>(settings_file)?.value;
    settings.theme = theme;
    write_settings(settings_file, &settings)
}

fn write_settings(settings_file: &Path, settings: &Settings) -> Result<(), StoreError> {
    let text =
        serde_json::to_string_pretty(settings).map_err(|e| StoreError::Invalid(e.to_string()))?;
    write_atomic(settings_file, text.as_bytes())
}

/// Remembers the last draft files opened or saved, newest first.
pub fn recent_drafts(settings_file: &Path) -> Vec<PathBuf> {
    read_or_quarantine::<Settings>(settings_file)
        .map(|l| l.value.recent_drafts)
        .unwrap_or_default()
}

pub fn remember_draft(settings_file: &Path, draft: &Path) -> Result<(), StoreError> {
    let mut settings = read_or_quarantine::<Settings>(settings_file)?.value;
    settings.recent_drafts.retain(|p| p != draft);
    settings.recent_drafts.insert(0, draft.to_path_buf());
    settings.recent_drafts.truncate(MAX_RECENT);
    write_settings(settings_file, &settings)
}

/// Templates of one provider, by name.
pub struct Templates {
    dir: PathBuf,
}

impl Templates {
    pub fn new(data_dir: &Path, provider: &str) -> Self {
        Self {
            dir: data_dir.join("templates").join(provider),
        }
    }

    fn path(&self, name: &str) -> Result<PathBuf, StoreError> {
        let ok = !name.trim().is_empty()
            && name.len() <= 80
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
            && !name.starts_with('.');
        if ok {
            Ok(self.dir.join(format!("{}.json", name.trim())))
        } else {
            Err(StoreError::Invalid(format!(
                "template name `{name}`: use letters, digits, spaces, '-', '_' or '.'"
            )))
        }
    }

    pub fn list(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.dir)
            .map(|r| {
                r.filter_map(Result::ok)
                    .filter_map(|e| {
                        e.file_name()
                            .to_string_lossy()
                            .strip_suffix(".json")
                            .map(str::to_string)
                    })
                    .filter(|n| !n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    pub fn save(&self, name: &str, draft: &Draft) -> Result<(), StoreError> {
        write_atomic(&self.path(name)?, draft.to_json_pretty().as_bytes())
    }

    pub fn load(&self, name: &str) -> Result<Draft, StoreError> {
        let path = self.path(name)?;
        let text = std::fs::read_to_string(&path).map_err(|e| StoreError::io("read", &path, e))?;
        Draft::from_json(&text).map_err(|e| StoreError::Invalid(format!("template {name}: {e}")))
    }

    pub fn delete(&self, name: &str) -> Result<(), StoreError> {
        let path = self.path(name)?;
        std::fs::remove_file(&path).map_err(|e| StoreError::io("remove", &path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_drafts_are_newest_first_and_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = dir.path().join("settings.json");
        for i in 0..12 {
            remember_draft(&settings, &dir.path().join(format!("d{i}.json"))).expect("remember");
        }
        remember_draft(&settings, &dir.path().join("d5.json")).expect("again");
        let recent = recent_drafts(&settings);
        assert_eq!(recent.len(), MAX_RECENT);
        assert_eq!(recent[0], dir.path().join("d5.json"));
        assert_eq!(recent.iter().filter(|p| p.ends_with("d5.json")).count(), 1);
    }

    #[test]
    fn templates_round_trip_and_refuse_bad_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        let t = Templates::new(dir.path(), "onesignal");
        let mut draft = Draft {
            profile: "p".into(),
            ..Default::default()
        };
        draft.message.body = "Weekly digest".into();
        t.save("Weekly digest", &draft).expect("save");
        assert_eq!(t.list(), ["Weekly digest"]);
        assert_eq!(t.load("Weekly digest").expect("load"), draft);
        assert!(t.save("../escape", &draft).is_err());
        t.delete("Weekly digest").expect("delete");
        assert!(t.list().is_empty());
    }
}
