//! Cross-agency alerts: when a newly recorded victim or suspect matches a person held by
//! another organisation, both organisations are told "a possible match exists in
//! organisation X, contact them" — and nothing else of the other's record.
//!
//! Matching today is exact, on keyed hashes (HMAC under a key derived from the master key) of
//! the normalised document number, and of normalised given name + first surname + date of
//! birth. The hashes sit in clear columns so the database can find equal values, yet say
//! nothing without the key. Fuzzy matching (the record-linkage engine) plugs into
//! `raise_match_alerts` with its own candidate list.

use super::Coordination;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::paging::{Page, row_key, scanned};
use crate::random::RandomExt;
use crate::rows::alert::{Alert, AlertBasis, AlertStatus};
use crate::rows::{self, Row, Stamp};
use crate::store::{Batch, PersonRecord, RecordRow, RecordTable, RowFilter};
use amparo_domain::OrgId;
use amparo_domain::paging::ListParams;
use amparo_domain::person::{Identity, PersonRole};
use amparo_domain::policy::{Action, Relation};
use serde::Serialize;

const MATCH_PURPOSE: &str = "amparo person match v1";

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct AlertView {
    pub id: String,
    /// The caller's own person (pseudonymous code).
    pub person_id: String,
    pub person_code: String,
    /// The other organisation to contact. Nothing of its record is shown.
    pub other_org: OrgId,
    pub basis: String,
    pub status: String,
    pub version: i64,
}

/// Fold case and accents, keep letters and digits, collapse spaces.
fn fold(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            c => c,
        };
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with(' ') && !out.is_empty() {
            out.push(' ');
        }
    }
    out.trim().to_owned()
}

/// Document-type words people type in front of a number.
const TYPE_WORDS: &[&str] = &["DNI", "DNINRO", "DNINO", "CE", "CEX", "LE", "NRO", "NUM", "NO", "PASAPORTE", "PASAPORTENRO"];

/// Letters and digits, upper case; a typed-in type word ("DNI 40912377", "CE-001234") is
/// dropped when the rest is all digits, so the same number matches however it was typed.
/// Letters that belong to the number (passports: "AB123456") stay.
fn normalise_document(d: &str) -> String {
    let s: String = d.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_uppercase();
    let split = s.find(|c: char| c.is_ascii_digit()).unwrap_or(s.len());
    let (prefix, rest) = s.split_at(split);
    if TYPE_WORDS.contains(&prefix) && rest.len() >= 5 && rest.chars().all(|c| c.is_ascii_digit()) { rest.to_owned() } else { s }
}

/// The normalised matching keys of an identity (before hashing).
pub fn match_keys(identity: &Identity) -> (Option<String>, Option<String>) {
    // A placeholder ("SIN DNI", "NO TIENE", "00000000") is not a document: it would make every
    // undocumented person "the same".
    let doc = identity.document_number.as_deref().map(normalise_document).filter(|d| {
        let digits: Vec<char> = d.chars().filter(char::is_ascii_digit).collect();
        d.len() >= 5 && digits.len() >= 5 && digits.iter().any(|c| Some(c) != digits.first())
    });
    let name_dob = match (&identity.given_names, &identity.first_surname, &identity.birth_date) {
        (Some(g), Some(s), Some(b)) => {
            let first_given = fold(g).split(' ').next().unwrap_or("").to_owned();
            Some(format!("{first_given}|{}|{b}", fold(s))).filter(|_| !first_given.is_empty())
        }
        _ => None,
    };
    (doc, name_dob)
}

impl Coordination {
    pub(crate) fn keyed(&self, kind: &str, value: &str) -> String {
        crate::crypto::csrf_token(&self.keys, &format!("{MATCH_PURPOSE}|{kind}|{value}"))
    }

    /// Store the person's match hashes and alert both organisations about exact matches held
    /// elsewhere. Called after a person is recorded or edited.
    pub(crate) async fn index_and_alert(&self, ctx: &Ctx, person: &PersonRecord, identity: &Identity) -> CoreResult<()> {
        let (doc, name_dob) = match_keys(identity);
        let doc = doc.map(|d| self.keyed("doc", &d));
        let name_dob = name_dob.map(|n| self.keyed("name_dob", &n));
        self.store.set_person_match(&person.id, doc.as_deref(), name_dob.as_deref()).await?;
        if !matches!(person.role, PersonRole::PossibleVictim | PersonRole::Victim | PersonRole::Suspect)
            || (doc.is_none() && name_dob.is_none())
        {
            return Ok(());
        }
        let candidates: Vec<(PersonRecord, AlertBasis)> = self
            .store
            .persons_matching(doc.as_deref(), name_dob.as_deref())
            .await?
            .into_iter()
            .filter(|p| p.id != person.id && p.org_id != person.org_id)
            .map(|p| (p, if doc.is_some() { AlertBasis::Document } else { AlertBasis::NameAndBirthDate }))
            .collect();
        self.raise_match_alerts(ctx, person, &candidates).await.map(|_| ())
    }

    /// One alert per side and per pair of persons not already alerted; returns how many pairs
    /// were alerted.
    pub async fn raise_match_alerts(
        &self,
        ctx: &Ctx,
        person: &PersonRecord,
        candidates: &[(PersonRecord, AlertBasis)],
    ) -> CoreResult<usize> {
        let inserts = self.match_alert_rows(person, candidates).await?;
        if inserts.is_empty() {
            return Ok(0);
        }
        let pairs = inserts.len() / 4;
        let mut ev = ctx.event(self.now(), "raise_match_alert", "ok", "person", person.id.as_str());
        ev.details = serde_json::json!({ "alerts": pairs }).to_string();
        self.commit(&Batch { inserts, updates: vec![] }, &ev).await?;
        Ok(pairs)
    }

    /// The rows `raise_match_alerts` writes (alerts and notifications, both sides), for callers
    /// that commit them in their own batch (record linkage).
    pub(crate) async fn match_alert_rows(
        &self,
        person: &PersonRecord,
        candidates: &[(PersonRecord, AlertBasis)],
    ) -> CoreResult<Vec<(RecordTable, RecordRow)>> {
        let mut inserts = Vec::new();
        for (other, basis) in candidates {
            let pair = RowFilter {
                subject_ids: vec![person.id.to_string()],
                lookup: Some(other.id.to_string()),
                limit: Some(1),
                ..Default::default()
            };
            if self.store.count_rows(Alert::TABLE, &pair).await? > 0 {
                continue;
            }
            inserts.push(self.notify(&person.org_id, "match_alert", "/alerts"));
            inserts.push(self.notify(&other.org_id, "match_alert", "/alerts"));
            inserts.push(rows::entry(&self.alert(person, other, *basis))?);
            inserts.push(rows::entry(&self.alert(other, person, *basis))?);
        }
        Ok(inserts)
    }

    /// `mine`'s side of an open alert about `other`.
    fn alert(&self, mine: &PersonRecord, other: &PersonRecord, basis: AlertBasis) -> Alert {
        Alert {
            id: self.random.new_id(),
            org_id: mine.org_id.clone(),
            person: mine.id.clone(),
            other_org: other.org_id.clone(),
            other_person: other.id.clone(),
            basis,
            status: AlertStatus::Open,
            stamp: Stamp::new(self.now(), "system"),
        }
    }

    /// Alerts about the caller's organisation's persons.
    pub async fn list_alerts(&self, ctx: &Ctx, q: &ListParams) -> CoreResult<Page<AlertView>> {
        self.authorize(ctx, Action::HandleAlerts, Relation::OwnOrgScope, "alert", "").await?;
        let org = ctx.org_id().ok_or(CoreError::Unauthenticated)?.clone();
        let page = self.page_request(ctx, "alerts", q.limit.as_deref(), q.cursor.as_deref())?;
        let statuses: Vec<&str> = AlertStatus::ALL.iter().map(|s| s.as_str()).collect();
        let filter = q.filter(&statuses).map_err(CoreError::Validation)?;
        let base = RowFilter { owners: vec![org], ..Default::default() };
        let seen = scanned(self.scan_rows(Alert::TABLE, base, &filter, &page).await?, page.limit, row_key);
        let alerts = rows::typed::<Alert>(seen.rows)?;
        let ids: Vec<String> = alerts.iter().map(|a| a.person.to_string()).collect();
        let persons = self.store.persons_by_ids(&ids).await?;
        self.append(&ctx.event(self.now(), "list_alerts", "ok", "alert", "")).await?;
        let items = alerts
            .into_iter()
            .map(|a| AlertView {
                id: a.id,
                person_code: persons.iter().find(|p| p.id == a.person).map(|p| p.code.clone()).unwrap_or_default(),
                person_id: a.person.to_string(),
                other_org: a.other_org,
                basis: a.basis.as_str().into(),
                status: a.status.as_str().into(),
                version: a.stamp.version,
            })
            .collect();
        Ok(self.page_of(ctx, "alerts", items, seen.next))
    }

    /// Record the organisation's decision on its side of an alert.
    pub async fn decide_alert(&self, ctx: &Ctx, alert_id: &str, decision: &str, version: i64) -> CoreResult<()> {
        let status = match decision.trim() {
            "confirm" => AlertStatus::Confirmed,
            "not_same" => AlertStatus::NotSame,
            _ => return Err(CoreError::field("decision", "invalid_choice")),
        };
        let found = rows::get::<Alert>(&*self.store, alert_id).await?;
        let rel = match &found {
            Some(a) if ctx.org_id() == Some(&a.org_id) => Relation::SameOrg,
            _ => Relation::Unrelated,
        };
        self.authorize(ctx, Action::HandleAlerts, rel, "alert", alert_id).await?;
        let found = found.ok_or(CoreError::NotFound)?;
        if found.stamp.version != version {
            return Err(CoreError::Conflict { current: serde_json::Value::Null });
        }
        let updated = Alert { status, stamp: found.stamp.next(self.now()), ..found };
        let mut ev = ctx.event(self.now(), "decide_alert", "ok", "alert", alert_id);
        ev.details = serde_json::json!({ "decision": status.as_str() }).to_string();
        self.commit(&Batch { inserts: vec![], updates: vec![rows::entry(&updated)?] }, &ev).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn match_keys_ignore_case_accents_spacing_and_punctuation() {
        let a = Identity {
            given_names: Some("José  Luis".into()),
            first_surname: Some("Huamán".into()),
            birth_date: Some("2001-02-03".into()),
            document_number: Some("dni 40-912-377".into()),
            ..Default::default()
        };
        let b = Identity {
            given_names: Some("JOSE".into()),
            first_surname: Some("huaman".into()),
            birth_date: Some("2001-02-03".into()),
            document_number: Some("40912377".into()),
            ..Default::default()
        };
        let (da, na) = match_keys(&a);
        let (db, nb) = match_keys(&b);
        assert_eq!(na, nb);
        assert_eq!(da, db, "a typed-in DNI prefix and punctuation do not matter");
        assert_eq!(da.as_deref(), Some("40912377"));
        assert_eq!(normalise_document("P-AB123456"), "PAB123456", "a passport number keeps its letters");
        for placeholder in ["SIN DNI", "no tiene", "00000000", "11111111"] {
            let p = Identity { document_number: Some(placeholder.into()), ..Default::default() };
            assert_eq!(match_keys(&p).0, None, "{placeholder} is not a document");
        }
        let no_dob = Identity { birth_date: None, ..b };
        assert_eq!(match_keys(&no_dob).1, None, "name without date of birth is not a key");
    }
}
