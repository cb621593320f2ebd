use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::atomic::{read_or_quarantine, write_atomic};
use super::error::StoreError;
use crate::profile::Profile;

#[derive(Debug, Default, Serialize, Deserialize)]
struct ProfilesFile {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// Profiles in `config/profiles.json`. Every change re-reads the file under a lock and writes it
/// atomically, so two Pushdeck windows never overwrite each other's edits.
pub struct ProfileStore {
    path: PathBuf,
    profiles: BTreeMap<String, Profile>,
    /// Set when the file was corrupt and moved aside at load.
    pub warning: Option<String>,
}

/// A profile name is also part of a keyring user name (`PROFILE/FIELD`) and a file key.
pub fn validate_name(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "profile name `{name}` must be 1–64 letters, digits, '-', '_' or '.'"
        )))
    }
}

impl ProfileStore {
    pub fn open(path: PathBuf) -> Result<Self, StoreError> {
        let loaded = read_or_quarantine::<ProfilesFile>(&path)?;
        let warning = loaded.quarantined.map(|(aside, why)| {
            format!(
                "The profiles file could not be read ({why}). It was moved to {} and Pushdeck started with no profiles.",
                aside.display()
            )
        });
        let mut store = Self {
            path,
            profiles: loaded.value.profiles,
            warning,
        };
        store.fill_names();
        Ok(store)
    }

    /// A store with no profiles that writes to `path` only when the user saves one (used when the
    /// file could not be read at all).
    pub fn empty(path: PathBuf) -> Self {
        Self {
            path,
            profiles: BTreeMap::new(),
            warning: None,
        }
    }

    fn fill_names(&mut self) {
        for (name, profile) in &mut self.profiles {
            profile.name = name.clone();
        }
    }

    pub fn list(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.values()
    }

    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    /// Creates or replaces a profile.
    pub fn upsert(&mut self, profile: Profile) -> Result<(), StoreError> {
        validate_name(&profile.name)?;
        self.modify(|profiles| {
            profiles.insert(profile.name.clone(), profile);
        })
    }

    /// Removes a profile; returns whether it existed.
    pub fn remove(&mut self, name: &str) -> Result<bool, StoreError> {
        let mut existed = false;
        self.modify(|profiles| existed = profiles.remove(name).is_some())?;
        Ok(existed)
    }

    /// Re-reads the file under an exclusive lock, applies the change, writes it back atomically.
    fn modify(
        &mut self,
        change: impl FnOnce(&mut BTreeMap<String, Profile>),
    ) -> Result<(), StoreError> {
        let lock_path = self.path.with_extension("lock");
        if let Some(dir) = lock_path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::io("create folder", dir, e))?;
        }
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StoreError::io("open", &lock_path, e))?;
        lock.lock()
            .map_err(|e| StoreError::io("lock", &lock_path, e))?;
        let current = read_or_quarantine::<ProfilesFile>(&self.path)?;
        let mut profiles = current.value.profiles;
        change(&mut profiles);
        let text = serde_json::to_string_pretty(&ProfilesFile {
            profiles: profiles.clone(),
        })
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
        write_atomic(&self.path, text.as_bytes())?;
        drop(lock);
        self.profiles = profiles;
        self.fill_names();
        Ok(())
    }

    /// Picks up changes another window made.
    pub fn reload(&mut self) -> Result<(), StoreError> {
        let loaded = read_or_quarantine::<ProfilesFile>(&self.path)?;
        self.profiles = loaded.value.profiles;
        self.fill_names();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_merge_between_two_stores() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("profiles.json");
        let mut a = ProfileStore::open(path.clone()).expect("open a");
        let mut b = ProfileStore::open(path.clone()).expect("open b");
        let mut p = Profile::new("one", "onesignal");
        p.settings.insert("app_id".into(), "app".into());
        a.upsert(p).expect("a writes");
        b.upsert(Profile::new("two", "onesignal"))
            .expect("b writes");
        let c = ProfileStore::open(path).expect("reopen");
        let names: Vec<_> = c.list().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["one", "two"], "b's write kept a's profile");
        assert_eq!(c.get("one").and_then(|p| p.setting("app_id")), Some("app"));
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(validate_name("acme-prod_2.x").is_ok());
        assert!(validate_name("a/b").is_err());
        assert!(validate_name("").is_err());
    }
}
