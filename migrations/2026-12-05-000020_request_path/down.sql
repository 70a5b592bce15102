DROP INDEX certificates_tier_ending_idx;
DROP INDEX applications_street_in_flight_idx;
DROP TRIGGER service_requests_street_of_holder_moved ON service_requests;
DROP TRIGGER service_requests_street_of_holder ON service_requests;
CREATE TRIGGER service_requests_street_of_holder
    BEFORE INSERT OR UPDATE OF enterprise_id, street_id, transferred_street_id, department ON service_requests
    FOR EACH ROW EXECUTE FUNCTION street_of_request_holder();
DROP INDEX service_requests_street_open_idx;
