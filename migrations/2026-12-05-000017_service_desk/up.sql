-- The service desk (issue 27): a demand's stages with deadlines in working time (签收,
-- 首次联系, 办结, 回访), extensions, callbacks, urges and supervision, transfers, and work
-- orders from the 12345 hotline. `due_at` stays: it is the 办结 deadline.

ALTER TABLE service_requests
    ADD COLUMN acknowledge_due_at timestamptz,
    ADD COLUMN acknowledged_at    timestamptz,
    ADD COLUMN contact_due_at     timestamptz,
    ADD COLUMN contacted_at       timestamptz,
    ADD COLUMN callback_due_at    timestamptz,
    ADD COLUMN called_back_at     timestamptz,
    ADD COLUMN callback_channel   text,
    -- The stage awaited now and its deadline (service::desk keeps them with every move), so
    -- that "overdue", "overdue at this stage" and the urges are one index range each.
    ADD COLUMN stage              text,
    ADD COLUMN stage_due_at       timestamptz,
    -- When the awaited stage is urged (催办), and when it was urged and supervised (督办).
    ADD COLUMN urge_at            timestamptz,
    ADD COLUMN urged_at           timestamptz,
    ADD COLUMN supervised_at      timestamptz,
    -- Working days an extension asks for, while it waits for a manager's answer.
    ADD COLUMN extension_days     smallint CHECK (extension_days > 0),
    ADD COLUMN extensions         smallint NOT NULL DEFAULT 0,
    -- Callbacks made, the sum of their satisfaction, and how many reopened the demand.
    ADD COLUMN callbacks          smallint NOT NULL DEFAULT 0,
    ADD COLUMN callback_rating_total smallint NOT NULL DEFAULT 0,
    ADD COLUMN reopened           smallint NOT NULL DEFAULT 0,
    -- Who holds a transferred demand (转办): another street, or a bureau department.
    ADD COLUMN transferred_street_id uuid REFERENCES regions (id),
    ADD COLUMN department         text,
    -- Where the demand came from: the desk itself, or a 12345 work order and its number.
    ADD COLUMN source             text NOT NULL DEFAULT 'desk',
    ADD COLUMN external_no        text,
    ADD CONSTRAINT service_requests_one_holder CHECK (transferred_street_id IS NULL OR department IS NULL),
    ADD CONSTRAINT service_requests_stage_due CHECK ((stage IS NULL) = (stage_due_at IS NULL));

CREATE UNIQUE INDEX service_requests_external_idx ON service_requests (source, external_no)
    WHERE external_no IS NOT NULL;
CREATE INDEX service_requests_transferred_street_id_idx ON service_requests (transferred_street_id)
    WHERE transferred_street_id IS NOT NULL;
-- Overdue at any stage, and the desk's lists by stage.
CREATE INDEX service_requests_stage_due_idx ON service_requests (stage_due_at, id) WHERE stage IS NOT NULL;
CREATE INDEX service_requests_street_stage_idx ON service_requests (street_id, stage, stage_due_at)
    WHERE stage IS NOT NULL;
-- The escalation job's two questions: whom to urge, whom to supervise.
CREATE INDEX service_requests_to_urge_idx ON service_requests (urge_at) WHERE urged_at IS NULL AND stage IS NOT NULL;
CREATE INDEX service_requests_to_supervise_idx ON service_requests (stage_due_at)
    WHERE supervised_at IS NULL AND stage IS NOT NULL;
CREATE INDEX service_requests_extension_idx ON service_requests (street_id, id) WHERE extension_days IS NOT NULL;
-- Requests whose stages the application has yet to compute (service::desk::backfill).
CREATE INDEX service_requests_stages_unknown_idx ON service_requests (id) WHERE acknowledge_due_at IS NULL;
-- The backlog is read by the awaited stage now.
DROP INDEX service_requests_backlog_idx;
DROP INDEX service_requests_pending_due_idx;
CREATE INDEX service_requests_backlog_idx ON service_requests (category, street_id, stage, stage_due_at)
    WHERE stage IS NOT NULL;

-- What the history already tells: 签收 was the first assignment, 首次联系 the first start of
-- work (there was no contact move before), 回访 the closing with a rating. The deadlines
-- are computed in working time by the application on its next start.
UPDATE service_requests r SET acknowledged_at = h.at
FROM (SELECT request_id, min(at) AS at FROM request_transitions WHERE action = 'assign' GROUP BY request_id) AS h
WHERE h.request_id = r.id;
UPDATE service_requests r SET contacted_at = h.at
FROM (SELECT request_id, min(at) AS at FROM request_transitions WHERE action = 'start' GROUP BY request_id) AS h
WHERE h.request_id = r.id;
UPDATE service_requests SET called_back_at = closed_at, callbacks = 1, callback_rating_total = satisfaction
WHERE closed_at IS NOT NULL AND satisfaction IS NOT NULL;

-- A request follows its enterprise's street (000015), unless it was handed to another
-- street (it lies there) or to a department (it lies in no street: the bureau's).
CREATE FUNCTION street_of_request_holder() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT e.street_id INTO NEW.street_id FROM enterprises e WHERE e.id = NEW.enterprise_id FOR NO KEY UPDATE;
    IF NEW.department IS NOT NULL THEN
        NEW.street_id := NULL;
    ELSIF NEW.transferred_street_id IS NOT NULL THEN
        NEW.street_id := NEW.transferred_street_id;
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER service_requests_street_of_enterprise ON service_requests;
CREATE TRIGGER service_requests_street_of_holder
    BEFORE INSERT OR UPDATE OF enterprise_id, street_id, transferred_street_id, department ON service_requests
    FOR EACH ROW EXECUTE FUNCTION street_of_request_holder();

-- The desk's figures per month of raising (a cohort), street and category: of the demands
-- raised that month, how many passed each stage (as they stand: a reopened request's
-- 办结 and 回访 count again when done again) and how many on time, their callbacks,
-- satisfaction and reopenings, their extensions. Kept by the trigger below from each
-- request's row, as request_month_counts are.
CREATE TABLE request_cohort_counts (
    month        date NOT NULL,
    street_id    uuid NOT NULL,
    category     text NOT NULL,
    raised       bigint NOT NULL,
    acknowledged bigint NOT NULL,
    acknowledged_on_time bigint NOT NULL,
    contacted    bigint NOT NULL,
    contacted_on_time bigint NOT NULL,
    resolved     bigint NOT NULL,
    resolved_on_time bigint NOT NULL,
    called_back  bigint NOT NULL,
    called_back_on_time bigint NOT NULL,
    callbacks    bigint NOT NULL,
    callback_rating_total bigint NOT NULL,
    reopened     bigint NOT NULL,
    extended     bigint NOT NULL,
    extensions   bigint NOT NULL,
    PRIMARY KEY (month, street_id, category)
);

CREATE FUNCTION count_request_cohort(r service_requests, sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO request_cohort_counts AS c
    VALUES (date_trunc('month', bureau_date(r.created_at))::date,
            coalesce(r.street_id, '00000000-0000-0000-0000-000000000000'), r.category, sign,
            sign * (r.acknowledged_at IS NOT NULL)::integer,
            sign * coalesce(r.acknowledged_at <= r.acknowledge_due_at, false)::integer,
            sign * (r.contacted_at IS NOT NULL)::integer,
            sign * coalesce(r.contacted_at <= r.contact_due_at, false)::integer,
            sign * (r.resolved_at IS NOT NULL)::integer,
            sign * coalesce(r.resolved_at <= r.due_at, false)::integer,
            sign * (r.called_back_at IS NOT NULL)::integer,
            sign * coalesce(r.called_back_at <= r.callback_due_at, false)::integer,
            sign * r.callbacks, sign * r.callback_rating_total, sign * r.reopened,
            sign * (r.extensions > 0)::integer, sign * r.extensions)
    ON CONFLICT (month, street_id, category) DO UPDATE
    SET raised = c.raised + excluded.raised,
        acknowledged = c.acknowledged + excluded.acknowledged,
        acknowledged_on_time = c.acknowledged_on_time + excluded.acknowledged_on_time,
        contacted = c.contacted + excluded.contacted,
        contacted_on_time = c.contacted_on_time + excluded.contacted_on_time,
        resolved = c.resolved + excluded.resolved,
        resolved_on_time = c.resolved_on_time + excluded.resolved_on_time,
        called_back = c.called_back + excluded.called_back,
        called_back_on_time = c.called_back_on_time + excluded.called_back_on_time,
        callbacks = c.callbacks + excluded.callbacks,
        callback_rating_total = c.callback_rating_total + excluded.callback_rating_total,
        reopened = c.reopened + excluded.reopened,
        extended = c.extended + excluded.extended,
        extensions = c.extensions + excluded.extensions;
END
$$;

CREATE FUNCTION maintain_request_cohort_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (OLD.created_at, OLD.street_id, OLD.category, OLD.acknowledged_at, OLD.acknowledge_due_at, OLD.contacted_at,
            OLD.contact_due_at, OLD.resolved_at, OLD.due_at, OLD.called_back_at, OLD.callback_due_at, OLD.callbacks,
            OLD.callback_rating_total, OLD.reopened, OLD.extensions)
           IS NOT DISTINCT FROM
           (NEW.created_at, NEW.street_id, NEW.category, NEW.acknowledged_at, NEW.acknowledge_due_at, NEW.contacted_at,
            NEW.contact_due_at, NEW.resolved_at, NEW.due_at, NEW.called_back_at, NEW.callback_due_at, NEW.callbacks,
            NEW.callback_rating_total, NEW.reopened, NEW.extensions) THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM count_request_cohort(OLD, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM count_request_cohort(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER service_requests_cohort_counted AFTER INSERT OR DELETE OR UPDATE ON service_requests
    FOR EACH ROW EXECUTE FUNCTION maintain_request_cohort_counts();

-- Rebuilding every aggregate now rebuilds these too.
ALTER FUNCTION refresh_pipeline_aggregates() RENAME TO refresh_pipeline_counters;
CREATE FUNCTION refresh_pipeline_aggregates() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_pipeline_counters();
    TRUNCATE request_cohort_counts;
    INSERT INTO request_cohort_counts
    SELECT date_trunc('month', bureau_date(created_at))::date,
           coalesce(street_id, '00000000-0000-0000-0000-000000000000'), category, count(*),
           count(acknowledged_at), count(*) FILTER (WHERE acknowledged_at <= acknowledge_due_at),
           count(contacted_at), count(*) FILTER (WHERE contacted_at <= contact_due_at),
           count(resolved_at), count(*) FILTER (WHERE resolved_at <= due_at),
           count(called_back_at), count(*) FILTER (WHERE called_back_at <= callback_due_at),
           sum(callbacks), sum(callback_rating_total), sum(reopened),
           count(*) FILTER (WHERE extensions > 0), sum(extensions)
    FROM service_requests GROUP BY 1, 2, 3;
END
$$;
SELECT refresh_pipeline_aggregates();
