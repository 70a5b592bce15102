-- A street's open demands newest first (the agenda's 逾期 list, the desk's queues): a walk
-- along this index stops after a page, where the stage index made PostgreSQL fetch and
-- sort every open demand of the street (2,489 rows, 23–41 ms at a million enterprises).
CREATE INDEX service_requests_street_open_idx ON service_requests (street_id, id) WHERE stage IS NOT NULL;

-- A demand's move (签收, 首次联系, 办结…) rewrites its row, and the trigger that keeps its
-- street locked the enterprise's row after the demand's: the opposite order to a visit,
-- which locks the enterprise and then the open demands it contacts. Under load the two
-- deadlocked (the soak test's 500s). The street follows only when what decides it
-- changes, so an ordinary move no longer takes the enterprise's lock at all.
DROP TRIGGER service_requests_street_of_holder ON service_requests;
CREATE TRIGGER service_requests_street_of_holder
    BEFORE INSERT ON service_requests
    FOR EACH ROW EXECUTE FUNCTION street_of_request_holder();
CREATE TRIGGER service_requests_street_of_holder_moved
    BEFORE UPDATE OF enterprise_id, street_id, transferred_street_id, department ON service_requests
    FOR EACH ROW
    WHEN (OLD.enterprise_id IS DISTINCT FROM NEW.enterprise_id OR OLD.street_id IS DISTINCT FROM NEW.street_id
          OR OLD.transferred_street_id IS DISTINCT FROM NEW.transferred_street_id
          OR OLD.department IS DISTINCT FROM NEW.department)
    EXECUTE FUNCTION street_of_request_holder();

-- A street's applications in flight this year, for the enterprises to visit more often
-- while they apply (the agenda): 2,222 index entries instead of the street's 24,650
-- applications of the year (35 → 18 ms at a million enterprises).
CREATE INDEX applications_street_in_flight_idx ON applications (street_id, batch_year, enterprise_id)
    WHERE status IN ('preparing', 'pre_reviewed', 'submitted');

-- Held certificates of some rungs ending in a window (the cockpit's 复核 count, the review
-- list): by rung first. The district's count for 专精特新 and 小巨人 read every certificate
-- (127 ms at a million enterprises); now it reads the rungs' own.
CREATE INDEX certificates_tier_ending_idx ON certificates (tier, valid_until) WHERE ended_on IS NULL;
