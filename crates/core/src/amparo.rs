//! `Amparo`, what the web crate and the binary hold: the kernel behind an `Arc`, and one
//! accessor per pillar service. Every use case is a method of a pillar's service
//! (`app.intake().create_report(..)`), so this type stays a table of contents rather than
//! the god object it once was (see `kernel/services.rs`).

use crate::clock::Clock;
use crate::config::AuthConfig;
use crate::crypto::keyring::Keyring;
use crate::ctx::Ctx;
use crate::error::CoreResult;
use crate::kernel::Kernel;
use crate::paging::Page;
use crate::profile::CountryProfile;
use crate::random::Random;
use crate::store::Store;
use crate::usecases::{
    administration::{Access, Administration, BulkLoad, System},
    coordination::Coordination,
    identification::Identification,
    intake::Intake,
    linkage::Linkage,
    prosecution::Prosecution,
    protection::{Protection, Referrals},
    statistics::Statistics,
};
use amparo_domain::Timestamp;
use amparo_domain::paging::ListParams;
use std::sync::Arc;

#[derive(Clone)]
pub struct Amparo {
    k: Arc<Kernel>,
}

impl Amparo {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        keys: Arc<Keyring>,
        cfg: AuthConfig,
    ) -> CoreResult<Self> {
        Ok(Self { k: Arc::new(Kernel::new(store, clock, random, keys, cfg)?) })
    }

    /// The same service under another country profile.
    pub fn with_profile(self, profile: CountryProfile) -> Self {
        let mut k = Arc::unwrap_or_clone(self.k);
        k.profile = Arc::new(profile);
        Self { k: Arc::new(k) }
    }

    pub fn profile(&self) -> &CountryProfile {
        self.k.profile()
    }
    pub fn now(&self) -> Timestamp {
        self.k.now()
    }
    pub fn config(&self) -> &AuthConfig {
        self.k.config()
    }
    /// A fresh id for one operation's log lines (a run, a backup, a request).
    pub fn new_operation_id(&self) -> String {
        self.k.new_operation_id()
    }

    /// A page of a short list the caller already holds (organisations, users, countries),
    /// with a cursor sealed to this caller and list like every other.
    pub fn page_in_memory<T>(
        &self,
        ctx: &Ctx,
        list: &str,
        items: Vec<T>,
        key: impl Fn(&T) -> String,
        q: &ListParams,
    ) -> CoreResult<Page<T>> {
        self.k.page_in_memory(ctx, list, items, key, q)
    }

    /// Signing in and out, sessions, second factors, API tokens, capabilities.
    pub fn access(&self) -> Access {
        self.k.access()
    }
    /// Organisations and user accounts.
    pub fn administration(&self) -> Administration {
        self.k.administration()
    }
    /// The audit trail, keys, backups, health and reference geography.
    pub fn system(&self) -> System {
        self.k.system()
    }
    /// 1. Intake: reports from every channel, and their triage.
    pub fn intake(&self) -> Intake {
        self.k.intake()
    }
    /// 2. Identification: screenings and decisions.
    pub fn identification(&self) -> Identification {
        self.k.identification()
    }
    /// 3. Protection: persons, their files, assistance, prevention.
    pub fn protection(&self) -> Protection {
        self.k.protection()
    }
    /// 3. Protection: referrals and the services directory.
    pub fn referrals(&self) -> Referrals {
        self.k.referrals()
    }
    /// 4. Prosecution: cases, charges, appeals, the timeline.
    pub fn prosecution(&self) -> Prosecution {
        self.k.prosecution()
    }
    /// 5. Coordination: sharing, alerts, search.
    pub fn coordination(&self) -> Coordination {
        self.k.coordination()
    }
    /// 6. Statistics and exchange (CTDC, HTCDS).
    pub fn statistics(&self) -> Statistics {
        self.k.statistics()
    }
    /// Record linkage and the match review queue.
    pub fn linkage(&self) -> Linkage {
        self.k.linkage()
    }
    /// Loading prepared records in bulk, for an operator (`amparo-demo` loads through it).
    pub fn bulk_load(&self) -> BulkLoad {
        self.k.bulk_load()
    }
}
