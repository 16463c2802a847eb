//! The pillar services and the narrow store port each one holds.
//!
//! A service is a use-case surface (`Intake`, `Protection`, `Statistics`, …) plus the one
//! port bundle it was declared with (`IntakePorts`: the store traits its use cases call).
//! The port is an upcast of the whole store, so the type checker keeps each pillar off the
//! tables it does not own: a use case in `Access` that reached for `insert_record` would not
//! compile. Every service shares the kernel (policy, audit, sealing, clock) through `Deref`,
//! and reaches another pillar only through that pillar's service (`self.protection()`),
//! never through its tables.

use super::Kernel;
use crate::usecases::{
    administration::{Access, Administration, BulkLoad, System},
    coordination::Coordination,
    identification::Identification,
    intake::Intake,
    linkage::Linkage,
    prosecution::Prosecution,
    protection::{Protection, Referrals},
    scope::Scope,
    statistics::Statistics,
};
use std::sync::Arc;

/// Declares a service, its port bundle (`$ports`: the store traits it may call, and no
/// others) and its `Deref` to the shared kernel.
macro_rules! service {
    ($(#[$doc:meta])* $name:ident, $ports:ident: $first:path $(, $port:path)* $(,)?) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            pub(crate) k: std::sync::Arc<crate::kernel::Kernel>,
            pub(crate) store: std::sync::Arc<dyn $ports>,
        }

        #[doc = concat!("The store traits `", stringify!($name), "` may call, and no others.")]
        pub trait $ports: $first $(+ $port)* {}
        impl<T: $first $(+ $port)* + ?Sized> $ports for T {}

        impl std::ops::Deref for $name {
            type Target = std::sync::Arc<crate::kernel::Kernel>;
            fn deref(&self) -> &Self::Target {
                &self.k
            }
        }
    };
}
pub(crate) use service;

/// Each pillar's service over the one kernel; the store is narrowed to the service's port
/// here, where the whole store is in reach, and nowhere else.
macro_rules! accessors {
    ($($acc:ident -> $name:ident),+ $(,)?) => {
        impl Kernel {
            $(
                pub(crate) fn $acc(self: &Arc<Self>) -> $name {
                    $name { k: self.clone(), store: self.store.clone() }
                }
            )+
        }
    };
}

accessors! {
    access -> Access,
    administration -> Administration,
    system -> System,
    intake -> Intake,
    identification -> Identification,
    protection -> Protection,
    referrals -> Referrals,
    prosecution -> Prosecution,
    coordination -> Coordination,
    statistics -> Statistics,
    linkage -> Linkage,
    bulk_load -> BulkLoad,
    scope -> Scope,
}
