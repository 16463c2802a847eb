//! The statistics projection: what the annual report needs about each person (group) and
//! each charge, kept up to date from the records, so that a report reads the years it
//! shows instead of every table (at a million cases, a whole count reads some ten million
//! rows; a year of the projection, a few hundred thousand).
//!
//! How it stays right:
//! - every write lists what it touched (`stat_dirty`: a person, case, charge or source),
//!   in the writer's own transaction, so no change can be missed;
//! - before a report counts, `refresh_statistics` takes those keys and recomputes the
//!   victim fact of every group they reach, with the same folds as the whole count
//!   (`statistics_facts_for`), over the group's neighbourhood only (its members, the
//!   persons sharing a document or a link with them, and the groups they were in before);
//! - a bulk load, a restore, a new projection version, or a refresh that failed half way
//!   leave it unbuilt, and the next count rebuilds it whole;
//! - one refresher at a time, across processes (a lease with an expiry, so a crashed
//!   process does not block the others for long).
//!
//! Tests compare a report from the projection with the whole count after every kind of
//! change (tests/it/statistics.rs).

use super::Statistics;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::store::{RecordTable, STAT_PROJECTION_VERSION, StatChargeRow, StatScan, StatVictimQuery, StatVictimRow, StatWrite};
use crate::usecases::linkage::{PersonGroups, group_components};
use crate::usecases::statistics::{ChargeStat, assistance_fact, case_fact, day, operation_fact, parse, prevention_fact, referral_fact};
use amparo_domain::cases::Verdict;
use amparo_domain::statistics::{CaseFact, ChargeFact, Facts, TypeFlags, VictimFact, year_of_day};
use std::collections::{BTreeSet, HashMap, HashSet};

/// The job lease a refresher holds (one at a time, across servers).
const STAT_LEASE: &str = "statistics";
/// How long a refresher may hold the lease without renewing it.
const LEASE_SECS: i64 = 900;
/// Change keys taken per round of a refresh.
const KEYS_PER_ROUND: usize = 2_000;
/// Rows per transaction when the projection is built whole.
const ROWS_PER_WRITE: usize = 5_000;
/// The version a projection is left with while a refresh is under way: if the refresher
/// dies, the next one finds it unbuilt and builds it whole.
const REFRESHING: &str = "refreshing";

/// A charge row of the projection from the record's clear columns and decision.
fn charge_row(r: crate::store::StatRow) -> Option<StatChargeRow> {
    let stat: ChargeStat = parse(&r);
    Some(StatChargeRow {
        case_id: r.subject_id?,
        case_kind: None,
        labour_sector: None,
        sexual_form: None,
        person_id: r.lookup?,
        filed_day: day(r.occurred_at),
        decided_day: stat.decision.as_ref().and_then(|d| amparo_domain::protection::days_from_civil(&d.decided_on)),
        verdict: stat.decision.as_ref().map(|d| d.verdict.as_str().to_owned()),
        sentence_months: stat.decision.as_ref().and_then(|d| d.sentence_months),
        area_code: r.area_code,
        org_id: r.org_id,
        id: r.id,
        group_id: None,
    })
}

const CHARGE_COLUMNS: [&str; 6] = ["id", "subject_id", "lookup", "occurred_at", "area_code", "org_id"];

/// `(group, day)` of each final screening in the facts, each once.
fn screened_rows(f: &Facts) -> Vec<(String, i64)> {
    let rows: BTreeSet<(&str, i64)> = f.screenings.iter().map(|(g, d)| (g.as_str(), *d)).collect();
    rows.into_iter().map(|(g, d)| (g.to_owned(), d)).collect()
}

/// A victim fact as a projection row.
fn victim_row(v: &VictimFact) -> CoreResult<StatVictimRow> {
    let years: Vec<i64> = v.possible.iter().map(|d| i64::from(year_of_day(*d))).collect();
    Ok(StatVictimRow {
        group_id: v.group.clone(),
        identified_year: v.identified.map(|d| i64::from(year_of_day(d))),
        possible_first: years.iter().min().copied(),
        possible_last: years.iter().max().copied(),
        area_code: v.area.clone(),
        region: v.region.clone(),
        orgs: format!("|{}|", v.orgs.join("|")),
        body: serde_json::to_string(v).map_err(|e| crate::error::CoreError::Internal(format!("statistics projection: {e}")))?,
    })
}

/// `(person, group)` for every person of `groups` in a group of more than one record.
fn grouped(groups: &PersonGroups) -> Vec<(String, String)> {
    let mut size: HashMap<String, usize> = HashMap::new();
    for (p, _) in &groups.members {
        *size.entry(groups.of(p)).or_default() += 1;
    }
    groups
        .members
        .iter()
        .filter_map(|(p, _)| {
            let g = groups.of(p);
            (size.get(&g).copied().unwrap_or(0) > 1).then(|| (p.clone(), g))
        })
        .collect()
}

impl Statistics {
    /// Bring the statistics projection up to date with every committed write. Called before
    /// every count from it; cheap when nothing changed.
    pub(crate) async fn refresh_statistics(&self) -> CoreResult<()> {
        let owner = self.random.new_id();
        loop {
            let now = self.now();
            if self.store.lease(STAT_LEASE, &owner, now, now + LEASE_SECS).await? {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        let done = self.refresh_leased(&owner).await;
        if done.is_err() {
            // Whatever was taken off the list of changes is in no row now: build it whole
            // next time rather than count from a projection that may be behind.
            let _ = self.store.stat_set_version(REFRESHING).await;
        }
        self.store.release_lease(STAT_LEASE, &owner).await?;
        done
    }

    async fn refresh_leased(&self, owner: &str) -> CoreResult<()> {
        if self.store.stat_version().await?.as_deref() != Some(STAT_PROJECTION_VERSION) {
            return self.rebuild_statistics(owner).await;
        }
        if !self.store.stat_dirty_waiting().await? {
            return Ok(());
        }
        // Marked before any key is taken off the list: if this process dies with keys taken
        // and not applied, the next refresher finds the projection unbuilt.
        self.store.stat_set_version(REFRESHING).await?;
        loop {
            let keys = self.store.stat_take_dirty(KEYS_PER_ROUND).await?;
            if keys.is_empty() {
                break;
            }
            if keys.iter().any(|k| k == "*") {
                return self.rebuild_statistics(owner).await;
            }
            let now = self.now();
            if !self.store.lease(STAT_LEASE, owner, now, now + LEASE_SECS).await? {
                return Err(CoreError::Internal("statistics projection: the refresh lease was lost".into()));
            }
            self.refresh_keys(&keys).await?;
        }
        self.store.stat_set_version(STAT_PROJECTION_VERSION).await?;
        Ok(())
    }

    /// Build the projection whole from the records.
    async fn rebuild_statistics(&self, owner: &str) -> CoreResult<()> {
        let clock = std::time::Instant::now();
        self.store.stat_reset().await?;
        let groups = self.linkage().person_groups().await?;
        let facts = self.statistics_facts_for(&groups, None, true).await?;
        let mut w = StatWrite { grouped: grouped(&groups), ..Default::default() };
        drop(groups);
        for v in &facts.victims {
            w.victims.push(victim_row(v)?);
            if w.victims.len() >= ROWS_PER_WRITE {
                self.store.stat_write(&std::mem::take(&mut w)).await?;
            }
        }
        for chunk in screened_rows(&facts).chunks(ROWS_PER_WRITE) {
            w.screened = chunk.to_vec();
            self.store.stat_write(&std::mem::take(&mut w)).await?;
        }
        drop(facts);
        self.store.stat_write(&std::mem::take(&mut w)).await?;
        let now = self.now();
        self.store.lease(STAT_LEASE, owner, now, now + LEASE_SECS).await?;
        let mut charges = Vec::new();
        let scan = StatScan { attrs: &["decision"], ..StatScan::new(RecordTable::Charges, &CHARGE_COLUMNS) };
        self.store.stat_scan(&scan, &mut |r| charges.extend(charge_row(r))).await?;
        self.with_case_info(&mut charges, None).await?;
        for chunk in charges.chunks(ROWS_PER_WRITE) {
            self.store.stat_write(&StatWrite { charges: chunk.to_vec(), ..Default::default() }).await?;
        }
        self.store.stat_set_version(STAT_PROJECTION_VERSION).await?;
        tracing::info!(elapsed_ms = clock.elapsed().as_millis() as u64, charges = charges.len(), "statistics projection built");
        Ok(())
    }

    /// Recompute what these change keys reach.
    async fn refresh_keys(&self, keys: &[String]) -> CoreResult<()> {
        let (mut persons, mut charges, mut cases, mut sources) = (BTreeSet::new(), Vec::new(), Vec::new(), Vec::new());
        for k in keys {
            match k.split_once(':') {
                Some(("p", id)) => {
                    persons.insert(id.to_owned());
                }
                Some(("h", id)) => charges.push(id.to_owned()),
                Some(("c", id)) => cases.push(id.to_owned()),
                Some(("s", id)) => sources.push(id.to_owned()),
                _ => tracing::warn!(key = %k, "statistics projection: unknown change key"),
            }
        }
        let mut w = StatWrite::default();
        if !charges.is_empty() {
            let scan =
                StatScan { attrs: &["decision"], among: Some(("id", &charges)), ..StatScan::new(RecordTable::Charges, &CHARGE_COLUMNS) };
            self.store.stat_scan(&scan, &mut |r| w.charges.extend(charge_row(r))).await?;
            // A charge filed or decided changes its case's victims' case flow.
            cases.extend(w.charges.iter().map(|c| c.case_id.clone()));
        }
        if !cases.is_empty() {
            cases.sort();
            cases.dedup();
            // A case's kind and sector are in its charges' rows.
            let known: HashSet<String> = w.charges.iter().map(|c| c.id.clone()).collect();
            let scan = StatScan {
                attrs: &["decision"],
                among: Some(("subject_id", &cases)),
                ..StatScan::new(RecordTable::Charges, &CHARGE_COLUMNS)
            };
            self.store.stat_scan(&scan, &mut |r| w.charges.extend(charge_row(r).filter(|c| !known.contains(&c.id)))).await?;
            self.with_case_info(&mut w.charges, Some(&cases)).await?;
            let scan = StatScan {
                kind: Some("victim"),
                among: Some(("subject_id", &cases)),
                ..StatScan::new(RecordTable::CaseLinks, &["lookup"])
            };
            self.store.stat_scan(&scan, &mut |r| persons.extend(r.lookup)).await?;
        }
        for s in &sources {
            persons.extend(self.store.persons_from_source(s).await?.into_iter().map(|p| p.id.to_string()));
        }
        if !persons.is_empty() {
            self.refresh_persons(persons, &mut w).await?;
        }
        self.store.stat_write(&w).await?;
        Ok(())
    }

    /// Fill each charge row's case kind, labour sector and form of sexual exploitation, from
    /// the cases named (or from every case).
    async fn with_case_info(&self, charges: &mut [StatChargeRow], cases: Option<&[String]>) -> CoreResult<()> {
        let mut info: HashMap<String, (String, Option<String>, Option<String>)> = HashMap::new();
        let scan = StatScan {
            attrs: &["labour_sector", "sexual_form"],
            among: cases.map(|c| ("id", c)),
            ..StatScan::new(RecordTable::Cases, &["id", "kind"])
        };
        self.store
            .stat_scan(&scan, &mut |r| {
                let c = case_fact(&r);
                info.insert(r.id, (r.kind, c.labour_sector, c.sexual_form));
            })
            .await?;
        for c in charges {
            if let Some((kind, sector, form)) = info.get(&c.case_id) {
                c.case_kind = Some(kind.clone());
                c.labour_sector.clone_from(sector);
                c.sexual_form.clone_from(form);
            }
        }
        Ok(())
    }

    /// Regroup the neighbourhood of `start` and recompute its groups' victim facts.
    async fn refresh_persons(&self, start: BTreeSet<String>, w: &mut StatWrite) -> CoreResult<()> {
        // The neighbourhood: the persons, every other member of the groups they were in,
        // and, transitively, everyone sharing a document or a match with one of them.
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut old_groups: BTreeSet<String> = BTreeSet::new();
        let mut docs = Vec::new();
        let mut matches = Vec::new();
        let mut match_ids: HashSet<String> = HashSet::new();
        let mut frontier: Vec<String> = start.into_iter().collect();
        while !frontier.is_empty() {
            seen.extend(frontier.iter().cloned());
            let mut next: BTreeSet<String> = BTreeSet::new();
            for (p, g) in self.store.stat_groups_of(&frontier).await? {
                old_groups.insert(g);
                next.insert(p);
            }
            let (d, m) = self.store.stat_person_edges(&frontier).await?;
            for (_, p, _) in &d {
                next.insert(p.clone());
            }
            for r in &m {
                let pair = crate::rows::person_match::PairState::from_lean(r)?;
                if match_ids.insert(pair.id.clone()) {
                    next.extend([pair.left.clone(), pair.right.clone()]);
                    matches.push(pair);
                }
            }
            docs.extend(d);
            frontier = next.into_iter().filter(|p| !seen.contains(p)).collect();
        }
        docs.sort();
        docs.dedup();
        let explored: Vec<String> = seen.into_iter().collect();
        let mut groups = group_components(&docs, &matches);
        let orgs: HashMap<String, String> =
            self.store.persons_by_ids(&explored).await?.into_iter().map(|p| (p.id.to_string(), p.org_id.to_string())).collect();
        for (p, org) in &mut groups.members {
            if org.is_empty()
                && let Some(o) = orgs.get(p)
            {
                org.clone_from(o);
            }
        }
        // Groups: set for those in one, cleared for the others.
        let now_grouped = grouped(&groups);
        let in_group: HashSet<&str> = now_grouped.iter().map(|(p, _)| p.as_str()).collect();
        w.ungrouped.extend(explored.iter().filter(|p| !in_group.contains(p.as_str())).cloned());
        w.grouped.extend(now_grouped.iter().cloned());
        // Victim facts of every group in the neighbourhood, from the same folds as the whole count.
        let facts = self.statistics_facts_for(&groups, Some(&explored), true).await?;
        let kept: HashSet<&str> = facts.victims.iter().map(|v| v.group.as_str()).collect();
        w.dropped_victims.extend(old_groups.iter().chain(explored.iter()).filter(|g| !kept.contains(g.as_str())).cloned());
        for v in &facts.victims {
            w.victims.push(victim_row(v)?);
        }
        // Screening days: every group the neighbourhood had or has (a group is named by one of
        // its members, all of whom are in `explored`) is rewritten from its screenings now.
        w.dropped_screened.extend(old_groups.iter().chain(explored.iter()).cloned());
        w.screened.extend(screened_rows(&facts));
        Ok(())
    }

    /// The facts that count in the years `first..=last`, from the projection (brought up to
    /// date first) and the records of those years: the charges filed or decided in them and
    /// their cases; the persons identified, or possibly victims, in them, and those referred
    /// or assisted in them; operations, reports, screenings, referrals, assistance and
    /// prevention work of those years.
    /// Operations are read from `operations_from` (the trend shows persons rescued further
    /// back).
    pub(crate) async fn statistics_window(&self, first: i32, last: i32, operations_from: i32) -> CoreResult<Facts> {
        let clock = std::time::Instant::now();
        self.refresh_statistics().await?;
        tracing::debug!(elapsed_ms = clock.elapsed().as_millis() as u64, "statistics projection refreshed");
        let start = amparo_domain::protection::days_from_civil(&format!("{first:04}-01-01")).unwrap_or(0);
        let end = amparo_domain::protection::days_from_civil(&format!("{:04}-01-01", last + 1)).unwrap_or(0) - 1;
        let span = Some((start * 86_400, end * 86_400 + 86_399));
        let mut facts = Facts { home_country: self.home_country().await?, ..Default::default() };

        // The largest reads (charges, victims, and the count of persons screened) run beside
        // the others: the database builds one while this process parses another.
        let store = self.store.clone();
        let charges_task = tokio::spawn(async move {
            let (mut charges, mut cases): (Vec<ChargeFact>, HashMap<String, CaseFact>) = (Vec::new(), HashMap::new());
            store
                .stat_charges(start, end, &mut |c| {
                    if !cases.contains_key(&c.case_id) {
                        let types = c
                            .case_kind
                            .as_deref()
                            .and_then(amparo_domain::cases::CaseExploitation::parse)
                            .map(TypeFlags::of_case)
                            .unwrap_or_default();
                        let fact = CaseFact {
                            id: c.case_id.clone(),
                            types,
                            labour_sector: c.labour_sector.clone(),
                            sexual_form: c.sexual_form.clone(),
                            exploited_in: None,
                        };
                        cases.insert(c.case_id.clone(), fact);
                    }
                    charges.push(ChargeFact {
                        defendant: c.group_id.unwrap_or(c.person_id),
                        case_id: c.case_id,
                        filed: c.filed_day,
                        verdict: c.verdict.as_deref().and_then(Verdict::parse),
                        decided: c.decided_day,
                        sentence_months: c.sentence_months,
                        area: c.area_code,
                        org: c.org_id,
                    });
                })
                .await
                .map(|()| (charges, cases))
        });
        let store = self.store.clone();
        let victims_task =
            tokio::spawn(async move { read_victims(store.as_ref(), StatVictimQuery::Years(i64::from(first), i64::from(last))).await });

        // Persons screened: counted in the database (a year has tens of thousands of
        // screenings and the report needs only how many persons they were).
        let spans: Vec<(i32, i64, i64)> = (first..=last)
            .map(|y| {
                let d = |y: i32| amparo_domain::protection::days_from_civil(&format!("{y:04}-01-01")).unwrap_or(0);
                (y, d(y), d(y + 1) - 1)
            })
            .collect();
        let store = self.store.clone();
        let screened_task = tokio::spawn(async move { store.stat_screened(&spans).await });

        let ops_start = amparo_domain::protection::days_from_civil(&format!("{:04}-01-01", operations_from.min(first))).unwrap_or(0);
        let scan = StatScan {
            attrs: &["rescued", "persons_found"],
            between: Some((ops_start * 86_400, end * 86_400 + 86_399)),
            ..StatScan::new(RecordTable::Operations, &["kind", "occurred_at", "area_code", "org_id"])
        };
        self.store.stat_scan(&scan, &mut |r| facts.operations.push(operation_fact(&r))).await?;
        let scan = StatScan { between: span, ..StatScan::new(RecordTable::Reports, &["occurred_at", "created_at", "area_code", "org_id"]) };
        self.store
            .stat_scan(&scan, &mut |r| {
                facts.reports.push((day(r.occurred_at).unwrap_or(r.created_at.div_euclid(86_400)), r.area_code, r.org_id));
            })
            .await?;
        let scan = StatScan {
            between: span,
            group_of: Some("subject_id"),
            ..StatScan::new(RecordTable::Referrals, &["subject_id", "occurred_at", "created_at", "kind", "status", "area_code", "org_id"])
        };
        self.store
            .stat_scan(&scan, &mut |r| {
                let Some(person) = r.group_id.clone().or_else(|| r.subject_id.clone()) else { return };
                facts.referrals.push(referral_fact(r, person));
            })
            .await?;
        let scan = StatScan {
            between: span,
            group_of: Some("subject_id"),
            ..StatScan::new(RecordTable::Assistance, &["subject_id", "occurred_at", "kind", "status", "org_id"])
        };
        self.store
            .stat_scan(&scan, &mut |r| {
                let Some(person) = r.group_id.clone().or_else(|| r.subject_id.clone()) else { return };
                facts.assistance.push(assistance_fact(r, person));
            })
            .await?;
        let scan = StatScan {
            attrs: &["people"],
            between: span,
            ..StatScan::new(RecordTable::Prevention, &["occurred_at", "kind", "status", "area_code", "org_id"])
        };
        self.store.stat_scan(&scan, &mut |r| facts.prevention.push(prevention_fact(r))).await?;

        let joined = |e: tokio::task::JoinError| CoreError::Internal(format!("statistics window: {e}"));
        let (charges, cases) = charges_task.await.map_err(joined)??;
        (facts.charges, facts.cases) = (charges, cases);
        facts.victims = victims_task.await.map_err(joined)??;
        facts.screened_per_year = Some(screened_task.await.map_err(joined)??.into_iter().collect());
        tracing::debug!(elapsed_ms = clock.elapsed().as_millis() as u64, "statistics window: charges and victims");

        // Persons referred or assisted in these years whose identification counts in
        // another year: their exploitation type and nationality are in their fact too.
        let have: HashSet<&str> = facts.victims.iter().map(|v| v.group.as_str()).collect();
        let mut missing: Vec<String> = facts
            .referrals
            .iter()
            .map(|r| r.person.as_str())
            .chain(facts.assistance.iter().map(|a| a.person.as_str()))
            .filter(|g| !have.contains(g))
            .map(str::to_owned)
            .collect();
        missing.sort();
        missing.dedup();
        let more = read_victims(self.store.as_ref(), StatVictimQuery::Groups(&missing)).await?;
        facts.victims.extend(more);
        facts.victims.sort_by(|a, b| a.group.cmp(&b.group));
        tracing::debug!(
            elapsed_ms = clock.elapsed().as_millis() as u64,
            victims = facts.victims.len(),
            charges = facts.charges.len(),
            referrals = facts.referrals.len(),
            "statistics window read"
        );
        Ok(facts)
    }
}

impl Statistics {
    /// The persons identified in `year` (from the projection, brought up to date first),
    /// `chunk` groups at a time, each chunk with the facts of its groups' own cases and
    /// screenings read by index (the same folds as the whole count). For exports that need
    /// more than the victim fact carries, without reading whole tables.
    pub(crate) async fn identified_in_year(
        &self,
        year: i32,
        chunk: usize,
        each: &mut (dyn FnMut(&[VictimFact], &Facts) -> CoreResult<()> + Send),
    ) -> CoreResult<usize> {
        self.refresh_statistics().await?;
        let y = i64::from(year);
        let mut victims = read_victims(self.store.as_ref(), StatVictimQuery::Years(y, y)).await?;
        victims.retain(|v| v.identified.is_some_and(|d| year_of_day(d) == year));
        victims.sort_by(|a, b| a.group.cmp(&b.group));
        for part in victims.chunks(chunk.max(1)) {
            let names: Vec<String> = part.iter().map(|v| v.group.clone()).collect();
            let mut groups = PersonGroups::default();
            let mut persons: BTreeSet<String> = names.iter().cloned().collect();
            for (p, g) in self.store.stat_groups_of(&names).await? {
                if p != g {
                    groups.group.insert(p.clone(), g);
                }
                persons.insert(p);
            }
            let persons: Vec<String> = persons.into_iter().collect();
            groups.members =
                self.store.persons_by_ids(&persons).await?.into_iter().map(|p| (p.id.to_string(), p.org_id.to_string())).collect();
            let facts = self.statistics_facts_for(&groups, Some(&persons), true).await?;
            each(part, &facts)?;
        }
        Ok(victims.len())
    }
}

/// Victim facts from the projection; a row that does not read fails the count rather than
/// leaving a person out of it.
async fn read_victims(store: &dyn crate::store::StatStore, q: StatVictimQuery<'_>) -> CoreResult<Vec<VictimFact>> {
    let mut victims = Vec::new();
    let mut bad = None;
    store
        .stat_victims(q, &mut |json: &str| match serde_json::from_str::<Vec<VictimFact>>(json) {
            Ok(v) => victims.extend(v),
            Err(e) => bad = Some(e.to_string()),
        })
        .await?;
    match bad {
        Some(e) => Err(CoreError::Internal(format!("statistics projection: unreadable victim facts: {e}"))),
        None => Ok(victims),
    }
}
