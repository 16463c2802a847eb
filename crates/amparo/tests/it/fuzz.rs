//! Property-based fuzzing of every parser of outside input: the HTCDS import (CSV and XLSX),
//! the linkage configuration and CSV, screening instruments as JSON, attachments, and — over
//! HTTP — JSON bodies, multipart uploads, query strings and search text on every route of
//! the catalogue. A parser must answer with an error, never panic; the server must never
//! answer 5xx. The panic catcher is not counted on: a panic anywhere fails the test.
//!
//! Cases per target: 64 by default (CI), `AMPARO_FUZZ_CASES` to change it (HTTP: 24 rounds
//! over the whole catalogue, `AMPARO_FUZZ_HTTP_ROUNDS`).
//! `bench/fuzz.sh` runs a long campaign and prints the cases run and any panic.

use crate::helpers::*;
use amparo_demo::DemoExt;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::BTreeMap;

pub(crate) fn cases(default: u32) -> u32 {
    std::env::var("AMPARO_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Run `check` on `n` generated values; a panic or an `Err` fails with the shrunk input.
fn fuzz<S: Strategy>(name: &str, strategy: S, n: u32, check: impl Fn(S::Value) -> Result<(), String>)
where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(Config { cases: n, failure_persistence: None, ..Config::default() });
    let result = runner.run(&strategy, |v| check(v).map_err(TestCaseError::fail));
    eprintln!("fuzzed {name}: {n} cases");
    if let Err(e) = result {
        panic!("fuzz target {name} failed: {e}");
    }
}

/// Text that looks like a CSV of HTCDS columns, with random cells, quotes, short rows and
/// stray bytes.
fn htcds_csv() -> impl Strategy<Value = Vec<u8>> {
    let cell = prop_oneof![".{0,12}", "[0-9]{1,8}", "\"[^\"]{0,8}\"", Just(String::new()), "(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}"];
    let row = proptest::collection::vec(cell, 0..22).prop_map(|c| c.join(","));
    (proptest::collection::vec(row, 0..6), any::<bool>(), proptest::collection::vec(any::<u8>(), 0..20)).prop_map(
        |(rows, garbage, tail)| {
            let mut s = amparo_domain::htcds::COLUMNS.join(",");
            for r in rows {
                s.push('\n');
                s.push_str(&r);
            }
            let mut b = s.into_bytes();
            if garbage {
                b.extend(tail);
            }
            b
        },
    )
}

#[test]
fn fuzz_htcds_import_files() {
    let n = cases(64);
    let today = "2026-12-07";
    let check = |bytes: Vec<u8>| -> Result<(), String> {
        if let Ok((header, rows)) = amparo_core::usecases::htcds::read_htcds_table(&bytes) {
            let _ = amparo_domain::htcds::check_header(&header);
            for (k, r) in rows.into_iter().enumerate() {
                if let Some(r) = r {
                    let cells: BTreeMap<String, String> = header.iter().cloned().zip(r).collect();
                    let _ = amparo_domain::htcds::parse_row(k + 1, &cells, today, &|a| a.starts_with("PE"), &|c| c == "PE");
                }
            }
        }
        Ok(())
    };
    fuzz("htcds csv", htcds_csv(), n, check);
    fuzz("htcds bytes", proptest::collection::vec(any::<u8>(), 0..600), n, check);
    // Bytes that start like an XLSX (a ZIP) but are not one.
    fuzz(
        "htcds xlsx",
        proptest::collection::vec(any::<u8>(), 0..800).prop_map(|mut b| {
            let mut z = b"PK\x03\x04".to_vec();
            z.append(&mut b);
            z
        }),
        n,
        check,
    );
}

#[test]
fn fuzz_linkage_config_and_csv() {
    let n = cases(64);
    let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/linkage/persons.toml")).unwrap();
    fuzz(
        "linkage config",
        prop_oneof![
            ".{0,300}",
            // The shipped config with a line cut or changed.
            (0..shipped.lines().count(), ".{0,40}").prop_map({
                let shipped = shipped.clone();
                move |(i, s)| {
                    shipped.lines().enumerate().map(|(k, l)| if k == i { s.clone() } else { l.to_owned() }).collect::<Vec<_>>().join("\n")
                }
            }),
        ],
        n,
        |text| {
            let _ = amparo_linkage::config::LinkConfig::parse(&text);
            Ok(())
        },
    );
    let cfg = amparo_linkage::config::LinkConfig::parse(&shipped).unwrap();
    let dir = amparo_testkit::TempDir::new("fuzzcsv");
    let path = dir.path().join("in.csv");
    let header = cfg.fields.iter().flat_map(|f| f.columns.clone()).collect::<Vec<_>>();
    let row = proptest::collection::vec(prop_oneof![".{0,15}", "[0-9/-]{0,12}", Just(String::new())], 0..12).prop_map(|c| c.join(","));
    fuzz("linkage csv", (proptest::collection::vec(row, 0..8), proptest::collection::vec(any::<u8>(), 0..30)), n, |(rows, tail)| {
        let mut text = format!("id,{}\n", header.join(","));
        for (i, r) in rows.iter().enumerate() {
            text.push_str(&format!("r{i},{r}\n"));
        }
        let mut bytes = text.into_bytes();
        bytes.extend(tail);
        std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
        let mut table = amparo_linkage::data::Table::for_config(&cfg);
        let _ = amparo_linkage::data::load_csv(path.to_str().unwrap_or(""), 0, &cfg, &mut table);
        Ok(())
    });
}

#[test]
fn fuzz_instruments_and_attachments() {
    let n = cases(64);
    let builtin = serde_json::to_string(&amparo_core::usecases::instruments::builtin_instrument().unwrap()).unwrap();
    fuzz(
        "instrument json",
        (0..builtin.len(), ".{0,20}", any::<bool>()).prop_map({
            let builtin = builtin.clone();
            move |(at, s, cut)| {
                let at = (0..=at).rev().find(|i| builtin.is_char_boundary(*i)).unwrap_or(0);
                if cut { builtin[..at].to_owned() } else { format!("{}{s}{}", &builtin[..at], &builtin[at..]) }
            }
        }),
        n,
        |text| {
            if let Ok(i) = serde_json::from_str::<amparo_domain::screening::Instrument>(&text) {
                let _ = i.validate();
            }
            Ok(())
        },
    );
    fuzz(
        "attachment",
        (
            ".{0,80}",
            proptest::collection::vec(any::<u8>(), 0..400),
            prop_oneof![Just(&b"%PDF-"[..]), Just(&b"\x89PNG\r\n\x1a\n"[..]), Just(&b"\xff\xd8\xff"[..]), Just(&b""[..])],
        ),
        n,
        |(name, body, magic)| {
            let mut bytes = magic.to_vec();
            bytes.extend(body);
            let _ = amparo_domain::attachment::check_upload(&name, &bytes);
            Ok(())
        },
    );
}

/// Random JSON bodies, query strings, search text and multipart uploads against every route
/// of the catalogue, as an API caller and as a signed-in user: never a 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_every_route_over_http() {
    // Each round sends every route of the catalogue: rounds, not cases, are counted here.
    let n = std::env::var("AMPARO_FUZZ_HTTP_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(24);
    let t = spawn_app().await;
    t.app.demo().load_demo(&amparo_core::Ctx::system("t")).await.unwrap();
    t.app.coordination().rebuild_search().await.unwrap();
    let tok = token(&t, "investigador@demo.amparo.pe").await;
    let (b, _) = login(&t, "investigador@demo.amparo.pe", DEMO_PW).await;
    let (_, specs) = amparo_web::routes::catalogue();
    let mut runner = TestRunner::new(Config { cases: n, failure_persistence: None, ..Config::default() });
    // JSON objects with the field names the routes read and values of every JSON type.
    let key = prop_oneof![
        Just("version".to_owned()),
        Just("person_id".to_owned()),
        Just("role".to_owned()),
        Just("status".to_owned()),
        Just("purpose".to_owned()),
        Just("to_org".to_owned()),
        Just("until".to_owned()),
        Just("decision".to_owned()),
        "[a-z_]{1,12}"
    ];
    let value = prop_oneof![
        ".{0,20}".prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map(serde_json::Value::Number).unwrap_or_default()),
        any::<bool>().prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
        proptest::collection::vec(".{0,5}", 0..3).prop_map(serde_json::Value::from),
    ];
    let object = proptest::collection::vec((key, value), 0..6)
        .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect()).to_string().into_bytes());
    let bodies = prop_oneof![proptest::collection::vec(any::<u8>(), 0..300), object, ".{0,200}".prop_map(String::into_bytes)];
    let query = "[a-z_]{1,10}=[^&#]{0,20}(&[a-z_]{1,10}=[^&#]{0,20}){0,4}";
    let mut sent = 0u64;
    for _ in 0..n {
        let body = bodies.new_tree(&mut runner).unwrap().current();
        let q = query.new_tree(&mut runner).unwrap().current();
        let text = ".{0,60}".new_tree(&mut runner).unwrap().current();
        for s in &specs {
            if s.path == "/logout" {
                continue;
            }
            let path = s.path.replace("{id}", "x").replace("{file}", "x").replace("{reference}", "x");
            let q: String = q
                .bytes()
                .map(|c| if c.is_ascii_alphanumeric() || b"=&_".contains(&c) { (c as char).to_string() } else { format!("%{c:02X}") })
                .collect();
            let url = format!("{}{}?{}", t.base, path, q);
            let api = s.path.starts_with("/api/");
            let req = match s.method {
                "GET" => b.c.get(&url),
                "PUT" => b.c.put(&url),
                _ => b.c.post(&url),
            };
            let req = if api {
                req.bearer_auth(&tok).header("content-type", "application/json").body(body.clone())
            } else {
                req.header("cookie", &b.cookie)
                    .header("x-csrf-token", &b.csrf)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body.clone())
            };
            let r = req.send().await.unwrap();
            assert!(r.status().as_u16() < 500, "{} {url}: {}", s.method, r.status());
            sent += 1;
        }
        // Search text and a multipart upload with random parts.
        let enc: String = text.bytes().map(|c| format!("%{c:02X}")).collect();
        let (status, _) = call(&t, &tok, "GET", &format!("/api/v1/search?q={enc}"), serde_json::Value::Null).await;
        assert!(status < 500, "search {text:?}: {status}");
        let mut mp = b"--bnd\r\nContent-Disposition: form-data; name=\"file\"; filename=\"".to_vec();
        mp.extend(text.as_bytes());
        mp.extend(b"\"\r\n\r\n");
        mp.extend(&body);
        if body.len() % 2 == 0 {
            mp.extend(b"\r\n--bnd--\r\n");
        }
        let r =
            b.c.post(format!("{}/cases/x/attachments?_csrf={}", t.base, b.csrf))
                .header("cookie", &b.cookie)
                .header("content-type", "multipart/form-data; boundary=bnd")
                .body(mp)
                .send()
                .await
                .unwrap();
        assert!(r.status().as_u16() < 500, "multipart: {}", r.status());
        sent += 2;
    }
    eprintln!("fuzzed http: {sent} requests");
}
