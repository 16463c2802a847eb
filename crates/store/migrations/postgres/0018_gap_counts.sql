-- The referral gap's COUNT is on every national home page: counted over the persons index
-- it visited every identified, unreferred person in the country (about 100 ms at a million
-- cases, a second and more with sixteen people at once). This table keeps the count per
-- organisation (and nationally, under scope '') per latest-decision kind and per UTC day of
-- that decision, by trigger on the person row's gap columns (migration 0015), so that no
-- write path can forget it. A count sums the whole days before the cutoff's day here, and
-- counts the cutoff's own part-day on the persons index (see `gap_count`).
-- `day` is the floor of gap_at / 86400 (exact for times before 1970 as well).
-- Not backed up: restoring the decisions and referrals fills it again.
CREATE TABLE gap_counts (
    scope TEXT NOT NULL,
    kind TEXT NOT NULL,
    day BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (scope, kind, day)
);
INSERT INTO gap_counts (scope, kind, day, n)
    SELECT org_id, gap_kind, (gap_at - (((gap_at % 86400) + 86400) % 86400)) / 86400 AS d, COUNT(*) FROM persons
    WHERE referred_n = 0 AND gap_at IS NOT NULL AND gap_kind IS NOT NULL
    GROUP BY org_id, gap_kind, d;
INSERT INTO gap_counts (scope, kind, day, n)
    SELECT '', kind, day, SUM(n) FROM gap_counts GROUP BY kind, day;
CREATE FUNCTION persons_gap_counts() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.referred_n = 0 AND OLD.gap_at IS NOT NULL AND OLD.gap_kind IS NOT NULL THEN
            UPDATE gap_counts SET n = n - 1
                WHERE scope IN (OLD.org_id, '') AND kind = OLD.gap_kind
                  AND day = (OLD.gap_at - (((OLD.gap_at % 86400) + 86400) % 86400)) / 86400;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.referred_n = 0 AND NEW.gap_at IS NOT NULL AND NEW.gap_kind IS NOT NULL THEN
            INSERT INTO gap_counts (scope, kind, day, n)
                SELECT s.scope, NEW.gap_kind, (NEW.gap_at - (((NEW.gap_at % 86400) + 86400) % 86400)) / 86400, 1
                FROM (VALUES (NEW.org_id), ('')) AS s (scope)
                ON CONFLICT (scope, kind, day) DO UPDATE SET n = gap_counts.n + 1;
        END IF;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER persons_gap_counts_insert AFTER INSERT OR DELETE ON persons
    FOR EACH ROW EXECUTE FUNCTION persons_gap_counts();
CREATE TRIGGER persons_gap_counts_update AFTER UPDATE OF org_id, referred_n, gap_kind, gap_at ON persons
    FOR EACH ROW
    WHEN (OLD.org_id IS DISTINCT FROM NEW.org_id OR OLD.referred_n IS DISTINCT FROM NEW.referred_n
       OR OLD.gap_kind IS DISTINCT FROM NEW.gap_kind OR OLD.gap_at IS DISTINCT FROM NEW.gap_at)
    EXECUTE FUNCTION persons_gap_counts();
