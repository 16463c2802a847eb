//! Opening the pieces every command needs: settings, the master keyring, the store (migrated)
//! and the core service.

use crate::settings::Settings;
use amparo_core::Amparo;
use amparo_core::clock::SystemClock;
use amparo_core::crypto::keyring::Keyring;
use amparo_core::random::{OsRandom, RandomExt};
use amparo_store::SqlStore;
use std::path::Path;
use std::sync::Arc;

/// The migration that added the audit head's signature.
const SIGNED_HEAD_MIGRATION: i64 = 11;

pub type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

pub struct Runtime {
    pub settings: Settings,
    pub app: Amparo,
    pub store: Arc<SqlStore>,
    pub key_file: std::path::PathBuf,
    /// Where this server keeps its files (the search snapshot, and with SQLite the database).
    pub data_dir: std::path::PathBuf,
}

/// Load the key file, creating it (0600) when `create` and it does not exist yet.
pub fn keyring(settings: &Settings, data_dir: &Path, create: bool) -> Fallible<Keyring> {
    let path = settings.key_file(data_dir);
    if !path.exists() {
        if !create {
            return Err(format!(
                "master key file {} does not exist (run `amparo migrate` or `amparo serve` to create one)",
                path.display()
            )
            .into());
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let ring = Keyring::create(&path, OsRandom.bytes::<32>())?;
        eprintln!("created a new master key at {} — back it up separately from the database", path.display());
        return Ok(ring);
    }
    Ok(Keyring::load(&path)?)
}

pub async fn open(data_dir: &Path, create: bool) -> Fallible<Runtime> {
    if create {
        std::fs::create_dir_all(data_dir)?;
    } else if !data_dir.exists() && std::env::var("AMPARO_DATABASE_URL").is_err() {
        return Err(format!("data directory {} does not exist", data_dir.display()).into());
    }
    let settings = Settings::load(data_dir)?;
    let ring = keyring(&settings, data_dir, create)?;
    let key_file = settings.key_file(data_dir);
    let store = Arc::new(amparo_store::connect(&settings.database_url(data_dir)).await?);
    use amparo_core::store::ports::*;
    let before = store.applied_migrations().await.unwrap_or_default();
    let after = store.migrate().await?;
    let mut app = Amparo::new(store.clone(), Arc::new(SystemClock), Arc::new(OsRandom), Arc::new(ring), settings.auth.clone())?;
    if !settings.profile_file.is_empty() {
        let text = std::fs::read_to_string(&settings.profile_file).map_err(|e| format!("profile {}: {e}", settings.profile_file))?;
        let profile = amparo_core::profile::CountryProfile::parse(&text).map_err(|e| format!("profile {}: {e}", settings.profile_file))?;
        app = app.with_profile(profile);
    }
    if !before.is_empty() && !before.contains(&SIGNED_HEAD_MIGRATION) && after.contains(&SIGNED_HEAD_MIGRATION) {
        app.system().sign_audit_head_after_upgrade().await?;
    }
    Ok(Runtime { settings, app, store, key_file, data_dir: data_dir.to_path_buf() })
}

/// A core result for a command whose input came from flags: field errors are printed as
/// `--field: code` and become exit code 2 (`Ok(Err(code))`); other errors stay errors.
pub fn flag_errors<T>(r: amparo_core::CoreResult<T>) -> Fallible<Result<T, std::process::ExitCode>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(amparo_core::CoreError::Validation(f)) => {
            for e in f.0 {
                eprintln!("--{}: {}", e.field, e.code);
            }
            Ok(Err(std::process::ExitCode::from(2)))
        }
        Err(e) => Err(e.into()),
    }
}
