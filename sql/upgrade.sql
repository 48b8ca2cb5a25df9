--
-- upgrade: 1.0 updated to the latest version by ALTER EXTENSION ... UPDATE, against a fresh
-- install (in the manner of contrib/pg_stat_statements'
-- oldextversions test).  Two databases get the same writes, part one before
-- the update (so under 1.0 in the first), part two after it
-- (test/lib/upgrade_fill.psql); then their catalogs (every object of the
-- extension, function bodies and rights, columns, constraints, indexes,
-- triggers) and their data (violations, events, months, history, skips,
-- settings) are compared line for line (test/lib/upgrade_state.psql).
--
\set ECHO none
SET client_min_messages = warning;
DROP DATABASE IF EXISTS violations_upgraded;
DROP DATABASE IF EXISTS violations_fresh;
CREATE DATABASE violations_upgraded;
CREATE DATABASE violations_fresh;

\c violations_upgraded
SET client_min_messages = warning;
\i data/app_schema.sql
\i data/load_reference.sql
\set ECHO all
CREATE EXTENSION violations VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'violations';
\set ECHO none
\set part_one true
\i test/lib/upgrade_fill.psql

\set ECHO all
SELECT count(*) AS violations, count(*) FILTER (WHERE "status" <> 'OPEN') AS reviewed
  FROM "ViolationSample";

ALTER EXTENSION violations UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'violations';
\set ECHO none
\set part_one false
\i test/lib/upgrade_fill.psql
\set prefix upgraded_
\i test/lib/upgrade_state.psql

\c violations_fresh
SET client_min_messages = warning;
\i data/app_schema.sql
\i data/load_reference.sql
\set ECHO all
CREATE EXTENSION violations;
SELECT extversion FROM pg_extension WHERE extname = 'violations';
\set ECHO none
\set part_one true
\i test/lib/upgrade_fill.psql
\set part_one false
\i test/lib/upgrade_fill.psql
\set prefix fresh_
\i test/lib/upgrade_state.psql

\c contrib_regression
\set ECHO all
-- the same catalog and the same data, neither of them empty
SELECT :'upgraded_catalog' = :'fresh_catalog' AS same_catalog,
       :'upgraded_data' = :'fresh_data' AS same_data,
       :upgraded_lines = :fresh_lines AS same_lines,
       :fresh_lines AS lines;
-- what differs, if anything
SELECT 'catalog only after the update' AS "where", l AS line
  FROM regexp_split_to_table(:'upgraded_catalog', E'\n') l
EXCEPT SELECT 'catalog only after the update', regexp_split_to_table(:'fresh_catalog', E'\n')
UNION ALL
(SELECT 'catalog only in the fresh install', l
  FROM regexp_split_to_table(:'fresh_catalog', E'\n') l
EXCEPT SELECT 'catalog only in the fresh install', regexp_split_to_table(:'upgraded_catalog', E'\n'))
UNION ALL
(SELECT 'data only after the update', l
  FROM regexp_split_to_table(:'upgraded_data', E'\n') l
EXCEPT SELECT 'data only after the update', regexp_split_to_table(:'fresh_data', E'\n'))
UNION ALL
(SELECT 'data only in the fresh install', l
  FROM regexp_split_to_table(:'fresh_data', E'\n') l
EXCEPT SELECT 'data only in the fresh install', regexp_split_to_table(:'upgraded_data', E'\n'))
ORDER BY 1, 2;
-- what part two shows in both: detection after the update, the reviewer's
-- change named by its role, and no drift
SELECT l AS line FROM regexp_split_to_table(:'fresh_data', E'\n') l
 WHERE l LIKE 'violation up\_%' OR l LIKE 'history up\_%' OR l LIKE 'drift%'
    OR l LIKE 'history % carol %' OR l LIKE 'history fac\_up\_hand%' OR l LIKE 'band NAL%'
 ORDER BY 1;
SELECT count(*) AS function_lines FROM regexp_split_to_table(:'fresh_catalog', E'\n') l
 WHERE l LIKE 'function %';

\set ECHO none
DROP DATABASE violations_upgraded;
DROP DATABASE violations_fresh;
