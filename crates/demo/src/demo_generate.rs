//! A synthetic data set of any size (`amparo demo generate --cases N --seed S --out DIR`) for
//! benchmarks and load tests: cases across the country's regions and years, each with
//! victims and suspects, hotline calls before some of them, screenings with the instrument,
//! identification decisions, charges and verdicts, referrals, repatriation of foreign
//! victims, police operations and training — so that every figure of the annual report and
//! every stage of the case-flow funnel has data at scale — and the people behind them
//! written the way real records are:
//! Peruvian given names and two surnames, accents present or not, aliases, approximate ages,
//! missing documents, and the same victim recorded again by a shelter or an NGO with a typo.
//!
//! Everything is drawn from a generator seeded by `seed`, so a size and a seed always give
//! the same data. Identities are encrypted like any other (this is a real database); rows go
//! in through `Store::write_bulk`, a few thousand cases per transaction, each chunk with its
//! own audit event.

use crate::Demo;
use crate::demo_names::{ALIASES, Dice, GIVEN_F, GIVEN_M, SECOND_GIVEN, SURNAMES};
use amparo_core::Ctx;
use amparo_core::error::{CoreError, CoreResult};

use amparo_core::rows::Stamp;
use amparo_core::rows::case::{Case, CaseAttrs, CaseLink, CaseLinkAttrs, CaseStep, LinkStatus};
use amparo_core::rows::charge::{Charge, ChargeAttrs, ChargeStatus};
use amparo_core::rows::decision::{Decision, DecisionAttrs};
use amparo_core::rows::intake::Operation;
use amparo_core::rows::prevention::{Prevention, PreventionView};
use amparo_core::rows::referral::{Referral, ReferralAttrs, ReferralId, ReferralStep};
use amparo_core::rows::service::Service;
use amparo_core::store::{PersonRecord, RowFilter};
use amparo_core::usecases::administration::bulk_load::{LoadBatch, LoadPerson};
use amparo_domain::cases::{Audience, CaseRole, CaseStatus, DecisionOnCharge, PreventionKind, Verdict};
use amparo_domain::intake::ReportInput;
use amparo_domain::intake::{Exploitation, OperationFields};
use amparo_domain::org::{OrgKind, Organisation};
use amparo_domain::person::{Identity, PersonProfile, PersonRole, pseudonym};
use amparo_domain::protection::{AssistanceInput, Consent, DecidingOrg, ServiceKind, TraffickingStatus, days_from_civil, iso_date};
use amparo_domain::screening::Instrument;
use amparo_domain::{OrgId, PersonId, UserId};

/// Strip accents from one word sometimes, or change one letter: how the same name is typed
/// differently by two offices.
fn misspell(d: &mut Dice, s: &str) -> String {
    match d.below(3) {
        0 => s
            .chars()
            .map(|c| match c {
                'á' => 'a',
                'é' => 'e',
                'í' => 'i',
                'ó' => 'o',
                'ú' => 'u',
                _ => c,
            })
            .collect(),
        1 => s.replacen("ll", "y", 1).replacen('v', "b", 1).replacen('z', "s", 1),
        _ => s.replacen('i', "y", 1).replacen("h", "", 1),
    }
}

/// What a hotline operator writes down from a call (no names: the narrative is sealed
/// anyway, but synthetic data should not look like anyone).
const REPORT_NARRATIVES: &[&str] = &[
    "Llamada anónima: jóvenes trabajando de noche en un bar, sin documentos, vigiladas por el dueño.",
    "Una madre denuncia que su hija aceptó una oferta de trabajo en otra región y ya no contesta.",
    "Trabajadores en un campamento minero dicen que les retienen el sueldo por una deuda.",
    "Vecino informa de menores que venden en la calle hasta la madrugada y entregan el dinero a un adulto.",
    "Mujer extranjera llama desde un hotel: le quitaron el pasaporte y no la dejan salir.",
    "Agencia de empleo ofrece trabajo en restaurantes con pasaje pagado; varias chicas viajaron sin contrato.",
];

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct GenerateSummary {
    pub cases: usize,
    pub persons: usize,
    pub records: usize,
    pub millis: u128,
}

struct Orgs {
    police: Vec<Organisation>,
    /// Where hotline calls are taken (reports are routed to the case's police unit).
    hotlines: Vec<Organisation>,
    /// The screening instrument victims are screened with (the built-in ILO/EC one).
    instrument: Option<Instrument>,
    prosecutors: Vec<Organisation>,
    carers: Vec<Organisation>,
    /// Active services that take referrals here (not repatriation).
    services: Vec<Service>,
    /// (region code, its provinces)
    places: Vec<(String, Vec<String>)>,
}

impl Demo {
    /// Add `cases` synthetic cases (with everything around them) to the database. Needs the
    /// organisations of the demo (`load_demo`). `progress` is called with cases done so far.
    pub async fn generate_dataset(
        &self,
        ctx: &Ctx,
        cases: usize,
        seed: u64,
        progress: &(dyn Fn(usize) + Sync),
    ) -> CoreResult<GenerateSummary> {
        // The bulk loader checks that `ctx` is an operator on every call, the first read included.
        let started = std::time::Instant::now();
        let orgs = self.generation_orgs(ctx).await?;
        let mut d = Dice::new(seed);
        let mut summary = GenerateSummary::default();
        const CHUNK: usize = 2_000;
        let mut done = 0;
        while done < cases {
            let n = CHUNK.min(cases - done);
            let batch = self.generate_chunk(&mut d, &orgs, n)?;
            let (persons, records) = (batch.persons(), batch.rows());
            summary.persons += persons;
            summary.records += records;
            let details = serde_json::json!({ "seed": seed, "cases": n, "persons": persons, "records": records });
            self.bulk().write_bulk(ctx, "generate_dataset", batch, details).await?;
            done += n;
            summary.cases = done;
            progress(done);
        }
        summary.millis = started.elapsed().as_millis();
        Ok(summary)
    }

    async fn generation_orgs(&self, ctx: &Ctx) -> CoreResult<Orgs> {
        // A stable order (not the database's): the same seed gives the same data on every
        // backend.
        let mut all = self.bulk().organisations(ctx).await?;
        all.sort_by(|a, b| (&a.jurisdiction, a.kind.as_str(), &a.name).cmp(&(&b.jurisdiction, b.kind.as_str(), &b.name)));
        let of = |k: OrgKind| all.iter().filter(|o| o.kind == k).cloned().collect::<Vec<_>>();
        let police = of(OrgKind::PoliceUnit);
        let hotlines = of(OrgKind::Hotline);
        let instrument = self.identification().get_instrument(ctx, "ilo-ec-2009").await.ok();
        let prosecutors = of(OrgKind::ProsecutorOffice);
        let mut carers = of(OrgKind::Shelter);
        carers.extend(of(OrgKind::Ngo));
        if police.is_empty() || prosecutors.is_empty() || carers.is_empty() {
            return Err(CoreError::field("organisations", "load_the_demo_first"));
        }
        let mut services = self.bulk().rows::<Service>(ctx, &RowFilter::default()).await?;
        // A stable order (the one the stored rows always had), so a seed gives one data set.
        services.sort_by_cached_key(|s| (s.region.clone(), s.kind.as_str(), serde_json::to_string(&s.attrs).unwrap_or_default()));
        services.retain(|s| s.kind != ServiceKind::Repatriation);
        let country = police.first().map(|p| p.jurisdiction.split('-').next().unwrap_or("PE").to_owned()).unwrap_or_default();
        let mut places = Vec::new();
        for region in self.system().list_areas(ctx, &country, None).await? {
            let provinces: Vec<String> =
                self.system().list_areas(ctx, &country, Some(&region.code)).await?.into_iter().map(|a| a.code).collect();
            places.push((region.code, provinces));
        }
        Ok(Orgs { police, hotlines, instrument, prosecutors, carers, services, places })
    }

    /// `who`: sex, approximate age, nationality.
    fn new_person(&self, d: &mut Dice, org: &OrgId, role: PersonRole, who: (&str, Option<i64>, &str), at: i64) -> LoadPerson {
        let (sex, age, nationality) = who;
        let female = sex == "female";
        let mut given = d.pick(if female { GIVEN_F } else { GIVEN_M }).to_owned();
        if d.chance(35) {
            given = format!("{given} {}", d.pick(SECOND_GIVEN));
        }
        let documented = d.chance(40);
        let identity = Identity {
            given_names: Some(given),
            first_surname: Some(d.pick(SURNAMES).to_owned()),
            second_surname: d.chance(85).then(|| d.pick(SURNAMES).to_owned()),
            aliases: d.chance(15).then(|| d.pick(ALIASES).to_owned()),
            document_number: documented.then(|| format!("{:08}", 40_000_000 + d.below(40_000_000))),
            birth_date: (d.chance(30) && age.is_some()).then(|| {
                let y = amparo_domain::statistics::year_of_day(at.div_euclid(86_400)) as i64 - age.unwrap_or(20);
                format!("{y:04}-{:02}-{:02}", 1 + d.below(12), 1 + d.below(28))
            }),
            ..Default::default()
        };
        let id = PersonId::from_trusted(d.id());
        LoadPerson {
            record: PersonRecord {
                id,
                org_id: org.clone(),
                code: self.next_code(d),
                role,
                sex: Some(sex.to_owned()),
                approx_age: age,
                version: 1,
                created_at: at,
                created_by: UserId::from_trusted("generator".to_owned()),
                updated_at: at,
                profile: PersonProfile {
                    nationality: Some(nationality.to_owned()),
                    document_type: documented.then(|| "national_id".to_owned()),
                    ..Default::default()
                },
                sealed: Vec::new(),
                match_doc: None,
                match_name_dob: None,
            },
            identity,
        }
    }

    /// A pseudonymous code that cannot repeat within a generation (random 40-bit codes
    /// collide at a few million persons): a counter, spread over the code space by a
    /// seed-dependent odd multiplier, written in the same alphabet as `pseudonym`.
    fn next_code(&self, d: &mut Dice) -> String {
        d.serial += 1;
        let n = d.serial.wrapping_mul(d.spread) & ((1u64 << 40) - 1);
        let bytes: [u8; 8] = std::array::from_fn(|k| ((n >> (5 * (7 - k))) & 31) as u8);
        pseudonym(&bytes)
    }

    fn generate_chunk(&self, d: &mut Dice, o: &Orgs, n: usize) -> CoreResult<LoadBatch> {
        let mut out = LoadBatch::default();
        // A row's stamp: written by the generator on day `at`.
        let generated = |at: i64| Stamp { version: 1, created_at: at, created_by: "generator".into(), updated_at: at };
        // A person linked to a case in a role.
        let link = |id: String, org: &OrgId, case_id: &str, person: &str, role: CaseRole, at: i64| CaseLink {
            id,
            org_id: org.clone(),
            case_id: case_id.to_owned(),
            person: PersonId::from_trusted(person.to_owned()),
            role,
            status: LinkStatus::Active,
            attrs: CaseLinkAttrs::default(),
            stamp: generated(at),
        };
        // An identification decision by `org` (of the given HTCDS type, in `area`) on day `at`.
        let decision = |id: String, (org, by, area): (&OrgId, DecidingOrg, String), person: PersonId, status, at: i64| Decision {
            id,
            org_id: org.clone(),
            person,
            status,
            area: Some(area),
            decided_at: Some(at),
            attrs: DecisionAttrs { deciding_org_type: by, decided_on: iso_date(at), screening_id: None },
            sealed: None,
            stamp: Stamp { version: 1, created_at: at, created_by: "generator".into(), updated_at: at },
        };
        for _ in 0..n {
            // When and where: years 2005–2025, more recent years busier; a region, a province.
            let year = 2005 + ((d.below(21 * 21) as f64).sqrt() as i64).min(20);
            let day = days_from_civil(&format!("{year:04}-01-01")).unwrap_or(0) + d.below(360) as i64;
            let at = day * 86_400;
            let (region, provinces) = o.places.get(d.below(o.places.len() as u64) as usize).cloned().unwrap_or_default();
            let place = provinces.get(d.below(provinces.len() as u64) as usize).cloned().unwrap_or(region.clone());
            let police = o.police.get(d.below(o.police.len() as u64) as usize).ok_or(CoreError::NotFound)?;
            use amparo_domain::cases::{CaseExploitation as X, LabourSector as L, SexualForm as F};
            let kind = match d.below(100) {
                0..=67 => X::SexualExploit,
                68..=89 => X::ForcedLabour,
                90..=93 => X::SexAndLabour,
                94..=96 => X::ForcedMarriage,
                _ => X::OtherExploit,
            };
            let sexual = matches!(kind, X::SexualExploit | X::SexAndLabour);
            let labour = matches!(kind, X::ForcedLabour | X::SexAndLabour);
            let sectors = [L::Mining, L::Logging, L::Agriculture, L::BrickMaking, L::DomesticWork, L::Fishing];
            let sector = labour.then(|| sectors.get(d.below(sectors.len() as u64) as usize).copied()).flatten();
            let forms = [F::BarOrNightclub, F::Brothel, F::SexTourism, F::Street, F::Online, F::Private];
            let form = sexual.then(|| forms.get(d.below(forms.len() as u64) as usize).copied()).flatten();
            let case_id = d.id();
            let case_status = if d.chance(30) { CaseStatus::Closed } else { CaseStatus::Investigating };
            let what = if sexual {
                "explotación sexual"
            } else if labour {
                "trabajo forzoso"
            } else {
                "otra explotación"
            };
            let case = Case {
                id: case_id.clone(),
                org_id: police.id.clone(),
                reference: amparo_core::usecases::cases::case_reference(&d.bytes::<6>(), &year.to_string()),
                exploitation: kind,
                status: case_status,
                place: Some(place.clone()),
                opened_at: Some(at),
                attrs: CaseAttrs {
                    title: format!("Caso {year} – {what}"),
                    labour_sector: sector,
                    sexual_form: form,
                    history: vec![CaseStep { at, by: "generator".into(), what: "opened".into(), detail: None }],
                    ..Default::default()
                },
                sealed: None,
                stamp: generated(at),
            };
            out.row(&case)?;

            // A call to the hotline before about a quarter of the cases, routed to the unit.
            if let (true, Some(hotline)) = (d.chance(25), o.hotlines.get(d.below(o.hotlines.len().max(1) as u64) as usize)) {
                let received = at - (1 + d.below(20) as i64) * 86_400;
                let input = ReportInput {
                    channel: "hotline".into(),
                    place: place.clone(),
                    exploitation: (if sexual {
                        "sexual"
                    } else if labour {
                        "labour"
                    } else {
                        "unknown"
                    })
                    .into(),
                    child_involved: d.chance(30),
                    narrative: d.pick(REPORT_NARRATIVES).to_owned(),
                    ..Default::default()
                };
                let f = input.validate()?;
                let closed = at + d.below(15) as i64 * 86_400;
                out.row(&self.intake().closed_report_row(d.id(), received, closed, &f, police, Some(&hotline.id))?)?;
            }

            // Victims: one to three; children in a third of sexual cases.
            for _ in 0..1 + d.below(100).min(99) / 60 {
                let female = if sexual { d.chance(92) } else { d.chance(35) };
                let age = if sexual && d.chance(35) { 12 + d.below(6) as i64 } else { 18 + d.below(30) as i64 };
                let nationality = match d.below(100) {
                    0..=2 => "VE",
                    3..=4 => "EC",
                    5 => "BO",
                    6 => "CO",
                    _ => "PE",
                };
                let sex = if female { "female" } else { "male" };
                let known_age = d.chance(90).then_some(age);
                let v = self.new_person(d, &police.id, PersonRole::Victim, (sex, known_age, nationality), at);
                let vid = v.record.id.to_string();
                // The same victim, recorded again by a shelter or NGO, with a typo.
                let again = d.chance(8).then(|| {
                    let carer = o.carers.get(d.below(o.carers.len() as u64) as usize).cloned();
                    (v.identity.clone(), carer)
                });
                out.person(v);
                out.row(&link(d.id(), &police.id, &case_id, &vid, CaseRole::Victim, at))?;
                let status = match d.below(100) {
                    0..=79 => TraffickingStatus::ActualVictim,
                    80..=94 => TraffickingStatus::PossibleVictim,
                    _ => TraffickingStatus::NotAVictim,
                };
                let decided = at + d.below(40) as i64 * 86_400;
                let by = (&police.id, DecidingOrg::Police, place.clone());
                out.row(&decision(d.id(), by, PersonId::from_trusted(vid.clone()), status, decided))?;
                // Screened with the instrument (most victims, a few days before the decision).
                let exploitation = if sexual { "sexual" } else { "labour" };
                if let (true, Some(instrument)) = (d.chance(80), o.instrument.as_ref())
                    && let Some(set) = instrument.choose_set(known_age, exploitation)
                {
                    let all: Vec<&str> = instrument.indicators_of(&set.key).map(|i| i.id.as_str()).collect();
                    let mut indicators: Vec<String> = Vec::new();
                    for _ in 0..2 + d.below(5) {
                        let i = d.pick(&all).to_owned();
                        if !indicators.contains(&i) {
                            indicators.push(i);
                        }
                    }
                    indicators.sort();
                    let on = decided - d.below(8) as i64 * 86_400;
                    let who = (d.id(), police.id.clone(), PersonId::from_trusted(vid.clone()));
                    let sc = self.identification().generated_screening(instrument, (&set.key, known_age, indicators), who, on)?;
                    out.row(&sc)?;
                }
                // Foreign victims: voluntary repatriation for a third, an alternative to
                // removal for some others.
                if status == TraffickingStatus::ActualVictim && nationality != "PE" {
                    let on = iso_date(decided + (10 + d.below(80) as i64) * 86_400);
                    let input = match d.below(100) {
                        0..=34 => Some(AssistanceInput {
                            kind: "repatriation".into(),
                            detail: "voluntary_repatriation".into(),
                            started_on: on,
                            country: nationality.into(),
                            ..Default::default()
                        }),
                        35..=49 => Some(AssistanceInput {
                            kind: "alternative_to_removal".into(),
                            detail: "offered_residence_permit".into(),
                            started_on: on,
                            ..Default::default()
                        }),
                        _ => None,
                    };
                    if let Some(input) = input {
                        let stamp = Stamp { version: 1, created_at: decided, created_by: "generator".into(), updated_at: decided };
                        let person = PersonId::from_trusted(vid.clone());
                        let a = self.referrals().generated_assistance(&input, d.id(), police.id.clone(), person, stamp)?;
                        out.row(&a)?;
                    }
                }
                let service = o.services.get(d.below(o.services.len() as u64) as usize).cloned();
                if let (true, Some(service)) = (status != TraffickingStatus::NotAVictim && d.chance(45), service) {
                    use amparo_domain::protection::{ConsentBy, ConsentMethod, ReferralStatus as S};
                    let on = decided + d.below(30) as i64 * 86_400;
                    let choices = [S::Requested, S::Accepted, S::InProgress, S::Completed, S::Completed, S::Rejected];
                    let st = choices.get(d.below(choices.len() as u64) as usize).copied().unwrap_or(S::Requested);
                    let requested =
                        ReferralStep { at: on, by: "generator".into(), status: S::Requested, reason: None, capacity_override: false };
                    let referral = Referral {
                        id: ReferralId(d.id()),
                        from_org: police.id.clone(),
                        to_org: service.org_id.clone(),
                        person: PersonId::from_trusted(vid.clone()),
                        service: service.id.clone(),
                        service_kind: service.kind,
                        status: st,
                        region: Some(service.region.clone()),
                        referred_at: Some(on),
                        attrs: ReferralAttrs {
                            service_name: service.attrs.name.clone(),
                            consent: Some(Consent { by: ConsentBy::Authority, method: ConsentMethod::Written, given_on: iso_date(on) }),
                            without_consent: false,
                            steps: vec![requested],
                        },
                        sealed: None,
                        stamp: Stamp { version: 1, created_at: on, created_by: "generator".into(), updated_at: on },
                    };
                    out.row(&referral)?;
                }
                if let Some((identity, Some(carer))) = again {
                    let their_age = Some(age + d.below(2) as i64);
                    let mut w = self.new_person(d, &carer.id, PersonRole::Victim, (sex, their_age, nationality), at);
                    w.identity = Identity {
                        given_names: identity.given_names.as_deref().map(|g| misspell(d, g)),
                        first_surname: identity.first_surname.as_deref().map(|g| misspell(d, g)),
                        second_surname: identity.second_surname.clone().filter(|_| d.chance(70)),
                        document_number: identity.document_number.clone(),
                        ..Default::default()
                    };
                    w.record.profile.document_type = identity.document_number.as_ref().map(|_| "national_id".to_owned());
                    let wid = w.record.id.to_string();
                    out.person(w);
                    let later = decided + (5 + d.below(60) as i64) * 86_400;
                    let by = (&carer.id, DecidingOrg::Ngo, carer.jurisdiction.clone());
                    out.row(&decision(d.id(), by, PersonId::from_trusted(wid), status, later))?;
                }
            }

            // Suspects, and charges for about six cases in ten; verdicts for a third of those.
            let charged = d.chance(if labour { 35 } else { 60 });
            let prosecutor = o.prosecutors.get(d.below(o.prosecutors.len() as u64) as usize).ok_or(CoreError::NotFound)?;
            for _ in 0..1 + (d.chance(25) as u64) {
                let who = (if d.chance(30) { "female" } else { "male" }, Some(25 + d.below(35) as i64), "PE");
                let s = self.new_person(d, &police.id, PersonRole::Suspect, who, at);
                let sid = s.record.id.to_string();
                out.person(s);
                out.row(&link(d.id(), &police.id, &case_id, &sid, CaseRole::Suspect, at))?;
                if charged {
                    let filed = at + (30 + d.below(300) as i64) * 86_400;
                    let decision = d.chance(35).then(|| {
                        let on = filed + (90 + d.below(500) as i64) * 86_400;
                        let convicted = d.chance(70);
                        DecisionOnCharge {
                            verdict: if convicted { Verdict::Convicted } else { Verdict::Acquitted },
                            decided_on: iso_date(on),
                            sentence_months: convicted.then(|| 96 + d.below(145) as i64),
                            fine: None,
                        }
                    });
                    let charge = Charge {
                        id: d.id(),
                        org_id: prosecutor.id.clone(),
                        case_id: case_id.clone(),
                        defendant: PersonId::from_trusted(sid),
                        statute: "pe-cp-153-2007".into(),
                        // A decided charge carries its verdict, as the prosecution pages leave it.
                        status: decision.as_ref().map_or(ChargeStatus::Filed, |x| ChargeStatus::Decided(x.verdict)),
                        place: Some(place.clone()),
                        filed_at: Some(filed),
                        attrs: ChargeAttrs { offence_date: iso_date(at), filed_on: iso_date(filed), decision, ..Default::default() },
                        stamp: generated(filed),
                    };
                    out.row(&charge)?;
                }
            }

            // A police operation for one case in ten.
            if d.chance(10) {
                let rescued = 1 + d.below(8) as i64;
                let exploitation = if sexual {
                    Exploitation::Sexual
                } else if labour {
                    Exploitation::Labour
                } else {
                    Exploitation::Unknown
                };
                let op = Operation {
                    id: d.id(),
                    org_id: police.id.clone(),
                    report_id: None,
                    place: place.clone(),
                    on: Some(at),
                    fields: OperationFields {
                        date: iso_date(at),
                        place: place.clone(),
                        exploitation,
                        persons_found: rescued + d.below(4) as i64,
                        rescued,
                        report_id: None,
                        place_detail: None,
                        notes: None,
                    },
                    sealed: None,
                    stamp: generated(at),
                };
                out.row(&op)?;
            }
            // Training, now and then.
            if d.chance(2) {
                let people = 10 + d.below(60) as i64;
                let audience = d.pick(&["police", "prosecutors", "judges", "labour_inspectors"]);
                let id = d.id();
                let entry = PreventionView {
                    id,
                    org_id: police.id.to_string(),
                    kind: PreventionKind::Training,
                    title: "Capacitación".into(),
                    date: iso_date(at),
                    place: region.clone(),
                    audience: Audience::parse(audience).unwrap_or(Audience::Police),
                    people,
                };
                let stamp = Stamp { version: 1, created_at: at, created_by: "generator".into(), updated_at: at };
                out.row(&Prevention { org_id: police.id.clone(), entry, held_at: Some(at), stamp })?;
            }
        }
        Ok(out)
    }
}
