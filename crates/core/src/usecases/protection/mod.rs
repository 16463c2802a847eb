//! Protection: persons, referrals to services with consent and capacity, assistance, the referral gap, notifications, attachments, prevention work.

pub mod attachments;
pub mod persons;
pub mod prevention;
pub mod referrals;
