DROP TRIGGER enterprises_counted ON enterprises;
DROP FUNCTION maintain_enterprise_counts();
DROP FUNCTION count_enterprise(uuid, uuid, text, text, integer);
DROP TABLE enterprise_counts;
