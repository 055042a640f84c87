//! Device tokens, kept in the data dir with mode 0600 and reused at the
//! next start. One entry per server and user; the device id is per install.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::protocol::UserInfo;

/// The key the embedded demo server's sessions are stored under (its port
/// changes every run).
pub const EMBEDDED: &str = "embedded";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSession {
    pub server: String,
    pub username: String,
    pub token: String,
    /// The user as last confirmed, for starting offline.
    #[serde(default)]
    pub user: Option<UserInfo>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct CredentialsFile {
    #[serde(default)]
    device_id: Option<Uuid>,
    #[serde(default)]
    sessions: Vec<StoredSession>,
}

#[derive(Debug, Clone)]
pub struct Credentials {
    path: PathBuf,
}

impl Credentials {
    pub fn new(path: PathBuf) -> Credentials {
        Credentials { path }
    }

    fn read(&self) -> CredentialsFile {
        std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|text| toml::from_str(&text).map_err(|e| tracing::warn!("{}: {e}", self.path.display())).ok())
            .unwrap_or_default()
    }

    pub fn device_id(&self) -> Option<Uuid> {
        self.read().device_id
    }

    /// The session for `server`: for `username` if given, else the last used.
    pub fn find(&self, server: &str, username: Option<&str>) -> Option<StoredSession> {
        self.read().sessions.into_iter().rev().find(|s| s.server == server && username.is_none_or(|u| s.username == u))
    }

    /// Stores (or replaces) a session and the device id, as the last used.
    pub fn save(&self, session: StoredSession, device_id: Uuid) -> std::io::Result<()> {
        let mut file = self.read();
        file.device_id = Some(device_id);
        file.sessions.retain(|s| !(s.server == session.server && s.username == session.username));
        file.sessions.push(session);
        let text = toml::to_string(&file).map_err(std::io::Error::other)?;
        write_private(&self.path, text.as_bytes())
    }
}

/// Writes a file only its owner can read, atomically (temp file + rename).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(&tmp)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(server: &str, username: &str, token: &str) -> StoredSession {
        StoredSession { server: server.into(), username: username.into(), token: token.into(), user: None }
    }

    #[test]
    fn stores_privately_and_finds_the_last_used() {
        let dir = tempfile::tempdir().unwrap();
        let creds = Credentials::new(dir.path().join("credentials.toml"));
        let id = Uuid::now_v7();
        creds.save(session("https://a", "ayse", "t1"), id).unwrap();
        creds.save(session("https://a", "mehmet", "t2"), id).unwrap();
        creds.save(session("https://a", "ayse", "t3"), id).unwrap();
        assert_eq!(creds.find("https://a", None).unwrap().token, "t3");
        assert_eq!(creds.find("https://a", Some("mehmet")).unwrap().token, "t2");
        assert_eq!(creds.find("https://b", None), None);
        assert_eq!(creds.device_id(), Some(id));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("credentials.toml")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
