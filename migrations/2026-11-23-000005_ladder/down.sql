DROP TABLE tier_changes;
DROP FUNCTION refuse_history_rewrite();
DROP TABLE application_transitions;
DROP TABLE applications;
DROP TABLE certificates;
