-- A report reads one year of the statistics projection and of a few record tables. Through
-- an index on the day alone, each row is then fetched from wherever the table stored it: at
-- a million cases that was some 780,000 page reads (a page per row) and half the report's
-- time. These indexes hold every column those reads use, so a year is one run of adjacent
-- index pages. The projection's are derived data (rebuilt on demand); the record tables'
-- hold no identity (ids, kinds, places, days, and an operation's counts).
DROP INDEX stat_victims_by_identified;
CREATE INDEX stat_victims_by_identified ON stat_victims (identified_year, group_id, body);
DROP INDEX stat_victims_by_possible;
CREATE INDEX stat_victims_by_possible ON stat_victims (possible_last, possible_first, identified_year, group_id, body);
-- A person's group in one lookup: the table becomes its primary key's b-tree (WITHOUT ROWID),
-- so a join from a row to its person's group reads no second structure.
CREATE TABLE stat_groups_keyed (
    person_id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO stat_groups_keyed (person_id, group_id) SELECT person_id, group_id FROM stat_groups;
DROP TABLE stat_groups;
ALTER TABLE stat_groups_keyed RENAME TO stat_groups;
CREATE INDEX stat_groups_by_group ON stat_groups (group_id);
-- A charge carries its defendant's group (kept equal to stat_groups by every write of
-- either), so reading a year of charges joins nothing.
ALTER TABLE stat_charges ADD COLUMN group_id TEXT;
UPDATE stat_charges SET group_id = (SELECT g.group_id FROM stat_groups g WHERE g.person_id = stat_charges.person_id);
CREATE INDEX stat_charges_by_person ON stat_charges (person_id);
DROP INDEX stat_charges_by_filed;
CREATE INDEX stat_charges_by_filed ON stat_charges (filed_day, case_id, case_kind, labour_sector, sexual_form, person_id, decided_day,
    verdict, sentence_months, area_code, org_id, group_id);
DROP INDEX stat_charges_by_decided;
CREATE INDEX stat_charges_by_decided ON stat_charges (decided_day, verdict, case_id, person_id, filed_day, case_kind, labour_sector,
    sexual_form, sentence_months, area_code, org_id, group_id);
DROP INDEX reports_by_day;
CREATE INDEX reports_by_day ON reports (COALESCE(occurred_at, created_at), occurred_at, created_at, area_code, org_id);
DROP INDEX operations_by_day;
CREATE INDEX operations_by_day ON operations (COALESCE(occurred_at, created_at), kind, occurred_at, created_at, area_code, org_id, attrs);
DROP INDEX referrals_by_day;
CREATE INDEX referrals_by_day ON referrals (COALESCE(occurred_at, created_at), subject_id, occurred_at, created_at, kind, status,
    area_code, org_id);
