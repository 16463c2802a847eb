//! National statistics, counted from what the other pillars record, with the definitions of
//! DOMAIN.md §5 applied in one place (`amparo_domain::statistics`).
//!
//! This module only gathers facts: it reads the records (never their sealed parts: counting
//! needs no names), groups person records into persons with `person_groups` (record
//! linkage's confirmed links, plus equal document numbers), and hands plain facts to the pure
//! counting functions. The hotline, the police and a shelter may each hold a record of the
//! same victim; the figures count the person once.

use super::Statistics;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::store::{RecordTable, StatRow, StatScan};
use crate::usecases::linkage::PersonGroups;
use amparo_domain::cases::{CaseExploitation, DecisionOnCharge};
use amparo_domain::policy::{Action, Relation};
use amparo_domain::statistics::{
    AssistanceFact, CaseFact, ChargeFact, Day, Facts, Figures, OperationFact, PreventionFact, ReferralFact, Scope, TrendPoint, TypeFlags,
    VictimFact, figures, figures_of,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The version of the annual report's JSON; bump it when a field changes meaning.
pub const REPORT_SCHEMA: &str = "amparo.annual-report/1";

/// The smallest number of persons a breakdown cell may show to roles that may not see
/// persons (CTDC used k = 11).
pub const SMALL_CELL_K: u64 = 11;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct IdentifiedCount {
    /// Persons (after linkage) whose identification first became ActualVictim in the year.
    pub persons: usize,
    /// Person records behind them (what a count without linkage would have said).
    pub records: usize,
}

/// What the annual report is asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportQuery {
    pub year: i32,
    /// An area code (a region, or any area below it).
    pub region: Option<String>,
    /// An organisation id.
    pub org: Option<String>,
    /// Count from the records themselves, every table whole, instead of the statistics
    /// projection: slow at scale, and the check that the projection agrees with them.
    pub from_records: bool,
    /// Hide breakdown cells under `SMALL_CELL_K` persons even from a reader who may see
    /// them (the console's `--small-cells`). It can only narrow: whether a reader may see
    /// small cells at all is the core's decision (`Action::ViewSmallCells`), never the caller's.
    pub hide_small_cells: bool,
}

/// The annual report: the year's figures at the top level (so `prosecutions.cases.total`
/// is a path), the previous year's under `previous`. See docs/annual-report.md.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct AnnualReport {
    pub schema: &'static str,
    pub generated_at: String,
    pub home_country: String,
    pub scope: Scope,
    /// Display names of the scope's region and organisation, when set.
    pub region_name: Option<String>,
    pub org_name: Option<String>,
    /// Names of the regions in the breakdowns, by code.
    pub region_names: BTreeMap<String, String>,
    /// Names of the countries in the nationality breakdowns, by ISO alpha-2: `[es, en]`.
    pub country_names: BTreeMap<String, [String; 2]>,
    /// Breakdowns in which cells under `small_cell_k` persons were hidden (empty when the
    /// reader may see everything).
    pub suppressed: Vec<String>,
    pub small_cell_k: Option<u64>,
    #[serde(flatten)]
    pub current: Figures,
    pub previous: Figures,
    /// Headline figures of the five years up to the report's year.
    pub trend: Vec<TrendPoint>,
}

/// Pick the year out of a timestamp (seconds since the epoch, UTC).
pub fn year_of(ts: i64) -> i32 {
    let (y, _, _) = amparo_domain::protection::civil_from_days(ts.div_euclid(86_400));
    y
}

pub(crate) fn day(ts: Option<i64>) -> Option<Day> {
    ts.map(|t| t.div_euclid(86_400))
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub(crate) struct ChargeStat {
    pub(crate) decision: Option<DecisionOnCharge>,
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(default)]
struct CaseStat {
    labour_sector: Option<String>,
    sexual_form: Option<String>,
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(default)]
struct OperationStat {
    rescued: i64,
    persons_found: i64,
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(default)]
struct ReportStat {
    exploitation: Option<String>,
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(default)]
struct ScreeningStat {
    indicators: Vec<String>,
}

#[derive(Default, Deserialize, schemars::JsonSchema)]
#[serde(default)]
struct PreventionStat {
    people: i64,
}

/// Row → fact, the same for the whole count and for the projection's reads of a year
/// (`stat_projection.rs`), so the two read a record the same way.
pub(crate) fn operation_fact(r: &StatRow) -> OperationFact {
    let stat: OperationStat = parse(r);
    OperationFact {
        day: day(r.occurred_at),
        rescued: stat.rescued,
        persons_found: stat.persons_found,
        types: TypeFlags::of_intake(&r.kind),
        area: r.area_code.clone(),
        org: r.org_id.clone(),
    }
}

/// A referral of `person` (their group).
pub(crate) fn referral_fact(r: StatRow, person: String) -> ReferralFact {
    let referred = amparo_domain::protection::ReferralStatus::parse(&r.status).is_some_and(|s| s.counts_as_referred());
    ReferralFact {
        person,
        day: day(r.occurred_at).unwrap_or(r.created_at.div_euclid(86_400)),
        service_kind: r.kind,
        status: r.status,
        referred,
        area: r.area_code,
        org: r.org_id,
    }
}

/// Assistance to `person` (their group).
pub(crate) fn assistance_fact(r: StatRow, person: String) -> AssistanceFact {
    AssistanceFact { person, day: day(r.occurred_at), kind: r.kind, detail: r.status, org: r.org_id }
}

pub(crate) fn prevention_fact(r: StatRow) -> PreventionFact {
    let stat: PreventionStat = parse(&r);
    PreventionFact { day: day(r.occurred_at), kind: r.kind, audience: r.status, people: stat.people, area: r.area_code, org: r.org_id }
}

/// A case's fact from its row (kind, and `labour_sector`/`sexual_form` in attrs).
pub(crate) fn case_fact(r: &StatRow) -> CaseFact {
    let stat: CaseStat = parse(r);
    let types = CaseExploitation::parse(&r.kind).map(TypeFlags::of_case).unwrap_or_default();
    CaseFact { id: r.id.clone(), types, labour_sector: stat.labour_sector, sexual_form: stat.sexual_form, exploited_in: None }
}

pub(crate) fn parse<T: Default + for<'de> Deserialize<'de>>(row: &StatRow) -> T {
    // A row whose attrs do not parse counts with defaults rather than failing the report;
    // the attrs were written by this code, so this does not happen in practice.
    row.attrs.as_deref().and_then(|a| serde_json::from_str(a).ok()).unwrap_or_default()
}

impl Statistics {
    fn check_year(year: i32) -> CoreResult<()> {
        if (1900..=2200).contains(&year) { Ok(()) } else { Err(CoreError::field("year", "invalid_number")) }
    }

    /// Victims identified in `year`: unique persons whose earliest ActualVictim decision (by
    /// any organisation, on any of their records) falls in that year.
    pub async fn victims_identified(&self, ctx: &Ctx, year: i32) -> CoreResult<IdentifiedCount> {
        self.authorize(ctx, Action::ViewStatistics, Relation::OwnOrgScope, "statistics", "victims_identified").await?;
        Self::check_year(year)?;
        let _one_count_at_a_time = self.statistics_gate.lock().await;
        let facts = self.statistics_window(year, year, year).await?;
        let f = figures(&facts, year, &Scope::default());
        let mut ev = ctx.event(self.now(), "view_statistics", "ok", "statistics", "victims_identified");
        ev.details = serde_json::json!({ "year": year }).to_string();
        self.append(&ev).await?;
        Ok(IdentifiedCount { persons: f.victims_identified.total as usize, records: f.victims_identified.records as usize })
    }

    /// The annual report for a year and its previous year. Breakdown cells under
    /// `SMALL_CELL_K` persons are hidden unless the reader holds `ViewSmallCells` (those who
    /// may read persons anyway, and the console) and did not ask to hide them; the audit
    /// entry says which the reader got.
    pub async fn annual_report(&self, ctx: &Ctx, q: &ReportQuery) -> CoreResult<AnnualReport> {
        self.authorize(ctx, Action::ViewStatistics, Relation::OwnOrgScope, "statistics", "annual_report").await?;
        Self::check_year(q.year)?;
        let may_see_small_cells =
            ctx.actor.as_ref().is_some_and(|a| amparo_domain::policy::authorize(a, Action::ViewSmallCells, Relation::OwnOrgScope).is_ok());
        let small_cells = q.hide_small_cells || !may_see_small_cells;
        let clock = std::time::Instant::now();
        let _one_count_at_a_time = self.statistics_gate.lock().await;
        // The scope first: a region or organisation that does not exist is refused before
        // anything is counted. A national code (`16`, as people write UBIGEO) is read in the
        // installation's country.
        let (region, region_name) = match q.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            None => (None, None),
            Some(r) => {
                let area = match self.store.get_area(r).await? {
                    Some(a) => Some(a),
                    None if !r.contains('-') => self.store.get_area(&format!("{}-{r}", self.home_country().await?)).await?,
                    None => None,
                };
                let a = area.ok_or_else(|| CoreError::field("region", "unknown_area"))?;
                (Some(a.code), Some(a.name))
            }
        };
        let org = q.org.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
        let org_name = match &org {
            Some(o) => Some(
                self.store
                    .get_org(&amparo_domain::OrgId::parse(o).ok_or_else(|| CoreError::field("org", "unknown_org"))?)
                    .await?
                    .ok_or_else(|| CoreError::field("org", "unknown_org"))?
                    .name,
            ),
            None => None,
        };
        let scope = Scope { region, org };
        // The years the report shows: its year, the previous one, and the trend's five. The
        // projection's facts cover the year and the previous one (and operations over the
        // trend's five); the trend's three earlier years are counted in the database,
        // once the facts are read (both at once only compete for the two cores).
        let (facts, earlier) = if q.from_records {
            (self.statistics_facts().await?, Vec::new())
        } else {
            let facts = self.statistics_window(q.year - 1, q.year, q.year - 4).await?;
            (facts, self.earlier_trend(q.year - 4..=q.year - 2, &scope).await?)
        };
        tracing::debug!(elapsed_ms = clock.elapsed().as_millis() as u64, "statistics facts read");
        let prepared = amparo_domain::statistics::prepare(&facts, &scope);
        // The two years are counted at once, one on each core.
        let (mut current, previous) = std::thread::scope(|s| {
            let previous = s.spawn(|| figures_of(&prepared, q.year - 1));
            let current = figures_of(&prepared, q.year);
            (current, previous.join())
        });
        let mut previous = previous.map_err(|_| CoreError::Internal("statistics: counting the previous year failed".into()))?;
        drop(prepared);
        tracing::debug!(elapsed_ms = clock.elapsed().as_millis() as u64, "statistics figures of the two years counted");
        let trend = if q.from_records {
            amparo_domain::statistics::trend(&facts, q.year - 4..=q.year, &scope)
        } else {
            earlier
                .into_iter()
                .map(|mut t| {
                    t.persons_rescued = amparo_domain::statistics::rescued_of(&facts, t.year, &scope).0.total;
                    t
                })
                .chain([&previous, &current].map(|f| TrendPoint {
                    year: f.year,
                    prosecutions: f.prosecutions.cases.total,
                    convictions: f.convictions.defendants.total,
                    victims_identified: f.victims_identified.total,
                    persons_rescued: f.persons_rescued_in_operations.total,
                }))
                .collect()
        };
        tracing::debug!(elapsed_ms = clock.elapsed().as_millis() as u64, "statistics figures counted");
        let mut suppressed = Vec::new();
        if small_cells {
            suppressed = amparo_domain::statistics::suppress_small_cells(&mut current, SMALL_CELL_K);
            for s in amparo_domain::statistics::suppress_small_cells(&mut previous, SMALL_CELL_K) {
                let s = format!("previous.{s}");
                if !suppressed.contains(&s) {
                    suppressed.push(s);
                }
            }
        }
        let mut region_names = BTreeMap::new();
        for code in current.victims_identified.region.keys().chain(previous.victims_identified.region.keys()) {
            if let Some(a) = self.store.get_area(code).await? {
                region_names.insert(code.clone(), a.name);
            }
        }
        let countries = self.store.list_countries().await?;
        let mut country_names = BTreeMap::new();
        for code in current.victims_identified.nationality.keys().chain(previous.victims_identified.nationality.keys()) {
            if let Some(c) = countries.iter().find(|c| &c.alpha2 == code) {
                country_names.insert(code.clone(), [c.name_es.clone(), c.name_en.clone()]);
            }
        }
        let mut ev = ctx.event(self.now(), "view_statistics", "ok", "statistics", "annual_report");
        ev.details = serde_json::json!({
            "year": q.year,
            "region": scope.region,
            "org": scope.org,
            "small_cells": if small_cells { "hidden" } else { "shown" },
        })
        .to_string();
        self.append(&ev).await?;
        Ok(AnnualReport {
            schema: REPORT_SCHEMA,
            generated_at: amparo_domain::protection::iso_date(self.now()),
            home_country: facts.home_country.clone(),
            scope,
            region_name,
            org_name,
            region_names,
            country_names,
            suppressed,
            small_cell_k: small_cells.then_some(SMALL_CELL_K),
            current,
            previous,
            trend,
        })
    }

    /// Every fact the figures are counted from. Reads clear columns and attrs fields only,
    /// a chunk at a time, folding each row into the facts as it arrives.
    /// Callers hold `statistics_gate` for as long as they hold the facts.
    pub(crate) async fn statistics_facts(&self) -> CoreResult<Facts> {
        let groups = self.linkage().person_groups().await?;
        self.statistics_facts_for(&groups, None, false).await
    }

    /// The country the installation serves: the one most organisations are in.
    pub(crate) async fn home_country(&self) -> CoreResult<String> {
        let orgs = self.store.list_orgs().await?;
        let mut n: HashMap<&str, usize> = HashMap::new();
        for o in &orgs {
            *n.entry(o.jurisdiction.split('-').next().unwrap_or("")).or_default() += 1;
        }
        Ok(n.into_iter().max_by_key(|(c, k)| (*k, std::cmp::Reverse(*c))).map(|(c, _)| c.to_owned()).unwrap_or_default())
    }

    /// The facts of everyone (`persons` = None), or the victim facts of some persons only
    /// (the statistics projection's refresh of their groups: `persons` are all the members
    /// of the groups wanted). The same folds either way, so a person's fact in the
    /// projection is the fact the whole count would give them. With `persons`, only what a
    /// victim fact needs is read: their cases and those cases' charges, their sources,
    /// decisions, screenings and referrals, by index.
    /// `victims_only`: leave out what no victim fact depends on (assistance, prevention).
    pub(crate) async fn statistics_facts_for(
        &self,
        groups: &PersonGroups,
        persons: Option<&[String]>,
        victims_only: bool,
    ) -> CoreResult<Facts> {
        let group = |id: &str| groups.of(id);
        // Their cases (as victims) and sources, when only some persons are wanted.
        let (mut case_ids, mut source_ids): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        if let Some(persons) = persons {
            let scan = StatScan {
                kind: Some("victim"),
                among: Some(("lookup", persons)),
                ..StatScan::new(RecordTable::CaseLinks, &["subject_id"])
            };
            self.store.stat_scan(&scan, &mut |r| case_ids.extend(r.subject_id)).await?;
            case_ids.sort();
            case_ids.dedup();
            for p in self.store.persons_by_ids(persons).await? {
                source_ids.extend(p.profile.source_id);
            }
            source_ids.sort();
            source_ids.dedup();
        }
        let only = |col: &'static str, ids: &[String]| -> Option<(&'static str, Vec<String>)> { persons.map(|_| (col, ids.to_vec())) };
        let (case_filter, source_filter, person_filter, link_filter) = (
            only("id", &case_ids),
            only("id", &source_ids),
            only("subject_id", persons.unwrap_or(&[])),
            only("lookup", persons.unwrap_or(&[])),
        );
        let case_subject_filter = only("subject_id", &case_ids);
        fn among<'a>(f: &'a Option<(&'static str, Vec<String>)>) -> Option<(&'static str, &'a [String])> {
            f.as_ref().map(|(c, v)| (*c, v.as_slice()))
        }
        let home_country = self.home_country().await?;

        let mut facts = Facts { home_country, ..Default::default() };
        let mut case_area: HashMap<String, Option<String>> = HashMap::new();
        let scan = StatScan {
            attrs: &["labour_sector", "sexual_form"],
            among: among(&case_filter),
            ..StatScan::new(RecordTable::Cases, &["id", "kind", "area_code"])
        };
        self.store
            .stat_scan(&scan, &mut |r| {
                let case = case_fact(&r);
                case_area.insert(r.id.clone(), r.area_code);
                facts.cases.insert(r.id, case);
            })
            .await?;
        // Exploitation abroad: an exploitation event whose place is a country, not an area.
        let home = facts.home_country.clone();
        let scan = StatScan {
            kind: Some("Exploitation"),
            among: among(&case_subject_filter),
            ..StatScan::new(RecordTable::CaseEvents, &["subject_id", "area_code"])
        };
        self.store
            .stat_scan(&scan, &mut |r| {
                if let (Some(case), Some(place)) = (r.subject_id.as_deref(), r.area_code.as_deref())
                    && !place.contains('-')
                    && !place.eq_ignore_ascii_case(&home)
                    && let Some(c) = facts.cases.get_mut(case)
                {
                    c.exploited_in = Some(place.to_owned());
                }
            })
            .await?;
        let scan = StatScan {
            attrs: &["decision"],
            among: among(&case_subject_filter),
            ..StatScan::new(RecordTable::Charges, &["subject_id", "lookup", "occurred_at", "area_code", "org_id"])
        };
        self.store
            .stat_scan(&scan, &mut |r| {
                let (Some(case_id), Some(person)) = (r.subject_id.clone(), r.lookup.as_deref()) else { return };
                let stat: ChargeStat = parse(&r);
                let decided = stat.decision.as_ref().and_then(|d| amparo_domain::protection::days_from_civil(&d.decided_on));
                facts.charges.push(ChargeFact {
                    case_id,
                    defendant: group(person),
                    filed: day(r.occurred_at),
                    verdict: stat.decision.as_ref().map(|d| d.verdict),
                    decided,
                    sentence_months: stat.decision.as_ref().and_then(|d| d.sentence_months),
                    area: r.area_code,
                    org: r.org_id,
                });
            })
            .await?;

        // Where each person was found, and what they were exploited for: their sources…
        let mut source: HashMap<String, (Option<String>, TypeFlags)> = HashMap::new();
        let scan = StatScan {
            attrs: &["rescued", "persons_found"],
            among: among(&source_filter),
            ..StatScan::new(RecordTable::Operations, &["id", "kind", "occurred_at", "area_code", "org_id"])
        };
        self.store
            .stat_scan(&scan, &mut |r| {
                let op = operation_fact(&r);
                source.insert(r.id, (r.area_code, op.types));
                facts.operations.push(op);
            })
            .await?;
        let scan = StatScan {
            attrs: &["exploitation"],
            among: among(&source_filter),
            ..StatScan::new(RecordTable::Reports, &["id", "occurred_at", "created_at", "area_code", "org_id"])
        };
        self.store
            .stat_scan(&scan, &mut |r| {
                let stat: ReportStat = parse(&r);
                facts.reports.push((day(r.occurred_at).unwrap_or(r.created_at.div_euclid(86_400)), r.area_code.clone(), r.org_id));
                source.insert(r.id, (r.area_code, TypeFlags::of_intake(stat.exploitation.as_deref().unwrap_or(""))));
            })
            .await?;
        self.store
            .stat_scan(
                &StatScan { among: among(&source_filter), ..StatScan::new(RecordTable::Inspections, &["id", "area_code"]) },
                &mut |r| {
                    source.insert(r.id, (r.area_code, TypeFlags::of_intake("labour")));
                },
            )
            .await?;
        // …and the cases they are victims in (more precise than the source, when there is one).
        type ByCase = Option<(String, String)>;
        let mut victim_case: HashMap<String, (ByCase, TypeFlags, ByCase)> = HashMap::new();
        let scan = StatScan {
            kind: Some("victim"),
            status: Some("active"),
            among: among(&link_filter),
            ..StatScan::new(RecordTable::CaseLinks, &["subject_id", "lookup"])
        };
        self.store
            .stat_scan(&scan, &mut |r| {
                let (Some(case_id), Some(person)) = (r.subject_id.as_deref(), r.lookup.as_deref()) else { return };
                facts.victim_cases.entry(group(person)).or_default().push(case_id.to_owned());
                if let Some(c) = facts.cases.get(case_id) {
                    let e = victim_case.entry(person.to_owned()).or_insert((None, TypeFlags::default(), None));
                    e.1 = TypeFlags {
                        sexual: e.1.sexual || c.types.sexual,
                        labour: e.1.labour || c.types.labour,
                        other: e.1.other || c.types.other,
                    };
                    // Place and sector: of the case with the smallest id that has one, so
                    // that the order rows come in does not matter.
                    if let Some(a) = case_area.get(case_id).cloned().flatten()
                        && e.0.as_ref().is_none_or(|(k, _)| case_id < k.as_str())
                    {
                        e.0 = Some((case_id.to_owned(), a));
                    }
                    if let Some(sector) = &c.labour_sector
                        && e.2.as_ref().is_none_or(|(k, _)| case_id < k.as_str())
                    {
                        e.2 = Some((case_id.to_owned(), sector.clone()));
                    }
                }
            })
            .await?;
        drop(case_area);
        let victim_case: HashMap<String, (Option<String>, TypeFlags, Option<String>)> =
            victim_case.into_iter().map(|(p, (area, t, sector))| (p, (area.map(|x| x.1), t, sector.map(|x| x.1)))).collect();

        facts.victims = self.victim_facts(groups, among(&person_filter), &source, &victim_case).await?;
        drop(victim_case);
        drop(source);

        let scan = StatScan {
            status: Some("final"),
            attrs: &["indicators"],
            among: among(&person_filter),
            ..StatScan::new(RecordTable::Screenings, &["subject_id", "occurred_at", "created_at"])
        };
        self.store
            .stat_scan(&scan, &mut |r| {
                if let Some(person) = r.subject_id.as_deref() {
                    let g = group(person);
                    let stat: ScreeningStat = parse(&r);
                    let found = facts.screening_indicators.entry(g.clone()).or_default();
                    for i in stat.indicators {
                        if !found.contains(&i) {
                            found.push(i);
                        }
                    }
                    facts.screenings.push((g, day(r.occurred_at).unwrap_or(r.created_at.div_euclid(86_400))));
                }
            })
            .await?;
        let scan = StatScan {
            among: among(&person_filter),
            ..StatScan::new(RecordTable::Referrals, &["subject_id", "occurred_at", "created_at", "kind", "status", "area_code", "org_id"])
        };
        self.store
            .stat_scan(&scan, &mut |r| {
                let Some(person) = r.subject_id.as_deref().map(group) else { return };
                facts.referrals.push(referral_fact(r, person));
            })
            .await?;
        if victims_only {
            // A victim fact needs no assistance or prevention records.
            amparo_domain::statistics::complete_victims(&mut facts);
            return Ok(facts);
        }
        let scan = StatScan::new(RecordTable::Assistance, &["subject_id", "occurred_at", "kind", "status", "org_id"]);
        self.store
            .stat_scan(&scan, &mut |r| {
                let Some(person) = r.subject_id.as_deref().map(group) else { return };
                facts.assistance.push(assistance_fact(r, person));
            })
            .await?;
        let scan = StatScan {
            attrs: &["people"],
            ..StatScan::new(RecordTable::Prevention, &["occurred_at", "kind", "status", "area_code", "org_id"])
        };
        self.store.stat_scan(&scan, &mut |r| facts.prevention.push(prevention_fact(r))).await?;
        amparo_domain::statistics::complete_victims(&mut facts);
        Ok(facts)
    }

    /// The trend's headline figures for years the projection's facts do not cover, counted
    /// in the database (persons rescued are left at 0: the caller counts them from the
    /// operations it read).
    async fn earlier_trend(&self, years: std::ops::RangeInclusive<i32>, scope: &Scope) -> CoreResult<Vec<TrendPoint>> {
        let spans: Vec<(i32, i64, i64)> = years
            .map(|y| {
                let first = |y: i32| amparo_domain::protection::days_from_civil(&format!("{y:04}-01-01")).unwrap_or(0);
                (y, first(y), first(y + 1) - 1)
            })
            .collect();
        let q = crate::store::StatTrendQuery { years: &spans, region: scope.region.as_deref(), org: scope.org.as_deref() };
        Ok(self
            .store
            .stat_trend(&q)
            .await?
            .into_iter()
            .map(|r| TrendPoint {
                year: r.year,
                prosecutions: r.prosecutions,
                convictions: r.convictions,
                victims_identified: r.victims,
                persons_rescued: 0,
            })
            .collect())
    }

    /// The first-level area (region) of an area code, up the area tree; `None` for a country
    /// or an unknown code.
    async fn region_of(&self, code: &str) -> CoreResult<Option<String>> {
        let mut cur = code.to_owned();
        for _ in 0..8 {
            let Some(a) = self.store.get_area(&cur).await? else { return Ok(None) };
            match a.parent_code {
                Some(p) if a.level > 1 => cur = p,
                _ => return Ok(Some(a.code)),
            }
        }
        Ok(None)
    }

    /// One fact per person (group of records) with at least one identification decision, in
    /// one pass over the decisions (with their person's clear columns joined).
    async fn victim_facts(
        &self,
        groups: &PersonGroups,
        among: Option<(&str, &[String])>,
        source: &HashMap<String, (Option<String>, TypeFlags)>,
        victim_case: &HashMap<String, (Option<String>, TypeFlags, Option<String>)>,
    ) -> CoreResult<Vec<VictimFact>> {
        /// What one person record's decisions say so far.
        struct RecordState {
            /// The latest decision (by decision date, then when recorded, then id: the same
            /// whatever order the rows come in) and whether it is
            /// ActualVictim.
            latest: (i64, i64, String, bool),
            /// The earliest ActualVictim decision.
            first_actual: Option<Day>,
        }
        let mut records: HashMap<String, RecordState> = HashMap::new();
        let mut out: HashMap<String, VictimFact> = HashMap::new();
        // The record whose decision came first speaks for the person's attributes.
        /// The first decision's (day, recorded at, id) and area, per group.
        type First = ((i64, i64, String), Option<String>);
        let mut first_at: HashMap<String, First> = HashMap::new();
        let scan = StatScan {
            person: true,
            among,
            ..StatScan::new(RecordTable::Decisions, &["id", "subject_id", "org_id", "kind", "occurred_at", "created_at", "area_code"])
        };
        self.store
            .stat_scan(&scan, &mut |d| {
                let (Some(person), Some(at)) = (d.subject_id.as_deref(), d.occurred_at) else { return };
                let g = groups.of(person);
                let v = out.entry(g.clone()).or_insert_with(|| VictimFact { group: g.clone(), ..Default::default() });
                let today = at.div_euclid(86_400);
                let actual = d.kind == "ActualVictim";
                match records.get_mut(person) {
                    Some(rec) => {
                        if (at, d.created_at, d.id.as_str()) >= (rec.latest.0, rec.latest.1, rec.latest.2.as_str()) {
                            rec.latest = (at, d.created_at, d.id.clone(), actual);
                        }
                        if actual {
                            rec.first_actual = Some(rec.first_actual.map_or(today, |x| x.min(today)));
                        }
                    }
                    None => {
                        records.insert(
                            person.to_owned(),
                            RecordState { latest: (at, d.created_at, d.id.clone(), actual), first_actual: actual.then_some(today) },
                        );
                        // A record counts once, with its organisation, the first time it is seen.
                        v.records += 1;
                        if let Some(o) = d.person.as_ref().and_then(|p| p.org_id.clone())
                            && !v.orgs.contains(&o)
                        {
                            v.orgs.push(o);
                        }
                    }
                }
                if d.kind == "PossibleVictim" {
                    v.possible.push(today);
                }
                if !v.orgs.contains(&d.org_id) {
                    v.orgs.push(d.org_id.clone());
                }
                let first = first_at.entry(g).or_insert(((i64::MAX, 0, String::new()), None));
                if (at, d.created_at, d.id.as_str()) < (first.0.0, first.0.1, first.0.2.as_str()) {
                    *first = ((at, d.created_at, d.id.clone()), d.area_code.clone());
                    let p = d.person.clone().unwrap_or_default();
                    v.sex = p.sex;
                    v.age = p.approx_age;
                    v.nationality = p.nationality;
                    let from_case = victim_case.get(person);
                    let from_source = p.source_id.as_deref().and_then(|s| source.get(s));
                    v.types = from_case.map(|c| c.1).or(from_source.map(|s| s.1)).unwrap_or_default();
                    v.labour_sector = from_case.and_then(|c| c.2.clone());
                    v.area = from_case.and_then(|c| c.0.clone()).or_else(|| from_source.and_then(|s| s.0.clone()));
                }
            })
            .await?;
        // A person is identified from their earliest ActualVictim decision on any record whose
        // latest decision still says so.
        for (person, rec) in &records {
            if let (true, Some(day)) = (rec.latest.3, rec.first_actual)
                && let Some(v) = out.get_mut(&groups.of(person))
            {
                v.identified = Some(v.identified.map_or(day, |x| x.min(day)));
            }
        }
        // Records in a victim's group without a decision of their own still stand behind them.
        for (person, org) in &groups.members {
            if records.contains_key(person) {
                continue;
            }
            if let Some(v) = out.get_mut(&groups.of(person)) {
                v.records += 1;
                if !org.is_empty() && !v.orgs.contains(org) {
                    v.orgs.push(org.clone());
                }
            }
        }
        drop(records);
        let mut victims: Vec<VictimFact> = out.into_values().collect();
        let mut regions: HashMap<String, Option<String>> = HashMap::new();
        for v in &mut victims {
            if v.area.is_none() {
                v.area = first_at.get(&v.group).and_then(|f| f.1.clone());
            }
            if let Some(a) = v.area.clone() {
                if !regions.contains_key(&a) {
                    let r = self.region_of(&a).await?;
                    regions.insert(a.clone(), r);
                }
                v.region = regions.get(&a).cloned().flatten();
            }
        }
        for v in &mut victims {
            v.orgs.sort();
            v.possible.sort_unstable();
        }
        victims.sort_by(|a, b| a.group.cmp(&b.group));
        Ok(victims)
    }
}
