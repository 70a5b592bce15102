-- Maintained aggregates behind the pipeline reports (funnel, pass rates, visit coverage),
-- kept by triggers in the transaction of every change, so each report reads a few
-- thousand counter rows however many enterprises and visits there are.
-- Counters without a street, park or cluster use the nil UUID or '' as in 000006.

-- The bureau's calendar day of a moment. The pool sets `peiyu.time_zone` from the
-- configuration on every connection; other sessions get the default zone.
CREATE FUNCTION bureau_date(at timestamptz) RETURNS date LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (at AT TIME ZONE coalesce(nullif(current_setting('peiyu.time_zone', true), ''), 'Asia/Shanghai'))::date
$$;

-- Each count_* function adds deltas to a counter row, creating it when absent. It
-- UPDATEs first: a decrement always finds its row (what was counted exists), and an
-- upsert would check the CHECK constraints on the row it proposes before the conflict.
-- They are alike but not shared: one generic function would need dynamic SQL, planned
-- anew on every row a trigger counts.

---------------------------------------------------------------------------------------
-- Last visit, on the enterprise: the coverage report, the "not visited for N days"
-- filter and the agenda read it instead of probing ten million visits.
ALTER TABLE enterprises ADD COLUMN last_visited_at timestamptz, ADD COLUMN last_visited_on date;
CREATE INDEX enterprises_last_visited_idx ON enterprises (last_visited_at NULLS FIRST, id)
    WHERE archived_at IS NULL;
CREATE INDEX enterprises_street_last_visited_idx ON enterprises (street_id, last_visited_at NULLS FIRST, id)
    WHERE archived_at IS NULL;

CREATE FUNCTION track_last_visit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE enterprises SET last_visited_at = NEW.visited_at, last_visited_on = bureau_date(NEW.visited_at)
        WHERE id = NEW.enterprise_id AND (last_visited_at IS NULL OR last_visited_at < NEW.visited_at);
    ELSE
        -- A visit moved or removed: recompute from the enterprise's newest visit (one index probe).
        UPDATE enterprises e SET last_visited_at = last.at, last_visited_on = bureau_date(last.at)
        FROM (SELECT x.id, (SELECT max(v.visited_at) FROM visits v WHERE v.enterprise_id = x.id) AS at
              FROM enterprises x
              WHERE x.id IN (OLD.enterprise_id, CASE WHEN TG_OP = 'UPDATE' THEN NEW.enterprise_id END)) AS last
        WHERE e.id = last.id AND e.last_visited_at IS DISTINCT FROM last.at;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER visits_last_visit AFTER INSERT OR DELETE OR UPDATE OF enterprise_id, visited_at ON visits
    FOR EACH ROW EXECUTE FUNCTION track_last_visit();

---------------------------------------------------------------------------------------
-- Coverage: live enterprises per day of last visit ('-infinity': never), street and tier.
-- "Visited in the last N days" sums the rows from a day on: streets × tiers × N rows.
CREATE TABLE coverage_counts (
    last_visited_on date NOT NULL,
    street_id       uuid NOT NULL,
    tier            text NOT NULL,
    n               bigint NOT NULL CHECK (n >= 0),
    PRIMARY KEY (last_visited_on, street_id, tier)
);

CREATE FUNCTION count_coverage(visited_on date, street uuid, tier_code text, delta integer)
    RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    key_day date := coalesce(visited_on, '-infinity');
    key_street uuid := coalesce(street, '00000000-0000-0000-0000-000000000000');
BEGIN
    UPDATE coverage_counts SET n = n + delta
    WHERE last_visited_on = key_day AND street_id = key_street AND tier = tier_code;
    IF NOT FOUND THEN
        INSERT INTO coverage_counts AS c VALUES (key_day, key_street, tier_code, delta)
        ON CONFLICT (last_visited_on, street_id, tier) DO UPDATE SET n = c.n + excluded.n;
    END IF;
END
$$;

CREATE FUNCTION maintain_coverage_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_live boolean := TG_OP <> 'INSERT' AND OLD.archived_at IS NULL;
    is_live  boolean := TG_OP <> 'DELETE' AND NEW.archived_at IS NULL;
BEGIN
    IF was_live AND is_live AND (OLD.last_visited_on, OLD.street_id, OLD.tier)
                                IS NOT DISTINCT FROM (NEW.last_visited_on, NEW.street_id, NEW.tier) THEN
        RETURN NULL;
    END IF;
    -- Two counters change: touch them in key order, so that concurrent changes queue up
    -- instead of deadlocking.
    IF was_live AND is_live
       AND (coalesce(OLD.last_visited_on, '-infinity'), coalesce(OLD.street_id, '00000000-0000-0000-0000-000000000000'), OLD.tier)
         > (coalesce(NEW.last_visited_on, '-infinity'), coalesce(NEW.street_id, '00000000-0000-0000-0000-000000000000'), NEW.tier) THEN
        PERFORM count_coverage(NEW.last_visited_on, NEW.street_id, NEW.tier, 1);
        PERFORM count_coverage(OLD.last_visited_on, OLD.street_id, OLD.tier, -1);
        RETURN NULL;
    END IF;
    IF was_live THEN
        PERFORM count_coverage(OLD.last_visited_on, OLD.street_id, OLD.tier, -1);
    END IF;
    IF is_live THEN
        PERFORM count_coverage(NEW.last_visited_on, NEW.street_id, NEW.tier, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER enterprises_coverage_counted
    AFTER INSERT OR DELETE OR UPDATE OF street_id, tier, archived_at, last_visited_on ON enterprises
    FOR EACH ROW EXECUTE FUNCTION maintain_coverage_counts();

---------------------------------------------------------------------------------------
-- Funnel: every promotion enters a rung; the entry closes when the enterprise climbs
-- further (`reached_next_on`) or drops (`left_on`). Certifications of a lower rung move
-- nothing. The street is the enterprise's street at entry, so that a cohort's figures do
-- not shift when an enterprise moves later.
CREATE TABLE rung_entries (
    id              uuid PRIMARY KEY REFERENCES tier_changes (id),
    enterprise_id   uuid NOT NULL REFERENCES enterprises (id),
    street_id       uuid,
    from_tier       text NOT NULL,
    tier            text NOT NULL,
    entered_on      date NOT NULL,
    reached_next_on date,
    left_on         date
);
CREATE INDEX rung_entries_open_idx ON rung_entries (enterprise_id)
    WHERE reached_next_on IS NULL AND left_on IS NULL;

-- Per year of entry, street and transition: entrants, and how many of them climbed
-- further within one, two and three years of entering.
CREATE TABLE funnel_counts (
    entry_year integer NOT NULL,
    street_id  uuid NOT NULL,
    from_tier  text NOT NULL,
    tier       text NOT NULL,
    entrants   bigint NOT NULL CHECK (entrants >= 0),
    within_1y  bigint NOT NULL CHECK (within_1y >= 0),
    within_2y  bigint NOT NULL CHECK (within_2y >= 0),
    within_3y  bigint NOT NULL CHECK (within_3y >= 0),
    PRIMARY KEY (entry_year, street_id, from_tier, tier)
);

CREATE FUNCTION count_rung_entry(entry rung_entries, sign integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    key_year integer := extract(year FROM entry.entered_on);
    key_street uuid := coalesce(entry.street_id, '00000000-0000-0000-0000-000000000000');
    climbed_within integer[] := ARRAY(
        SELECT sign * coalesce(entry.reached_next_on <= (entry.entered_on + make_interval(years => y))::date, false)::integer
        FROM generate_series(1, 3) AS y ORDER BY y);
BEGIN
    UPDATE funnel_counts SET entrants = entrants + sign, within_1y = within_1y + climbed_within[1],
                             within_2y = within_2y + climbed_within[2], within_3y = within_3y + climbed_within[3]
    WHERE entry_year = key_year AND street_id = key_street AND from_tier = entry.from_tier AND tier = entry.tier;
    IF NOT FOUND THEN
        INSERT INTO funnel_counts AS c
        VALUES (key_year, key_street, entry.from_tier, entry.tier, sign, climbed_within[1], climbed_within[2], climbed_within[3])
        ON CONFLICT (entry_year, street_id, from_tier, tier) DO UPDATE
        SET entrants = c.entrants + excluded.entrants, within_1y = c.within_1y + excluded.within_1y,
            within_2y = c.within_2y + excluded.within_2y, within_3y = c.within_3y + excluded.within_3y;
    END IF;
END
$$;

CREATE FUNCTION maintain_funnel_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM count_rung_entry(OLD, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM count_rung_entry(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER rung_entries_counted AFTER INSERT OR UPDATE OR DELETE ON rung_entries
    FOR EACH ROW EXECUTE FUNCTION maintain_funnel_counts();

CREATE FUNCTION track_rung_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'certification' THEN
        RETURN NULL;
    END IF;
    -- At most one entry is open: the rung the enterprise stands on, if it climbed there.
    UPDATE rung_entries
    SET reached_next_on = CASE WHEN NEW.kind = 'promotion' THEN NEW.effective_on END,
        left_on = CASE WHEN NEW.kind = 'demotion' THEN NEW.effective_on END
    WHERE enterprise_id = NEW.enterprise_id AND reached_next_on IS NULL AND left_on IS NULL;
    IF NEW.kind = 'promotion' THEN
        INSERT INTO rung_entries (id, enterprise_id, street_id, from_tier, tier, entered_on)
        SELECT NEW.id, e.id, e.street_id, NEW.from_tier, NEW.to_tier, NEW.effective_on
        FROM enterprises e WHERE e.id = NEW.enterprise_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER tier_changes_entries AFTER INSERT ON tier_changes
    FOR EACH ROW EXECUTE FUNCTION track_rung_entries();

---------------------------------------------------------------------------------------
-- Applications per batch year, street, tier and status: the pass rates.
CREATE TABLE application_counts (
    batch_year integer NOT NULL,
    street_id  uuid NOT NULL,
    tier       text NOT NULL,
    status     text NOT NULL,
    n          bigint NOT NULL CHECK (n >= 0),
    PRIMARY KEY (batch_year, street_id, tier, status)
);

CREATE FUNCTION count_application(year integer, street uuid, tier_code text, status_code text, delta integer)
    RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    key_street uuid := coalesce(street, '00000000-0000-0000-0000-000000000000');
BEGIN
    UPDATE application_counts SET n = n + delta
    WHERE batch_year = year AND street_id = key_street AND tier = tier_code AND status = status_code;
    IF NOT FOUND THEN
        INSERT INTO application_counts AS c VALUES (year, key_street, tier_code, status_code, delta)
        ON CONFLICT (batch_year, street_id, tier, status) DO UPDATE SET n = c.n + excluded.n;
    END IF;
END
$$;

CREATE FUNCTION maintain_application_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.batch_year, OLD.street_id, OLD.tier, OLD.status)
                            IS NOT DISTINCT FROM (NEW.batch_year, NEW.street_id, NEW.tier, NEW.status) THEN
        RETURN NULL;
    END IF;
    -- Old key before new one when it sorts first, so concurrent moves cannot deadlock.
    IF TG_OP = 'UPDATE' AND (OLD.batch_year, OLD.street_id, OLD.tier, OLD.status)
                            > (NEW.batch_year, NEW.street_id, NEW.tier, NEW.status) THEN
        PERFORM count_application(NEW.batch_year, NEW.street_id, NEW.tier, NEW.status, 1);
        PERFORM count_application(OLD.batch_year, OLD.street_id, OLD.tier, OLD.status, -1);
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM count_application(OLD.batch_year, OLD.street_id, OLD.tier, OLD.status, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM count_application(NEW.batch_year, NEW.street_id, NEW.tier, NEW.status, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER applications_counted
    AFTER INSERT OR DELETE OR UPDATE OF batch_year, street_id, tier, status ON applications
    FOR EACH ROW EXECUTE FUNCTION maintain_application_counts();

---------------------------------------------------------------------------------------
-- 年度目标: how many enterprises should newly reach a rung in a year, per district or street.
CREATE TABLE targets (
    year      integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    region_id uuid NOT NULL REFERENCES regions (id),
    tier      text NOT NULL,
    target    integer NOT NULL CHECK (target > 0),
    set_by    uuid NOT NULL REFERENCES users (id),
    set_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (year, region_id, tier)
);
CREATE INDEX targets_region_id_idx ON targets (region_id);
CREATE INDEX targets_set_by_idx ON targets (set_by);

---------------------------------------------------------------------------------------
-- The request report. The pending backlog is read from this index alone:
CREATE INDEX service_requests_backlog_idx ON service_requests (category, street_id, due_at)
    WHERE status IN ('open', 'assigned', 'in_progress', 'escalated');

-- Resolutions and ratings per month (of resolution; of closing), street and category:
-- count, total hours and a histogram of hours to resolve (its 90th percentile), count and
-- total of ratings. A year is 12 × streets × categories rows, whatever the volume.
-- The bucket bounds (hours) are also in src/domain/service_request.rs; a test checks both.
CREATE FUNCTION resolution_bucket(hours double precision) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 1 + count(*)::integer
    FROM unnest('{1,2,3,4,6,8,12,16,24,36,48,72,96,120,168,240,336,504,720,1080,1440,2160,4320,8760}'::double precision[]) AS bound
    WHERE hours >= bound
$$;

CREATE TABLE request_month_counts (
    month        date NOT NULL,
    street_id    uuid NOT NULL,
    category     text NOT NULL,
    resolved     bigint NOT NULL CHECK (resolved >= 0),
    hours_total  double precision NOT NULL,
    -- 25 buckets: [0, 1), [1, 2), … [4320, 8760), [8760, ∞) hours.
    hours_histogram bigint[] NOT NULL,
    rated        bigint NOT NULL CHECK (rated >= 0),
    rating_total bigint NOT NULL,
    PRIMARY KEY (month, street_id, category)
);

CREATE FUNCTION count_request(at_month date, street uuid, category_code text, resolved_delta integer,
                              hours double precision, rated_delta integer, rating integer)
    RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    key_street uuid := coalesce(street, '00000000-0000-0000-0000-000000000000');
    bucket integer := CASE WHEN resolved_delta <> 0 THEN resolution_bucket(hours) END;
    histogram bigint[] := array_fill(0::bigint, ARRAY[25]);
BEGIN
    UPDATE request_month_counts
    SET resolved = resolved + resolved_delta,
        hours_total = hours_total + resolved_delta * coalesce(hours, 0),
        hours_histogram[coalesce(bucket, 1)] = hours_histogram[coalesce(bucket, 1)] + resolved_delta,
        rated = rated + rated_delta,
        rating_total = rating_total + rated_delta * coalesce(rating, 0)
    WHERE month = at_month AND street_id = key_street AND category = category_code;
    IF NOT FOUND THEN
        histogram[coalesce(bucket, 1)] := resolved_delta;
        INSERT INTO request_month_counts AS c
        VALUES (at_month, key_street, category_code, resolved_delta, resolved_delta * coalesce(hours, 0), histogram,
                rated_delta, rated_delta * coalesce(rating, 0))
        ON CONFLICT (month, street_id, category) DO UPDATE
        SET resolved = c.resolved + excluded.resolved, hours_total = c.hours_total + excluded.hours_total,
            hours_histogram[coalesce(bucket, 1)] = c.hours_histogram[coalesce(bucket, 1)] + resolved_delta,
            rated = c.rated + excluded.rated, rating_total = c.rating_total + excluded.rating_total;
    END IF;
END
$$;

-- What one request adds: its resolution in the month it was resolved, its rating in the
-- month it was closed (months of the bureau's calendar).
CREATE FUNCTION count_request_outcome(request service_requests, sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF request.resolved_at IS NOT NULL THEN
        PERFORM count_request(date_trunc('month', bureau_date(request.resolved_at))::date, request.street_id,
                              request.category, sign,
                              greatest(extract(epoch FROM request.resolved_at - request.created_at) / 3600, 0), 0, NULL);
    END IF;
    IF request.satisfaction IS NOT NULL AND request.closed_at IS NOT NULL THEN
        PERFORM count_request(date_trunc('month', bureau_date(request.closed_at))::date, request.street_id,
                              request.category, 0, NULL, sign, request.satisfaction);
    END IF;
END
$$;

CREATE FUNCTION maintain_request_month_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.resolved_at, OLD.closed_at, OLD.satisfaction, OLD.created_at, OLD.street_id, OLD.category)
                            IS NOT DISTINCT FROM
                            (NEW.resolved_at, NEW.closed_at, NEW.satisfaction, NEW.created_at, NEW.street_id, NEW.category) THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM count_request_outcome(OLD, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM count_request_outcome(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER service_requests_counted
    AFTER INSERT OR DELETE OR UPDATE OF resolved_at, closed_at, satisfaction, created_at, street_id, category
    ON service_requests FOR EACH ROW EXECUTE FUNCTION maintain_request_month_counts();

---------------------------------------------------------------------------------------
-- Recomputes every maintained aggregate from the rows it summarises: after bulk loads
-- that ran with triggers off (`peiyu demo`), and once here for existing data. Entries
-- replayed from history take the enterprise's current street.
CREATE FUNCTION refresh_pipeline_aggregates() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- The counters are rebuilt below: counting these moves too would start from counters
    -- that may be wrong (that is why one refreshes).
    ALTER TABLE enterprises DISABLE TRIGGER enterprises_coverage_counted;
    UPDATE enterprises e SET last_visited_at = last.at, last_visited_on = bureau_date(last.at)
    FROM (SELECT enterprise_id, max(visited_at) AS at FROM visits GROUP BY enterprise_id) AS last
    WHERE e.id = last.enterprise_id AND e.last_visited_at IS DISTINCT FROM last.at;
    ALTER TABLE enterprises ENABLE TRIGGER enterprises_coverage_counted;

    TRUNCATE enterprise_counts, coverage_counts, funnel_counts, application_counts, rung_entries,
             request_month_counts;

    INSERT INTO enterprise_counts (street_id, park_id, cluster, tier, n)
    SELECT coalesce(street_id, '00000000-0000-0000-0000-000000000000'),
           coalesce(park_id, '00000000-0000-0000-0000-000000000000'), coalesce(cluster, ''), tier, count(*)
    FROM enterprises WHERE archived_at IS NULL GROUP BY 1, 2, 3, 4;

    INSERT INTO coverage_counts (last_visited_on, street_id, tier, n)
    SELECT coalesce(last_visited_on, '-infinity'), coalesce(street_id, '00000000-0000-0000-0000-000000000000'),
           tier, count(*)
    FROM enterprises WHERE archived_at IS NULL GROUP BY 1, 2, 3;

    ALTER TABLE rung_entries DISABLE TRIGGER rung_entries_counted;
    INSERT INTO rung_entries (id, enterprise_id, street_id, from_tier, tier, entered_on, reached_next_on, left_on)
    SELECT c.id, c.enterprise_id, e.street_id, c.from_tier, c.to_tier, c.effective_on,
           CASE WHEN c.next_kind = 'promotion' THEN c.next_on END,
           CASE WHEN c.next_kind = 'demotion' THEN c.next_on END
    FROM (SELECT t.id, t.enterprise_id, t.kind, t.from_tier, t.to_tier, t.effective_on,
                 lead(t.kind) OVER w AS next_kind, lead(t.effective_on) OVER w AS next_on
          FROM tier_changes t WHERE t.kind <> 'certification'
          WINDOW w AS (PARTITION BY t.enterprise_id ORDER BY t.id)) AS c
    JOIN enterprises e ON e.id = c.enterprise_id
    WHERE c.kind = 'promotion';
    ALTER TABLE rung_entries ENABLE TRIGGER rung_entries_counted;

    INSERT INTO funnel_counts (entry_year, street_id, from_tier, tier, entrants, within_1y, within_2y, within_3y)
    SELECT extract(year FROM entered_on), coalesce(street_id, '00000000-0000-0000-0000-000000000000'),
           from_tier, tier, count(*),
           count(*) FILTER (WHERE reached_next_on <= (entered_on + interval '1 year')::date),
           count(*) FILTER (WHERE reached_next_on <= (entered_on + interval '2 years')::date),
           count(*) FILTER (WHERE reached_next_on <= (entered_on + interval '3 years')::date)
    FROM rung_entries GROUP BY 1, 2, 3, 4;

    INSERT INTO application_counts (batch_year, street_id, tier, status, n)
    SELECT batch_year, coalesce(street_id, '00000000-0000-0000-0000-000000000000'), tier, status, count(*)
    FROM applications GROUP BY 1, 2, 3, 4;

    INSERT INTO request_month_counts
    SELECT month, street_key, category, sum(resolved), sum(hours_total),
           (SELECT array_agg(coalesce(n, 0) ORDER BY b)
            FROM generate_series(1, 25) AS b
            LEFT JOIN (SELECT bucket, count(*) AS n FROM unnest(array_agg(bucket)) AS bucket GROUP BY bucket) AS h
                   ON h.bucket = b),
           sum(rated), sum(rating_total)
    FROM (SELECT date_trunc('month', bureau_date(resolved_at))::date AS month,
                 coalesce(street_id, '00000000-0000-0000-0000-000000000000') AS street_key, category,
                 1 AS resolved, greatest(extract(epoch FROM resolved_at - created_at) / 3600, 0) AS hours_total,
                 resolution_bucket(greatest(extract(epoch FROM resolved_at - created_at) / 3600, 0)) AS bucket,
                 0 AS rated, 0 AS rating_total
          FROM service_requests WHERE resolved_at IS NOT NULL
          UNION ALL
          SELECT date_trunc('month', bureau_date(closed_at))::date,
                 coalesce(street_id, '00000000-0000-0000-0000-000000000000'), category, 0, 0, NULL, 1, satisfaction
          FROM service_requests WHERE satisfaction IS NOT NULL AND closed_at IS NOT NULL) AS outcome
    GROUP BY month, street_key, category;
END
$$;

SELECT refresh_pipeline_aggregates();
