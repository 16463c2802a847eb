-- The persons referred to an organisation (by a referral neither rejected nor revoked,
-- `ReferralStatus::counts_as_referred`), newest person first, are half of a shelter's or an
-- NGO's persons list. Found through the referrals each time, a page cost one lookup per
-- referral the organisation ever received; this table keeps them, in the list's order, by
-- trigger (`n`: how many counting referrals; the row goes when none is left). Not backed
-- up: restoring the referrals fills it again.
CREATE TABLE referred_to (
    org_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    person_created BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (org_id, person_id)
);
CREATE INDEX referred_to_recent ON referred_to (org_id, person_created DESC, person_id);
INSERT INTO referred_to (org_id, person_id, person_created, n)
    SELECT r.party_org, r.subject_id, p.created_at, COUNT(*) FROM referrals r JOIN persons p ON p.id = r.subject_id
    WHERE r.party_org IS NOT NULL AND r.status NOT IN ('rejected', 'revoked')
    GROUP BY r.party_org, r.subject_id, p.created_at;
CREATE FUNCTION referred_to_keep() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.party_org IS NOT NULL AND OLD.status NOT IN ('rejected', 'revoked') THEN
            UPDATE referred_to SET n = n - 1 WHERE org_id = OLD.party_org AND person_id = OLD.subject_id;
            DELETE FROM referred_to WHERE org_id = OLD.party_org AND person_id = OLD.subject_id AND n <= 0;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.party_org IS NOT NULL AND NEW.status NOT IN ('rejected', 'revoked') THEN
            INSERT INTO referred_to (org_id, person_id, person_created, n)
                SELECT NEW.party_org, NEW.subject_id, p.created_at, 1 FROM persons p WHERE p.id = NEW.subject_id
                ON CONFLICT (org_id, person_id) DO UPDATE SET n = referred_to.n + 1;
        END IF;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER referred_to_keep AFTER INSERT OR UPDATE OF status, subject_id, party_org OR DELETE ON referrals
    FOR EACH ROW EXECUTE FUNCTION referred_to_keep();
