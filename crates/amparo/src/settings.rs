//! Settings: defaults, then `DIR/amparo.toml` if present, then `AMPARO_*` environment
//! variables. Secrets may come from files (`AMPARO_DATABASE_URL_FILE`). Unknown keys in the
//! TOML file are errors, so a typo does not silently leave a default in force.

use amparo_core::config::AuthConfig;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub listen: String,
    /// `postgres://…` for production; empty means SQLite at `DIR/amparo.db`.
    pub database_url: String,
    /// Master key file; empty means `DIR/master.key`.
    pub master_key_file: String,
    /// Country profile (`data/profiles/*.toml`); empty means the built-in one (Peru).
    pub profile_file: String,
    /// Mark cookies Secure. Turn off only for plain-HTTP lab setups.
    pub secure_cookies: bool,
    /// `text` or `json`.
    pub log_format: String,
    pub max_body_bytes: usize,
    /// Seconds between background record-linkage runs over new or changed persons; 0 = off.
    pub linkage_interval_secs: u64,
    /// Connection limits and time-outs (slow or idle clients cannot exhaust the server).
    pub server: ServerLimits,
    pub auth: AuthConfig,
}

/// What one client may hold of the server. A connection must send a request's headers
/// within `header_timeout_secs`, and an idle kept-alive connection is closed after the same
/// time; a request body must keep arriving (no gap over `body_timeout_secs`); a request is
/// answered within `request_timeout_secs` or gets 503. `max_connections` 0 means: from the
/// open-file limit (raised to its hard limit at start), keeping room for the database and
/// files. `max_connections_per_ip` 0 means no per-address limit (set it to 0 behind a
/// reverse proxy, where every connection comes from the proxy's address).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerLimits {
    pub header_timeout_secs: u64,
    pub body_timeout_secs: u64,
    pub request_timeout_secs: u64,
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self { header_timeout_secs: 10, body_timeout_secs: 30, request_timeout_secs: 300, max_connections: 0, max_connections_per_ip: 256 }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: String::new(),
            master_key_file: String::new(),
            profile_file: String::new(),
            secure_cookies: true,
            log_format: "text".into(),
            max_body_bytes: 256 * 1024,
            linkage_interval_secs: 60,
            server: ServerLimits::default(),
            auth: AuthConfig::default(),
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("database_url", &amparo_store::redact(&self.database_url))
            .field("master_key_file", &self.master_key_file)
            .field("profile_file", &self.profile_file)
            .field("secure_cookies", &self.secure_cookies)
            .field("log_format", &self.log_format)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("linkage_interval_secs", &self.linkage_interval_secs)
            .field("server", &self.server)
            .field("auth", &self.auth)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}: {1}")]
    File(String, String),
    #[error("environment variable {0}: {1}")]
    Env(&'static str, String),
}

fn env(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A secret from `NAME`, or from the file named by `NAME_FILE`.
fn secret(name: &'static str, file_var: &'static str) -> Result<Option<String>, SettingsError> {
    if let Some(v) = env(name) {
        return Ok(Some(v));
    }
    match env(file_var) {
        Some(p) => std::fs::read_to_string(&p).map(|s| Some(s.trim().to_owned())).map_err(|e| SettingsError::Env(file_var, e.to_string())),
        None => Ok(None),
    }
}

impl Settings {
    pub fn load(data_dir: &Path) -> Result<Self, SettingsError> {
        let file = data_dir.join("amparo.toml");
        let mut s = if file.exists() {
            let text = std::fs::read_to_string(&file).map_err(|e| SettingsError::File(file.display().to_string(), e.to_string()))?;
            toml::from_str::<Settings>(&text).map_err(|e| SettingsError::File(file.display().to_string(), e.to_string()))?
        } else {
            Settings::default()
        };
        if let Some(v) = secret("AMPARO_DATABASE_URL", "AMPARO_DATABASE_URL_FILE")? {
            s.database_url = v;
        }
        if let Some(v) = env("AMPARO_MASTER_KEY_FILE") {
            s.master_key_file = v;
        }
        if let Some(v) = env("AMPARO_PROFILE_FILE") {
            s.profile_file = v;
        }
        if let Some(v) = env("AMPARO_SECURE_COOKIES") {
            s.secure_cookies = !matches!(v.as_str(), "0" | "false" | "no");
        }
        if let Some(v) = env("AMPARO_LINKAGE_INTERVAL_SECS") {
            s.linkage_interval_secs = v
                .trim()
                .parse()
                .map_err(|_| SettingsError::Env("AMPARO_LINKAGE_INTERVAL_SECS", "must be a whole number of seconds".into()))?;
        }
        for (name, slot) in [
            ("AMPARO_HEADER_TIMEOUT_SECS", &mut s.server.header_timeout_secs),
            ("AMPARO_BODY_TIMEOUT_SECS", &mut s.server.body_timeout_secs),
            ("AMPARO_REQUEST_TIMEOUT_SECS", &mut s.server.request_timeout_secs),
        ] {
            if let Some(v) = env(name) {
                *slot = v.trim().parse().map_err(|_| SettingsError::Env(name, "must be a whole number of seconds".into()))?;
            }
        }
        for (name, slot) in [
            ("AMPARO_MAX_CONNECTIONS", &mut s.server.max_connections),
            ("AMPARO_MAX_CONNECTIONS_PER_IP", &mut s.server.max_connections_per_ip),
        ] {
            if let Some(v) = env(name) {
                *slot = v.trim().parse().map_err(|_| SettingsError::Env(name, "must be a whole number".into()))?;
            }
        }
        if s.server.header_timeout_secs == 0 || s.server.body_timeout_secs == 0 || s.server.request_timeout_secs == 0 {
            return Err(SettingsError::Env("server", "time-outs must be at least one second".into()));
        }
        if let Some(v) = env("AMPARO_LOG_FORMAT") {
            s.log_format = v;
        }
        if !matches!(s.log_format.as_str(), "text" | "json") {
            return Err(SettingsError::Env("AMPARO_LOG_FORMAT", "must be text or json".into()));
        }
        Ok(s)
    }

    pub fn database_url(&self, data_dir: &Path) -> String {
        if self.database_url.is_empty() { format!("sqlite://{}", data_dir.join("amparo.db").display()) } else { self.database_url.clone() }
    }

    pub fn key_file(&self, data_dir: &Path) -> PathBuf {
        if self.master_key_file.is_empty() { data_dir.join("master.key") } else { PathBuf::from(&self.master_key_file) }
    }
}
