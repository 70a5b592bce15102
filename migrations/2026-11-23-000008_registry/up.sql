-- Registry feeds retry. A call names itself with an Idempotency-Key; the first call with
-- a key claims it (this row) in the transaction that applies the batch, and stores its
-- answer there. A second call with the key waits on the claim's unique index while the
-- first runs, then finds the stored answer: racing retries apply a batch once.
CREATE TABLE idempotency_keys (
    -- The API key (or user) that sent the call: keys are private to each caller.
    owner_id     uuid NOT NULL,
    key          text NOT NULL,
    -- SHA-256 of the request body: a key reused for another body is refused.
    request_hash bytea NOT NULL,
    -- Set before the claiming transaction commits; never seen NULL by another caller.
    response     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner_id, key)
);

-- The change feed (GET /changes) reads the audit log of enterprises, certificates and
-- tier changes in transaction order. Each row carries the id of the transaction that
-- wrote it, and a sequence number for its order within that transaction. The feed only
-- reads up to the oldest transaction still running (the snapshot's xmin), so a
-- transaction that commits late can never land behind a cursor already handed out.
ALTER TABLE audit_log
    ADD COLUMN txid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE INDEX audit_log_feed_idx ON audit_log (txid, seq)
    WHERE entity IN ('enterprise', 'certificate', 'tier_change');

---------------------------------------------------------------------------------------
-- Counters kept per statement rather than per row. A registry batch promotes thousands
-- of enterprises in one statement; a row-level trigger would update the same counter
-- row thousands of times in one transaction, each update walking the versions the
-- previous ones left (a 10,000-row batch ran past the statement timeout). These
-- statement-level triggers read the statement's transition tables, sum the changes per
-- counter and apply each sum once.
--
-- PostgreSQL takes transition tables only on triggers of one event, so each counter has
-- an INSERT, an UPDATE and a DELETE trigger sharing one function, which reads the rows
-- of the tables its event has. The trigger that refresh_pipeline_aggregates() switches
-- off while it rebuilds keeps the old name: the UPDATE trigger of coverage (its
-- last-visit repair updates) and the INSERT trigger of the funnel (its replay inserts).

-- Adds signed deltas (rows of the counter table, `n` holding the delta). Counters that
-- exist are locked in key order and updated, so concurrent statements queue instead of
-- deadlocking; the rest are inserted (an upsert would check `n >= 0` on a negative delta).
CREATE FUNCTION add_enterprise_counts(deltas enterprise_counts[]) RETURNS void LANGUAGE plpgsql AS $$
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

CREATE FUNCTION add_coverage_counts(deltas coverage_counts[]) RETURNS void LANGUAGE plpgsql AS $$
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

CREATE FUNCTION add_funnel_counts(deltas funnel_counts[]) RETURNS void LANGUAGE plpgsql AS $$
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

-- Both enterprise counters from one statement's rows: those gone (old) and those come (new).
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
DROP TRIGGER enterprises_counted ON enterprises;
DROP TRIGGER enterprises_coverage_counted ON enterprises;
DROP FUNCTION maintain_coverage_counts();
DROP FUNCTION count_enterprise(uuid, uuid, text, text, integer);
DROP FUNCTION count_coverage(date, uuid, text, integer);
CREATE TRIGGER enterprises_counted_on_insert AFTER INSERT ON enterprises REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION maintain_enterprise_counts('tiers');
CREATE TRIGGER enterprises_counted AFTER UPDATE ON enterprises REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION maintain_enterprise_counts('tiers');
CREATE TRIGGER enterprises_counted_on_delete AFTER DELETE ON enterprises REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION maintain_enterprise_counts('tiers');
CREATE TRIGGER enterprises_coverage_counted_on_insert AFTER INSERT ON enterprises REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION maintain_enterprise_counts('coverage');
CREATE TRIGGER enterprises_coverage_counted AFTER UPDATE ON enterprises
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION maintain_enterprise_counts('coverage');
CREATE TRIGGER enterprises_coverage_counted_on_delete AFTER DELETE ON enterprises REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION maintain_enterprise_counts('coverage');

-- An entry counts once among the entrants of its year, street and transition, and once
-- within k years if it reached the next rung within k years of entering.
CREATE OR REPLACE FUNCTION maintain_funnel_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone rung_entries[] := '{}';
    came rung_entries[] := '{}';
BEGIN
    IF TG_OP <> 'INSERT' THEN
        gone := ARRAY(SELECT o FROM old_entries o);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        came := ARRAY(SELECT n FROM new_entries n);
    END IF;
    PERFORM add_funnel_counts(ARRAY(
        SELECT ROW(entry_year, street_id, from_tier, tier, sum(sign), sum(sign * within_1y),
                   sum(sign * within_2y), sum(sign * within_3y))::funnel_counts
        FROM (SELECT extract(year FROM e.entered_on)::integer AS entry_year,
                     coalesce(e.street_id, '00000000-0000-0000-0000-000000000000') AS street_id,
                     e.from_tier, e.tier, e.sign,
                     coalesce(e.reached_next_on <= (e.entered_on + interval '1 year')::date, false)::integer AS within_1y,
                     coalesce(e.reached_next_on <= (e.entered_on + interval '2 years')::date, false)::integer AS within_2y,
                     coalesce(e.reached_next_on <= (e.entered_on + interval '3 years')::date, false)::integer AS within_3y
              FROM (SELECT g.*, -1 AS sign FROM unnest(gone) g UNION ALL SELECT c.*, 1 FROM unnest(came) c) AS e
             ) AS changes
        GROUP BY entry_year, street_id, from_tier, tier
        HAVING (sum(sign), sum(sign * within_1y), sum(sign * within_2y), sum(sign * within_3y)) <> (0, 0, 0, 0)));
    RETURN NULL;
END
$$;
DROP TRIGGER rung_entries_counted ON rung_entries;
DROP FUNCTION count_rung_entry(rung_entries, integer);
CREATE TRIGGER rung_entries_counted AFTER INSERT ON rung_entries REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION maintain_funnel_counts();
CREATE TRIGGER rung_entries_counted_on_update AFTER UPDATE ON rung_entries
    REFERENCING OLD TABLE AS old_entries NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION maintain_funnel_counts();
CREATE TRIGGER rung_entries_counted_on_delete AFTER DELETE ON rung_entries REFERENCING OLD TABLE AS old_entries
    FOR EACH STATEMENT EXECUTE FUNCTION maintain_funnel_counts();

-- Each enterprise's moves in the statement go in the order they were made (time-ordered
-- ids): the first closes the entry open before the statement, each later promotion or
-- demotion closes the entry of the promotion before it.
--
-- No statement here joins on the planner's guess: a transition table has no statistics
-- and a table filled earlier in the transaction has stale ones, and a nested loop over a
-- wrong guess made a 10,000-row batch quadratic. Open entries are closed per (kind, day)
-- group through the open-entry index with an array of enterprises (a list's moves share
-- a day, so there are few groups), and each new entry looks its street up by primary key.
CREATE OR REPLACE FUNCTION track_rung_entries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    first_moves record;
BEGIN
    FOR first_moves IN
        SELECT kind, effective_on, array_agg(enterprise_id) AS enterprises
        FROM (SELECT DISTINCT ON (enterprise_id) enterprise_id, kind, effective_on
              FROM new_changes WHERE kind <> 'certification'
              ORDER BY enterprise_id, id) AS firsts
        GROUP BY kind, effective_on
    LOOP
        UPDATE rung_entries
        SET reached_next_on = CASE WHEN first_moves.kind = 'promotion' THEN first_moves.effective_on END,
            left_on = CASE WHEN first_moves.kind = 'demotion' THEN first_moves.effective_on END
        WHERE enterprise_id = ANY (first_moves.enterprises) AND reached_next_on IS NULL AND left_on IS NULL;
    END LOOP;
    INSERT INTO rung_entries (id, enterprise_id, street_id, from_tier, tier, entered_on, reached_next_on, left_on)
    SELECT m.id, m.enterprise_id, (SELECT e.street_id FROM enterprises e WHERE e.id = m.enterprise_id),
           m.from_tier, m.to_tier, m.effective_on,
           CASE WHEN m.next_kind = 'promotion' THEN m.next_on END,
           CASE WHEN m.next_kind = 'demotion' THEN m.next_on END
    FROM (SELECT id, enterprise_id, kind, from_tier, to_tier, effective_on,
                 lead(kind) OVER w AS next_kind, lead(effective_on) OVER w AS next_on
          FROM new_changes
          WHERE kind <> 'certification'
          WINDOW w AS (PARTITION BY enterprise_id ORDER BY id)) AS m
    WHERE m.kind = 'promotion';
    RETURN NULL;
END
$$;
DROP TRIGGER tier_changes_entries ON tier_changes;
CREATE TRIGGER tier_changes_entries AFTER INSERT ON tier_changes REFERENCING NEW TABLE AS new_changes
    FOR EACH STATEMENT EXECUTE FUNCTION track_rung_entries();
