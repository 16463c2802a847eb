//! Demo data for the protection pillar: services (with shelter addresses), hotline and web
//! reports routed to regional units, a police operation and a labour inspection, screenings,
//! identification decisions, referrals in several states, assistance — and identified
//! victims left without referral, so the referral-gap view shows the failure the seed reports.
//!
//! Everything goes through the same use cases as real users, as the demo accounts.

use crate::Demo;
use amparo_core::Ctx;
use amparo_core::error::{CoreError, CoreResult};
use amparo_core::usecases::identification::ScreeningInput;
use amparo_core::usecases::referrals::ReferralActInput;
use amparo_domain::intake::{InspectionInput, OperationInput, ReportInput};
use amparo_domain::org::{OrgKind, Organisation};
use amparo_domain::person::PersonInput;
use amparo_domain::protection::{AssistanceInput, DecisionInput, ReferralInput, ServiceInput, iso_date};
use amparo_domain::{PersonId, Role, UserId};

fn as_user(ctx: &Ctx, user: &str, org: &Organisation, role: Role) -> Ctx {
    crate::acting_as(ctx, &UserId::from_trusted(user.to_owned()), &org.id, role)
}

fn days_ago(app: &Demo, n: i64) -> String {
    iso_date(app.now() - n * 86_400)
}

fn s(v: &str) -> String {
    v.to_owned()
}

impl Demo {
    /// Load the protection demo once (skipped when any service exists).
    pub(crate) async fn load_protection_demo(&self, ctx: &Ctx) -> CoreResult<()> {
        if self.bulk().any::<amparo_core::rows::service::Service>(ctx).await? {
            return Ok(());
        }
        let orgs = self.bulk().organisations(ctx).await?;
        let users = self.bulk().accounts(ctx).await?;
        let find = |kind: OrgKind, region: &str| {
            orgs.iter().find(|o| o.kind == kind && o.jurisdiction == region).cloned().ok_or(CoreError::NotFound)
        };
        let user_of =
            |role: Role| users.iter().find(|u| u.roles.contains(&role)).map(|u| u.id.to_string()).unwrap_or_else(|| "demo".into());
        let shelter_loreto = find(OrgKind::Shelter, "PE-16")?;
        let ngo_loreto = find(OrgKind::Ngo, "PE-16")?;
        let police_loreto = find(OrgKind::PoliceUnit, "PE-16")?;
        let hotline = find(OrgKind::Hotline, "PE-15")?;
        let labour_mdd = find(OrgKind::LabourInspectorate, "PE-17")?;
        let shelter_staff = as_user(ctx, &user_of(Role::ShelterStaff), &shelter_loreto, Role::ShelterStaff);
        let case_worker = as_user(ctx, &user_of(Role::CaseWorker), &ngo_loreto, Role::CaseWorker);
        let investigator = as_user(ctx, &user_of(Role::Investigator), &police_loreto, Role::Investigator);
        let operator = as_user(ctx, &user_of(Role::HotlineOperator), &hotline, Role::HotlineOperator);
        let inspector = as_user(ctx, &user_of(Role::LabourInspector), &labour_mdd, Role::LabourInspector);

        // Services: shelters in each demo region (addresses sealed), and NGO services in Loreto.
        let svc = |name: &str, kind: &str, specs: &[&str], region: &str, cap: &str, protocol: &str, address: &str| ServiceInput {
            name: s(name),
            kind: s(kind),
            specialisations: specs.iter().map(|x| s(x)).collect(),
            region: s(region),
            capacity: s(cap),
            contact_protocol: s(protocol),
            address: s(address),
        };
        let shelter = self
            .referrals()
            .create_service(
                &shelter_staff,
                None,
                &svc(
                    "CAR Señor de los Milagros",
                    "shelter",
                    &["children"],
                    "PE-16",
                    "12",
                    "Coordinar con la Fiscalía de Familia; llamar a la línea de guardia del CAR.",
                    "Calle Las Palmeras 412, Punchana",
                ),
            )
            .await?;
        self.referrals()
            .create_service(
                &shelter_staff,
                None,
                &svc(
                    "Casa Refugio Amazonía",
                    "shelter",
                    &["adult_women", "foreign_nationals"],
                    "PE-16",
                    "2",
                    "Solo por derivación escrita; contacto vía la ONG de apoyo.",
                    "Jr. Napo 1180, Iquitos",
                ),
            )
            .await?;
        self.referrals()
            .create_service(
                &case_worker,
                None,
                &svc(
                    "Acompañamiento psicosocial",
                    "psychosocial",
                    &["children", "adult_women", "adult_men"],
                    "PE-16",
                    "30",
                    "Atención lunes a sábado; derivar por Amparo.",
                    "",
                ),
            )
            .await?;
        self.referrals()
            .create_service(
                &case_worker,
                None,
                &svc(
                    "Defensa legal gratuita",
                    "legal_aid",
                    &["adult_women", "adult_men", "foreign_nationals"],
                    "PE-16",
                    "40",
                    "Asignación de abogada en 48 h.",
                    "",
                ),
            )
            .await?;
        for (region, label) in [("PE-17", "Madre de Dios"), ("PE-08", "Cusco"), ("PE-21", "Puno")] {
            let o = find(OrgKind::Shelter, region)?;
            let staff = as_user(ctx, &user_of(Role::ShelterStaff), &o, Role::ShelterStaff);
            self.referrals()
                .create_service(
                    &staff,
                    None,
                    &svc(
                        &format!("CAR {label}"),
                        "shelter",
                        &["children", "adult_women"],
                        region,
                        "10",
                        "Coordinar con la Fiscalía de Familia de la región.",
                        &format!("Dirección reservada – {label}"),
                    ),
                )
                .await?;
        }

        // Reports taken by the hotline, routed by place to the regional police units.
        let rep = |place: &str, ex: &str, danger: bool, child: bool, narrative: &str| ReportInput {
            channel: s("hotline"),
            place: s(place),
            exploitation: s(ex),
            imminent_danger: danger,
            child_involved: child,
            narrative: s(narrative),
            ..Default::default()
        };
        let bar = self
            .intake()
            .create_report(
                &operator,
                &rep(
                    "PE-1601",
                    "sexual",
                    true,
                    true,
                    "Vecina informa que en un bar de Punchana trabajan adolescentes de noche; vio a una menor llorando en la puerta.",
                ),
            )
            .await?;
        self.intake()
            .create_report(
                &operator,
                &rep(
                    "PE-1701",
                    "labour",
                    false,
                    false,
                    "Un joven escapó de un campamento minero en Huepetuhe: dice que retienen documentos y no pagan.",
                ),
            )
            .await?;
        self.intake()
            .create_report(
                &operator,
                &rep(
                    "PE-0801",
                    "labour",
                    false,
                    true,
                    "Niñas trabajando como empleadas domésticas sin pago en Cusco, traídas desde Paruro.",
                ),
            )
            .await?;
        self.intake()
            .create_report(
                &operator,
                &rep("PE-2101", "sexual", false, false, "Ofertas de trabajo en bares de Juliaca publicadas en una radio local."),
            )
            .await?;
        self.intake()
            .submit_public_report(
                &ctx.operation_id,
                "demo",
                &ReportInput {
                    place: s("PE-16"),
                    exploitation: s("sexual"),
                    narrative: s("En un hospedaje cerca del puerto de Iquitos entran hombres mayores con chicas muy jóvenes."),
                    ..Default::default()
                },
            )
            .await?;

        // The police act on the bar report with an operation; persons found are recorded from it.
        let op = self
            .intake()
            .create_operation(
                &investigator,
                &OperationInput {
                    date: days_ago(self, 20),
                    place: s("PE-1601"),
                    exploitation: s("sexual"),
                    persons_found: s("6"),
                    rescued: s("4"),
                    report_id: bar.id.clone(),
                    notes: s("Operativo conjunto con la Fiscalía; cuatro adolescentes rescatadas."),
                    ..Default::default()
                },
            )
            .await?;
        let insp = self
            .intake()
            .create_inspection(
                &inspector,
                &InspectionInput {
                    date: days_ago(self, 15),
                    place: s("PE-1701"),
                    workplace: s("Campamento minero aurífero, Huepetuhe"),
                    isic: s("B"),
                    workers_found: s("23"),
                    indicators: [
                        "fl03_restriction_of_movement",
                        "fl07_retention_of_documents",
                        "fl08_withholding_of_wages",
                        "fl09_debt_bondage",
                    ]
                    .iter()
                    .map(|x| s(x))
                    .collect(),
                    notes: s("Deudas por transporte y comida; documentos guardados por el capataz."),
                    ..Default::default()
                },
            )
            .await?;

        let person =
            |role: &str, sex: &str, age: &str, given: &str, s1: &str, alias: &str, nat: &str, langs: &str, src: (&str, &str)| PersonInput {
                role: s(role),
                sex: s(sex),
                approx_age: s(age),
                given_names: s(given),
                first_surname: s(s1),
                aliases: s(alias),
                nationality: s(nat),
                languages: s(langs),
                source_type: s(src.0),
                source_id: s(src.1),
                ..Default::default()
            };
        let op_src = ("operation", op.id.as_str());
        let insp_src = ("inspection", insp.id.as_str());
        let lucia = PersonInput {
            document_type: s("national_id"),
            document_number: s("71234567"),
            ..person("possible_victim", "female", "15", "Lucía", "Tapullima", "", "PE", "es,shp", op_src)
        };
        let lucia = self.protection().create_person(&investigator, &lucia).await?;
        let carmen = self
            .protection()
            .create_person(&investigator, &person("possible_victim", "female", "17", "", "", "Carmencita", "PE", "es", op_src))
            .await?;
        let wendy = self
            .protection()
            .create_person(&investigator, &person("possible_victim", "female", "22", "Wendy", "Mamani", "", "BO", "es,ay", op_src))
            .await?;
        let elmer = self
            .protection()
            .create_person(&inspector, &person("possible_victim", "male", "19", "Elmer", "Quispe", "", "PE", "qu,es", insp_src))
            .await?;
        let yony = self
            .protection()
            .create_person(&inspector, &person("possible_victim", "male", "16", "Yony", "", "", "PE", "qu", insp_src))
            .await?;

        let screen = |set: &str, ind: &[&str], age: &str| ScreeningInput {
            set: s(set),
            indicators: ind.iter().map(|x| s(x)).collect(),
            age_at_exploitation: s(age),
            status: s("final"),
            ..Default::default()
        };
        let child_sexual = [
            "d1.deceived_nature_job",
            "d1.deceived_conditions_work",
            "d3.abuse_family_situation",
            "d4.excessive_hours",
            "d4.hazardous_work",
        ];
        let adult_labour = [
            "d1.deceived_nature_job",
            "d1.deceived_wages",
            "d4.excessive_hours",
            "d4.low_no_salary",
            "d5.confiscation_documents",
            "d5.debt_bondage",
        ];
        let decide = |status: &str, days: i64, screening: &str, basis: &str| DecisionInput {
            status: s(status),
            decided_on: days_ago(self, days),
            screening_id: s(screening),
            basis: s(basis),
        };
        let pid = |p: &amparo_domain::person::Person| PersonId::from_trusted(p.id.to_string());

        // Lucía: screened, identified, referred to the children's shelter, accepted, in progress.
        let sc = self.identification().create_screening(&investigator, &pid(&lucia), &screen("child_sexual", &child_sexual, "15")).await?;
        self.identification()
            .record_decision(
                &investigator,
                &pid(&lucia),
                &decide("PossibleVictim", 19, &sc.id, "Rescatada en operativo; indicadores presentes."),
            )
            .await?;
        let r = self
            .referrals()
            .create_referral(
                &investigator,
                &pid(&lucia),
                &ReferralInput {
                    service_id: shelter.id.clone(),
                    consent_by: s("authority"),
                    consent_method: s("written"),
                    consent_on: days_ago(self, 19),
                    consent_name: s("Fiscalía Provincial de Familia de Maynas"),
                    ..Default::default()
                },
            )
            .await?;
        let r = self
            .referrals()
            .act_on_referral(
                &shelter_staff,
                &r.id,
                &ReferralActInput { action: s("accept"), version: r.version.to_string(), ..Default::default() },
            )
            .await?;
        self.referrals()
            .act_on_referral(
                &shelter_staff,
                &r.id,
                &ReferralActInput { action: s("start"), version: r.version.to_string(), ..Default::default() },
            )
            .await?;

        // Carmencita: identified 18 days ago, referral still waiting for the shelter's answer.
        self.identification()
            .record_decision(
                &investigator,
                &pid(&carmen),
                &decide("PossibleVictim", 18, "", "Menor de edad encontrada en el bar; sin documentos."),
            )
            .await?;
        self.referrals()
            .create_referral(
                &investigator,
                &pid(&carmen),
                &ReferralInput {
                    service_id: shelter.id.clone(),
                    consent_by: s("authority"),
                    consent_method: s("written"),
                    consent_on: days_ago(self, 18),
                    consent_name: s("Fiscalía Provincial de Familia de Maynas"),
                    ..Default::default()
                },
            )
            .await?;

        // Wendy (Bolivian): victim, no referral yet — in the gap; alternatives to removal offered.
        self.identification()
            .record_decision(&investigator, &pid(&wendy), &decide("ActualVictim", 12, "", "Declaración y pruebas del operativo."))
            .await?;
        self.referrals()
            .record_assistance(
                &investigator,
                &pid(&wendy),
                &AssistanceInput {
                    kind: s("alternative_to_removal"),
                    detail: s("offered_residence_permit"),
                    started_on: days_ago(self, 10),
                    ..Default::default()
                },
            )
            .await?;
        self.referrals()
            .record_assistance(
                &investigator,
                &pid(&wendy),
                &AssistanceInput {
                    kind: s("participation"),
                    detail: s("statement_given"),
                    started_on: days_ago(self, 11),
                    ..Default::default()
                },
            )
            .await?;

        // Elmer and Yony, from the mining camp: screened; Elmer identified and never referred.
        let sc = self.identification().create_screening(&inspector, &pid(&elmer), &screen("adult_labour", &adult_labour, "19")).await?;
        self.identification()
            .record_decision(&inspector, &pid(&elmer), &decide("PossibleVictim", 14, &sc.id, "Retención de documentos y deuda."))
            .await?;
        let draft = ScreeningInput { status: s("draft"), ..screen("child_labour", &["d4.excessive_hours"], "16") };
        self.identification().create_screening(&inspector, &pid(&yony), &draft).await?;

        // The same persons recorded again by other organisations, spelt their own way — what
        // record linkage is for. The shelter registers Lucía on arrival ("Tapuyima"); it also
        // sees the police record through the referral, so it can review the pair side by side.
        // The hotline took a call from Wendy before the operation ("Mamany"); neither the
        // hotline nor the police can see the other's record, so each is told who to contact.
        let arrival = PersonInput { sex: s("female"), approx_age: s("15"), nationality: s("PE"), languages: s("es"), ..Default::default() };
        self.protection()
            .create_person(
                &shelter_staff,
                &PersonInput { role: s("victim"), given_names: s("Lucia"), first_surname: s("Tapuyima"), ..arrival.clone() },
            )
            .await?;
        self.protection()
            .create_person(
                &operator,
                &PersonInput {
                    role: s("possible_victim"),
                    given_names: s("Wendi"),
                    first_surname: s("Mamany"),
                    approx_age: s("22"),
                    nationality: s("BO"),
                    ..arrival
                },
            )
            .await?;
        Ok(())
    }
}
