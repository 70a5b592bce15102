DROP TRIGGER enterprises_park_within_street ON enterprises;
DROP FUNCTION enterprise_park_within_street();
