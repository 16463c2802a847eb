//! Settings the core needs. The binary builds these from defaults, a TOML file and
//! `AMPARO_*` environment variables; the core never reads the environment itself.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// A session ends after this many seconds without a request.
    pub session_idle_secs: i64,
    /// A session ends this many seconds after login, however active.
    pub session_absolute_secs: i64,
    /// Failed logins per account before a temporary lockout.
    pub account_max_failures: i64,
    /// Failed logins per client address before a temporary lockout.
    pub ip_max_failures: i64,
    /// The window in which failures are counted, and the length of a lockout.
    pub lockout_secs: i64,
    /// Argon2id memory in KiB (OWASP: 19 MiB with t=2).
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    /// Audit checkpoint every this many entries.
    pub checkpoint_every: i64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            session_idle_secs: 30 * 60,
            session_absolute_secs: 12 * 3600,
            account_max_failures: 5,
            ip_max_failures: 30,
            lockout_secs: 15 * 60,
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            checkpoint_every: 50,
        }
    }
}
