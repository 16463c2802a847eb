//! The `amparo` binary, run as an operator would, on SQLite and on PostgreSQL.

use crate::helpers::pg;
use amparo_testkit::TempDir;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn amparo(dir: &Path, pg_url: Option<&str>, args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_amparo"));
    c.args(args).arg("--data-dir").arg(dir).env("AMPARO_LOG", "warn").env_remove("AMPARO_DATABASE_URL");
    if let Some(u) = pg_url {
        c.env("AMPARO_DATABASE_URL", u);
    }
    c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn out(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "command failed: {}", out(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The operator's first day: migrate, create an organisation and an account, issue a token,
/// verify the audit trail, back up, rotate the key, restore elsewhere.
fn operator_story(dir: &Path, url: Option<&str>, restore_dir: &Path, restore_url: Option<&str>) {
    ok(amparo(dir, url, &["migrate"], None));
    let key = std::fs::metadata(dir.join("master.key")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(key.permissions().mode() & 0o777, 0o600, "the key file is private");
    let o = ok(amparo(dir, url, &["org", "add", "--name", "DIVINTRAP Iquitos", "--kind", "police_unit", "--jurisdiction", "PE-16"], None));
    let org_id = o.rsplit('(').next().unwrap().trim().trim_end_matches(')').to_owned();
    ok(amparo(
        dir,
        url,
        &["user", "add", "--email", "jefa@pnp.gob.pe", "--name", "Jefa", "--org", &org_id, "--role", "org_admin", "--password-stdin"],
        Some("una contraseña muy larga\n"),
    ));
    let bad = amparo(
        dir,
        url,
        &["user", "add", "--email", "bad", "--name", "", "--org", &org_id, "--role", "wizard", "--password-stdin"],
        Some("x"),
    );
    assert_eq!(bad.status.code(), Some(2), "{}", out(&bad));
    assert!(out(&bad).contains("email: invalid_email"));
    let token = ok(amparo(dir, url, &["token", "create", "--user", "jefa@pnp.gob.pe", "--expires", "7"], None));
    assert!(token.trim().starts_with("amp_") && token.trim().len() > 60, "{token}");
    let v = ok(amparo(dir, url, &["audit", "verify"], None));
    assert!(v.contains("intact"), "{v}");
    ok(amparo(dir, url, &["check-config"], None));

    let backup = dir.join("backup.age");
    ok(amparo(dir, url, &["backup", "--out", backup.to_str().unwrap()], None));
    let raw = std::fs::read(&backup).unwrap();
    assert!(!raw.windows(8).any(|w| w == b"DIVINTRA"), "the backup is encrypted");

    let r = ok(amparo(dir, url, &["key", "rotate"], None));
    assert!(r.contains("v2"), "{r}");
    let keyfile = std::fs::read_to_string(dir.join("master.key")).unwrap();
    assert!(keyfile.contains("\nv1 ") && keyfile.contains("\nv2 "));
    assert!(ok(amparo(dir, url, &["audit", "verify"], None)).contains("intact"));

    std::fs::create_dir_all(restore_dir).unwrap();
    std::fs::copy(dir.join("master.key"), restore_dir.join("master.key")).unwrap();
    std::fs::set_permissions(restore_dir.join("master.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = ok(amparo(restore_dir, restore_url, &["restore", "--in", backup.to_str().unwrap()], None));
    assert!(r.contains("audit trail intact"), "{r}");
    let list = ok(amparo(restore_dir, restore_url, &["org", "list"], None));
    assert!(list.contains("DIVINTRAP Iquitos"));
    let again = amparo(restore_dir, restore_url, &["restore", "--in", backup.to_str().unwrap()], None);
    assert!(!again.status.success(), "restoring over data is refused");
}

#[test]
fn operator_commands_work_on_sqlite() {
    let d = TempDir::new("cli");
    operator_story(&d.path().join("data"), None, &d.path().join("restored"), None);
}

#[test]
fn operator_commands_work_on_postgres() {
    let Some(cluster) = pg() else { return };
    let d = TempDir::new("clipg");
    let a = cluster.new_database("cli_a");
    let b = cluster.new_database("cli_b");
    operator_story(&d.path().join("data"), Some(&a), &d.path().join("restored"), Some(&b));
}

#[tokio::test]
async fn audit_verify_exits_nonzero_and_names_the_first_broken_entry() {
    let d = TempDir::new("clitamper");
    let dir = d.path().join("data");
    ok(amparo(&dir, None, &["migrate"], None));
    ok(amparo(&dir, None, &["org", "add", "--name", "Unidad", "--kind", "ngo", "--jurisdiction", "PE-08"], None));
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1);
    sqlx::any::install_default_drivers();
    let pool = pool.connect(&format!("sqlite://{}", dir.join("amparo.db").display())).await.unwrap();
    sqlx::raw_sql("DROP TRIGGER audit_log_no_update").execute(&pool).await.unwrap();
    sqlx::raw_sql("UPDATE audit_log SET purpose = 'forged' WHERE seq = 2").execute(&pool).await.unwrap();
    pool.close().await;
    let o = amparo(&dir, None, &["audit", "verify"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("BROKEN at entry 2"), "{}", out(&o));
}

#[test]
fn a_bad_geography_file_imports_nothing_and_names_its_rows() {
    let d = TempDir::new("cligeo");
    let dir = d.path().join("data");
    ok(amparo(&dir, None, &["migrate"], None));
    let f = d.path().join("co.csv");
    std::fs::write(&f, "country,level,code,parent,name\nCO,1,05,,Antioquia\nCO,2,05001,99,Medellín\n").unwrap();
    let o = amparo(&dir, None, &["geo", "import", "--file", f.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).contains("line 3 parent: unknown_parent"), "{}", out(&o));
    std::fs::write(&f, "country,level,code,parent,name\nCO,1,05,,Antioquia\nCO,2,05001,05,Medellín\n").unwrap();
    assert!(ok(amparo(&dir, None, &["geo", "import", "--file", f.to_str().unwrap()], None)).contains("imported 2 areas"));
}

#[test]
fn a_world_readable_key_file_is_refused() {
    let d = TempDir::new("clikey");
    let dir = d.path().join("data");
    ok(amparo(&dir, None, &["migrate"], None));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.join("master.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = amparo(&dir, None, &["audit", "verify"], None);
    assert!(!o.status.success());
    assert!(out(&o).contains("chmod 600"), "{}", out(&o));
}
