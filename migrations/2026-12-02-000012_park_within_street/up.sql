-- An enterprise's park lies in its street, whatever path writes the row (the API, an
-- import, a registry feed, a script): the service checks it first and names the field;
-- this trigger makes it impossible to break.
CREATE FUNCTION enterprise_park_within_street() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.park_id IS NOT NULL AND NOT EXISTS (
        SELECT FROM regions p
        WHERE p.id = NEW.park_id AND p.kind = 'park' AND p.parent_id IS NOT DISTINCT FROM NEW.street_id
    ) THEN
        RAISE EXCEPTION 'the park % does not lie in the street %', NEW.park_id, NEW.street_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'enterprises_park_within_street',
                  TABLE = 'enterprises', COLUMN = 'park_id';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER enterprises_park_within_street
    BEFORE INSERT OR UPDATE OF street_id, park_id ON enterprises
    FOR EACH ROW EXECUTE FUNCTION enterprise_park_within_street();

-- Rows an earlier import left with a park outside their street lose that park.
UPDATE enterprises e SET park_id = NULL
WHERE e.park_id IS NOT NULL AND NOT EXISTS (
    SELECT FROM regions p WHERE p.id = e.park_id AND p.kind = 'park' AND p.parent_id IS NOT DISTINCT FROM e.street_id
);
