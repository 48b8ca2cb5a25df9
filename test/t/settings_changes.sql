-- Settings that change results (SPEC detection rules 1, 4, 5 and "Changes
-- after the fact"; issue 3, 6 and 7):
--   changing the severity bands reclassifies existing violations (hand-entered
--   ones too) and the events' severity counts; changing the reporting-year
--   start month re-buckets the events, violations keeping ids and statuses;
--   turning evaluateDnq on or off evaluates the stored DNQ samples again;
--   violations_check_aggregates() reports aggregates that were tampered with
--   and violations_rebuild_aggregates() puts them right.
--
-- After every change: "ViolationSample" and "ViolationSkip" equal the
-- independent evaluation of test/lib/reference.psql, and the aggregates equal
-- their recomputation (pg_temp.check_all: 6 assertions).
BEGIN;
SELECT plan(98);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss,
	   'par_' || substr(md5('pH'), 1, 12) AS ph \gset

\ir ../lib/reference.psql

INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName") VALUES (9901, 'Settings A'), (9902, 'Settings B');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType") VALUES
	(990101, 9901, 'EFF-001', 'EFFLUENT_MONITORING'),
	(990201, 9902, 'EFF-001', 'EFFLUENT_MONITORING');
INSERT INTO "Facility" ("id", "name", "esmrFacilityId") VALUES ('fac_set', 'Settings Facility', 9902);

-- TSS NAL 100 mg/L (annual), 400 mg/L (instantaneous); pH NAL MINIMUM 6.0 SU
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('y_1', 990101, :'tss', '2023-06-30', '08:00', '=',   150,   'mg/L'),
	('y_2', 990101, :'tss', '2023-07-01', '08:00', '=',   250,   'mg/L'),
	('y_3', 990101, :'tss', '2024-01-15', '08:00', '=',   450,   'mg/L'),
	('y_4', 990201, :'tss', '2024-06-30', '08:00', '=',   120,   'mg/L'),
	('y_5', 990201, :'ph',  '2024-07-01', '08:00', '=',   5.0,   'SU'),
	('d_1', 990101, :'tss', '2024-03-03', '08:00', 'DNQ', 300,   'mg/L'),
	('d_2', 990201, :'ph',  '2024-08-08', '08:00', 'DNQ', 5.5,   'SU'),
	('d_3', 990101, :'tss', '2024-03-04', '08:00', 'DNQ', 'NaN', 'mg/L');
CREATE TEMP TABLE hand AS
SELECT * FROM violations_record_violation('fac_set', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 160, '2024-02-02', 'by hand');
UPDATE "ViolationSample" SET "status" = 'UNDER_REVIEW' WHERE "esmrSampleId" = 'y_2';
UPDATE "ViolationSample" SET "status" = 'DISMISSED'
 WHERE "esmrSampleId" = 'y_3' AND "benchmarkId" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE';

CREATE TEMP VIEW found AS
SELECT coalesce(v."esmrSampleId", 'hand') AS sample, v."benchmarkId", v."exceedanceRatio"::text AS ratio,
	   v."severity"::text AS severity, v."status"::text AS status
  FROM "ViolationSample" v;
CREATE TEMP TABLE first_ids AS SELECT "id", "status" FROM "ViolationSample";
CREATE TEMP TABLE history_n AS SELECT count(*) AS n FROM "ViolationStatusHistory";

SELECT results_eq(
	'SELECT * FROM found ORDER BY 1, 2',
	$$VALUES ('hand', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '1.6000', 'MODERATE', 'OPEN'),
			 ('y_1',  'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '1.5000', 'MODERATE', 'OPEN'),
			 ('y_2',  'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '2.5000', 'CRITICAL', 'UNDER_REVIEW'),
			 ('y_3',  'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '4.5000', 'CRITICAL', 'DISMISSED'),
			 ('y_3',  'TSS:NAL:MAXIMUM:INSTANTANEOUS',  '1.1250', 'MODERATE', 'OPEN'),
			 ('y_4',  'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '1.2000', 'MODERATE', 'OPEN'),
			 ('y_5',  'PH:NAL:MINIMUM:INSTANTANEOUS',   '1.2000', 'MODERATE', 'OPEN')$$,
	'the starting point: 7 violations (DNQ off), one entered by hand');
SELECT * FROM pg_temp.check_all('start');

-- the severity counts of the events: facility, pollutant, year, low/moderate/high/critical, maxSeverity
CREATE TEMP VIEW sev AS
SELECT coalesce("facilityId", "facilityPlaceId"::text) AS facility, "pollutant", "reportingYear",
	   "lowCount" || '/' || "moderateCount" || '/' || "highCount" || '/' || "criticalCount" AS counts,
	   "maxSeverity"::text
  FROM "ViolationEvent";

-- ============================================================ 1. severity bands
-- a HIGH band above 1.3 for NAL: 1.5 and 1.6 become HIGH (2.5, 4.5 stay CRITICAL, 1.125 and 1.2 MODERATE)
INSERT INTO "ViolationSeverityBand" ("benchmarkType", "minRatio", "severity") VALUES ('NAL', 1.3, 'HIGH');
SELECT results_eq(
	'SELECT sample, "benchmarkId", severity, status FROM found ORDER BY 1, 2',
	$$VALUES ('hand', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'HIGH',     'OPEN'),
			 ('y_1',  'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'HIGH',     'OPEN'),
			 ('y_2',  'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'CRITICAL', 'UNDER_REVIEW'),
			 ('y_3',  'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'CRITICAL', 'DISMISSED'),
			 ('y_3',  'TSS:NAL:MAXIMUM:INSTANTANEOUS',  'MODERATE', 'OPEN'),
			 ('y_4',  'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'MODERATE', 'OPEN'),
			 ('y_5',  'PH:NAL:MINIMUM:INSTANTANEOUS',   'MODERATE', 'OPEN')$$,
	'band HIGH > 1.3 added: 1.5 (y_1) and 1.6 (by hand) become HIGH, statuses kept');
SELECT results_eq(
	'SELECT * FROM sev ORDER BY 1, 2, 3',
	$$VALUES ('9901',    'TSS', '2023', '0/0/1/1', 'CRITICAL'),
			 ('9901',    'TSS', '2024', '0/1/0/1', 'CRITICAL'),
			 ('fac_set', 'PH',  '2024', '0/1/0/0', 'MODERATE'),
			 ('fac_set', 'TSS', '2024', '0/1/1/0', 'HIGH')$$,
	'band HIGH added: the events count HIGH (fac_set TSS: maxSeverity HIGH)');
SELECT * FROM pg_temp.check_all('band added');

-- CRITICAL only above 4: 2.5 becomes HIGH; 4.5 stays CRITICAL
UPDATE "ViolationSeverityBand" SET "minRatio" = 4 WHERE "benchmarkType" = 'NAL' AND "severity" = 'CRITICAL';
SELECT results_eq(
	'SELECT * FROM sev ORDER BY 1, 2, 3',
	$$VALUES ('9901',    'TSS', '2023', '0/0/2/0', 'HIGH'),
			 ('9901',    'TSS', '2024', '0/1/0/1', 'CRITICAL'),
			 ('fac_set', 'PH',  '2024', '0/1/0/0', 'MODERATE'),
			 ('fac_set', 'TSS', '2024', '0/1/1/0', 'HIGH')$$,
	'CRITICAL band 2 -> 4: y_2 (2.5) becomes HIGH, the 2023 event has no CRITICAL left');
SELECT * FROM pg_temp.check_all('band moved');

-- no HIGH band: back to MODERATE below 4
DELETE FROM "ViolationSeverityBand" WHERE "benchmarkType" = 'NAL' AND "severity" = 'HIGH';
SELECT results_eq(
	'SELECT * FROM sev ORDER BY 1, 2, 3',
	$$VALUES ('9901',    'TSS', '2023', '0/2/0/0', 'MODERATE'),
			 ('9901',    'TSS', '2024', '0/1/0/1', 'CRITICAL'),
			 ('fac_set', 'PH',  '2024', '0/1/0/0', 'MODERATE'),
			 ('fac_set', 'TSS', '2024', '0/2/0/0', 'MODERATE')$$,
	'band HIGH deleted: 1.5, 1.6 and 2.5 are MODERATE');
SELECT * FROM pg_temp.check_all('band deleted');

UPDATE "ViolationSeverityBand" SET "minRatio" = 2 WHERE "benchmarkType" = 'NAL' AND "severity" = 'CRITICAL';
SELECT results_eq(
	'SELECT sample, "benchmarkId", ratio, severity, status FROM found ORDER BY 1, 2',
	$$VALUES ('hand', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '1.6000', 'MODERATE', 'OPEN'),
			 ('y_1',  'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '1.5000', 'MODERATE', 'OPEN'),
			 ('y_2',  'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '2.5000', 'CRITICAL', 'UNDER_REVIEW'),
			 ('y_3',  'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '4.5000', 'CRITICAL', 'DISMISSED'),
			 ('y_3',  'TSS:NAL:MAXIMUM:INSTANTANEOUS',  '1.1250', 'MODERATE', 'OPEN'),
			 ('y_4',  'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '1.2000', 'MODERATE', 'OPEN'),
			 ('y_5',  'PH:NAL:MINIMUM:INSTANTANEOUS',   '1.2000', 'MODERATE', 'OPEN')$$,
	'default bands again: every violation as at the start');
SELECT ok((SELECT count(*) FROM first_ids f JOIN "ViolationSample" v USING ("id", "status")) = 7
		  AND (SELECT count(*) FROM "ViolationStatusHistory") = (SELECT n FROM history_n),
	'the bands changes kept every violation id and status, and wrote no status history');
SELECT * FROM pg_temp.check_all('default bands');

-- ============================================================ 2. reporting year from July
CREATE TEMP VIEW years AS
SELECT coalesce("facilityId", "facilityPlaceId"::text) AS facility, "pollutant", "reportingYear",
	   "count", "openCount", "underReviewCount", "dismissedCount", "firstDate", "lastDate"
  FROM "ViolationEvent";

UPDATE "ViolationSettings" SET "reportingYearStartMonth" = 7;
SELECT results_eq(
	'SELECT * FROM years ORDER BY 1, 2, 3',
	$$VALUES ('9901',    'TSS', '2022-2023', 1, 1, 0, 0, '2023-06-30'::date, '2023-06-30'::date),
			 ('9901',    'TSS', '2023-2024', 3, 1, 1, 1, '2023-07-01'::date, '2024-01-15'::date),
			 ('fac_set', 'PH',  '2024-2025', 1, 1, 0, 0, '2024-07-01'::date, '2024-07-01'::date),
			 ('fac_set', 'TSS', '2023-2024', 2, 2, 0, 0, '2024-02-02'::date, '2024-06-30'::date)$$,
	'start month 1 -> 7: 2023-06-30 in 2022-2023, 2023-07-01 .. 2024-06-30 in 2023-2024, 2024-07-01 in 2024-2025');
SELECT results_eq(
	$$SELECT m."month", m."count" FROM "ViolationMonthly" m JOIN "ViolationEvent" e ON e."id" = m."eventId"
	   WHERE e."facilityPlaceId" = 9901 AND e."reportingYear" = '2023-2024' ORDER BY 1$$,
	$$VALUES ('2023-07-01'::date, 1), ('2024-01-01'::date, 2)$$,
	'start month 7: the months stay calendar months, under the new event');
SELECT is((SELECT count(*) FROM first_ids f JOIN "ViolationSample" v USING ("id", "status")), 7::bigint,
	'start month 7: every violation kept its id and status');
SELECT * FROM pg_temp.check_all('start month 7');

UPDATE "ViolationSettings" SET "reportingYearStartMonth" = 1;
SELECT results_eq(
	'SELECT * FROM years ORDER BY 1, 2, 3',
	$$VALUES ('9901',    'TSS', '2023', 2, 1, 1, 0, '2023-06-30'::date, '2023-07-01'::date),
			 ('9901',    'TSS', '2024', 2, 1, 0, 1, '2024-01-15'::date, '2024-01-15'::date),
			 ('fac_set', 'PH',  '2024', 1, 1, 0, 0, '2024-07-01'::date, '2024-07-01'::date),
			 ('fac_set', 'TSS', '2024', 2, 2, 0, 0, '2024-02-02'::date, '2024-06-30'::date)$$,
	'start month 7 -> 1: calendar years again');
SELECT is((SELECT count(*) FROM first_ids f JOIN "ViolationSample" v USING ("id", "status")), 7::bigint,
	'start month 1 again: every violation kept its id and status');
SELECT * FROM pg_temp.check_all('start month 1');

-- ============================================================ 3. evaluateDnq
UPDATE "ViolationSettings" SET "evaluateDnq" = true;
SELECT results_eq(
	$$SELECT sample, "benchmarkId", ratio, severity FROM found WHERE sample LIKE 'd\_%' ORDER BY 1, 2$$,
	$$VALUES ('d_1', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '3.0000', 'CRITICAL'),
			 ('d_2', 'PH:NAL:MINIMUM:INSTANTANEOUS',   '1.0909', 'MODERATE')$$,
	'evaluateDnq on: the stored DNQ samples are evaluated (300 mg/L: 3.0000; pH 5.5: 6 / 5.5 = 1.0909)');
SELECT results_eq(
	$$SELECT "esmrSampleId", "benchmarkId", "reason" FROM "ViolationSkip" ORDER BY 1, 2$$,
	$$VALUES ('d_3', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'RESULT_NOT_FINITE'),
			 ('d_3', 'TSS:NAL:MAXIMUM:INSTANTANEOUS',  'RESULT_NOT_FINITE')$$,
	'evaluateDnq on: the DNQ NaN sample is logged RESULT_NOT_FINITE against both TSS benchmarks');
SELECT is((SELECT count(*) FROM first_ids f JOIN "ViolationSample" v USING ("id", "status")), 7::bigint,
	'evaluateDnq on: the other violations are untouched');
SELECT * FROM pg_temp.check_all('evaluateDnq on');

UPDATE "ViolationSample" SET "status" = 'UNDER_REVIEW' WHERE "esmrSampleId" = 'd_1';
CREATE TEMP TABLE d_1_id AS SELECT "id" FROM "ViolationSample" WHERE "esmrSampleId" = 'd_1';
UPDATE "ViolationSettings" SET "evaluateDnq" = false;
SELECT is_empty(
	$$SELECT "esmrSampleId" FROM "ViolationSample" WHERE "esmrSampleId" LIKE 'd\_%'
	  UNION ALL SELECT "esmrSampleId" FROM "ViolationSkip"$$,
	'evaluateDnq off: the DNQ violations and skip rows are gone');
SELECT results_eq(
	$$SELECT "fromStatus"::text, "toStatus"::text FROM "ViolationStatusHistory" WHERE "violationId" = (SELECT "id" FROM d_1_id)$$,
	$$VALUES ('OPEN', 'UNDER_REVIEW')$$,
	'evaluateDnq off: the history of the DNQ violation that went stays');
SELECT * FROM pg_temp.check_all('evaluateDnq off');

-- both settings in one UPDATE
UPDATE "ViolationSettings" SET "reportingYearStartMonth" = 7, "evaluateDnq" = true;
SELECT results_eq(
	'SELECT facility, "pollutant", "reportingYear", "count" FROM years ORDER BY 1, 2, 3',
	$$VALUES ('9901',    'TSS', '2022-2023', 1),
			 ('9901',    'TSS', '2023-2024', 4),
			 ('fac_set', 'PH',  '2024-2025', 2),
			 ('fac_set', 'TSS', '2023-2024', 2)$$,
	'start month 7 and evaluateDnq on in one UPDATE: d_1 joins 2023-2024, d_2 2024-2025');
SELECT * FROM pg_temp.check_all('both settings');
UPDATE "ViolationSettings" SET "reportingYearStartMonth" = 1, "evaluateDnq" = false;
SELECT * FROM pg_temp.check_all('both settings back');

-- ============================================================ 4. drift reported, aggregates rebuilt
CREATE TEMP TABLE ev_2024 AS
SELECT "id" FROM "ViolationEvent" WHERE "facilityPlaceId" = 9901 AND "reportingYear" = '2024';
CREATE TEMP TABLE ev_2023 AS
SELECT "id" FROM "ViolationEvent" WHERE "facilityPlaceId" = 9901 AND "reportingYear" = '2023';
CREATE TEMP TABLE ev_ph AS
SELECT "id" FROM "ViolationEvent" WHERE "pollutant" = 'PH';
UPDATE "ViolationEvent" SET "count" = 99, "openCount" = 0, "maxRatio" = 1 WHERE "id" = (SELECT "id" FROM ev_2024);
UPDATE "ViolationMonthly" SET "count" = 5, "criticalCount" = 7
 WHERE "eventId" = (SELECT "id" FROM ev_2023) AND "month" = '2023-07-01';
DELETE FROM "ViolationMonthly" WHERE "eventId" = (SELECT "id" FROM ev_ph);

SELECT set_eq(
	$$SELECT aggregate, key, stored->>'count' AS stored_count, recomputed->>'count' AS recomputed_count FROM violations_check_aggregates()$$,
	$$SELECT 'ViolationEvent' AS a, "id" AS k, '99' AS s, '2' AS r FROM ev_2024
	  UNION ALL SELECT 'ViolationMonthly', "id" || '/2023-07-01', '5', '1' FROM ev_2023
	  UNION ALL SELECT 'ViolationMonthly', "id" || '/2024-07-01', NULL, '1' FROM ev_ph$$,
	'violations_check_aggregates() reports the tampered event, the tampered month and the deleted month');
SELECT is(violations_rebuild_aggregates(), 4::bigint,
	'violations_rebuild_aggregates() rebuilds and returns the number of events (4)');
SELECT is_empty('SELECT * FROM violations_check_aggregates()',
	'after violations_rebuild_aggregates() nothing is reported');
SELECT results_eq(
	'SELECT * FROM years ORDER BY 1, 2, 3',
	$$VALUES ('9901',    'TSS', '2023', 2, 1, 1, 0, '2023-06-30'::date, '2023-07-01'::date),
			 ('9901',    'TSS', '2024', 2, 1, 0, 1, '2024-01-15'::date, '2024-01-15'::date),
			 ('fac_set', 'PH',  '2024', 1, 1, 0, 0, '2024-07-01'::date, '2024-07-01'::date),
			 ('fac_set', 'TSS', '2024', 2, 2, 0, 0, '2024-02-02'::date, '2024-06-30'::date)$$,
	'after the rebuild the events hold the right figures');
SELECT * FROM pg_temp.check_all('rebuilt');

\ir ../lib/aggregate_checks.psql

SELECT * FROM finish();
ROLLBACK;
