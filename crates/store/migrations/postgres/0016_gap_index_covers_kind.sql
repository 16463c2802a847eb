-- The referral gap filters on the latest decision's kind as well: with the kind in the
-- index, the gap's count reads index entries only, never the person rows (migration 0015's
-- indexes made a unit's count visit every row of its range).
DROP INDEX persons_gap;
DROP INDEX persons_gap_by_org;
CREATE INDEX persons_gap ON persons (referred_n, gap_at, id, gap_kind);
CREATE INDEX persons_gap_by_org ON persons (org_id, referred_n, gap_at, id, gap_kind);
