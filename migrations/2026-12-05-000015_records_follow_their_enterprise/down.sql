-- Moves made with no actor cannot be given one: they go.
DELETE FROM request_transitions WHERE actor_id IS NULL;
ALTER TABLE request_transitions ALTER COLUMN actor_id SET NOT NULL;
DROP TRIGGER enterprises_carry_records_along ON enterprises;
DROP FUNCTION carry_records_along();
DROP TRIGGER applications_street_of_enterprise ON applications;
DROP TRIGGER service_requests_street_of_enterprise ON service_requests;
DROP TRIGGER visits_street_of_enterprise ON visits;
DROP FUNCTION street_of_enterprise();
