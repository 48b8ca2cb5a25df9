-- Detection rules 3 and 4 (exceedance, ratio, severity).
--   MAXIMUM: measured > value, ratio = measured / value.
--   MINIMUM (pH 6.0): measured < value, ratio = value / measured; a measured
--   value <= 0 is not evaluated (logged RESULT_NOT_POSITIVE).
--   A benchmark value <= 0 is ignored and logged (BENCHMARK_VALUE_NOT_POSITIVE).
--   The ratio keeps 4 decimal places; severity is decided on the exact ratio;
--   nothing overflows for any values the app's columns can hold.
--   Severity from "ViolationSeverityBand": by default ratio > 2 is CRITICAL,
--   otherwise MODERATE.  Changing the bands reclassifies existing violations;
--   inserting a benchmark re-evaluates the pollutant's stored samples.
BEGIN;
SELECT plan(38);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss,
	   'par_' || substr(md5('pH'), 1, 12) AS ph,
	   'par_' || substr(md5('Copper, Total'), 1, 12) AS cu,
	   'par_' || substr(md5('Copper, Dissolved'), 1, 12) AS cu_dissolved,
	   'par_' || substr(md5('Ammonia, Total (as N)'), 1, 12) AS nh3 \gset

INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName") VALUES (9201, 'Exceedance Test Plant');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType")
VALUES (920101, 9201, 'EFF-001', 'EFFLUENT_MONITORING');

-- Test pollutants at the edges of what PollutantBenchmark.value numeric(18,6) holds.
INSERT INTO "ConfigPollutant" ("key", "displayName") VALUES ('TEST_BIG', 'big benchmark'), ('TEST_HUGE', 'huge ratios');
INSERT INTO "ESMRParameter" ("id", "parameterName", "canonicalKey") VALUES
	('par_test_big', 'Test big benchmark', 'TEST_BIG'),
	('par_test_huge', 'Test huge ratios', 'TEST_HUGE');
INSERT INTO "PollutantBenchmark" ("id", "pollutantKey", "benchmarkType", "limit", "period", "value", "units", "source") VALUES
	('TEST_BIG:NAL:MAXIMUM:INSTANTANEOUS', 'TEST_BIG', 'NAL', 'MAXIMUM', 'INSTANTANEOUS', 99999999999.999999, 'mg/L', 'test'),
	('TEST_HUGE:NAL:MAXIMUM:INSTANTANEOUS', 'TEST_HUGE', 'NAL', 'MAXIMUM', 'INSTANTANEOUS', 0.000001, 'pg/L', 'test'),
	('TEST_HUGE:NAL:MINIMUM:INSTANTANEOUS', 'TEST_HUGE', 'NAL', 'MINIMUM', 'INSTANTANEOUS', 999999999999.999999, 'g/L', 'test');

CREATE TEMP VIEW found AS
SELECT v."esmrSampleId" AS sample, v."benchmarkId", v."measuredValue",
	   v."exceedanceRatio"::text AS ratio, v."severity"::text AS severity,
	   v."facilityId", v."facilityPlaceId", e."reportingYear"
  FROM "ViolationSample" v
  JOIN "ViolationEvent" e ON e."id" = v."eventId";

-- ------------------------------------------------------------ MAXIMUM boundary
-- TSS NALs: 100 mg/L (annual average) and 400 mg/L (instantaneous)
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('m_eq',         920101, :'tss', '2024-07-15', '10:00', '=', 100,        'mg/L'),
	('m_above',      920101, :'tss', '2024-07-15', '10:00', '=', 100.000001, 'mg/L'),
	('m_inst_eq',    920101, :'tss', '2024-07-15', '10:00', '=', 400,        'mg/L'),
	('m_inst_above', 920101, :'tss', '2024-07-15', '10:00', '=', 400.000001, 'mg/L');

SELECT is_empty($$SELECT * FROM found WHERE sample = 'm_eq'$$, 'MAXIMUM: measured = value (100 mg/L) is no violation');
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity, "facilityId", "facilityPlaceId", "reportingYear"
		FROM found WHERE sample = 'm_above' ORDER BY 1$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 100.000001::numeric, '1.0000', 'MODERATE', NULL::text, 9201, '2024')$$,
	'MAXIMUM: value + 0.000001 is a violation, ratio 1.0000');
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity FROM found WHERE sample = 'm_inst_eq' ORDER BY 1$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 400::numeric, '4.0000', 'CRITICAL')$$,
	'400 mg/L exceeds the 100 mg/L NAL only, not the 400 mg/L one');
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity FROM found WHERE sample = 'm_inst_above' ORDER BY 1$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 400.000001::numeric, '4.0000', 'CRITICAL'),
			 ('TSS:NAL:MAXIMUM:INSTANTANEOUS',  400.000001::numeric, '1.0000', 'MODERATE')$$,
	'400.000001 mg/L exceeds both');

-- ------------------------------------------------------------ MINIMUM (pH 6.0)
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('n_599',     920101, :'ph', '2024-07-16', '10:00', '=', 5.99,     'SU'),
	('n_6',       920101, :'ph', '2024-07-16', '10:00', '=', 6.0,      'SU'),
	('n_6plus',   920101, :'ph', '2024-07-16', '10:00', '=', 6.000001, 'SU'),
	('n_3',       920101, :'ph', '2024-07-16', '10:00', '=', 3.0,      'SU'),
	('n_2_99999', 920101, :'ph', '2024-07-16', '10:00', '=', 2.99999,  'SU'),
	('n_2',       920101, :'ph', '2024-07-16', '10:00', '=', 2,        'SU');

SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity, "facilityId", "facilityPlaceId", "reportingYear"
		FROM found WHERE sample = 'n_599' ORDER BY 1$$,
	$$VALUES ('PH:NAL:MINIMUM:INSTANTANEOUS', 5.99::numeric, '1.0017', 'MODERATE', NULL::text, 9201, '2024')$$,
	'MINIMUM: pH 5.99 violates pH 6.0, ratio 6 / 5.99 = 1.0017');
SELECT is_empty($$SELECT * FROM found WHERE sample = 'n_6'$$, 'MINIMUM: pH 6.0 = value is no violation');
SELECT is_empty($$SELECT * FROM found WHERE sample = 'n_6plus'$$, 'MINIMUM: pH 6.000001 is no violation');
SELECT results_eq(
	$$SELECT sample, ratio, severity FROM found WHERE sample IN ('n_3', 'n_2_99999', 'n_2') ORDER BY 1$$,
	$$VALUES ('n_2', '3.0000', 'CRITICAL'), ('n_2_99999', '2.0000', 'CRITICAL'), ('n_3', '2.0000', 'MODERATE')$$,
	'MINIMUM severity on the exact ratio: 6/3 = 2 MODERATE; 6/2.99999 = 2.0000067 CRITICAL although it shows 2.0000');

PREPARE not_positive AS
	INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
							  "qualifier", "result", "units") VALUES
		('n_zero', 920101, :'ph', '2024-07-16', '10:00', '=', 0,  'SU'),
		('n_neg',  920101, :'ph', '2024-07-16', '10:00', '=', -1, 'SU');
SELECT lives_ok('EXECUTE not_positive', 'pH results 0 and -1 are stored without error');
SELECT is_empty($$SELECT * FROM found WHERE sample IN ('n_zero', 'n_neg')$$,
	'MINIMUM: results 0 and -1 make no violation');
SELECT results_eq(
	$$SELECT "reason", "pollutantKey", "benchmarkId", "sampleUnits", "benchmarkUnits", "sampleCount"
		FROM "ViolationSkipSummary" WHERE "reason" = 'RESULT_NOT_POSITIVE'$$,
	$$VALUES ('RESULT_NOT_POSITIVE', 'PH', 'PH:NAL:MINIMUM:INSTANTANEOUS', 'su', 'SU', 2::bigint)$$,
	'MINIMUM: results 0 and -1 are logged RESULT_NOT_POSITIVE (summary count 2)');

-- ------------------------------------------------------------ ratio rounding
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('r_half',  920101, :'tss', '2024-07-17', '10:00', '=', 100.005,    'mg/L'),
	('r_under', 920101, :'tss', '2024-07-17', '10:00', '=', 100.004999, 'mg/L'),
	('r_cu',    920101, :'cu',  '2024-07-17', '10:00', '=', 0.05,       'mg/L'),
	('r_nh3',   920101, :'nh3', '2024-07-17', '10:00', '=', 3,          'mg/L');

SELECT results_eq($$SELECT ratio FROM found WHERE sample = 'r_half'$$, $$VALUES ('1.0001')$$,
	'rounding: 100.005 / 100 = 1.00005 rounds half up to 1.0001');
SELECT results_eq($$SELECT ratio FROM found WHERE sample = 'r_under'$$, $$VALUES ('1.0000')$$,
	'rounding: 100.004999 / 100 = 1.00004999 rounds to 1.0000');
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity FROM found WHERE sample = 'r_cu' ORDER BY 1$$,
	$$VALUES ('COPPER:CCC:MAXIMUM:INSTANTANEOUS',  50::numeric,   '5.5556', 'CRITICAL'),
			 ('COPPER:CMC:MAXIMUM:INSTANTANEOUS',  50::numeric,   '3.8462', 'CRITICAL'),
			 ('COPPER:NAL:MAXIMUM:ANNUAL_AVERAGE', 0.05::numeric, '1.5060', 'MODERATE')$$,
	'rounding: copper 0.05 mg/L: 50/9 = 5.5556, 50/13 = 3.8462, 0.05/0.0332 = 1.5060 (not above the 1.3 mg/L MCL)');
SELECT results_eq($$SELECT ratio FROM found WHERE sample = 'r_nh3'$$, $$VALUES ('1.4019')$$,
	'rounding: ammonia 3 / 2.14 = 1.401869 rounds to 1.4019');

-- The exact ratio 100004999999.999998 / 99999999999.999999 = 1.00004999999999999000...
-- rounds to 1.0000.  (A division rounded to 16 places first gives 1.00005000...,
-- which would then round to 1.0001.)
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('r_double', 920101, 'par_test_big', '2024-07-17', '10:00', '=', 100004999999.999998, 'mg/L');
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity FROM found WHERE sample = 'r_double'$$,
	$$VALUES ('TEST_BIG:NAL:MAXIMUM:INSTANTANEOUS', 100004999999.999998::numeric, '1.0000', 'MODERATE')$$,
	'rounding: the exact ratio is rounded once (1.00004999999999999 -> 1.0000, not 1.0001)');

-- ------------------------------------------------------------ CRITICAL boundary (ratio > 2)
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('c_200',        920101, :'tss', '2024-07-18', '10:00', '=', 200,        'mg/L'),
	('c_200_001',    920101, :'tss', '2024-07-18', '10:00', '=', 200.001,    'mg/L'),
	('c_200_000001', 920101, :'tss', '2024-07-18', '10:00', '=', 200.000001, 'mg/L'),
	('c_200_02',     920101, :'tss', '2024-07-18', '10:00', '=', 200.02,     'mg/L');
SELECT results_eq($$SELECT ratio, severity FROM found WHERE sample = 'c_200'$$,
	$$VALUES ('2.0000', 'MODERATE')$$, 'severity: ratio exactly 2 is MODERATE');
SELECT results_eq($$SELECT ratio, severity FROM found WHERE sample = 'c_200_001'$$,
	$$VALUES ('2.0000', 'CRITICAL')$$, 'severity: ratio 2.00001 is CRITICAL although it rounds to 2.0000');
SELECT results_eq($$SELECT ratio, severity FROM found WHERE sample = 'c_200_000001'$$,
	$$VALUES ('2.0000', 'CRITICAL')$$, 'severity: ratio 2.00000001 is CRITICAL');
SELECT results_eq($$SELECT ratio, severity FROM found WHERE sample = 'c_200_02'$$,
	$$VALUES ('2.0002', 'CRITICAL')$$, 'severity: ratio 2.0002 is CRITICAL');

-- ------------------------------------------------------------ huge values
-- 999999999999.999999 g/L (the largest result) against 0.000001 pg/L (the
-- smallest positive benchmark): 999999999999999999000000 pg/L, ratio 1e30 - 1e12;
-- and 0.000001 pg/L (1e-18 g/L) against a MINIMUM of 999999999999.999999 g/L.
PREPARE huge AS
	INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
							  "qualifier", "result", "units") VALUES
		('h_max', 920101, 'par_test_huge', '2024-07-19', '10:00', '=', 999999999999.999999, 'g/L'),
		('h_min', 920101, 'par_test_huge', '2024-07-20', '10:00', '=', 0.000001, 'pg/L');
SELECT lives_ok('EXECUTE huge', 'the most extreme values the columns hold do not overflow');
SELECT results_eq(
	$$SELECT sample, "benchmarkId", "measuredValue", ratio, severity FROM found
	   WHERE sample IN ('h_max', 'h_min') ORDER BY 1$$,
	$$VALUES ('h_max', 'TEST_HUGE:NAL:MAXIMUM:INSTANTANEOUS', 999999999999999999000000::numeric,
			  '999999999999999999000000000000.0000', 'CRITICAL'),
			 ('h_min', 'TEST_HUGE:NAL:MINIMUM:INSTANTANEOUS', 0.000000000000000001::numeric,
			  '999999999999999999000000000000.0000', 'CRITICAL')$$,
	'huge values: exact measured values and ratios, in the benchmark''s units');
SELECT results_eq(
	$$SELECT "count", "maxRatio"::text, "criticalCount", "firstDate", "lastDate" FROM "ViolationEvent"
	   WHERE "pollutant" = 'TEST_HUGE'$$,
	$$VALUES (2, '999999999999999999000000000000.0000', 2, '2024-07-19'::date, '2024-07-20'::date)$$,
	'huge values: the event keeps the exact maxRatio');

-- ------------------------------------------------------------ severity bands
-- Copper CMC 13 ug/L, CCC 9 ug/L (NAL 0.0332 mg/L and MCL 1.3 mg/L are not reached).
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('sb_before', 920101, :'cu_dissolved', '2024-07-21', '10:00', '=', 20, 'ug/L');
SELECT results_eq(
	$$SELECT "benchmarkId", ratio, severity FROM found WHERE sample = 'sb_before' ORDER BY 1$$,
	$$VALUES ('COPPER:CCC:MAXIMUM:INSTANTANEOUS', '2.2222', 'CRITICAL'),
			 ('COPPER:CMC:MAXIMUM:INSTANTANEOUS', '1.5385', 'MODERATE')$$,
	'bands: default bands, 20 ug/L copper is MODERATE against CMC, CRITICAL against CCC');

INSERT INTO "ViolationSeverityBand" ("benchmarkType", "minRatio", "severity") VALUES ('CMC', 1.5, 'HIGH');

INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('sb_high', 920101, :'cu_dissolved', '2024-07-22', '10:00', '=', 20,   'ug/L'),
	('sb_edge', 920101, :'cu_dissolved', '2024-07-22', '10:00', '=', 19.5, 'ug/L'),
	('sb_low',  920101, :'cu_dissolved', '2024-07-22', '10:00', '=', 15,   'ug/L'),
	('sb_crit', 920101, :'cu_dissolved', '2024-07-22', '10:00', '=', 30,   'ug/L');
SELECT results_eq(
	$$SELECT sample, "benchmarkId", ratio, severity FROM found
	   WHERE sample IN ('sb_high', 'sb_edge', 'sb_low', 'sb_crit') ORDER BY 1, 2$$,
	$$VALUES ('sb_crit', 'COPPER:CCC:MAXIMUM:INSTANTANEOUS', '3.3333', 'CRITICAL'),
			 ('sb_crit', 'COPPER:CMC:MAXIMUM:INSTANTANEOUS', '2.3077', 'CRITICAL'),
			 ('sb_edge', 'COPPER:CCC:MAXIMUM:INSTANTANEOUS', '2.1667', 'CRITICAL'),
			 ('sb_edge', 'COPPER:CMC:MAXIMUM:INSTANTANEOUS', '1.5000', 'MODERATE'),
			 ('sb_high', 'COPPER:CCC:MAXIMUM:INSTANTANEOUS', '2.2222', 'CRITICAL'),
			 ('sb_high', 'COPPER:CMC:MAXIMUM:INSTANTANEOUS', '1.5385', 'HIGH'),
			 ('sb_low',  'COPPER:CCC:MAXIMUM:INSTANTANEOUS', '1.6667', 'MODERATE'),
			 ('sb_low',  'COPPER:CMC:MAXIMUM:INSTANTANEOUS', '1.1538', 'MODERATE')$$,
	'bands: a HIGH band at 1.5 for CMC applies to CMC violations above 1.5 only, and not to CCC');
SELECT results_eq(
	$$SELECT "highCount", "criticalCount", "moderateCount", "maxSeverity"::text FROM "ViolationEvent"
	   WHERE "pollutant" = 'COPPER'$$,
	$$VALUES (2, 7, 4, 'CRITICAL')$$,
	'bands: the copper event counts 2 HIGH (sb_before, sb_high), 7 CRITICAL, 4 MODERATE (r_cu, sb_*)');

SELECT results_eq(
	$$SELECT severity FROM found WHERE sample = 'sb_before' AND "benchmarkId" = 'COPPER:CMC:MAXIMUM:INSTANTANEOUS'$$,
	$$VALUES ('HIGH')$$,
	'bands: the CMC violation found before the HIGH band was added is reclassified HIGH');

-- A LOW band below the MODERATE one, for NAL (TSS 100 mg/L; pH MINIMUM 6.0).
UPDATE "ViolationSeverityBand" SET "minRatio" = 1.1 WHERE "benchmarkType" = 'NAL' AND "severity" = 'MODERATE';
INSERT INTO "ViolationSeverityBand" ("benchmarkType", "minRatio", "severity") VALUES ('NAL', 0, 'LOW');
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('sl_105',     920101, :'tss', '2024-07-23', '10:00', '=', 105,      'mg/L'),
	('sl_110',     920101, :'tss', '2024-07-23', '10:00', '=', 110,      'mg/L'),
	('sl_111',     920101, :'tss', '2024-07-23', '10:00', '=', 111,      'mg/L'),
	('sl_250',     920101, :'tss', '2024-07-23', '10:00', '=', 250,      'mg/L'),
	('sl_ph',      920101, :'ph',  '2024-07-23', '10:00', '=', 5.7,      'SU'),
	('sl_ph_edge', 920101, :'ph',  '2024-07-23', '10:00', '=', 5.454545, 'SU');
SELECT results_eq(
	$$SELECT sample, ratio, severity FROM found WHERE sample LIKE 'sl\_%' ORDER BY 1$$,
	$$VALUES ('sl_105', '1.0500', 'LOW'), ('sl_110', '1.1000', 'LOW'), ('sl_111', '1.1100', 'MODERATE'),
			 ('sl_250', '2.5000', 'CRITICAL'), ('sl_ph', '1.0526', 'LOW'), ('sl_ph_edge', '1.1000', 'MODERATE')$$,
	'bands: LOW up to 1.1, MODERATE above (6 / 5.454545 = 1.1000001 is MODERATE), CRITICAL above 2');
SELECT results_eq(
	$$SELECT sample, "benchmarkId", ratio, severity FROM found
	   WHERE sample IN ('m_above', 'n_599', 'r_nh3', 'c_200', 'c_200_02', 'r_cu')
		 AND "benchmarkId" LIKE '%:NAL:%' ORDER BY 1$$,
	$$VALUES ('c_200',    'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE',       '2.0000', 'MODERATE'),
			 ('c_200_02', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE',       '2.0002', 'CRITICAL'),
			 ('m_above',  'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE',       '1.0000', 'LOW'),
			 ('n_599',    'PH:NAL:MINIMUM:INSTANTANEOUS',         '1.0017', 'LOW'),
			 ('r_cu',     'COPPER:NAL:MAXIMUM:ANNUAL_AVERAGE',    '1.5060', 'MODERATE'),
			 ('r_nh3',    'AMMONIA_N:NAL:MAXIMUM:ANNUAL_AVERAGE', '1.4019', 'MODERATE')$$,
	'bands: the NAL violations found before the LOW band are reclassified (1.0000 and 1.0017 LOW, 1.4019 and 2.0000 MODERATE)');

-- ------------------------------------------------------------ benchmarks <= 0
INSERT INTO "PollutantBenchmark" ("id", "pollutantKey", "benchmarkType", "limit", "period", "value", "units", "source") VALUES
	('TSS:MCL:MAXIMUM:INSTANTANEOUS', 'TSS', 'MCL', 'MAXIMUM', 'INSTANTANEOUS', 0,     'mg/L', 'test'),
	('TSS:CCC:MAXIMUM:INSTANTANEOUS', 'TSS', 'CCC', 'MAXIMUM', 'INSTANTANEOUS', -5,    'mg/L', 'test'),
	('TSS:CMC:MAXIMUM:INSTANTANEOUS', 'TSS', 'CMC', 'MAXIMUM', 'INSTANTANEOUS', 'NaN', 'mg/L', 'test');
PREPARE bad_benchmarks AS
	INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
							  "qualifier", "result", "units")
	VALUES ('g_tss', 920101, :'tss', '2024-07-24', '10:00', '=', 150, 'mg/L');
SELECT lives_ok('EXECUTE bad_benchmarks', 'a sample of a pollutant with benchmarks 0, -5 and NaN is stored without error');
SELECT results_eq(
	$$SELECT "benchmarkId", ratio, severity FROM found WHERE sample = 'g_tss' ORDER BY 1$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '1.5000', 'MODERATE')$$,
	'benchmarks 0, -5 and NaN are ignored; the positive one still applies');
SELECT results_eq(
	$$SELECT "reason", "pollutantKey", "benchmarkId", "sampleUnits", "benchmarkUnits", "sampleCount", "exampleSampleId"
		FROM "ViolationSkipSummary" WHERE "reason" = 'BENCHMARK_VALUE_NOT_POSITIVE' ORDER BY 3$$,
	$$VALUES ('BENCHMARK_VALUE_NOT_POSITIVE', 'TSS', 'TSS:CCC:MAXIMUM:INSTANTANEOUS', 'mg/l', 'mg/L', 15::bigint, 'sl_250'),
			 ('BENCHMARK_VALUE_NOT_POSITIVE', 'TSS', 'TSS:CMC:MAXIMUM:INSTANTANEOUS', 'mg/l', 'mg/L', 15::bigint, 'sl_250'),
			 ('BENCHMARK_VALUE_NOT_POSITIVE', 'TSS', 'TSS:MCL:MAXIMUM:INSTANTANEOUS', 'mg/l', 'mg/L', 15::bigint, 'sl_250')$$,
	'benchmarks 0, -5 and NaN are reported BENCHMARK_VALUE_NOT_POSITIVE for all 15 TSS samples: the 14 stored before (re-evaluated when the benchmarks were inserted) and g_tss');
SELECT is_empty(
	$$SELECT * FROM "ViolationSkipSummary" WHERE "reason" NOT IN ('BENCHMARK_VALUE_NOT_POSITIVE', 'RESULT_NOT_POSITIVE')$$,
	'nothing else was skipped in this file');

-- ------------------------------------------------------------ everything found
SELECT set_eq(
	$$SELECT sample, "benchmarkId" FROM found$$,
	$$VALUES ('m_above', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'), ('m_inst_eq', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'),
			 ('m_inst_above', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'), ('m_inst_above', 'TSS:NAL:MAXIMUM:INSTANTANEOUS'),
			 ('n_599', 'PH:NAL:MINIMUM:INSTANTANEOUS'), ('n_3', 'PH:NAL:MINIMUM:INSTANTANEOUS'),
			 ('n_2_99999', 'PH:NAL:MINIMUM:INSTANTANEOUS'), ('n_2', 'PH:NAL:MINIMUM:INSTANTANEOUS'),
			 ('r_half', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'), ('r_under', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'),
			 ('r_cu', 'COPPER:CCC:MAXIMUM:INSTANTANEOUS'), ('r_cu', 'COPPER:CMC:MAXIMUM:INSTANTANEOUS'),
			 ('r_cu', 'COPPER:NAL:MAXIMUM:ANNUAL_AVERAGE'), ('r_nh3', 'AMMONIA_N:NAL:MAXIMUM:ANNUAL_AVERAGE'),
			 ('r_double', 'TEST_BIG:NAL:MAXIMUM:INSTANTANEOUS'),
			 ('c_200', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'), ('c_200_001', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'),
			 ('c_200_000001', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'), ('c_200_02', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'),
			 ('h_max', 'TEST_HUGE:NAL:MAXIMUM:INSTANTANEOUS'), ('h_min', 'TEST_HUGE:NAL:MINIMUM:INSTANTANEOUS'),
			 ('sb_before', 'COPPER:CCC:MAXIMUM:INSTANTANEOUS'), ('sb_before', 'COPPER:CMC:MAXIMUM:INSTANTANEOUS'),
			 ('sb_high', 'COPPER:CCC:MAXIMUM:INSTANTANEOUS'), ('sb_high', 'COPPER:CMC:MAXIMUM:INSTANTANEOUS'),
			 ('sb_edge', 'COPPER:CCC:MAXIMUM:INSTANTANEOUS'), ('sb_edge', 'COPPER:CMC:MAXIMUM:INSTANTANEOUS'),
			 ('sb_low', 'COPPER:CCC:MAXIMUM:INSTANTANEOUS'), ('sb_low', 'COPPER:CMC:MAXIMUM:INSTANTANEOUS'),
			 ('sb_crit', 'COPPER:CCC:MAXIMUM:INSTANTANEOUS'), ('sb_crit', 'COPPER:CMC:MAXIMUM:INSTANTANEOUS'),
			 ('sl_105', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'), ('sl_110', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'),
			 ('sl_111', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'), ('sl_250', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'),
			 ('sl_ph', 'PH:NAL:MINIMUM:INSTANTANEOUS'), ('sl_ph_edge', 'PH:NAL:MINIMUM:INSTANTANEOUS'),
			 ('g_tss', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE')$$,
	'exactly the expected (sample, benchmark) violations exist');

\ir ../lib/aggregate_checks.psql

SELECT * FROM finish();
ROLLBACK;
