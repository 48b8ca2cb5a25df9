-- Events that Alerts point at, and what must follow a change:
--   an event emptied by a change stays (count 0) while an Alert points at it,
--   and a violation that lands in it later starts it afresh (dates, ratio);
--   a hand-entered violation follows its benchmark to another pollutant;
--   violations_check_aggregates() notices an event whose impairedWater is not
--   its Facility's.
BEGIN;
SELECT plan(17);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss \gset

INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName") VALUES (9801, 'Kept A');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType")
VALUES (980101, 9801, 'EFF-001', 'EFFLUENT_MONITORING');
INSERT INTO "Facility" ("id", "name", "esmrFacilityId") VALUES ('fac_k', 'Kept', 9801);

-- TSS 250 mg/L: 2.5 x the annual NAL (100), under the instantaneous one (400)
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('k_1', 980101, :'tss', '2024-03-05', '08:00', '=', 250, 'mg/L');
SELECT "id" AS ev FROM "ViolationEvent" WHERE "facilityId" = 'fac_k' \gset
INSERT INTO "Alert" ("id", "facilityId", "violationEventId", "kind", "message")
VALUES ('alert_k', 'fac_k', :'ev', 'EXCEEDANCE', 'TSS above the NAL');

-- ============================================================ emptied, kept, refilled
DELETE FROM "ESMRSample" WHERE "id" = 'k_1';
SELECT results_eq(
	$$SELECT "count", "maxRatio", "openCount", "criticalCount" FROM "ViolationEvent" WHERE "id" = '$$ || :'ev' || $$'$$,
	$$VALUES (0, 0.0000::numeric, 0, 0)$$,
	'the sample deleted, the event the Alert points at stays, counting zero');
SELECT is((SELECT "violationEventId" FROM "Alert" WHERE "id" = 'alert_k'), :'ev',
	'the Alert still points at it');
SELECT is_empty('SELECT * FROM violations_check_aggregates()',
	'an emptied event is no drift');

INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('k_2', 980101, :'tss', '2024-09-01', '08:00', '=', 150, 'mg/L');
SELECT results_eq(
	$$SELECT "count", "firstDate", "lastDate", "maxRatio", "moderateCount" FROM "ViolationEvent" WHERE "id" = '$$ || :'ev' || $$'$$,
	$$VALUES (1, date '2024-09-01', date '2024-09-01', 1.5000::numeric, 1)$$,
	'a new violation refills it afresh: dates and ratio of the new violation only');
SELECT is_empty('SELECT * FROM violations_check_aggregates()',
	'and the aggregates equal their recomputation');

-- ============================================================ hand-entered, benchmark to another pollutant
INSERT INTO "ConfigPollutant" ("key", "displayName") VALUES ('TSS_K', 'TSS, kept test');
INSERT INTO "Facility" ("id", "name") VALUES ('fac_kh', 'Kept, by hand');
SELECT "id" AS hv FROM violations_record_violation('fac_kh', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE',
	180, '2024-05-01', 'seen on site') \gset
SELECT is((SELECT e."pollutant" FROM "ViolationSample" v JOIN "ViolationEvent" e ON e."id" = v."eventId"
			WHERE v."id" = :'hv'), 'TSS', 'the hand-entered violation is in a TSS event');

UPDATE "PollutantBenchmark" SET "pollutantKey" = 'TSS_K' WHERE "id" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE';
SELECT results_eq(
	$$SELECT v."pollutantKey", e."pollutant", e."facilityId", e."count"
		FROM "ViolationSample" v JOIN "ViolationEvent" e ON e."id" = v."eventId"
	   WHERE v."id" = '$$ || :'hv' || $$'$$,
	$$VALUES ('TSS_K', 'TSS_K', 'fac_kh', 1)$$,
	'the benchmark moved to TSS_K: the hand-entered violation, same id, is in a TSS_K event');
SELECT is((SELECT count(*) FROM "ViolationEvent" WHERE "facilityId" = 'fac_kh' AND "pollutant" = 'TSS'),
	0::bigint, 'its old TSS event is gone (no Alert points at it)');
SELECT is_empty('SELECT * FROM violations_check_aggregates()',
	'and the aggregates equal their recomputation');

-- ============================================================ impairedWater
-- (k_2 no longer violates: its parameter maps to TSS, the annual NAL is now
-- TSS_K's; 500 mg/L exceeds the instantaneous TSS NAL of 400)
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('k_3', 980101, :'tss', '2024-10-01', '08:00', '=', 500, 'mg/L');
SELECT "eventId" AS ev2 FROM "ViolationSample" WHERE "esmrSampleId" = 'k_3' \gset
UPDATE "Facility" SET "impairedWater" = true WHERE "id" = 'fac_k';
SELECT is((SELECT "impairedWater" FROM "ViolationEvent" WHERE "id" = :'ev2'), true,
	'impairedWater of the Facility follows into its event');
UPDATE "ViolationEvent" SET "impairedWater" = false WHERE "id" = :'ev2';
SELECT results_eq(
	$$SELECT "aggregate", "key", "stored", "recomputed" FROM violations_check_aggregates()$$,
	$$VALUES ('ViolationEvent', '$$ || :'ev2' || $$', '{"impairedWater": false}'::jsonb,
			  '{"impairedWater": true}'::jsonb)$$,
	'violations_check_aggregates() reports an event whose impairedWater is not its Facility''s');
SELECT lives_ok('SELECT violations_rebuild_aggregates()', 'violations_rebuild_aggregates() runs');
SELECT is_empty('SELECT * FROM violations_check_aggregates()', 'and repairs it');

\ir ../lib/aggregate_checks.psql

SELECT * FROM finish();
ROLLBACK;
