//! The national figures of DOMAIN.md §5, counted from plain facts by pure functions.
//!
//! The core turns stored records into `Facts` (one row per charge, victim, operation…, with
//! persons already grouped by record linkage); everything here is arithmetic over them, so
//! the definitions live in one place and the web page, the command line and every export
//! agree. The definitions, in short (docs/statistics.md and docs/annual-report.md say more):
//!
//! - a **prosecution** is counted in the year formal charges were filed, per case and per
//!   defendant (a person charged under two articles in one case counts once);
//! - a **conviction** is counted in the year of the first-instance guilty verdict, per
//!   defendant;
//! - a **victim identified** is a unique person (after linkage) whose first ActualVictim
//!   decision falls in the year and whose latest decision is still ActualVictim;
//! - a **possible victim** is a unique person with a PossibleVictim decision in the year who
//!   has not been identified as a victim by the end of that year.
//!
//! Exploitation types split into `sexual`, `labour`, `other` and `unknown`. A case of both
//! sexual and labour exploitation counts under both, and once in `total`, so the parts may
//! add up to more than the total. Persons are counted once in every breakdown.

use crate::cases::{CaseExploitation, Verdict};
use crate::protection::civil_from_days;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Days since the epoch (UTC); dates are what the statistics count by.
pub type Day = i64;

pub fn year_of_day(day: Day) -> i32 {
    civil_from_days(day).0
}

/// The exploitation type(s) a fact belongs to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct TypeFlags {
    #[serde(rename = "s", skip_serializing_if = "std::ops::Not::not")]
    pub sexual: bool,
    #[serde(rename = "l", skip_serializing_if = "std::ops::Not::not")]
    pub labour: bool,
    #[serde(rename = "o", skip_serializing_if = "std::ops::Not::not")]
    pub other: bool,
}

impl TypeFlags {
    pub fn of_case(e: CaseExploitation) -> TypeFlags {
        TypeFlags { sexual: e.is_sexual(), labour: e.is_labour(), other: !e.is_sexual() && !e.is_labour() }
    }
    /// From an intake exploitation (`sexual`, `labour`, `begging`…). Begging and domestic
    /// servitude are forced labour in the ILO sense; `unknown` is none of the three.
    pub fn of_intake(kind: &str) -> TypeFlags {
        match kind {
            "sexual" => TypeFlags { sexual: true, ..Default::default() },
            "labour" | "begging" | "servitude" => TypeFlags { labour: true, ..Default::default() },
            "unknown" | "" => TypeFlags::default(),
            _ => TypeFlags { other: true, ..Default::default() },
        }
    }
    pub fn is_unknown(self) -> bool {
        !self.sexual && !self.labour && !self.other
    }
}

fn no_type(t: &TypeFlags) -> bool {
    t.is_unknown()
}

/// A count with its split by exploitation type.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Split {
    pub total: u64,
    pub sexual: u64,
    pub labour: u64,
    pub other: u64,
    pub unknown: u64,
}

impl Split {
    fn add(&mut self, t: TypeFlags, n: u64) {
        self.total += n;
        if t.sexual {
            self.sexual += n;
        }
        if t.labour {
            self.labour += n;
        }
        if t.other {
            self.other += n;
        }
        if t.is_unknown() {
            self.unknown += n;
        }
    }
}

/// A range (shortest and longest) with its split by exploitation type; `None` = no value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RangeSplit {
    pub total: Option<i64>,
    pub sexual: Option<i64>,
    pub labour: Option<i64>,
    pub other: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct CaseFact {
    pub id: String,
    pub types: TypeFlags,
    pub labour_sector: Option<String>,
    pub sexual_form: Option<String>,
    /// The country of an exploitation event abroad (ISO alpha-2), if any.
    pub exploited_in: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ChargeFact {
    pub case_id: String,
    /// The defendant's person group (after linkage).
    pub defendant: String,
    pub filed: Option<Day>,
    pub verdict: Option<Verdict>,
    pub decided: Option<Day>,
    pub sentence_months: Option<i64>,
    pub area: Option<String>,
    pub org: String,
}

/// One person (group of linked records) with an identification history. Serialised as
/// is into the statistics projection, with short names and without empty fields: a report
/// at national scale reads a few hundred thousand of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct VictimFact {
    #[serde(rename = "g")]
    pub group: String,
    /// Records behind the person.
    #[serde(rename = "n")]
    pub records: u64,
    /// First ActualVictim decision, if the latest decision on the person still says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(rename = "i")]
    pub identified: Option<Day>,
    /// Days of PossibleVictim decisions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[serde(rename = "p")]
    pub possible: Vec<Day>,
    #[serde(skip_serializing_if = "no_type")]
    #[serde(rename = "t")]
    pub types: TypeFlags,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(rename = "ls")]
    pub labour_sector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(rename = "s")]
    pub sex: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(rename = "a")]
    pub age: Option<i64>,
    /// ISO alpha-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(rename = "nat")]
    pub nationality: Option<String>,
    /// First-level area (region) where the person was found or identified.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(rename = "r")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(rename = "ar")]
    pub area: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[serde(rename = "o")]
    pub orgs: Vec<String>,
    /// The person's first final screening, first referral (not rejected or revoked), and
    /// whether a case they are a victim in had charges filed, or a conviction (at any time):
    /// the case flow follows each year's cohort with them. Filled by `complete_victims`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(rename = "fs")]
    pub first_screening: Option<Day>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(rename = "fr")]
    pub first_referral: Option<Day>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[serde(rename = "pr")]
    pub prosecuted: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[serde(rename = "cv")]
    pub convicted: bool,
}

/// Fill each victim's case-flow facts (`first_screening`, `first_referral`, `prosecuted`,
/// `convicted`) from the screenings, referrals, charges and victim links in `f`. The whole
/// count and the statistics projection (one person at a time) both call this, so the two
/// cannot disagree.
pub fn complete_victims(f: &mut Facts) {
    let mut first_screening: HashMap<&str, Day> = HashMap::new();
    for (g, d) in &f.screenings {
        let e = first_screening.entry(g.as_str()).or_insert(*d);
        *e = (*e).min(*d);
    }
    let mut first_referral: HashMap<&str, Day> = HashMap::new();
    for r in f.referrals.iter().filter(|r| r.referred) {
        let e = first_referral.entry(r.person.as_str()).or_insert(r.day);
        *e = (*e).min(r.day);
    }
    let charged: HashSet<&str> = f.charges.iter().filter(|c| c.filed.is_some()).map(|c| c.case_id.as_str()).collect();
    let convicted: HashSet<&str> = f.charges.iter().filter(|c| c.verdict == Some(Verdict::Convicted)).map(|c| c.case_id.as_str()).collect();
    let mut done = Vec::with_capacity(f.victims.len());
    for v in &f.victims {
        let g = v.group.as_str();
        let cases = f.victim_cases.get(g).map(Vec::as_slice).unwrap_or(&[]);
        done.push((
            first_screening.get(g).copied(),
            first_referral.get(g).copied(),
            cases.iter().any(|c| charged.contains(c.as_str())),
            cases.iter().any(|c| convicted.contains(c.as_str())),
        ));
    }
    for (v, (s, r, p, c)) in f.victims.iter_mut().zip(done) {
        v.first_screening = s;
        v.first_referral = r;
        v.prosecuted = p;
        v.convicted = c;
    }
}

#[derive(Clone, Debug)]
pub struct OperationFact {
    pub day: Option<Day>,
    pub rescued: i64,
    pub persons_found: i64,
    pub types: TypeFlags,
    pub area: Option<String>,
    pub org: String,
}

#[derive(Clone, Debug)]
pub struct ReferralFact {
    pub person: String,
    pub day: Day,
    pub service_kind: String,
    pub status: String,
    /// Counts as referred (not rejected or revoked).
    pub referred: bool,
    pub area: Option<String>,
    pub org: String,
}

#[derive(Clone, Debug)]
pub struct AssistanceFact {
    pub person: String,
    pub day: Option<Day>,
    /// `repatriation`, `alternative_to_removal`, `service_delivered`…
    pub kind: String,
    pub detail: String,
    pub org: String,
}

#[derive(Clone, Debug)]
pub struct PreventionFact {
    pub day: Option<Day>,
    /// `training` or `campaign`.
    pub kind: String,
    pub audience: String,
    pub people: i64,
    pub area: Option<String>,
    pub org: String,
}

/// Everything the figures are counted from.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// The country the installation serves (ISO alpha-2): victims of another nationality
    /// are foreign.
    pub home_country: String,
    pub cases: HashMap<String, CaseFact>,
    pub charges: Vec<ChargeFact>,
    pub victims: Vec<VictimFact>,
    pub operations: Vec<OperationFact>,
    pub referrals: Vec<ReferralFact>,
    pub assistance: Vec<AssistanceFact>,
    pub prevention: Vec<PreventionFact>,
    /// Reports received: (day, area, organisation).
    pub reports: Vec<(Day, Option<String>, String)>,
    /// Final screenings: (person group, day).
    pub screenings: Vec<(String, Day)>,
    /// The cases each person group is a victim in.
    pub victim_cases: HashMap<String, Vec<String>>,
    /// The indicators of each person group's final screenings (an entry, maybe empty, for
    /// every group screened).
    pub screening_indicators: HashMap<String, Vec<String>>,
    /// Persons (groups) screened per year, when counted elsewhere (the statistics projection
    /// counts them in the database); otherwise counted from `screenings`.
    pub screened_per_year: Option<HashMap<i32, u64>>,
}

/// Which part of the country or which organisation a report covers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Scope {
    /// An area code; a fact is in scope when its area or region starts with it.
    pub region: Option<String>,
    pub org: Option<String>,
}

impl Scope {
    fn area_ok(&self, area: Option<&str>, region: Option<&str>) -> bool {
        match &self.region {
            None => true,
            Some(r) => area.is_some_and(|a| a.starts_with(r.as_str())) || region.is_some_and(|g| g.starts_with(r.as_str())),
        }
    }
    fn org_ok(&self, org: &str) -> bool {
        self.org.as_deref().is_none_or(|o| o == org)
    }
    fn victim_ok(&self, v: &VictimFact) -> bool {
        self.area_ok(v.area.as_deref(), v.region.as_deref()) && self.org.as_deref().is_none_or(|o| v.orgs.iter().any(|x| x == o))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Prosecutions {
    pub cases: Split,
    pub defendants: Split,
    /// Defendants in labour cases by sector.
    pub labour_sectors: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Convictions {
    pub defendants: Split,
    pub cases: Split,
    pub acquitted_defendants: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Sentences {
    /// Custodial sentences counted.
    pub count: Split,
    pub min_months: RangeSplit,
    pub max_months: RangeSplit,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Victims {
    pub total: u64,
    /// Person records behind them (what counting without linkage would have said).
    pub records: u64,
    pub by_type: Split,
    pub labour_sectors: BTreeMap<String, u64>,
    pub sex: BTreeMap<String, u64>,
    /// `child` (under 18) or `adult`, or `unknown`.
    pub age_group: BTreeMap<String, u64>,
    /// CTDC `ageBroad` bands.
    pub age_broad: BTreeMap<String, u64>,
    pub nationality: BTreeMap<String, u64>,
    pub region: BTreeMap<String, u64>,
    pub foreign: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Referred {
    pub total: u64,
    pub by_type: Split,
    /// Persons per service kind (a person referred to two kinds counts in both).
    pub by_service: BTreeMap<String, u64>,
    /// Referrals per status.
    pub by_status: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Repatriated {
    pub total: u64,
    pub by_type: Split,
    /// Foreign victims given an alternative to removal (residence, stay, regularisation).
    pub alternatives_to_removal: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Trainings {
    pub persons_trained: u64,
    pub sessions: u64,
    pub by_audience: BTreeMap<String, u64>,
    pub campaigns: u64,
    pub campaign_reach: u64,
}

/// The year's cohort of victims through the response, and the time it takes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CaseFlow {
    /// Reports received in the year (hotline, web, walk-in…).
    pub reported: u64,
    /// Persons with a completed screening in the year.
    pub screened: u64,
    /// Victims identified in the year (as `victims_identified.total`)…
    pub identified: u64,
    /// …of whom referred to a service (at any time)…
    pub referred: u64,
    /// …victims in a case with charges filed…
    pub prosecuted: u64,
    /// …and in a case with a conviction.
    pub convicted: u64,
    /// Median days from a person's first screening to their identification.
    pub median_days_screening_to_identification: Option<i64>,
    /// Median days from identification to the first referral.
    pub median_days_identification_to_referral: Option<i64>,
    /// Median days from charges filed to the first-instance verdict (verdicts of the year).
    pub median_days_charge_to_verdict: Option<i64>,
}

/// One year of the trend chart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct TrendPoint {
    pub year: i32,
    pub prosecutions: u64,
    pub convictions: u64,
    pub victims_identified: u64,
    pub persons_rescued: u64,
}

pub fn median(mut xs: Vec<i64>) -> Option<i64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_unstable();
    xs.get(xs.len() / 2).copied()
}

/// The figures of one year.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Figures {
    pub year: i32,
    pub prosecutions: Prosecutions,
    pub convictions: Convictions,
    pub sentences: Sentences,
    pub victims_identified: Victims,
    pub possible_victims: Split,
    pub persons_rescued_in_operations: Split,
    pub operations: u64,
    pub victims_referred: Referred,
    pub foreign_victims_repatriated: Repatriated,
    pub trainings: Trainings,
    pub case_flow: CaseFlow,
}

fn in_year(day: Option<Day>, year: i32) -> bool {
    day.is_some_and(|d| year_of_day(d) == year)
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    // No new String for a key already there (the common case, a few hundred thousand times).
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_owned(), 1);
        }
    }
}

fn widen(cur: &mut Option<i64>, v: i64, max: bool) {
    *cur = Some(match *cur {
        None => v,
        Some(c) if max => c.max(v),
        Some(c) => c.min(v),
    });
}

/// CTDC's `ageBroad` band for an age in years.
pub fn age_broad(age: i64) -> &'static str {
    match age {
        i64::MIN..=8 => "0--8",
        9..=17 => "09--17",
        18..=20 => "18--20",
        21..=23 => "21--23",
        24..=26 => "24--26",
        27..=29 => "27--29",
        30..=38 => "30--38",
        39..=47 => "39--47",
        _ => "48+",
    }
}

pub fn age_group(age: Option<i64>) -> &'static str {
    match age {
        Some(a) if a < 18 => "child",
        Some(_) => "adult",
        None => "unknown",
    }
}

/// What does not depend on the year, looked up once for every year a report shows (the
/// year, the previous one, the five of the trend): the charges in scope, each person's
/// exploitation type and nationality, first screening and first referral, the cases ever
/// charged and ever convicted.
pub struct Prepared<'a> {
    f: &'a Facts,
    scope: &'a Scope,
    charges: Vec<&'a ChargeFact>,
    types_of: HashMap<&'a str, TypeFlags>,
    foreign: HashMap<&'a str, bool>,
    victim_in_scope: HashMap<&'a str, bool>,
}

pub fn prepare<'a>(f: &'a Facts, scope: &'a Scope) -> Prepared<'a> {
    let mut p = Prepared {
        f,
        scope,
        charges: f.charges.iter().filter(|c| scope.area_ok(c.area.as_deref(), None) && scope.org_ok(&c.org)).collect(),
        types_of: HashMap::with_capacity(f.victims.len()),
        foreign: HashMap::with_capacity(f.victims.len()),
        victim_in_scope: HashMap::with_capacity(f.victims.len()),
    };
    for x in &f.victims {
        p.types_of.insert(x.group.as_str(), x.types);
        p.foreign.insert(x.group.as_str(), x.nationality.as_deref().is_some_and(|n| !n.eq_ignore_ascii_case(&f.home_country)));
        p.victim_in_scope.insert(x.group.as_str(), scope.area_ok(x.area.as_deref(), x.region.as_deref()));
    }
    p
}

/// The figures for `year` within `scope`.
pub fn figures(f: &Facts, year: i32, scope: &Scope) -> Figures {
    figures_of(&prepare(f, scope), year)
}

/// The figures for `year`, from facts prepared for a scope.
pub fn figures_of(prep: &Prepared<'_>, year: i32) -> Figures {
    let (f, scope, charges) = (prep.f, prep.scope, &prep.charges);
    let no_case = CaseFact { id: String::new(), types: TypeFlags::default(), labour_sector: None, sexual_form: None, exploited_in: None };
    let case_of = |id: &str| f.cases.get(id).unwrap_or(&no_case);

    // Prosecutions: distinct cases and (case, defendant) pairs with charges filed in the year.
    let mut p = Prosecutions::default();
    let filed: Vec<&&ChargeFact> = charges.iter().filter(|c| in_year(c.filed, year)).collect();
    let cases: BTreeSet<&str> = filed.iter().map(|c| c.case_id.as_str()).collect();
    for c in &cases {
        p.cases.add(case_of(c).types, 1);
    }
    let defendants: BTreeSet<(&str, &str)> = filed.iter().map(|c| (c.case_id.as_str(), c.defendant.as_str())).collect();
    for (c, _) in &defendants {
        let case = case_of(c);
        p.defendants.add(case.types, 1);
        if case.types.labour {
            bump(&mut p.labour_sectors, case.labour_sector.as_deref().unwrap_or("unknown"));
        }
    }

    // Convictions and sentences: first-instance verdicts decided in the year.
    let mut conv = Convictions::default();
    let mut sent = Sentences::default();
    let decided: Vec<&&ChargeFact> = charges.iter().filter(|c| in_year(c.decided, year)).collect();
    let mut convicted: BTreeMap<(&str, &str), Option<i64>> = BTreeMap::new();
    let mut acquitted: BTreeSet<(&str, &str)> = BTreeSet::new();
    for c in &decided {
        let key = (c.case_id.as_str(), c.defendant.as_str());
        match c.verdict {
            Some(Verdict::Convicted) => {
                // The longest sentence of a defendant's charges is their sentence.
                let e = convicted.entry(key).or_default();
                if let Some(m) = c.sentence_months {
                    *e = Some(e.map_or(m, |x| x.max(m)));
                }
            }
            Some(_) => {
                acquitted.insert(key);
            }
            None => {}
        }
    }
    let mut conv_cases = BTreeSet::new();
    for ((case_id, _), months) in &convicted {
        let t = case_of(case_id).types;
        conv.defendants.add(t, 1);
        conv_cases.insert(*case_id);
        if let Some(m) = months {
            sent.count.add(t, 1);
            for (flag, min, max) in [
                (true, &mut sent.min_months.total, &mut sent.max_months.total),
                (t.sexual, &mut sent.min_months.sexual, &mut sent.max_months.sexual),
                (t.labour, &mut sent.min_months.labour, &mut sent.max_months.labour),
                (t.other, &mut sent.min_months.other, &mut sent.max_months.other),
            ] {
                if flag {
                    widen(min, *m, false);
                    widen(max, *m, true);
                }
            }
        }
    }
    for c in conv_cases {
        conv.cases.add(case_of(c).types, 1);
    }
    conv.acquitted_defendants = acquitted.iter().filter(|k| !convicted.contains_key(*k)).count() as u64;

    // Victims.
    let mut v = Victims::default();
    let mut possible = Split::default();
    let end_of_year = |d: Day| year_of_day(d) <= year;
    let (types_of, foreign) = (&prep.types_of, &prep.foreign);
    for x in &f.victims {
        if !scope.victim_ok(x) {
            continue;
        }
        if in_year(x.identified, year) {
            v.total += 1;
            v.records += x.records;
            v.by_type.add(x.types, 1);
            if x.types.labour {
                bump(&mut v.labour_sectors, x.labour_sector.as_deref().unwrap_or("unknown"));
            }
            bump(&mut v.sex, x.sex.as_deref().unwrap_or("unknown"));
            bump(&mut v.age_group, age_group(x.age));
            bump(&mut v.age_broad, x.age.map(age_broad).unwrap_or("unknown"));
            bump(&mut v.nationality, x.nationality.as_deref().unwrap_or("unknown"));
            bump(&mut v.region, x.region.as_deref().unwrap_or("unknown"));
            if foreign.get(x.group.as_str()).copied().unwrap_or(false) {
                v.foreign += 1;
            }
        }
        let identified_by_then = x.identified.is_some_and(end_of_year);
        if !identified_by_then && x.possible.iter().any(|d| year_of_day(*d) == year) {
            possible.add(x.types, 1);
        }
    }

    let (rescued, operations) = rescued_of(f, year, scope);

    // Referrals: persons referred in the year, once each, and per service kind.
    let mut r = Referred::default();
    let mut persons: BTreeSet<&str> = BTreeSet::new();
    let mut per_kind: BTreeSet<(&str, &str)> = BTreeSet::new();
    for x in f.referrals.iter().filter(|x| year_of_day(x.day) == year && scope.area_ok(x.area.as_deref(), None) && scope.org_ok(&x.org)) {
        bump(&mut r.by_status, &x.status);
        if x.referred {
            persons.insert(x.person.as_str());
            per_kind.insert((x.person.as_str(), x.service_kind.as_str()));
        }
    }
    for p in &persons {
        r.total += 1;
        r.by_type.add(types_of.get(p).copied().unwrap_or_default(), 1);
    }
    for (_, kind) in &per_kind {
        bump(&mut r.by_service, kind);
    }

    // Foreign victims repatriated or given an alternative to removal.
    let mut rep = Repatriated::default();
    let mut repatriated: BTreeSet<&str> = BTreeSet::new();
    let mut alternatives: BTreeSet<&str> = BTreeSet::new();
    let victim_in_scope = &prep.victim_in_scope;
    for a in f.assistance.iter().filter(|a| in_year(a.day, year) && scope.org_ok(&a.org)) {
        let person = a.person.as_str();
        if !foreign.get(person).copied().unwrap_or(false) || !victim_in_scope.get(person).copied().unwrap_or(scope.region.is_none()) {
            continue;
        }
        match a.kind.as_str() {
            "repatriation" => {
                repatriated.insert(person);
            }
            "alternative_to_removal" => {
                alternatives.insert(person);
            }
            _ => {}
        }
    }
    for p in &repatriated {
        rep.total += 1;
        rep.by_type.add(types_of.get(p).copied().unwrap_or_default(), 1);
    }
    rep.alternatives_to_removal = alternatives.len() as u64;

    // Prevention.
    let mut t = Trainings::default();
    for x in f.prevention.iter().filter(|x| in_year(x.day, year) && scope.area_ok(x.area.as_deref(), None) && scope.org_ok(&x.org)) {
        let people = x.people.max(0) as u64;
        if x.kind == "training" {
            t.sessions += 1;
            t.persons_trained += people;
            *t.by_audience.entry(x.audience.clone()).or_default() += people;
        } else {
            t.campaigns += 1;
            t.campaign_reach += people;
        }
    }

    // The case flow of the year's cohort.
    let mut flow = CaseFlow {
        reported: f
            .reports
            .iter()
            .filter(|(d, area, org)| year_of_day(*d) == year && scope.area_ok(area.as_deref(), None) && scope.org_ok(org))
            .count() as u64,
        identified: v.total,
        ..Default::default()
    };
    flow.screened = match &f.screened_per_year {
        Some(n) => n.get(&year).copied().unwrap_or(0),
        None => f.screenings.iter().filter(|(_, d)| year_of_day(*d) == year).map(|(g, _)| g.as_str()).collect::<BTreeSet<_>>().len() as u64,
    };
    let (mut to_id, mut to_ref) = (Vec::new(), Vec::new());
    for x in f.victims.iter().filter(|x| scope.victim_ok(x) && in_year(x.identified, year)) {
        let Some(id_day) = x.identified else { continue };
        if let Some(d) = x.first_referral {
            flow.referred += 1;
            to_ref.push((d - id_day).max(0));
        }
        if let Some(d) = x.first_screening {
            to_id.push((id_day - d).max(0));
        }
        flow.prosecuted += u64::from(x.prosecuted);
        flow.convicted += u64::from(x.convicted);
    }
    flow.median_days_screening_to_identification = median(to_id);
    flow.median_days_identification_to_referral = median(to_ref);
    flow.median_days_charge_to_verdict = median(decided.iter().filter_map(|c| Some((c.decided? - c.filed?).max(0))).collect());

    Figures {
        year,
        case_flow: flow,
        prosecutions: p,
        convictions: conv,
        sentences: sent,
        victims_identified: v,
        possible_victims: possible,
        persons_rescued_in_operations: rescued,
        operations,
        victims_referred: r,
        foreign_victims_repatriated: rep,
        trainings: t,
    }
}

/// Persons rescued in police operations in `year` (by exploitation type), and the number
/// of operations.
pub fn rescued_of(f: &Facts, year: i32, scope: &Scope) -> (Split, u64) {
    let mut rescued = Split::default();
    let mut operations = 0;
    for o in f.operations.iter().filter(|o| in_year(o.day, year) && scope.area_ok(o.area.as_deref(), None) && scope.org_ok(&o.org)) {
        operations += 1;
        rescued.add(o.types, o.rescued.max(0) as u64);
    }
    (rescued, operations)
}

/// The headline figures of each of `years`, for the trend chart.
pub fn trend(f: &Facts, years: std::ops::RangeInclusive<i32>, scope: &Scope) -> Vec<TrendPoint> {
    trend_of(&prepare(f, scope), years)
}

/// The trend, from facts prepared for a scope.
pub fn trend_of(prep: &Prepared<'_>, years: std::ops::RangeInclusive<i32>) -> Vec<TrendPoint> {
    years
        .map(|y| {
            let x = figures_of(prep, y);
            TrendPoint {
                year: y,
                prosecutions: x.prosecutions.cases.total,
                convictions: x.convictions.defendants.total,
                victims_identified: x.victims_identified.total,
                persons_rescued: x.persons_rescued_in_operations.total,
            }
        })
        .collect()
}

/// Hide cells of fewer than `k` persons (but more than none) in one breakdown. When exactly
/// one cell would be hidden, the next smallest goes too: otherwise the total minus the
/// shown cells would give it away. Returns whether anything was hidden.
pub fn suppress_cells(map: &mut BTreeMap<String, u64>, k: u64) -> bool {
    let mut small: Vec<String> = map.iter().filter(|(_, n)| **n > 0 && **n < k).map(|(c, _)| c.clone()).collect();
    if small.is_empty() {
        return false;
    }
    if small.len() == 1 {
        let next =
            map.iter().filter(|(c, n)| **n >= k && !small.contains(c)).min_by_key(|(c, n)| (**n, (*c).clone())).map(|(c, _)| c.clone());
        small.extend(next);
    }
    for c in small {
        map.remove(&c);
    }
    true
}

/// Apply `suppress_cells` to every breakdown of persons; returns the paths that lost cells.
pub fn suppress_small_cells(f: &mut Figures, k: u64) -> Vec<String> {
    let v = &mut f.victims_identified;
    let mut out = Vec::new();
    for (path, map) in [
        ("victims_identified.sex", &mut v.sex),
        ("victims_identified.age_group", &mut v.age_group),
        ("victims_identified.age_broad", &mut v.age_broad),
        ("victims_identified.nationality", &mut v.nationality),
        ("victims_identified.region", &mut v.region),
        ("victims_identified.labour_sectors", &mut v.labour_sectors),
        ("prosecutions.labour_sectors", &mut f.prosecutions.labour_sectors),
        ("victims_referred.by_service", &mut f.victims_referred.by_service),
    ] {
        if suppress_cells(map, k) {
            out.push(path.to_owned());
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        crate::protection::days_from_civil(s).unwrap()
    }

    fn charge(case: &str, who: &str, filed: &str, verdict: Option<(Verdict, &str, i64)>) -> ChargeFact {
        ChargeFact {
            case_id: case.into(),
            defendant: who.into(),
            filed: Some(day(filed)),
            verdict: verdict.map(|v| v.0),
            decided: verdict.map(|v| day(v.1)),
            sentence_months: verdict.map(|v| v.2),
            area: Some("PE-1601".into()),
            org: "fiscalia".into(),
        }
    }

    fn facts() -> Facts {
        let mut f = Facts { home_country: "PE".into(), ..Default::default() };
        for (id, e) in
            [("c1", CaseExploitation::SexualExploit), ("c2", CaseExploitation::SexAndLabour), ("c3", CaseExploitation::ForcedLabour)]
        {
            f.cases.insert(
                id.into(),
                CaseFact {
                    id: id.into(),
                    types: TypeFlags::of_case(e),
                    labour_sector: Some("mining".into()),
                    sexual_form: None,
                    exploited_in: None,
                },
            );
        }
        f.charges = vec![
            // One defendant charged under two articles in one case: one defendant.
            charge("c1", "p1", "2008-03-01", None),
            charge("c1", "p1", "2008-03-02", Some((Verdict::Convicted, "2009-01-10", 96))),
            charge("c2", "p2", "2008-05-01", Some((Verdict::Convicted, "2008-11-01", 144))),
            charge("c3", "p3", "2007-05-01", Some((Verdict::Acquitted, "2008-06-01", 0))),
        ];
        f
    }

    #[test]
    fn a_case_is_other_exploitation_only_when_neither_sexual_nor_labour() {
        let t = |e| TypeFlags::of_case(e);
        assert_eq!(t(CaseExploitation::OrganRemoval), TypeFlags { other: true, ..Default::default() });
        assert_eq!(t(CaseExploitation::SexualExploit), TypeFlags { sexual: true, ..Default::default() });
        assert_eq!(t(CaseExploitation::ForcedLabour), TypeFlags { labour: true, ..Default::default() });
        assert_eq!(t(CaseExploitation::SexAndLabour), TypeFlags { sexual: true, labour: true, other: false });
    }

    /// The projection stores a victim's facts compactly: an unknown type is left out, a known
    /// one kept, and both read back as written.
    #[test]
    fn victim_facts_leave_out_an_unknown_type_and_keep_a_known_one() {
        let unknown = VictimFact { group: "g".into(), ..Default::default() };
        let text = serde_json::to_string(&unknown).unwrap();
        assert!(!text.contains("\"t\""), "{text}");
        let known = VictimFact { group: "g".into(), types: TypeFlags { labour: true, ..Default::default() }, ..Default::default() };
        let text = serde_json::to_string(&known).unwrap();
        assert!(text.contains("\"t\""), "{text}");
        assert_eq!(serde_json::from_str::<VictimFact>(&text).unwrap(), known);
    }

    #[test]
    fn a_split_adds_counts_of_any_size_to_each_type_it_names() {
        let mut s = Split::default();
        s.add(TypeFlags { sexual: true, labour: true, other: false }, 2);
        s.add(TypeFlags { sexual: true, ..Default::default() }, 3);
        s.add(TypeFlags { labour: true, ..Default::default() }, 4);
        s.add(TypeFlags::default(), 5);
        s.add(TypeFlags { other: true, ..Default::default() }, 2);
        s.add(TypeFlags { other: true, ..Default::default() }, 3);
        assert_eq!(s, Split { total: 19, sexual: 5, labour: 6, other: 5, unknown: 5 });
    }

    #[test]
    fn widening_keeps_the_shortest_or_the_longest() {
        let (mut lo, mut hi) = (None, None);
        for v in [30, 12, 96, 48] {
            widen(&mut lo, v, false);
            widen(&mut hi, v, true);
        }
        assert_eq!((lo, hi), (Some(12), Some(96)));
    }

    /// The case flow's facts come from the screenings, referrals and charges: the first of
    /// each, and a conviction only from a convicting verdict.
    #[test]
    fn complete_victims_fills_the_case_flow_from_the_records() {
        let mut f = facts();
        f.victims = vec![
            VictimFact { group: "v1".into(), ..Default::default() },
            VictimFact { group: "v3".into(), ..Default::default() },
            VictimFact { group: "v0".into(), ..Default::default() },
        ];
        f.screenings = vec![("v1".into(), day("2008-02-01")), ("v1".into(), day("2008-01-15"))];
        let referral = |person: &str, d: &str, referred: bool| ReferralFact {
            person: person.into(),
            day: day(d),
            service_kind: "shelter".into(),
            status: "accepted".into(),
            referred,
            area: None,
            org: "o".into(),
        };
        f.referrals = vec![referral("v1", "2008-03-01", true), referral("v1", "2008-02-20", false), referral("v1", "2008-04-01", true)];
        f.victim_cases.insert("v1".into(), vec!["c1".into()]);
        f.victim_cases.insert("v3".into(), vec!["c3".into()]);
        complete_victims(&mut f);
        let v1 = &f.victims[0];
        assert_eq!((v1.first_screening, v1.first_referral), (Some(day("2008-01-15")), Some(day("2008-03-01"))));
        assert!(v1.prosecuted && v1.convicted, "c1 was charged and convicted");
        let v3 = &f.victims[1];
        assert!(v3.prosecuted && !v3.convicted, "c3 ended in an acquittal");
        let v0 = &f.victims[2];
        assert_eq!((v0.first_screening, v0.first_referral, v0.prosecuted, v0.convicted), (None, None, false, false));
    }

    /// An organisation's scope counts the victims it worked with and the charges it filed,
    /// inside the region asked for, and nothing of another organisation in that region.
    #[test]
    fn an_organisation_scope_keeps_its_own_victims_and_charges_only() {
        let mut f = facts();
        f.charges.push(ChargeFact { org: "otra".into(), ..charge("c3", "p9", "2008-07-01", None) });
        let scope = Scope { region: Some("PE-16".into()), org: Some("fiscalia".into()) };
        let only_ours = figures(&f, 2008, &scope);
        assert_eq!(only_ours.prosecutions.defendants.total, 2, "p9 was charged by another organisation");
        let v = |orgs: &[&str]| VictimFact {
            group: "v".into(),
            region: Some("PE-16".into()),
            orgs: orgs.iter().map(|o| (*o).into()).collect(),
            ..Default::default()
        };
        assert!(scope.victim_ok(&v(&["fiscalia"])));
        assert!(!scope.victim_ok(&v(&["otra"])));
        assert!(!scope.victim_ok(&v(&[])));
    }

    /// Rescues count in the year of the operation, inside the scope's region and
    /// organisation, by type; a negative count (a data-entry error) adds nothing.
    #[test]
    fn persons_rescued_count_the_years_operations_in_scope() {
        let op = |d: &str, rescued: i64, area: &str, org: &str, types: TypeFlags| OperationFact {
            day: Some(day(d)),
            rescued,
            persons_found: rescued,
            types,
            area: Some(area.into()),
            org: org.into(),
        };
        let sexual = TypeFlags { sexual: true, ..Default::default() };
        let labour = TypeFlags { labour: true, ..Default::default() };
        let f = Facts {
            operations: vec![
                op("2008-02-01", 3, "PE-1601", "dirincri", sexual),
                op("2008-06-01", 4, "PE-1601", "dirincri", labour),
                op("2008-07-01", 5, "PE-2101", "dirincri", labour),
                op("2008-08-01", 6, "PE-1601", "otra", labour),
                op("2007-12-31", 7, "PE-1601", "dirincri", labour),
                op("2008-09-01", -2, "PE-1601", "dirincri", labour),
            ],
            ..Default::default()
        };
        let (all, n) = rescued_of(&f, 2008, &Scope::default());
        assert_eq!((all, n), (Split { total: 18, sexual: 3, labour: 15, other: 0, unknown: 0 }, 5));
        let scope = Scope { region: Some("PE-16".into()), org: Some("dirincri".into()) };
        let (ours, n) = rescued_of(&f, 2008, &scope);
        assert_eq!((ours, n), (Split { total: 7, sexual: 3, labour: 4, other: 0, unknown: 0 }, 3));
    }

    #[test]
    fn prosecutions_count_cases_and_defendants_in_the_year_of_filing() {
        let f = figures(&facts(), 2008, &Scope::default());
        assert_eq!(f.prosecutions.cases, Split { total: 2, sexual: 2, labour: 1, other: 0, unknown: 0 }, "sex and labour counts in both");
        assert_eq!(f.prosecutions.defendants.total, 2, "a defendant under two articles counts once");
        assert_eq!(f.prosecutions.labour_sectors.get("mining"), Some(&1));
        assert_eq!(figures(&facts(), 2007, &Scope::default()).prosecutions.cases.total, 1);
    }

    #[test]
    fn convictions_count_in_the_year_of_the_verdict_with_the_sentence_range() {
        let f = figures(&facts(), 2008, &Scope::default());
        assert_eq!(f.convictions.defendants.total, 1, "p1's verdict is in 2009");
        assert_eq!(f.convictions.acquitted_defendants, 1);
        assert_eq!((f.sentences.min_months.total, f.sentences.max_months.total), (Some(144), Some(144)));
        assert_eq!(f.sentences.max_months.other, None, "no value is not zero");
        let g = figures(&facts(), 2009, &Scope::default());
        assert_eq!((g.convictions.defendants.sexual, g.sentences.min_months.sexual), (1, Some(96)));
        assert_eq!(g.case_flow.median_days_charge_to_verdict, Some(day("2009-01-10") - day("2008-03-02")));
    }

    #[test]
    fn victims_count_once_with_their_breakdowns_and_possible_victims_apart() {
        let mut f = facts();
        let v = |g: &str, identified: Option<&str>, possible: &[&str], nat: &str, age: i64| VictimFact {
            group: g.into(),
            records: 1,
            identified: identified.map(day),
            possible: possible.iter().map(|d| day(d)).collect(),
            types: TypeFlags::of_intake("sexual"),
            sex: Some("female".into()),
            age: Some(age),
            nationality: Some(nat.into()),
            region: Some("PE-16".into()),
            area: Some("PE-1601".into()),
            orgs: vec!["police".into()],
            ..Default::default()
        };
        f.victims = vec![
            VictimFact { records: 3, ..v("a", Some("2008-02-01"), &["2008-01-20"], "PE", 15) },
            v("b", Some("2008-07-01"), &[], "EC", 22),
            v("c", None, &["2008-09-01"], "PE", 30),
            v("d", Some("2009-01-05"), &["2008-12-01"], "PE", 30),
        ];
        f.assistance = vec![AssistanceFact {
            person: "b".into(),
            day: Some(day("2008-08-01")),
            kind: "repatriation".into(),
            detail: String::new(),
            org: "x".into(),
        }];
        let x = figures(&f, 2008, &Scope::default());
        assert_eq!((x.victims_identified.total, x.victims_identified.records), (2, 4));
        assert_eq!(x.victims_identified.age_group.get("child"), Some(&1));
        assert_eq!(x.victims_identified.age_broad.get("09--17"), Some(&1));
        assert_eq!(x.victims_identified.foreign, 1);
        assert_eq!(x.possible_victims.total, 2, "c, and d (identified only in 2009)");
        assert_eq!(x.foreign_victims_repatriated.total, 1);
        let scoped = figures(&f, 2008, &Scope { region: Some("PE-17".into()), org: None });
        assert_eq!(scoped.victims_identified.total, 0, "another region");
        assert_eq!(trend(&f, 2007..=2009, &Scope::default()).iter().map(|p| p.victims_identified).collect::<Vec<_>>(), [0, 2, 1]);
    }

    #[test]
    fn a_lone_small_cell_takes_the_next_smallest_with_it() {
        let mut m: BTreeMap<String, u64> =
            [("PE-16", 62), ("PE-17", 48), ("PE-15", 12), ("PE-21", 8)].map(|(k, v)| (k.to_owned(), v)).into();
        assert!(suppress_cells(&mut m, 11));
        assert_eq!(m.keys().map(String::as_str).collect::<Vec<_>>(), ["PE-16", "PE-17"], "8 alone would be total minus the rest");
        let mut none: BTreeMap<String, u64> = [("a", 20), ("b", 0)].map(|(k, v)| (k.to_owned(), v)).into();
        assert!(!suppress_cells(&mut none, 11), "zeros reveal nobody");
    }

    #[test]
    fn age_bands_follow_ctdc() {
        assert_eq!(
            [8, 9, 17, 18, 29, 30, 47, 48].map(age_broad),
            ["0--8", "09--17", "09--17", "18--20", "27--29", "30--38", "39--47", "48+"]
        );
        assert_eq!(age_group(Some(17)), "child");
        assert_eq!(age_group(None), "unknown");
    }

    fn cells(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
    }

    /// k is the smallest count shown: a cell of exactly k stays, k-1 goes; an empty cell is
    /// not a small cell; a lone small cell takes the next smallest with it (else the total
    /// would give it away), ties broken by name; nothing small, nothing hidden.
    #[test]
    fn small_cells_are_hidden_at_the_threshold_with_a_second_when_alone() {
        let mut m = cells(&[("F", 11), ("M", 10), ("X", 0)]);
        assert!(suppress_cells(&mut m, 11));
        assert_eq!(m.get("F"), None, "the lone small cell's partner goes too");
        assert_eq!(m.get("M"), None);
        assert_eq!(m.get("X"), Some(&0), "an empty cell is not a small cell");
        let mut m = cells(&[("F", 11), ("M", 30)]);
        assert!(!suppress_cells(&mut m, 11), "a cell of exactly k is shown");
        assert_eq!(m.len(), 2);
        let mut m = cells(&[("a", 3), ("b", 4), ("c", 50), ("d", 60)]);
        assert!(suppress_cells(&mut m, 11));
        assert_eq!(m.keys().map(String::as_str).collect::<Vec<_>>(), vec!["c", "d"], "two small cells hide each other");
        let mut m = cells(&[("a", 3), ("z", 12), ("b", 12), ("c", 40)]);
        assert!(suppress_cells(&mut m, 11));
        assert_eq!(m.keys().map(String::as_str).collect::<Vec<_>>(), vec!["c", "z"], "the smallest, then by name, goes with it");
        let mut m = cells(&[("a", 1)]);
        assert!(suppress_cells(&mut m, 11));
        assert!(m.is_empty(), "alone and small: hidden, nothing else to take");
    }

    #[test]
    fn every_breakdown_of_persons_is_suppressed_and_named() {
        let mut f = Figures::default();
        f.victims_identified.sex = cells(&[("F", 2), ("M", 40)]);
        f.victims_identified.nationality = cells(&[("PE", 40), ("VE", 1), ("BO", 1)]);
        f.victims_identified.age_group = cells(&[("adult", 20), ("child", 22)]);
        f.victims_identified.age_broad = cells(&[("18--20", 3), ("21--23", 39)]);
        f.victims_identified.region = cells(&[("PE-16", 5), ("PE-15", 37)]);
        f.victims_identified.labour_sectors = cells(&[("mining", 4), ("logging", 38)]);
        f.prosecutions.labour_sectors = cells(&[("mining", 2), ("logging", 13)]);
        f.victims_referred.by_service = cells(&[("shelter", 9), ("health", 33)]);
        let paths = suppress_small_cells(&mut f, 11);
        assert_eq!(
            paths,
            vec![
                "victims_identified.sex",
                "victims_identified.age_broad",
                "victims_identified.nationality",
                "victims_identified.region",
                "victims_identified.labour_sectors",
                "prosecutions.labour_sectors",
                "victims_referred.by_service",
            ]
        );
        assert!(f.victims_identified.sex.is_empty(), "F alone is small: M goes too");
        assert_eq!(f.victims_identified.nationality.keys().map(String::as_str).collect::<Vec<_>>(), vec!["PE"]);
        assert_eq!(f.victims_identified.age_group.len(), 2, "nothing small, nothing hidden");
        assert!(f.prosecutions.labour_sectors.is_empty() && f.victims_referred.by_service.is_empty());
    }

    #[test]
    fn medians_bands_and_groups() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![7]), Some(7));
        assert_eq!(median(vec![9, 1, 5]), Some(5));
        assert_eq!(median(vec![4, 1, 3, 2]), Some(3), "the upper middle of an even count");
        for (age, band) in [
            (0, "0--8"),
            (8, "0--8"),
            (9, "09--17"),
            (17, "09--17"),
            (18, "18--20"),
            (20, "18--20"),
            (21, "21--23"),
            (24, "24--26"),
            (27, "27--29"),
            (30, "30--38"),
            (38, "30--38"),
            (39, "39--47"),
            (47, "39--47"),
            (48, "48+"),
            (90, "48+"),
        ] {
            assert_eq!(age_broad(age), band, "{age}");
        }
        assert_eq!((age_group(Some(17)), age_group(Some(18)), age_group(None)), ("child", "adult", "unknown"));
    }

    #[test]
    fn intake_kinds_map_to_exploitation_types() {
        let t = TypeFlags::of_intake;
        assert_eq!((t("sexual").sexual, t("sexual").labour, t("sexual").other), (true, false, false));
        for k in ["labour", "begging", "servitude"] {
            assert_eq!((t(k).sexual, t(k).labour, t(k).other), (false, true, false), "{k}");
        }
        assert_eq!((t("organs").sexual, t("organs").labour, t("organs").other), (false, false, true));
        assert!(t("unknown").is_unknown() && t("").is_unknown() && !t("organs").is_unknown());
    }

    #[test]
    fn the_case_flow_starts_from_the_years_reports_and_identified_victims() {
        let mut f = facts();
        f.reports = vec![
            (day("2008-03-01"), Some("PE-1601".into()), "o".into()),
            (day("2008-07-01"), None, "o".into()),
            (day("2007-07-01"), None, "o".into()),
        ];
        let v = |g: &str, identified: &str| VictimFact {
            group: g.into(),
            records: 1,
            identified: Some(day(identified)),
            types: TypeFlags::of_intake("labour"),
            ..Default::default()
        };
        f.victims = vec![v("a", "2008-02-01"), v("b", "2008-05-01"), v("c", "2009-01-01")];
        let x = figures(&f, 2008, &Scope::default());
        assert_eq!(x.case_flow.reported, 2, "reports received in the year");
        assert_eq!(x.case_flow.identified, 2, "victims identified in the year");
        assert_eq!(x.victims_identified.total, 2);
    }

    /// Trainings and campaigns of the year: sessions, persons trained by audience, reach;
    /// negative counts count as none; other years do not count.
    #[test]
    fn prevention_counts_sessions_people_and_reach() {
        let mut f = facts();
        let p = |d: &str, kind: &str, audience: &str, people: i64| PreventionFact {
            day: Some(day(d)),
            kind: kind.into(),
            audience: audience.into(),
            people,
            area: None,
            org: "o".into(),
        };
        f.prevention = vec![
            p("2008-02-01", "training", "police", 30),
            p("2008-03-01", "training", "police", 10),
            p("2008-04-01", "training", "judges", 5),
            p("2008-05-01", "campaign", "public", 1000),
            p("2008-06-01", "campaign", "public", -4),
            p("2007-06-01", "training", "police", 99),
        ];
        let t = figures(&f, 2008, &Scope::default()).trainings;
        assert_eq!((t.sessions, t.persons_trained, t.campaigns, t.campaign_reach), (3, 45, 2, 1000));
        assert_eq!(t.by_audience.get("police"), Some(&40));
        assert_eq!(t.by_audience.get("judges"), Some(&5));
    }

    /// Foreign victims repatriated (once each) and given an alternative to removal; a
    /// national victim never counts; other kinds of assistance do not either.
    #[test]
    fn repatriations_count_foreign_victims_once() {
        let mut f = facts();
        let v = |g: &str, nat: &str| VictimFact {
            group: g.into(),
            records: 1,
            identified: Some(day("2008-02-01")),
            nationality: Some(nat.into()),
            types: TypeFlags::of_intake("sexual"),
            ..Default::default()
        };
        f.victims = vec![v("ec", "EC"), v("bo", "BO"), v("pe", "PE")];
        let a = |person: &str, kind: &str, d: &str| AssistanceFact {
            person: person.into(),
            day: Some(day(d)),
            kind: kind.into(),
            detail: String::new(),
            org: "o".into(),
        };
        f.assistance = vec![
            a("ec", "repatriation", "2008-05-01"),
            a("ec", "repatriation", "2008-06-01"),
            a("pe", "repatriation", "2008-05-01"),
            a("bo", "alternative_to_removal", "2008-05-01"),
            a("bo", "service_delivered", "2008-05-01"),
            a("bo", "repatriation", "2007-05-01"),
        ];
        let r = figures(&f, 2008, &Scope::default()).foreign_victims_repatriated;
        assert_eq!((r.total, r.alternatives_to_removal), (1, 1));
        assert_eq!(r.by_type.sexual, 1);
    }

    /// The year's cohort: referred, prosecuted and convicted among those identified in the
    /// year, and the medians of days screening → identification → referral.
    #[test]
    fn the_case_flow_follows_the_years_cohort_with_medians() {
        let mut f = facts();
        let v = |g: &str, identified: &str, screened: Option<&str>, referred: Option<&str>, prosecuted: bool, convicted: bool| VictimFact {
            group: g.into(),
            records: 1,
            identified: Some(day(identified)),
            first_screening: screened.map(day),
            first_referral: referred.map(day),
            prosecuted,
            convicted,
            ..Default::default()
        };
        f.victims = vec![
            v("a", "2008-01-11", Some("2008-01-01"), Some("2008-01-21"), true, true),
            v("b", "2008-02-05", Some("2008-02-01"), None, true, false),
            v("c", "2008-03-10", None, Some("2008-03-12"), false, false),
            v("d", "2009-01-10", Some("2008-12-01"), Some("2009-01-11"), true, true),
        ];
        f.screenings = vec![
            ("a".into(), day("2008-01-01")),
            ("b".into(), day("2008-02-01")),
            ("a".into(), day("2008-05-01")),
            ("d".into(), day("2007-12-01")),
        ];
        let flow = figures(&f, 2008, &Scope::default()).case_flow;
        assert_eq!((flow.identified, flow.referred, flow.prosecuted, flow.convicted, flow.screened), (3, 2, 2, 1, 2));
        assert_eq!(flow.median_days_screening_to_identification, Some(10), "4 and 10 days: the upper middle");
        assert_eq!(flow.median_days_identification_to_referral, Some(10), "2 and 10 days");
    }

    /// Persons referred in the year, once each however many referrals, by service kind;
    /// rejected referrals and other years, regions or organisations do not count.
    #[test]
    fn referrals_count_persons_once_in_the_year_and_scope() {
        let mut f = facts();
        let r = |person: &str, d: &str, kind: &str, referred: bool, area: &str, org: &str| ReferralFact {
            person: person.into(),
            day: day(d),
            service_kind: kind.into(),
            status: if referred { "accepted".into() } else { "rejected".into() },
            referred,
            area: Some(area.into()),
            org: org.into(),
        };
        f.referrals = vec![
            r("a", "2008-02-01", "shelter", true, "PE-1601", "o1"),
            r("a", "2008-03-01", "health", true, "PE-1601", "o1"),
            r("b", "2008-04-01", "shelter", true, "PE-1601", "o1"),
            r("c", "2008-04-01", "shelter", false, "PE-1601", "o1"),
            r("d", "2007-04-01", "shelter", true, "PE-1601", "o1"),
            r("e", "2008-04-01", "shelter", true, "PE-1701", "o2"),
        ];
        let all = figures(&f, 2008, &Scope::default()).victims_referred;
        assert_eq!(all.total, 3, "a, b and e; c was rejected; d another year");
        assert_eq!(all.by_service.get("shelter"), Some(&3));
        assert_eq!(all.by_service.get("health"), Some(&1));
        assert_eq!(all.by_status.get("rejected"), Some(&1));
        let loreto = figures(&f, 2008, &Scope { region: Some("PE-16".into()), org: None }).victims_referred;
        assert_eq!(loreto.total, 2, "the region's referrals only");
        let o2 = figures(&f, 2008, &Scope { region: None, org: Some("o2".into()) }).victims_referred;
        assert_eq!(o2.total, 1, "the organisation's referrals only");
    }

    /// A possible victim counts in a year only while not yet identified by its end.
    #[test]
    fn possible_victims_identified_later_in_the_year_are_not_possible_any_more() {
        let mut f = facts();
        let v = |g: &str, identified: Option<&str>, possible: &str| VictimFact {
            group: g.into(),
            records: 1,
            identified: identified.map(day),
            possible: vec![day(possible)],
            types: TypeFlags::of_intake("labour"),
            ..Default::default()
        };
        f.victims = vec![v("a", Some("2008-06-01"), "2008-02-01"), v("b", Some("2009-02-01"), "2008-02-01"), v("c", None, "2008-03-01")];
        let x = figures(&f, 2008, &Scope::default());
        assert_eq!(x.possible_victims.labour, 2, "b (identified only the next year) and c");
        f.victims.retain(|x| x.group == "a");
        assert_eq!(figures(&f, 2008, &Scope::default()).possible_victims.labour, 0, "identified within the year: not a possible victim");
        f.victims = vec![v("b", Some("2009-02-01"), "2008-02-01")];
        assert_eq!(figures(&f, 2008, &Scope::default()).possible_victims.labour, 1, "identified the next year: possible this one");
    }
}
