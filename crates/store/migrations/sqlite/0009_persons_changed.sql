-- Record linkage reads persons a page at a time and asks, every minute, only whether any
-- person changed since its last run. At a million cases, reading every person to find out
-- took over a minute and gigabytes. Rows from before 0002 have no `updated_at`: their
-- creation time is their last change.
UPDATE persons SET updated_at = created_at WHERE updated_at IS NULL;
CREATE INDEX persons_by_updated ON persons (updated_at);
