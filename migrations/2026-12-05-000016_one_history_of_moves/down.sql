DELETE FROM application_transitions WHERE actor_id IS NULL;
ALTER TABLE application_transitions ALTER COLUMN actor_id SET NOT NULL;
