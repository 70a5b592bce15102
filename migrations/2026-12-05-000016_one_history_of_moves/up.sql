-- Every workflow records its moves one way (service::workflow): a step may be the
-- system's, made by no person, on an application as on a request.
ALTER TABLE application_transitions ALTER COLUMN actor_id DROP NOT NULL;
