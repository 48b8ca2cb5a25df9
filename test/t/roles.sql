-- Roles (issue 6, "Roles and search_path"; docs/OPERATIONS.md, "Roles").
-- Login roles made here (rolled back at the end) are members of the roles
-- the extension ships:
--   ingest_u   violations_ingest:   inserts samples; the violations appear,
--                                   but it cannot write, delete or hide any
--   reviewer_u violations_reviewer: reads, changes "status" (plain UPDATE or
--                                   violations_set_status), nothing else
--   reader_u   violations_reader:   SELECT only
--   admin_u    violations_admin:    settings, bands, hand entries, backfill
-- Each statement runs under SET LOCAL ROLE through pg_temp.as_role (pgTAP's
-- own temporary tables belong to the superuser that runs the file).  Then
-- the exhaustive part: what each role may write, over every table and
-- every SECURITY DEFINER function of the schema, is exactly what it needs.
BEGIN;
SELECT plan(45);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss \gset

CREATE ROLE ingest_u LOGIN IN ROLE violations_ingest;
CREATE ROLE reviewer_u LOGIN IN ROLE violations_reviewer;
CREATE ROLE reader_u LOGIN IN ROLE violations_reader;
CREATE ROLE admin_u LOGIN IN ROLE violations_admin;
CREATE ROLE nobody_u LOGIN;

-- Runs q as role r; an error rolls the role back with throws_ok's subtransaction.
CREATE FUNCTION pg_temp.as_role(r text, q text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('SET LOCAL ROLE %I', r);
	EXECUTE q;
	RESET ROLE;
END
$$;

INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName") VALUES (9601, 'Roles');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType")
VALUES (960101, 9601, 'EFF-001', 'EFFLUENT_MONITORING');
INSERT INTO "Facility" ("id", "name", "esmrFacilityId") VALUES ('fac_roles', 'Roles Inc.', 9601);

-- ---------------------------------------------------------------- ingest

-- TSS 500 mg/L: annual NAL 100 (5.0, CRITICAL) and instantaneous NAL 400 (1.25, MODERATE)
SELECT lives_ok(format($q$SELECT pg_temp.as_role('ingest_u', %L)$q$,
	format($s$INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate",
			"samplingTime", "qualifier", "result", "units")
		VALUES ('ro_1', 960101, %L, '2024-02-01', '08:00', '=', 500, 'mg/L'),
			   ('ro_2', 960101, %L, '2024-02-02', '08:00', '=', 150, 'mg/L')$s$, :'tss', :'tss')),
	'ingest: inserts samples');
SELECT results_eq(
	$$SELECT "esmrSampleId", "benchmarkId", "exceedanceRatio", "severity"::text, "facilityId"
		FROM "ViolationSample" WHERE "esmrSampleId" LIKE 'ro\_%' ORDER BY 1, 2$$,
	$$VALUES ('ro_1', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 5.0000::numeric, 'CRITICAL', 'fac_roles'),
			 ('ro_1', 'TSS:NAL:MAXIMUM:INSTANTANEOUS', 1.2500, 'MODERATE', 'fac_roles'),
			 ('ro_2', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 1.5000, 'MODERATE', 'fac_roles')$$,
	'ingest: its samples'' violations were written by the trigger');
SELECT is((SELECT "count" FROM "ViolationEvent" WHERE "facilityId" = 'fac_roles'), 3,
	'ingest: and counted in the event');

SELECT throws_ok($$SELECT pg_temp.as_role('ingest_u', $s$
	INSERT INTO "ViolationSample" ("esmrSampleId", "benchmarkId", "eventId", "pollutantKey",
		"benchmarkType", "detectedAt", "measuredValue", "benchmarkValue", "units",
		"exceedanceRatio", "severity")
	VALUES ('ro_2', 'TSS:NAL:MAXIMUM:INSTANTANEOUS', 'any-event', 'TSS', 'NAL', '2024-02-02', 999,
			400, 'mg/L', 2.5, 'CRITICAL')$s$)$$,
	'42501', NULL, 'ingest: cannot forge a violation');
SELECT throws_ok($$SELECT pg_temp.as_role('ingest_u', 'DELETE FROM "ViolationSample"')$$,
	'42501', NULL, 'ingest: cannot delete violations');
SELECT throws_ok($$SELECT pg_temp.as_role('ingest_u',
	$s$UPDATE "ViolationSample" SET "status" = 'DISMISSED'$s$)$$,
	'42501', NULL, 'ingest: cannot change a status');
SELECT throws_ok($$SELECT pg_temp.as_role('ingest_u', $s$DELETE FROM "ESMRSample" WHERE "id" = 'ro_1'$s$)$$,
	'42501', NULL, 'ingest: cannot delete a sample (and its violations with it)');
SELECT throws_ok($$SELECT pg_temp.as_role('ingest_u', $s$UPDATE "ESMRSample" SET "result" = 1 WHERE "id" = 'ro_1'$s$)$$,
	'42501', NULL, 'ingest: cannot rewrite a stored sample');
SELECT throws_ok($$SELECT pg_temp.as_role('ingest_u', 'TRUNCATE "ESMRSample"')$$,
	'42501', NULL, 'ingest: cannot truncate the samples');
SELECT throws_ok($$SELECT pg_temp.as_role('ingest_u', 'ALTER TABLE "ESMRSample" DISABLE TRIGGER violations_detect_insert')$$,
	'42501', NULL, 'ingest: cannot switch detection off');
SELECT throws_ok($$SELECT pg_temp.as_role('ingest_u', $s$UPDATE "ViolationSettings" SET "evaluateDnq" = true$s$)$$,
	'42501', NULL, 'ingest: cannot change a setting');
SELECT throws_ok($$SELECT pg_temp.as_role('ingest_u', $s$UPDATE "PollutantBenchmark" SET "value" = 1000$s$)$$,
	'42501', NULL, 'ingest: cannot change a benchmark');
SELECT throws_ok($$SELECT pg_temp.as_role('ingest_u', $s$SELECT violations_reevaluate(ARRAY['ro_1'])$s$)$$,
	'42501', NULL, 'ingest: cannot call the internal helpers');
SELECT throws_ok($$SELECT pg_temp.as_role('ingest_u', $s$SELECT violations_record_violation('fac_roles',
	'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 900, '2024-03-01')$s$)$$,
	'42501', NULL, 'ingest: cannot enter a violation by hand');
SELECT throws_ok($$SELECT pg_temp.as_role('ingest_u', 'SELECT * FROM violations_backfill_batch(NULL, 10)')$$,
	'42501', NULL, 'ingest: cannot run the backfill');

-- ---------------------------------------------------------------- reviewer

SELECT "id" AS v1 FROM "ViolationSample"
 WHERE "esmrSampleId" = 'ro_1' AND "benchmarkId" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE' \gset
SELECT "id" AS v2 FROM "ViolationSample"
 WHERE "esmrSampleId" = 'ro_1' AND "benchmarkId" = 'TSS:NAL:MAXIMUM:INSTANTANEOUS' \gset
SELECT "id" AS v3 FROM "ViolationSample" WHERE "esmrSampleId" = 'ro_2' \gset

SELECT lives_ok(format($q$SELECT pg_temp.as_role('reviewer_u', %L)$q$,
	format($s$UPDATE "ViolationSample" SET "status" = 'UNDER_REVIEW' WHERE "id" = %L$s$, :'v1')),
	'reviewer: a plain UPDATE of status (what Prisma sends)');
SELECT lives_ok(format($q$SELECT pg_temp.as_role('reviewer_u', %L)$q$,
	format($s$SELECT violations_set_status(%L, 'RESOLVED', 'fixed')$s$, :'v1')),
	'reviewer: violations_set_status()');
SELECT lives_ok(format($q$SELECT pg_temp.as_role('reviewer_u', %L)$q$,
	format($s$SET LOCAL violations."user" = 'alice';
			 UPDATE "ViolationSample" SET "status" = 'DISMISSED' WHERE "id" = %L$s$, :'v2')),
	'reviewer: a status change in the name of an app user');
RESET violations."user";
SELECT results_eq(
	format($$SELECT "fromStatus"::text, "toStatus"::text, "changedBy", "note"
			   FROM "ViolationStatusHistory" WHERE "violationId" IN (%L, %L)
			  ORDER BY "changedAt", "toStatus"$$, :'v1', :'v2'),
	$$VALUES ('OPEN', 'UNDER_REVIEW', 'reviewer_u', NULL::text),
			 ('UNDER_REVIEW', 'RESOLVED', 'reviewer_u', 'fixed'),
			 ('OPEN', 'DISMISSED', 'alice', NULL)$$,
	'reviewer: the history names the role (not the owner the triggers run as), or the app user');

-- violations.internal spares the re-evaluation's own writes a second refresh;
-- set by a session, it must not let a status change go unrecorded or uncounted.
SELECT lives_ok(format($q$SELECT pg_temp.as_role('reviewer_u', %L)$q$,
	format($s$SET LOCAL violations.internal = 'on';
			 UPDATE "ViolationSample" SET "status" = 'UNDER_REVIEW' WHERE "id" = %L$s$, :'v3')),
	'reviewer: a status change with violations.internal set by the session');
SELECT is((SELECT count(*) FROM "ViolationStatusHistory" WHERE "violationId" = :'v3'), 1::bigint,
	'reviewer: is still recorded');
SELECT results_eq(
	$$SELECT "openCount", "underReviewCount", "resolvedCount", "dismissedCount"
		FROM "ViolationEvent" WHERE "facilityId" = 'fac_roles'$$,
	$$VALUES (0, 1, 1, 1)$$,
	'reviewer: and counted');
RESET violations.internal;

SELECT throws_ok(format($q$SELECT pg_temp.as_role('reviewer_u', %L)$q$,
	format($s$UPDATE "ViolationSample" SET "status" = 'RESOLVED' WHERE "id" = %L$s$, :'v2')),
	'VI001', 'illegal violation status change from DISMISSED to RESOLVED',
	'reviewer: the workflow still holds');
SELECT throws_ok($$SELECT pg_temp.as_role('reviewer_u', $s$UPDATE "ViolationSample" SET "severity" = 'LOW'$s$)$$,
	'42501', NULL, 'reviewer: cannot change a severity');
SELECT throws_ok($$SELECT pg_temp.as_role('reviewer_u', $s$UPDATE "ViolationSample" SET "statusChangedAt" = '2000-01-01'$s$)$$,
	'42501', NULL, 'reviewer: cannot backdate a status change');
SELECT throws_ok($$SELECT pg_temp.as_role('reviewer_u', 'DELETE FROM "ViolationSample"')$$,
	'42501', NULL, 'reviewer: cannot delete a violation');
SELECT throws_ok($$SELECT pg_temp.as_role('reviewer_u', 'UPDATE "ViolationEvent" SET "count" = 0')$$,
	'42501', NULL, 'reviewer: cannot edit an aggregate');
SELECT throws_ok($$SELECT pg_temp.as_role('reviewer_u', 'DELETE FROM "ViolationStatusHistory"')$$,
	'42501', NULL, 'reviewer: cannot erase history');
SELECT throws_ok($$SELECT pg_temp.as_role('reviewer_u', $s$INSERT INTO "ViolationStatusHistory"
	("violationId", "toStatus", "changedBy") VALUES ('x', 'OPEN', 'someone')$s$)$$,
	'42501', NULL, 'reviewer: cannot write history');
SELECT throws_ok(format($q$SELECT pg_temp.as_role('reviewer_u', %L)$q$,
	format($s$INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate",
			"samplingTime", "qualifier", "result", "units")
		VALUES ('ro_9', 960101, %L, '2024-02-01', '08:00', '=', 5, 'mg/L')$s$, :'tss')),
	'42501', NULL, 'reviewer: cannot insert samples');

-- ---------------------------------------------------------------- reader

SELECT lives_ok($$SELECT pg_temp.as_role('reader_u', $s$
	SELECT e."pollutant", e."count", m."month", m."count", v."measuredValue", s."units"
	  FROM "ViolationEvent" e
	  JOIN "ViolationMonthly" m ON m."eventId" = e."id"
	  JOIN "ViolationSample" v ON v."eventId" = e."id"
	  JOIN "ESMRSample" s ON s."id" = v."esmrSampleId"
	  JOIN "PollutantBenchmark" b ON b."id" = v."benchmarkId"
	  JOIN "Facility" f ON f."id" = e."facilityId"$s$)$$,
	'reader: dashboards and drilldowns');
SELECT lives_ok($$SELECT pg_temp.as_role('reader_u',
	'SELECT * FROM violations_check_aggregates(); SELECT * FROM "ViolationStatusHistory"; SELECT * FROM "ViolationSkipSummary"')$$,
	'reader: history, skips and the consistency check');
SELECT throws_ok(format($q$SELECT pg_temp.as_role('reader_u', %L)$q$,
	format($s$SELECT violations_set_status(%L, 'UNDER_REVIEW')$s$, :'v2')),
	'42501', NULL, 'reader: cannot change a status through the function');
SELECT throws_ok($$SELECT pg_temp.as_role('reader_u', $s$UPDATE "ViolationSample" SET "status" = 'OPEN'$s$)$$,
	'42501', NULL, 'reader: nor by UPDATE');
SELECT throws_ok($$SELECT pg_temp.as_role('nobody_u', 'SELECT count(*) FROM "ViolationSample"')$$,
	'42501', NULL, 'a role with none of the roles reads nothing');

-- ---------------------------------------------------------------- admin

SELECT lives_ok($$SELECT pg_temp.as_role('admin_u', $s$
	INSERT INTO "ViolationSeverityBand" ("benchmarkType", "minRatio", "severity")
	VALUES ('NAL', 4, 'HIGH')$s$)$$,
	'admin: changes the severity bands');
SELECT is((SELECT "severity"::text FROM "ViolationSample" WHERE "id" = :'v1'), 'HIGH',
	'admin: and the violations are reclassified (ratio 5.0 is in the new band from 4)');
SELECT lives_ok($$SELECT pg_temp.as_role('admin_u', $s$SELECT violations_record_violation('fac_roles',
	'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 900, '2024-03-01', 'inspection')$s$)$$,
	'admin: enters a violation by hand');
SELECT results_eq(
	$$SELECT h."changedBy", h."toStatus"::text FROM "ViolationStatusHistory" h
		JOIN "ViolationSample" v ON v."id" = h."violationId"
	   WHERE v."esmrSampleId" IS NULL AND v."facilityId" = 'fac_roles'$$,
	$$VALUES ('admin_u', 'OPEN')$$,
	'admin: the hand entry''s history names admin_u');
SELECT lives_ok($$SELECT pg_temp.as_role('admin_u', 'SELECT violations_rebuild_aggregates(); SELECT * FROM violations_backfill_batch(NULL, 10)')$$,
	'admin: rebuilds the aggregates and runs a backfill batch');

-- ---------------------------------------------------------------- nothing more

-- Rights beyond SELECT (of the table or any column), over every table and view of the schema.
SELECT results_eq(
	$$SELECT r.rolname::text COLLATE "default", c.relname::text COLLATE "default", p.priv
		FROM pg_roles r
		CROSS JOIN pg_class c
		CROSS JOIN unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(priv)
	   WHERE r.rolname IN ('violations_reader', 'violations_reviewer', 'violations_ingest')
		 AND c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v', 'p')
		 AND (has_table_privilege(r.oid, c.oid, p.priv)
			  OR (p.priv IN ('INSERT', 'UPDATE', 'REFERENCES')
				  AND has_any_column_privilege(r.oid, c.oid, p.priv)))
	   ORDER BY 1, 2, 3$$,
	$$VALUES ('violations_ingest', 'ESMRFacility', 'INSERT'),
			 ('violations_ingest', 'ESMRLocation', 'INSERT'),
			 ('violations_ingest', 'ESMRSample', 'INSERT'),
			 ('violations_reviewer', 'ViolationSample', 'UPDATE')$$,
	'writes: ingest inserts eSMR rows, the reviewer updates violations, the reader nothing');
SELECT results_eq(
	$$SELECT a.attname::text COLLATE "default" FROM pg_attribute a
	   WHERE a.attrelid = '"ViolationSample"'::regclass AND a.attnum > 0 AND NOT a.attisdropped
		 AND has_column_privilege('violations_reviewer', a.attrelid, a.attnum, 'UPDATE')$$,
	$$VALUES ('status')$$,
	'writes: of "ViolationSample" the reviewer may update only "status"');
-- SECURITY DEFINER functions each role may call (trigger functions cannot be called).
SELECT results_eq(
	$$SELECT r.rolname::text COLLATE "default", p.proname::text COLLATE "default"
		FROM pg_roles r CROSS JOIN pg_proc p
	   WHERE r.rolname IN ('violations_reader', 'violations_reviewer', 'violations_ingest',
						   'violations_admin')
		 AND p.pronamespace = 'public'::regnamespace AND p.prosecdef
		 AND p.prorettype <> 'trigger'::regtype
		 AND has_function_privilege(r.oid, p.oid, 'EXECUTE')
	   ORDER BY 1, 2$$,
	$$VALUES ('violations_admin', 'violations_backfill_batch'),
			 ('violations_admin', 'violations_compliance_rebuild'),
			 ('violations_admin', 'violations_rebuild_aggregates'),
			 ('violations_admin', 'violations_record_violation')$$,
	'functions with the owner''s rights: only the admin''s four');
SELECT is_empty(
	$$SELECT p.proname FROM pg_proc p
	   WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef
		 AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search\_path=%')$$,
	'every SECURITY DEFINER function pins search_path');

SELECT is_empty('SELECT * FROM violations_check_aggregates()',
	'the aggregates equal their recomputation');

SELECT * FROM finish();
ROLLBACK;
