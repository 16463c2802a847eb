-- The hotline's queue is read most urgent first, then oldest received first, a page at a
-- time. The priority lives in the report's attributes; `queue_key` holds the order as one
-- number (rank × 10^10 + received time, rank 0 urgent, 1 high, 2 normal), kept by triggers so
-- that no write path can forget it, and indexed with the queue's organisation and status.
ALTER TABLE reports ADD COLUMN queue_key BIGINT;
UPDATE reports SET queue_key =
    (CASE json_extract(attrs, '$.priority') WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END) * 10000000000
    + COALESCE(occurred_at, created_at);
CREATE TRIGGER reports_queue_key_insert AFTER INSERT ON reports BEGIN
    UPDATE reports SET queue_key =
        (CASE json_extract(NEW.attrs, '$.priority') WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END) * 10000000000
        + COALESCE(NEW.occurred_at, NEW.created_at)
    WHERE id = NEW.id;
END;
CREATE TRIGGER reports_queue_key_update AFTER UPDATE OF attrs, occurred_at ON reports BEGIN
    UPDATE reports SET queue_key =
        (CASE json_extract(NEW.attrs, '$.priority') WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END) * 10000000000
        + COALESCE(NEW.occurred_at, NEW.created_at)
    WHERE id = NEW.id;
END;
CREATE INDEX reports_queue ON reports (org_id, status, queue_key, id);
