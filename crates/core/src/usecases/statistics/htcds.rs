//! HTCDS import and export: how a legacy system's cases come into Amparo, and how Amparo's
//! cases go to another system, in HTCDS field names (`amparo_domain::htcds`).
//!
//! **Import** validates the whole file first and reports every problem by row and field; a
//! file with any problem writes nothing. A good file is written in one transaction
//! (`Store::write_bulk`) with one audit event. The source's ids make it idempotent: a case is
//! known by (organisation, `cas_CaseId`), a person by (organisation, `prs_PersonId`), so
//! importing the same file again adds nothing. A dry run does everything but the write.
//!
//! **Export** decrypts identities, so it is for the operator only (the command line, which
//! encrypts the file to a recipient's age key); the audit event is written before anything
//! is decrypted.

use super::Statistics;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::rows::case::{Case, CaseAttrs, CaseLink, CaseLinkAttrs, CaseStep, LinkStatus};
use crate::rows::{self, Row as _, Stamp};
use amparo_domain::cases::{CaseRole, CaseStatus};

use crate::rows::alert::AlertBasis;
use crate::store::{Batch, PersonRecord, RecordRow, RecordTable, RowFilter, RowOrder, StatScan};
use amparo_domain::cases::CaseExploitation;
use amparo_domain::htcds::{COLUMNS, Row, RowError, check_header, form_to_htcds, parse_row, sector_to_htcds};
use amparo_domain::person::{Identity, PersonProfile, PersonRole, pseudonym};
use amparo_domain::policy::{Action, Relation};
use amparo_domain::protection::{days_from_civil, iso_date};
use amparo_domain::{OrgId, PersonId, UserId};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What an import did (or would do, in a dry run), or why it did nothing.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    pub rows: usize,
    pub cases_new: usize,
    pub cases_existing: usize,
    pub persons_new: usize,
    pub persons_existing: usize,
    pub links_new: usize,
    pub decisions_new: usize,
    /// Cross-agency alerts raised for imported victims and suspects who match a person held
    /// by another organisation (after the import was written).
    pub alerts: usize,
    /// Every problem found; when not empty, nothing was written.
    pub errors: Vec<RowError>,
}

/// The one field of a case's attrs the import's idempotency scan reads.
#[derive(Default, serde::Deserialize)]
#[serde(default)]
struct CaseExt {
    external_id: Option<String>,
}

impl Statistics {
    /// Import an HTCDS table (CSV, or the first sheet of an XLSX workbook) into organisation
    /// `org`. `progress(done, total)` follows the rows.
    pub async fn import_htcds(
        &self,
        ctx: &Ctx,
        org: &str,
        csv_bytes: &[u8],
        dry_run: bool,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> CoreResult<ImportReport> {
        self.authorize(ctx, Action::ImportCaseData, Relation::OwnOrgScope, "htcds", "import").await?;
        let org_id = OrgId::parse(org).ok_or_else(|| CoreError::field("org", "unknown_org"))?;
        let org = self.store.get_org(&org_id).await?.ok_or_else(|| CoreError::field("org", "unknown_org"))?;
        let mut report = ImportReport { dry_run, ..Default::default() };

        // Read every record first: a malformed file is one error, not a panic or half a file.
        let (header, cells) = match read_htcds_table(csv_bytes) {
            Ok(t) => t,
            Err(e) => {
                report.errors.push(e);
                return Ok(report);
            }
        };
        report.errors.extend(check_header(&header));
        let mut records = Vec::new();
        for (k, row) in cells.into_iter().enumerate() {
            match row {
                Some(r) => records.push(header.iter().cloned().zip(r).collect::<BTreeMap<String, String>>()),
                None => report.errors.push(RowError { row: k + 1, field: String::new(), code: "malformed_row" }),
            }
        }
        report.rows = records.len();
        if !report.errors.is_empty() {
            return Ok(report);
        }

        // Reference data the rows are checked against.
        let mut known_areas = HashSet::new();
        for place in records.iter().filter_map(|r| r.get("hte_State")).map(|s| s.trim().to_owned()).collect::<HashSet<_>>() {
            if self.store.get_area(&place).await?.is_some() {
                known_areas.insert(place);
            }
        }
        let countries: HashSet<String> = self.store.list_countries().await?.into_iter().map(|c| c.alpha2).collect();
        let today = self.today();
        let mut rows: Vec<(usize, Row)> = Vec::new();
        for (k, cells) in records.iter().enumerate() {
            match parse_row(k + 1, cells, &today, &|a| known_areas.contains(a), &|c| countries.contains(c)) {
                Ok(r) => rows.push((k + 1, r)),
                Err(e) => report.errors.extend(e),
            }
            if k % 1000 == 0 {
                progress(k, records.len());
            }
        }
        // A case's fields must agree on every one of its rows; a person appears once per case.
        let mut first_of_case: HashMap<&str, &Row> = HashMap::new();
        let mut seen_pairs = HashSet::new();
        for (n, r) in &rows {
            match first_of_case.get(r.case_id.as_str()) {
                Some(f) if (f.exploitation, &f.place, &f.created) != (r.exploitation, &r.place, &r.created) => {
                    report.errors.push(RowError { row: *n, field: "cas_CaseId".into(), code: "inconsistent_case" });
                }
                Some(_) => {}
                None => {
                    first_of_case.insert(r.case_id.as_str(), r);
                }
            }
            if !seen_pairs.insert((r.case_id.as_str(), r.person_id.as_str())) {
                report.errors.push(RowError { row: *n, field: "prs_PersonId".into(), code: "duplicate_person_in_case" });
            }
        }
        if !report.errors.is_empty() {
            report.errors.sort_by(|a, b| (a.row, &a.field).cmp(&(b.row, &b.field)));
            return Ok(report);
        }

        // What is there already (idempotency): this organisation's rows only.
        let mut cases: HashMap<String, String> = HashMap::new();
        let own = org.id.to_string();
        let scan = StatScan { attrs: &["external_id"], org: Some(&own), ..StatScan::new(RecordTable::Cases, &["id"]) };
        self.store
            .stat_scan(&scan, &mut |c| {
                let ext: CaseExt = c.attrs.as_deref().and_then(|a| serde_json::from_str(a).ok()).unwrap_or_default();
                if let Some(e) = ext.external_id {
                    cases.insert(e, c.id);
                }
            })
            .await?;
        let mut persons: HashMap<String, String> = self.store.persons_by_source(&org.id, "htcds").await?.into_iter().collect();
        let mut links: HashSet<(String, String)> = HashSet::new();
        let scan = StatScan { org: Some(&own), ..StatScan::new(RecordTable::CaseLinks, &["subject_id", "lookup"]) };
        self.store
            .stat_scan(&scan, &mut |l| {
                if let (Some(c), Some(p)) = (l.subject_id, l.lookup) {
                    links.insert((c, p));
                }
            })
            .await?;

        let mut new_persons: Vec<PersonRecord> = Vec::new();
        let mut inserts: Vec<(RecordTable, RecordRow)> = Vec::new();
        let by = ctx.user().map(|u| u.user_id.to_string()).unwrap_or_else(|| "import".to_owned());
        let mut cases_seen = HashSet::new();
        for (k, (_, r)) in rows.iter().enumerate() {
            let at = days_from_civil(&r.created).map(|d| d * 86_400).unwrap_or_else(|| self.now());
            let case_id = match cases.get(&r.case_id) {
                Some(id) => {
                    if cases_seen.insert(r.case_id.clone()) {
                        report.cases_existing += 1;
                    }
                    id.clone()
                }
                None => {
                    let id = self.random_id();
                    let imported = CaseStep { at: self.now(), by: by.clone(), what: "imported".into(), detail: Some("HTCDS".into()) };
                    let case = Case {
                        id: id.clone(),
                        org_id: org.id.clone(),
                        reference: crate::usecases::cases::case_reference(&self.random_bytes6(), r.created.get(..4).unwrap_or("0000")),
                        exploitation: r.exploitation,
                        status: if r.case_closed { CaseStatus::Closed } else { CaseStatus::Open },
                        place: Some(r.place.clone()),
                        opened_at: Some(at),
                        attrs: CaseAttrs {
                            title: format!("{} {}", r.case_id, exploitation_label(r.exploitation)),
                            labour_sector: r.labour_sector,
                            sexual_form: r.sexual_form,
                            external_id: Some(r.case_id.clone()),
                            history: vec![imported],
                            ..Default::default()
                        },
                        sealed: None,
                        stamp: Stamp::new(self.now(), &by),
                    };
                    inserts.push(rows::entry(&case)?);
                    cases.insert(r.case_id.clone(), id.clone());
                    cases_seen.insert(r.case_id.clone());
                    report.cases_new += 1;
                    id
                }
            };
            let victim = r.perpetrator.is_none();
            let person_id = match persons.get(&r.person_id) {
                Some(id) => {
                    report.persons_existing += 1;
                    id.clone()
                }
                None => {
                    let id = PersonId::from_trusted(self.random_id());
                    let identity = Identity {
                        given_names: r.given_names.clone(),
                        first_surname: r.surnames.clone(),
                        birth_date: r.birth_date.clone(),
                        ..Default::default()
                    };
                    let mut rec = PersonRecord {
                        id: id.clone(),
                        org_id: org.id.clone(),
                        code: pseudonym(&self.random_bytes8()),
                        role: if victim { PersonRole::Victim } else { PersonRole::Suspect },
                        sex: r.sex.clone(),
                        approx_age: None,
                        version: 1,
                        created_at: self.now(),
                        created_by: UserId::from_trusted(by.clone()),
                        updated_at: self.now(),
                        profile: PersonProfile {
                            source_type: Some("htcds".into()),
                            source_id: Some(r.person_id.clone()),
                            nationality: r.nationality.clone(),
                            ..Default::default()
                        },
                        sealed: Vec::new(),
                        match_doc: None,
                        match_name_dob: None,
                    };
                    rec.sealed = self.scope().seal_identity(&id, &identity)?;
                    // The match hashes go in with the person (one transaction), like any
                    // recorded person's: imported persons are found by alerts and counted once.
                    let (doc, name_dob) = crate::usecases::alerts::match_keys(&identity);
                    rec.match_doc = doc.map(|d| self.coordination().keyed("doc", &d));
                    rec.match_name_dob = name_dob.map(|n| self.coordination().keyed("name_dob", &n));
                    new_persons.push(rec);
                    persons.insert(r.person_id.clone(), id.to_string());
                    report.persons_new += 1;
                    // A decision comes with a new person only: re-importing adds none.
                    if let (Some(status), Some(on)) =
                        (r.status.as_deref().and_then(amparo_domain::protection::TraffickingStatus::parse), &r.identified_on)
                    {
                        use crate::rows::decision::{Decision, DecisionAttrs};
                        let d = Decision {
                            id: self.random_id(),
                            org_id: org.id.clone(),
                            person: id.clone(),
                            status,
                            area: Some(org.jurisdiction.clone()),
                            decided_at: days_from_civil(on).map(|x| x * 86_400),
                            attrs: DecisionAttrs {
                                deciding_org_type: amparo_domain::protection::DecidingOrg::for_org_kind(org.kind),
                                decided_on: on.clone(),
                                screening_id: None,
                            },
                            sealed: None,
                            stamp: crate::rows::Stamp::new(self.now(), &by),
                        };
                        inserts.push(crate::rows::entry(&d)?);
                        report.decisions_new += 1;
                    }
                    id.to_string()
                }
            };
            if !links.contains(&(case_id.clone(), person_id.clone())) {
                let link = CaseLink {
                    id: self.random_id(),
                    org_id: org.id.clone(),
                    case_id,
                    person: PersonId::from_trusted(person_id),
                    role: if victim { CaseRole::Victim } else { CaseRole::Suspect },
                    status: LinkStatus::Active,
                    attrs: CaseLinkAttrs::default(),
                    stamp: Stamp::new(self.now(), &by),
                };
                inserts.push(rows::entry(&link)?);
                report.links_new += 1;
            }
            if k % 1000 == 0 {
                progress(rows.len() + k, rows.len() * 2);
            }
        }
        if dry_run || (new_persons.is_empty() && inserts.is_empty()) {
            return Ok(report);
        }
        let mut ev = ctx.event(self.now(), "import_htcds", "ok", "organisation", org.id.as_str());
        ev.details = serde_json::json!({
            "rows": report.rows, "cases_new": report.cases_new, "persons_new": report.persons_new,
            "links_new": report.links_new, "decisions_new": report.decisions_new,
        })
        .to_string();
        self.store.write_bulk(&new_persons, &Batch { inserts, updates: vec![] }, &ev).await?;
        // Then the cross-agency alerts, as for a person recorded by hand: "a possible match
        // exists in organisation X". They are separate from the import (which stands either
        // way); each is audited as it is raised.
        for p in new_persons.iter().filter(|p| p.match_doc.is_some() || p.match_name_dob.is_some()) {
            let candidates: Vec<(PersonRecord, AlertBasis)> = self
                .store
                .persons_matching(p.match_doc.as_deref(), p.match_name_dob.as_deref())
                .await?
                .into_iter()
                .filter(|c| c.id != p.id && c.org_id != p.org_id)
                .map(|c| {
                    let basis = if p.match_doc.is_some() { AlertBasis::Document } else { AlertBasis::NameAndBirthDate };
                    (c, basis)
                })
                .collect();
            if !candidates.is_empty() {
                report.alerts += self.coordination().raise_match_alerts(ctx, p, &candidates).await?;
            }
        }
        progress(rows.len() * 2, rows.len() * 2);
        Ok(report)
    }

    /// Every person in every case, in HTCDS columns, identities decrypted: for the operator
    /// to encrypt to the receiving system's key. Audited before anything is opened.
    /// Collected whole: for tests and small installations; the CLI streams with
    /// [`Amparo::export_htcds_each`].
    pub async fn export_htcds(&self, ctx: &Ctx) -> CoreResult<Vec<BTreeMap<&'static str, String>>> {
        let mut out = Vec::new();
        self.export_htcds_each(ctx, &mut |r| {
            out.push(r);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// The HTCDS export a thousand case links at a time (oldest first), each page's cases,
    /// persons and decisions read by id: memory stays that of one page whatever the size of
    /// the country. `each` gets every row as it is made (and may fail the export, e.g. when
    /// the disk is full). Returns the number of rows.
    pub async fn export_htcds_each(
        &self,
        ctx: &Ctx,
        each: &mut (dyn FnMut(BTreeMap<&'static str, String>) -> CoreResult<()> + Send),
    ) -> CoreResult<usize> {
        const PAGE: i64 = 1000;
        self.authorize(ctx, Action::ExportCaseData, Relation::OwnOrgScope, "htcds", "export").await?;
        let active = RowFilter { statuses: vec![LinkStatus::Active.as_str().into()], order: RowOrder::Oldest, ..Default::default() };
        let cases = self.store.count_rows(Case::TABLE, &RowFilter::default()).await?;
        let links = self.store.count_rows(CaseLink::TABLE, &active).await?;
        let mut ev = ctx.event(self.now(), "export_htcds", "ok", "htcds", "");
        ev.details = serde_json::json!({ "cases": cases, "links": links }).to_string();
        self.append(&ev).await?;
        let mut after = None;
        let mut written = 0;
        loop {
            let page =
                rows::find::<CaseLink>(&*self.store, &RowFilter { after: after.clone(), limit: Some(PAGE), ..active.clone() }).await?;
            let Some(last) = page.last() else { break };
            after = Some(amparo_domain::paging::After { at: last.stamp.created_at, id: last.id.clone() });
            let full = page.len() as i64 == PAGE;
            let page: Vec<CaseLink> = page.into_iter().filter(|l| matches!(l.role, CaseRole::Victim | CaseRole::Suspect)).collect();
            let mut case_ids: Vec<String> = page.iter().map(|l| l.case_id.clone()).collect();
            let mut person_ids: Vec<String> = page.iter().map(|l| l.person.to_string()).collect();
            case_ids.sort();
            case_ids.dedup();
            person_ids.sort();
            person_ids.dedup();
            let case_by_id: HashMap<String, Case> = if case_ids.is_empty() {
                HashMap::new()
            } else {
                let f = RowFilter { ids: case_ids, ..Default::default() };
                rows::find::<Case>(&*self.store, &f).await?.into_iter().map(|c| (c.id.clone(), c)).collect()
            };
            let persons: HashMap<String, PersonRecord> = if person_ids.is_empty() {
                HashMap::new()
            } else {
                self.store.persons_by_ids(&person_ids).await?.into_iter().map(|p| (p.id.to_string(), p)).collect()
            };
            let decisions = if person_ids.is_empty() {
                Vec::new()
            } else {
                let f = RowFilter { subject_ids: person_ids, ..Default::default() };
                crate::rows::find::<crate::rows::decision::Decision>(&*self.store, &f).await?
            };
            let mut latest: HashMap<&str, (i64, &str)> = HashMap::new();
            for d in &decisions {
                if let Some(at) = d.decided_at {
                    let e = latest.entry(d.person.as_str()).or_insert((at, d.status.as_str()));
                    if at >= e.0 {
                        *e = (at, d.status.as_str());
                    }
                }
            }
            for l in &page {
                let pid = l.person.as_str();
                let (Some(c), Some(p)) = (case_by_id.get(&l.case_id), persons.get(pid)) else { continue };
                each(htcds_row(self.scope().open_identity(p)?, c, p, l.role == CaseRole::Suspect, latest.get(pid).copied()))?;
                written += 1;
            }
            if !full {
                break;
            }
        }
        Ok(written)
    }

    fn random_id(&self) -> String {
        use crate::random::RandomExt;
        self.random.new_id()
    }
    fn random_bytes6(&self) -> [u8; 6] {
        use crate::random::RandomExt;
        self.random.bytes::<6>()
    }
    fn random_bytes8(&self) -> [u8; 8] {
        use crate::random::RandomExt;
        self.random.bytes::<8>()
    }
}

/// A header and rows (`None` for a row that could not be read).
type Table = (Vec<String>, Vec<Option<Vec<String>>>);

/// An HTCDS file's header and rows, from CSV or the first sheet of an XLSX workbook (told
/// apart by the ZIP signature). A row that cannot be read is `None`; a file that cannot be
/// read at all is one error. Pure, so it can be fuzzed on its own.
pub fn read_htcds_table(bytes: &[u8]) -> Result<Table, RowError> {
    if bytes.starts_with(b"PK\x03\x04") { xlsx_table(bytes) } else { csv_table(bytes) }
}

fn csv_table(bytes: &[u8]) -> Result<Table, RowError> {
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|_| RowError { row: 0, field: String::new(), code: "not_csv" })?
        .iter()
        .map(|s| s.trim().trim_start_matches('\u{feff}').to_owned())
        .collect();
    let rows = rdr.records().map(|r| r.ok().map(|r| r.iter().map(str::to_owned).collect())).collect();
    Ok((header, rows))
}

/// The first worksheet of an XLSX workbook as text cells: whole numbers without ".0" (ids
/// typed as numbers), dates as `YYYY-MM-DD` (Excel stores days since 1899-12-30).
fn xlsx_table(bytes: &[u8]) -> Result<Table, RowError> {
    use calamine::{Data, Reader, Xlsx};
    let bad = || RowError { row: 0, field: String::new(), code: "not_xlsx" };
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).map_err(|_| bad())?;
    let range = book.worksheet_range_at(0).ok_or_else(bad)?.map_err(|_| bad())?;
    let text = |c: &Data| -> String {
        match c {
            Data::Empty => String::new(),
            Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
            Data::Int(i) => i.to_string(),
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Data::Float(f) => f.to_string(),
            Data::Bool(b) => b.to_string(),
            Data::DateTime(d) => iso_date(((d.as_f64().floor() as i64) - 25_569) * 86_400),
            Data::Error(_) => "#ERROR".into(),
        }
    };
    let mut rows = range.rows();
    let mut header: Vec<String> = rows.next().map(|r| r.iter().map(text).collect()).unwrap_or_default();
    // A sheet's used range may run past the last named column.
    while header.last().is_some_and(String::is_empty) {
        header.pop();
    }
    let width = header.len();
    let body = rows
        .filter(|r| r.iter().any(|c| *c != Data::Empty))
        .map(|r| {
            let mut v: Vec<String> = r.iter().take(width).map(text).collect();
            v.resize(width, String::new());
            Some(v)
        })
        .collect();
    Ok((header, body))
}

fn exploitation_label(e: CaseExploitation) -> &'static str {
    match e {
        CaseExploitation::SexualExploit => "— explotación sexual",
        CaseExploitation::ForcedLabour => "— trabajo forzoso",
        _ => "— trata",
    }
}

/// One person of one case in HTCDS columns.
fn htcds_row(
    identity: Identity,
    c: &Case,
    p: &PersonRecord,
    suspect: bool,
    latest_decision: Option<(i64, &str)>,
) -> BTreeMap<&'static str, String> {
    let ext = &c.attrs;
    let surnames = [identity.first_surname.clone(), identity.second_surname.clone()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let place = c.place.clone().unwrap_or_default();
    let mut r: BTreeMap<&'static str, String> = COLUMNS.iter().map(|c| (*c, String::new())).collect();
    r.insert("cas_CaseId", ext.external_id.clone().unwrap_or_else(|| c.reference.clone()));
    r.insert("cas_Status", if c.status == CaseStatus::Closed { "Closed" } else { "Active" }.into());
    r.insert("cas_CreatedDate", iso_date(c.opened_at.unwrap_or(c.stamp.created_at)));
    r.insert("vic_TypeOfExploitation", c.exploitation.as_str().into());
    r.insert("vic_TypeOfLabourExploitation", sector_to_htcds(ext.labour_sector).into());
    r.insert("vic_TypeOfSexExploitation", form_to_htcds(ext.sexual_form).into());
    r.insert("hte_Type", "Exploitation".into());
    r.insert("hte_Country", place.split('-').next().unwrap_or("").to_owned());
    r.insert("hte_State", place);
    r.insert("prs_PersonId", p.code.clone());
    r.insert("prs_FirstName", identity.given_names.clone().unwrap_or_default());
    r.insert("prs_SecondName", surnames);
    r.insert("prs_Birthdate", identity.birth_date.clone().unwrap_or_default());
    r.insert(
        "prs_Gender",
        match p.sex.as_deref() {
            Some("female") => "Female",
            Some("male") => "Male",
            Some("other") => "Transgender/NonConforming",
            _ => "Unknown",
        }
        .into(),
    );
    r.insert("prs_Nationality", p.profile.nationality.clone().unwrap_or_default());
    if suspect {
        r.insert("per_RoleInProcess", "Exploiter".into());
    } else if let Some((at, status)) = latest_decision {
        r.insert("vic_TraffickingStatus", status.to_owned());
        r.insert("vic_DateOfIdentification", iso_date(at));
    }
    r
}
