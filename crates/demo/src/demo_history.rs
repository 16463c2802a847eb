//! The demo's history for 2007 and 2008, so that the annual report for 2008 tells the story
//! of the seed (DOMAIN.md §7): 54 sex-trafficking prosecutions opened in 2008 against 15 in
//! 2007, 5 convictions with sentences of 8 to 12 years (none in 2007), 56 persons rescued in
//! the raids of the new police unit, 153 victims identified, very few forced-labour
//! prosecutions, and Iquitos (Loreto), Madre de Dios and Cusco prominent.
//!
//! Everything goes through the ordinary use cases (police record operations and persons,
//! share cases with the prosecutor, who files charges), dated in the past, so the figures
//! come out of the same counting as real data. Seven victims are recorded twice, by the
//! police and by a shelter, with the same document number: the report counts them once.
//!
//! The records belong to organisations without demo accounts (the national police unit,
//! the regional offices of Madre de Dios, Cusco and Puno), so they do not crowd the queues
//! of the demo users. Loaded by `amparo demo` on top of `load_demo`; tests that only need the
//! accounts do not pay for it.
//!
//! The police screen the persons they rescue with the ILO/EC indicators before deciding,
//! so the 2008 case flow shows screenings and the CTDC export has means of control; calls
//! to the hotline (84 over the two years) start the flow.

use crate::Demo;
use crate::demo_names::{Dice, GIVEN_F, GIVEN_M, SURNAMES};
use amparo_core::Ctx;
use amparo_core::error::{CoreError, CoreResult};
use amparo_core::store::RowFilter;
use amparo_core::usecases::cases::LinkInput;
use amparo_core::usecases::identification::ScreeningInput;
use amparo_core::usecases::prevention::PreventionInput;
use amparo_core::usecases::sharing::ShareInput;
use amparo_domain::Role;
use amparo_domain::cases::{CaseInput, ChargeInput, DecisionOnChargeInput};
use amparo_domain::intake::{OperationInput, ReportInput};
use amparo_domain::org::{OrgKind, Organisation};
use amparo_domain::person::{Person, PersonInput};
use amparo_domain::protection::{AssistanceInput, DecisionInput, ReferralInput, days_from_civil, iso_date};

fn s(v: &str) -> String {
    v.to_owned()
}

/// A date in `year` from a day of the year (1-based, clamped to the year).
fn date(year: i32, day_of_year: i64) -> String {
    let start = amparo_domain::protection::days_from_civil(&format!("{year:04}-01-01")).unwrap_or(0);
    iso_date((start + day_of_year.clamp(1, 360) - 1) * 86_400)
}

/// One region's share of a year's sex-trafficking cases.
struct RegionPlan {
    place: &'static str,
    cases_2007: usize,
    cases_2008: usize,
}

const PLAN: [RegionPlan; 5] = [
    RegionPlan { place: "PE-1601", cases_2007: 6, cases_2008: 22 }, // Maynas (Iquitos)
    RegionPlan { place: "PE-1701", cases_2007: 3, cases_2008: 12 }, // Tambopata (Puerto Maldonado)
    RegionPlan { place: "PE-0801", cases_2007: 3, cases_2008: 10 }, // Cusco
    RegionPlan { place: "PE-1501", cases_2007: 2, cases_2008: 6 },  // Lima
    RegionPlan { place: "PE-2111", cases_2007: 1, cases_2008: 4 },  // San Román (Juliaca)
];

impl Demo {
    /// Load the 2007–2008 history unless it is there already (the national police unit has
    /// operations). Idempotent; needs `load_demo` first.
    pub async fn load_demo_history(&self, ctx: &Ctx) -> CoreResult<()> {
        let orgs = self.bulk().organisations(ctx).await?;
        let users = self.bulk().accounts(ctx).await?;
        let org = |kind: OrgKind, region: &str| {
            orgs.iter().find(|o| o.kind == kind && o.jurisdiction == region).cloned().ok_or(CoreError::NotFound)
        };
        let police = org(OrgKind::PoliceUnit, "PE-15")?;
        if !self
            .bulk()
            .rows::<amparo_core::rows::intake::Operation>(
                ctx,
                &RowFilter { orgs: vec![police.id.clone()], limit: Some(1), ..Default::default() },
            )
            .await?
            .is_empty()
        {
            return Ok(());
        }
        let user = |role: Role| users.iter().find(|u| u.roles.contains(&role)).cloned().ok_or(CoreError::NotFound);
        let as_ = |role: Role, o: &Organisation| -> CoreResult<Ctx> {
            let u = user(role)?;
            Ok(crate::acting_as(ctx, &u.id, &o.id, role))
        };
        let prosecutor = org(OrgKind::ProsecutorOffice, "PE-15")?;
        let shelter = org(OrgKind::Shelter, "PE-17")?;
        let ngo = org(OrgKind::Ngo, "PE-08")?;
        let coordination = orgs.iter().find(|o| o.kind == OrgKind::CoordinatingBody).cloned().ok_or(CoreError::NotFound)?;
        let pol = as_(Role::Investigator, &police)?;
        let fis = as_(Role::Prosecutor, &prosecutor)?;
        let shel = as_(Role::ShelterStaff, &shelter)?;
        let ngo_ctx = as_(Role::CaseWorker, &ngo)?;
        let coord = as_(Role::Coordinator, &coordination)?;
        let mut dice = Dice::new(0x5eed_2008_0153_0056);
        // The screenings' indicators have dice of their own, so the other draws (and so the
        // seed's figures) do not depend on them.
        let mut screen_dice = Dice::new(0x005c_7ee2_2008);
        let share_until = iso_date(self.now() + 3650 * 86_400);

        // 1. The raids: before the unit existed (2007), and after March 2008. 56 rescued in 2008.
        let raids: [(i32, i64, &str, &str, i64); 9] = [
            (2007, 220, "PE-1601", "sexual", 8),
            (2007, 300, "PE-0801", "sexual", 5),
            (2008, 109, "PE-1601", "sexual", 14),
            (2008, 144, "PE-1701", "sexual", 9),
            (2008, 164, "PE-0801", "sexual", 6),
            (2008, 212, "PE-1601", "sexual", 11),
            (2008, 249, "PE-1702", "labour", 7),
            (2008, 291, "PE-1501", "sexual", 5),
            (2008, 326, "PE-2111", "sexual", 4),
        ];
        let mut rescued: Vec<(i32, i64, String, &str, Person)> = Vec::new();
        for (year, day, place, kind, n) in raids {
            let op = self
                .intake()
                .create_operation(
                    &pol,
                    &OperationInput {
                        date: date(year, day),
                        place: s(place),
                        exploitation: s(kind),
                        persons_found: (n + 3).to_string(),
                        rescued: n.to_string(),
                        notes: s("Operativo histórico (datos de demostración)."),
                        ..Default::default()
                    },
                )
                .await?;
            for _ in 0..n {
                let p =
                    self.protection().create_person(&pol, &victim_input(&mut dice, kind == "sexual", "operation", &op.id, None)).await?;
                rescued.push((year, day, s(place), kind, p));
            }
        }

        // 1b. Calls to the hotline that came before the raids and cases (taken by the
        // operators, acted on and closed by the national unit), so the case flow starts
        // where it does in life. Dice of their own: the seed's figures do not move.
        self.load_demo_hotline_calls(ctx, &police, &orgs).await?;

        // 2. Cases: the rescued victims and others found by the police's investigations, each
        // case with one or two suspects, shared with the prosecutor who files charges.
        let statute = "pe-cp-153-2007";
        let mut conviction_candidates = Vec::new();
        let mut victims_2008 = 0usize;
        let mut cases_2008: Vec<String> = Vec::new();
        for (year, target) in [(2007, 0usize), (2008, 1)] {
            for plan in PLAN.iter() {
                let n_cases = if target == 0 { plan.cases_2007 } else { plan.cases_2008 };
                for k in 0..n_cases {
                    let filed_day = 60 + (k as i64 * 37 + plan.cases_2008 as i64 * 11) % 290;
                    let case = self
                        .prosecution()
                        .open_case(
                            &pol,
                            &CaseInput {
                                title: format!("Explotación sexual – expediente {year}-{}-{:02}", plan.place.get(3..).unwrap_or(""), k + 1),
                                exploitation: s("isSexualExploit"),
                                sexual_form: s(if k % 3 == 0 { "sex_tourism" } else { "bar_or_nightclub" }),
                                place: s(plan.place),
                                ..Default::default()
                            },
                        )
                        .await?;
                    if year == 2008 {
                        cases_2008.push(case.id.clone());
                    }
                    // Victims: those rescued at this place and year first, then new ones.
                    let mut victims: Vec<Person> = Vec::new();
                    while let Some(pos) = rescued.iter().position(|r| r.0 == year && r.2 == plan.place && r.3 == "sexual") {
                        victims.push(rescued.remove(pos).4);
                        if victims.len() >= 2 {
                            break;
                        }
                    }
                    while victims.len() < 2 {
                        victims.push(self.protection().create_person(&pol, &victim_input(&mut dice, true, "", "", None)).await?);
                    }
                    for v in &victims {
                        self.prosecution()
                            .link_person(
                                &pol,
                                &case.id,
                                &LinkInput { person_id: v.id.to_string(), role: s("victim"), official_complicity: false },
                            )
                            .await?;
                        let decided = date(year, filed_day - 20 - dice.below(20) as i64);
                        self.screen_and_decide(&pol, v, &decided, "sexual", &mut screen_dice).await?;
                        if year == 2008 {
                            victims_2008 += 1;
                        }
                    }
                    self.coordination()
                        .share_case(
                            &pol,
                            &case.id,
                            &ShareInput {
                                to_org: prosecutor.id.to_string(),
                                purpose: s("Formalización de la denuncia"),
                                until: share_until.clone(),
                                hide_identities: false,
                            },
                        )
                        .await?;
                    let n_suspects = 1 + (k % 4 == 0) as usize;
                    for _ in 0..n_suspects {
                        let suspect = self.protection().create_person(&pol, &suspect_input(&mut dice)).await?;
                        self.prosecution()
                            .link_person(
                                &pol,
                                &case.id,
                                &LinkInput { person_id: suspect.id.to_string(), role: s("suspect"), official_complicity: false },
                            )
                            .await?;
                        let charge = self
                            .prosecution()
                            .file_charge(
                                &fis,
                                &case.id,
                                &ChargeInput {
                                    person_id: suspect.id.to_string(),
                                    statute_id: s(statute),
                                    offence_date: date(year, filed_day - 30),
                                    filed_on: date(year, filed_day),
                                },
                            )
                            .await?;
                        if year == 2007 && plan.place == "PE-1601" || year == 2007 && plan.place == "PE-1701" && k == 0 {
                            conviction_candidates.push(charge);
                        }
                    }
                }
            }
        }

        // 3. Five convictions in 2008, all from 2007 charges, sentences of 8 to 12 years.
        for (c, (years, day)) in conviction_candidates.iter().zip([(8, 130), (9, 175), (10, 238), (12, 281), (11, 330)]) {
            let d = DecisionOnChargeInput {
                verdict: s("convicted"),
                decided_on: date(2008, day),
                years: years.to_string(),
                months: s("0"),
                version: c.version.to_string(),
                ..Default::default()
            };
            self.prosecution().decide_charge(&fis, &c.id, &d).await?;
        }

        // 4. Very few forced-labour prosecutions: one case from the mining raid, charged in 2008.
        let mine = self
            .prosecution()
            .open_case(
                &pol,
                &CaseInput {
                    title: s("Lavaderos de oro en Huepetuhe – trabajo forzoso"),
                    exploitation: s("isForcedLabour"),
                    labour_sector: s("mining"),
                    place: s("PE-1702"),
                    ..Default::default()
                },
            )
            .await?;
        let miners: Vec<Person> = rescued.iter().filter(|r| r.3 == "labour").map(|r| r.4.clone()).collect();
        rescued.retain(|r| r.3 != "labour");
        for v in &miners {
            self.prosecution()
                .link_person(&pol, &mine.id, &LinkInput { person_id: v.id.to_string(), role: s("victim"), official_complicity: false })
                .await?;
            self.screen_and_decide(&pol, v, &date(2008, 252), "labour", &mut screen_dice).await?;
            victims_2008 += 1;
        }
        self.coordination()
            .share_case(
                &pol,
                &mine.id,
                &ShareInput {
                    to_org: prosecutor.id.to_string(),
                    purpose: s("Formalización de la denuncia"),
                    until: share_until.clone(),
                    hide_identities: false,
                },
            )
            .await?;
        let boss = self.protection().create_person(&pol, &suspect_input(&mut dice)).await?;
        self.prosecution()
            .link_person(&pol, &mine.id, &LinkInput { person_id: boss.id.to_string(), role: s("suspect"), official_complicity: false })
            .await?;
        self.prosecution()
            .file_charge(
                &fis,
                &mine.id,
                &ChargeInput {
                    person_id: boss.id.to_string(),
                    statute_id: s(statute),
                    offence_date: date(2008, 200),
                    filed_on: date(2008, 300),
                },
            )
            .await?;

        // 5. Rescued persons not in a case are still identified (after the raid).
        for (year, day, _, kind, p) in &rescued {
            self.screen_and_decide(&pol, p, &date(*year, day + 3), kind, &mut screen_dice).await?;
            if *year == 2008 {
                victims_2008 += 1;
            }
        }

        // 6. The rest of the 153 of 2008: victims the police identified in Loreto, Madre de
        // Dios and Cusco outside any case (adolescents in sex tourism; some Ecuadorian and
        // Bolivian women), and forced labour in logging and brick kilns.
        let mut extra = Vec::new();
        let mut k = 0i64;
        while victims_2008 < 153 {
            let sexual = k % 5 != 4;
            let nationality = match k % 17 {
                3 | 11 => Some("EC"),
                7 => Some("BO"),
                _ => None,
            };
            let mut input = victim_input(&mut dice, sexual, "", "", nationality);
            let doc = (k < 7).then(|| format!("{}", 71_400_000 + k * 7_919));
            if let Some(d) = &doc {
                input.document_type = s("national_id");
                input.document_number = d.clone();
            }
            let p = self.protection().create_person(&pol, &input).await?;
            // A third victim in a sex-trafficking case, or another worker of the mining camp.
            let case_id = if sexual { cases_2008.get(k as usize % cases_2008.len().max(1)).cloned() } else { Some(mine.id.clone()) };
            if let Some(case_id) = case_id {
                self.prosecution()
                    .link_person(&pol, &case_id, &LinkInput { person_id: p.id.to_string(), role: s("victim"), official_complicity: false })
                    .await?;
            }
            self.decide_victim(&pol, &p, &date(2008, 15 + (k * 23) % 340)).await?;
            extra.push((p, nationality, doc));
            victims_2008 += 1;
            k += 1;
        }

        // 7. Seven of them are recorded again by the shelter of Madre de Dios, with the same
        // document number: the report counts each once.
        for (n, (_, _, doc)) in extra.iter().enumerate().filter(|(_, e)| e.2.is_some()) {
            let mut input = victim_input(&mut dice, true, "", "", None);
            input.document_type = s("national_id");
            input.document_number = doc.clone().unwrap_or_default();
            let dup = self.protection().create_person(&shel, &input).await?;
            self.decide_victim(&shel, &dup, &date(2008, 200 + n as i64)).await?;
        }

        // 8. Possible victims of 2008, not (yet) confirmed, recorded by the Cusco NGO.
        for _ in 0..24 {
            let p = self.protection().create_person(&ngo_ctx, &victim_input(&mut dice, true, "", "", None)).await?;
            let d =
                DecisionInput { status: s("PossibleVictim"), decided_on: date(2008, 40 + dice.below(300) as i64), ..Default::default() };
            self.identification().record_decision(&ngo_ctx, &p.id, &d).await?;
        }

        // 9. Referrals to shelters and services, and repatriation of foreign victims.
        let services = self.bulk().rows::<amparo_core::rows::service::Service>(ctx, &RowFilter::default()).await?;
        let service_ids: Vec<(String, String)> = services
            .iter()
            .filter(|s| s.kind != amparo_domain::protection::ServiceKind::Repatriation)
            .map(|s| (s.id.0.clone(), s.kind.as_str().to_owned()))
            .collect();
        for (n, (p, nationality, _)) in extra.iter().enumerate() {
            if n % 2 == 1 {
                continue;
            }
            let Some((sid, _)) = service_ids.get(n % service_ids.len().max(1)) else { break };
            let on = date(2008, 20 + (n as i64 * 23) % 330);
            let r = ReferralInput {
                service_id: sid.clone(),
                consent_by: s("authority"),
                consent_method: s("written"),
                consent_on: on.clone(),
                consent_name: s("Fiscalía Provincial de Familia"),
                referred_on: on.clone(),
                ..Default::default()
            };
            self.referrals().create_referral(&pol, &p.id, &r).await?;
            if let Some(c) = nationality
                && n % 3 != 2
            {
                let a = AssistanceInput {
                    kind: s("repatriation"),
                    detail: s("voluntary_repatriation"),
                    started_on: date(2008, 60 + (n as i64 * 13) % 290),
                    country: s(c),
                    ..Default::default()
                };
                self.referrals().record_assistance(&pol, &p.id, &a).await?;
            }
        }

        // 10. Training of officials in 2007 and 2008.
        for (year, day, audience, people, place, title) in [
            (2007, 150, "police", "35", "PE-15", "Ley 28950: delito de trata de personas"),
            (2008, 95, "police", "60", "PE-16", "Investigación de la trata con fines de explotación sexual"),
            (2008, 140, "prosecutors", "42", "PE-15", "Ley 28950 y la atención a víctimas"),
            (2008, 201, "judges", "25", "PE-08", "Turismo sexual infantil en Cusco"),
            (2008, 260, "labour_inspectors", "30", "PE-17", "Trabajo forzoso en la minería aurífera"),
            (2008, 310, "police", "48", "PE-17", "Operativos y rescate de víctimas"),
        ] {
            let input = PreventionInput {
                kind: s("training"),
                title: s(title),
                date: date(year, day),
                place: s(place),
                audience: s(audience),
                people: s(people),
            };
            self.protection().record_prevention(&coord, &input).await?;
        }
        Ok(())
    }

    /// A final ILO/EC screening two days before the decision (done in the field, entered
    /// later), with a deceptive-recruitment indicator and two means of control, then the
    /// decision.
    /// 14 calls in 2007 and 70 in 2008, mostly about sexual exploitation, from the regions
    /// of the seed, written as the operators and the unit would have left them.
    async fn load_demo_hotline_calls(&self, ctx: &Ctx, police: &Organisation, orgs: &[Organisation]) -> CoreResult<()> {
        let Some(hotline) = orgs.iter().find(|o| o.kind == OrgKind::Hotline) else { return Ok(()) };
        let mut dice = Dice::new(0x1818_2008);
        let mut rows = amparo_core::usecases::administration::bulk_load::LoadBatch::default();
        for (year, calls) in [(2007, 14), (2008, 70)] {
            for k in 0..calls {
                let Some(plan) = PLAN.get(k % PLAN.len()) else { continue };
                let labour = dice.below(10) == 0;
                let input = ReportInput {
                    channel: s("hotline"),
                    place: s(plan.place),
                    exploitation: s(if labour { "labour" } else { "sexual" }),
                    child_involved: dice.below(3) == 0,
                    narrative: s(if labour {
                        "Llamada: trabajadores retenidos en un campamento, sin pago (datos de demostración)."
                    } else {
                        "Llamada: menores en un bar de noche, sin documentos (datos de demostración)."
                    }),
                    ..Default::default()
                };
                let f = input.validate()?;
                let received = days_from_civil(&date(year, 1 + dice.below(355) as i64)).unwrap_or(0) * 86_400;
                let closed = received + (1 + dice.below(20) as i64) * 86_400;
                rows.row(&self.intake().closed_report_row(dice.id(), received, closed, &f, police, Some(&hotline.id))?)?;
            }
        }
        let calls = rows.rows();
        self.bulk().write_rows(ctx, "load_demo_history", rows, serde_json::json!({ "hotline_calls": calls })).await
    }

    async fn screen_and_decide(&self, ctx: &Ctx, p: &Person, on: &str, exploitation: &str, dice: &mut Dice) -> CoreResult<()> {
        const CONTROL: [&str; 6] = [
            "d5.debt_bondage",
            "d5.confiscation_documents",
            "d5.isolation_confinement",
            "d5.threats_violence",
            "d5.withholding_wages",
            "d5.violence_on_victim",
        ];
        let first = dice.below(6);
        let second = (first + 1 + dice.below(5)) % 6;
        let mut indicators = vec![s("d1.deceived_nature_job")];
        indicators.extend([first, second].iter().filter_map(|k| CONTROL.get(*k as usize)).map(|i| s(i)));
        let day = days_from_civil(on).unwrap_or(0) - 2;
        let input = ScreeningInput {
            exploitation: s(exploitation),
            indicators,
            status: s("final"),
            screened_on: iso_date(day * 86_400),
            ..Default::default()
        };
        self.identification().create_screening(ctx, &p.id, &input).await?;
        self.decide_victim(ctx, p, on).await
    }

    async fn decide_victim(&self, ctx: &Ctx, p: &Person, on: &str) -> CoreResult<()> {
        let d = DecisionInput { status: s("ActualVictim"), decided_on: on.to_owned(), ..Default::default() };
        self.identification().record_decision(ctx, &p.id, &d).await.map(|_| ())
    }
}

fn victim_input(dice: &mut Dice, sexual: bool, source_type: &str, source_id: &str, nationality: Option<&str>) -> PersonInput {
    let female = sexual || dice.below(3) == 0;
    let age = if sexual { 13 + dice.below(14) } else { 15 + dice.below(30) };
    PersonInput {
        role: s("victim"),
        sex: s(if female { "female" } else { "male" }),
        approx_age: age.to_string(),
        given_names: s(if female { dice.pick(GIVEN_F) } else { dice.pick(GIVEN_M) }),
        first_surname: s(dice.pick(SURNAMES)),
        second_surname: s(dice.pick(SURNAMES)),
        nationality: s(nationality.unwrap_or("PE")),
        source_type: s(source_type),
        source_id: s(source_id),
        ..Default::default()
    }
}

fn suspect_input(dice: &mut Dice) -> PersonInput {
    let female = dice.below(3) == 0;
    PersonInput {
        role: s("suspect"),
        sex: s(if female { "female" } else { "male" }),
        approx_age: (25 + dice.below(30)).to_string(),
        given_names: s(if female { dice.pick(GIVEN_F) } else { dice.pick(GIVEN_M) }),
        first_surname: s(dice.pick(SURNAMES)),
        second_surname: s(dice.pick(SURNAMES)),
        nationality: s("PE"),
        ..Default::default()
    }
}
