-- Regions: district → street → park. Counselors are assigned to streets, so a street is
-- the unit of access scope; parks hang under exactly one street.
CREATE TABLE regions (
    id         uuid PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('district', 'street', 'park')),
    code       text NOT NULL UNIQUE,
    name       text NOT NULL,
    parent_id  uuid REFERENCES regions (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Only a district stands at the top; the kind of the parent is checked by the app.
    CHECK ((kind = 'district') = (parent_id IS NULL))
);
CREATE INDEX regions_parent_id_idx ON regions (parent_id);

-- Name search must work for one- and two-character Chinese fragments (华为, 比亚迪 …).
-- pg_trgm cannot index fragments shorter than three characters and falls back to a
-- sequential scan, so names are indexed by their unigrams and bigrams instead. A search
-- probes the fragment's bigrams (its one character, if that is all it has) through GIN,
-- then strpos keeps the names holding the fragment in one piece. strpos rather than LIKE:
-- the planner would multiply LIKE's guessed selectivity with the GIN estimate as if they
-- were independent, expect a handful of rows for a common fragment such as 科技, and
-- sort hundreds of thousands instead of walking the id index and stopping after a page.
CREATE FUNCTION enterprise_name_grams(name text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT coalesce(array_agg(DISTINCT gram), '{}')
    FROM (
        SELECT substr(lower(name), i, 1) AS gram FROM generate_series(1, char_length(name)) AS i
        UNION
        SELECT substr(lower(name), i, 2) FROM generate_series(1, char_length(name) - 1) AS i
    ) AS grams
$$;

CREATE FUNCTION enterprise_search_grams(fragment text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN char_length(fragment) = 1 THEN ARRAY[lower(fragment)]
        ELSE (SELECT coalesce(array_agg(DISTINCT substr(lower(fragment), i, 2)), '{}')
              FROM generate_series(1, char_length(fragment) - 1) AS i)
    END
$$;

CREATE TABLE enterprises (
    id             uuid PRIMARY KEY,
    -- "C" collation: a plain B-tree on it then also serves USCC prefix LIKE queries.
    uscc           text COLLATE "C" NOT NULL,
    name           text NOT NULL,
    name_grams     text[] NOT NULL GENERATED ALWAYS AS (enterprise_name_grams(name)) STORED,
    -- NULL street: created by a registry feed and waiting for triage.
    street_id      uuid REFERENCES regions (id),
    park_id        uuid REFERENCES regions (id),
    cluster        text,
    established_on date,
    address        text,
    contact_name   text,
    contact_phone  text,
    employees      integer CHECK (employees >= 0),
    tags           text[] NOT NULL DEFAULT '{}',
    tier           text NOT NULL,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    archived_at    timestamptz,
    CONSTRAINT enterprises_uscc_key UNIQUE (uscc),
    CHECK (char_length(uscc) = 18)
);

-- Lists show live enterprises newest first (UUIDv7 ids are time-ordered) and page by id.
-- Every filter of GET /enterprises has a partial index ending in id, so a filtered page
-- is an index range scan that stops after `limit` rows.
CREATE INDEX enterprises_live_idx ON enterprises (id) WHERE archived_at IS NULL;
CREATE INDEX enterprises_street_idx ON enterprises (street_id, id) WHERE archived_at IS NULL;
CREATE INDEX enterprises_tier_idx ON enterprises (tier, id) WHERE archived_at IS NULL;
CREATE INDEX enterprises_street_tier_idx ON enterprises (street_id, tier, id) WHERE archived_at IS NULL;
CREATE INDEX enterprises_cluster_idx ON enterprises (cluster, id) WHERE archived_at IS NULL;
CREATE INDEX enterprises_name_grams_idx ON enterprises USING gin (name_grams);
-- Foreign keys are indexed so deleting or re-parenting a region never scans enterprises.
CREATE INDEX enterprises_park_id_idx ON enterprises (park_id);

-- Who changed what, when: one row per change, written in the same transaction.
CREATE TABLE audit_log (
    id          uuid PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_kind  text NOT NULL CHECK (actor_kind IN ('anonymous', 'user', 'api_key', 'system')),
    actor_id    uuid,
    action      text NOT NULL,
    entity      text NOT NULL,
    entity_id   uuid NOT NULL,
    before      jsonb,
    after       jsonb,
    request_id  uuid
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, id);
