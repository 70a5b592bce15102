DROP FUNCTION refresh_pipeline_aggregates();
ALTER FUNCTION refresh_pipeline_counters() RENAME TO refresh_pipeline_aggregates;
DROP TRIGGER service_requests_cohort_counted ON service_requests;
DROP FUNCTION maintain_request_cohort_counts();
DROP FUNCTION count_request_cohort(service_requests, integer);
DROP TABLE request_cohort_counts;
DROP TRIGGER service_requests_street_of_holder ON service_requests;
DROP FUNCTION street_of_request_holder();
CREATE TRIGGER service_requests_street_of_enterprise
    BEFORE INSERT OR UPDATE OF enterprise_id, street_id ON service_requests
    FOR EACH ROW EXECUTE FUNCTION street_of_enterprise();
DROP INDEX service_requests_backlog_idx;
CREATE INDEX service_requests_backlog_idx ON service_requests (category, street_id, due_at)
    WHERE status IN ('open', 'assigned', 'in_progress', 'escalated');
CREATE INDEX service_requests_pending_due_idx ON service_requests (due_at, id)
    WHERE status IN ('open', 'assigned', 'in_progress', 'escalated');
ALTER TABLE service_requests
    DROP COLUMN acknowledge_due_at, DROP COLUMN acknowledged_at, DROP COLUMN contact_due_at,
    DROP COLUMN contacted_at, DROP COLUMN callback_due_at, DROP COLUMN called_back_at,
    DROP COLUMN callback_channel, DROP COLUMN stage, DROP COLUMN stage_due_at, DROP COLUMN urge_at,
    DROP COLUMN urged_at, DROP COLUMN supervised_at, DROP COLUMN extension_days, DROP COLUMN extensions,
    DROP COLUMN callbacks, DROP COLUMN callback_rating_total, DROP COLUMN reopened,
    DROP COLUMN transferred_street_id, DROP COLUMN department, DROP COLUMN source, DROP COLUMN external_no;
