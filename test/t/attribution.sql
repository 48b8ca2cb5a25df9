-- Detection rules 5 and 6: reporting year and facility attribution.
--   Reporting year: calendar year of the sampling date by default ('2024'); a
--   setting may start the year in another month (July: '2023-2024').
--   Facility: sample -> ESMRLocation -> facilityPlaceId -> the Facility whose
--   esmrFacilityId matches, if any.
--   A parameter with no canonicalKey is not tracked.
--   The monthly roll-up has one row per event and first day of the month.
BEGIN;
SELECT plan(29);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss,
	   'par_' || substr(md5('Turbidity'), 1, 12) AS turbidity \gset

INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName", "region") VALUES
	(7001, 'Unlinked eSMR facility', '4'),
	(7002, 'Linked eSMR facility', '4'),
	(7003, 'eSMR facility linked later', '4');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType") VALUES
	(700101, 7001, 'EFF-001', 'EFFLUENT_MONITORING'),
	(700201, 7002, 'EFF-001', 'EFFLUENT_MONITORING'),
	(700202, 7002, 'SW-002', 'STORMWATER_MONITORING'),
	(700301, 7003, 'EFF-001', 'EFFLUENT_MONITORING');
INSERT INTO "Facility" ("id", "name", "wdid", "esmrFacilityId", "impairedWater")
VALUES ('fac_linked', 'Linked Facility', '4 19I000001', 7002, true);

CREATE TEMP VIEW found AS
SELECT v."esmrSampleId" AS sample, v."benchmarkId", v."measuredValue",
	   v."exceedanceRatio"::text AS ratio, v."severity"::text AS severity,
	   v."facilityId", v."facilityPlaceId", v."detectedAt", e."reportingYear",
	   e."facilityId" AS "eventFacilityId", e."facilityPlaceId" AS "eventFacilityPlaceId",
	   e."impairedWater" AS "eventImpairedWater"
  FROM "ViolationSample" v
  JOIN "ViolationEvent" e ON e."id" = v."eventId";

-- ------------------------------------------------------------ calendar year (default)
SELECT is((SELECT "reportingYearStartMonth" FROM "ViolationSettings"), 1, 'the reporting year starts in January by default');

INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('a_1231', 700101, :'tss', '2023-12-31', '07:00', '=', 150, 'mg/L'),
	('a_0101', 700101, :'tss', '2024-01-01', '07:00', '=', 150, 'mg/L'),
	('a_0630', 700101, :'tss', '2024-06-30', '07:00', '=', 150, 'mg/L'),
	('a_0701', 700101, :'tss', '2024-07-01', '07:00', '=', 300, 'mg/L');

SELECT results_eq(
	$$SELECT sample, "benchmarkId", "measuredValue", ratio, severity, "facilityId", "facilityPlaceId",
			 "detectedAt", "reportingYear"
		FROM found WHERE sample LIKE 'a\_%' ORDER BY "detectedAt"$$,
	$$VALUES ('a_1231', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 150::numeric, '1.5000', 'MODERATE', NULL::text, 7001, '2023-12-31'::date, '2023'),
			 ('a_0101', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 150::numeric, '1.5000', 'MODERATE', NULL::text, 7001, '2024-01-01'::date, '2024'),
			 ('a_0630', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 150::numeric, '1.5000', 'MODERATE', NULL::text, 7001, '2024-06-30'::date, '2024'),
			 ('a_0701', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 300::numeric, '3.0000', 'CRITICAL', NULL::text, 7001, '2024-07-01'::date, '2024')$$,
	'calendar year: 2023-12-31 -> 2023; 2024-01-01, 2024-06-30, 2024-07-01 -> 2024');

-- ------------------------------------------------------------ monthly roll-up
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('mo_0301', 700101, :'tss', '2024-03-01', '07:00', '=', 150, 'mg/L'),
	('mo_0331', 700101, :'tss', '2024-03-31', '23:59', '=', 250, 'mg/L'),
	('mo_0415', 700101, :'tss', '2024-04-15', '07:00', '=', 150, 'mg/L');

SELECT results_eq(
	$$SELECT "pollutant", "reportingYear", "facilityId", "facilityPlaceId", "count", "firstDate", "lastDate",
			 "maxRatio"::text, "moderateCount", "criticalCount", "impairedWater"
		FROM "ViolationEvent" WHERE "facilityPlaceId" = 7001 ORDER BY "reportingYear"$$,
	$$VALUES ('TSS', '2023', NULL::text, 7001, 1, '2023-12-31'::date, '2023-12-31'::date, '1.5000', 1, 0, false),
			 ('TSS', '2024', NULL::text, 7001, 6, '2024-01-01'::date, '2024-07-01'::date, '3.0000', 4, 2, false)$$,
	'events of the unlinked facility: one per reporting year, keyed by facilityPlaceId');
SELECT results_eq(
	$$SELECT m."month", m."count", m."openCount", m."moderateCount", m."criticalCount"
		FROM "ViolationMonthly" m JOIN "ViolationEvent" e ON e."id" = m."eventId"
	   WHERE e."facilityPlaceId" = 7001 AND e."reportingYear" = '2024' ORDER BY 1$$,
	$$VALUES ('2024-01-01'::date, 1, 1, 1, 0),
			 ('2024-03-01'::date, 2, 2, 1, 1),
			 ('2024-04-01'::date, 1, 1, 1, 0),
			 ('2024-06-01'::date, 1, 1, 1, 0),
			 ('2024-07-01'::date, 1, 1, 0, 1)$$,
	'monthly roll-up: one row per month of sampling, month = first day (2024-03-01 and 2024-03-31 together)');
SELECT results_eq(
	$$SELECT m."month", m."count" FROM "ViolationMonthly" m JOIN "ViolationEvent" e ON e."id" = m."eventId"
	   WHERE e."facilityPlaceId" = 7001 AND e."reportingYear" = '2023'$$,
	$$VALUES ('2023-12-01'::date, 1)$$,
	'monthly roll-up: December 2023 belongs to the 2023 event');

-- ------------------------------------------------------------ linked / unlinked facility
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('l_1', 700201, :'tss', '2024-05-05', '07:00', '=', 150, 'mg/L'),
	('l_2', 700202, :'tss', '2024-05-06', '07:00', '=', 500, 'mg/L');

SELECT results_eq(
	$$SELECT sample, "benchmarkId", "measuredValue", ratio, severity, "facilityId", "facilityPlaceId", "reportingYear"
		FROM found WHERE sample LIKE 'l\_%' ORDER BY 1, 2$$,
	$$VALUES ('l_1', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 150::numeric, '1.5000', 'MODERATE', 'fac_linked', 7002, '2024'),
			 ('l_2', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 500::numeric, '5.0000', 'CRITICAL', 'fac_linked', 7002, '2024'),
			 ('l_2', 'TSS:NAL:MAXIMUM:INSTANTANEOUS',  500::numeric, '1.2500', 'MODERATE', 'fac_linked', 7002, '2024')$$,
	'linked facility: facilityId is the Facility with esmrFacilityId 7002, from either of its locations');
SELECT results_eq(
	$$SELECT "facilityId", "facilityPlaceId", "pollutant", "reportingYear", "count", "impairedWater",
			 "firstDate", "lastDate", "maxRatio"::text
		FROM "ViolationEvent" WHERE "facilityId" = 'fac_linked'$$,
	$$VALUES ('fac_linked', 7002, 'TSS', '2024', 3, true, '2024-05-05'::date, '2024-05-06'::date, '5.0000')$$,
	'linked facility: one event keyed by facilityId, impairedWater copied from the Facility');
SELECT is_empty(
	$$SELECT * FROM found WHERE sample LIKE 'a\_%' AND ("facilityId" IS NOT NULL OR "eventFacilityId" IS NOT NULL
															OR "eventImpairedWater")$$,
	'unlinked facility: facilityId null on the violations and the event, impairedWater false');

-- ------------------------------------------------------------ linked after the cache was filled
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('k_before', 700301, :'tss', '2024-08-01', '07:00', '=', 150, 'mg/L');
SELECT results_eq(
	$$SELECT "facilityId", "facilityPlaceId", "eventFacilityId", "eventFacilityPlaceId" FROM found WHERE sample = 'k_before'$$,
	$$VALUES (NULL::text, 7003, NULL::text, 7003)$$,
	'not yet linked: facilityId null, facilityPlaceId 7003');

INSERT INTO "Facility" ("id", "name", "esmrFacilityId", "impairedWater")
VALUES ('fac_late', 'Facility linked later', 7003, false);

INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('k_after', 700301, :'tss', '2024-08-02', '07:00', '=', 150, 'mg/L');
SELECT results_eq(
	$$SELECT "facilityId", "facilityPlaceId", "eventFacilityId", "eventFacilityPlaceId", "reportingYear"
		FROM found WHERE sample = 'k_after'$$,
	$$VALUES ('fac_late'::text, 7003, 'fac_late'::text, 7003, '2024')$$,
	'a Facility linked after the location was cached is seen by the next statement');

SELECT results_eq(
	$$SELECT "facilityId", "eventFacilityId" FROM found WHERE sample = 'k_before'$$,
	$$VALUES ('fac_late'::text, 'fac_late'::text)$$,
	'linking a Facility later moves its earlier violations and events to it');

UPDATE "Facility" SET "esmrFacilityId" = NULL WHERE "id" = 'fac_late';
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('k_unlinked', 700301, :'tss', '2024-08-03', '07:00', '=', 150, 'mg/L');
SELECT results_eq(
	$$SELECT "facilityId", "facilityPlaceId", "eventFacilityId" FROM found WHERE sample = 'k_unlinked'$$,
	$$VALUES (NULL::text, 7003, NULL::text)$$,
	'unlinking the Facility is seen by the next statement too');

-- ------------------------------------------------------------ untracked parameters
INSERT INTO "ESMRParameter" ("id", "parameterName", "category", "canonicalKey")
VALUES ('par_test_untracked', 'Untracked (test)', 'other', NULL);
PREPARE untracked AS
	INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
							  "qualifier", "result", "units") VALUES
		('t_turbidity', 700101, :'turbidity',         '2024-05-05', '07:00', '=', 100000, 'NTU'),
		('t_untracked', 700101, 'par_test_untracked', '2024-05-05', '07:00', '=', 100000, 'mg/L'),
		('t_nan',       700101, 'par_test_untracked', '2024-05-05', '07:00', '=', 'NaN',  'mg/L');
SELECT lives_ok('EXECUTE untracked', 'samples of parameters without canonicalKey are stored');
SELECT is_empty($$SELECT * FROM found WHERE sample LIKE 't\_%'$$,
	'a parameter without canonicalKey makes no violation');
SELECT is_empty('SELECT * FROM "ViolationSkipSummary"',
	'and no skip either (NTU, NaN: an untracked parameter is not evaluated at all)');

SELECT results_eq(
	$$SELECT sample FROM found ORDER BY 1$$,
	$$VALUES ('a_0101'), ('a_0630'), ('a_0701'), ('a_1231'), ('k_after'), ('k_before'), ('k_unlinked'),
			 ('l_1'), ('l_2'), ('l_2'), ('mo_0301'), ('mo_0331'), ('mo_0415')$$,
	'calendar-year part: exactly the expected violations');

\ir ../lib/aggregate_checks.psql

-- ------------------------------------------------------------ reporting year starting in July
UPDATE "ViolationSettings" SET "reportingYearStartMonth" = 7;

SELECT is_empty(
	'SELECT * FROM violations_check_aggregates()',
	'after changing reportingYearStartMonth, violations_check_aggregates() still reports no drift (the events are re-keyed)');

-- A clean slate, so that the July labels are checked on their own: deleting
-- the samples takes their violations along, and the emptied events and months.
DELETE FROM "ESMRSample";
SELECT is_empty('SELECT "id" FROM "ViolationEvent" UNION ALL SELECT "eventId" FROM "ViolationMonthly"',
	'deleting every sample leaves no event and no month');

INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('y_0630', 700101, :'tss', '2024-06-30', '07:00', '=', 150, 'mg/L'),
	('y_0701', 700101, :'tss', '2024-07-01', '07:00', '=', 150, 'mg/L'),
	('y_0101', 700101, :'tss', '2025-01-01', '07:00', '=', 250, 'mg/L'),
	('y_0630n', 700101, :'tss', '2025-06-30', '07:00', '=', 150, 'mg/L'),
	('y_l',    700201, :'tss', '2024-07-01', '07:00', '=', 150, 'mg/L');

SELECT results_eq(
	$$SELECT sample, "facilityId", "facilityPlaceId", "detectedAt", "reportingYear"
		FROM found WHERE sample LIKE 'y\_%' ORDER BY "detectedAt", sample$$,
	$$VALUES ('y_0630',  NULL::text,   7001, '2024-06-30'::date, '2023-2024'),
			 ('y_0701',  NULL::text,   7001, '2024-07-01'::date, '2024-2025'),
			 ('y_l',     'fac_linked', 7002, '2024-07-01'::date, '2024-2025'),
			 ('y_0101',  NULL::text,   7001, '2025-01-01'::date, '2024-2025'),
			 ('y_0630n', NULL::text,   7001, '2025-06-30'::date, '2024-2025')$$,
	'start month 7: 2024-06-30 -> 2023-2024; 2024-07-01 .. 2025-06-30 -> 2024-2025');
SELECT results_eq(
	$$SELECT "facilityId", "facilityPlaceId", "reportingYear", "count", "firstDate", "lastDate", "maxRatio"::text
		FROM "ViolationEvent" ORDER BY 1 NULLS FIRST, 3$$,
	$$VALUES (NULL::text, 7001, '2023-2024', 1, '2024-06-30'::date, '2024-06-30'::date, '1.5000'),
			 (NULL::text, 7001, '2024-2025', 3, '2024-07-01'::date, '2025-06-30'::date, '2.5000'),
			 ('fac_linked', 7002, '2024-2025', 1, '2024-07-01'::date, '2024-07-01'::date, '1.5000')$$,
	'start month 7: one event per permit year');
SELECT results_eq(
	$$SELECT m."month", m."count" FROM "ViolationMonthly" m JOIN "ViolationEvent" e ON e."id" = m."eventId"
	   WHERE e."facilityPlaceId" = 7001 AND e."reportingYear" = '2024-2025' ORDER BY 1$$,
	$$VALUES ('2024-07-01'::date, 1), ('2025-01-01'::date, 1), ('2025-06-01'::date, 1)$$,
	'start month 7: the monthly roll-up stays by calendar month');

\ir ../lib/aggregate_checks.psql

SELECT * FROM finish();
ROLLBACK;
