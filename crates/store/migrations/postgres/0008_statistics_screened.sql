-- The days each person group had a final screening: the case flow's "persons screened" is
-- a count of distinct groups over a year of these, read in index order. Counting it from the
-- screenings themselves joined every screening to its person's group (two years at a million
-- cases: some 150,000 lookups, the report's largest single cost). Filled by the projection's
-- build (STAT_PROJECTION_VERSION 2), kept up to date like its other tables.
CREATE TABLE stat_screened (
    group_id TEXT NOT NULL,
    day BIGINT NOT NULL,
    PRIMARY KEY (group_id, day)
);
CREATE INDEX stat_screened_by_day ON stat_screened (day, group_id);
