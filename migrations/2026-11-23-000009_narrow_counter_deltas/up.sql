-- The enterprise counters' statement triggers (000008) copied every changed enterprise,
-- name grams and all, into arrays before summing four or five key columns: about 0.6 s
-- of each 5,000-row tier update in a registry batch. They now read the key columns
-- straight into arrays of counter rows (`n` holding +1 or -1) and sum those.
CREATE OR REPLACE FUNCTION maintain_enterprise_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tiers enterprise_counts[] := '{}';
    coverage coverage_counts[] := '{}';
BEGIN
    IF TG_ARGV[0] = 'tiers' THEN
        IF TG_OP <> 'INSERT' THEN
            tiers := ARRAY(
                SELECT ROW(coalesce(street_id, '00000000-0000-0000-0000-000000000000'),
                           coalesce(park_id, '00000000-0000-0000-0000-000000000000'),
                           coalesce(cluster, ''), tier, -1)::enterprise_counts
                FROM old_rows WHERE archived_at IS NULL);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            tiers := tiers || ARRAY(
                SELECT ROW(coalesce(street_id, '00000000-0000-0000-0000-000000000000'),
                           coalesce(park_id, '00000000-0000-0000-0000-000000000000'),
                           coalesce(cluster, ''), tier, 1)::enterprise_counts
                FROM new_rows WHERE archived_at IS NULL);
        END IF;
        PERFORM add_enterprise_counts(ARRAY(
            SELECT ROW(street_id, park_id, cluster, tier, sum(n))::enterprise_counts
            FROM unnest(tiers)
            GROUP BY street_id, park_id, cluster, tier
            HAVING sum(n) <> 0));
    ELSE
        IF TG_OP <> 'INSERT' THEN
            coverage := ARRAY(
                SELECT ROW(coalesce(last_visited_on, '-infinity'),
                           coalesce(street_id, '00000000-0000-0000-0000-000000000000'), tier, -1)::coverage_counts
                FROM old_rows WHERE archived_at IS NULL);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            coverage := coverage || ARRAY(
                SELECT ROW(coalesce(last_visited_on, '-infinity'),
                           coalesce(street_id, '00000000-0000-0000-0000-000000000000'), tier, 1)::coverage_counts
                FROM new_rows WHERE archived_at IS NULL);
        END IF;
        PERFORM add_coverage_counts(ARRAY(
            SELECT ROW(last_visited_on, street_id, tier, sum(n))::coverage_counts
            FROM unnest(coverage)
            GROUP BY last_visited_on, street_id, tier
            HAVING sum(n) <> 0));
    END IF;
    RETURN NULL;
END
$$;
