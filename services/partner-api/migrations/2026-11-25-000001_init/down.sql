DROP FUNCTION IF EXISTS partner_ensure_month_partition(text, date);
DROP TABLE IF EXISTS event_dictionary;
DROP TABLE IF EXISTS ingest_dedup;
DROP TABLE IF EXISTS sessions;
DROP TABLE IF EXISTS logs;
DROP TABLE IF EXISTS events;
DROP TABLE IF EXISTS projects;
