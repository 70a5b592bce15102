-- Back to the 000008 version, which copied whole rows.
CREATE OR REPLACE FUNCTION maintain_enterprise_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone enterprises[] := '{}';
    came enterprises[] := '{}';
BEGIN
    IF TG_OP <> 'INSERT' THEN
        gone := ARRAY(SELECT o FROM old_rows o WHERE o.archived_at IS NULL);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        came := ARRAY(SELECT n FROM new_rows n WHERE n.archived_at IS NULL);
    END IF;
    IF TG_ARGV[0] = 'tiers' THEN
        PERFORM add_enterprise_counts(ARRAY(
            SELECT ROW(street_id, park_id, cluster, tier, sum(delta))::enterprise_counts
            FROM (SELECT coalesce(e.street_id, '00000000-0000-0000-0000-000000000000') AS street_id,
                         coalesce(e.park_id, '00000000-0000-0000-0000-000000000000') AS park_id,
                         coalesce(e.cluster, '') AS cluster, e.tier, e.delta
                  FROM (SELECT g.*, -1 AS delta FROM unnest(gone) g
                        UNION ALL SELECT c.*, 1 FROM unnest(came) c) AS e) AS changes
            GROUP BY street_id, park_id, cluster, tier
            HAVING sum(delta) <> 0));
    ELSE
        PERFORM add_coverage_counts(ARRAY(
            SELECT ROW(last_visited_on, street_id, tier, sum(delta))::coverage_counts
            FROM (SELECT coalesce(e.last_visited_on, '-infinity') AS last_visited_on,
                         coalesce(e.street_id, '00000000-0000-0000-0000-000000000000') AS street_id, e.tier, e.delta
                  FROM (SELECT g.*, -1 AS delta FROM unnest(gone) g
                        UNION ALL SELECT c.*, 1 FROM unnest(came) c) AS e) AS changes
            GROUP BY last_visited_on, street_id, tier
            HAVING sum(delta) <> 0));
    END IF;
    RETURN NULL;
END
$$;
