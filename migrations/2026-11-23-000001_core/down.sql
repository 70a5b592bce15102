DROP TABLE audit_log;
DROP TABLE enterprises;
DROP FUNCTION enterprise_search_grams(text);
DROP FUNCTION enterprise_name_grams(text);
DROP TABLE regions;
