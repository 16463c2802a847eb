//! Protection screens: persons and their file, referrals and services, the referral gap, notifications.

pub mod persons;
pub mod referrals;
