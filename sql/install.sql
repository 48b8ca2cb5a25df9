--
-- install: the app's tables and reference data, then CREATE EXTENSION violations.
-- What the extension creates, in a form that does not depend on OIDs or ids.
--
-- (pg_regress creates contrib_regression with pgtap only; the app's schema is
-- loaded here, from the repository's top directory where make runs.)
\set ECHO none
SET client_min_messages = warning;
\i data/app_schema.sql
\i data/load_reference.sql
RESET client_min_messages;
\set ECHO all

SELECT (SELECT count(*) FROM "ConfigPollutant") AS pollutants,
       (SELECT count(*) FROM "PollutantBenchmark") AS benchmarks,
       (SELECT count(*) FROM "ESMRParameter") AS parameters,
       (SELECT count(*) FROM "ESMRParameter" WHERE "canonicalKey" IS NOT NULL) AS tracked_parameters;

CREATE EXTENSION violations;

SELECT extname, extversion, extnamespace::regnamespace AS schema, extrelocatable
  FROM pg_extension WHERE extname = 'violations';

-- the enums
\dT+ "ViolationStatus"
\dT+ "ViolationSeverity"

-- the legacy placeholder table is gone, its name taken by the extension's
SELECT to_regclass('"ViolationEvent_legacy"') AS legacy_table;

-- the extension's tables, column by column
SELECT table_name, column_name, data_type,
       CASE WHEN data_type = 'USER-DEFINED' THEN udt_name END AS type_name,
       character_maximum_length AS len, numeric_precision AS prec, numeric_scale AS scale,
       is_nullable AS null, column_default, is_generated AS generated
  FROM information_schema.columns
 WHERE table_schema = 'public' AND table_name LIKE 'Violation%'
 ORDER BY table_name, ordinal_position;

-- their constraints, and the Alert foreign key re-pointed at the new "ViolationEvent"
SELECT conrelid::regclass AS "table", conname, pg_get_constraintdef(oid) AS definition
  FROM pg_constraint
 WHERE conrelid::regclass::text LIKE '"Violation%' OR conname = 'Alert_violationEventId_fkey'
 ORDER BY conrelid::regclass::text, conname;

-- their indexes
SELECT tablename, indexname, indexdef
  FROM pg_indexes
 WHERE schemaname = 'public' AND tablename LIKE 'Violation%'
 ORDER BY 1, 2;

-- the triggers on the app's and the extension's tables
SELECT tgrelid::regclass AS "table", tgname, pg_get_triggerdef(oid) AS definition
  FROM pg_trigger
 WHERE NOT tgisinternal AND tgname LIKE 'violations%'
 ORDER BY tgrelid::regclass::text, tgname;

-- every object that belongs to the extension
SELECT pg_describe_object(classid, objid, objsubid) AS member
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'violations')
   AND deptype = 'e'
 ORDER BY 1;

-- the tables whose rows pg_dump keeps
SELECT t.relid::regclass AS dumped_table
  FROM pg_extension e, unnest(e.extconfig) AS t(relid)
 WHERE e.extname = 'violations'
 ORDER BY t.relid::regclass::text;

-- default settings and severity bands, seeded by violations_attach()
SELECT "id", "reportingYearStartMonth", "evaluateDnq" FROM "ViolationSettings";
SELECT "benchmarkType", "minRatio", "severity" FROM "ViolationSeverityBand" ORDER BY 1, 2;
SELECT "lastSampleId", "samplesDone", "violationsFound", "totalSamples", "startedAt", "finishedAt"
  FROM "ViolationBackfill";

-- nothing detected yet, nothing to report
SELECT count(*) AS violations FROM "ViolationSample";
SELECT * FROM violations_check_aggregates();

-- violations_attach() is idempotent
SELECT violations_attach();
SELECT count(*) AS triggers FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'violations%';
SELECT count(*) AS bands FROM "ViolationSeverityBand";
