//! The closed vocabularies of record kinds and states that carry no rules of their own
//! (a referral's, a report's or a case's, which do, live with those rules). Each is kept in
//! the database in exactly the spelling given, so the rows convert without a table of
//! their own (`core::rows`).

use crate::intake::str_enum;
use serde::{Deserialize, Serialize};

// Whether a service takes referrals (an inactive one stays for the referrals it had).
str_enum!(ServiceStatus { Active = "active", Inactive = "inactive" });
str_enum!(NotificationStatus { Unread = "unread", Read = "read" });
// Why two persons were matched (the locales' `alert-basis-*`), and one side's decision.
str_enum!(AlertBasis { Document = "document", NameAndBirthDate = "name_and_birth_date", RecordLinkage = "record_linkage" });
str_enum!(AlertStatus { Open = "open", Confirmed = "confirmed", NotSame = "not_same" });
// Where a record-linkage pair stands: pending review, linked (the same person), rejected
// (not the same), unlinked (a link undone, with a reason), withdrawn (the engine no longer
// proposes it; no person decided).
str_enum!(MatchStatus { Pending = "pending", Linked = "linked", Rejected = "rejected", Unlinked = "unlinked", Withdrawn = "withdrawn" });
str_enum!(ScreeningStatus { Draft = "draft", Final = "final" });
// A person's link to a case stays active; there is no unlinking yet (the column is kept).
str_enum!(LinkStatus { Active = "active" });
str_enum!(ShareStatus { Requested = "requested", Granted = "granted", Refused = "refused", Revoked = "revoked" });
str_enum!(TaskStatus { Open = "open", Done = "done" });
str_enum!(AttachmentStatus { Active = "active" });
