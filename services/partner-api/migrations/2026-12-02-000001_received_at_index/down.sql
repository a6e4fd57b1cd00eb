DROP INDEX IF EXISTS logs_received;
DROP INDEX IF EXISTS events_received;
