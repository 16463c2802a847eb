//! Test support shared by the store conformance suite and the binary's integration tests.
//!
//! - [`TempDir`]: a scratch directory removed on drop.
//! - [`PgCluster`]: a throwaway PostgreSQL cluster started with `initdb`/`pg_ctl` on a free
//!   port with its socket in the cluster directory, stopped and deleted on drop. As root,
//!   the binaries run as the `postgres` user through `runuser`.
//! - [`require`]: the skip-or-fail switch. When a tool is missing a test prints one clear
//!   "skipped" line, unless `AMPARO_REQUIRE_PG=1` / `AMPARO_REQUIRE_BROWSER=1` says it must fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!("amparo-test-{}-{}-{}", label, std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Decide what to do when an outside tool is missing: `None` = go on (tool present),
/// `Some(())` = skip (printed). Panics (fails the test) when the env var demands the tool.
pub fn require(tool_present: bool, env_var: &str, what: &str) -> bool {
    if tool_present {
        return true;
    }
    if std::env::var(env_var).map(|v| v == "1").unwrap_or(false) {
        panic!("{what} is required ({env_var}=1) but is not available");
    }
    let test = std::thread::current().name().unwrap_or("?").to_owned();
    let line = format!("skipped: {test}: {what} not available (set {env_var}=1 to make this a failure)");
    eprintln!("{line}");
    // The test harness counts an early return as passed and hides test output; the skip is
    // also written where `.ci/run` (and anyone) can count it as skipped.
    let log = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("amparo-skipped.log");
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(&log) {
        use std::io::Write;
        let _ = writeln!(f, "{line}");
    }
    false
}

fn which(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(bin)).find(|p| p.is_file()))
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

pub struct PgCluster {
    dir: TempDir,
    port: u16,
    as_postgres: bool,
    pg_ctl: PathBuf,
    opts: String,
}

impl PgCluster {
    /// Start a cluster, or `None` (after printing "skipped") when initdb/pg_ctl are missing.
    pub fn start() -> Option<Self> {
        let (initdb, pg_ctl) = match (which("initdb"), which("pg_ctl")) {
            (Some(a), Some(b)) => (a, b),
            _ => {
                require(false, "AMPARO_REQUIRE_PG", "PostgreSQL (initdb/pg_ctl on PATH)");
                return None;
            }
        };
        let dir = TempDir::new("pg");
        let as_postgres = is_root();
        let data = dir.path().join("data");
        if as_postgres {
            Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status().unwrap();
        }
        let run = |bin: &Path, args: &[&str]| {
            let mut c = if as_postgres {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(bin);
                c
            } else {
                Command::new(bin)
            };
            c.args(args);
            c
        };
        let out =
            run(&initdb, &["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "-D", data.to_str().unwrap()]).output().unwrap();
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        let port = free_port();
        let opts = format!("-p {port} -k {} -c fsync=off -c listen_addresses=127.0.0.1", dir.path().display());
        let log = dir.path().join("pg.log");
        let out = run(&pg_ctl, &["-D", data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-o", &opts, "-w", "start"]).output().unwrap();
        assert!(out.status.success(), "pg_ctl start failed: {}", String::from_utf8_lossy(&out.stderr));
        // A cluster kept in a `static` is never dropped, and a test binary that panics or is
        // interrupted never drops anything: a detached watchdog stops the cluster and deletes
        // its directory once this process has gone, so test runs leave no server behind.
        let stop = format!(
            "{}{} -D {} -m immediate stop",
            if as_postgres { "runuser -u postgres -- " } else { "" },
            pg_ctl.display(),
            data.display()
        );
        let watchdog = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            dir = dir.path().display()
        );
        let _ = Command::new("setsid")
            .args(["sh", "-c", &watchdog])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        Some(Self { dir, port, as_postgres, pg_ctl, opts })
    }

    fn ctl(&self, args: &[&str]) -> std::process::Output {
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&self.pg_ctl);
            c
        } else {
            Command::new(&self.pg_ctl)
        };
        c.args(args).output().unwrap()
    }

    /// Stop the server (an outage, for tests of what clients see meanwhile).
    pub fn stop(&self) {
        let data = self.dir.path().join("data");
        let out = self.ctl(&["-D", data.to_str().unwrap_or(""), "-m", "fast", "-w", "stop"]);
        assert!(out.status.success(), "pg_ctl stop failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Start it again after [`PgCluster::stop`], on the same port.
    pub fn start_again(&self) {
        let data = self.dir.path().join("data");
        let log = self.dir.path().join("pg.log");
        let out = self.ctl(&["-D", data.to_str().unwrap_or(""), "-l", log.to_str().unwrap_or(""), "-o", &self.opts, "-w", "start"]);
        assert!(out.status.success(), "pg_ctl start failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Create a fresh database and return its URL.
    pub fn new_database(&self, name: &str) -> String {
        let url = format!("postgres://postgres@127.0.0.1:{}/postgres", self.port);
        let psql = which("psql").expect("psql on PATH");
        let out = Command::new(psql).args([&url, "-q", "-c", &format!("CREATE DATABASE {name}")]).output().unwrap();
        assert!(out.status.success(), "createdb failed: {}", String::from_utf8_lossy(&out.stderr));
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `pg_dump` of a database as text (for the no-plaintext test).
    pub fn dump(&self, db_url: &str) -> Vec<u8> {
        let out = Command::new(which("pg_dump").expect("pg_dump on PATH")).arg(db_url).output().unwrap();
        assert!(out.status.success(), "pg_dump failed: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&self.pg_ctl);
            c
        } else {
            Command::new(&self.pg_ctl)
        };
        let _ = c.args(["-D", data.to_str().unwrap_or(""), "-m", "immediate", "stop"]).output();
    }
}
