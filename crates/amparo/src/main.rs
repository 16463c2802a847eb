//! The `amparo` command: server, demo, and every operator task. Subcommand names and flags
//! are a contract that outside scripts rely on; add around them, never rename.

/// mimalloc instead of the C library's allocator: counting a national data set makes and
/// drops millions of small strings, and glibc's malloc spent about 40% of the annual report's
/// time consolidating and searching free lists (bench/results/statistics-*.txt).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod backup;
mod export;
mod generate;
mod htcds;
mod link;
mod report;
mod runtime;
mod serve;
mod settings;

use amparo_core::Ctx;
use amparo_core::random::{OsRandom, RandomExt};
use amparo_demo::DemoExt;
use amparo_domain::org::OrgInput;
use amparo_domain::user::UserInput;
use amparo_web::WebSettings;
use clap::{Args, Parser, Subcommand};
use runtime::{Fallible, open};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "amparo", version, about = "Amparo: case management, referral and statistics against human trafficking")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Args, Clone)]
struct DataDir {
    /// Data directory: SQLite database, master key, amparo.toml.
    #[arg(long, env = "AMPARO_DATA_DIR", default_value = "amparo-data")]
    data_dir: PathBuf,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the server.
    Serve {
        #[command(flatten)]
        dir: DataDir,
        /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Create the data directory if needed, load the demo data set, and serve.
    #[command(args_conflicts_with_subcommands = true)]
    Demo {
        #[command(subcommand)]
        cmd: Option<DemoCmd>,
        #[command(flatten)]
        dir: DataDir,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Load the demo data (with its 2007–2008 history) and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Print the API's OpenAPI 3.1 document (as `GET /api/v1/openapi.json` serves it), for
    /// generating a client without a running server.
    Openapi,
    /// Apply database migrations (creates the master key if there is none).
    Migrate {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Check settings, key file and database, and report problems.
    CheckConfig {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// Manage organisations.
    Org {
        #[command(subcommand)]
        cmd: OrgCmd,
    },
    /// API bearer tokens.
    Token {
        #[command(subcommand)]
        cmd: TokenCmd,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// Write an encrypted, consistent backup (safe while the server runs).
    Backup {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup into an empty database.
    Restore {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long = "in")]
        input: PathBuf,
    },
    /// Master key management.
    Key {
        #[command(subcommand)]
        cmd: KeyCmd,
    },
    /// Reference geography.
    Geo {
        #[command(subcommand)]
        cmd: GeoCmd,
    },
    /// Record linkage on CSV files (no database): find duplicates, or link two files.
    Link {
        #[command(subcommand)]
        cmd: LinkCmd,
    },
    /// Anonymised exports.
    Export {
        #[command(subcommand)]
        cmd: ExportCmd,
    },
    /// Import cases from another system.
    Import {
        #[command(subcommand)]
        cmd: ImportCmd,
    },
    /// National statistics.
    Report {
        #[command(subcommand)]
        cmd: ReportCmd,
    },
}

#[derive(Subcommand)]
enum DemoCmd {
    /// Build a synthetic data set of any size (for benchmarks) in a new data directory.
    Generate {
        #[arg(long)]
        cases: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The data directory to create (SQLite there unless AMPARO_DATABASE_URL is set).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ImportCmd {
    /// Cases in HTCDS field names (CSV), into one organisation. All or nothing; idempotent.
    Htcds {
        #[command(flatten)]
        dir: DataDir,
        /// The organisation the cases belong to (its id; `amparo org list`).
        #[arg(long)]
        org: String,
        #[arg(long)]
        file: PathBuf,
        /// Check everything and say what would be added; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum ExportCmd {
    /// Victims identified in a year as k-anonymised CTDC microdata (CSV).
    Ctdc {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        year: i32,
        /// Rows whose quasi-identifiers occur fewer than k times are suppressed.
        #[arg(long, default_value_t = 11)]
        k: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// Every case and person in HTCDS field names, identities included, encrypted with age.
    Htcds {
        #[command(flatten)]
        dir: DataDir,
        /// The receiving system's age public key (age1…).
        #[arg(long)]
        recipient: String,
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ReportCmd {
    /// The annual report (DOMAIN.md §5 figures, with the previous year beside them).
    Annual {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        year: i32,
        /// An area code: a region (`16` or `PE-16`) or any area below it.
        #[arg(long)]
        region: Option<String>,
        /// An organisation id: only what that organisation recorded.
        #[arg(long)]
        org: Option<String>,
        /// json, csv, xlsx or pdf.
        #[arg(long, default_value = "json")]
        format: String,
        /// Write here instead of standard output (required for xlsx and pdf).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Language of labels (csv, xlsx, pdf): es or en.
        #[arg(long, default_value = "es")]
        lang: String,
        /// Hide breakdown cells under 11 persons, as the web does for readers who may not
        /// see persons. Without it the operator sees every cell (the console holds the
        /// `view_small_cells` capability); the audit entry records which was given.
        #[arg(long)]
        small_cells: bool,
        /// Count from the records, every table whole, instead of the statistics projection
        /// (slow at scale; checks that the projection agrees with the records).
        #[arg(long)]
        from_records: bool,
    },
}

#[derive(Subcommand)]
enum LinkCmd {
    /// Find records in one file that describe the same entity.
    Dedupe {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        input: String,
        #[arg(long)]
        output: PathBuf,
        #[arg(long)]
        clusters: Option<PathBuf>,
        /// Minimum match probability for an output pair (default: the config's, else 0.5).
        #[arg(long)]
        threshold: Option<f64>,
        /// Also write the learnt model (m, u, λ; no data values) as JSON.
        #[arg(long)]
        model_out: Option<PathBuf>,
    },
    /// Find records in two files that describe the same entity.
    Link {
        #[arg(long)]
        config: PathBuf,
        /// Give exactly two: --input A.csv --input B.csv
        #[arg(long, num_args = 1)]
        input: Vec<String>,
        #[arg(long)]
        output: PathBuf,
        #[arg(long)]
        clusters: Option<PathBuf>,
        #[arg(long)]
        threshold: Option<f64>,
        /// Also write the learnt model (m, u, λ; no data values) as JSON.
        #[arg(long)]
        model_out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create an account. The password is read from stdin with --password-stdin, otherwise
    /// a strong one is generated and printed once.
    Add {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Organisation id (see `amparo org list`).
        #[arg(long)]
        org: String,
        /// Role, repeatable: hotline_operator, investigator, prosecutor, labour_inspector,
        /// case_worker, shelter_staff, analyst, coordinator, org_admin, system_admin.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long)]
        password_stdin: bool,
        /// Give roles the organisation's kind may not hold (see the country profile). The
        /// audit entry records the override. Nothing else is relaxed.
        #[arg(long)]
        allow_role_misfit: bool,
    },
    /// Disable an account; its sessions end at once.
    Disable {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        email: String,
    },
    /// Set a new password (generated, or from stdin). `--reset-mfa` also clears two-factor.
    ResetPassword {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        reset_mfa: bool,
    },
}

#[derive(Subcommand)]
enum OrgCmd {
    /// Create an organisation.
    Add {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        name: String,
        /// police_unit, prosecutor_office, court, labour_inspectorate, ngo, shelter, hotline,
        /// ministry, coordinating_body
        #[arg(long)]
        kind: String,
        /// Area code, e.g. PE-16 (Loreto).
        #[arg(long)]
        jurisdiction: String,
        #[arg(long)]
        parent: Option<String>,
    },
    /// List organisations with their ids.
    List {
        #[command(flatten)]
        dir: DataDir,
    },
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Print a new bearer token for a user.
    Create {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        user: String,
        /// Days until it expires.
        #[arg(long, default_value_t = 30)]
        expires: i64,
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// Revoke a token by id (the part after `amp_`, before the next `_`).
    Revoke {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        id: String,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Verify the hash chain, the signed checkpoints and the signed head. Exit 0 if intact.
    Verify {
        #[command(flatten)]
        dir: DataDir,
        /// A file of anchors printed by `amparo audit anchor` (one JSON object a line), kept
        /// outside the database: the chain must still hold each of them.
        #[arg(long)]
        anchor: Option<PathBuf>,
    },
    /// Print the latest signed head as one JSON line, to keep in an external log. No
    /// personal data: a sequence number, hashes and a signature.
    Anchor {
        #[command(flatten)]
        dir: DataDir,
    },
}

#[derive(Subcommand)]
enum KeyCmd {
    /// Add a new master key and re-encrypt every encrypted field under it.
    Rotate {
        #[command(flatten)]
        dir: DataDir,
    },
}

#[derive(Subcommand)]
enum GeoCmd {
    /// Import another country's areas from CSV: country,level,code,parent,name
    Import {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        file: PathBuf,
    },
}

/// Logs go to standard error, or with `AMPARO_LOG_FILE` to that file, appended, created
/// 0600 like every file Amparo writes (a log holds addresses and operation ids).
fn init_logging() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("AMPARO_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let json = std::env::var("AMPARO_LOG_FORMAT").map(|v| v == "json").unwrap_or(false);
    let file = std::env::var("AMPARO_LOG_FILE").ok().filter(|p| !p.trim().is_empty()).and_then(|p| {
        use std::os::unix::fs::OpenOptionsExt;
        match std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(&p) {
            Ok(f) => Some(std::sync::Arc::new(f)),
            Err(e) => {
                eprintln!("AMPARO_LOG_FILE {p}: {e}; logging to standard error");
                None
            }
        }
    });
    let b = tracing_subscriber::fmt().with_env_filter(filter);
    match (file, json) {
        (Some(f), true) => b.with_writer(f).with_ansi(false).json().init(),
        (Some(f), false) => b.with_writer(f).with_ansi(false).init(),
        (None, true) => b.with_writer(std::io::stderr).json().init(),
        (None, false) => b.with_writer(std::io::stderr).init(),
    }
}

/// Everything this process creates — the database and its `-wal`/`-shm` files (SQLite gives
/// them the database's mode), backups, exports, the log, the key — is readable by its owner
/// only, and directories are 0700: the data directory holds who the victims are.
fn private_files() {
    use nix::sys::stat::{Mode, umask};
    umask(Mode::from_bits_truncate(0o077));
}

fn read_password(from_stdin: bool) -> Fallible<(String, bool)> {
    if from_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        return Ok((s.trim_end_matches(['\r', '\n']).to_owned(), false));
    }
    Ok((OsRandom.token().chars().take(20).collect(), true))
}

fn sys() -> Ctx {
    Ctx::system(&hex_op())
}

fn hex_op() -> String {
    OsRandom.bytes::<8>().iter().map(|b| format!("{b:02x}")).collect()
}

fn web_settings(rt: &runtime::Runtime, demo: bool) -> WebSettings {
    WebSettings {
        secure_cookies: rt.settings.secure_cookies,
        demo_mode: demo,
        max_body_bytes: rt.settings.max_body_bytes,
        request_timeout: std::time::Duration::from_secs(rt.settings.server.request_timeout_secs),
    }
}

async fn run(cli: Cli) -> Fallible<ExitCode> {
    match cli.cmd {
        Cmd::Serve { dir, listen } => {
            let rt = open(&dir.data_dir, true).await?;
            let listen = listen.unwrap_or_else(|| rt.settings.listen.clone());
            let web = web_settings(&rt, false);
            serve::run(rt, &listen, web, |addr| println!("Amparo listening on http://{addr}")).await?;
        }
        Cmd::Demo { cmd: Some(DemoCmd::Generate { cases, seed, out }), .. } => {
            return generate::generate(&out, cases, seed).await;
        }
        Cmd::Demo { cmd: None, dir, listen, no_serve } => {
            let rt = open(&dir.data_dir, true).await?;
            let accounts = rt.app.demo().load_demo(&sys()).await?;
            rt.app.demo().load_demo_history(&sys()).await?;
            if no_serve {
                println!("demo data loaded into {}", dir.data_dir.display());
                return Ok(ExitCode::SUCCESS);
            }
            let web = web_settings(&rt, true);
            serve::run(rt, &listen, web, move |addr| {
                println!();
                println!("Amparo demo is running at http://{addr}/");
                println!("Sign in with any of these accounts (password: {}):", amparo_demo::DEMO_PASSWORD);
                for a in &accounts {
                    println!("  {:<34} {:<18} {}", a.email, a.role.as_str(), a.org_name);
                }
                println!("Demo accounts skip two-factor authentication; the web pages show a banner saying so.");
                println!("Stop with Ctrl-C.");
            })
            .await?;
        }
        Cmd::Openapi => println!("{}", serde_json::to_string_pretty(&amparo_web::openapi_document())?),
        Cmd::Migrate { dir } => {
            let rt = open(&dir.data_dir, true).await?;
            rt.app.system().ensure_reference_data(&sys()).await?;
            use amparo_core::store::ports::*;
            println!("migrations applied: {:?}", rt.store.applied_migrations().await?);
        }
        Cmd::CheckConfig { dir } => return check_config(&dir.data_dir).await,
        Cmd::User { cmd } => match cmd {
            UserCmd::Add { dir, email, name, org, roles, password_stdin, allow_role_misfit } => {
                let rt = open(&dir.data_dir, false).await?;
                let (password, generated) = read_password(password_stdin)?;
                let input = UserInput { email, display_name: name, org_id: org, roles, password: password.clone(), locale: None };
                let created = if allow_role_misfit {
                    rt.app.administration().create_user_overriding_fit(&sys(), &input).await
                } else {
                    rt.app.administration().create_user(&sys(), &input).await
                };
                match created {
                    Ok(u) => {
                        println!("created user {} ({})", u.email, u.id);
                        if generated {
                            println!("password: {password}");
                        }
                    }
                    Err(amparo_core::CoreError::Validation(f)) => {
                        for e in f.0 {
                            match e.detail {
                                Some(d) => eprintln!("{}: {} ({d})", e.field, e.code),
                                None => eprintln!("{}: {}", e.field, e.code),
                            }
                            if e.code == "role_does_not_fit_organisation" {
                                eprintln!("  (the organisation's kind may not hold it; --allow-role-misfit overrides, audited)");
                            }
                        }
                        return Ok(ExitCode::from(2));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            UserCmd::Disable { dir, email } => {
                let rt = open(&dir.data_dir, false).await?;
                let u = rt.app.administration().disable_user(&sys(), &email).await?;
                println!("disabled {}", u.email);
            }
            UserCmd::ResetPassword { dir, email, password_stdin, reset_mfa } => {
                let rt = open(&dir.data_dir, false).await?;
                let (password, generated) = read_password(password_stdin)?;
                let u = rt.app.administration().reset_password(&sys(), &email, &password, reset_mfa).await?;
                println!("password reset for {}{}", u.email, if reset_mfa { "; two-factor cleared" } else { "" });
                if generated {
                    println!("password: {password}");
                }
            }
        },
        Cmd::Org { cmd } => match cmd {
            OrgCmd::Add { dir, name, kind, jurisdiction, parent } => {
                let rt = open(&dir.data_dir, false).await?;
                rt.app.system().ensure_reference_data(&sys()).await?;
                let o = rt.app.administration().create_org(&sys(), &OrgInput { name, kind, jurisdiction, parent_id: parent }).await?;
                println!("created organisation {} ({})", o.name, o.id);
            }
            OrgCmd::List { dir } => {
                let rt = open(&dir.data_dir, false).await?;
                for o in rt.app.administration().list_orgs(&sys()).await? {
                    println!("{}\t{}\t{}\t{}", o.id, o.kind.as_str(), o.jurisdiction, o.name);
                }
            }
        },
        Cmd::Token { cmd } => match cmd {
            TokenCmd::Create { dir, user, expires, name } => {
                let rt = open(&dir.data_dir, false).await?;
                let (token, _) = rt.app.access().create_token(&sys(), &user, &name, expires).await?;
                println!("{token}");
            }
            TokenCmd::Revoke { dir, id } => {
                let rt = open(&dir.data_dir, false).await?;
                rt.app.access().revoke_token(&sys(), &id).await?;
                println!("revoked {id}");
            }
        },
        Cmd::Audit { cmd: AuditCmd::Anchor { dir } } => {
            let rt = open(&dir.data_dir, false).await?;
            let a = rt.app.system().audit_anchor().await?;
            println!("{}", serde_json::to_string(&a)?);
        }
        Cmd::Audit { cmd: AuditCmd::Verify { dir, anchor } } => {
            let anchors = match &anchor {
                Some(path) => {
                    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
                    match amparo_core::usecases::audit::Anchor::parse_lines(&text) {
                        Ok(a) => a,
                        Err(e) => {
                            eprintln!("{}: {e}", path.display());
                            return Ok(ExitCode::from(2));
                        }
                    }
                }
                None => Vec::new(),
            };
            let rt = open(&dir.data_dir, false).await?;
            let r = rt.app.system().verify_audit_with(&anchors).await?;
            match r.broken {
                None => println!(
                    "audit trail intact: {} entries, {} signed checkpoints, head signed{}",
                    r.entries,
                    r.checkpoints,
                    if r.anchors > 0 { format!(", {} anchors held", r.anchors) } else { String::new() }
                ),
                Some(b) => {
                    println!(
                        "audit trail BROKEN at entry {}: {:?} ({} entries verified before it)",
                        b.seq,
                        b.reason,
                        b.seq.saturating_sub(1)
                    );
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Cmd::Backup { dir, out } => {
            let rt = open(&dir.data_dir, false).await?;
            let rows = backup::backup(&rt, &out).await?;
            println!("backup written to {} ({rows} rows, encrypted)", out.display());
        }
        Cmd::Restore { dir, input } => {
            let rt = open(&dir.data_dir, true).await?;
            let rows = backup::restore(&rt, &input).await?;
            let r = rt.app.system().verify_audit().await?;
            println!("restored {rows} rows; audit trail {}", if r.broken.is_none() { "intact" } else { "BROKEN" });
        }
        Cmd::Key { cmd: KeyCmd::Rotate { dir } } => {
            let rt = open(&dir.data_dir, false).await?;
            let mut ring = runtime::keyring(&rt.settings, &dir.data_dir, false)?;
            let v = ring.add_key_and_save(&rt.key_file, OsRandom.bytes::<32>())?;
            let rt2 = open(&dir.data_dir, false).await?;
            let report = rt2.app.system().reencrypt_all(&sys()).await?;
            println!(
                "master key v{v} is now active; re-encrypted {} fields. Older keys stay in the file to read old backups.",
                report.cells_reencrypted
            );
        }
        Cmd::Link { cmd } => {
            let (mode, config, inputs, output, clusters, threshold, model_out) = match cmd {
                LinkCmd::Dedupe { config, input, output, clusters, threshold, model_out } => {
                    (amparo_linkage::Mode::Dedupe, config, vec![input], output, clusters, threshold, model_out)
                }
                LinkCmd::Link { config, input, output, clusters, threshold, model_out } => {
                    (amparo_linkage::Mode::Link, config, input, output, clusters, threshold, model_out)
                }
            };
            link::link(
                mode,
                link::LinkArgs {
                    config: &config,
                    inputs: &inputs,
                    output: &output,
                    clusters: clusters.as_deref(),
                    threshold,
                    model_out: model_out.as_deref(),
                },
            )?;
        }
        Cmd::Export { cmd: ExportCmd::Ctdc { dir, year, k, out } } => {
            return export::ctdc(&dir.data_dir, year, k, &out).await;
        }
        Cmd::Export { cmd: ExportCmd::Htcds { dir, recipient, format, out } } => {
            return htcds::export(&dir.data_dir, &recipient, &format, &out).await;
        }
        Cmd::Import { cmd: ImportCmd::Htcds { dir, org, file, dry_run } } => {
            return htcds::import(&dir.data_dir, &org, &file, dry_run).await;
        }
        Cmd::Report { cmd: ReportCmd::Annual { dir, year, region, org, format, out, lang, small_cells, from_records } } => {
            let args = report::AnnualArgs {
                data_dir: &dir.data_dir,
                year,
                region,
                org,
                format: &format,
                out,
                lang: &lang,
                small_cells,
                from_records,
            };
            return report::annual(args).await;
        }
        Cmd::Geo { cmd: GeoCmd::Import { dir, file } } => {
            let rt = open(&dir.data_dir, false).await?;
            let bytes = std::fs::read(&file)?;
            match rt.app.system().import_areas(&sys(), &bytes).await {
                Ok(n) => println!("imported {n} areas"),
                Err(amparo_core::CoreError::Validation(f)) => {
                    eprintln!("nothing imported; fix these rows:");
                    for e in f.0 {
                        eprintln!("  {}: {}", e.field, e.code);
                    }
                    return Ok(ExitCode::from(2));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn check_config(dir: &std::path::Path) -> Fallible<ExitCode> {
    let mut problems = 0;
    let settings = match settings::Settings::load(dir) {
        Ok(s) => {
            println!("settings: ok {s:?}");
            s
        }
        Err(e) => {
            println!("settings: ERROR {e}");
            return Ok(ExitCode::from(1));
        }
    };
    match amparo_core::crypto::keyring::Keyring::load(&settings.key_file(dir)) {
        Ok(r) => println!("master key: ok ({}; versions {:?})", settings.key_file(dir).display(), r.versions()),
        Err(e) => {
            println!("master key: ERROR {e}");
            problems += 1;
        }
    }
    match amparo_store::connect(&settings.database_url(dir)).await {
        Ok(s) => {
            use amparo_core::store::ports::*;
            match s.applied_migrations().await {
                Ok(v) => {
                    println!("database: ok ({:?}, migrations {v:?})", s.backend());
                    for line in misfit_report(s, &settings.key_file(dir)).await {
                        println!("warning: {line}");
                    }
                }
                Err(e) => {
                    // Reading the ledger runs no DDL: a database never migrated has none.
                    println!("database: ERROR {e} (not migrated? run `amparo migrate --data-dir {}`)", dir.display());
                    problems += 1;
                }
            }
        }
        Err(e) => {
            println!("database: ERROR {e}");
            problems += 1;
        }
    }
    for w in loose_modes(dir, &settings.key_file(dir)) {
        println!("warning: {w}");
    }
    if !settings.secure_cookies {
        println!("warning: secure_cookies is off; use only behind HTTPS termination you trust, never on an open network");
    }
    Ok(if problems == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Accounts whose roles their organisation's kind may not hold (the country profile says
/// which), one line each; empty when the database or key cannot be opened (reported above).
async fn misfit_report(store: amparo_store::SqlStore, key_file: &std::path::Path) -> Vec<String> {
    // Read only: no migration runs here (`open` would apply them).
    let Ok(ring) = amparo_core::crypto::keyring::Keyring::load(key_file) else { return vec![] };
    let Ok(app) = amparo_core::Amparo::new(
        std::sync::Arc::new(store),
        std::sync::Arc::new(amparo_core::clock::SystemClock),
        std::sync::Arc::new(OsRandom),
        std::sync::Arc::new(ring),
        amparo_core::config::AuthConfig::default(),
    ) else {
        return vec![];
    };
    match app.administration().misfit_accounts(&sys()).await {
        Ok(list) => list
            .into_iter()
            .map(|(u, kind, roles)| {
                let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
                format!("account {} holds {} which a {} may not hold", u.email, roles.join(", "), kind.as_str())
            })
            .collect(),
        Err(e) => vec![format!("could not check accounts' roles: {e}")],
    }
}

/// Files and directories under the data directory that others than the owner may read or
/// enter (an older version, a copy or a restore may have made them so). Each warning says
/// how to fix it.
fn loose_modes(dir: &std::path::Path, key_file: &std::path::Path) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut check = |p: &std::path::Path, want: u32| {
        if let Ok(m) = std::fs::metadata(p) {
            let mode = m.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                out.push(format!("{} has mode {mode:o}: others can read it; run chmod {want:o} {}", p.display(), p.display()));
            }
        }
    };
    check(dir, 0o700);
    check(key_file, 0o600);
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if p == key_file {
                continue;
            }
            check(&p, if p.is_dir() { 0o700 } else { 0o600 });
        }
    }
    out
}

#[tokio::main]
async fn main() -> ExitCode {
    private_files();
    init_logging();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", amparo_store::redact(&e.to_string()));
            ExitCode::from(1)
        }
    }
}
