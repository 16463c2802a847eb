//! Typed rows: a record table's row as a struct of its own, with named fields, enums for
//! its kind and status, newtype ids and typed `attrs`. The store keeps one shared shape
//! (`RecordRow`) so that one conformance suite and the statistics scan cover every table;
//! the conversion to and from that shape happens here and nowhere else, so a use case that
//! reads a referral gets a `Referral` whose `service` is a `ServiceId`, rather than a
//! `lookup` string that means something different in every table.
//!
//! A stored row that does not convert (an unknown status, unreadable attrs) is an internal
//! error naming the table and row, never a silently defaulted value.

pub mod alert;
pub mod assistance;
pub mod attachment;
pub mod case;
pub mod charge;
pub mod decision;
pub mod intake;
pub mod notification;
pub mod person_match;
pub mod prevention;
pub mod referral;
pub mod screening;
pub mod service;
pub mod share;
pub mod task;

use crate::error::{CoreError, CoreResult};
use crate::store::{RecordRow, RecordStore, RecordTable, RowFilter};
use amparo_domain::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The book-keeping every row carries: its version (optimistic locking) and who wrote it when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub version: i64,
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
}

impl Stamp {
    /// A new row's stamp: version 1, written now by `by`.
    pub fn new(now: Timestamp, by: &str) -> Stamp {
        Stamp { version: 1, created_at: now, created_by: by.to_owned(), updated_at: now }
    }

    /// The stamp of the next version of a row, changed now.
    pub fn next(&self, now: Timestamp) -> Stamp {
        Stamp { version: self.version + 1, updated_at: now, ..self.clone() }
    }

    fn of(r: &RecordRow) -> Stamp {
        Stamp { version: r.version, created_at: r.created_at, created_by: r.created_by.clone(), updated_at: r.updated_at }
    }
}

/// A table's typed row.
pub trait Row: Sized {
    const TABLE: RecordTable;
    fn id(&self) -> &str;
    /// From the stored shape; an error when a column does not hold what this table keeps there.
    fn from_row(r: RecordRow) -> CoreResult<Self>;
    /// To the stored shape.
    fn to_row(&self) -> CoreResult<RecordRow>;
}

/// The error for a stored row that does not convert: internal (a bug or a hand-edited
/// database), naming the table, the row and the column.
pub(crate) fn unreadable(table: RecordTable, id: &str, column: &str) -> CoreError {
    CoreError::Internal(format!("{} {id}: unreadable {column}", table.name()))
}

/// A row's `attrs` JSON as its table's type.
pub(crate) fn read_attrs<T: DeserializeOwned>(table: RecordTable, r: &RecordRow) -> CoreResult<T> {
    serde_json::from_str(&r.attrs).map_err(|_| unreadable(table, &r.id, "attrs"))
}

pub(crate) fn write_attrs<T: Serialize>(v: &T) -> CoreResult<String> {
    serde_json::to_string(v).map_err(CoreError::internal)
}

/// A required text column (`None` in the stored row is unreadable for this table).
pub(crate) fn required(table: RecordTable, r: &RecordRow, column: &str, v: Option<String>) -> CoreResult<String> {
    v.ok_or_else(|| unreadable(table, &r.id, column))
}

/// The stored shape of a row with these columns and stamp, nothing else set (attrs `{}`);
/// a table's `to_row` fills in the columns it uses.
pub(crate) fn stored(id: &str, org: &amparo_domain::OrgId, kind: &str, status: &str, stamp: &Stamp) -> RecordRow {
    RecordRow {
        id: id.to_owned(),
        org_id: org.clone(),
        party_org: None,
        subject_id: None,
        kind: kind.to_owned(),
        status: status.to_owned(),
        area_code: None,
        lookup: None,
        occurred_at: Some(stamp.created_at),
        version: stamp.version,
        created_at: stamp.created_at,
        created_by: stamp.created_by.clone(),
        updated_at: stamp.updated_at,
        attrs: "{}".into(),
        sealed: None,
    }
}

/// One row by id, typed.
pub(crate) async fn get<T: Row>(store: &(impl RecordStore + ?Sized), id: &str) -> CoreResult<Option<T>> {
    store.get_row(T::TABLE, id).await?.map(T::from_row).transpose()
}

/// The rows `filter` finds, typed, in the store's order.
pub(crate) async fn find<T: Row>(store: &(impl RecordStore + ?Sized), filter: &RowFilter) -> CoreResult<Vec<T>> {
    store.find_rows(T::TABLE, filter).await?.into_iter().map(T::from_row).collect()
}

/// Stored rows (a page already scanned), typed.
pub(crate) fn typed<T: Row>(rows: Vec<RecordRow>) -> CoreResult<Vec<T>> {
    rows.into_iter().map(T::from_row).collect()
}

/// A batch entry for a typed row.
pub(crate) fn entry<T: Row>(r: &T) -> CoreResult<(RecordTable, RecordRow)> {
    Ok((T::TABLE, r.to_row()?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::notification::{Notification, NotificationId, NotificationStatus};
    use super::referral::{Referral, ReferralAttrs, ReferralId, ReferralStep};
    use super::service::{Service, ServiceAttrs, ServiceId, ServiceStatus};
    use super::*;
    use amparo_domain::protection::{ReferralStatus, ServiceKind, Specialisation};
    use amparo_domain::{OrgId, PersonId};

    fn stamp() -> Stamp {
        Stamp { version: 3, created_at: 100, created_by: "u1".into(), updated_at: 200 }
    }

    fn service() -> Service {
        Service {
            id: ServiceId("s1".into()),
            org_id: OrgId::from_trusted("o1".into()),
            kind: ServiceKind::Shelter,
            status: ServiceStatus::Inactive,
            region: "PE-LOR".into(),
            attrs: ServiceAttrs {
                name: "Casa".into(),
                specialisations: vec![Specialisation::Children],
                capacity: 12,
                contact_protocol: "Llamar".into(),
            },
            sealed: Some(vec![1, 2, 3]),
            stamp: stamp(),
        }
    }

    fn referral(status: ReferralStatus) -> Referral {
        Referral {
            id: ReferralId("r1".into()),
            from_org: OrgId::from_trusted("o1".into()),
            to_org: OrgId::from_trusted("o2".into()),
            person: PersonId::from_trusted("p1".into()),
            service: ServiceId("s1".into()),
            service_kind: ServiceKind::Health,
            status,
            region: Some("PE-LIM".into()),
            referred_at: Some(86_400),
            attrs: ReferralAttrs {
                service_name: "Posta".into(),
                consent: None,
                without_consent: true,
                steps: vec![ReferralStep { at: 5, by: "u1".into(), status, reason: Some("x".into()), capacity_override: false }],
            },
            sealed: None,
            stamp: stamp(),
        }
    }

    #[test]
    fn every_typed_row_survives_the_stored_shape() {
        assert_eq!(Service::from_row(service().to_row().unwrap()).unwrap(), service());
        for s in ReferralStatus::ALL {
            let r = referral(*s);
            let stored = r.to_row().unwrap();
            assert_eq!(stored.status, s.as_str(), "the stored status is the domain's own spelling");
            assert_eq!(Referral::from_row(stored).unwrap(), r);
        }
        let n = Notification {
            id: NotificationId("n1".into()),
            to: OrgId::from_trusted("o1".into()),
            kind: "referral_requested".into(),
            status: NotificationStatus::Read,
            link: "/referrals/r1".into(),
            stamp: stamp(),
        };
        assert_eq!(Notification::from_row(n.to_row().unwrap()).unwrap(), n);
    }

    /// Every other table's row, each with every optional column filled, survives the trip.
    #[test]
    fn the_case_file_rows_survive_the_stored_shape() {
        use amparo_domain::cases::{CaseExploitation, CaseRole, CaseStatus, EventKind, Verdict};
        fn trip<T: Row + PartialEq + std::fmt::Debug + Clone>(x: T) {
            let stored = x.to_row().unwrap();
            assert_eq!(stored.id, x.id(), "{:?}", T::TABLE);
            assert_eq!(T::from_row(stored).unwrap(), x, "{:?}", T::TABLE);
        }
        let org = || OrgId::from_trusted("o1".into());
        let case = case::Case {
            id: "c1".into(),
            org_id: org(),
            reference: "C-2026-ABCDEF".into(),
            exploitation: CaseExploitation::ForcedLabour,
            status: CaseStatus::Trial,
            place: Some("PE-MDD".into()),
            opened_at: Some(10),
            attrs: case::CaseAttrs { title: "t".into(), restricted: true, external_id: Some("X1".into()), ..Default::default() },
            sealed: Some(vec![9]),
            stamp: stamp(),
        };
        trip(case);
        trip(case::CaseLink {
            id: "l1".into(),
            org_id: org(),
            case_id: "c1".into(),
            person: PersonId::from_trusted("p1".into()),
            role: CaseRole::Suspect,
            status: case::LinkStatus::Active,
            attrs: case::CaseLinkAttrs { official_complicity: true },
            stamp: stamp(),
        });
        trip(case::CaseEvent {
            id: "e1".into(),
            org_id: org(),
            case_id: "c1".into(),
            kind: EventKind::Transit,
            date: "2025-02-03".into(),
            place: Some("BO".into()),
            on: Some(86_400),
            stamp: stamp(),
        });
        for status in [charge::ChargeStatus::Filed, charge::ChargeStatus::Decided(Verdict::Acquitted)] {
            trip(charge::Charge {
                id: "ch1".into(),
                org_id: org(),
                case_id: "c1".into(),
                defendant: PersonId::from_trusted("p2".into()),
                statute: "pe-cp-153-2007".into(),
                status,
                place: Some("PE-LIM".into()),
                filed_at: Some(5),
                attrs: charge::ChargeAttrs { offence_date: "2024-01-01".into(), ..Default::default() },
                stamp: stamp(),
            });
        }
        trip(share::Share {
            id: "s1".into(),
            owner: org(),
            case_id: "c1".into(),
            to_org: OrgId::from_trusted("o2".into()),
            status: share::ShareStatus::Revoked,
            attrs: share::ShareAttrs { until: "2027-01-01".into(), hide_identities: true, ..Default::default() },
            stamp: stamp(),
        });
        trip(task::Task {
            id: "t1".into(),
            org_id: org(),
            case_id: "c1".into(),
            assignee: "a@x.pe".into(),
            status: task::TaskStatus::Done,
            due_at: Some(7),
            attrs: task::TaskAttrs { title: "Citar".into() },
            stamp: stamp(),
        });
        trip(alert::Alert {
            id: "a1".into(),
            org_id: org(),
            person: PersonId::from_trusted("p1".into()),
            other_org: OrgId::from_trusted("o2".into()),
            other_person: PersonId::from_trusted("p9".into()),
            basis: alert::AlertBasis::NameAndBirthDate,
            status: alert::AlertStatus::NotSame,
            stamp: stamp(),
        });
        // A stored charge whose status is neither "filed" nor a verdict does not read.
        let bad = RecordRow { status: "pending".into(), ..referral(ReferralStatus::Accepted).to_row().unwrap() };
        assert!(charge::Charge::from_row(RecordRow { kind: "pe-cp-153-2007".into(), ..bad }).is_err());
    }

    /// Rows sit below the use cases: a use case may build on a row type, never the other way
    /// round (or a pillar's types would leak into every other pillar through the rows).
    #[test]
    fn rows_import_nothing_from_the_use_cases() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rows");
        let mut read = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            read += 1;
            for line in text.lines().filter(|l| l.trim_start().starts_with("use ")) {
                assert!(!line.contains("usecases"), "{}: {line}", path.display());
            }
        }
        assert!(read >= 15, "read the row modules: {read}");
    }

    #[test]
    fn a_stored_row_that_does_not_fit_its_table_is_an_error_not_a_default() {
        let good = referral(ReferralStatus::Accepted).to_row().unwrap();
        let cases: [(&str, RecordRow); 5] = [
            ("status", RecordRow { status: "maybe".into(), ..good.clone() }),
            ("kind", RecordRow { kind: "spa".into(), ..good.clone() }),
            ("attrs", RecordRow { attrs: "{".into(), ..good.clone() }),
            ("party_org", RecordRow { party_org: None, ..good.clone() }),
            ("lookup", RecordRow { lookup: None, ..good.clone() }),
        ];
        for (column, bad) in cases {
            match Referral::from_row(bad) {
                Err(CoreError::Internal(m)) => assert_eq!(m, format!("referrals r1: unreadable {column}")),
                other => panic!("{column}: {other:?}"),
            }
        }
        let svc = service().to_row().unwrap();
        assert!(Service::from_row(RecordRow { area_code: None, ..svc.clone() }).is_err(), "a service has a region");
        assert!(Service::from_row(RecordRow { status: "open".into(), ..svc }).is_err());
    }
}
