CREATE OR REPLACE FUNCTION enterprise_name_grams(name text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT coalesce(array_agg(DISTINCT gram), '{}')
    FROM (
        SELECT substr(lower(name), i, 1) AS gram FROM generate_series(1, char_length(name)) AS i
        UNION
        SELECT substr(lower(name), i, 2) FROM generate_series(1, char_length(name) - 1) AS i
    ) AS grams
$$;
