//! The demo data set (`amparo demo`) and the synthetic generator (`amparo demo generate`), as
//! a client of core: everything here goes through core's public use cases, acting as the demo
//! accounts, or through its operator-only bulk loader (`Amparo::bulk_load`), which seals
//! identities and audits each batch. Nothing here reaches the store, the keys or a use case's
//! internals, so the demo cannot write what a real client could not.

pub mod load;
pub use load::*;
mod demo_cases;
pub mod demo_generate;
mod demo_history;
mod demo_names;
mod demo_protection;

pub use demo_generate::GenerateSummary;

use amparo_core::Amparo;
use amparo_core::usecases::administration::{Administration, BulkLoad, System};
use amparo_core::usecases::coordination::Coordination;
use amparo_core::usecases::identification::Identification;
use amparo_core::usecases::intake::Intake;
use amparo_core::usecases::linkage::Linkage;
use amparo_core::usecases::prosecution::Prosecution;
use amparo_core::usecases::protection::{Protection, Referrals};
use amparo_domain::Timestamp;

/// The demo and synthetic data sets over one `Amparo`.
#[derive(Clone)]
pub struct Demo {
    app: Amparo,
}

/// `app.demo()`, where `use amparo_demo::DemoExt` is in scope.
pub trait DemoExt {
    fn demo(&self) -> Demo;
}

impl DemoExt for Amparo {
    fn demo(&self) -> Demo {
        Demo { app: self.clone() }
    }
}

/// `base` (its operation id and address), acting as `user` of `org` in one `role`: the demo
/// writes as the people who would have, so each write is authorized and audited as theirs.
fn acting_as(
    base: &amparo_core::Ctx,
    user: &amparo_domain::UserId,
    org: &amparo_domain::OrgId,
    role: amparo_domain::Role,
) -> amparo_core::Ctx {
    use amparo_domain::policy::{Actor, UserActor};
    amparo_core::Ctx {
        actor: Some(Actor::User(UserActor { user_id: user.clone(), org_id: org.clone(), roles: vec![role], mfa_satisfied: true })),
        ..base.clone()
    }
}

/// The pillars the demo writes through, by the names core gives them.
impl Demo {
    fn now(&self) -> Timestamp {
        self.app.now()
    }
    fn bulk(&self) -> BulkLoad {
        self.app.bulk_load()
    }
    fn administration(&self) -> Administration {
        self.app.administration()
    }
    fn system(&self) -> System {
        self.app.system()
    }
    fn intake(&self) -> Intake {
        self.app.intake()
    }
    fn identification(&self) -> Identification {
        self.app.identification()
    }
    fn protection(&self) -> Protection {
        self.app.protection()
    }
    fn referrals(&self) -> Referrals {
        self.app.referrals()
    }
    fn prosecution(&self) -> Prosecution {
        self.app.prosecution()
    }
    fn coordination(&self) -> Coordination {
        self.app.coordination()
    }
    fn linkage(&self) -> Linkage {
        self.app.linkage()
    }
}
