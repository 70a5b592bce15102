DROP TABLE request_transitions;
DROP TABLE service_requests;
DROP TABLE visits;
