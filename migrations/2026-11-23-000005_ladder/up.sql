-- A certificate an enterprise holds for a rung (国高证书, 入库登记编号 …). An enterprise's
-- tier is the highest rung among the certificates it still holds; a certificate stops
-- being held when it lapses (`ended_on`, reason `expired`) or the enterprise is demoted
-- below it (revoked, moved out …).
CREATE TABLE certificates (
    id             uuid PRIMARY KEY,
    enterprise_id  uuid NOT NULL REFERENCES enterprises (id),
    tier           text NOT NULL,
    certificate_no text,
    effective_on   date NOT NULL,
    -- NULL: a rung without a term (the district's own 国高培育库).
    valid_until    date CHECK (valid_until >= effective_on),
    batch          text,
    source         text NOT NULL CHECK (source IN ('manual', 'registry', 'application')),
    ended_on       date,
    end_reason     text CHECK (end_reason IN ('expired', 'revoked', 'moved_out', 'other')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((ended_on IS NULL) = (end_reason IS NULL))
);
CREATE INDEX certificates_enterprise_idx ON certificates (enterprise_id, effective_on);
-- What lapses next: the expiry run and GET /pipeline/expiring walk this in order.
CREATE INDEX certificates_expiring_idx ON certificates (valid_until, id)
    WHERE ended_on IS NULL AND valid_until IS NOT NULL;

-- 申报: an enterprise's application for a tier in a yearly batch.
CREATE TABLE applications (
    id            uuid PRIMARY KEY,
    enterprise_id uuid NOT NULL REFERENCES enterprises (id),
    -- The enterprise's street when it applied, so that a batch's figures per street do
    -- not shift when an enterprise moves later.
    street_id     uuid REFERENCES regions (id),
    tier          text NOT NULL,
    batch_year    integer NOT NULL CHECK (batch_year BETWEEN 2000 AND 2100),
    status        text NOT NULL CHECK (status IN ('preparing', 'pre_reviewed', 'submitted', 'approved',
                                                  'rejected', 'withdrawn')),
    created_by    uuid NOT NULL REFERENCES users (id),
    -- Why it was rejected or withdrawn.
    outcome_note  text,
    decided_at    timestamptz,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- One application in flight per enterprise, tier and batch year; after a rejection or a
-- withdrawal it may apply again (a later batch of the same year).
CREATE UNIQUE INDEX applications_in_flight_key ON applications (enterprise_id, tier, batch_year)
    WHERE status IN ('preparing', 'pre_reviewed', 'submitted');
-- Lists run newest first and are filtered by batch year, with tier, street and status.
CREATE INDEX applications_batch_idx ON applications (batch_year, tier, status, id);
CREATE INDEX applications_street_idx ON applications (street_id, batch_year, id);
CREATE INDEX applications_status_idx ON applications (status, id);
CREATE INDEX applications_enterprise_idx ON applications (enterprise_id, id);
CREATE INDEX applications_created_by_idx ON applications (created_by);

CREATE TABLE application_transitions (
    id             uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id),
    action         text NOT NULL,
    from_status    text,
    to_status      text NOT NULL,
    actor_id       uuid NOT NULL REFERENCES users (id),
    note           text,
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_transitions_application_idx ON application_transitions (application_id, id);
CREATE INDEX application_transitions_actor_id_idx ON application_transitions (actor_id);

-- 晋级 / 降级: every move of an enterprise on the ladder. Append-only: the history is
-- evidence, so rows are never changed or removed (the trigger below refuses it).
CREATE TABLE tier_changes (
    id             uuid PRIMARY KEY,
    enterprise_id  uuid NOT NULL REFERENCES enterprises (id),
    kind           text NOT NULL CHECK (kind IN ('promotion', 'demotion', 'certification')),
    from_tier      text NOT NULL,
    to_tier        text NOT NULL,
    effective_on   date NOT NULL,
    -- The certificate a promotion or a certification granted.
    certificate_id uuid REFERENCES certificates (id),
    reason         text CHECK (reason IN ('expired', 'revoked', 'moved_out', 'other')),
    note           text,
    source         text NOT NULL CHECK (source IN ('manual', 'registry', 'application', 'expiry')),
    actor_kind     text NOT NULL CHECK (actor_kind IN ('user', 'api_key', 'system')),
    actor_id       uuid,
    -- The policy document of the rule set in force for `to_tier` on `effective_on`.
    rule_set       text,
    application_id uuid REFERENCES applications (id),
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'demotion') = (reason IS NOT NULL))
);
CREATE INDEX tier_changes_enterprise_idx ON tier_changes (enterprise_id, id);
CREATE INDEX tier_changes_effective_idx ON tier_changes (effective_on, kind);
CREATE INDEX tier_changes_certificate_id_idx ON tier_changes (certificate_id);
CREATE INDEX tier_changes_application_id_idx ON tier_changes (application_id);

CREATE FUNCTION refuse_history_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER tier_changes_append_only BEFORE UPDATE OR DELETE ON tier_changes
    FOR EACH ROW EXECUTE FUNCTION refuse_history_rewrite();

