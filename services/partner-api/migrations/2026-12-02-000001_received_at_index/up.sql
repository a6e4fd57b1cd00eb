-- Health reads arrival time (an SDK flushing an offline queue sends old timestamps
-- but is healthy): max(received_at) and the one-hour counts probe these per partition.
CREATE INDEX events_received ON events (project_id, received_at DESC);
CREATE INDEX logs_received ON logs (project_id, received_at DESC);
