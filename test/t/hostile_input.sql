-- Hostile input, each case with its expected outcome (issue 6, "Hostile
-- input"; SPEC: detection never makes a valid sample fail to insert, and
-- what cannot be evaluated is counted in "ViolationSkip").  Results at the
-- limits of numeric(18,6), NaN, pH 0 and 14, empty, very long, mixed-case and
-- unicode units, dates at the ends of the date range (5874897 AD is past what
-- a timestamp holds: counted as DATE_OUT_OF_RANGE), untracked parameters,
-- non-detects, ">=" results, a benchmark in units no sample uses, and a burst
-- of 100,000 samples in one statement.  (test/t/bad_input.sql and
-- exceedance.sql hold more: zero, negative and NaN benchmarks, BC dates.)
BEGIN;
SELECT plan(15);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss,
	   'par_' || substr(md5('pH'), 1, 12) AS ph,
	   'par_' || substr(md5('Copper, Total'), 1, 12) AS cu,
	   'par_' || substr(md5('Flow'), 1, 12) AS flow \gset

INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName") VALUES (9401, 'Hostile input');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType")
VALUES (940101, 9401, 'EFF-001', 'EFFLUENT_MONITORING');

-- TSS: annual NAL 100 mg/L, instantaneous NAL 400 mg/L.  pH: 6.0 to 9.0 SU.
-- Copper: NAL 0.0332 mg/L, CMC 13 ug/L, CCC 9.0 ug/L, MCL 1.3 mg/L.
CREATE TEMP TABLE cases (id text, param text, qual text, result numeric, units text, day date);
INSERT INTO cases VALUES
	('h01', :'tss', '=', 999999999999.999999, 'mg/L', '2024-01-10'),
	('h02', :'tss', '=', -999999999999.999999, 'mg/L', '2024-01-10'),
	('h03', :'tss', '=', 0.000001, 'g/L', '2024-01-10'),
	('h04', :'tss', '=', 999999999999.999999, 'g/L', '2024-01-10'),
	('h05', :'tss', '=', 'NaN', 'mg/L', '2024-01-10'),
	('h06', :'ph', '=', 0, 'SU', '2024-01-10'),
	('h07', :'ph', '=', 14, 'SU', '2024-01-10'),
	('h08', :'tss', '=', 150, '', '2024-01-10'),
	('h09', :'tss', '=', 150, repeat('x', 50), '2024-01-10'),
	('h10', :'tss', '=', 150, 'Mg/L', '2024-01-10'),
	('h11', :'tss', '=', 150, U&'\33A1/L', '2024-01-10'),
	('h12', :'tss', '=', 150, 'mg/L', '0001-01-01'),
	('h13', :'tss', '=', 150, 'mg/L', '5874897-12-31'),
	('h14', :'flow', '=', 1000000000, 'MGD', '2024-01-10'),
	('h15', :'tss', '<', 999999, 'mg/L', '2024-01-10'),
	('h16', :'tss', '>=', 500, 'mg/L', '2024-01-10'),
	('h17', :'ph', '>', 3, 'SU', '2024-01-10'),
	('h18', :'cu', '=', 20, U&'  \00B5g / L ', '2024-01-10'),
	('h19', :'tss', '=', NULL, 'mg/L', '2024-01-10'),
	('h20', :'tss', 'DNQ', 5000, 'mg/L', '2024-01-10');

SELECT lives_ok($$
	INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
							  "qualifier", "result", "units")
	SELECT id, 940101, param, day, '08:00', qual::"ESMRQualifier", result, units FROM cases$$,
	'all 20 hostile samples are stored, in one statement');

SELECT set_eq(
	$$SELECT v."esmrSampleId", v."benchmarkId", v."exceedanceRatio"::text, v."severity"::text,
			 e."reportingYear"
		FROM "ViolationSample" v JOIN "ViolationEvent" e ON e."id" = v."eventId"
	   WHERE v."esmrSampleId" LIKE 'h__'$$,
	$$VALUES
		-- 999999999999.999999 / 100 and / 400, rounded half up
		('h01', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '10000000000.0000', 'CRITICAL', '2024'),
		('h01', 'TSS:NAL:MAXIMUM:INSTANTANEOUS', '2500000000.0000', 'CRITICAL', '2024'),
		-- the same in g/L: 999999999999999.999 mg/L
		('h04', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '10000000000000.0000', 'CRITICAL', '2024'),
		('h04', 'TSS:NAL:MAXIMUM:INSTANTANEOUS', '2500000000000.0000', 'CRITICAL', '2024'),
		-- pH 14 above 9.0
		('h07', 'PH:NAL:MAXIMUM:INSTANTANEOUS', '1.5556', 'MODERATE', '2024'),
		-- Mg/L reads as mg/L
		('h10', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '1.5000', 'MODERATE', '2024'),
		-- the first year of the common era
		('h12', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '1.5000', 'MODERATE', '1'),
		-- >= 500 counts against MAXIMUM benchmarks
		('h16', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '5.0000', 'CRITICAL', '2024'),
		('h16', 'TSS:NAL:MAXIMUM:INSTANTANEOUS', '1.2500', 'MODERATE', '2024'),
		-- 20 µg/L, spaces around: CMC 13 and CCC 9
		('h18', 'COPPER:CMC:MAXIMUM:INSTANTANEOUS', '1.5385', 'MODERATE', '2024'),
		('h18', 'COPPER:CCC:MAXIMUM:INSTANTANEOUS', '2.2222', 'CRITICAL', '2024')$$,
	'the violations are exactly the hand-computed ones (h02, h03, h05, h06, h08, h09, h11, h13, h14, h15, h17, h19, h20: none)');

SELECT set_eq(
	$$SELECT "esmrSampleId", "benchmarkId", "reason", "sampleUnits" FROM "ViolationSkip"
	   WHERE "esmrSampleId" LIKE 'h__'$$,
	$$VALUES
		('h05', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'RESULT_NOT_FINITE', 'mg/l'),
		('h05', 'TSS:NAL:MAXIMUM:INSTANTANEOUS', 'RESULT_NOT_FINITE', 'mg/l'),
		('h06', 'PH:NAL:MINIMUM:INSTANTANEOUS', 'RESULT_NOT_POSITIVE', 'su'),
		('h08', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'UNITS_NOT_CONVERTIBLE', ''),
		('h08', 'TSS:NAL:MAXIMUM:INSTANTANEOUS', 'UNITS_NOT_CONVERTIBLE', ''),
		('h09', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'UNITS_NOT_CONVERTIBLE', repeat('x', 50)),
		('h09', 'TSS:NAL:MAXIMUM:INSTANTANEOUS', 'UNITS_NOT_CONVERTIBLE', repeat('x', 50)),
		('h11', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'UNITS_NOT_CONVERTIBLE', U&'\33A1/l'),
		('h11', 'TSS:NAL:MAXIMUM:INSTANTANEOUS', 'UNITS_NOT_CONVERTIBLE', U&'\33A1/l'),
		-- the last date a date holds is past the last a timestamp does (294276 AD)
		('h13', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'DATE_OUT_OF_RANGE', 'mg/l'),
		('h13', 'TSS:NAL:MAXIMUM:INSTANTANEOUS', 'DATE_OUT_OF_RANGE', 'mg/l')$$,
	'every sample that could not be evaluated is counted, once per benchmark, with its reason');

SELECT is((SELECT count(*) FROM "ESMRSample" WHERE "id" LIKE 'h__'), 20::bigint,
	'and all 20 samples are there');

-- ============================================================ a benchmark in units no sample uses
SELECT lives_ok($$
	INSERT INTO "PollutantBenchmark" ("id", "pollutantKey", "benchmarkType", "limit", "period",
									  "value", "units", "source")
	VALUES ('TSS:CCC:MAXIMUM:INSTANTANEOUS', 'TSS', 'CCC', 'MAXIMUM', 'INSTANTANEOUS', 10,
			'furlongs/fortnight', 'hostile test')$$,
	'a TSS benchmark in furlongs/fortnight is accepted (and re-evaluates the TSS samples)');
SELECT is((SELECT count(*) FROM "ViolationSample" WHERE "benchmarkId" = 'TSS:CCC:MAXIMUM:INSTANTANEOUS'),
	0::bigint, 'no sample violates it');
SELECT results_eq(
	$$SELECT "reason", "sampleUnits" FROM "ViolationSkip"
	   WHERE "benchmarkId" = 'TSS:CCC:MAXIMUM:INSTANTANEOUS' AND "esmrSampleId" = 'h10'$$,
	$$VALUES ('UNITS_NOT_CONVERTIBLE', 'mg/l')$$,
	'each evaluated TSS sample is counted against it as UNITS_NOT_CONVERTIBLE');
SELECT results_eq(
	$$SELECT count(*) FROM "ViolationSample" WHERE "esmrSampleId" LIKE 'h__'$$,
	$$VALUES (11::bigint)$$,
	'the other violations of the hostile samples are untouched by the re-evaluation');

-- ============================================================ a burst of 100,000 samples
SELECT lives_ok($$
	INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
							  "qualifier", "result", "units")
	SELECT 'burst_' || n, 940101, $$ || quote_literal(:'tss') || $$,
		   date '2020-01-01' + (n % 1500), '08:00', '=',
		   CASE WHEN n % 10 = 0 THEN 150 ELSE 50 END, 'mg/L'
	  FROM generate_series(1, 100000) n$$,
	'a burst of 100,000 samples in one INSERT is stored');
SELECT results_eq(
	$$SELECT count(*), count(DISTINCT "esmrSampleId") FROM "ViolationSample"
	   WHERE "esmrSampleId" LIKE 'burst\_%'$$,
	$$VALUES (10000::bigint, 10000::bigint)$$,
	'its 10,000 samples at 150 mg/L each violate the annual NAL once (the 90,000 at 50 do not)');
SELECT results_eq(
	$$SELECT sum("count")::bigint FROM "ViolationEvent" WHERE "facilityPlaceId" = 9401$$,
	$$SELECT count(*) FROM "ViolationSample" WHERE "facilityPlaceId" = 9401$$,
	'the events of the facility count every one of its violations');

\ir ../lib/aggregate_checks.psql

SELECT * FROM finish();
ROLLBACK;
