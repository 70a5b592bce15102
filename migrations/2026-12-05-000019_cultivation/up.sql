-- Cultivation (issue 28): what a certified enterprise owes to keep its rung, which kind of
-- decision an application asks for, and the readiness radar precomputed per enterprise.

-- An application asks for a first certificate (`new`) or for a held one to be kept at
-- the end of its term (`review`, 复核); each is judged by the rule set of its kind.
ALTER TABLE applications ADD COLUMN kind text NOT NULL DEFAULT 'new' CHECK (kind IN ('new', 'review'));

-- 义务: a dated item an enterprise owes because it holds a certificate (the 国高's annual
-- report by 31 May, 专精特新's data update …), made from configuration by
-- service::obligations::materialize. One per obligation and reporting year.
CREATE TABLE obligations (
    id uuid PRIMARY KEY,
    enterprise_id uuid NOT NULL REFERENCES enterprises (id),
    -- Set from the enterprise by the trigger below, like every record of an enterprise.
    street_id uuid REFERENCES regions (id),
    certificate_id uuid REFERENCES certificates (id),
    code text NOT NULL,
    -- The year reported on.
    period integer NOT NULL,
    -- The date that counts: the district's, where it sets an earlier one, else the nation's.
    due_on date NOT NULL,
    national_due_on date NOT NULL,
    done_at timestamptz,
    -- Who ticked it off: a user or an API key (the audit log names which).
    done_by uuid,
    evidence text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (enterprise_id, code, period)
);
-- Open items by due date, for the district and for a street (the agenda, the list, the
-- cockpit's overdue count); all items by due date for a year's completion report.
CREATE INDEX obligations_open_due_idx ON obligations (due_on, id) WHERE done_at IS NULL;
CREATE INDEX obligations_street_open_due_idx ON obligations (street_id, due_on, id) WHERE done_at IS NULL;
CREATE INDEX obligations_due_idx ON obligations (due_on, street_id, code);
CREATE INDEX obligations_certificate_idx ON obligations (certificate_id) WHERE done_at IS NULL;
CREATE TRIGGER obligations_street_of_enterprise BEFORE INSERT OR UPDATE OF enterprise_id, street_id ON obligations
    FOR EACH ROW EXECUTE FUNCTION street_of_enterprise();

-- 准备度: how close each enterprise's latest figures bring it to each rung above it that
-- has rules, ranked by criteria short (total - met, unknown counting as short) and then by
-- the summed relative gap. Recomputed by service::readiness when figures, certificates or
-- rules change; `next` marks the enterprise's next rung with rules. Only the rank is kept
-- (a few dozen bytes a row, millions of rows at a province's scale): the gaps in words are
-- evaluated again for the page shown.
CREATE TABLE readiness (
    enterprise_id uuid NOT NULL REFERENCES enterprises (id),
    target_tier text NOT NULL,
    street_id uuid REFERENCES regions (id),
    next boolean NOT NULL,
    met smallint NOT NULL,
    total smallint NOT NULL,
    short smallint NOT NULL,
    shortfall real NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (enterprise_id, target_tier)
);
CREATE INDEX readiness_tier_rank_idx ON readiness (target_tier, short, shortfall, enterprise_id);
CREATE INDEX readiness_street_tier_rank_idx ON readiness (street_id, target_tier, short, shortfall, enterprise_id);
CREATE INDEX readiness_next_rank_idx ON readiness (short, shortfall, enterprise_id) WHERE next;
CREATE INDEX readiness_street_next_rank_idx ON readiness (street_id, short, shortfall, enterprise_id) WHERE next;
CREATE TRIGGER readiness_street_of_enterprise BEFORE INSERT OR UPDATE OF enterprise_id, street_id ON readiness
    FOR EACH ROW EXECUTE FUNCTION street_of_enterprise();

-- An enterprise whose latest figures fail a criterion its own rung is kept by (国高's
-- high-tech income share, R&D ratio, tech-staff share …): at risk of losing it. Kept with
-- the readiness rows; only failing enterprises have a row.
CREATE TABLE rung_risks (
    enterprise_id uuid PRIMARY KEY REFERENCES enterprises (id),
    street_id uuid REFERENCES regions (id),
    tier text NOT NULL,
    rule_set text NOT NULL,
    gaps jsonb NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rung_risks_street_idx ON rung_risks (street_id, enterprise_id);
CREATE TRIGGER rung_risks_street_of_enterprise BEFORE INSERT OR UPDATE OF enterprise_id, street_id ON rung_risks
    FOR EACH ROW EXECUTE FUNCTION street_of_enterprise();

-- The term of the certificate each enterprise stands on (of its current rung), kept with
-- the readiness rows: "ending soon" is a range of this index, not a join of every
-- certificate with its holder.
CREATE TABLE standing_terms (
    enterprise_id uuid PRIMARY KEY REFERENCES enterprises (id),
    street_id uuid REFERENCES regions (id),
    tier text NOT NULL,
    certificate_id uuid NOT NULL REFERENCES certificates (id),
    valid_until date NOT NULL
);
CREATE INDEX standing_terms_until_idx ON standing_terms (valid_until, enterprise_id);
CREATE TRIGGER standing_terms_street_of_enterprise BEFORE INSERT OR UPDATE OF enterprise_id, street_id
    ON standing_terms FOR EACH ROW EXECUTE FUNCTION street_of_enterprise();

-- The few archived enterprises, for the counts that leave them out without walking every
-- live one.
CREATE INDEX enterprises_archived_idx ON enterprises (id) WHERE archived_at IS NOT NULL;

-- What the precomputed rows were computed from (rules, ladder, year): a start-up whose
-- catalogue differs recomputes every enterprise in the background.
CREATE TABLE readiness_basis (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    fingerprint text NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now()
);

-- The new records follow their enterprise when it moves street, as the others do.
CREATE OR REPLACE FUNCTION carry_records_along() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE visits SET street_id = NEW.street_id
    WHERE enterprise_id = NEW.id AND street_id IS DISTINCT FROM NEW.street_id;
    UPDATE service_requests SET street_id = NEW.street_id
    WHERE enterprise_id = NEW.id AND street_id IS DISTINCT FROM NEW.street_id;
    UPDATE applications SET street_id = NEW.street_id
    WHERE enterprise_id = NEW.id AND street_id IS DISTINCT FROM NEW.street_id;
    UPDATE obligations SET street_id = NEW.street_id
    WHERE enterprise_id = NEW.id AND street_id IS DISTINCT FROM NEW.street_id;
    UPDATE readiness SET street_id = NEW.street_id
    WHERE enterprise_id = NEW.id AND street_id IS DISTINCT FROM NEW.street_id;
    UPDATE rung_risks SET street_id = NEW.street_id
    WHERE enterprise_id = NEW.id AND street_id IS DISTINCT FROM NEW.street_id;
    UPDATE standing_terms SET street_id = NEW.street_id
    WHERE enterprise_id = NEW.id AND street_id IS DISTINCT FROM NEW.street_id;
    RETURN NULL;
END
$$;
