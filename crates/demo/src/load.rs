//! The demo data set for newcomers: organisations of every kind in Lima, Loreto (Iquitos),
//! Madre de Dios, Cusco and Puno, one account per role, and a few persons. Demo accounts skip
//! two-factor (`mfa_exempt_demo`) and the UI says so in a banner.

use crate::Demo;
use amparo_core::Ctx;
use amparo_core::error::CoreResult;
use amparo_core::usecases::administration::bulk_load::DemoAccountInput;
use amparo_domain::Role;
use amparo_domain::org::{OrgInput, OrgKind, Organisation};
use amparo_domain::person::PersonInput;

pub const DEMO_PASSWORD: &str = "amparo-demo-2026";

#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub email: String,
    pub role: Role,
    pub org_name: String,
}

/// (region area code, region label) for the demo regions.
const REGIONS: [(&str, &str); 5] =
    [("PE-15", "Lima"), ("PE-16", "Loreto (Iquitos)"), ("PE-17", "Madre de Dios"), ("PE-08", "Cusco"), ("PE-21", "Puno")];

fn org_name(kind: OrgKind, region: &str, national: bool) -> String {
    let base = match kind {
        OrgKind::PoliceUnit if national => "Dirección contra la Trata de Personas – PNP",
        OrgKind::PoliceUnit => "Departamento contra la Trata – PNP",
        OrgKind::ProsecutorOffice if national => "Fiscalía Superior Coordinadora contra la Trata",
        OrgKind::ProsecutorOffice => "Fiscalía Especializada en Trata de Personas",
        OrgKind::Court if national => "Sala Penal Nacional",
        OrgKind::Court => "Juzgado Penal",
        OrgKind::LabourInspectorate if national => "SUNAFIL – Intendencia Nacional",
        OrgKind::LabourInspectorate => "SUNAFIL – Intendencia Regional",
        OrgKind::Ngo if national => "ONG Red Nacional de Apoyo",
        OrgKind::Ngo => "ONG de Apoyo a Víctimas",
        OrgKind::Shelter if national => "Centro de Acogida Residencial Nacional",
        OrgKind::Shelter => "Centro de Acogida Residencial",
        OrgKind::Hotline => "Línea 1818 – Denuncias de Trata",
        OrgKind::Ministry => "Ministerio del Interior",
        OrgKind::CoordinatingBody => "Comisión Multisectorial contra la Trata de Personas",
    };
    if national { base.to_owned() } else { format!("{base} – {region}") }
}

impl Demo {
    /// Load the demo data set unless organisations already exist. Returns the accounts.
    pub async fn load_demo(&self, ctx: &Ctx) -> CoreResult<Vec<DemoAccount>> {
        self.system().ensure_reference_data(ctx).await?;
        let existing = self.bulk().organisations(ctx).await?;
        let mut orgs: Vec<Organisation> = existing.clone();
        if existing.is_empty() {
            // National bodies in Lima, each the parent of its regional counterparts.
            for kind in OrgKind::ALL {
                let input =
                    OrgInput { name: org_name(kind, "Lima", true), kind: kind.as_str().into(), jurisdiction: "PE".into(), parent_id: None };
                let input = OrgInput { jurisdiction: "PE-15".into(), ..input };
                orgs.push(self.administration().create_org(ctx, &input).await?);
            }
            for (code, label) in REGIONS.iter().skip(1) {
                for kind in [
                    OrgKind::PoliceUnit,
                    OrgKind::ProsecutorOffice,
                    OrgKind::Court,
                    OrgKind::LabourInspectorate,
                    OrgKind::Ngo,
                    OrgKind::Shelter,
                ] {
                    let parent = orgs.iter().find(|o| o.kind == kind && o.jurisdiction == "PE-15").map(|o| o.id.to_string());
                    let input = OrgInput {
                        name: org_name(kind, label, false),
                        kind: kind.as_str().into(),
                        jurisdiction: (*code).into(),
                        parent_id: parent,
                    };
                    orgs.push(self.administration().create_org(ctx, &input).await?);
                }
            }
        }
        let find = |kind: OrgKind, region: &str| orgs.iter().find(|o| o.kind == kind && o.jurisdiction == region).cloned();
        let plan: [(Role, &str, OrgKind, &str, &str); 10] = [
            (Role::HotlineOperator, "operadora", OrgKind::Hotline, "PE-15", "Operadora Línea 1818"),
            (Role::Investigator, "investigador", OrgKind::PoliceUnit, "PE-16", "Investigador PNP Iquitos"),
            (Role::Prosecutor, "fiscal", OrgKind::ProsecutorOffice, "PE-16", "Fiscal Loreto"),
            (Role::LabourInspector, "inspectora", OrgKind::LabourInspectorate, "PE-17", "Inspectora SUNAFIL Madre de Dios"),
            (Role::CaseWorker, "trabajadora-social", OrgKind::Ngo, "PE-16", "Trabajadora social ONG Loreto"),
            (Role::ShelterStaff, "albergue", OrgKind::Shelter, "PE-16", "Personal CAR Loreto"),
            (Role::Analyst, "analista", OrgKind::CoordinatingBody, "PE-15", "Analista Comisión"),
            (Role::Coordinator, "coordinadora", OrgKind::CoordinatingBody, "PE-15", "Coordinadora Nacional"),
            (Role::OrgAdmin, "admin-loreto", OrgKind::PoliceUnit, "PE-16", "Administrador PNP Loreto"),
            (Role::SystemAdmin, "admin", OrgKind::Ministry, "PE-15", "Administradora del sistema"),
        ];
        let mut accounts = Vec::new();
        for (role, local, kind, region, name) in plan {
            let Some(org) = find(kind, region) else { continue };
            let email = format!("{local}@demo.amparo.pe");
            accounts.push(DemoAccount { email: email.clone(), role, org_name: org.name.clone() });
            let account = DemoAccountInput { org: &org, email: &email, display_name: name, role, password: DEMO_PASSWORD };
            let Some(user) = self.bulk().demo_account(ctx, account).await? else { continue };
            if role == Role::Investigator {
                let as_investigator = crate::acting_as(ctx, &user.id, &user.org_id, role);
                for p in demo_persons() {
                    self.protection().create_person(&as_investigator, &p).await?;
                }
            }
        }
        self.load_protection_demo(ctx).await?;
        self.load_cases_demo(ctx).await?;
        // Link the demo's persons now, so the review queue has the pairs from the start.
        self.linkage().linkage_tick().await?;
        self.system().checkpoint_now().await?;
        Ok(accounts)
    }
}

fn demo_persons() -> Vec<PersonInput> {
    let p = |role: &str, sex: &str, age: &str, given: &str, s1: &str, s2: &str, alias: &str, narrative: &str| PersonInput {
        role: role.into(),
        sex: sex.into(),
        approx_age: age.into(),
        given_names: given.into(),
        first_surname: s1.into(),
        second_surname: s2.into(),
        aliases: alias.into(),
        narrative: narrative.into(),
        ..Default::default()
    };
    vec![
        p(
            "possible_victim",
            "female",
            "16",
            "Rosa Elena",
            "Huamán",
            "Quispe",
            "La Flaca",
            "Rescatada en operativo en un bar de Iquitos; sin DNI.",
        ),
        p(
            "possible_victim",
            "female",
            "19",
            "María",
            "Ccori",
            "",
            "",
            "Captada con oferta falsa de trabajo en restaurante en Puerto Maldonado.",
        ),
        p("suspect", "male", "", "Jorge Luis", "Pérez", "Vásquez", "El Gringo", "Administrador del local; presunto captador."),
    ]
}
