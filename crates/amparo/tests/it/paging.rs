//! Paged lists: every page in a stable order from a sealed cursor. No row is shown twice and
//! none lost while others are written between pages; each filter narrows and none widens past
//! the caller's scope; a cursor is the caller's own; bad values are a 422 naming the field.

use crate::helpers::all_pages;
use crate::world::*;
use amparo_demo::DemoExt;
use serde_json::{Value, json};
use std::collections::HashSet;

async fn persons(w: &World, who: &Account, n: usize, role: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for k in 0..n {
        let body = json!({ "role": role, "aliases": format!("Alias {k}") });
        ids.push(w.ok(who, "POST", "/api/v1/persons", body, 201).await["id"].as_str().unwrap().to_owned());
        // Some share a second (ties are broken by id), some do not.
        if k % 7 == 0 {
            w.t.clock.advance(1);
        }
    }
    ids
}

#[tokio::test]
async fn pages_never_repeat_or_lose_a_row_while_rows_are_written_between_them() {
    let w = World::new().await;
    let org = w.org("Comisaría de Iquitos", "police_unit", "PE-16", None).await;
    let inv = w.account("inv@x.pe", &org, &["investigator"]).await;
    let before = persons(&w, &inv, 120, "possible_victim").await;
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/persons?limit=25&cursor={c}"),
            None => "/api/v1/persons?limit=25".to_owned(),
        };
        let page = w.ok(&inv, "GET", &path, Value::Null, 200).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 25);
        seen.extend(items.iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        pages += 1;
        // Others keep recording while this list is read.
        persons(&w, &inv, 3, "witness").await;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 20, "the list never ended");
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a row was shown twice");
    for id in &before {
        assert!(unique.contains(id), "{id}, there before the first page, was lost");
    }
    assert_eq!(pages, 5, "120 rows in pages of 25 (the newer ones sort before the first page)");
}

#[tokio::test]
async fn filters_narrow_and_never_widen_past_the_callers_scope() {
    let w = World::new().await;
    let mine = w.org("Comisaría de Iquitos", "police_unit", "PE-16", None).await;
    let theirs = w.org("Comisaría de Juliaca", "police_unit", "PE-21", None).await;
    let inv = w.account("inv@x.pe", &mine, &["investigator"]).await;
    let other = w.account("otra@x.pe", &theirs, &["investigator"]).await;
    let victims = persons(&w, &inv, 4, "possible_victim").await;
    let witnesses = persons(&w, &inv, 3, "witness").await;
    let foreign = persons(&w, &other, 5, "witness").await;
    let ids = |v: &Vec<Value>| v.iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect::<HashSet<_>>();
    let all = ids(&all_pages(&w.t.base, &inv.token, "/api/v1/persons").await);
    assert_eq!(all, victims.iter().chain(&witnesses).cloned().collect(), "her unit's persons, no one else's");
    let only = ids(&all_pages(&w.t.base, &inv.token, "/api/v1/persons?status=witness").await);
    assert_eq!(only, witnesses.iter().cloned().collect(), "the role filter narrows");
    assert!(foreign.iter().all(|f| !only.contains(f)), "a filter never reaches another unit");
    // Cases by status and region, and a date range that holds nothing.
    for (title, place) in [("Bar en Belén", "PE-1601"), ("Mina en Madre de Dios", "PE-17")] {
        let c = json!({ "title": title, "exploitation": "isSexualExploit", "place": place });
        w.ok(&inv, "POST", "/api/v1/cases", c, 201).await;
    }
    let loreto = all_pages(&w.t.base, &inv.token, "/api/v1/cases?region=PE-16").await;
    assert_eq!(loreto.iter().map(|c| c["title"].as_str().unwrap()).collect::<Vec<_>>(), vec!["Bar en Belén"]);
    assert_eq!(all_pages(&w.t.base, &inv.token, "/api/v1/cases?status=closed").await.len(), 0);
    assert_eq!(all_pages(&w.t.base, &inv.token, "/api/v1/cases?status=open").await.len(), 2);
    assert_eq!(all_pages(&w.t.base, &inv.token, "/api/v1/cases?from=2001-01-01&to=2001-12-31").await.len(), 0);
    assert_eq!(all_pages(&w.t.base, &other.token, "/api/v1/cases?region=PE-16").await.len(), 0, "not another unit's cases");
}

#[tokio::test]
async fn a_cursor_is_the_callers_own_and_bad_values_are_named() {
    let w = World::new().await;
    let org = w.org("Comisaría de Iquitos", "police_unit", "PE-16", None).await;
    let inv = w.account("inv@x.pe", &org, &["investigator"]).await;
    let colleague = w.account("colega@x.pe", &org, &["investigator"]).await;
    persons(&w, &inv, 5, "witness").await;
    let page = w.ok(&inv, "GET", "/api/v1/persons?limit=2", Value::Null, 200).await;
    let cursor = page["next_cursor"].as_str().expect("a next page").to_owned();
    // Her cursor works for her, on this list only.
    w.ok(&inv, "GET", &format!("/api/v1/persons?limit=2&cursor={cursor}"), Value::Null, 200).await;
    let refused = |body: &Value, field: &str, code: &str| {
        body["code"] == "validation_failed"
            && body["fields"].as_array().is_some_and(|f| f.iter().any(|x| x["field"] == field && x["code"] == code))
    };
    let (status, body) = w.call(&colleague, "GET", &format!("/api/v1/persons?limit=2&cursor={cursor}"), Value::Null).await;
    assert!(status == 422 && refused(&body, "cursor", "invalid_cursor"), "another person's cursor: {status} {body}");
    let (status, body) = w.call(&inv, "GET", &format!("/api/v1/cases?cursor={cursor}"), Value::Null).await;
    assert!(status == 422 && refused(&body, "cursor", "invalid_cursor"), "another list's cursor: {status} {body}");
    let tampered = format!("{}x", &cursor[..cursor.len() - 1]);
    for bad in [tampered.as_str(), "abc", "....", "%00"] {
        let (status, body) = w.call(&inv, "GET", &format!("/api/v1/persons?cursor={bad}"), Value::Null).await;
        assert!(status == 422 && refused(&body, "cursor", "invalid_cursor"), "cursor {bad}: {status} {body}");
    }
    for bad in ["0", "201", "-1", "many", "1e3"] {
        let (status, body) = w.call(&inv, "GET", &format!("/api/v1/persons?limit={bad}"), Value::Null).await;
        assert!(status == 422 && refused(&body, "limit", "invalid_limit"), "limit {bad}: {status} {body}");
    }
    let (status, body) = w.call(&inv, "GET", "/api/v1/cases?status=lost&from=2026-02-30", Value::Null).await;
    assert!(status == 422 && refused(&body, "status", "invalid_choice") && refused(&body, "from", "invalid_date"), "{status} {body}");
    // The pages answer the same refusals with a page of their own, and page on.
    let b = signed_in(&w.t, "ui@x.pe", &org, &["investigator"]).await;
    assert_eq!(b.get("/persons?limit=many").await.status(), 422);
    let first = b.get("/persons?limit=2").await.text().await.unwrap();
    let next = first.split("id=\"page-next\" ").next().and_then(|s| s.rsplit("href=\"").next()).expect("a next-page link");
    let next =
        next.trim_end().trim_end_matches('"').replace("&amp;", "&").replace("&#38;", "&").replace("&#x2f;", "/").replace("&#x3d;", "=");
    let second = b.get(&next).await;
    assert_eq!(second.status(), 200, "{next}");
    let second = second.text().await.unwrap();
    assert!(
        second.contains("id=\"page-first\""),
        "a later page links back to the first: {next} {}",
        second.find("<main").map(|i| &second[i..]).unwrap_or("")
    );
}

/// Every list the API document marks as paged answers with the envelope, pages without
/// repeats to its end, and refuses a bad limit or cursor with the field named. Built from the
/// document, so a list added to it cannot skip this.
#[tokio::test]
async fn every_paged_list_in_the_api_document_pages_and_refuses_bad_values() {
    let t = crate::helpers::spawn_app().await;
    t.app.demo().load_demo(&amparo_core::Ctx::system("t")).await.unwrap();
    let doc: Value = crate::helpers::client().get(format!("{}/api/v1/openapi.json", t.base)).send().await.unwrap().json().await.unwrap();
    let mut tokens = Vec::new();
    for who in ["investigador@demo.amparo.pe", "coordinadora@demo.amparo.pe", "admin@demo.amparo.pe"] {
        tokens.push(crate::helpers::token(&t, who).await);
    }
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        // A page of each list's own item type (`PersonPage`, `CaseSummaryPage`…), each the
        // `{items, next_cursor}` envelope.
        let reply = ops["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].as_str().unwrap_or("");
        let Some(name) = reply.strip_prefix("#/components/schemas/").filter(|n| n.ends_with("Page")) else {
            continue;
        };
        assert_eq!(doc["components"]["schemas"][name]["required"], json!(["items", "next_cursor"]), "{path}: {name}");
        // The first of the demo's desks that may read the list.
        let mut who = None;
        for tok in &tokens {
            if crate::helpers::call(&t, tok, "GET", path, Value::Null).await.0 == 200 {
                who = Some(tok.clone());
                break;
            }
        }
        let tok = who.unwrap_or_else(|| panic!("no demo desk may read {path}"));
        let mut ids: Vec<String> = Vec::new();
        let mut cursor: Option<String> = None;
        for round in 0.. {
            assert!(round < 500, "{path} never ended");
            let url = match &cursor {
                Some(c) => format!("{path}?limit=7&cursor={c}"),
                None => format!("{path}?limit=7"),
            };
            let (status, page) = crate::helpers::call(&t, &tok, "GET", &url, Value::Null).await;
            assert_eq!(status, 200, "{url}: {page}");
            let items = page["items"].as_array().unwrap_or_else(|| panic!("{path}: no items in {page}"));
            assert!(items.len() <= 7, "{path}: a page longer than asked");
            ids.extend(items.iter().map(|i| {
                i.get("id")
                    .or_else(|| i.get("alpha2"))
                    .or_else(|| i.get("code"))
                    .or_else(|| i.get("person_id"))
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| i.to_string())
            }));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{path}: an item on two pages");
        for (q, field, code) in [
            ("limit=0", "limit", "invalid_limit"),
            ("limit=500", "limit", "invalid_limit"),
            ("cursor=forged.0000", "cursor", "invalid_cursor"),
        ] {
            let (status, body) = crate::helpers::call(&t, &tok, "GET", &format!("{path}?{q}"), Value::Null).await;
            assert_eq!(status, 422, "{path}?{q}: {body}");
            assert!(
                body["fields"].as_array().is_some_and(|f| f.iter().any(|x| x["field"] == field && x["code"] == code)),
                "{path}?{q}: {body}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 13, "only {checked} paged lists in the document");
}

/// Referrals come in two boxes, each paged with its own cursor: the sent box of one unit is
/// the received box of the shelter, page by page, with no referral twice or lost; a status
/// filter narrows both; one box's cursor is refused for the other and for another account.
#[tokio::test]
async fn referrals_page_in_two_boxes_each_with_its_own_cursor() {
    let w = World::new().await;
    let police = w.org("Comisaría de Iquitos", "police_unit", "PE-16", None).await;
    let ngo = w.org("Casa Refugio Loreto", "ngo", "PE-16", None).await;
    let inv = w.account("inv@x.pe", &police, &["investigator"]).await;
    let staff = w.account("albergue@x.pe", &ngo, &["shelter_staff"]).await;
    let body = json!({ "name": "Albergue", "kind": "shelter", "region": "PE-16", "capacity": "100", "contact_protocol": "Llamar" });
    let service = w.ok(&staff, "POST", "/api/v1/services", body, 201).await["id"].as_str().unwrap().to_owned();
    let mut sent = HashSet::new();
    for k in 0..23 {
        let p = w.person_as(&inv, "possible_victim", &format!("Ana{k}"), "Ríos").await;
        let body = json!({ "service_id": service, "consent_by": "person", "consent_method": "verbal", "consent_on": "2026-09-01" });
        let r = w.ok(&inv, "POST", &format!("/api/v1/persons/{p}/referrals"), body, 201).await;
        sent.insert(r["id"].as_str().unwrap().to_owned());
        if k % 5 == 0 {
            w.t.clock.advance(1);
        }
    }
    // Walk one box to its end.
    async fn walk(w: &World, who: &Account, side: &str) -> (Vec<String>, usize) {
        let (mut ids, mut pages, mut cursor) = (Vec::new(), 0, None::<String>);
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/referrals?limit=10&{side}_cursor={c}"),
                None => "/api/v1/referrals?limit=10".to_owned(),
            };
            let page = w.ok(who, "GET", &path, Value::Null, 200).await;
            let other = if side == "incoming" { "outgoing" } else { "incoming" };
            if cursor.is_some() {
                assert!(page[other].as_array().unwrap().is_empty(), "paging one box reads only that box");
            }
            let items = page[side].as_array().unwrap();
            assert!(items.len() <= 10);
            ids.extend(items.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
            pages += 1;
            assert!(pages < 10, "the box never ended");
            match page[format!("{side}_cursor")].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return (ids, pages),
            }
        }
    }
    let (out, pages) = walk(&w, &inv, "outgoing").await;
    assert_eq!(pages, 3, "23 referrals in pages of 10");
    assert_eq!(out.iter().cloned().collect::<HashSet<_>>(), sent, "every referral sent, once");
    assert_eq!(out.len(), sent.len(), "none twice");
    let (inc, _) = walk(&w, &staff, "incoming").await;
    assert_eq!(inc.iter().cloned().collect::<HashSet<_>>(), sent, "the shelter received the same");
    let first = w.ok(&inv, "GET", "/api/v1/referrals", Value::Null, 200).await;
    assert!(first["incoming"].as_array().unwrap().is_empty(), "the unit received nothing");

    // A status filter narrows both boxes.
    let one = out[0].clone();
    let r = w.ok(&staff, "GET", "/api/v1/referrals?limit=1&incoming_cursor=x", Value::Null, 422).await;
    assert_eq!(r["fields"][0]["field"], "incoming_cursor");
    let view = w.ok(&staff, "GET", "/api/v1/referrals?limit=50", Value::Null, 200).await;
    let version = view["incoming"].as_array().unwrap().iter().find(|r| r["id"] == one.as_str()).unwrap()["version"].clone();
    w.ok(&staff, "POST", &format!("/api/v1/referrals/{one}/act"), json!({ "action": "accept", "version": version }), 200).await;
    let accepted = w.ok(&staff, "GET", "/api/v1/referrals?status=accepted", Value::Null, 200).await;
    let ids: Vec<&str> = accepted["incoming"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![one.as_str()]);
    let sent_accepted = w.ok(&inv, "GET", "/api/v1/referrals?status=accepted", Value::Null, 200).await;
    assert_eq!(sent_accepted["outgoing"].as_array().unwrap().len(), 1);
    let bad = w.ok(&inv, "GET", "/api/v1/referrals?status=lost", Value::Null, 422).await;
    assert_eq!(bad["fields"][0]["field"], "status");

    // A cursor is for its own box and its own caller.
    let p1 = w.ok(&inv, "GET", "/api/v1/referrals?limit=5", Value::Null, 200).await;
    let c = p1["outgoing_cursor"].as_str().unwrap().to_owned();
    let r = w.ok(&inv, "GET", &format!("/api/v1/referrals?limit=5&incoming_cursor={c}"), Value::Null, 422).await;
    assert_eq!(r["fields"][0]["code"], "invalid_cursor");
    let r = w.ok(&staff, "GET", &format!("/api/v1/referrals?limit=5&outgoing_cursor={c}"), Value::Null, 422).await;
    assert_eq!(r["fields"][0]["code"], "invalid_cursor");
    let ok = w.ok(&inv, "GET", &format!("/api/v1/referrals?limit=5&outgoing_cursor={c}"), Value::Null, 200).await;
    assert_eq!(ok["outgoing"].as_array().unwrap().len(), 5);

    // The page: the sent box pages on with its own link, and goes back to both.
    let b = signed_in(&w.t, "ui@x.pe", &police, &["investigator"]).await;
    let html = b.get("/referrals?limit=10").await.text().await.unwrap();
    let next = html.split("id=\"outgoing-next\"").next().and_then(|s| s.rsplit("href=\"").next()).expect("a next link for the sent box");
    let next =
        next.trim_end().trim_end_matches('"').replace("&amp;", "&").replace("&#38;", "&").replace("&#x2f;", "/").replace("&#x3d;", "=");
    assert!(next.starts_with("/referrals?limit=10&outgoing_cursor="), "{next}");
    let second = b.get(&next).await;
    assert_eq!(second.status(), 200);
    let html2 = second.text().await.unwrap();
    assert!(html2.contains("id=\"page-first\"") && html2.contains("id=\"outgoing\"") && !html2.contains("id=\"incoming\""), "{html2}");
}

/// The operations and inspections pages are paged like every other list (they were the
/// last to read up to 500 rows at once): no row twice or lost, a region filter that
/// narrows, and an inspection handed to the police (forced-labour indicators) listed for
/// that unit too — and for no other.
#[tokio::test]
async fn field_records_page_filter_and_reach_the_unit_they_were_handed_to() {
    let w = World::new().await;
    let police = w.org("Comisaría de Iquitos", "police_unit", "PE-16", None).await;
    let other = w.org("Comisaría de Cusco", "police_unit", "PE-08", None).await;
    let labour = w.org("SUNAFIL Loreto", "labour_inspectorate", "PE-16", None).await;
    let inv = w.account("inv@x.pe", &police, &["investigator"]).await;
    let insp = w.account("insp@x.pe", &labour, &["labour_inspector"]).await;
    for (k, place) in ["PE-16", "PE-16", "PE-16", "PE-08", "PE-08"].iter().enumerate() {
        // Numbers as JSON numbers or as text, as a generated client or a form sends them.
        let found = if k % 2 == 0 { json!(k + 1) } else { json!((k + 1).to_string()) };
        let op = json!({ "date": "2026-01-10", "place": place, "exploitation": "labour", "persons_found": found, "rescued": 0 });
        w.ok(&inv, "POST", "/api/v1/operations", op, 201).await;
        w.t.clock.advance(1);
    }
    let handed = json!({ "date": "2026-01-11", "place": "PE-16", "isic": "B", "workplace": "Campamento", "workers_found": "9",
        "indicators": ["fl01_abuse_of_vulnerability"] });
    let handed_id = w.ok(&insp, "POST", "/api/v1/inspections", handed, 201).await["id"].as_str().unwrap().to_owned();
    let quiet =
        json!({ "date": "2026-01-12", "place": "PE-16", "isic": "A", "workplace": "Chacra", "workers_found": "2", "indicators": [] });
    let quiet_id = w.ok(&insp, "POST", "/api/v1/inspections", quiet, 201).await["id"].as_str().unwrap().to_owned();

    let b = signed_in(&w.t, "inv2@x.pe", &police, &["investigator"]).await;
    // Two pages of two and a last of one, by the links the page itself offers.
    let mut seen: Vec<String> = Vec::new();
    let mut path = "/operations?limit=2".to_owned();
    for _ in 0..5 {
        let html = b.get(&path).await.text().await.unwrap();
        let ids: Vec<String> = html.match_indices("href=\"/operations/").map(|(i, _)| html[i + 18..i + 44].to_owned()).collect();
        assert!(ids.len() <= 2, "a page of two: {ids:?}");
        seen.extend(ids);
        let Some(at) = html.find("id=\"page-next\"") else { break };
        let start = html[..at].rfind("href=\"").unwrap() + 6;
        path = html[start..start + html[start..].find('"').unwrap()].replace("&#38;", "&").replace("&amp;", "&");
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (5, 5), "five operations, each once: {seen:?}");
    let loreto = b.get("/operations?region=PE-16").await.text().await.unwrap();
    assert_eq!(loreto.matches("href=\"/operations/").count(), 3, "the region filter narrows");
    let bad = b.get("/operations?limit=0").await;
    assert_eq!(bad.status(), 422, "a bad limit is refused");

    // The police unit sees the inspection handed to it, not the one without indicators.
    let handed_list = b.get("/inspections").await.text().await.unwrap();
    assert!(handed_list.contains(&format!("/inspections/{handed_id}")), "the handed inspection is in the unit's list");
    assert!(!handed_list.contains(&quiet_id), "an inspection not handed over stays with the inspectorate");
    let c = signed_in(&w.t, "cusco@x.pe", &other, &["investigator"]).await;
    let elsewhere = c.get("/inspections").await.text().await.unwrap();
    assert!(!elsewhere.contains(&handed_id) && !elsewhere.contains(&quiet_id), "another unit sees neither");
    assert_eq!(c.get("/operations").await.text().await.unwrap().matches("href=\"/operations/").count(), 0);
}
