-- Changes after the fact, reference data (SPEC "Changes after the fact";
-- issue 3, 2): inserting, updating or deleting a PollutantBenchmark, or
-- changing a parameter's canonicalKey, re-evaluates the affected samples.  A
-- violation that still holds keeps its id and status; one that no longer
-- holds goes (its history stays).  An UPDATE of what detection does not read
-- (notes, source) re-evaluates nothing.  Detection on insert sees each change
-- in the same transaction, and forgets it when it is rolled back.
--
-- After every change: "ViolationSample" and "ViolationSkip" equal the
-- independent evaluation of test/lib/reference.psql, and the aggregates equal
-- their recomputation (pg_temp.check_all: 6 assertions).
--
-- Benchmarks used (data/benchmarks.csv):
--   TSS NAL 100 mg/L (annual) and 400 mg/L (instantaneous); PH NAL MINIMUM 6.0 SU
--   COPPER NAL 0.0332 mg/L, CMC 13 ug/L, CCC 9 ug/L, MCL 1.3 mg/L
-- and one made here: TSS MCL MAXIMUM INSTANTANEOUS, 80 mg/L at first.
BEGIN;
SELECT plan(104);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss,
	   'par_' || substr(md5('pH'), 1, 12) AS ph \gset

\ir ../lib/reference.psql

INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName") VALUES
	(9601, 'Reference changes, bare'), (9602, 'Reference changes, linked');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType") VALUES
	(960101, 9601, 'EFF-001', 'EFFLUENT_MONITORING'),
	(960201, 9602, 'EFF-001', 'EFFLUENT_MONITORING');
INSERT INTO "Facility" ("id", "name", "esmrFacilityId") VALUES ('fac_rc', 'Reference changes Facility', 9602);
-- a second parameter of TSS, whose canonicalKey is changed below
INSERT INTO "ESMRParameter" ("id", "parameterName", "category", "canonicalKey")
VALUES ('par_test_rc', 'Test TSS alias', 'conventional', 'TSS');

CREATE TEMP VIEW found AS
SELECT v."id", v."esmrSampleId" AS sample, v."benchmarkId", v."measuredValue", v."benchmarkValue",
	   v."units"::text AS units, v."exceedanceRatio"::text AS ratio, v."severity"::text AS severity,
	   v."status"::text AS status, v."facilityId", v."facilityPlaceId"
  FROM "ViolationSample" v;

CREATE FUNCTION pg_temp.vid(sample text, benchmark text) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT "id" FROM "ViolationSample" WHERE "esmrSampleId" = sample AND "benchmarkId" = benchmark
$$;

-- Every violation id seen so far (to tell kept violations from new ones).
CREATE TEMP TABLE seen (step text, "id" text, sample text, benchmark text);
CREATE FUNCTION pg_temp.remember(step text) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO seen SELECT step, "id", "esmrSampleId", "benchmarkId" FROM "ViolationSample"
$$;

-- ============================================================ the samples
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('r_1', 960101, :'tss',         '2024-02-01', '08:00', '=', 150, 'mg/L'),
	('r_2', 960101, :'tss',         '2024-02-02', '08:00', '=', 450, 'mg/L'),
	('r_3', 960201, :'tss',         '2024-02-03', '08:00', '=', 90,  'mg/L'),
	('r_4', 960101, :'ph',          '2024-02-04', '08:00', '=', 5.5, 'SU'),
	('r_5', 960101, 'par_test_rc',  '2024-02-05', '08:00', '=', 200, 'mg/L'),
	('r_6', 960201, :'tss',         '2024-02-06', '08:00', '>', 120, 'mg/L');
SELECT results_eq(
	$$SELECT sample, "benchmarkId", ratio, severity, "facilityId" FROM found ORDER BY 1, 2$$,
	$$VALUES ('r_1', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '1.5000', 'MODERATE', NULL::text),
			 ('r_2', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '4.5000', 'CRITICAL', NULL),
			 ('r_2', 'TSS:NAL:MAXIMUM:INSTANTANEOUS',  '1.1250', 'MODERATE', NULL),
			 ('r_4', 'PH:NAL:MINIMUM:INSTANTANEOUS',   '1.0909', 'MODERATE', NULL),
			 ('r_5', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '2.0000', 'MODERATE', NULL),
			 ('r_6', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '1.2000', 'MODERATE', 'fac_rc')$$,
	'the samples as inserted: 6 violations (hand-computed; r_3 at 90 mg/L none)');
SELECT * FROM pg_temp.check_all('inserted');
SELECT pg_temp.remember('inserted');

-- ============================================================ 1. INSERT a benchmark
-- TSS MCL 80 mg/L: 150/80 = 1.875, 450/80 = 5.625, 90/80 = 1.125, 200/80 = 2.5, > 120/80 = 1.5
INSERT INTO "PollutantBenchmark" ("id", "pollutantKey", "benchmarkType", "limit", "period", "value", "units", "source")
VALUES ('TSS:MCL:MAXIMUM:INSTANTANEOUS', 'TSS', 'MCL', 'MAXIMUM', 'INSTANTANEOUS', 80, 'mg/L', 'test');
-- detection on insert, in the same transaction, sees the new benchmark: 85/80 = 1.0625
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('r_7', 960101, :'tss', '2024-02-07', '08:00', '=', 85, 'mg/L');

SELECT results_eq(
	$$SELECT sample, "measuredValue", "benchmarkValue", ratio, severity, "facilityId" FROM found
	   WHERE "benchmarkId" = 'TSS:MCL:MAXIMUM:INSTANTANEOUS' ORDER BY 1$$,
	$$VALUES ('r_1', 150::numeric, 80::numeric, '1.8750', 'MODERATE', NULL::text),
			 ('r_2', 450::numeric, 80::numeric, '5.6250', 'CRITICAL', NULL),
			 ('r_3', 90::numeric,  80::numeric, '1.1250', 'MODERATE', 'fac_rc'),
			 ('r_5', 200::numeric, 80::numeric, '2.5000', 'CRITICAL', NULL),
			 ('r_6', 120::numeric, 80::numeric, '1.5000', 'MODERATE', 'fac_rc'),
			 ('r_7', 85::numeric,  80::numeric, '1.0625', 'MODERATE', NULL)$$,
	'INSERT benchmark (TSS MCL 80 mg/L): the stored TSS samples are evaluated against it (r_3 and r_6 of either parameter), and r_7 inserted after it');
SELECT set_eq(
	$$SELECT "id" FROM "ViolationSample" WHERE "benchmarkId" <> 'TSS:MCL:MAXIMUM:INSTANTANEOUS'$$,
	$$SELECT "id" FROM seen WHERE step = 'inserted'$$,
	'INSERT benchmark: the 6 violations of the other benchmarks keep their ids');
SELECT * FROM pg_temp.check_all('INSERT benchmark');
SELECT pg_temp.remember('benchmark inserted');

-- ============================================================ 2. value up, 80 -> 160
UPDATE "ViolationSample" SET "status" = 'UNDER_REVIEW'
 WHERE "id" = pg_temp.vid('r_2', 'TSS:MCL:MAXIMUM:INSTANTANEOUS');
UPDATE "PollutantBenchmark" SET "value" = 160 WHERE "id" = 'TSS:MCL:MAXIMUM:INSTANTANEOUS';
-- and a sample after it: 170/160 = 1.0625
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('r_8', 960101, :'tss', '2024-02-08', '08:00', '=', 170, 'mg/L');
SELECT results_eq(
	$$SELECT sample, "measuredValue", "benchmarkValue", ratio, severity, status,
			 "id" IN (SELECT "id" FROM seen) AS kept
		FROM found WHERE "benchmarkId" = 'TSS:MCL:MAXIMUM:INSTANTANEOUS' ORDER BY 1$$,
	$$VALUES ('r_2', 450::numeric, 160::numeric, '2.8125', 'CRITICAL', 'UNDER_REVIEW', true),
			 ('r_5', 200::numeric, 160::numeric, '1.2500', 'MODERATE', 'OPEN', true),
			 ('r_8', 170::numeric, 160::numeric, '1.0625', 'MODERATE', 'OPEN', false)$$,
	'value 80 -> 160: r_1, r_3, r_6, r_7 go; r_2 (still UNDER_REVIEW) and r_5 stay with new ratios; r_8 inserted after it is evaluated at 160');
SELECT * FROM pg_temp.check_all('value up');
SELECT pg_temp.remember('value up');

-- ============================================================ 3. value down, 160 -> 40
UPDATE "PollutantBenchmark" SET "value" = 40 WHERE "id" = 'TSS:MCL:MAXIMUM:INSTANTANEOUS';
SELECT results_eq(
	$$SELECT sample, ratio, severity, status, "id" IN (SELECT "id" FROM seen WHERE step = 'value up') AS kept
		FROM found WHERE "benchmarkId" = 'TSS:MCL:MAXIMUM:INSTANTANEOUS' ORDER BY 1$$,
	$$VALUES ('r_1', '3.7500',  'CRITICAL', 'OPEN', false),
			 ('r_2', '11.2500', 'CRITICAL', 'UNDER_REVIEW', true),
			 ('r_3', '2.2500',  'CRITICAL', 'OPEN', false),
			 ('r_5', '5.0000',  'CRITICAL', 'OPEN', true),
			 ('r_6', '3.0000',  'CRITICAL', 'OPEN', false),
			 ('r_7', '2.1250',  'CRITICAL', 'OPEN', false),
			 ('r_8', '4.2500',  'CRITICAL', 'OPEN', true)$$,
	'value 160 -> 40: every TSS sample violates; the three kept violations keep id and status, four are new');
SELECT * FROM pg_temp.check_all('value down');
SELECT pg_temp.remember('value down');

-- ============================================================ 4. units
-- 40 mg/L -> 40 ug/L: the results are converted into ug/L.
UPDATE "PollutantBenchmark" SET "units" = 'ug/L' WHERE "id" = 'TSS:MCL:MAXIMUM:INSTANTANEOUS';
SELECT results_eq(
	$$SELECT sample, "measuredValue", "benchmarkValue", units, ratio, status,
			 "id" IN (SELECT "id" FROM seen WHERE step = 'value down') AS kept
		FROM found WHERE "benchmarkId" = 'TSS:MCL:MAXIMUM:INSTANTANEOUS' ORDER BY 1$$,
	$$VALUES ('r_1', 150000::numeric, 40::numeric, 'ug/L', '3750.0000',  'OPEN', true),
			 ('r_2', 450000::numeric, 40::numeric, 'ug/L', '11250.0000', 'UNDER_REVIEW', true),
			 ('r_3', 90000::numeric,  40::numeric, 'ug/L', '2250.0000',  'OPEN', true),
			 ('r_5', 200000::numeric, 40::numeric, 'ug/L', '5000.0000',  'OPEN', true),
			 ('r_6', 120000::numeric, 40::numeric, 'ug/L', '3000.0000',  'OPEN', true),
			 ('r_7', 85000::numeric,  40::numeric, 'ug/L', '2125.0000',  'OPEN', true),
			 ('r_8', 170000::numeric, 40::numeric, 'ug/L', '4250.0000',  'OPEN', true)$$,
	'units mg/L -> ug/L: same violations (ids, statuses), measured in ug/L, ratios x 1000');
SELECT * FROM pg_temp.check_all('units mg/L -> ug/L');

-- NTU: nothing converts; the violations go, every TSS sample is logged.
CREATE TEMP TABLE r_2_mcl AS SELECT pg_temp.vid('r_2', 'TSS:MCL:MAXIMUM:INSTANTANEOUS') AS id;
UPDATE "PollutantBenchmark" SET "units" = 'NTU' WHERE "id" = 'TSS:MCL:MAXIMUM:INSTANTANEOUS';
SELECT is_empty($$SELECT * FROM found WHERE "benchmarkId" = 'TSS:MCL:MAXIMUM:INSTANTANEOUS'$$,
	'units ug/L -> NTU: no MCL violation is left');
SELECT results_eq(
	$$SELECT "esmrSampleId", "reason", "sampleUnits", "benchmarkUnits" FROM "ViolationSkip"
	   WHERE "benchmarkId" = 'TSS:MCL:MAXIMUM:INSTANTANEOUS' ORDER BY 1$$,
	$$VALUES ('r_1', 'UNITS_NOT_CONVERTIBLE', 'mg/l', 'NTU'), ('r_2', 'UNITS_NOT_CONVERTIBLE', 'mg/l', 'NTU'),
			 ('r_3', 'UNITS_NOT_CONVERTIBLE', 'mg/l', 'NTU'), ('r_5', 'UNITS_NOT_CONVERTIBLE', 'mg/l', 'NTU'),
			 ('r_6', 'UNITS_NOT_CONVERTIBLE', 'mg/l', 'NTU'), ('r_7', 'UNITS_NOT_CONVERTIBLE', 'mg/l', 'NTU'),
			 ('r_8', 'UNITS_NOT_CONVERTIBLE', 'mg/l', 'NTU')$$,
	'units ug/L -> NTU: the 7 TSS samples are logged UNITS_NOT_CONVERTIBLE');
SELECT results_eq(
	$$SELECT "esmrSampleId", "fromStatus"::text, "toStatus"::text FROM "ViolationStatusHistory"
	   WHERE "violationId" = (SELECT id FROM r_2_mcl)$$,
	$$VALUES ('r_2', 'OPEN', 'UNDER_REVIEW')$$,
	'units ug/L -> NTU: the history of r_2''s MCL violation stays');
SELECT * FROM pg_temp.check_all('units ug/L -> NTU');

-- ============================================================ 5. limit
-- The annual NAL as a MINIMUM of 100 mg/L: 90 and 85 are below it (100/90 = 1.1111,
-- 100/85 = 1.1765); ">" 120 never counts against a MINIMUM.
UPDATE "PollutantBenchmark" SET "limit" = 'MINIMUM' WHERE "id" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE';
SELECT results_eq(
	$$SELECT sample, "measuredValue", ratio, severity, "id" IN (SELECT "id" FROM seen) AS kept
		FROM found WHERE "benchmarkId" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE' ORDER BY 1$$,
	$$VALUES ('r_3', 90::numeric, '1.1111', 'MODERATE', false),
			 ('r_7', 85::numeric, '1.1765', 'MODERATE', false)$$,
	'limit MAXIMUM -> MINIMUM: the five violations above 100 go, r_3 and r_7 below it violate');
SELECT * FROM pg_temp.check_all('limit -> MINIMUM');

UPDATE "PollutantBenchmark" SET "limit" = 'MAXIMUM' WHERE "id" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE';
SELECT results_eq(
	$$SELECT sample, ratio, severity, status, "id" IN (SELECT "id" FROM seen) AS kept
		FROM found WHERE "benchmarkId" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE' ORDER BY 1$$,
	$$VALUES ('r_1', '1.5000', 'MODERATE', 'OPEN', false),
			 ('r_2', '4.5000', 'CRITICAL', 'OPEN', false),
			 ('r_5', '2.0000', 'MODERATE', 'OPEN', false),
			 ('r_6', '1.2000', 'MODERATE', 'OPEN', false),
			 ('r_8', '1.7000', 'MODERATE', 'OPEN', false)$$,
	'limit MINIMUM -> MAXIMUM: r_3 and r_7 go, the five above 100 violate again (as new violations)');
SELECT * FROM pg_temp.check_all('limit -> MAXIMUM');

-- ============================================================ 6. notes and source only
-- Nothing is evaluated again: no row of the violation tables is even rewritten.
CREATE TEMP TABLE rows_before AS
SELECT 'sample' AS t, ctid::text AS row_at, "id" AS k FROM "ViolationSample"
UNION ALL SELECT 'event', ctid::text, "id" FROM "ViolationEvent"
UNION ALL SELECT 'month', ctid::text, "eventId" || "month" FROM "ViolationMonthly"
UNION ALL SELECT 'skip', ctid::text, "esmrSampleId" || "benchmarkId" FROM "ViolationSkip";
UPDATE "PollutantBenchmark" SET "notes" = 'reviewed', "source" = "source" || ' (reviewed)'
 WHERE "pollutantKey" = 'TSS';
SELECT set_eq(
	$$SELECT 'sample' AS t, ctid::text AS row_at, "id" AS k FROM "ViolationSample"
	  UNION ALL SELECT 'event', ctid::text, "id" FROM "ViolationEvent"
	  UNION ALL SELECT 'month', ctid::text, "eventId" || "month" FROM "ViolationMonthly"
	  UNION ALL SELECT 'skip', ctid::text, "esmrSampleId" || "benchmarkId" FROM "ViolationSkip"$$,
	'SELECT * FROM rows_before',
	'an UPDATE of notes and source re-evaluates nothing (violation ids, and every row of the violation tables, untouched)');

-- ============================================================ 7. DELETE benchmarks
DELETE FROM "PollutantBenchmark"
 WHERE "id" IN ('TSS:MCL:MAXIMUM:INSTANTANEOUS', 'TSS:NAL:MAXIMUM:INSTANTANEOUS');
SELECT is_empty(
	$$SELECT "esmrSampleId" FROM "ViolationSample"
	   WHERE "benchmarkId" IN ('TSS:MCL:MAXIMUM:INSTANTANEOUS', 'TSS:NAL:MAXIMUM:INSTANTANEOUS')
	  UNION ALL SELECT "esmrSampleId" FROM "ViolationSkip"
	   WHERE "benchmarkId" IN ('TSS:MCL:MAXIMUM:INSTANTANEOUS', 'TSS:NAL:MAXIMUM:INSTANTANEOUS')$$,
	'DELETE of two benchmarks: their violations (r_2 instantaneous) and skip rows go');
SELECT results_eq(
	$$SELECT "count", "moderateCount", "criticalCount", "maxRatio"::text, "firstDate", "lastDate"
		FROM "ViolationEvent" WHERE "facilityPlaceId" = 9601 AND "pollutant" = 'TSS'$$,
	$$VALUES (4, 3, 1, '4.5000', '2024-02-01'::date, '2024-02-08'::date)$$,
	'DELETE of two benchmarks: the TSS event of 9601 counts r_1, r_2, r_5, r_8 (annual only)');
SELECT * FROM pg_temp.check_all('DELETE benchmarks');

-- ============================================================ 8. canonicalKey
SELECT violations_set_status(pg_temp.vid('r_5', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'), 'DISMISSED', 'alias parameter');
CREATE TEMP TABLE r_5_tss AS SELECT pg_temp.vid('r_5', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE') AS id;

-- set to null: the parameter is not tracked any more
UPDATE "ESMRParameter" SET "canonicalKey" = NULL WHERE "id" = 'par_test_rc';
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('r_9', 960101, 'par_test_rc', '2024-02-09', '08:00', '=', 300, 'mg/L');
SELECT is_empty(
	$$SELECT "esmrSampleId" FROM "ViolationSample" WHERE "esmrSampleId" IN ('r_5', 'r_9')
	  UNION ALL SELECT "esmrSampleId" FROM "ViolationSkip" WHERE "esmrSampleId" IN ('r_5', 'r_9')$$,
	'canonicalKey TSS -> null: r_5''s violation goes, r_9 inserted after it is not evaluated');
SELECT results_eq(
	$$SELECT "fromStatus"::text, "toStatus"::text, "note" FROM "ViolationStatusHistory"
	   WHERE "violationId" = (SELECT id FROM r_5_tss)$$,
	$$VALUES ('OPEN', 'DISMISSED', 'alias parameter')$$,
	'canonicalKey TSS -> null: the history of r_5''s violation stays');
SELECT * FROM pg_temp.check_all('canonicalKey -> null');

-- changed to COPPER: 200 and 300 mg/L of copper against 0.0332 mg/L, 13 ug/L, 9 ug/L, 1.3 mg/L
UPDATE "ESMRParameter" SET "canonicalKey" = 'COPPER' WHERE "id" = 'par_test_rc';
SELECT results_eq(
	$$SELECT sample, "benchmarkId", "measuredValue", ratio, severity FROM found
	   WHERE sample IN ('r_5', 'r_9') ORDER BY 1, 2$$,
	$$VALUES ('r_5', 'COPPER:CCC:MAXIMUM:INSTANTANEOUS',  200000::numeric, '22222.2222', 'CRITICAL'),
			 ('r_5', 'COPPER:CMC:MAXIMUM:INSTANTANEOUS',  200000::numeric, '15384.6154', 'CRITICAL'),
			 ('r_5', 'COPPER:MCL:MAXIMUM:INSTANTANEOUS',  200::numeric,    '153.8462',   'CRITICAL'),
			 ('r_5', 'COPPER:NAL:MAXIMUM:ANNUAL_AVERAGE', 200::numeric,    '6024.0964',  'CRITICAL'),
			 ('r_9', 'COPPER:CCC:MAXIMUM:INSTANTANEOUS',  300000::numeric, '33333.3333', 'CRITICAL'),
			 ('r_9', 'COPPER:CMC:MAXIMUM:INSTANTANEOUS',  300000::numeric, '23076.9231', 'CRITICAL'),
			 ('r_9', 'COPPER:MCL:MAXIMUM:INSTANTANEOUS',  300::numeric,    '230.7692',   'CRITICAL'),
			 ('r_9', 'COPPER:NAL:MAXIMUM:ANNUAL_AVERAGE', 300::numeric,    '9036.1446',  'CRITICAL')$$,
	'canonicalKey null -> COPPER: r_5 and r_9 are evaluated against the 4 copper benchmarks');
SELECT results_eq(
	$$SELECT "facilityPlaceId", "count", "criticalCount", "maxRatio"::text FROM "ViolationEvent" WHERE "pollutant" = 'COPPER'$$,
	$$VALUES (9601, 8, 8, '33333.3333')$$,
	'canonicalKey null -> COPPER: one COPPER event of 9601 with 8 violations');
SELECT * FROM pg_temp.check_all('canonicalKey -> COPPER');

-- restored: TSS again (r_5 2.0, r_9 3.0), copper gone; r_10 inserted after it is TSS (1.1)
UPDATE "ESMRParameter" SET "canonicalKey" = 'TSS' WHERE "id" = 'par_test_rc';
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('r_10', 960101, 'par_test_rc', '2024-02-10', '08:00', '=', 110, 'mg/L');
SELECT results_eq(
	$$SELECT sample, "benchmarkId", ratio, severity, status, "id" = (SELECT id FROM r_5_tss)
		FROM found WHERE sample IN ('r_5', 'r_9', 'r_10') ORDER BY 1$$,
	$$VALUES ('r_10', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '1.1000', 'MODERATE', 'OPEN', false),
			 ('r_5',  'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '2.0000', 'MODERATE', 'OPEN', false),
			 ('r_9',  'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '3.0000', 'CRITICAL', 'OPEN', false)$$,
	'canonicalKey COPPER -> TSS: TSS violations again, new and OPEN (not the dismissed one); r_10 evaluated as TSS');
SELECT is_empty($$SELECT * FROM "ViolationEvent" WHERE "pollutant" = 'COPPER'$$,
	'canonicalKey COPPER -> TSS: the COPPER event is gone');
SELECT * FROM pg_temp.check_all('canonicalKey restored');

-- ============================================================ 9. a change rolled back
SAVEPOINT before_change;
UPDATE "PollutantBenchmark" SET "value" = 1000 WHERE "id" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE';
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('c_1', 960101, :'tss', '2024-03-01', '08:00', '=', 150, 'mg/L');
SELECT is_empty($$SELECT * FROM "ViolationSample" WHERE "benchmarkId" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'$$,
	'annual NAL at 1000 mg/L: no TSS violation, c_1 (150) included');
ROLLBACK TO SAVEPOINT before_change;
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('c_2', 960101, :'tss', '2024-03-02', '08:00', '=', 150, 'mg/L');
SELECT results_eq(
	$$SELECT "benchmarkValue", ratio FROM found WHERE sample = 'c_2'$$,
	$$VALUES (100::numeric, '1.5000')$$,
	'after ROLLBACK TO SAVEPOINT, detection uses the annual NAL of 100 mg/L again (c_2: 1.5000)');
SELECT * FROM pg_temp.check_all('change rolled back');

\ir ../lib/aggregate_checks.psql

SELECT * FROM finish();
ROLLBACK;
