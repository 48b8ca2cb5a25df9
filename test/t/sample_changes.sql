-- Changes after the fact, samples (SPEC "Changes after the fact"; issue 3, 1):
-- an UPDATE of a sample's result, units, qualifier, parameter, location or
-- date re-evaluates it: a violation that still holds keeps its id and status
-- and takes the new values, one that no longer holds goes (its status history
-- stays), a new one appears.  A DELETE takes the sample's violations along
-- and the aggregates follow; TRUNCATE "ESMRSample" CASCADE clears what came
-- from the samples.
--
-- After every change: "ViolationSample" and "ViolationSkip" equal the
-- independent evaluation of test/lib/reference.psql, and the aggregates equal
-- their recomputation (pg_temp.check_all: 6 assertions).
--
-- Benchmarks used (data/benchmarks.csv):
--   TSS NAL 100 mg/L (annual) and 400 mg/L (instantaneous)
--   PH NAL MINIMUM 6.0 SU, MAXIMUM 9.0 SU
--   ZINC NAL 0.26 mg/L, CMC 120 ug/L, CCC 120 ug/L
BEGIN;
SELECT plan(135);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss,
	   'par_' || substr(md5('pH'), 1, 12) AS ph,
	   'par_' || substr(md5('Zinc, Total'), 1, 12) AS zn,
	   'par_' || substr(md5('Zinc, Dissolved'), 1, 12) AS zn_dissolved,
	   'par_' || substr(md5('Turbidity'), 1, 12) AS turbidity \gset

\ir ../lib/reference.psql

INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName") VALUES
	(9501, 'Sample changes, linked'), (9502, 'Sample changes, unlinked');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType") VALUES
	(950101, 9501, 'EFF-001', 'EFFLUENT_MONITORING'),
	(950201, 9502, 'EFF-001', 'EFFLUENT_MONITORING');
INSERT INTO "Facility" ("id", "name", "esmrFacilityId", "impairedWater")
VALUES ('fac_sc', 'Sample changes Facility', 9501, true);

CREATE TEMP VIEW found AS
SELECT v."id", v."esmrSampleId" AS sample, v."benchmarkId", v."measuredValue",
	   v."exceedanceRatio"::text AS ratio, v."severity"::text AS severity, v."status"::text AS status,
	   v."facilityId", v."facilityPlaceId", v."detectedAt", e."reportingYear"
  FROM "ViolationSample" v
  JOIN "ViolationEvent" e ON e."id" = v."eventId";

-- The id of a violation, by sample and benchmark.
CREATE FUNCTION pg_temp.vid(sample text, benchmark text) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT "id" FROM "ViolationSample" WHERE "esmrSampleId" = sample AND "benchmarkId" = benchmark
$$;

-- ============================================================ the samples
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('s_a', 950101, :'tss', '2024-03-10', '08:00', '=', 150, 'mg/L'),
	('s_b', 950101, :'tss', '2024-03-12', '08:00', '=', 500, 'mg/L'),
	('s_c', 950201, :'ph',  '2024-05-01', '08:00', '=', 5.0, 'SU'),
	('s_d', 950201, :'tss', '2024-06-01', '08:00', '=', 50,  'mg/L'),
	('s_e', 950101, :'zn',  '2024-04-01', '08:00', '=', 0.3, 'mg/L');

SELECT results_eq(
	$$SELECT sample, "benchmarkId", "measuredValue", ratio, severity, status, "facilityId",
			 "facilityPlaceId", "reportingYear"
		FROM found ORDER BY 1, 2$$,
	$$VALUES ('s_a', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE',     150::numeric, '1.5000', 'MODERATE', 'OPEN', 'fac_sc', 9501, '2024'),
			 ('s_b', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE',     500::numeric, '5.0000', 'CRITICAL', 'OPEN', 'fac_sc', 9501, '2024'),
			 ('s_b', 'TSS:NAL:MAXIMUM:INSTANTANEOUS',      500::numeric, '1.2500', 'MODERATE', 'OPEN', 'fac_sc', 9501, '2024'),
			 ('s_c', 'PH:NAL:MINIMUM:INSTANTANEOUS',       5.0::numeric, '1.2000', 'MODERATE', 'OPEN', NULL,     9502, '2024'),
			 ('s_e', 'ZINC:CCC:MAXIMUM:INSTANTANEOUS',     300::numeric, '2.5000', 'CRITICAL', 'OPEN', 'fac_sc', 9501, '2024'),
			 ('s_e', 'ZINC:CMC:MAXIMUM:INSTANTANEOUS',     300::numeric, '2.5000', 'CRITICAL', 'OPEN', 'fac_sc', 9501, '2024'),
			 ('s_e', 'ZINC:NAL:MAXIMUM:ANNUAL_AVERAGE',    0.3::numeric, '1.1538', 'MODERATE', 'OPEN', 'fac_sc', 9501, '2024')$$,
	'the samples as inserted: 7 violations (hand-computed)');
SELECT * FROM pg_temp.check_all('inserted');

-- Every violation id as first found.
CREATE TEMP TABLE first_ids AS SELECT "id", "esmrSampleId", "benchmarkId" FROM "ViolationSample";

SELECT violations_set_status(pg_temp.vid('s_b', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'), 'UNDER_REVIEW', 'lab report asked for');
SELECT violations_set_status(pg_temp.vid('s_b', 'TSS:NAL:MAXIMUM:INSTANTANEOUS'), 'DISMISSED', 'duplicate of the annual one');
CREATE TEMP TABLE s_b_inst AS SELECT pg_temp.vid('s_b', 'TSS:NAL:MAXIMUM:INSTANTANEOUS') AS id;

-- ============================================================ 1. result
-- s_b 500 -> 250 mg/L: 2.5 x the annual NAL still (CRITICAL), no longer above 400.
UPDATE "ESMRSample" SET "result" = 250 WHERE "id" = 's_b';

SELECT results_eq(
	$$SELECT "id", "benchmarkId", "measuredValue", ratio, severity, status FROM found WHERE sample = 's_b'$$,
	$$SELECT f."id", 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 250::numeric, '2.5000', 'CRITICAL', 'UNDER_REVIEW'
		FROM first_ids f WHERE f."esmrSampleId" = 's_b' AND f."benchmarkId" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'$$,
	'result 500 -> 250: the annual violation still holds: same id, still UNDER_REVIEW, measured 250, ratio 2.5000');
SELECT is_empty(
	$$SELECT * FROM "ViolationSample" WHERE "id" = (SELECT id FROM s_b_inst)$$,
	'result 500 -> 250: the instantaneous violation (250 < 400) no longer holds and is gone');
SELECT results_eq(
	$$SELECT "esmrSampleId", "fromStatus"::text, "toStatus"::text, "note" FROM "ViolationStatusHistory"
	   WHERE "violationId" = (SELECT id FROM s_b_inst)$$,
	$$VALUES ('s_b', 'OPEN', 'DISMISSED', 'duplicate of the annual one')$$,
	'result 500 -> 250: the history of the violation that went stays');
SELECT results_eq(
	$$SELECT "count", "openCount", "underReviewCount", "dismissedCount", "moderateCount", "criticalCount",
			 "maxRatio"::text, "firstDate", "lastDate", "dismissed"
		FROM "ViolationEvent" WHERE "facilityId" = 'fac_sc' AND "pollutant" = 'TSS' AND "reportingYear" = '2024'$$,
	$$VALUES (2, 1, 1, 0, 1, 1, '2.5000', '2024-03-10'::date, '2024-03-12'::date, false)$$,
	'result 500 -> 250: the TSS event counts s_a (OPEN, MODERATE) and s_b (UNDER_REVIEW, CRITICAL), max 2.5000');
SELECT * FROM pg_temp.check_all('result 500 -> 250');

-- s_d 50 -> 450 mg/L (unlinked eSMR facility): two violations appear.
UPDATE "ESMRSample" SET "result" = 450 WHERE "id" = 's_d';
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity, status, "facilityId", "facilityPlaceId",
			 "id" IN (SELECT "id" FROM first_ids)
		FROM found WHERE sample = 's_d' ORDER BY 1$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 450::numeric, '4.5000', 'CRITICAL', 'OPEN', NULL::text, 9502, false),
			 ('TSS:NAL:MAXIMUM:INSTANTANEOUS',  450::numeric, '1.1250', 'MODERATE', 'OPEN', NULL::text, 9502, false)$$,
	'result 50 -> 450: two new violations (4.5000 CRITICAL, 1.1250 MODERATE) on the bare eSMR facility');
SELECT results_eq(
	$$SELECT "facilityId", "facilityPlaceId", "count", "maxRatio"::text, "firstDate", "lastDate"
		FROM "ViolationEvent" WHERE "facilityPlaceId" = 9502 AND "pollutant" = 'TSS'$$,
	$$VALUES (NULL::text, 9502, 2, '4.5000', '2024-06-01'::date, '2024-06-01'::date)$$,
	'result 50 -> 450: a new TSS event of eSMR facility 9502');
SELECT * FROM pg_temp.check_all('result 50 -> 450');

-- ============================================================ 2. units
-- s_a 150 mg/L -> 150 g/L = 150000 mg/L: the annual violation stays, the
-- instantaneous one (150000 / 400 = 375) appears.
UPDATE "ESMRSample" SET "units" = 'g/L' WHERE "id" = 's_a';
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity, "id" IN (SELECT "id" FROM first_ids)
		FROM found WHERE sample = 's_a' ORDER BY 1$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 150000::numeric, '1500.0000', 'CRITICAL', true),
			 ('TSS:NAL:MAXIMUM:INSTANTANEOUS',  150000::numeric, '375.0000',  'CRITICAL', false)$$,
	'units mg/L -> g/L: annual kept (same id, 150000 mg/L, 1500.0000), instantaneous new (375.0000)');
SELECT * FROM pg_temp.check_all('units mg/L -> g/L');

-- NTU: does not convert; the violations go, two skip rows instead.
UPDATE "ESMRSample" SET "units" = 'NTU' WHERE "id" = 's_a';
SELECT is_empty($$SELECT * FROM found WHERE sample = 's_a'$$,
	'units g/L -> NTU: both violations of s_a are gone');
SELECT results_eq(
	$$SELECT "benchmarkId", "reason", "sampleUnits", "benchmarkUnits" FROM "ViolationSkip"
	   WHERE "esmrSampleId" = 's_a' ORDER BY 1$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'UNITS_NOT_CONVERTIBLE', 'ntu', 'mg/L'),
			 ('TSS:NAL:MAXIMUM:INSTANTANEOUS',  'UNITS_NOT_CONVERTIBLE', 'ntu', 'mg/L')$$,
	'units g/L -> NTU: s_a is logged UNITS_NOT_CONVERTIBLE against both TSS benchmarks');
SELECT * FROM pg_temp.check_all('units g/L -> NTU');

-- ' MG / l ' is mg/L again: the annual violation is back (a new one), the skip rows go.
UPDATE "ESMRSample" SET "units" = ' MG / l ' WHERE "id" = 's_a';
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity, status, "id" IN (SELECT "id" FROM first_ids)
		FROM found WHERE sample = 's_a'$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 150::numeric, '1.5000', 'MODERATE', 'OPEN', false)$$,
	'units NTU -> '' MG / l '': the annual violation appears again, as a new OPEN violation');
SELECT is_empty($$SELECT * FROM "ViolationSkip" WHERE "esmrSampleId" = 's_a'$$,
	'units NTU -> '' MG / l '': the skip rows of s_a are gone');
SELECT * FROM pg_temp.check_all('units NTU -> mg/L');

-- ============================================================ 3. qualifier
-- s_c pH = 5.0 -> > 5.0: a ">" result never counts against the MINIMUM.
UPDATE "ESMRSample" SET "qualifier" = '>' WHERE "id" = 's_c';
SELECT is_empty($$SELECT * FROM found WHERE sample = 's_c'$$,
	'qualifier = -> >: the pH MINIMUM violation of s_c is gone');
SELECT is_empty($$SELECT * FROM "ViolationEvent" WHERE "pollutant" = 'PH'$$,
	'qualifier = -> >: the emptied PH event is gone');
SELECT * FROM pg_temp.check_all('qualifier = -> >');

-- ============================================================ 4. location
-- s_e moves from the linked eSMR facility 9501 to the bare 9502.
UPDATE "ESMRSample" SET "locationPlaceId" = 950201 WHERE "id" = 's_e';
SELECT results_eq(
	$$SELECT "benchmarkId", "facilityId", "facilityPlaceId", ratio, "id" IN (SELECT "id" FROM first_ids)
		FROM found WHERE sample = 's_e' ORDER BY 1$$,
	$$VALUES ('ZINC:CCC:MAXIMUM:INSTANTANEOUS',  NULL::text, 9502, '2.5000', true),
			 ('ZINC:CMC:MAXIMUM:INSTANTANEOUS',  NULL::text, 9502, '2.5000', true),
			 ('ZINC:NAL:MAXIMUM:ANNUAL_AVERAGE', NULL::text, 9502, '1.1538', true)$$,
	'location 9501 -> 9502: the three zinc violations keep their ids and move to the bare eSMR facility');
SELECT results_eq(
	$$SELECT "facilityId", "facilityPlaceId", "count", "maxRatio"::text, "impairedWater"
		FROM "ViolationEvent" WHERE "pollutant" = 'ZINC'$$,
	$$VALUES (NULL::text, 9502, 3, '2.5000', false)$$,
	'location 9501 -> 9502: one ZINC event, of 9502; the emptied one of fac_sc is gone');
SELECT * FROM pg_temp.check_all('location changed');

-- ============================================================ 5. parameter
-- Zinc, Total -> Zinc, Dissolved: the same pollutant, the same violations.
CREATE TEMP TABLE s_e_before AS SELECT * FROM "ViolationSample" WHERE "esmrSampleId" = 's_e';
UPDATE "ESMRSample" SET "parameterId" = :'zn_dissolved' WHERE "id" = 's_e';
SELECT set_eq(
	$$SELECT "id", "benchmarkId", "measuredValue", "exceedanceRatio", "eventId" FROM "ViolationSample"
	   WHERE "esmrSampleId" = 's_e'$$,
	$$SELECT "id", "benchmarkId", "measuredValue", "exceedanceRatio", "eventId" FROM s_e_before$$,
	'parameter Zinc, Total -> Zinc, Dissolved: the violations keep id, values and event');
SELECT * FROM pg_temp.check_all('parameter, same pollutant');

-- Turbidity has no canonicalKey: nothing to evaluate, no skip either.
UPDATE "ESMRSample" SET "parameterId" = :'turbidity' WHERE "id" = 's_e';
SELECT is_empty(
	$$SELECT "esmrSampleId" FROM "ViolationSample" WHERE "esmrSampleId" = 's_e'
	  UNION ALL SELECT "esmrSampleId" FROM "ViolationSkip" WHERE "esmrSampleId" = 's_e'
	  UNION ALL SELECT "id" FROM "ViolationEvent" WHERE "pollutant" = 'ZINC'$$,
	'parameter -> Turbidity (untracked): the zinc violations and their event are gone, no skip row');
SELECT * FROM pg_temp.check_all('parameter untracked');

-- ============================================================ 6. date
-- s_b 2024-03-12 -> 2025-01-05: its UNDER_REVIEW violation moves to the 2025 event.
UPDATE "ESMRSample" SET "samplingDate" = '2025-01-05' WHERE "id" = 's_b';
SELECT results_eq(
	$$SELECT "id", "detectedAt", "reportingYear", status FROM found WHERE sample = 's_b'$$,
	$$SELECT f."id", '2025-01-05'::date, '2025', 'UNDER_REVIEW' FROM first_ids f
	   WHERE f."esmrSampleId" = 's_b' AND f."benchmarkId" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'$$,
	'date 2024-03-12 -> 2025-01-05: same id, still UNDER_REVIEW, detectedAt and reporting year follow');
SELECT results_eq(
	$$SELECT "reportingYear", "count", "openCount", "underReviewCount", "maxRatio"::text, "firstDate", "lastDate"
		FROM "ViolationEvent" WHERE "facilityId" = 'fac_sc' ORDER BY 1$$,
	$$VALUES ('2024', 1, 1, 0, '1.5000', '2024-03-10'::date, '2024-03-10'::date),
			 ('2025', 1, 0, 1, '2.5000', '2025-01-05'::date, '2025-01-05'::date)$$,
	'date changed: the 2024 event keeps s_a only, a 2025 event holds s_b');
SELECT * FROM pg_temp.check_all('date changed');

-- ============================================================ 7. columns detection does not read
CREATE TEMP TABLE all_before AS SELECT * FROM "ViolationSample";
UPDATE "ESMRSample" SET "reviewPriority" = true, "mdl" = 1, "analyticalMethod" = 'EPA 160.2'
 WHERE "id" IN ('s_a', 's_b', 's_d');
SELECT set_eq('SELECT * FROM "ViolationSample"', 'SELECT * FROM all_before',
	'an UPDATE of columns that detection does not read changes no violation (ids, values, stamps)');

-- ============================================================ 8. multi-row UPDATE
-- m_1..m_4 at 90, 120, 300, 450 mg/L: annual 1.2 (m_2), 3.0 (m_3), 4.5 (m_4);
-- instantaneous 1.125 (m_4).
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('m_1', 950201, :'tss', '2024-08-01', '08:00', '=', 90,  'mg/L'),
	('m_2', 950201, :'tss', '2024-08-02', '08:00', '=', 120, 'mg/L'),
	('m_3', 950201, :'tss', '2024-08-03', '08:00', '=', 300, 'mg/L'),
	('m_4', 950201, :'tss', '2024-08-04', '08:00', '=', 450, 'mg/L');
UPDATE "ViolationSample" SET "status" = 'UNDER_REVIEW'
 WHERE "esmrSampleId" = 'm_4' AND "benchmarkId" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE';
CREATE TEMP TABLE m_ids AS SELECT "id", "esmrSampleId", "benchmarkId" FROM "ViolationSample" WHERE "esmrSampleId" LIKE 'm\_%';

-- + 100: 190 (new, 1.9), 220 (2.2, now CRITICAL), 400 (4.0; not above 400), 550 (5.5 and 1.375)
UPDATE "ESMRSample" SET "result" = "result" + 100 WHERE "id" LIKE 'm\_%';
SELECT results_eq(
	$$SELECT sample, "benchmarkId", "measuredValue", ratio, severity, status, "id" IN (SELECT "id" FROM m_ids)
		FROM found WHERE sample LIKE 'm\_%' ORDER BY 1, 2$$,
	$$VALUES ('m_1', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 190::numeric, '1.9000', 'MODERATE', 'OPEN', false),
			 ('m_2', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 220::numeric, '2.2000', 'CRITICAL', 'OPEN', true),
			 ('m_3', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 400::numeric, '4.0000', 'CRITICAL', 'OPEN', true),
			 ('m_4', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 550::numeric, '5.5000', 'CRITICAL', 'UNDER_REVIEW', true),
			 ('m_4', 'TSS:NAL:MAXIMUM:INSTANTANEOUS',  550::numeric, '1.3750', 'MODERATE', 'OPEN', true)$$,
	'one UPDATE of 4 samples (+100 mg/L): one new violation, four kept with new values, the UNDER_REVIEW one still UNDER_REVIEW');
SELECT * FROM pg_temp.check_all('multi-row UPDATE +100');

-- - 150: 40 and 70 go, 250 (2.5) stays, 400 keeps the annual (4.0) and loses the instantaneous.
UPDATE "ESMRSample" SET "result" = "result" - 150 WHERE "id" LIKE 'm\_%';
SELECT results_eq(
	$$SELECT sample, "benchmarkId", "measuredValue", ratio, severity, status, "id" IN (SELECT "id" FROM m_ids)
		FROM found WHERE sample LIKE 'm\_%' ORDER BY 1, 2$$,
	$$VALUES ('m_3', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 250::numeric, '2.5000', 'CRITICAL', 'OPEN', true),
			 ('m_4', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 400::numeric, '4.0000', 'CRITICAL', 'UNDER_REVIEW', true)$$,
	'one UPDATE of 4 samples (-150 mg/L): three violations go, two stay with their ids and statuses');
SELECT results_eq(
	$$SELECT "count", "openCount", "underReviewCount", "moderateCount", "criticalCount", "maxRatio"::text,
			 "firstDate", "lastDate"
		FROM "ViolationEvent" WHERE "facilityPlaceId" = 9502 AND "pollutant" = 'TSS'$$,
	$$VALUES (4, 3, 1, 1, 3, '4.5000', '2024-06-01'::date, '2024-08-04'::date)$$,
	'multi-row UPDATE: the TSS event of 9502 counts s_d (2) and m_3, m_4: 4, one UNDER_REVIEW');
SELECT * FROM pg_temp.check_all('multi-row UPDATE -150');

-- ============================================================ 9. DELETE
CREATE TEMP TABLE s_b_annual AS SELECT pg_temp.vid('s_b', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE') AS id;
DELETE FROM "ESMRSample" WHERE "id" = 's_b';
SELECT is_empty(
	$$SELECT "id" FROM "ViolationSample" WHERE "esmrSampleId" = 's_b'
	  UNION ALL SELECT "id" FROM "ViolationEvent" WHERE "reportingYear" = '2025'$$,
	'DELETE s_b: its violation and the emptied 2025 event are gone');
SELECT results_eq(
	$$SELECT "esmrSampleId", "fromStatus"::text, "toStatus"::text, "note" FROM "ViolationStatusHistory"
	   WHERE "violationId" = (SELECT id FROM s_b_annual)$$,
	$$VALUES ('s_b', 'OPEN', 'UNDER_REVIEW', 'lab report asked for')$$,
	'DELETE s_b: the status history of its violation stays');
SELECT * FROM pg_temp.check_all('DELETE one sample');

DELETE FROM "ESMRSample" WHERE "id" = 'm_3';
SELECT results_eq(
	$$SELECT "count", "openCount", "underReviewCount", "criticalCount", "maxRatio"::text, "firstDate", "lastDate"
		FROM "ViolationEvent" WHERE "facilityPlaceId" = 9502 AND "pollutant" = 'TSS'$$,
	$$VALUES (3, 2, 1, 2, '4.5000', '2024-06-01'::date, '2024-08-04'::date)$$,
	'DELETE m_3: the shared event counts 3');
SELECT results_eq(
	$$SELECT m."month", m."count", m."underReviewCount" FROM "ViolationMonthly" m
		JOIN "ViolationEvent" e ON e."id" = m."eventId"
	   WHERE e."facilityPlaceId" = 9502 AND e."pollutant" = 'TSS' ORDER BY 1$$,
	$$VALUES ('2024-06-01'::date, 2, 0), ('2024-08-01'::date, 1, 1)$$,
	'DELETE m_3: August holds m_4 only');
SELECT * FROM pg_temp.check_all('DELETE a sample of a shared event');

DELETE FROM "ESMRSample" WHERE "id" IN ('m_1', 'm_2', 'm_4', 's_d');
SELECT is_empty(
	$$SELECT "id" FROM "ViolationEvent" WHERE "facilityPlaceId" = 9502
	  UNION ALL SELECT m."eventId" FROM "ViolationMonthly" m
	   WHERE m."eventId" NOT IN (SELECT "id" FROM "ViolationEvent")$$,
	'DELETE of 4 samples in one statement: the events of 9502 and their months are gone');
SELECT * FROM pg_temp.check_all('DELETE several samples');

-- ============================================================ 10. TRUNCATE "ESMRSample" CASCADE
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('t_1', 950201, :'tss', '2024-09-01', '08:00', '=', 500, 'mg/L'),
	('t_2', 950101, :'ph',  '2024-09-02', '08:00', '=', 4,   'SU'),
	('t_3', 950101, :'tss', '2024-09-03', '08:00', '=', 300, 'NTU');
SELECT ok((SELECT count(*) FROM "ViolationSample") = 4 AND (SELECT count(*) FROM "ViolationSkip") = 2
		  AND (SELECT count(*) FROM "ViolationMonthly") = 3,
	'before TRUNCATE: 4 violations (s_a, t_1 x 2, t_2), 2 skip rows (t_3), 3 months');
SELECT count(*) AS history_rows FROM "ViolationStatusHistory" \gset

SAVEPOINT before_truncate;
-- a legacy row (as CREATE EXTENSION copies them from the app's old table)
INSERT INTO "ViolationEvent" ("id", "facilityId", "pollutant", "reportingYear", "firstDate", "lastDate",
							  "count", "maxRatio", "legacy")
VALUES ('ev_legacy_sc', 'fac_sc', 'COD', '2019', '2019-02-01', '2019-03-01', 3, 2.5, true);
SET LOCAL client_min_messages = warning;
TRUNCATE "ESMRSample" CASCADE;
RESET client_min_messages;
SELECT is_empty(
	$$SELECT "id" FROM "ViolationSample" UNION ALL SELECT "esmrSampleId" FROM "ViolationSkip"
	  UNION ALL SELECT "eventId" FROM "ViolationMonthly"$$,
	'TRUNCATE "ESMRSample" CASCADE: no violation, skip row or month is left');
SELECT results_eq(
	$$SELECT "id", "count", "maxRatio"::text, "legacy" FROM "ViolationEvent"$$,
	$$VALUES ('ev_legacy_sc', 3, '2.5000', true)$$,
	'TRUNCATE: only the legacy event is left, with its figures');
SELECT is((SELECT count(*) FROM "ViolationStatusHistory"), :'history_rows'::bigint,
	'TRUNCATE: the status history stays');
ROLLBACK TO SAVEPOINT before_truncate;

-- A violation entered by hand for a Facility made by hand did not come from
-- a sample: TRUNCATE of the samples must leave it, and its event, alone.
INSERT INTO "Facility" ("id", "name") VALUES ('fac_sc_hand', 'Made by hand');
CREATE TEMP TABLE hand AS
SELECT "id" FROM violations_record_violation('fac_sc_hand', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE',
	300, '2024-10-10', 'seen on site');
SET LOCAL client_min_messages = warning;
TRUNCATE "ESMRSample" CASCADE;
RESET client_min_messages;
SELECT results_eq(
	$$SELECT "id", "esmrSampleId", "facilityId", "measuredValue", "exceedanceRatio"::text FROM "ViolationSample"$$,
	$$SELECT "id", NULL::text, 'fac_sc_hand', 300::numeric, '3.0000' FROM hand$$,
	'TRUNCATE "ESMRSample" CASCADE keeps the hand-entered violation (it did not come from a sample)');
SELECT results_eq(
	$$SELECT "facilityId", "pollutant", "reportingYear", "count" FROM "ViolationEvent"$$,
	$$VALUES ('fac_sc_hand', 'TSS', '2024', 1)$$,
	'TRUNCATE "ESMRSample" CASCADE keeps the event of the hand-entered violation');

\ir ../lib/aggregate_checks.psql

SELECT * FROM finish();
ROLLBACK;
