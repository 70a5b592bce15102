CREATE OR REPLACE FUNCTION carry_records_along() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE visits SET street_id = NEW.street_id
    WHERE enterprise_id = NEW.id AND street_id IS DISTINCT FROM NEW.street_id;
    UPDATE service_requests SET street_id = NEW.street_id
    WHERE enterprise_id = NEW.id AND street_id IS DISTINCT FROM NEW.street_id;
    UPDATE applications SET street_id = NEW.street_id
    WHERE enterprise_id = NEW.id AND street_id IS DISTINCT FROM NEW.street_id;
    RETURN NULL;
END
$$;
DROP INDEX enterprises_archived_idx;
DROP TABLE readiness_basis;
DROP TABLE standing_terms;
DROP TABLE rung_risks;
DROP TABLE readiness;
DROP TABLE obligations;
ALTER TABLE applications DROP COLUMN kind;
