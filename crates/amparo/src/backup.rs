//! Encrypted backups. A backup is a logical snapshot of every table taken in one read
//! transaction (consistent while the server keeps running), serialised as JSON and encrypted
//! with age under a passphrase derived from the master key. Restoring needs the same key file
//! — keep it apart from the backups. The snapshot format is the same for both backends, so a
//! SQLite backup restores into PostgreSQL.

use crate::runtime::{Fallible, Runtime};
use age::secrecy::SecretString;
use amparo_core::Ctx;
use amparo_core::store::{TableRows, ports::*};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::Path;

const FORMAT: &str = "amparo-backup";

#[derive(Serialize, Deserialize)]
struct BackupFile {
    format: String,
    version: u32,
    migrations: Vec<i64>,
    created_at: i64,
    key_version: u32,
    tables: Vec<TableRows>,
}

pub async fn backup(rt: &Runtime, out: &Path) -> Fallible<usize> {
    let ctx = Ctx::system(&rt.app.new_operation_id());
    let tables = rt.app.system().snapshot(&ctx).await?;
    let rows = tables.iter().map(|t| t.rows.len()).sum();
    let (version, pass) = rt.app.system().backup_passphrase(&ctx, None).await?;
    let file = BackupFile {
        format: FORMAT.into(),
        version: 1,
        migrations: rt.store.applied_migrations().await?,
        created_at: rt.app.now(),
        key_version: version,
        tables,
    };
    let json = serde_json::to_vec(&file)?;
    // The key version is in clear in the first line so restore knows which key to derive.
    let tmp = out.with_extension("partial");
    {
        let mut f = std::fs::File::create(&tmp)?;
        writeln!(f, "amparo-backup v1 key {version}")?;
        let enc = age::Encryptor::with_user_passphrase(SecretString::from(pass.as_str().to_owned()));
        let mut w = enc.wrap_output(&mut f)?;
        w.write_all(&json)?;
        w.finish()?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, out)?;
    Ok(rows)
}

pub async fn restore(rt: &Runtime, input: &Path) -> Fallible<usize> {
    let bytes = std::fs::read(input)?;
    let nl = bytes.iter().position(|b| *b == b'\n').ok_or("not an Amparo backup file")?;
    let header = std::str::from_utf8(bytes.get(..nl).ok_or("not an Amparo backup file")?)?;
    let version: u32 =
        header.strip_prefix("amparo-backup v1 key ").and_then(|v| v.trim().parse().ok()).ok_or("not an Amparo backup file")?;
    let body = bytes.get(nl + 1..).ok_or("truncated backup")?;
    let dec = age::Decryptor::new_buffered(body)?;
    let ctx = Ctx::system(&rt.app.new_operation_id());
    let (_, pass) = rt.app.system().backup_passphrase(&ctx, Some(version)).await?;
    let identity = age::scrypt::Identity::new(SecretString::from(pass.as_str().to_owned()));
    let mut reader = dec
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|_| "cannot decrypt: wrong master key file, or the backup is damaged")?;
    let mut json = Vec::new();
    reader.read_to_end(&mut json)?;
    let file: BackupFile = serde_json::from_slice(&json)?;
    if file.format != FORMAT || file.version != 1 {
        return Err("unsupported backup format".into());
    }
    let have = rt.store.applied_migrations().await?;
    if file.migrations != have {
        return Err(
            format!("backup schema {:?} differs from this database's {:?}; use a matching Amparo version", file.migrations, have).into()
        );
    }
    let rows = file.tables.iter().map(|t| t.rows.len()).sum();
    rt.app.system().restore(&ctx, &file.tables).await?;
    Ok(rows)
}
