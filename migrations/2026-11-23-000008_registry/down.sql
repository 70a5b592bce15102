-- Back to row-level counters (as 000006 and 000007 made them).
DROP TRIGGER enterprises_counted ON enterprises;
DROP TRIGGER enterprises_counted_on_insert ON enterprises;
DROP TRIGGER enterprises_counted_on_delete ON enterprises;
DROP TRIGGER enterprises_coverage_counted ON enterprises;
DROP TRIGGER enterprises_coverage_counted_on_insert ON enterprises;
DROP TRIGGER enterprises_coverage_counted_on_delete ON enterprises;
DROP TRIGGER rung_entries_counted ON rung_entries;
DROP TRIGGER rung_entries_counted_on_update ON rung_entries;
DROP TRIGGER rung_entries_counted_on_delete ON rung_entries;
DROP TRIGGER tier_changes_entries ON tier_changes;
DROP FUNCTION add_enterprise_counts(enterprise_counts[]);
DROP FUNCTION add_coverage_counts(coverage_counts[]);
DROP FUNCTION add_funnel_counts(funnel_counts[]);

CREATE FUNCTION count_enterprise(street uuid, park uuid, cluster_code text, tier_code text, delta integer)
    RETURNS void LANGUAGE plpgsql
AS $$
DECLARE
    key_street uuid := coalesce(street, '00000000-0000-0000-0000-000000000000');
    key_park   uuid := coalesce(park, '00000000-0000-0000-0000-000000000000');
    key_cluster text := coalesce(cluster_code, '');
BEGIN
    IF delta < 0 THEN
        UPDATE enterprise_counts SET n = n + delta
        WHERE street_id = key_street AND park_id = key_park AND cluster = key_cluster AND tier = tier_code;
    ELSE
        INSERT INTO enterprise_counts AS c (street_id, park_id, cluster, tier, n)
        VALUES (key_street, key_park, key_cluster, tier_code, delta)
        ON CONFLICT (street_id, park_id, cluster, tier) DO UPDATE SET n = c.n + excluded.n;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION maintain_enterprise_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_live boolean := TG_OP <> 'INSERT' AND OLD.archived_at IS NULL;
    is_live  boolean := TG_OP <> 'DELETE' AND NEW.archived_at IS NULL;
BEGIN
    IF was_live AND is_live THEN
        IF (OLD.street_id, OLD.park_id, OLD.cluster, OLD.tier)
           IS NOT DISTINCT FROM (NEW.street_id, NEW.park_id, NEW.cluster, NEW.tier) THEN
            RETURN NULL;
        END IF;
        -- Two counters change: touch them in key order, so that concurrent moves queue
        -- up instead of deadlocking.
        IF (coalesce(OLD.street_id, '00000000-0000-0000-0000-000000000000'),
            coalesce(OLD.park_id, '00000000-0000-0000-0000-000000000000'), coalesce(OLD.cluster, ''), OLD.tier)
         < (coalesce(NEW.street_id, '00000000-0000-0000-0000-000000000000'),
            coalesce(NEW.park_id, '00000000-0000-0000-0000-000000000000'), coalesce(NEW.cluster, ''), NEW.tier) THEN
            PERFORM count_enterprise(OLD.street_id, OLD.park_id, OLD.cluster, OLD.tier, -1);
            PERFORM count_enterprise(NEW.street_id, NEW.park_id, NEW.cluster, NEW.tier, 1);
        ELSE
            PERFORM count_enterprise(NEW.street_id, NEW.park_id, NEW.cluster, NEW.tier, 1);
            PERFORM count_enterprise(OLD.street_id, OLD.park_id, OLD.cluster, OLD.tier, -1);
        END IF;
    ELSIF was_live THEN
        PERFORM count_enterprise(OLD.street_id, OLD.park_id, OLD.cluster, OLD.tier, -1);
    ELSIF is_live THEN
        PERFORM count_enterprise(NEW.street_id, NEW.park_id, NEW.cluster, NEW.tier, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER enterprises_counted
    AFTER INSERT OR DELETE OR UPDATE OF street_id, park_id, cluster, tier, archived_at ON enterprises
    FOR EACH ROW EXECUTE FUNCTION maintain_enterprise_counts();

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

CREATE OR REPLACE FUNCTION maintain_coverage_counts() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION maintain_funnel_counts() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION track_rung_entries() RETURNS trigger LANGUAGE plpgsql AS $$
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

DROP INDEX audit_log_feed_idx;
ALTER TABLE audit_log DROP COLUMN seq, DROP COLUMN txid;
DROP TABLE idempotency_keys;
