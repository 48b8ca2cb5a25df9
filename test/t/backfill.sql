-- The backfill of samples stored while detection was off, through
-- violations_backfill_batch(after_id, batch_size) (the procedure
-- violations_backfill() commits between batches, so it cannot run inside this
-- test's transaction).
--
-- 250 TSS samples bf_0001 .. bf_0250: every third (i % 3 = 0) is 150 mg/L and
-- violates the 100 mg/L NAL once, the others are 50 mg/L; bf_0007, bf_0057,
-- bf_0107, bf_0157 and bf_0207 are in NTU and cannot be evaluated (bf_0057 and
-- bf_0207 are multiples of 3).  Violations per batch of 100:
--   bf_0001..bf_0100: 33 multiples of 3 - bf_0057 = 32
--   bf_0101..bf_0200: 33 multiples of 3           = 33
--   bf_0201..bf_0250: 17 multiples of 3 - bf_0207 = 16
BEGIN;
SELECT plan(25);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss \gset

INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName") VALUES (9401, 'Backfill plant A'), (9402, 'Backfill plant B');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType") VALUES
	(940101, 9401, 'EFF-001', 'EFFLUENT_MONITORING'),
	(940201, 9402, 'EFF-001', 'EFFLUENT_MONITORING');
INSERT INTO "Facility" ("id", "name", "esmrFacilityId", "impairedWater") VALUES ('fac_backfill_b', 'Backfill B', 9402, true);

-- ------------------------------------------------------------ samples stored with detection off
ALTER TABLE "ESMRSample" DISABLE TRIGGER violations_detect_insert;

INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
SELECT 'bf_' || lpad(i::text, 4, '0'),
	   CASE WHEN i % 2 = 0 THEN 940101 ELSE 940201 END,
	   :'tss', date '2024-01-01' + i, '10:00', '=',
	   CASE WHEN i % 3 = 0 THEN 150 ELSE 50 END,
	   CASE WHEN i % 50 = 7 THEN 'NTU' ELSE 'mg/L' END
  FROM generate_series(1, 250) i;

SELECT is_empty('SELECT * FROM "ViolationSample"', 'with the trigger disabled, inserting samples detects nothing');
SELECT is_empty('SELECT * FROM "ViolationEvent"', 'and writes no event');

ALTER TABLE "ESMRSample" ENABLE TRIGGER violations_detect_insert;

-- ------------------------------------------------------------ first pass, batches of 100
SELECT throws_ok('SELECT * FROM violations_backfill_batch(NULL, 0)', '22023', NULL,
	'a batch size of 0 is refused');

SELECT results_eq('SELECT * FROM violations_backfill_batch(NULL, 100)',
	$$VALUES ('bf_0100'::text, 100::bigint, 32::bigint)$$,
	'batch 1: bf_0001..bf_0100, 100 samples, 32 violations');
SELECT is((SELECT count(*) FROM "ViolationSample"), 32::bigint, 'batch 1 wrote its 32 violations');
SELECT results_eq('SELECT * FROM violations_backfill_batch(''bf_0100'', 100)',
	$$VALUES ('bf_0200'::text, 100::bigint, 33::bigint)$$,
	'batch 2: bf_0101..bf_0200, 100 samples, 33 violations');
SELECT results_eq('SELECT * FROM violations_backfill_batch(''bf_0200'', 100)',
	$$VALUES ('bf_0250'::text, 50::bigint, 16::bigint)$$,
	'batch 3: bf_0201..bf_0250, 50 samples, 16 violations');
SELECT results_eq('SELECT * FROM violations_backfill_batch(''bf_0250'', 100)',
	$$VALUES ('bf_0250'::text, 0::bigint, 0::bigint)$$,
	'batch 4: nothing after bf_0250; last_id stays bf_0250');

SELECT is((SELECT count(*) FROM "ViolationSample"), 81::bigint, '81 violations after the first pass');
SELECT is_empty(
	$$SELECT "esmrSampleId" FROM "ViolationSample"
	   WHERE NOT (substr("esmrSampleId", 4)::int % 3 = 0 AND substr("esmrSampleId", 4)::int % 50 <> 7)
		  OR "benchmarkId" <> 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'$$,
	'only the 150 mg/L samples violate, against the 100 mg/L NAL only');
SELECT results_eq(
	$$SELECT v."esmrSampleId", v."benchmarkId", v."measuredValue", v."exceedanceRatio"::text, v."severity"::text,
			 v."facilityId", v."facilityPlaceId", v."detectedAt", e."reportingYear"
		FROM "ViolationSample" v JOIN "ViolationEvent" e ON e."id" = v."eventId"
	   WHERE v."esmrSampleId" IN ('bf_0003', 'bf_0006') ORDER BY 1$$,
	$$VALUES ('bf_0003', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 150::numeric, '1.5000', 'MODERATE', 'fac_backfill_b', 9402, '2024-01-04'::date, '2024'),
			 ('bf_0006', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 150::numeric, '1.5000', 'MODERATE', NULL, 9401, '2024-01-07'::date, '2024')$$,
	'backfilled violations carry the same values the trigger writes');
SELECT results_eq(
	$$SELECT "facilityId", "facilityPlaceId", "count", "firstDate", "lastDate", "impairedWater"
		FROM "ViolationEvent" ORDER BY 1 NULLS FIRST$$,
	$$VALUES (NULL::text, 9401, 41, '2024-01-07'::date, '2024-09-03'::date, false),
			 ('fac_backfill_b', 9402, 40, '2024-01-04'::date, '2024-09-06'::date, true)$$,
	'backfill events: even samples at 9401 (41), odd samples at 9402 linked to fac_backfill_b (40)');
SELECT results_eq(
	$$SELECT "benchmarkId", sum("sampleCount")::bigint FROM "ViolationSkipSummary"
	   WHERE "reason" = 'UNITS_NOT_CONVERTIBLE' AND "sampleUnits" = 'ntu' GROUP BY 1 ORDER BY 1$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 5::bigint), ('TSS:NAL:MAXIMUM:INSTANTANEOUS', 5::bigint)$$,
	'the 5 NTU samples are logged once against each TSS benchmark');

-- ------------------------------------------------------------ a sample detected by the trigger meanwhile
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('bf_0251', 940101, :'tss', '2024-10-01', '10:00', '=', 150, 'mg/L');
SELECT is((SELECT count(*) FROM "ViolationSample" WHERE "esmrSampleId" = 'bf_0251'), 1::bigint,
	'the trigger (enabled again) detects a new sample');
SELECT results_eq('SELECT * FROM violations_backfill_batch(''bf_0250'', 100)',
	$$VALUES ('bf_0251'::text, 1::bigint, 0::bigint)$$,
	'the backfill reads the new sample but does not evaluate it twice');

-- ------------------------------------------------------------ second pass: idempotent
CREATE TEMP TABLE events_before AS
SELECT "id", "facilityId", "facilityPlaceId", "pollutant", "reportingYear", "firstDate", "lastDate", "count",
	   "maxRatio", "openCount", "moderateCount", "criticalCount", "impairedWater"
  FROM "ViolationEvent";
CREATE TEMP TABLE monthly_before AS SELECT * FROM "ViolationMonthly";
CREATE TEMP TABLE violations_before AS
SELECT "id", "esmrSampleId", "benchmarkId", "eventId", "exceedanceRatio", "status" FROM "ViolationSample";
CREATE TEMP TABLE skips_before AS SELECT * FROM "ViolationSkipSummary";

SELECT results_eq('SELECT * FROM violations_backfill_batch(NULL, 1000)',
	$$VALUES ('bf_0251'::text, 251::bigint, 0::bigint)$$,
	'second pass over every sample: 251 read, 0 violations written');
SELECT results_eq('SELECT * FROM violations_backfill_batch(NULL, 7)',
	$$VALUES ('bf_0007'::text, 7::bigint, 0::bigint)$$,
	'a third, partial pass writes nothing either');
SELECT set_eq(
	$$SELECT "id", "esmrSampleId", "benchmarkId", "eventId", "exceedanceRatio", "status" FROM "ViolationSample"$$,
	'SELECT * FROM violations_before',
	'the violations are unchanged (same ids, same events)');
SELECT set_eq(
	$$SELECT "id", "facilityId", "facilityPlaceId", "pollutant", "reportingYear", "firstDate", "lastDate", "count",
			 "maxRatio", "openCount", "moderateCount", "criticalCount", "impairedWater"
		FROM "ViolationEvent"$$,
	'SELECT * FROM events_before',
	'"ViolationEvent" is unchanged');
SELECT set_eq('SELECT * FROM "ViolationMonthly"', 'SELECT * FROM monthly_before',
	'"ViolationMonthly" is unchanged');
SELECT set_eq(
	$$SELECT "reason", "pollutantKey", "benchmarkId", "sampleUnits", "benchmarkUnits", "sampleCount"
		FROM "ViolationSkipSummary"$$,
	$$SELECT "reason", "pollutantKey", "benchmarkId", "sampleUnits", "benchmarkUnits", "sampleCount"
		FROM skips_before$$,
	'"ViolationSkipSummary" is unchanged: each NTU sample is still counted once');

\ir ../lib/aggregate_checks.psql

SELECT * FROM finish();
ROLLBACK;
