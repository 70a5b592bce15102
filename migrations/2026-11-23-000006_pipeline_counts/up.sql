-- Live enterprises counted per street × park × cluster × tier, kept by a trigger in the
-- transaction of every change. The pipeline summary sums a few thousand of these rows
-- (~1 ms) instead of grouping a million enterprises (~100 ms). No street, park or cluster
-- is stored as the nil UUID or '' so that it can be part of the key.
CREATE TABLE enterprise_counts (
    street_id uuid NOT NULL,
    park_id   uuid NOT NULL,
    cluster   text NOT NULL,
    tier      text NOT NULL,
    n         bigint NOT NULL CHECK (n >= 0),
    PRIMARY KEY (street_id, park_id, cluster, tier)
);

-- A decrement is a plain UPDATE: the counter exists, since the enterprise was counted;
-- an upsert would check `n >= 0` on the row it proposes before finding the conflict.
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

CREATE FUNCTION maintain_enterprise_counts() RETURNS trigger LANGUAGE plpgsql AS $$
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

INSERT INTO enterprise_counts (street_id, park_id, cluster, tier, n)
SELECT coalesce(street_id, '00000000-0000-0000-0000-000000000000'),
       coalesce(park_id, '00000000-0000-0000-0000-000000000000'),
       coalesce(cluster, ''), tier, count(*)
FROM enterprises WHERE archived_at IS NULL
GROUP BY 1, 2, 3, 4;
