use std::path::PathBuf;

/// Where Pushdeck keeps its files: settings and profiles in `config`, drafts and history in `data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config: PathBuf,
    pub data: PathBuf,
    pub cache: PathBuf,
}

impl Paths {
    /// The platform folders from `directories` (`ProjectDirs::from("", "", "pushdeck")`), each
    /// overridable with `PUSHDECK_CONFIG_DIR` / `PUSHDECK_DATA_DIR` / `PUSHDECK_CACHE_DIR` for
    /// portable installs and tests.
    pub fn from_env() -> Result<Self, String> {
        let dirs = directories::ProjectDirs::from("", "", "pushdeck");
        let pick = |var: &str, default: Option<PathBuf>| -> Result<PathBuf, String> {
            match std::env::var_os(var).filter(|v| !v.is_empty()) {
                Some(v) => Ok(PathBuf::from(v)),
                None => default.ok_or_else(|| {
                    format!("no home folder was found for Pushdeck's files; set {var}")
                }),
            }
        };
        Ok(Self {
            config: pick(
                "PUSHDECK_CONFIG_DIR",
                dirs.as_ref().map(|d| d.config_dir().to_path_buf()),
            )?,
            data: pick(
                "PUSHDECK_DATA_DIR",
                dirs.as_ref().map(|d| d.data_dir().to_path_buf()),
            )?,
            cache: pick(
                "PUSHDECK_CACHE_DIR",
                dirs.as_ref().map(|d| d.cache_dir().to_path_buf()),
            )?,
        })
    }

    /// All three under one folder (tests, portable mode).
    pub fn under(root: &std::path::Path) -> Self {
        Self {
            config: root.join("config"),
            data: root.join("data"),
            cache: root.join("cache"),
        }
    }

    pub fn profiles_file(&self) -> PathBuf {
        self.config.join("profiles.json")
    }

    pub fn settings_file(&self) -> PathBuf {
        self.config.join("settings.json")
    }

    pub fn history_dir(&self) -> PathBuf {
        self.data.join("history")
    }

    pub fn drafts_dir(&self) -> PathBuf {
        self.data.join("drafts")
    }

    /// The local CA certificate of `pushdeck sink` over TLS, for clients to trust.
    pub fn sink_ca_file(&self) -> PathBuf {
        self.data.join("sink").join("ca.pem")
    }

    /// egui's own window/layout memory.
    pub fn ui_state_dir(&self) -> PathBuf {
        self.data.join("ui")
    }

    /// The window's kept tab, profiles, pane and message being composed.
    pub fn session_file(&self) -> PathBuf {
        self.ui_state_dir().join("session.json")
    }
}
