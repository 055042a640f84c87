//! Where the console keeps its files. `BEYAZMASA_CONFIG_DIR` and
//! `BEYAZMASA_DATA_DIR` override the platform directories (tests and
//! side-by-side profiles use them).

use std::path::{Path, PathBuf};

use anyhow::Context as _;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl Paths {
    pub fn from_env() -> anyhow::Result<Paths> {
        let env_dir = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let project = || directories::ProjectDirs::from("tr", "Gaziantep", "beyazmasa");
        let config_dir = match env_dir("BEYAZMASA_CONFIG_DIR") {
            Some(d) => d,
            None => project().context("no home directory to keep the configuration in")?.config_dir().to_path_buf(),
        };
        let data_dir = match env_dir("BEYAZMASA_DATA_DIR") {
            Some(d) => d,
            None => project().context("no home directory to keep data in")?.data_dir().to_path_buf(),
        };
        Ok(Paths { config_dir, data_dir })
    }

    pub fn in_dir(dir: &Path) -> Paths {
        Paths { config_dir: dir.join("config"), data_dir: dir.join("data") }
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn keymap_file(&self) -> PathBuf {
        self.config_dir.join("keymap.toml")
    }

    pub fn themes_dir(&self) -> PathBuf {
        self.config_dir.join("themes")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// The embedded server's SQLite file.
    pub fn embedded_db(&self) -> PathBuf {
        self.data_dir.join("embedded.db")
    }

    /// The offline cache of one profile (server and user), mode 0600.
    pub fn cache_db(&self, server: &str, username: &str) -> PathBuf {
        let key: String = format!("{server}-{username}")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
            .collect();
        self.data_dir.join(format!("cache-{key}.db"))
    }

    /// Device tokens (mode 0600).
    pub fn credentials_file(&self) -> PathBuf {
        self.data_dir.join("credentials.toml")
    }
}
