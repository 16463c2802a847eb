-- The hotline's queue is read most urgent first, then oldest received first, a page at a
-- time. The priority lives in the report's attributes; `queue_key` holds the order as one
-- number (rank × 10^10 + received time, rank 0 urgent, 1 high, 2 normal), kept by a trigger so
-- that no write path can forget it, and indexed with the queue's organisation and status.
ALTER TABLE reports ADD COLUMN queue_key BIGINT;
UPDATE reports SET queue_key =
    (CASE attrs::jsonb ->> 'priority' WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END) * 10000000000::bigint
    + COALESCE(occurred_at, created_at);
CREATE FUNCTION reports_queue_key() RETURNS trigger AS $$
BEGIN
    NEW.queue_key := (CASE NEW.attrs::jsonb ->> 'priority' WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END) * 10000000000::bigint
        + COALESCE(NEW.occurred_at, NEW.created_at);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER reports_queue_key BEFORE INSERT OR UPDATE ON reports FOR EACH ROW EXECUTE FUNCTION reports_queue_key();
CREATE INDEX reports_queue ON reports (org_id, status, queue_key, id);
