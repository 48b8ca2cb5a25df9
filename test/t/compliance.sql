-- Permit compliance (issue 7; docs/COMPLIANCE.md): "ViolationCompliance" per
-- eSMR facility x NAL pollutant x permit year (July 1 - June 30), the annual
-- NAL rule (exact: resultSum > annualNal x resultCount), the instantaneous
-- rule (2 or more results flagged against an instantaneous NAL), non-detects
-- by "ViolationSettings"."nonDetects", and "ViolationEraStatus" with the ERA
-- levels (Baseline, Level 1 after the first exceeded year, Level 2 after a
-- later one).  Kept current by the sample triggers (INSERT, UPDATE, DELETE,
-- TRUNCATE) and by rebuilds after changes of locations, benchmarks,
-- parameters, Facilities and settings.  The "Alert" rows (writeAlerts), the
-- view "ViolationComplianceReport" and violations_worst_exceedances().
--
-- After every change: both tables equal the independent computation of
-- test/lib/compliance_reference.psql and violations_check_compliance() is
-- empty (pg_temp.check_compliance: 3 assertions); hand-computed values at
-- each step make sure the reference itself is right.  Besides the rules:
-- upsert (INSERT ... ON CONFLICT DO UPDATE), COPY, a multi-row UPDATE across
-- facilities and years, renamed keys (Facility id, location id, eSMR facility
-- id), an insert by a violations_ingest role with writeAlerts on.
--
-- "ViolationEraStatus" has a row for every facility x NAL pollutant that left
-- Baseline (see test/lib/compliance_reference.psql).
--
-- Benchmarks used (data/benchmarks.csv):
--   TSS        NAL annual 100 mg/L, instantaneous MAXIMUM 400 mg/L
--   OIL_GREASE NAL annual 15 mg/L,  instantaneous MAXIMUM 25 mg/L
--   PH         NAL instantaneous MINIMUM 6.0 SU, MAXIMUM 9.0 SU (no annual NAL)
--   COPPER     NAL annual 0.0332 mg/L (no instantaneous NAL); CMC 13, CCC 9 ug/L
--   CHROMIUM   MCL 0.1 mg/L only: not a NAL pollutant
BEGIN;
SELECT plan(244);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss,
	   'par_' || substr(md5('Oil and Grease'), 1, 12) AS og,
	   'par_' || substr(md5('pH'), 1, 12) AS ph,
	   'par_' || substr(md5('Copper, Total'), 1, 12) AS cu,
	   'par_' || substr(md5('Turbidity'), 1, 12) AS turbidity \gset

\ir ../lib/compliance_reference.psql

-- One line per permit year of a facility x pollutant: year, "!" when
-- exceeded, the level that follows it.
CREATE FUNCTION pg_temp.years(place integer, pollutant text) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT string_agg("permitYear"::text || CASE WHEN "exceeded" THEN '!' ELSE '' END || ':' || "eraLevel",
					  ' ' ORDER BY "permitYear")
	  FROM "ViolationCompliance" WHERE "facilityPlaceId" = place AND "pollutantKey" = pollutant
$$;
-- The ERA status of a facility x pollutant: facilityId level level1Year level2Year exceededYears.
CREATE FUNCTION pg_temp.era(place integer, pollutant text) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT coalesce("facilityId", '-') || ' ' || "level" || ' ' || coalesce("level1Year"::text, '-') || ' '
		   || coalesce("level2Year"::text, '-') || ' ' || "exceededYears"::text
	  FROM "ViolationEraStatus" WHERE "facilityPlaceId" = place AND "pollutantKey" = pollutant
$$;
-- The sums of one row.
CREATE TEMP VIEW sums AS
SELECT "facilityPlaceId" AS place, "pollutantKey" AS pollutant, "permitYear" AS year,
	   "resultCount", "resultSum", "nonDetectCount", "instantCount", "average",
	   "annualExceeded", "instantExceeded", "exceeded", "eraLevel"::text AS level
  FROM "ViolationCompliance";

-- A: linked to fac_cmp_a, two locations; B, C, D: linked to no Facility;
-- E: linked, for the alerts; F: not linked, for the alerts.
INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName") VALUES
	(7101, 'Compliance A'), (7102, 'Compliance B'), (7103, 'Compliance C'), (7104, 'Compliance D'),
	(7105, 'Compliance E'), (7106, 'Compliance F');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType") VALUES
	(710101, 7101, 'EFF-001', 'EFFLUENT_MONITORING'),
	(710102, 7101, 'SW-001',  'STORMWATER_MONITORING'),
	(710201, 7102, 'EFF-001', 'EFFLUENT_MONITORING'),
	(710202, 7102, 'SW-002',  'STORMWATER_MONITORING'),
	(710301, 7103, 'EFF-001', 'EFFLUENT_MONITORING'),
	(710401, 7104, 'EFF-001', 'EFFLUENT_MONITORING'),
	(710501, 7105, 'EFF-001', 'EFFLUENT_MONITORING'),
	(710601, 7106, 'EFF-001', 'EFFLUENT_MONITORING');
INSERT INTO "Facility" ("id", "name", "esmrFacilityId") VALUES
	('fac_cmp_a', 'Compliance A Inc.', 7101), ('fac_cmp_e', 'Compliance E Inc.', 7105);

SELECT ok((SELECT count(*) FROM "ViolationCompliance") = 0 AND (SELECT count(*) FROM "ViolationEraStatus") = 0,
	'no sample yet: both compliance tables are empty');

-- ============================================================ the samples
-- A, in one INSERT ... SELECT (parameters by name).  Permit years:
--   TSS    2019: 80, 130 (MG/L)       -> 105: exceeded (July 1 and June 30 both in 2019)
--          2020: 90, ND (mdl 10)       -> 45 with ZERO
--          2021: < 20, DNQ 150, > 60   -> 70
--          2022: 450, 0.42 g/L         -> 435, and two results above 400: both rules
--          2023: 50, NULL              -> 50
--          2024: NaN, 99, 300 NTU      -> 99 (NaN and NTU not counted)
--   COPPER 2021: 40 ug/L, 30 ug/l      -> 0.035 mg/L > 0.0332: exceeded
--          2022: 33.2 ug/L, ND 5 (mdl 2) -> 0.0166 (33.2 ug/L alone = the NAL)
--          2023: 33.200001 ug/L        -> exceeded by 0.000000001 mg/L
--   PH     2020: 5.5 SU, 9.5 S.U.      -> two instantaneous exceedances: exceeded
--          2021: 7 pH units, > 5, > 10 -> one (> 5 says nothing about the minimum)
--          2022: DNQ 4.0, DNQ 10       -> none while evaluateDnq is off
--   CHROMIUM (no NAL), Turbidity (no canonicalKey): no rows
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units", "mdl")
SELECT v.id, v.loc, p."id", v.d::date, '08:00', v.q::"ESMRQualifier", v.r::numeric, v.u, v.mdl::numeric
  FROM (VALUES
		('a01', 710101, 'Total Suspended Solids (TSS)', '2019-07-01', '=',   '80',        'mg/L',     NULL),
		('a02', 710102, 'Total Suspended Solids (TSS)', '2020-06-30', '=',   '130',       'MG/L',     NULL),
		('a03', 710101, 'Total Suspended Solids (TSS)', '2020-07-01', '=',   '90',        'mg/L',     NULL),
		('a04', 710101, 'Total Suspended Solids (TSS)', '2021-03-01', 'ND',  NULL,        'mg/L',     '10'),
		('a05', 710101, 'Total Suspended Solids (TSS)', '2021-09-01', '<',   '20',        'mg/L',     NULL),
		('a06', 710101, 'Total Suspended Solids (TSS)', '2022-01-10', 'DNQ', '150',       'mg/L',     NULL),
		('a07', 710101, 'Total Suspended Solids (TSS)', '2022-02-01', '>',   '60',        ' mg / L ', NULL),
		('a08', 710101, 'Total Suspended Solids (TSS)', '2022-08-01', '=',   '450',       'mg/L',     NULL),
		('a09', 710101, 'Total Suspended Solids (TSS)', '2022-12-01', '=',   '0.42',      'g/L',      NULL),
		('a10', 710101, 'Total Suspended Solids (TSS)', '2023-10-01', '=',   '50',        'mg/L',     NULL),
		('a11', 710101, 'Total Suspended Solids (TSS)', '2024-06-30', '=',   NULL,        'mg/L',     NULL),
		('a12', 710101, 'Total Suspended Solids (TSS)', '2024-07-01', '=',   'NaN',       'mg/L',     NULL),
		('a13', 710101, 'Total Suspended Solids (TSS)', '2024-08-01', '=',   '99',        'mg/L',     NULL),
		('a14', 710101, 'Total Suspended Solids (TSS)', '2024-09-01', '=',   '300',       'NTU',      NULL),
		('a20', 710101, 'Copper, Total',                '2021-10-01', '=',   '40',        'ug/L',     NULL),
		('a21', 710101, 'Copper, Dissolved',            '2022-03-01', '=',   '30',        'ug/l',     NULL),
		('a22', 710101, 'Copper, Total',                '2022-10-01', '=',   '33.2',      'ug/L',     NULL),
		('a23', 710101, 'Copper, Total',                '2022-11-01', 'ND',  '5',         'ug/L',     '2'),
		('a24', 710101, 'Copper, Total',                '2023-08-01', '=',   '33.200001', U&'\00B5g/L', NULL),
		('a30', 710101, 'pH',                           '2020-08-01', '=',   '5.5',       'SU',       NULL),
		('a31', 710102, 'pH',                           '2020-09-01', '=',   '9.5',       'S.U.',     NULL),
		('a32', 710101, 'pH',                           '2021-08-01', '=',   '7',         'pH units', NULL),
		('a33', 710101, 'pH',                           '2021-09-01', '>',   '5',         'SU',       NULL),
		('a34', 710101, 'pH',                           '2021-12-01', '>',   '10',        'SU',       NULL),
		('a35', 710101, 'pH',                           '2022-09-01', 'DNQ', '4.0',       'SU',       NULL),
		('a36', 710101, 'pH',                           '2023-02-01', 'DNQ', '10',        'SU',       NULL),
		('a40', 710101, 'Chromium (Total)',             '2021-01-01', '=',   '5',         'mg/L',     NULL),
		('a41', 710101, 'Turbidity',                    '2021-01-01', '=',   '5000',      'NTU',      NULL)
	   ) AS v(id, loc, name, d, q, r, u, mdl)
  JOIN "ESMRParameter" p ON p."parameterName" = v.name;

-- B, in one multi-row INSERT:
--   OIL_GREASE 2018: 20, 10             -> 15 = the NAL: not exceeded
--              2019: 30, >= 26          -> 28, and two results above 25: both rules
--              2020: <= 8 (mdl 2), ND 3, 12 -> 4 with ZERO
--              2021: 20, ND (mdl 12)    -> 10 ZERO, 13 HALF_MDL, 16 MDL, 20 EXCLUDE
--              2022: = NULL only        -> no row
--              2023: ND (no limit), ND NaN -> a row of one non-detect (NaN not counted)
--   TSS        infinity: not counted; 2021: 150 (at 710202) exceeded; 2022: 100 = the NAL
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units", "mdl") VALUES
	('b01', 710201, :'og',  '2018-07-15', '08:00', '=',  20,    'mg/L', NULL),
	('b02', 710201, :'og',  '2019-01-15', '08:00', '=',  10,    'mg/L', NULL),
	('b03', 710201, :'og',  '2019-08-01', '08:00', '=',  30,    'mg/L', NULL),
	('b04', 710201, :'og',  '2019-09-01', '08:00', '>=', 26,    'mg/L', NULL),
	('b05', 710201, :'og',  '2020-08-01', '08:00', '<=', 8,     'mg/L', 2),
	('b06', 710201, :'og',  '2020-09-01', '08:00', 'ND', 3,     'mg/L', NULL),
	('b07', 710201, :'og',  '2020-10-01', '08:00', '=',  12,    'mg/L', NULL),
	('b08', 710201, :'og',  '2021-08-01', '08:00', '=',  20,    'mg/L', NULL),
	('b09', 710201, :'og',  '2021-09-01', '08:00', 'ND', NULL,  'mg/L', 12),
	('b10', 710201, :'og',  '2022-08-01', '08:00', '=',  NULL,  'mg/L', NULL),
	('b11', 710201, :'og',  '2023-08-01', '08:00', 'ND', NULL,  'mg/L', NULL),
	('b12', 710201, :'og',  '2023-09-01', '08:00', 'ND', 'NaN', 'mg/L', 1),
	('b20', 710201, :'tss', 'infinity',   '08:00', '=',  500,   'mg/L', NULL),
	('b21', 710201, :'tss', '2023-01-01', '08:00', '=',  100,   'mg/L', NULL),
	('b30', 710202, :'tss', '2021-09-01', '08:00', '=',  150,   'mg/L', NULL);

-- C and D, one INSERT per sample.  C TSS: 50, 150, 60, 200, 300 in 2019 .. 2023.
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
VALUES ('c01', 710301, :'tss', '2019-10-01', '08:00', '=', 50, 'mg/L');
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
VALUES ('c02', 710301, :'tss', '2020-10-01', '08:00', '=', 150, 'mg/L');
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
VALUES ('c03', 710301, :'tss', '2021-10-01', '08:00', '=', 60, 'mg/L');
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
VALUES ('c04', 710301, :'tss', '2022-10-01', '08:00', '=', 200, 'mg/L');
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
VALUES ('c05', 710301, :'tss', '2023-10-01', '08:00', '=', 300, 'mg/L');
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
VALUES ('d01', 710401, :'tss', '2021-08-01', '08:00', '=', 90, 'mg/L');

SELECT * FROM pg_temp.check_compliance('inserted');

SELECT results_eq(
	'SELECT * FROM sums ORDER BY 1, 2, 3',
	$$VALUES (7101, 'COPPER', 2021, 2, 0.07::numeric, 0, 0, 0.035::numeric, true, false, true, 'LEVEL_1'),
			 (7101, 'COPPER', 2022, 2, 0.0332, 1, 0, 0.0166, false, false, false, 'LEVEL_1'),
			 (7101, 'COPPER', 2023, 1, 0.033200001, 0, 0, 0.0332, true, false, true, 'LEVEL_2'),
			 (7101, 'PH', 2020, 2, 15, 0, 2, 7.5, false, true, true, 'LEVEL_1'),
			 (7101, 'PH', 2021, 3, 22, 0, 1, 7.333333, false, false, false, 'LEVEL_1'),
			 (7101, 'PH', 2022, 2, 14, 0, 0, 7, false, false, false, 'LEVEL_1'),
			 (7101, 'TSS', 2019, 2, 210, 0, 0, 105, true, false, true, 'LEVEL_1'),
			 (7101, 'TSS', 2020, 2, 90, 1, 0, 45, false, false, false, 'LEVEL_1'),
			 (7101, 'TSS', 2021, 3, 210, 1, 0, 70, false, false, false, 'LEVEL_1'),
			 (7101, 'TSS', 2022, 2, 870, 0, 2, 435, true, true, true, 'LEVEL_2'),
			 (7101, 'TSS', 2023, 1, 50, 0, 0, 50, false, false, false, 'LEVEL_2'),
			 (7101, 'TSS', 2024, 1, 99, 0, 0, 99, false, false, false, 'LEVEL_2'),
			 (7102, 'OIL_GREASE', 2018, 2, 30, 0, 0, 15, false, false, false, 'BASELINE'),
			 (7102, 'OIL_GREASE', 2019, 2, 56, 0, 2, 28, true, true, true, 'LEVEL_1'),
			 (7102, 'OIL_GREASE', 2020, 3, 12, 2, 0, 4, false, false, false, 'LEVEL_1'),
			 (7102, 'OIL_GREASE', 2021, 2, 20, 1, 0, 10, false, false, false, 'LEVEL_1'),
			 (7102, 'OIL_GREASE', 2023, 1, 0, 1, 0, 0, false, false, false, 'LEVEL_1'),
			 (7102, 'TSS', 2021, 1, 150, 0, 0, 150, true, false, true, 'LEVEL_1'),
			 (7102, 'TSS', 2022, 1, 100, 0, 0, 100, false, false, false, 'LEVEL_1'),
			 (7103, 'TSS', 2019, 1, 50, 0, 0, 50, false, false, false, 'BASELINE'),
			 (7103, 'TSS', 2020, 1, 150, 0, 0, 150, true, false, true, 'LEVEL_1'),
			 (7103, 'TSS', 2021, 1, 60, 0, 0, 60, false, false, false, 'LEVEL_1'),
			 (7103, 'TSS', 2022, 1, 200, 0, 0, 200, true, false, true, 'LEVEL_2'),
			 (7103, 'TSS', 2023, 1, 300, 0, 0, 300, true, false, true, 'LEVEL_2'),
			 (7104, 'TSS', 2021, 1, 90, 0, 0, 90, false, false, false, 'BASELINE')$$,
	'inserted: every compliance row as computed by hand (no CHROMIUM, no OIL_GREASE 2022, NaN/NTU/infinity/NULL not counted)');
SELECT results_eq(
	$$SELECT DISTINCT "facilityPlaceId", "pollutantKey", "facilityId", "units"::text, "annualNal",
			 min("reportingYear") OVER (PARTITION BY "facilityPlaceId", "pollutantKey")
		FROM "ViolationCompliance" ORDER BY 1, 2$$,
	$$VALUES (7101, 'COPPER', 'fac_cmp_a', 'mg/L', 0.0332::numeric(18,6), '2021-2022'),
			 (7101, 'PH', 'fac_cmp_a', 'SU', NULL, '2020-2021'),
			 (7101, 'TSS', 'fac_cmp_a', 'mg/L', 100, '2019-2020'),
			 (7102, 'OIL_GREASE', NULL, 'mg/L', 15, '2018-2019'),
			 (7102, 'TSS', NULL, 'mg/L', 100, '2021-2022'),
			 (7103, 'TSS', NULL, 'mg/L', 100, '2019-2020'),
			 (7104, 'TSS', NULL, 'mg/L', 100, '2021-2022')$$,
	'inserted: facilityId, units (the annual NAL''s, SU for pH), annualNal (NULL for pH), reportingYear labels');
-- (the Baseline pair 7104 TSS has its row unless era_baseline_rows is off, see compliance_reference.psql)
CREATE TEMP VIEW era_inserted AS
SELECT * FROM (VALUES (7101, 'COPPER', 'fac_cmp_a', 'LEVEL_2', 2022, 2024, '{2021,2023}'::int[]),
					  (7101, 'PH', 'fac_cmp_a', 'LEVEL_1', 2021, NULL, '{2020}'),
					  (7101, 'TSS', 'fac_cmp_a', 'LEVEL_2', 2020, 2023, '{2019,2022}'),
					  (7102, 'OIL_GREASE', NULL, 'LEVEL_1', 2020, NULL, '{2019}'),
					  (7102, 'TSS', NULL, 'LEVEL_1', 2022, NULL, '{2021}'),
					  (7103, 'TSS', NULL, 'LEVEL_2', 2021, 2023, '{2020,2022,2023}'),
					  (7104, 'TSS', NULL, 'BASELINE', NULL, NULL, '{}')) v(p, k, f, l, y1, y2, ys)
 WHERE :era_baseline_rows OR l <> 'BASELINE';
SELECT results_eq(
	$$SELECT "facilityPlaceId", "pollutantKey", "facilityId", "level"::text, "level1Year", "level2Year", "exceededYears"
		FROM "ViolationEraStatus" ORDER BY 1, 2$$,
	'SELECT * FROM era_inserted ORDER BY 1, 2',
	'inserted: the ERA status of every facility x pollutant, by hand');
SELECT ok(EXISTS (SELECT 1 FROM "ViolationSample" WHERE "esmrSampleId" = 'a40' AND "benchmarkType" = 'MCL')
		  AND NOT EXISTS (SELECT 1 FROM "ViolationCompliance" WHERE "pollutantKey" = 'CHROMIUM')
		  AND NOT EXISTS (SELECT 1 FROM "ViolationEraStatus" WHERE "pollutantKey" = 'CHROMIUM'),
	'CHROMIUM (an MCL, no NAL): violated, but absent from both compliance tables');

-- ============================================================ the report by benchmark type
-- fac_cmp_a, calendar year 2022 (the dashboard's reporting year, start month 1):
--   NAL: a08 450 (annual 4.5000, instantaneous 1.1250), a09 420 (4.2000, 1.0500)
--   CMC: a21 30 ug/l (2.3077), a22 33.2 ug/L (2.5538);  CCC: a21 (3.3333), a22 (3.6889)
UPDATE "ViolationSample" SET "status" = 'UNDER_REVIEW'
 WHERE "esmrSampleId" = 'a09' AND "benchmarkId" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE';
UPDATE "ViolationSample" SET "status" = 'DISMISSED'
 WHERE "esmrSampleId" = 'c02' AND "benchmarkId" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE';

SELECT set_eq(
	$$SELECT "facilityId", "facilityPlaceId", "reportingYear", "benchmarkType"::text, "violationCount",
			 "sampleCount", "openCount", "criticalCount", "maxRatio"
		FROM "ViolationComplianceReport"$$,
	$$SELECT v."facilityId", v."facilityPlaceId", e."reportingYear", v."benchmarkType", count(*)::int AS n,
			 count(DISTINCT v."esmrSampleId")::int AS samples, count(*) FILTER (WHERE v."status" = 'OPEN')::int AS open,
			 count(*) FILTER (WHERE v."severity" = 'CRITICAL')::int AS critical, max(v."exceedanceRatio") AS top
		FROM "ViolationSample" v JOIN "ViolationEvent" e ON e."id" = v."eventId"
	   GROUP BY 1, 2, 3, 4$$,
	'"ViolationComplianceReport": the counts equal a GROUP BY over "ViolationSample"');
SELECT set_eq(
	$$SELECT r."facilityId", r."facilityPlaceId", r."reportingYear", r."benchmarkType"::text,
			 r."worstViolationId", r."worstPollutant", r."worstDetectedAt", r."worstMeasuredValue",
			 r."worstBenchmarkValue", r."worstUnits"::text
		FROM "ViolationComplianceReport" r
	   WHERE (SELECT count(*) FROM "ViolationSample" v JOIN "ViolationEvent" e ON e."id" = v."eventId"
			   WHERE v."facilityId" IS NOT DISTINCT FROM r."facilityId"
				 AND v."facilityPlaceId" IS NOT DISTINCT FROM r."facilityPlaceId"
				 AND e."reportingYear" = r."reportingYear" AND v."benchmarkType" = r."benchmarkType"
				 AND v."exceedanceRatio" = r."maxRatio") = 1$$,
	$$SELECT g.fid, g.pid, g.year, g.btype, v."id", v."pollutantKey", v."detectedAt", v."measuredValue",
			 v."benchmarkValue", v."units"::text
		FROM (SELECT v."facilityId" AS fid, v."facilityPlaceId" AS pid, e."reportingYear" AS year,
					 v."benchmarkType" AS btype, max(v."exceedanceRatio") AS top
				FROM "ViolationSample" v JOIN "ViolationEvent" e ON e."id" = v."eventId"
			   GROUP BY 1, 2, 3, 4) g
		JOIN "ViolationSample" v ON v."facilityId" IS NOT DISTINCT FROM g.fid
			 AND v."facilityPlaceId" IS NOT DISTINCT FROM g.pid AND v."benchmarkType" = g.btype
			 AND v."exceedanceRatio" = g.top
		JOIN "ViolationEvent" e ON e."id" = v."eventId" AND e."reportingYear" = g.year
	   WHERE (SELECT count(*) FROM "ViolationSample" w JOIN "ViolationEvent" f ON f."id" = w."eventId"
			   WHERE w."facilityId" IS NOT DISTINCT FROM g.fid AND w."facilityPlaceId" IS NOT DISTINCT FROM g.pid
				 AND f."reportingYear" = g.year AND w."benchmarkType" = g.btype
				 AND w."exceedanceRatio" = g.top) = 1$$,
	'"ViolationComplianceReport": the worst violation of each line (of a single highest ratio) is that violation');
SELECT results_eq(
	$$SELECT r."benchmarkType"::text, r."violationCount", r."sampleCount", r."openCount", r."criticalCount",
			 r."maxRatio", v."esmrSampleId", v."benchmarkId", r."worstPollutant", r."worstDetectedAt",
			 r."worstMeasuredValue", r."worstBenchmarkValue", r."worstUnits"::text
		FROM "ViolationComplianceReport" r JOIN "ViolationSample" v ON v."id" = r."worstViolationId"
	   WHERE r."facilityId" = 'fac_cmp_a' AND r."reportingYear" = '2022' ORDER BY 1$$,
	$$VALUES ('CCC', 2, 2, 2, 2, 3.6889::numeric, 'a22', 'COPPER:CCC:MAXIMUM:INSTANTANEOUS', 'COPPER',
			  '2022-10-01'::date, 33.2::numeric, 9::numeric, 'ug/L'),
			 ('CMC', 2, 2, 2, 2, 2.5538, 'a22', 'COPPER:CMC:MAXIMUM:INSTANTANEOUS', 'COPPER',
			  '2022-10-01', 33.2, 13, 'ug/L'),
			 ('NAL', 4, 2, 3, 2, 4.5000, 'a08', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'TSS',
			  '2022-08-01', 450, 100, 'mg/L')$$,
	'"ViolationComplianceReport" for fac_cmp_a, 2022, by hand (one NAL violation UNDER_REVIEW: openCount 3)');
SELECT results_eq(
	$$SELECT w."esmrSampleId", w."benchmarkId", w."exceedanceRatio"
		FROM violations_worst_exceedances('fac_cmp_a', '2022', 'NAL', 3) WITH ORDINALITY w ORDER BY w.ordinality$$,
	$$VALUES ('a08', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 4.5000::numeric(40,4)),
			 ('a09', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 4.2000),
			 ('a08', 'TSS:NAL:MAXIMUM:INSTANTANEOUS', 1.1250)$$,
	'violations_worst_exceedances(fac_cmp_a, 2022, NAL, 3): the 3 NAL violations of highest ratio, highest first');
SELECT results_eq(
	$$SELECT w."esmrSampleId", w."benchmarkId"
		FROM violations_worst_exceedances('fac_cmp_a', '2022') WITH ORDINALITY w ORDER BY w.ordinality$$,
	$$VALUES ('a08', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'), ('a09', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'),
			 ('a22', 'COPPER:CCC:MAXIMUM:INSTANTANEOUS'), ('a21', 'COPPER:CCC:MAXIMUM:INSTANTANEOUS'),
			 ('a22', 'COPPER:CMC:MAXIMUM:INSTANTANEOUS'), ('a21', 'COPPER:CMC:MAXIMUM:INSTANTANEOUS'),
			 ('a08', 'TSS:NAL:MAXIMUM:INSTANTANEOUS'), ('a09', 'TSS:NAL:MAXIMUM:INSTANTANEOUS')$$,
	'violations_worst_exceedances(fac_cmp_a, 2022): all 8 violations of every type, by ratio');
SELECT results_eq(
	$$SELECT "id" FROM violations_worst_exceedances('fac_cmp_a', '2022', 'CCC', 1)$$,
	$$SELECT v."id" FROM "ViolationSample" v JOIN "ViolationEvent" e ON e."id" = v."eventId"
	   WHERE v."facilityId" = 'fac_cmp_a' AND e."reportingYear" = '2022' AND v."benchmarkType" = 'CCC'
	   ORDER BY v."exceedanceRatio" DESC LIMIT 1$$,
	'violations_worst_exceedances(fac_cmp_a, 2022, CCC, 1): the worst CCC violation, as the view''s worstViolationId');

-- ============================================================ alerts
-- writeAlerts was off for everything so far (fac_cmp_a is linked, had CRITICAL
-- violations, NAL exceedances and level rises).
SELECT is_empty('SELECT * FROM "Alert"', 'writeAlerts false (default): no "Alert" row was written');

UPDATE "ViolationSettings" SET "writeAlerts" = true;
CREATE TEMP VIEW alert_kinds AS
SELECT "kind", count(*)::int AS n FROM "Alert" WHERE "facilityId" = 'fac_cmp_e' GROUP BY 1;
CREATE FUNCTION pg_temp.event_of(pollutant text, year text) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT "id" FROM "ViolationEvent" WHERE "facilityId" = 'fac_cmp_e' AND "pollutant" = $1 AND "reportingYear" = $2
$$;

-- E 2020: TSS 250 mg/L: one CRITICAL violation (annual 2.5), the annual NAL
-- exceeded (250 > 100), Baseline -> Level 1.
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
VALUES ('e01', 710501, :'tss', '2020-09-01', '08:00', '=', 250, 'mg/L');
SELECT results_eq('SELECT "kind", n FROM alert_kinds ORDER BY 1',
	$$VALUES ('LEVEL_CHANGE', 1), ('NAL_EXCEEDANCE', 1), ('NEW_VIOLATION', 1)$$,
	'writeAlerts: a CRITICAL violation, an annual NAL exceedance, a level rise: one Alert of each kind');
SELECT results_eq(
	$$SELECT "kind", "violationEventId" FROM "Alert" WHERE "facilityId" = 'fac_cmp_e' AND "kind" <> 'LEVEL_CHANGE' ORDER BY 1$$,
	$$VALUES ('NAL_EXCEEDANCE', pg_temp.event_of('TSS', '2020')),
			 ('NEW_VIOLATION', (SELECT "eventId" FROM "ViolationSample" WHERE "esmrSampleId" = 'e01'))$$,
	'writeAlerts: NEW_VIOLATION points at the violation''s event, NAL_EXCEEDANCE at the TSS event of the permit year');
SELECT ok((SELECT bool_and(length(btrim("message")) > 10 AND "acknowledgedAt" IS NULL) FROM "Alert"),
	'writeAlerts: every Alert has a message and is not acknowledged');

-- E 2020: TSS 150 mg/L: MODERATE (1.5), the year was exceeded already, no level change.
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
VALUES ('e02', 710501, :'tss', '2020-10-01', '08:00', '=', 150, 'mg/L');
SELECT results_eq('SELECT "kind", n FROM alert_kinds ORDER BY 1',
	$$VALUES ('LEVEL_CHANGE', 1), ('NAL_EXCEEDANCE', 1), ('NEW_VIOLATION', 1)$$,
	'writeAlerts: a MODERATE violation in a year already exceeded: no new Alert');

-- E 2021: TSS 500 mg/L: CRITICAL 5.0 (and the instantaneous 1.25, MODERATE),
-- 2021 exceeded, Level 1 -> Level 2.
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
VALUES ('e03', 710501, :'tss', '2021-09-01', '08:00', '=', 500, 'mg/L');
SELECT results_eq('SELECT "kind", n FROM alert_kinds ORDER BY 1',
	$$VALUES ('LEVEL_CHANGE', 2), ('NAL_EXCEEDANCE', 2), ('NEW_VIOLATION', 2)$$,
	'writeAlerts: a second exceeded year: one more of each kind (Level 2)');

-- E 2021: TSS 450 mg/L: CRITICAL 4.5, the second result above 400 makes the
-- instantaneous rule exceeded; the level stays.
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
VALUES ('e04', 710501, :'tss', '2021-10-01', '08:00', '=', 450, 'mg/L');
SELECT results_eq('SELECT "kind", n FROM alert_kinds ORDER BY 1',
	$$VALUES ('LEVEL_CHANGE', 2), ('NAL_EXCEEDANCE', 3), ('NEW_VIOLATION', 3)$$,
	'writeAlerts: the instantaneous rule exceeded: one more NAL_EXCEEDANCE, one more NEW_VIOLATION, no level change');
SELECT bag_eq(
	$$SELECT "violationEventId" FROM "Alert" WHERE "facilityId" = 'fac_cmp_e' AND "kind" = 'NAL_EXCEEDANCE'$$,
	$$VALUES (pg_temp.event_of('TSS', '2020')), (pg_temp.event_of('TSS', '2021')), (pg_temp.event_of('TSS', '2021'))$$,
	'writeAlerts: the NAL_EXCEEDANCE Alerts point at the TSS events of their permit years');

-- F is linked to no Facility: a CRITICAL violation, an exceedance, a level rise, no Alert.
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
VALUES ('f01', 710601, :'tss', '2016-09-01', '08:00', '=', 900, 'mg/L');
SELECT is((SELECT count(*)::int FROM "Alert"), 8,
	'writeAlerts: nothing for an eSMR facility linked to no Facility (8 Alerts, all of fac_cmp_e)');
SELECT is(pg_temp.years(7106, 'TSS'), '2016!:LEVEL_1', 'the unlinked facility''s year is exceeded all the same');

-- alertSeverity MODERATE, alertCompliance off: E 2021 150 mg/L (MODERATE 1.5)
-- and E 2019 900 mg/L (annual 9.0 and instantaneous 2.25, both CRITICAL; the
-- 2019 annual exceedance is not announced): three NEW_VIOLATION.
UPDATE "ViolationSettings" SET "alertSeverity" = 'MODERATE', "alertCompliance" = false;
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units") VALUES
	('e05', 710501, :'tss', '2021-11-01', '08:00', '=', 150, 'mg/L'),
	('e06', 710501, :'tss', '2019-09-01', '08:00', '=', 900, 'mg/L');
SELECT results_eq('SELECT "kind", n FROM alert_kinds ORDER BY 1',
	$$VALUES ('LEVEL_CHANGE', 2), ('NAL_EXCEEDANCE', 3), ('NEW_VIOLATION', 6)$$,
	'alertSeverity MODERATE, alertCompliance false: a NEW_VIOLATION per violation, no NAL_EXCEEDANCE');

-- alertSeverity NULL, alertCompliance on: E 2023 800 mg/L: the annual exceedance only.
UPDATE "ViolationSettings" SET "alertSeverity" = NULL, "alertCompliance" = true;
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
VALUES ('e07', 710501, :'tss', '2023-09-01', '08:00', '=', 800, 'mg/L');
SELECT results_eq('SELECT "kind", n FROM alert_kinds ORDER BY 1',
	$$VALUES ('LEVEL_CHANGE', 2), ('NAL_EXCEEDANCE', 4), ('NEW_VIOLATION', 6)$$,
	'alertSeverity NULL: no NEW_VIOLATION; the 2023 annual exceedance: one NAL_EXCEEDANCE');

-- writeAlerts off again: E 2024 900 mg/L writes nothing.
UPDATE "ViolationSettings" SET "writeAlerts" = false, "alertSeverity" = 'CRITICAL';
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
VALUES ('e08', 710501, :'tss', '2024-09-01', '08:00', '=', 900, 'mg/L');
SELECT is((SELECT count(*)::int FROM "Alert"), 12, 'writeAlerts false: no Alert for a CRITICAL violation and an exceedance');
SELECT * FROM pg_temp.check_compliance('alerts');

-- ============================================================ late samples, corrections (C)
-- A late sample into 2019: C 2019 (50, 400) -> 225, exceeded: every later level rises.
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
VALUES ('c06', 710301, :'tss', '2020-05-01', '08:00', '=', 400, 'mg/L');
SELECT is(pg_temp.years(7103, 'TSS'), '2019!:LEVEL_1 2020!:LEVEL_2 2021:LEVEL_2 2022!:LEVEL_2 2023!:LEVEL_2',
	'late sample into 2019: 2019 exceeded, Level 2 from 2020 on (c02''s violation is DISMISSED: still counted)');
SELECT is(pg_temp.era(7103, 'TSS'), '- LEVEL_2 2020 2021 {2019,2020,2022,2023}',
	'late sample into 2019: Level 1 since 2020, Level 2 since 2021');
SELECT * FROM pg_temp.check_compliance('late sample');

-- A correction removes the 2020 exceedance (150 -> 50): the levels fall back.
UPDATE "ESMRSample" SET "result" = 50 WHERE "id" = 'c02';
SELECT is(pg_temp.years(7103, 'TSS'), '2019!:LEVEL_1 2020:LEVEL_1 2021:LEVEL_1 2022!:LEVEL_2 2023!:LEVEL_2',
	'correction 150 -> 50: 2020 no longer exceeded, Level 2 only after 2022');
SELECT is(pg_temp.era(7103, 'TSS'), '- LEVEL_2 2020 2023 {2019,2022,2023}', 'correction 150 -> 50: level2Year 2023');
SELECT * FROM pg_temp.check_compliance('correction of c02');

UPDATE "ESMRSample" SET "result" = 10 WHERE "id" = 'c06';
SELECT is(pg_temp.years(7103, 'TSS'), '2019:BASELINE 2020:BASELINE 2021:BASELINE 2022!:LEVEL_1 2023!:LEVEL_2',
	'correction 400 -> 10: 2019 (30) no longer exceeded, Baseline until 2022');
SELECT is(pg_temp.era(7103, 'TSS'), '- LEVEL_2 2023 2024 {2022,2023}', 'correction 400 -> 10: Level 1 since 2023, Level 2 since 2024');
SELECT * FROM pg_temp.check_compliance('correction of c06');

-- ============================================================ qualifier
-- a08 = 450 -> < 450: a non-detect (0 with ZERO), no longer above 400.
UPDATE "ESMRSample" SET "qualifier" = '<' WHERE "id" = 'a08';
SELECT results_eq(
	$$SELECT "resultCount", "resultSum", "nonDetectCount", "instantCount", "average", "annualExceeded",
			 "instantExceeded", "exceeded" FROM sums WHERE place = 7101 AND pollutant = 'TSS' AND year = 2022$$,
	$$VALUES (2, 420::numeric, 1, 1, 210::numeric, true, false, true)$$,
	'qualifier = -> <: A TSS 2022 is (0 + 420) / 2 = 210, one non-detect, one instantaneous exceedance');
SELECT * FROM pg_temp.check_compliance('qualifier');

-- ============================================================ sampling date across July 1
-- a10 2023-10-01 -> 2023-06-30: from 2023 to 2022; 2023 keeps only a NULL result: no row.
UPDATE "ESMRSample" SET "samplingDate" = '2023-06-30' WHERE "id" = 'a10';
SELECT is(pg_temp.years(7101, 'TSS'), '2019!:LEVEL_1 2020:LEVEL_1 2021:LEVEL_1 2022!:LEVEL_2 2024:LEVEL_2',
	'date 2023-10-01 -> 2023-06-30: the 2023 row is gone');
SELECT results_eq(
	$$SELECT "resultCount", "resultSum", "nonDetectCount", "instantCount", "average"
		FROM sums WHERE place = 7101 AND pollutant = 'TSS' AND year = 2022$$,
	$$VALUES (3, 470::numeric, 1, 1, 156.666667::numeric)$$,
	'date 2023-10-01 -> 2023-06-30: A TSS 2022 is (0 + 420 + 50) / 3');
SELECT * FROM pg_temp.check_compliance('date backwards');

-- b02 2019-01-15 -> 2019-07-15: OIL_GREASE 2018 keeps 20 (exceeded), 2019 gets 10.
UPDATE "ESMRSample" SET "samplingDate" = '2019-07-15' WHERE "id" = 'b02';
SELECT is(pg_temp.years(7102, 'OIL_GREASE'), '2018!:LEVEL_1 2019!:LEVEL_2 2020:LEVEL_2 2021:LEVEL_2 2023:LEVEL_2',
	'date 2019-01-15 -> 2019-07-15: 2018 exceeded (20), so Level 2 after 2019');
SELECT is(pg_temp.era(7102, 'OIL_GREASE'), '- LEVEL_2 2019 2020 {2018,2019}', 'date change: OIL_GREASE Level 2 since 2020');
SELECT * FROM pg_temp.check_compliance('date forwards');

-- ============================================================ results, several rows at once
UPDATE "ESMRSample" SET "result" = "result" * 2 WHERE "id" IN ('c01', 'c03');
SELECT is(pg_temp.years(7103, 'TSS'), '2019:BASELINE 2020:BASELINE 2021!:LEVEL_1 2022!:LEVEL_2 2023!:LEVEL_2',
	'two results doubled in one UPDATE: 2019 (100, 10) still under, 2021 (120) exceeded');
SELECT * FROM pg_temp.check_compliance('multi-row UPDATE');

-- ============================================================ parameter
-- b03 (30 mg/L) from oil and grease to TSS.
UPDATE "ESMRSample" SET "parameterId" = :'tss' WHERE "id" = 'b03';
SELECT results_eq(
	$$SELECT "resultCount", "resultSum", "instantCount", "average", "annualExceeded", "instantExceeded"
		FROM sums WHERE place = 7102 AND pollutant = 'OIL_GREASE' AND year = 2019$$,
	$$VALUES (2, 36::numeric, 1, 18::numeric, true, false)$$,
	'parameter OIL_GREASE -> TSS: OIL_GREASE 2019 keeps >= 26 and 10: 18, one instantaneous exceedance');
SELECT is(pg_temp.years(7102, 'TSS'), '2019:BASELINE 2021!:LEVEL_1 2022:LEVEL_1',
	'parameter OIL_GREASE -> TSS: a TSS 2019 row (30)');
SELECT * FROM pg_temp.check_compliance('parameter changed');

UPDATE "ESMRSample" SET "parameterId" = :'turbidity' WHERE "id" = 'a13';
SELECT is(pg_temp.years(7101, 'TSS'), '2019!:LEVEL_1 2020:LEVEL_1 2021:LEVEL_1 2022!:LEVEL_2',
	'parameter TSS -> Turbidity (untracked): the 2024 row is gone');
SELECT * FROM pg_temp.check_compliance('parameter untracked');

-- ============================================================ location
-- a20 (copper 40 ug/L) from A to B.
UPDATE "ESMRSample" SET "locationPlaceId" = 710201 WHERE "id" = 'a20';
SELECT is(pg_temp.years(7101, 'COPPER'), '2021:BASELINE 2022:BASELINE 2023!:LEVEL_1',
	'location A -> B: A COPPER 2021 (0.03) no longer exceeded');
SELECT is(pg_temp.years(7102, 'COPPER'), '2021!:LEVEL_1', 'location A -> B: B COPPER 2021 (0.04) exceeded');
SELECT is(pg_temp.era(7102, 'COPPER'), '- LEVEL_1 2022 - {2021}', 'location A -> B: B COPPER Level 1, no Facility');
SELECT * FROM pg_temp.check_compliance('location changed');

-- ============================================================ DELETE
DELETE FROM "ESMRSample" WHERE "id" = 'c04';
SELECT is(pg_temp.years(7103, 'TSS'), '2019:BASELINE 2020:BASELINE 2021!:LEVEL_1 2023!:LEVEL_2',
	'DELETE c04: the 2022 row is gone, 2023 is the second exceeded year');
SELECT * FROM pg_temp.check_compliance('DELETE one');

DELETE FROM "ESMRSample" WHERE "id" IN ('b06', 'b07');
SELECT results_eq(
	$$SELECT "resultCount", "resultSum", "nonDetectCount", "average" FROM sums
	   WHERE place = 7102 AND pollutant = 'OIL_GREASE' AND year = 2020$$,
	$$VALUES (1, 0::numeric, 1, 0::numeric)$$,
	'DELETE of two samples: OIL_GREASE 2020 keeps the <= 8 (mdl 2) non-detect');
SELECT * FROM pg_temp.check_compliance('DELETE two');

-- ============================================================ a location moved to another facility
-- 710202 (b30, TSS 150 in 2021) from B to D: D 2021 (90, 150) -> 120, exceeded.
UPDATE "ESMRLocation" SET "facilityPlaceId" = 7104 WHERE "locationPlaceId" = 710202;
SELECT is(pg_temp.years(7104, 'TSS'), '2021!:LEVEL_1', 'location moved to D: D TSS 2021 (90 + 150) / 2 = 120, exceeded');
SELECT is(pg_temp.years(7102, 'TSS'), '2019:BASELINE 2022:BASELINE', 'location moved away from B: B TSS 2021 is gone');
SELECT is(pg_temp.era(7102, 'TSS'), CASE WHEN :era_baseline_rows THEN '- BASELINE - - {}' END,
	'location moved away from B: B TSS back to Baseline (its ERA row with no exceeded year, or none without era_baseline_rows)');
SELECT * FROM pg_temp.check_compliance('location moved');

-- ============================================================ a deleted location
-- 710102 held a02 (TSS 130, 2019) and a31 (pH 9.5, 2020).
DELETE FROM "ESMRLocation" WHERE "locationPlaceId" = 710102;
SELECT is(pg_temp.years(7101, 'TSS'), '2019:BASELINE 2020:BASELINE 2021:BASELINE 2022!:LEVEL_1',
	'location deleted: A TSS 2019 (80) no longer exceeded');
SELECT is(pg_temp.years(7101, 'PH'), '2020:BASELINE 2021:BASELINE 2022:BASELINE',
	'location deleted: A PH 2020 has one instantaneous exceedance left');
SELECT * FROM pg_temp.check_compliance('location deleted');

-- ============================================================ non-detects
-- OIL_GREASE of B: 2020 <= 8 (mdl 2); 2021 20 and ND (mdl 12); 2023 ND without a limit.
CREATE TEMP VIEW og_nd AS
SELECT year, "resultCount", "resultSum", "nonDetectCount", "average", "annualExceeded"
  FROM sums WHERE place = 7102 AND pollutant = 'OIL_GREASE' AND year IN (2020, 2021, 2023);

UPDATE "ViolationSettings" SET "nonDetects" = 'HALF_MDL';
SELECT results_eq('SELECT * FROM og_nd ORDER BY 1',
	$$VALUES (2020, 1, 4::numeric, 1, 4::numeric, false), (2021, 2, 26, 1, 13, false), (2023, 1, 0, 1, 0, false)$$,
	'HALF_MDL: <= 8 counts 4 (its result), ND counts 12 / 2 (its mdl), no limit counts 0');
SELECT results_eq($$SELECT "resultSum", "average" FROM sums WHERE place = 7101 AND pollutant = 'COPPER' AND year = 2022$$,
	$$VALUES (0.0342::numeric, 0.0171::numeric)$$,
	'HALF_MDL: the ND 5 ug/L with mdl 2 ug/L counts 0.001 mg/L (the mdl, converted, halved)');
SELECT * FROM pg_temp.check_compliance('nonDetects HALF_MDL');

UPDATE "ViolationSettings" SET "nonDetects" = 'MDL';
SELECT results_eq('SELECT * FROM og_nd ORDER BY 1',
	$$VALUES (2020, 1, 8::numeric, 1, 8::numeric, false), (2021, 2, 32, 1, 16, true), (2023, 1, 0, 1, 0, false)$$,
	'MDL: OIL_GREASE 2021 (20 + 12) / 2 = 16 > 15: exceeded');
SELECT results_eq($$SELECT "resultSum", "average" FROM sums WHERE place = 7101 AND pollutant = 'TSS' AND year = 2021$$,
	$$VALUES (230::numeric, 76.666667::numeric)$$,
	'MDL: A TSS 2021, < 20 counts 20 (its result): (20 + 150 + 60) / 3');
SELECT * FROM pg_temp.check_compliance('nonDetects MDL');

UPDATE "ViolationSettings" SET "nonDetects" = 'EXCLUDE';
SELECT results_eq('SELECT * FROM og_nd ORDER BY 1',
	$$VALUES (2020, 0, 0::numeric, 1, NULL::numeric, false), (2021, 1, 20, 1, 20, true), (2023, 0, 0, 1, NULL, false)$$,
	'EXCLUDE: non-detects leave the average but count in nonDetectCount; years of non-detects only keep their row');
SELECT is(pg_temp.years(7101, 'TSS'), '2019:BASELINE 2020:BASELINE 2021!:LEVEL_1 2022!:LEVEL_2',
	'EXCLUDE: A TSS 2021 (150 + 60) / 2 = 105 exceeded, so Level 2 after 2022');
SELECT * FROM pg_temp.check_compliance('nonDetects EXCLUDE');

UPDATE "ViolationSettings" SET "nonDetects" = 'ZERO';
SELECT results_eq('SELECT * FROM og_nd ORDER BY 1',
	$$VALUES (2020, 1, 0::numeric, 1, 0::numeric, false), (2021, 2, 20, 1, 10, false), (2023, 1, 0, 1, 0, false)$$,
	'ZERO: every non-detect counts 0');
SELECT * FROM pg_temp.check_compliance('nonDetects ZERO');

-- ============================================================ evaluateDnq
-- A PH 2022: DNQ 4.0 and DNQ 10: two instantaneous exceedances once DNQ is evaluated.
UPDATE "ViolationSettings" SET "evaluateDnq" = true;
SELECT is(pg_temp.years(7101, 'PH'), '2020:BASELINE 2021:BASELINE 2022!:LEVEL_1', 'evaluateDnq on: A PH 2022 exceeded');
SELECT results_eq($$SELECT "resultCount", "instantCount", "annualExceeded" FROM sums WHERE place = 7101 AND pollutant = 'PH' AND year = 2022$$,
	$$VALUES (2, 2, false)$$, 'evaluateDnq on: both DNQ results above 9 or below 6 count, pH has no annual rule');
SELECT * FROM pg_temp.check_compliance('evaluateDnq on');

UPDATE "ViolationSettings" SET "evaluateDnq" = false;
SELECT is(pg_temp.years(7101, 'PH'), '2020:BASELINE 2021:BASELINE 2022:BASELINE', 'evaluateDnq off: A PH back to Baseline');
SELECT * FROM pg_temp.check_compliance('evaluateDnq off');

-- ============================================================ benchmarks
-- The annual NAL of TSS lowered to 60 mg/L: A 2019 (80) and 2021 (70) exceeded too.
UPDATE "PollutantBenchmark" SET "value" = 60 WHERE "id" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE';
SELECT is(pg_temp.years(7101, 'TSS'), '2019!:LEVEL_1 2020:LEVEL_1 2021!:LEVEL_2 2022!:LEVEL_2',
	'TSS annual NAL 100 -> 60: A 2019 (80) and 2021 (70) exceeded');
SELECT is(pg_temp.years(7102, 'TSS'), '2019:BASELINE 2022!:LEVEL_1', 'TSS annual NAL 100 -> 60: B 2022 (100) exceeded');
SELECT is_empty($$SELECT * FROM "ViolationCompliance" WHERE "pollutantKey" = 'TSS' AND "annualNal" <> 60$$,
	'TSS annual NAL 100 -> 60: every TSS row has annualNal 60');
SELECT * FROM pg_temp.check_compliance('TSS NAL 60');

UPDATE "PollutantBenchmark" SET "value" = 100 WHERE "id" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE';
SELECT * FROM pg_temp.check_compliance('TSS NAL 100 again');

-- A new NAL makes CHROMIUM a NAL pollutant: A 2020 (5 mg/L) against 1 mg/L.
INSERT INTO "PollutantBenchmark" ("id", "pollutantKey", "benchmarkType", "limit", "period", "value", "units", "source")
VALUES ('CHROMIUM:NAL:MAXIMUM:ANNUAL_AVERAGE', 'CHROMIUM', 'NAL', 'MAXIMUM', 'ANNUAL_AVERAGE', 1, 'mg/L', 'compliance test');
SELECT is(pg_temp.years(7101, 'CHROMIUM'), '2020!:LEVEL_1', 'new NAL benchmark: A CHROMIUM 2020 exceeded');
SELECT results_eq($$SELECT "units"::text, "annualNal", "resultCount", "resultSum" FROM "ViolationCompliance" WHERE "pollutantKey" = 'CHROMIUM'$$,
	$$VALUES ('mg/L', 1::numeric(18,6), 1, 5::numeric)$$, 'new NAL benchmark: the CHROMIUM row''s units and NAL');
SELECT * FROM pg_temp.check_compliance('new NAL for CHROMIUM');

-- An instantaneous NAL for copper, 0.035 mg/L: only B's 40 ug/L is above it.
INSERT INTO "PollutantBenchmark" ("id", "pollutantKey", "benchmarkType", "limit", "period", "value", "units", "source")
VALUES ('COPPER:NAL:MAXIMUM:INSTANTANEOUS', 'COPPER', 'NAL', 'MAXIMUM', 'INSTANTANEOUS', 0.035, 'mg/L', 'compliance test');
SELECT results_eq($$SELECT place, year, "instantCount" FROM sums WHERE pollutant = 'COPPER' AND "instantCount" > 0$$,
	$$VALUES (7102, 2021, 1)$$, 'new instantaneous NAL for copper: B 2021 (40 ug/L) counts one');
SELECT * FROM pg_temp.check_compliance('new instantaneous NAL for COPPER');

DELETE FROM "PollutantBenchmark" WHERE "id" IN ('CHROMIUM:NAL:MAXIMUM:ANNUAL_AVERAGE', 'COPPER:NAL:MAXIMUM:INSTANTANEOUS');
SELECT ok(NOT EXISTS (SELECT 1 FROM "ViolationCompliance" WHERE "pollutantKey" = 'CHROMIUM' OR "instantCount" > 0 AND "pollutantKey" = 'COPPER')
		  AND NOT EXISTS (SELECT 1 FROM "ViolationEraStatus" WHERE "pollutantKey" = 'CHROMIUM'),
	'the two NAL benchmarks deleted: no CHROMIUM rows, no copper instantaneous count');
SELECT * FROM pg_temp.check_compliance('NAL benchmarks deleted');

-- ============================================================ Facility links
INSERT INTO "Facility" ("id", "name", "esmrFacilityId") VALUES ('fac_cmp_c', 'Compliance C Inc.', 7103);
SELECT ok((SELECT bool_and("facilityId" IS NOT DISTINCT FROM 'fac_cmp_c') FROM "ViolationCompliance" WHERE "facilityPlaceId" = 7103)
		  AND (SELECT bool_and("facilityId" IS NOT DISTINCT FROM 'fac_cmp_c') FROM "ViolationEraStatus" WHERE "facilityPlaceId" = 7103),
	'Facility linked to C: C''s rows carry fac_cmp_c');
SELECT * FROM pg_temp.check_compliance('Facility linked');

UPDATE "Facility" SET "esmrFacilityId" = NULL WHERE "id" = 'fac_cmp_a';
SELECT ok((SELECT bool_and("facilityId" IS NULL) FROM "ViolationCompliance" WHERE "facilityPlaceId" = 7101)
		  AND (SELECT bool_and("facilityId" IS NULL) FROM "ViolationEraStatus" WHERE "facilityPlaceId" = 7101),
	'Facility unlinked from A: A''s rows have no facilityId');
SELECT * FROM pg_temp.check_compliance('Facility unlinked');

UPDATE "Facility" SET "esmrFacilityId" = 7101 WHERE "id" = 'fac_cmp_a';
SELECT is((SELECT count(*)::int FROM "ViolationCompliance" WHERE "facilityId" = 'fac_cmp_a'), 10,
	'Facility linked to A again: A''s 10 rows carry fac_cmp_a');
SELECT * FROM pg_temp.check_compliance('Facility relinked');

DELETE FROM "Facility" WHERE "id" = 'fac_cmp_c';
SELECT is_empty($$SELECT * FROM "ViolationCompliance" WHERE "facilityId" = 'fac_cmp_c'
				  UNION ALL SELECT c.* FROM "ViolationCompliance" c JOIN "ViolationEraStatus" s USING ("facilityPlaceId", "pollutantKey")
				   WHERE s."facilityId" = 'fac_cmp_c'$$,
	'Facility deleted: nothing carries fac_cmp_c');
SELECT * FROM pg_temp.check_compliance('Facility deleted');

-- ============================================================ rebuild and check
SELECT is(violations_compliance_rebuild(NULL, false), 0, 'violations_compliance_rebuild(): nothing to change');
UPDATE "ViolationCompliance" SET "nonDetectCount" = 99
 WHERE "facilityPlaceId" = 7102 AND "pollutantKey" = 'OIL_GREASE' AND "permitYear" = 2021;
SELECT isnt_empty('SELECT * FROM violations_check_compliance()', 'a tampered row: violations_check_compliance() reports it');
SELECT cmp_ok(violations_compliance_rebuild(ARRAY[7102], false), '>', 0, 'violations_compliance_rebuild(7102) puts it right');
SELECT * FROM pg_temp.check_compliance('rebuilt');

-- ============================================================ more changes of what compliance reads
-- A parameter's canonicalKey: "Copper, Dissolved" (a21, A 2021) untracked, then tracked again.
UPDATE "ESMRParameter" SET "canonicalKey" = NULL WHERE "parameterName" = 'Copper, Dissolved';
SELECT is(pg_temp.years(7101, 'COPPER'), '2022:BASELINE 2023!:LEVEL_1',
	'canonicalKey of Copper, Dissolved -> NULL: A COPPER 2021 (a21 only) is gone');
SELECT * FROM pg_temp.check_compliance('canonicalKey NULL');
UPDATE "ESMRParameter" SET "canonicalKey" = 'COPPER' WHERE "parameterName" = 'Copper, Dissolved';
SELECT * FROM pg_temp.check_compliance('canonicalKey COPPER again');

-- The annual NAL of TSS in other units: 100000 ug/L.  The rows are kept in ug/L.
UPDATE "PollutantBenchmark" SET "value" = 100000, "units" = 'ug/L' WHERE "id" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE';
SELECT results_eq(
	$$SELECT "units"::text, "annualNal", "resultCount", "resultSum", "average", "annualExceeded"
		FROM "ViolationCompliance" WHERE "facilityPlaceId" = 7101 AND "pollutantKey" = 'TSS' AND "permitYear" = 2022$$,
	$$VALUES ('ug/L', 100000::numeric(18,6), 3, 470000::numeric, 156666.666667::numeric, true)$$,
	'TSS annual NAL as 100000 ug/L: A TSS 2022 summed in ug/L');
SELECT * FROM pg_temp.check_compliance('TSS NAL in ug/L');
UPDATE "PollutantBenchmark" SET "value" = 100, "units" = 'mg/L' WHERE "id" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE';
SELECT * FROM pg_temp.check_compliance('TSS NAL in mg/L again');

-- No annual NAL for TSS: the units come from the instantaneous NAL, only the
-- instantaneous rule is left.
CREATE TEMP TABLE tss_annual AS SELECT * FROM "PollutantBenchmark" WHERE "id" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE';
DELETE FROM "PollutantBenchmark" WHERE "id" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE';
SELECT is(pg_temp.years(7103, 'TSS'), '2019:BASELINE 2020:BASELINE 2021:BASELINE 2023:BASELINE',
	'TSS annual NAL deleted: C has no exceeded year left');
SELECT results_eq($$SELECT DISTINCT "units"::text, "annualNal", "annualExceeded" FROM "ViolationCompliance" WHERE "pollutantKey" = 'TSS'$$,
	$$VALUES ('mg/L', NULL::numeric(18,6), false)$$,
	'TSS annual NAL deleted: every TSS row in mg/L (the instantaneous NAL''s), annualNal NULL, annual rule false');
SELECT * FROM pg_temp.check_compliance('TSS annual NAL deleted');
INSERT INTO "PollutantBenchmark" SELECT * FROM tss_annual;
SELECT * FROM pg_temp.check_compliance('TSS annual NAL inserted again');

-- Oil and grease benchmarks made MCL: not a NAL pollutant any more, then NAL again.
UPDATE "PollutantBenchmark" SET "benchmarkType" = 'MCL' WHERE "pollutantKey" = 'OIL_GREASE';
SELECT ok(NOT EXISTS (SELECT 1 FROM "ViolationCompliance" WHERE "pollutantKey" = 'OIL_GREASE')
		  AND NOT EXISTS (SELECT 1 FROM "ViolationEraStatus" WHERE "pollutantKey" = 'OIL_GREASE'),
	'OIL_GREASE benchmarks NAL -> MCL: no OIL_GREASE row in either table');
SELECT * FROM pg_temp.check_compliance('OIL_GREASE MCL');
UPDATE "PollutantBenchmark" SET "benchmarkType" = 'NAL' WHERE "pollutantKey" = 'OIL_GREASE';
SELECT is(pg_temp.years(7102, 'OIL_GREASE'), '2018!:LEVEL_1 2019!:LEVEL_2 2020:LEVEL_2 2021:LEVEL_2 2023:LEVEL_2',
	'OIL_GREASE benchmarks MCL -> NAL: its years are back');
SELECT * FROM pg_temp.check_compliance('OIL_GREASE NAL again');

-- The dashboard's reporting year does not move the permit year.
UPDATE "ViolationSettings" SET "reportingYearStartMonth" = 7;
SELECT * FROM pg_temp.check_compliance('reportingYearStartMonth 7');
UPDATE "ViolationSettings" SET "reportingYearStartMonth" = 1;
SELECT * FROM pg_temp.check_compliance('reportingYearStartMonth 1');

-- The eSMR facility's id changes (ON UPDATE CASCADE to its locations and Facility).
UPDATE "ESMRFacility" SET "facilityPlaceId" = 7199 WHERE "facilityPlaceId" = 7104;
SELECT is(pg_temp.years(7199, 'TSS'), '2021!:LEVEL_1', 'facilityPlaceId 7104 -> 7199: D''s row follows');
SELECT is_empty($$SELECT "facilityPlaceId" FROM "ViolationCompliance" WHERE "facilityPlaceId" = 7104
				  UNION ALL SELECT "facilityPlaceId" FROM "ViolationEraStatus" WHERE "facilityPlaceId" = 7104$$,
	'facilityPlaceId 7104 -> 7199: nothing left under 7104');
SELECT * FROM pg_temp.check_compliance('facilityPlaceId changed');

-- INSERT ... ON CONFLICT DO UPDATE: c05 300 -> 30 (2023), c07 new (2024, 500).
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units") VALUES
	('c05', 710301, :'tss', '2023-10-01', '08:00', '=', 30,  'mg/L'),
	('c07', 710301, :'tss', '2024-10-01', '08:00', '=', 500, 'mg/L')
ON CONFLICT ("id") DO UPDATE SET "result" = EXCLUDED."result";
SELECT is(pg_temp.years(7103, 'TSS'), '2019:BASELINE 2020:BASELINE 2021!:LEVEL_1 2023:LEVEL_1 2024!:LEVEL_2',
	'upsert: c05 updated (2023 no longer exceeded), c07 inserted (2024 exceeded)');
SELECT * FROM pg_temp.check_compliance('upsert');

-- COPY: D 2022 gets 250 and an ND (0): 125, exceeded.
COPY "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units", "mdl") FROM STDIN (FORMAT csv);
k01,710401,par_0c1c8dade145,2022-07-01,08:00,=,250,mg/L,
k02,710401,par_0c1c8dade145,2023-06-30,08:00,ND,,mg/L,4
\.
SELECT is(pg_temp.years(7199, 'TSS'), '2021!:LEVEL_1 2022!:LEVEL_2', 'COPY: D 2022 (250 + 0) / 2 exceeded');
SELECT * FROM pg_temp.check_compliance('COPY');

-- One UPDATE moves two samples across facilities and permit years at once:
-- c03 (120) from C 2021 to D 2022, d01 (90) from D 2021 to C 2022.
UPDATE "ESMRSample"
   SET "locationPlaceId" = CASE "id" WHEN 'c03' THEN 710401 ELSE 710301 END,
	   "samplingDate" = "samplingDate" + 365
 WHERE "id" IN ('c03', 'd01');
SELECT is(pg_temp.years(7103, 'TSS'), '2019:BASELINE 2020:BASELINE 2022:BASELINE 2023:BASELINE 2024!:LEVEL_1',
	'two samples swapped between facilities: C 2021 gone, C 2022 (90) not exceeded');
SELECT is(pg_temp.years(7199, 'TSS'), '2021!:LEVEL_1 2022!:LEVEL_2',
	'two samples swapped between facilities: D 2021 (150) and 2022 (250 + 0 + 120) / 3 exceeded');
SELECT * FROM pg_temp.check_compliance('swap');

-- The last sample of B's copper deleted: its ERA status goes too.
DELETE FROM "ESMRSample" WHERE "id" = 'a20';
SELECT is_empty($$SELECT "facilityPlaceId" FROM "ViolationCompliance" WHERE "facilityPlaceId" = 7102 AND "pollutantKey" = 'COPPER'
				  UNION ALL SELECT "facilityPlaceId" FROM "ViolationEraStatus" WHERE "facilityPlaceId" = 7102 AND "pollutantKey" = 'COPPER'$$,
	'the only copper sample of B deleted: no B COPPER row, no B COPPER status');
SELECT * FROM pg_temp.check_compliance('last sample deleted');

-- A login role with violations_ingest only (it can insert samples, nothing
-- else), with writeAlerts: E 2025 900 mg/L: two CRITICAL violations and the
-- 2025 annual exceedance.
CREATE ROLE cmp_ingest_u LOGIN IN ROLE violations_ingest;
CREATE FUNCTION pg_temp.as_role(r text, q text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('SET LOCAL ROLE %I', r);
	EXECUTE q;
	RESET ROLE;
END
$$;
UPDATE "ViolationSettings" SET "writeAlerts" = true;
SELECT lives_ok(format($q$SELECT pg_temp.as_role('cmp_ingest_u', %L)$q$,
	format($s$INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate",
			"samplingTime", "qualifier", "result", "units")
		VALUES ('e09', 710501, %L, '2025-09-01', '08:00', '=', 900, 'mg/L')$s$, :'tss')),
	'violations_ingest: inserts a sample of a linked facility with writeAlerts on');
SELECT results_eq('SELECT "kind", n FROM alert_kinds ORDER BY 1',
	$$VALUES ('LEVEL_CHANGE', 2), ('NAL_EXCEEDANCE', 5), ('NEW_VIOLATION', 8)$$,
	'violations_ingest: its sample''s Alerts are written (two NEW_VIOLATION, one NAL_EXCEEDANCE)');
UPDATE "ViolationSettings" SET "writeAlerts" = false;
SELECT * FROM pg_temp.check_compliance('ingest role');

-- ============================================================ renamed keys
-- The Facility's id changes (ON UPDATE CASCADE in the app's schema): facilityId follows.
UPDATE "Facility" SET "id" = 'fac_cmp_a2' WHERE "id" = 'fac_cmp_a';
SELECT ok((SELECT count(*) FROM "ViolationCompliance" WHERE "facilityId" = 'fac_cmp_a2') = 10
		  AND (SELECT count(*) FROM "ViolationEraStatus" WHERE "facilityId" = 'fac_cmp_a2')
			  = (SELECT count(*) FROM "ViolationEraStatus" WHERE "facilityPlaceId" = 7101)
		  AND NOT EXISTS (SELECT 1 FROM "ViolationCompliance" WHERE "facilityId" = 'fac_cmp_a')
		  AND NOT EXISTS (SELECT 1 FROM "ViolationEraStatus" WHERE "facilityId" = 'fac_cmp_a'),
	'Facility id fac_cmp_a -> fac_cmp_a2: A''s compliance and ERA rows carry the new id');
SELECT * FROM pg_temp.check_compliance('Facility id renamed');

-- A location's id changes (ON UPDATE CASCADE into its samples): nothing counts twice.
UPDATE "ESMRLocation" SET "locationPlaceId" = 710199 WHERE "locationPlaceId" = 710101;
SELECT results_eq(
	$$SELECT "resultCount", "resultSum", "nonDetectCount" FROM sums WHERE place = 7101 AND pollutant = 'TSS' AND year = 2022$$,
	$$VALUES (3, 470::numeric, 1)$$,
	'location id 710101 -> 710199: A TSS 2022 still (0 + 420 + 50), 3 results');
SELECT * FROM pg_temp.check_compliance('location id renamed');

-- ============================================================ TRUNCATE
SET LOCAL client_min_messages = warning;
TRUNCATE "ESMRSample" CASCADE;
RESET client_min_messages;
SELECT ok((SELECT count(*) FROM "ViolationCompliance") = 0 AND (SELECT count(*) FROM "ViolationEraStatus") = 0,
	'TRUNCATE "ESMRSample": both compliance tables are empty');
SELECT * FROM pg_temp.check_compliance('TRUNCATE');

SELECT * FROM finish();
ROLLBACK;
