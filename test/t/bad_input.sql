-- Bad input must leave the data whole and the aggregates right (SPEC "Where
-- the bar is"): units strings with non-ASCII characters up to the column's 50
-- characters, sampling dates that are infinite or before the common era, empty
-- units, benchmark units spelled oddly.
BEGIN;
SELECT plan(19);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss \gset

INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName") VALUES (9301, 'Bad Input Test Plant');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType")
VALUES (930101, 9301, 'EFF-001', 'EFFLUENT_MONITORING');

CREATE TEMP VIEW found AS
SELECT v."esmrSampleId" AS sample, v."benchmarkId", v."measuredValue",
	   v."exceedanceRatio"::text AS ratio, v."severity"::text AS severity,
	   v."facilityId", v."facilityPlaceId", v."detectedAt", e."reportingYear"
  FROM "ViolationSample" v
  JOIN "ViolationEvent" e ON e."id" = v."eventId";

-- ------------------------------------------------------------ long non-ASCII units
-- 40 x 'é' is 40 characters (fits varchar(50)) but 80 bytes.
SELECT is(violations_normalize_units(repeat('é', 40)), repeat('é', 40),
	'normalize: 40 non-ASCII characters come back whole (not cut inside a character)');
-- These two differ in their 33rd character only.
SELECT is(violations_convert_units(1, repeat('é', 31) || 'aa', repeat('é', 31) || 'ab'), NULL,
	'convert: two different 33-character units do not convert into each other');

INSERT INTO "ConfigPollutant" ("key", "displayName") VALUES ('TEST_ODD', 'odd units');
INSERT INTO "ESMRParameter" ("id", "parameterName", "canonicalKey") VALUES ('par_test_odd', 'Test odd units', 'TEST_ODD');
INSERT INTO "PollutantBenchmark" ("id", "pollutantKey", "benchmarkType", "limit", "period", "value", "units", "source") VALUES
	('TEST_ODD:NAL:MAXIMUM:INSTANTANEOUS', 'TEST_ODD', 'NAL', 'MAXIMUM', 'INSTANTANEOUS', 10, repeat('é', 31) || 'aa', 'test'),
	('TEST_ODD:MCL:MAXIMUM:INSTANTANEOUS', 'TEST_ODD', 'MCL', 'MAXIMUM', 'INSTANTANEOUS', 10, ' UG / l ', 'test');

PREPARE odd_units AS
	INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
							  "qualifier", "result", "units") VALUES
		('b_long',  930101, :'tss',         '2024-02-02', '11:00', '=', 500, repeat('é', 40)),
		('b_empty', 930101, :'tss',         '2024-02-02', '11:00', '=', 500, ''),
		('b_odd',   930101, 'par_test_odd', '2024-02-02', '11:00', '=', 50,  repeat('é', 31) || 'ab'),
		('b_mg',    930101, 'par_test_odd', '2024-02-02', '11:00', '=', 0.05, 'mg/L');
SELECT lives_ok('EXECUTE odd_units', 'samples in long non-ASCII and empty units are stored');

SELECT is_empty($$SELECT * FROM found WHERE sample IN ('b_long', 'b_empty')$$,
	'no violation from units that do not convert');
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity FROM found WHERE sample = 'b_mg'$$,
	$$VALUES ('TEST_ODD:MCL:MAXIMUM:INSTANTANEOUS', 50::numeric, '5.0000', 'CRITICAL')$$,
	'a benchmark in '' UG / l '' converts from mg/L (0.05 mg/L = 50 ug/L)');
SELECT is_empty($$SELECT * FROM found WHERE sample = 'b_odd'$$,
	'a sample in units that differ from the benchmark''s in the 33rd character is not compared with it');
SELECT results_eq(
	$$SELECT "benchmarkId", "sampleCount" FROM "ViolationSkipSummary"
	   WHERE "reason" = 'UNITS_NOT_CONVERTIBLE' AND "sampleUnits" = '' ORDER BY 1$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 1::bigint), ('TSS:NAL:MAXIMUM:INSTANTANEOUS', 1::bigint)$$,
	'empty units are logged UNITS_NOT_CONVERTIBLE with sampleUnits ''''');
SELECT results_eq(
	$$SELECT "benchmarkId", "sampleUnits", "sampleCount" FROM "ViolationSkipSummary"
	   WHERE "reason" = 'UNITS_NOT_CONVERTIBLE' AND "exampleSampleId" = 'b_long' ORDER BY 1$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', repeat('é', 40), 1::bigint),
			 ('TSS:NAL:MAXIMUM:INSTANTANEOUS',  repeat('é', 40), 1::bigint)$$,
	'long non-ASCII units are logged whole, as valid text');
SELECT lives_ok(
	$$SELECT convert_to("sampleUnits", 'UTF8') FROM "ViolationSkipSummary"$$,
	'the skip log holds valid UTF-8 only (as pg_dump and restore need)');

-- ------------------------------------------------------------ infinite sampling dates
PREPARE infinite_dates AS
	INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
							  "qualifier", "result", "units") VALUES
		('d_inf',    930101, :'tss', 'infinity',  '11:00', '=', 500, 'mg/L'),
		('d_neginf', 930101, :'tss', '-infinity', '11:00', '=', 500, 'mg/L');
SELECT lives_ok('EXECUTE infinite_dates', 'samples dated infinity and -infinity are stored');
SELECT is_empty($$SELECT * FROM found WHERE sample IN ('d_inf', 'd_neginf')$$,
	'an infinite sampling date makes no violation');
SELECT results_eq(
	$$SELECT "reason", "pollutantKey", "benchmarkId", "sampleUnits", "benchmarkUnits", "sampleCount"
		FROM "ViolationSkipSummary" WHERE "reason" = 'DATE_NOT_FINITE' ORDER BY 3$$,
	$$VALUES ('DATE_NOT_FINITE', 'TSS', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'mg/l', 'mg/L', 2::bigint),
			 ('DATE_NOT_FINITE', 'TSS', 'TSS:NAL:MAXIMUM:INSTANTANEOUS',  'mg/l', 'mg/L', 2::bigint)$$,
	'infinite sampling dates are logged DATE_NOT_FINITE against each TSS benchmark');

-- ------------------------------------------------------------ a date before the common era
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('d_bc', 930101, :'tss', '0001-06-01 BC', '11:00', '=', 150, 'mg/L');
SELECT results_eq(
	$$SELECT "benchmarkId", ratio, "detectedAt" FROM found WHERE sample = 'd_bc'$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '1.5000', '0001-06-01 BC'::date)$$,
	'a sample dated 1 BC is evaluated');
SELECT is((SELECT "reportingYear" FROM found WHERE sample = 'd_bc'),
		  violations_reporting_year('0001-06-01 BC', 1),
	'its event''s reporting year is the label violations_reporting_year() gives (extract(year) = -1)');
SELECT is_empty('SELECT * FROM violations_check_aggregates()',
	'violations_check_aggregates() agrees with the trigger on a date before the common era');
-- Remove it by hand so that the checks below are about the rest.
DELETE FROM "ViolationMonthly" m USING "ViolationSample" v
 WHERE v."esmrSampleId" = 'd_bc' AND m."eventId" = v."eventId";
CREATE TEMP TABLE bc_event AS SELECT "eventId" FROM "ViolationSample" WHERE "esmrSampleId" = 'd_bc';
DELETE FROM "ViolationSample" WHERE "esmrSampleId" = 'd_bc';
DELETE FROM "ViolationEvent" WHERE "id" IN (SELECT "eventId" FROM bc_event);

\ir ../lib/aggregate_checks.psql

SELECT * FROM finish();
ROLLBACK;
