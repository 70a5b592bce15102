-- Visit cadence (issue 28): "due for a visit" asks, rung by rung, for the enterprises whose
-- last visit is older than the rung's cadence, longest unvisited first: one walk along
-- these indexes per rung, for the district and for a street.
CREATE INDEX enterprises_tier_last_visited_idx ON enterprises (tier, last_visited_at NULLS FIRST, id)
    WHERE archived_at IS NULL;
CREATE INDEX enterprises_street_tier_last_visited_idx
    ON enterprises (street_id, tier, last_visited_at NULLS FIRST, id) WHERE archived_at IS NULL;
