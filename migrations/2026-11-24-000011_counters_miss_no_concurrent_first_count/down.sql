-- The adds as 000008 made them (they can lose a delta to a concurrent first count).
CREATE OR REPLACE FUNCTION add_enterprise_counts(deltas enterprise_counts[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM enterprise_counts c JOIN unnest(deltas) d USING (street_id, park_id, cluster, tier)
    ORDER BY c.street_id, c.park_id, c.cluster, c.tier FOR UPDATE OF c;
    UPDATE enterprise_counts c SET n = c.n + d.n FROM unnest(deltas) d
    WHERE (c.street_id, c.park_id, c.cluster, c.tier) = (d.street_id, d.park_id, d.cluster, d.tier);
    INSERT INTO enterprise_counts AS c
    SELECT d.* FROM unnest(deltas) d
    WHERE NOT EXISTS (SELECT FROM enterprise_counts x
                      WHERE (x.street_id, x.park_id, x.cluster, x.tier) = (d.street_id, d.park_id, d.cluster, d.tier))
    ORDER BY d.street_id, d.park_id, d.cluster, d.tier
    ON CONFLICT (street_id, park_id, cluster, tier) DO UPDATE SET n = c.n + excluded.n;
END
$$;

CREATE OR REPLACE FUNCTION add_coverage_counts(deltas coverage_counts[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM coverage_counts c JOIN unnest(deltas) d USING (last_visited_on, street_id, tier)
    ORDER BY c.last_visited_on, c.street_id, c.tier FOR UPDATE OF c;
    UPDATE coverage_counts c SET n = c.n + d.n FROM unnest(deltas) d
    WHERE (c.last_visited_on, c.street_id, c.tier) = (d.last_visited_on, d.street_id, d.tier);
    INSERT INTO coverage_counts AS c
    SELECT d.* FROM unnest(deltas) d
    WHERE NOT EXISTS (SELECT FROM coverage_counts x
                      WHERE (x.last_visited_on, x.street_id, x.tier) = (d.last_visited_on, d.street_id, d.tier))
    ORDER BY d.last_visited_on, d.street_id, d.tier
    ON CONFLICT (last_visited_on, street_id, tier) DO UPDATE SET n = c.n + excluded.n;
END
$$;

CREATE OR REPLACE FUNCTION add_funnel_counts(deltas funnel_counts[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM funnel_counts c JOIN unnest(deltas) d USING (entry_year, street_id, from_tier, tier)
    ORDER BY c.entry_year, c.street_id, c.from_tier, c.tier FOR UPDATE OF c;
    UPDATE funnel_counts c
    SET entrants = c.entrants + d.entrants, within_1y = c.within_1y + d.within_1y,
        within_2y = c.within_2y + d.within_2y, within_3y = c.within_3y + d.within_3y
    FROM unnest(deltas) d
    WHERE (c.entry_year, c.street_id, c.from_tier, c.tier) = (d.entry_year, d.street_id, d.from_tier, d.tier);
    INSERT INTO funnel_counts AS c
    SELECT d.* FROM unnest(deltas) d
    WHERE NOT EXISTS (SELECT FROM funnel_counts x
                      WHERE (x.entry_year, x.street_id, x.from_tier, x.tier)
                          = (d.entry_year, d.street_id, d.from_tier, d.tier))
    ORDER BY d.entry_year, d.street_id, d.from_tier, d.tier
    ON CONFLICT (entry_year, street_id, from_tier, tier) DO UPDATE
    SET entrants = c.entrants + excluded.entrants, within_1y = c.within_1y + excluded.within_1y,
        within_2y = c.within_2y + excluded.within_2y, within_3y = c.within_3y + excluded.within_3y;
END
$$;

