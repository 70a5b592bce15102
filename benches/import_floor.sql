-- The floor under a certification import: what PostgreSQL alone takes to write the rows a
-- 100,000-row list makes Peiyu write, one set-based statement per table, no application
-- in the way. Everything happens in one transaction that is rolled back.
--
--   psql "$DATABASE_URL" -f benches/import_floor.sql
--
-- Run it against the district `cargo bench --bench import` used (a million enterprises).
-- The first part writes what a list of enterprises Peiyu does not know makes it write, the
-- second what a higher rung for the same enterprises does; the third, with those rolled
-- back, repeats the enterprise row's own statements with triggers and foreign-key checks
-- off (it needs a superuser for session_replication_role), to show what the row's indexes
-- cost by themselves. Ids are time-ordered, as Peiyu's UUIDv7 are.
\timing on
BEGIN;
SET LOCAL statement_timeout = 0;
SET LOCAL jit = off;
CREATE TEMP SEQUENCE floor_audit_ids;
CREATE TEMP TABLE listed ON COMMIT DROP AS
SELECT ('0199a' || lpad(to_hex(n), 27, '0'))::uuid AS enterprise_id,
       ('0199b' || lpad(to_hex(n), 27, '0'))::uuid AS first_certificate_id,
       ('0199c' || lpad(to_hex(n), 27, '0'))::uuid AS first_change_id,
       ('0199d' || lpad(to_hex(n), 27, '0'))::uuid AS second_certificate_id,
       ('0199e' || lpad(to_hex(n), 27, '0'))::uuid AS second_change_id,
       '91440300MF' || lpad(n::text, 8, '0') AS uscc,
       '深圳市基准测试' || n || '科技有限公司' AS name
FROM generate_series(1, 100000) AS n;
CREATE FUNCTION pg_temp.audit_id() RETURNS uuid LANGUAGE sql AS
$$ SELECT ('0199f' || lpad(to_hex(nextval('floor_audit_ids')), 27, '0'))::uuid $$;
SAVEPOINT listed;

\echo == 1. enterprises Peiyu does not know: registered at their rung
INSERT INTO enterprises (id, uscc, name, tier) SELECT enterprise_id, uscc, name, 'tech_sme' FROM listed;
\echo == 1. their certificates
INSERT INTO certificates (id, enterprise_id, tier, certificate_no, effective_on, batch, source)
SELECT first_certificate_id, enterprise_id, 'tech_sme', 'GR' || uscc, DATE '2026-10-01', '2026年第一批', 'registry' FROM listed;
\echo == 1. their history (with the rung-entry trigger)
INSERT INTO tier_changes (id, enterprise_id, kind, from_tier, to_tier, effective_on, certificate_id, source, actor_kind)
SELECT first_change_id, enterprise_id, 'promotion', 'prospect', 'tech_sme', DATE '2026-10-01', first_certificate_id, 'registry', 'system'
FROM listed;
\echo == 1. audit: enterprises, certificates, history
INSERT INTO audit_log (id, actor_kind, action, entity, entity_id, after)
SELECT pg_temp.audit_id(), 'system', 'create', 'enterprise', e.id, to_jsonb(e) - 'name_grams'
FROM enterprises e JOIN listed ON e.id = listed.enterprise_id;
INSERT INTO audit_log (id, actor_kind, action, entity, entity_id, after)
SELECT pg_temp.audit_id(), 'system', 'create', 'certificate', c.id, to_jsonb(c)
FROM certificates c JOIN listed ON c.id = listed.first_certificate_id;
INSERT INTO audit_log (id, actor_kind, action, entity, entity_id, after)
SELECT pg_temp.audit_id(), 'system', 'create', 'tier_change', t.id, to_jsonb(t)
FROM tier_changes t JOIN listed ON t.id = listed.first_change_id;

\echo == 2. a higher rung for the same enterprises: locked
SELECT count(*) AS locked FROM (SELECT FROM enterprises WHERE uscc IN (SELECT uscc FROM listed) FOR UPDATE) AS l;
\echo == 2. their certificates
INSERT INTO certificates (id, enterprise_id, tier, certificate_no, effective_on, batch, source)
SELECT second_certificate_id, enterprise_id, 'hnte', 'GX' || uscc, DATE '2026-10-01', '2026年第一批', 'registry' FROM listed;
\echo == 2. their history (with the rung-entry trigger)
INSERT INTO tier_changes (id, enterprise_id, kind, from_tier, to_tier, effective_on, certificate_id, source, actor_kind)
SELECT second_change_id, enterprise_id, 'promotion', 'tech_sme', 'hnte', DATE '2026-10-01', second_certificate_id, 'registry', 'system'
FROM listed;
\echo == 2. their new tier
UPDATE enterprises e SET tier = 'hnte', version = version + 1, updated_at = now()
FROM listed WHERE e.id = listed.enterprise_id;
\echo == 2. audit: certificates, history, enterprises before and after
INSERT INTO audit_log (id, actor_kind, action, entity, entity_id, after)
SELECT pg_temp.audit_id(), 'system', 'create', 'certificate', c.id, to_jsonb(c)
FROM certificates c JOIN listed ON c.id = listed.second_certificate_id;
INSERT INTO audit_log (id, actor_kind, action, entity, entity_id, after)
SELECT pg_temp.audit_id(), 'system', 'create', 'tier_change', t.id, to_jsonb(t)
FROM tier_changes t JOIN listed ON t.id = listed.second_change_id;
INSERT INTO audit_log (id, actor_kind, action, entity, entity_id, before, after)
SELECT pg_temp.audit_id(), 'system', 'promotion', 'enterprise', e.id, to_jsonb(e) - 'name_grams', to_jsonb(e) - 'name_grams'
FROM enterprises e JOIN listed ON e.id = listed.enterprise_id;
ROLLBACK TO SAVEPOINT listed;

\echo == 3. the enterprise row alone, no triggers, no foreign-key checks
SET LOCAL session_replication_role = replica;
\echo == 3. insert
INSERT INTO enterprises (id, uscc, name, tier) SELECT enterprise_id, uscc, name, 'tech_sme' FROM listed;
\echo == 3. tier update
UPDATE enterprises e SET tier = 'hnte', version = version + 1, updated_at = now()
FROM listed WHERE e.id = listed.enterprise_id;
\echo == 3. the name grams of the same names, computed alone
SELECT count(enterprise_name_grams(name)) AS names FROM listed;
ROLLBACK;
