-- Paging: every list reads one page, newest first (created_at descending, then id), from a
-- position after the last row shown. These indexes let the database walk an organisation's
-- rows (owned, or as the second party) in exactly that order and stop at the page's end,
-- instead of sorting everything the organisation has ever touched.
CREATE INDEX reports_owner_recent ON reports (org_id, created_at DESC, id);
CREATE INDEX reports_party_recent ON reports (party_org, created_at DESC, id);
CREATE INDEX operations_owner_recent ON operations (org_id, created_at DESC, id);
CREATE INDEX operations_party_recent ON operations (party_org, created_at DESC, id);
CREATE INDEX inspections_owner_recent ON inspections (org_id, created_at DESC, id);
CREATE INDEX inspections_party_recent ON inspections (party_org, created_at DESC, id);
CREATE INDEX screenings_owner_recent ON screenings (org_id, created_at DESC, id);
CREATE INDEX screenings_party_recent ON screenings (party_org, created_at DESC, id);
CREATE INDEX decisions_owner_recent ON decisions (org_id, created_at DESC, id);
CREATE INDEX decisions_party_recent ON decisions (party_org, created_at DESC, id);
CREATE INDEX services_owner_recent ON services (org_id, created_at DESC, id);
CREATE INDEX services_party_recent ON services (party_org, created_at DESC, id);
CREATE INDEX referrals_owner_recent ON referrals (org_id, created_at DESC, id);
CREATE INDEX referrals_party_recent ON referrals (party_org, created_at DESC, id);
CREATE INDEX assistance_owner_recent ON assistance (org_id, created_at DESC, id);
CREATE INDEX assistance_party_recent ON assistance (party_org, created_at DESC, id);
CREATE INDEX notifications_owner_recent ON notifications (org_id, created_at DESC, id);
CREATE INDEX notifications_party_recent ON notifications (party_org, created_at DESC, id);
CREATE INDEX cases_owner_recent ON cases (org_id, created_at DESC, id);
CREATE INDEX cases_party_recent ON cases (party_org, created_at DESC, id);
CREATE INDEX case_links_owner_recent ON case_links (org_id, created_at DESC, id);
CREATE INDEX case_links_party_recent ON case_links (party_org, created_at DESC, id);
CREATE INDEX case_events_owner_recent ON case_events (org_id, created_at DESC, id);
CREATE INDEX case_events_party_recent ON case_events (party_org, created_at DESC, id);
CREATE INDEX charges_owner_recent ON charges (org_id, created_at DESC, id);
CREATE INDEX charges_party_recent ON charges (party_org, created_at DESC, id);
CREATE INDEX shares_owner_recent ON shares (org_id, created_at DESC, id);
CREATE INDEX shares_party_recent ON shares (party_org, created_at DESC, id);
CREATE INDEX tasks_owner_recent ON tasks (org_id, created_at DESC, id);
CREATE INDEX tasks_party_recent ON tasks (party_org, created_at DESC, id);
CREATE INDEX alerts_owner_recent ON alerts (org_id, created_at DESC, id);
CREATE INDEX alerts_party_recent ON alerts (party_org, created_at DESC, id);
CREATE INDEX prevention_owner_recent ON prevention (org_id, created_at DESC, id);
CREATE INDEX prevention_party_recent ON prevention (party_org, created_at DESC, id);
CREATE INDEX attachments_owner_recent ON attachments (org_id, created_at DESC, id);
CREATE INDEX attachments_party_recent ON attachments (party_org, created_at DESC, id);
CREATE INDEX person_matches_owner_recent ON person_matches (org_id, created_at DESC, id);
CREATE INDEX person_matches_party_recent ON person_matches (party_org, created_at DESC, id);

-- The match review queue filters by organisation and status (no index had either).
CREATE INDEX person_matches_by_org ON person_matches (org_id, status);
CREATE INDEX person_matches_by_party ON person_matches (party_org, status);

-- Persons of an organisation, newest first.
CREATE INDEX persons_recent ON persons (org_id, created_at DESC, id);

-- An organisation administrator's audit viewer reads the trail of their organisation only.
CREATE INDEX audit_by_actor_org ON audit_log (actor_org, seq);

-- A unit's tasks, soonest due first.
CREATE INDEX tasks_due ON tasks (org_id, status, occurred_at, id);
