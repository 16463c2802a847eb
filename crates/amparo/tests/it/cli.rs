//! The `amparo` binary, run as an operator would, on SQLite and on PostgreSQL.

use crate::helpers::pg;
use amparo_testkit::TempDir;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

pub(crate) fn amparo(dir: &Path, pg_url: Option<&str>, args: &[&str], stdin: Option<&str>) -> Output {
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

pub(crate) fn out(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

pub(crate) fn ok(o: Output) -> String {
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

/// Start `amparo ARGS…` in the background (killed when dropped) with the address it printed.
fn start_server(dir: &Path, url: &str, key: &Path, args: &[&str], marker: &'static str) -> (crate::helpers::ServerProcess, String) {
    let mut all: Vec<&str> = args.to_vec();
    let dir = dir.to_str().unwrap();
    all.extend(["--data-dir", dir]);
    let p = crate::helpers::start_amparo(&all, &[("AMPARO_DATABASE_URL", url), ("AMPARO_MASTER_KEY_FILE", key.to_str().unwrap())], marker);
    let addr = p.base.trim_start_matches("http://").to_owned();
    (p, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_amparo_serve_processes_on_one_postgres_serve_the_same_users() {
    let Some(cluster) = pg() else { return };
    let url = cluster.new_database("two_processes");
    let d = TempDir::new("twoproc");
    let key = d.path().join("shared.key");
    amparo_core::crypto::keyring::Keyring::create(&key, [42; 32]).unwrap();
    let (mut a, addr_a) = start_server(&d.path().join("a"), &url, &key, &["demo", "--listen", "127.0.0.1:0"], "running at http://");
    let (mut b, addr_b) = start_server(&d.path().join("b"), &url, &key, &["serve", "--listen", "127.0.0.1:0"], "listening on http://");
    // Log in on A.
    let (on_a, r) = crate::helpers::login_at(&format!("http://{addr_a}"), "admin@demo.amparo.pe", crate::helpers::DEMO_PW).await;
    assert_eq!(r.status(), 303);
    // The same session (cookie and CSRF token) works on B, including a protected write.
    let on_b = crate::helpers::Browser { base: format!("http://{addr_b}"), ..on_a };
    assert_eq!(on_b.get("/users").await.status(), 200);
    let w = on_b.post("/orgs", &[("name", "Creada vía B"), ("kind", "ngo"), ("jurisdiction", "PE-17")]).await;
    assert_eq!(w.status(), 200);
    let on_a = crate::helpers::Browser { base: format!("http://{addr_a}"), ..on_b };
    assert!(on_a.get("/orgs").await.text().await.unwrap().contains("Creada vía B"));
    // SIGTERM: both shut down gracefully and exit 0.
    for p in [&mut a, &mut b] {
        Command::new("kill").arg("-TERM").arg(p.child.id().to_string()).status().unwrap();
        let status = p.child.wait().unwrap();
        assert!(status.success(), "graceful shutdown exits 0, got {status}");
    }
}

#[test]
fn link_dedupe_finds_the_same_person_spelled_differently_and_keeps_its_output_contract() {
    let d = TempDir::new("link");
    let input = d.path().join("persons.csv");
    let mut rows = String::from("person_id,given_names,first_surname,second_surname,date_of_birth,document_number,origin_ubigeo,sex\n");
    // One person recorded by three agencies, spelled three ways; plus unrelated people.
    rows.push_str("hotline-1,Rosa María,Huamán,Quispe,1990-04-09,,160101,F\n");
    rows.push_str("police-7,María Rosa,Guamán,Quispe,09/04/1990,40912377,160108,F\n");
    rows.push_str("shelter-3,Rosa,Huaman,,1990,40.912.377,16,F\n");
    let given = ["Ana", "Lucía", "Carmen", "Juana", "Elena", "Pedro", "Luis", "Jorge", "Sonia", "Marta"];
    let surnames = ["Mamani", "Condori", "Flores", "Rojas", "Torres", "Chávez", "Ramos", "Vargas", "Díaz", "Castillo"];
    for i in 0..200 {
        let g = given[i % 10];
        let s1 = surnames[(i / 10) % 10];
        let s2 = surnames[(i * 7 + 3) % 10];
        rows.push_str(&format!(
            "other-{i},{g},{s1},{s2},{}-0{}-1{},,{:02}0101,{}\n",
            1960 + i % 40,
            1 + i % 9,
            i % 10,
            1 + i % 25,
            if i % 2 == 0 { "F" } else { "M" }
        ));
    }
    std::fs::write(&input, rows).unwrap();
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/linkage/persons.toml");
    let pairs = d.path().join("pairs.csv");
    let clusters = d.path().join("clusters.csv");
    let o = Command::new(env!("CARGO_BIN_EXE_amparo"))
        .args(["link", "dedupe", "--config", config, "--input", input.to_str().unwrap(), "--output", pairs.to_str().unwrap()])
        .args(["--clusters", clusters.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    for phase in ["load", "blocking", "compare", "em", "cluster", "pairs compared"] {
        assert!(stderr.contains(phase), "stderr reports {phase}: {stderr}");
    }
    let text = std::fs::read_to_string(&pairs).unwrap();
    assert!(text.starts_with("id_l,id_r,match_probability\n"));
    let has = |a: &str, b: &str| text.lines().any(|l| l.starts_with(&format!("{a},{b},")) || l.starts_with(&format!("{b},{a},")));
    assert!(has("hotline-1", "police-7"), "{text}");
    assert!(has("police-7", "shelter-3"), "{text}");
    let c = std::fs::read_to_string(&clusters).unwrap();
    assert!(c.starts_with("id,cluster_id\n"));
    let cluster_of = |id: &str| c.lines().find(|l| l.starts_with(&format!("{id},"))).unwrap().split(',').nth(1).unwrap().to_owned();
    assert_eq!(cluster_of("hotline-1"), cluster_of("shelter-3"), "all three records are one person");
    let missing = d.path().join("nonexistent.csv");
    let x = d.path().join("x.csv");
    let bad = Command::new(env!("CARGO_BIN_EXE_amparo"))
        .args(["link", "dedupe", "--config", config, "--input", missing.to_str().unwrap(), "--output", x.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(out(&bad).contains("nonexistent.csv"));
    assert!(!x.exists(), "no output from a failed run");
}

/// The operator's account and token commands no other test ran, each checked by its effect:
/// a generated password that works, `user disable` that ends sign-in, `reset-password
/// --reset-mfa` that clears two-factor, `token revoke` that stops the token, and
/// `check-config` naming what it found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_account_and_token_commands_do_what_they_say() {
    let d = TempDir::new("ops");
    let dir = d.path().join("data");
    ok(amparo(&dir, None, &["demo", "--no-serve"], None));
    let orgs = ok(amparo(&dir, None, &["org", "list"], None));
    let police = orgs.lines().find(|l| l.contains("police_unit") && l.contains("PE-16")).unwrap().split('\t').next().unwrap().to_owned();
    // A generated password is printed once and works.
    let o = ok(amparo(
        &dir,
        None,
        &["user", "add", "--email", "nueva@pnp.gob.pe", "--name", "Nueva", "--org", &police, "--role", "investigator"],
        None,
    ));
    let password = o.lines().find_map(|l| l.strip_prefix("password: ")).expect("a generated password is printed").to_owned();
    assert!(password.len() >= 16, "{o}");
    let server = crate::helpers::start_amparo(
        &["serve", "--listen", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap()],
        &[("AMPARO_SECURE_COOKIES", "0"), ("AMPARO_LINKAGE_INTERVAL_SECS", "0")],
        "listening on http://",
    );
    let (_, r) = crate::helpers::login_at(&server.base, "nueva@pnp.gob.pe", &password).await;
    assert_eq!(r.status(), 303, "the generated password signs in");
    // A token works until it is revoked.
    let tok =
        ok(amparo(&dir, None, &["token", "create", "--user", "investigador@demo.amparo.pe", "--name", "ops"], None)).trim().to_owned();
    let get = |tok: String| {
        let base = server.base.clone();
        async move { reqwest::Client::new().get(format!("{base}/api/v1/me")).bearer_auth(tok).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get(tok.clone()).await, 200);
    let id = tok.split('_').nth(1).unwrap();
    let r = ok(amparo(&dir, None, &["token", "revoke", "--id", id], None));
    assert!(r.contains(&format!("revoked {id}")), "{r}");
    assert_eq!(get(tok).await, 401, "a revoked token stops working");
    // Reset with two-factor cleared: the new password works, the old does not.
    let r = ok(amparo(
        &dir,
        None,
        &["user", "reset-password", "--email", "nueva@pnp.gob.pe", "--reset-mfa", "--password-stdin"],
        Some("otra clave muy larga 2026"),
    ));
    assert!(r.contains("two-factor cleared"), "{r}");
    assert_eq!(crate::helpers::login_at(&server.base, "nueva@pnp.gob.pe", &password).await.1.status(), 401);
    assert_eq!(crate::helpers::login_at(&server.base, "nueva@pnp.gob.pe", "otra clave muy larga 2026").await.1.status(), 303);
    // Disabled: sign-in ends.
    let r = ok(amparo(&dir, None, &["user", "disable", "--email", "nueva@pnp.gob.pe"], None));
    assert!(r.contains("disabled nueva@pnp.gob.pe"), "{r}");
    assert_eq!(crate::helpers::login_at(&server.base, "nueva@pnp.gob.pe", "otra clave muy larga 2026").await.1.status(), 401);
    drop(server);
    // check-config names the problem it finds.
    std::fs::write(dir.join("amparo.toml"), "listen = \"127.0.0.1:8080\"\nlog_formt = \"json\"\n").unwrap();
    let bad = amparo(&dir, None, &["check-config"], None);
    assert!(!bad.status.success());
    assert!(out(&bad).contains("log_formt"), "the unknown key is named: {}", out(&bad));
}

/// `link link` over two files, with `--threshold` and `--model-out`.
#[test]
fn link_two_files_with_a_threshold_and_the_model_written() {
    let d = TempDir::new("link2");
    let head = "person_id,given_names,first_surname,second_surname,date_of_birth,document_number,origin_ubigeo,sex\n";
    let mut a = String::from(head);
    let mut b = String::from(head);
    a.push_str("police-1,Rosa María,Huamán,Quispe,1990-04-09,40912377,160101,F\n");
    b.push_str("shelter-9,Rosa,Guamán,Quispe,09/04/1990,40.912.377,1601,F\n");
    let given = ["Ana", "Lucía", "Carmen", "Juana", "Elena", "Pedro", "Luis", "Jorge", "Sonia", "Marta"];
    for i in 0..150 {
        a.push_str(&format!("a-{i},{},Rojas,Flores,{}-01-1{},,150101,F\n", given[i % 10], 1950 + i % 50, i % 10));
        b.push_str(&format!("b-{i},{},Torres,Díaz,{}-02-2{},,080101,M\n", given[(i + 3) % 10], 1951 + i % 45, i % 9));
    }
    let (fa, fb) = (d.path().join("a.csv"), d.path().join("b.csv"));
    std::fs::write(&fa, a).unwrap();
    std::fs::write(&fb, b).unwrap();
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/linkage/persons.toml");
    let run = |threshold: &str, tag: &str| {
        let pairs = d.path().join(format!("pairs-{tag}.csv"));
        let model = d.path().join(format!("model-{tag}.json"));
        let o = Command::new(env!("CARGO_BIN_EXE_amparo"))
            .args(["link", "link", "--config", config, "--input", fa.to_str().unwrap(), "--input", fb.to_str().unwrap()])
            .args(["--output", pairs.to_str().unwrap(), "--threshold", threshold, "--model-out", model.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", out(&o));
        (std::fs::read_to_string(pairs).unwrap(), std::fs::read_to_string(model).unwrap())
    };
    let (low, model) = run("0.5", "low");
    assert!(low.lines().any(|l| l.starts_with("police-1,shelter-9,")), "across the two files: {low}");
    assert!(low.lines().skip(1).all(|l| l.split(',').next().unwrap().starts_with(['p', 'a'])), "left ids from the first file");
    let m: serde_json::Value = serde_json::from_str(&model).unwrap();
    assert!(m.get("lambda").is_some() || m.to_string().contains("lambda"), "the model is written: {model}");
    assert!(!model.contains("Huamán") && !model.contains("40912377"), "no data values in the model");
    let (high, _) = run("0.9999999", "high");
    assert!(high.lines().count() <= low.lines().count(), "a higher threshold keeps fewer pairs");
    for l in high.lines().skip(1) {
        let p: f64 = l.rsplit(',').next().unwrap().parse().unwrap();
        assert!(p >= 0.9999999, "{l}");
    }
}
