-- Exports that cover the whole country (HTCDS) read case links oldest first, a page at a
-- time after the last (created_at, id) seen: this index makes each page a range read
-- instead of a sort of every link.
CREATE INDEX case_links_oldest ON case_links (created_at, id);
