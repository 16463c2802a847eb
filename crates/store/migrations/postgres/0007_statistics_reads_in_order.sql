-- A report reads one year of the statistics projection and of a few record tables (see the
-- SQLite migration of the same number). PostgreSQL stores rows in a heap whatever the index,
-- so the indexes here carry the short columns those reads use (INCLUDE), for index-only
-- scans once a table is vacuumed. A victim's fact and an operation's attrs are left out: an
-- index entry has a size limit that a long value could pass.
-- A charge carries its defendant's group (kept equal to stat_groups by every write of
-- either), so reading a year of charges joins nothing.
ALTER TABLE stat_charges ADD COLUMN group_id TEXT;
UPDATE stat_charges SET group_id = g.group_id FROM stat_groups g WHERE g.person_id = stat_charges.person_id;
CREATE INDEX stat_charges_by_person ON stat_charges (person_id);
DROP INDEX stat_charges_by_filed;
CREATE INDEX stat_charges_by_filed ON stat_charges (filed_day) INCLUDE (case_id, case_kind, labour_sector, sexual_form, person_id,
    decided_day, verdict, sentence_months, area_code, org_id, group_id);
DROP INDEX stat_charges_by_decided;
CREATE INDEX stat_charges_by_decided ON stat_charges (decided_day, verdict, case_id, person_id) INCLUDE (filed_day, case_kind,
    labour_sector, sexual_form, sentence_months, area_code, org_id, group_id);
CREATE INDEX stat_groups_by_person ON stat_groups (person_id) INCLUDE (group_id);
DROP INDEX reports_by_day;
CREATE INDEX reports_by_day ON reports ((COALESCE(occurred_at, created_at))) INCLUDE (occurred_at, created_at, area_code, org_id);
DROP INDEX referrals_by_day;
CREATE INDEX referrals_by_day ON referrals ((COALESCE(occurred_at, created_at))) INCLUDE (subject_id, occurred_at, created_at, kind,
    status, area_code, org_id);
