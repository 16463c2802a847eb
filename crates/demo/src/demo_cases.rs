//! Demo data for prosecution and coordination: a sex-trafficking case in Iquitos taken up by
//! the prosecutor (charges, one in-range conviction, one flagged sentence, an appeal), a
//! forced-labour case in a Madre de Dios mining camp with a route from Cusco, a case
//! with a route from Cusco to Spain and a suspect flagged for official complicity (restricted), a share
//! that hides identities from the coordinating body, an overdue task, a cross-agency alert
//! (the same document number recorded by the police and by an NGO) and prevention activities.

use crate::Demo;
use amparo_core::Ctx;
use amparo_core::error::{CoreError, CoreResult};
use amparo_core::rows::case::Case;
use amparo_core::rows::intake::Operation;
use amparo_core::store::RowFilter;
use amparo_core::usecases::cases::{LinkInput, TaskInput};
use amparo_core::usecases::prevention::PreventionInput;
use amparo_core::usecases::sharing::ShareInput;
use amparo_domain::Role;
use amparo_domain::cases::{CaseInput, ChargeInput, DecisionOnChargeInput, EventInput};
use amparo_domain::org::OrgKind;
use amparo_domain::person::{PersonInput, PersonRole};
use amparo_domain::protection::iso_date;

fn s(v: &str) -> String {
    v.to_owned()
}

impl Demo {
    pub(crate) async fn load_cases_demo(&self, ctx: &Ctx) -> CoreResult<()> {
        if self.bulk().any::<Case>(ctx).await? {
            return Ok(());
        }
        let orgs = self.bulk().organisations(ctx).await?;
        let users = self.bulk().accounts(ctx).await?;
        let find = |kind: OrgKind, region: &str| {
            orgs.iter().find(|o| o.kind == kind && o.jurisdiction == region).cloned().ok_or(CoreError::NotFound)
        };
        let user = |role: Role| users.iter().find(|u| u.roles.contains(&role)).cloned().ok_or(CoreError::NotFound);
        let as_ =
            |u: &amparo_domain::user::User, org: &amparo_domain::org::Organisation, role: Role| crate::acting_as(ctx, &u.id, &org.id, role);
        let days_ago = |n: i64| iso_date(self.now() - n * 86_400);
        let days_ahead = |n: i64| iso_date(self.now() + n * 86_400);
        let (inv_u, fiscal_u, insp_u, cw_u) =
            (user(Role::Investigator)?, user(Role::Prosecutor)?, user(Role::LabourInspector)?, user(Role::CaseWorker)?);
        let police = find(OrgKind::PoliceUnit, "PE-16")?;
        let fiscalia = find(OrgKind::ProsecutorOffice, "PE-16")?;
        let sunafil = find(OrgKind::LabourInspectorate, "PE-17")?;
        let ngo = find(OrgKind::Ngo, "PE-16")?;
        let coordination = orgs.iter().find(|o| o.kind == OrgKind::CoordinatingBody).cloned().ok_or(CoreError::NotFound)?;
        let inv = as_(&inv_u, &police, Role::Investigator);
        let fiscal = as_(&fiscal_u, &fiscalia, Role::Prosecutor);
        let insp = as_(&insp_u, &sunafil, Role::LabourInspector);
        let cw = as_(&cw_u, &ngo, Role::CaseWorker);

        // 1. Iquitos: the bar case, from the report and the operation.
        let sources: Vec<String> = self
            .bulk()
            .rows::<Operation>(ctx, &RowFilter { orgs: vec![police.id.clone()], ..Default::default() })
            .await?
            .into_iter()
            .flat_map(|o| [Some(o.id), o.report_id])
            .flatten()
            .collect();
        let bar = self
            .prosecution()
            .open_case(
                &inv,
                &CaseInput {
                    title: s("Bar en Punchana: explotación sexual de adolescentes"),
                    exploitation: s("isSexualExploit"),
                    sexual_form: s("bar_or_nightclub"),
                    place: s("PE-1601"),
                    sources,
                    notes: s("Operativo conjunto con Fiscalía; cuatro adolescentes rescatadas; el administrador huyó hacia Yurimaguas."),
                    ..Default::default()
                },
            )
            .await?;
        let persons = self.bulk().persons_of(ctx, &police.id).await?;
        let by_role = |r: PersonRole| persons.iter().filter(move |p| p.role == r).map(|p| p.id.to_string()).collect::<Vec<_>>();
        for pid in by_role(PersonRole::PossibleVictim).into_iter().take(3) {
            self.prosecution()
                .link_person(&inv, &bar.id, &LinkInput { person_id: pid, role: s("victim"), official_complicity: false })
                .await?;
        }
        let suspects = by_role(PersonRole::Suspect);
        let second = self
            .protection()
            .create_person(
                &inv,
                &PersonInput {
                    role: s("suspect"),
                    sex: s("female"),
                    approx_age: s("41"),
                    aliases: s("La Tía"),
                    narrative: s("Reclutadora en Yurimaguas."),
                    ..Default::default()
                },
            )
            .await?;
        for pid in suspects.iter().cloned().chain([second.id.to_string()]) {
            self.prosecution()
                .link_person(&inv, &bar.id, &LinkInput { person_id: pid, role: s("suspect"), official_complicity: false })
                .await?;
        }
        for (kind, date, place) in [("Recruitment", 120, "PE-1602"), ("Transit", 100, "PE-1601"), ("Exploitation", 90, "PE-1601")] {
            self.prosecution().add_event(&inv, &bar.id, &EventInput { kind: s(kind), date: days_ago(date), place: s(place) }).await?;
        }
        self.coordination()
            .share_case(
                &inv,
                &bar.id,
                &ShareInput {
                    to_org: fiscalia.id.to_string(),
                    purpose: s("Investigación fiscal y acusación"),
                    until: days_ahead(365),
                    hide_identities: false,
                },
            )
            .await?;
        self.coordination()
            .share_case(
                &inv,
                &bar.id,
                &ShareInput {
                    to_org: coordination.id.to_string(),
                    purpose: s("Seguimiento nacional de casos"),
                    until: days_ahead(180),
                    hide_identities: true,
                },
            )
            .await?;
        self.prosecution()
            .add_task(
                &inv,
                &bar.id,
                &TaskInput { title: s("Remitir informe policial a Fiscalía"), assignee: inv_u.email.clone(), due: days_ago(3) },
            )
            .await?;
        // The prosecutor charges both suspects; one conviction in range, one flagged below the minimum.
        let offence = days_ago(90);
        let mut charges = Vec::new();
        for pid in suspects.iter().cloned().chain([second.id.to_string()]) {
            charges.push(
                self.prosecution()
                    .file_charge(
                        &fiscal,
                        &bar.id,
                        &ChargeInput {
                            person_id: pid,
                            statute_id: s("pe-cp-129b-1-2021"),
                            offence_date: offence.clone(),
                            filed_on: days_ago(60),
                        },
                    )
                    .await?,
            );
        }
        if let Some(c) = charges.first() {
            let d = DecisionOnChargeInput {
                verdict: s("convicted"),
                decided_on: days_ago(5),
                years: s("15"),
                months: s("0"),
                version: c.version.to_string(),
                ..Default::default()
            };
            let c = self.prosecution().decide_charge(&fiscal, &c.id, &d).await?;
            let ap = amparo_core::usecases::prosecution::AppealInput {
                filed_on: days_ago(2),
                result: s("pending"),
                version: c.version.to_string(),
                ..Default::default()
            };
            self.prosecution().add_appeal(&fiscal, &c.id, &ap).await?;
        }
        if let Some(c) = charges.get(1) {
            let d = DecisionOnChargeInput {
                verdict: s("convicted"),
                decided_on: days_ago(5),
                years: s("8"),
                months: s("0"),
                fine: s("5000"),
                version: c.version.to_string(),
            };
            self.prosecution().decide_charge(&fiscal, &c.id, &d).await?;
        }

        // 2. Madre de Dios: forced labour in a gold-mining camp, recruited in Cusco.
        let mine = self
            .prosecution()
            .open_case(
                &insp,
                &CaseInput {
                    title: s("Campamento aurífero en Huepetuhe"),
                    exploitation: s("isForcedLabour"),
                    labour_sector: s("mining"),
                    place: s("PE-1701"),
                    notes: s("Deudas por transporte y comida; documentos retenidos por el capataz."),
                    ..Default::default()
                },
            )
            .await?;
        for p in self.bulk().persons_of(ctx, &sunafil.id).await? {
            self.prosecution()
                .link_person(&insp, &mine.id, &LinkInput { person_id: p.id.to_string(), role: s("victim"), official_complicity: false })
                .await?;
        }
        for (kind, date, place) in [("Recruitment", 200, "PE-0801"), ("Transit", 195, "PE-17"), ("Exploitation", 190, "PE-1701")] {
            self.prosecution().add_event(&insp, &mine.id, &EventInput { kind: s(kind), date: days_ago(date), place: s(place) }).await?;
        }

        // 2b. Loreto: debt bondage in illegal logging on the river.
        let logging = self
            .prosecution()
            .open_case(
                &inv,
                &CaseInput {
                    title: s("Tala ilegal en el río Napo con trabajadores endeudados"),
                    exploitation: s("isForcedLabour"),
                    labour_sector: s("logging"),
                    place: s("PE-1601"),
                    notes: s("Habilitación con deudas impagables; campamento a tres días de navegación."),
                    ..Default::default()
                },
            )
            .await?;
        for (kind, date, place) in [("Recruitment", 150, "PE-1603"), ("Exploitation", 140, "PE-1601")] {
            self.prosecution().add_event(&inv, &logging.id, &EventInput { kind: s(kind), date: days_ago(date), place: s(place) }).await?;
        }

        // 3. Recruitment in Cusco for Spain, followed by the Loreto unit; a police officer among the
        // suspects, so the case is restricted to named users and accesses are reported.
        let cusco = self
            .prosecution()
            .open_case(
                &inv,
                &CaseInput {
                    title: s("Ofertas de empleo en España desde Cusco"),
                    exploitation: s("isSexualExploit"),
                    sexual_form: s("brothel"),
                    place: s("PE-0801"),
                    ..Default::default()
                },
            )
            .await?;
        let officer = self
            .protection()
            .create_person(
                &inv,
                &PersonInput { role: s("suspect"), sex: s("male"), approx_age: s("38"), aliases: s("Suboficial"), ..Default::default() },
            )
            .await?;
        let victim = self
            .protection()
            .create_person(
                &inv,
                &PersonInput {
                    role: s("victim"),
                    sex: s("female"),
                    approx_age: s("23"),
                    aliases: s("Vanesa"),
                    nationality: s("PE"),
                    ..Default::default()
                },
            )
            .await?;
        self.prosecution()
            .link_person(&inv, &cusco.id, &LinkInput { person_id: victim.id.to_string(), role: s("victim"), official_complicity: false })
            .await?;
        for (kind, date, place) in [("Recruitment", 300, "PE-0801"), ("Transit", 290, "PE-15"), ("Exploitation", 280, "ES")] {
            self.prosecution().add_event(&inv, &cusco.id, &EventInput { kind: s(kind), date: days_ago(date), place: s(place) }).await?;
        }
        self.prosecution()
            .link_person(&inv, &cusco.id, &LinkInput { person_id: officer.id.to_string(), role: s("suspect"), official_complicity: true })
            .await?;

        // 4. The NGO records a girl with the same DNI as one the police hold: both get an alert.
        self.protection()
            .create_person(
                &cw,
                &PersonInput {
                    role: s("possible_victim"),
                    sex: s("female"),
                    approx_age: s("15"),
                    given_names: s("Lucia"),
                    document_type: s("national_id"),
                    document_number: s("DNI 71234567"),
                    ..Default::default()
                },
            )
            .await?;

        // 5. Prevention register.
        let coord_u = user(Role::Coordinator)?;
        let coord = as_(&coord_u, &coordination, Role::Coordinator);
        for (kind, title, place, audience, people, days) in [
            ("training", "Identificación de víctimas con los indicadores OIT/CE", "PE-16", "police", "45", 40),
            ("training", "Investigación de trabajo forzoso en minería", "PE-17", "prosecutors", "30", 25),
            ("training", "Entrevista a víctimas menores de edad", "PE-08", "judges", "18", 12),
            ("campaign", "Campaña «No te dejes engañar» en Iquitos", "PE-1601", "public", "5000", 60),
        ] {
            let input = PreventionInput {
                kind: s(kind),
                title: s(title),
                date: days_ago(days),
                place: s(place),
                audience: s(audience),
                people: s(people),
            };
            self.protection().record_prevention(&coord, &input).await?;
        }
        Ok(())
    }
}
