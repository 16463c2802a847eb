//! Protection: persons, referrals to services with consent and capacity, assistance, the referral gap, notifications, attachments, prevention work.

pub mod attachments;
pub mod persons;
pub mod prevention;
pub mod referrals;

use crate::kernel::services::service;
use crate::store::ports::*;

service! {
    /// Persons, their files and attachments, assistance and prevention activities.
    Protection, ProtectionPorts: PersonStore, RecordStore
}

service! {
    /// Tracked referrals to shelters and services, and the services directory.
    Referrals, ReferralsPorts: OrgStore, PersonStore, RecordStore, ReferenceStore
}
