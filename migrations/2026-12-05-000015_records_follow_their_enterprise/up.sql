-- A visit, a service request and an application lie in a street because their enterprise
-- does, today. Their `street_id` stays (lists by street are one index range, and the
-- request and application counters are kept per street), but it is no longer a copy the
-- application writes: the database sets it from the enterprise on every insert and moves
-- it with the enterprise, whatever moves the enterprise (an edit, an import, SQL by hand).
-- Before this, a record kept the street it was made in, and the old street's counselor
-- could still read and work an enterprise's requests after it moved away.

CREATE FUNCTION street_of_enterprise() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The lock makes a move and a new record of the same enterprise take turns: a move
    -- committing meanwhile waits for this record and then carries it along, and a record
    -- made after the move reads the new street. (A share lock would deadlock two visits
    -- of one enterprise, each of which goes on to update the enterprise's last visit.)
    SELECT e.street_id INTO NEW.street_id FROM enterprises e WHERE e.id = NEW.enterprise_id FOR NO KEY UPDATE;
    RETURN NEW;
END
$$;

CREATE TRIGGER visits_street_of_enterprise BEFORE INSERT OR UPDATE OF enterprise_id, street_id ON visits
    FOR EACH ROW EXECUTE FUNCTION street_of_enterprise();
CREATE TRIGGER service_requests_street_of_enterprise
    BEFORE INSERT OR UPDATE OF enterprise_id, street_id ON service_requests
    FOR EACH ROW EXECUTE FUNCTION street_of_enterprise();
CREATE TRIGGER applications_street_of_enterprise
    BEFORE INSERT OR UPDATE OF enterprise_id, street_id ON applications
    FOR EACH ROW EXECUTE FUNCTION street_of_enterprise();

-- The counters of requests and applications follow (their triggers count a change of
-- street as a move from one key to the other). The funnel does not: a rung entry keeps
-- the street the enterprise entered it in, so that a year's cohort does not change later.
CREATE FUNCTION carry_records_along() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER enterprises_carry_records_along AFTER UPDATE OF street_id ON enterprises
    FOR EACH ROW WHEN (OLD.street_id IS DISTINCT FROM NEW.street_id) EXECUTE FUNCTION carry_records_along();

-- Records left behind by moves before this migration join their enterprise now.
UPDATE visits v SET street_id = e.street_id FROM enterprises e
WHERE e.id = v.enterprise_id AND v.street_id IS DISTINCT FROM e.street_id;
UPDATE service_requests r SET street_id = e.street_id FROM enterprises e
WHERE e.id = r.enterprise_id AND r.street_id IS DISTINCT FROM e.street_id;
UPDATE applications a SET street_id = e.street_id FROM enterprises e
WHERE e.id = a.enterprise_id AND a.street_id IS DISTINCT FROM e.street_id;

-- When an enterprise moves, a pending request whose assignee does not serve the new street
-- goes back to be taken there (service::requests::release_unserved). An import run from
-- the command line moves enterprises with no person behind it: such a move of a request
-- names no actor.
ALTER TABLE request_transitions ALTER COLUMN actor_id DROP NOT NULL;
