-- The referral gap (identified persons not referred) is read on every home page of the
-- people who follow it, a page at a time and counted. Asking each time for every person's
-- latest decision and their referrals cost seconds at national scale, so each person row
-- keeps both, by trigger (no write path can forget them):
--   gap_kind, gap_at, gap_created, gap_decision: the latest decision (by decision time, then
--     when recorded, then id), the same order the gap always used;
--   referred_n: how many referrals of the person count as referred, i.e. are neither
--     rejected nor revoked (`ReferralStatus::counts_as_referred`; the store's conformance
--     story checks every status against it).
-- Indexed by organisation and nationally, in the gap's order.
ALTER TABLE persons ADD COLUMN gap_kind TEXT;
ALTER TABLE persons ADD COLUMN gap_at BIGINT;
ALTER TABLE persons ADD COLUMN gap_created BIGINT;
ALTER TABLE persons ADD COLUMN gap_decision TEXT;
ALTER TABLE persons ADD COLUMN referred_n BIGINT NOT NULL DEFAULT 0;
UPDATE persons SET (gap_kind, gap_at, gap_created, gap_decision) = (
    SELECT d.kind, COALESCE(d.occurred_at, d.created_at), d.created_at, d.id FROM decisions d
    WHERE d.subject_id = persons.id
    ORDER BY COALESCE(d.occurred_at, d.created_at) DESC, d.created_at DESC, d.id DESC LIMIT 1);
UPDATE persons SET referred_n = (
    SELECT COUNT(*) FROM referrals r WHERE r.subject_id = persons.id AND r.status NOT IN ('rejected', 'revoked'));
CREATE FUNCTION decisions_gap() RETURNS trigger AS $$
BEGIN
    UPDATE persons SET gap_kind = NEW.kind, gap_at = COALESCE(NEW.occurred_at, NEW.created_at),
        gap_created = NEW.created_at, gap_decision = NEW.id
    WHERE id = NEW.subject_id
      AND (gap_at IS NULL OR (COALESCE(NEW.occurred_at, NEW.created_at), NEW.created_at, NEW.id) > (gap_at, gap_created, gap_decision));
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER decisions_gap AFTER INSERT ON decisions FOR EACH ROW EXECUTE FUNCTION decisions_gap();
CREATE FUNCTION referrals_gap() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.status NOT IN ('rejected', 'revoked') THEN
            UPDATE persons SET referred_n = referred_n - 1 WHERE id = OLD.subject_id;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.status NOT IN ('rejected', 'revoked') THEN
            UPDATE persons SET referred_n = referred_n + 1 WHERE id = NEW.subject_id;
        END IF;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER referrals_gap AFTER INSERT OR UPDATE OF status, subject_id OR DELETE ON referrals
    FOR EACH ROW EXECUTE FUNCTION referrals_gap();
CREATE INDEX persons_gap ON persons (referred_n, gap_at, id);
CREATE INDEX persons_gap_by_org ON persons (org_id, referred_n, gap_at, id);
-- A service's occupancy (referrals accepted or in progress) is counted for every service a
-- directory page shows: from the index alone.
CREATE INDEX referrals_by_service ON referrals (lookup, status);
