-- Detection rule 2 (units): the result is converted into the benchmark's units
-- before the comparison.  Units compare after trimming, removing spaces and
-- lower-casing, with µ (U+00B5), μ (U+03BC) and "mc" read as u.  Mass
-- concentrations convert among g/L, mg/L, ug/L, ng/L, pg/L (ppm = mg/L, ppb =
-- ug/L); SU, S.U., pH units, pH and std units are one unit; any other pair
-- converts only when equal.  Units that do not convert are logged, not raised.
--
-- Benchmarks used (data/benchmarks.csv):
--   TSS:NAL:MAXIMUM:ANNUAL_AVERAGE 100 mg/L       TSS:NAL:MAXIMUM:INSTANTANEOUS 400 mg/L
--   CADMIUM:NAL:...:ANNUAL_AVERAGE 0.0053 mg/L    CADMIUM:MCL 0.005 mg/L
--   CADMIUM:CMC 4.3 ug/L                          CADMIUM:CCC 2.2 ug/L
--   PH:NAL:MINIMUM 6.0 SU                         PH:NAL:MAXIMUM 9.0 SU
BEGIN;
SELECT plan(51);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss,
	   'par_' || substr(md5('Cadmium, Total'), 1, 12) AS cd,
	   'par_' || substr(md5('pH'), 1, 12) AS ph \gset

-- ------------------------------------------------------------ the functions

SELECT is(violations_normalize_units('mg/L'), 'mg/l', 'normalize: mg/L');
SELECT is(violations_normalize_units('MG/L'), 'mg/l', 'normalize: MG/L is lower-cased');
SELECT is(violations_normalize_units(' mg / l '), 'mg/l', 'normalize: spaces trimmed and removed');
SELECT is(violations_normalize_units(E'\tmg/L\n'), 'mg/l', 'normalize: tab and newline removed');
SELECT is(violations_normalize_units('µg/L'), 'ug/l', 'normalize: µ (micro sign U+00B5) reads as u');
SELECT is(violations_normalize_units(U&'\03BCg/L'), 'ug/l', 'normalize: μ (greek mu U+03BC) reads as u');
SELECT is(violations_normalize_units('mcg/L'), 'ug/l', 'normalize: mcg/L reads as ug/l');
SELECT is(violations_normalize_units('MCG/L'), 'ug/l', 'normalize: MCG/L reads as ug/l');
SELECT is(violations_normalize_units('S.U.'), 's.u.', 'normalize: S.U.');
SELECT is(violations_normalize_units('pH Units'), 'phunits', 'normalize: pH Units');
SELECT is(violations_normalize_units('MPN/100 mL'), 'mpn/100ml', 'normalize: MPN/100 mL');
SELECT is(violations_normalize_units(''), '', 'normalize: empty string');
SELECT is(violations_normalize_units(NULL), NULL, 'normalize: NULL is NULL (strict)');

SELECT is(violations_convert_units(1, 'g/L', 'mg/L'), 1000::numeric, 'convert: 1 g/L = 1000 mg/L');
SELECT is(violations_convert_units(1500, 'ug/L', 'mg/L'), 1.5, 'convert: 1500 ug/L = 1.5 mg/L');
SELECT is(violations_convert_units(1, 'mg/L', 'pg/L'), 1000000000::numeric, 'convert: 1 mg/L = 1e9 pg/L');
SELECT is(violations_convert_units(2.5, 'ng/L', 'ug/L'), 0.0025, 'convert: 2.5 ng/L = 0.0025 ug/L');
SELECT is(violations_convert_units(0.000001, 'pg/L', 'g/L'), 0.000000000000000001,
	'convert: 0.000001 pg/L = 1e-18 g/L, exactly');
SELECT is(violations_convert_units(5, 'ppm', 'mg/L'), 5::numeric, 'convert: ppm = mg/L');
SELECT is(violations_convert_units(5, 'ppb', 'ug/L'), 5::numeric, 'convert: ppb = ug/L');
SELECT is(violations_convert_units(5, 'ppm', 'ppb'), 5000::numeric, 'convert: 5 ppm = 5000 ppb');
SELECT is(violations_convert_units(7, 'µg/L', 'MCG/L'), 7::numeric, 'convert: µg/L = MCG/L');
SELECT is(violations_convert_units(7.2, 'SU', 'pH units'), 7.2, 'convert: SU = pH units');
SELECT is(violations_convert_units(7.2, 'S.U.', 'std units'), 7.2, 'convert: S.U. = std units');
SELECT is(violations_convert_units(7.2, 'pH', 'SU'), 7.2, 'convert: pH = SU');
SELECT is(violations_convert_units(3, 'MPN/100 mL', 'mpn/100ml'), 3::numeric,
	'convert: identical other units (after normalising) convert');
SELECT is(violations_convert_units(3, 'MPN/100 mL', 'CFU/100 mL'), NULL,
	'convert: different other units do not convert');
SELECT is(violations_convert_units(1, 'NTU', 'mg/L'), NULL, 'convert: NTU does not convert to mg/L');
SELECT is(violations_convert_units(1, 'mg/L', 'SU'), NULL, 'convert: mg/L does not convert to SU');
SELECT is(violations_convert_units(1, 'kg/L', 'g/L'), NULL, 'convert: kg/L is not a mass unit we know');
SELECT is(violations_convert_units('NaN', 'g/L', 'mg/L'), 'NaN'::numeric, 'convert: NaN stays NaN');
SELECT is(violations_convert_units(NULL, 'g/L', 'mg/L'), NULL, 'convert: NULL is NULL (strict)');

-- ------------------------------------------------------------ detection

INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName") VALUES (9101, 'Units Test Plant');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType")
VALUES (910101, 9101, 'EFF-001', 'EFFLUENT_MONITORING');

-- A pollutant measured in "other" units, with a benchmark in MPN/100 mL.
INSERT INTO "ConfigPollutant" ("key", "displayName", "category") VALUES ('ECOLI', 'E. coli', 'bacteria');
INSERT INTO "ESMRParameter" ("id", "parameterName", "category", "canonicalKey")
VALUES ('par_test_ecoli', 'E. coli (test)', 'bacteria', 'ECOLI');
INSERT INTO "PollutantBenchmark" ("id", "pollutantKey", "benchmarkType", "limit", "period", "value", "units", "source")
VALUES ('ECOLI:MCL:MAXIMUM:INSTANTANEOUS', 'ECOLI', 'MCL', 'MAXIMUM', 'INSTANTANEOUS', 235, 'MPN/100 mL', 'test');

CREATE TEMP VIEW found AS
SELECT v."esmrSampleId" AS sample, v."benchmarkId", v."measuredValue",
	   v."exceedanceRatio"::text AS ratio, v."severity"::text AS severity,
	   v."facilityId", v."facilityPlaceId", e."reportingYear", v."units"
  FROM "ViolationSample" v
  JOIN "ViolationEvent" e ON e."id" = v."eventId";

-- Every spelling of a mass concentration, against the TSS NAL of 100 mg/L.
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('u_g',     910101, :'tss', '2024-06-01', '09:00', '=', 0.15,         'g/L'),
	('u_mg',    910101, :'tss', '2024-06-01', '09:00', '=', 160,          'mg/L'),
	('u_MG',    910101, :'tss', '2024-06-01', '09:00', '=', 170,          'MG/L'),
	('u_space', 910101, :'tss', '2024-06-01', '09:00', '=', 180,          ' mg / l '),
	('u_ug',    910101, :'tss', '2024-06-01', '09:00', '=', 190000,       'ug/L'),
	('u_micro', 910101, :'tss', '2024-06-01', '09:00', '=', 210000,       'µg/L'),
	('u_mu',    910101, :'tss', '2024-06-01', '09:00', '=', 220000,       U&'\03BCg/L'),
	('u_mcg',   910101, :'tss', '2024-06-01', '09:00', '=', 230000,       'mcg/L'),
	('u_ng',    910101, :'tss', '2024-06-01', '09:00', '=', 240000000,    'ng/L'),
	('u_pg',    910101, :'tss', '2024-06-01', '09:00', '=', 250000000000, 'pg/L'),
	('u_ppm',   910101, :'tss', '2024-06-01', '09:00', '=', 260,          'ppm'),
	('u_ppb',   910101, :'tss', '2024-06-01', '09:00', '=', 270000,       'ppb'),
	('u_below', 910101, :'tss', '2024-06-01', '09:00', '=', 0.1,          'g/L');

SELECT results_eq(
	$$SELECT sample, "benchmarkId", "measuredValue", ratio, severity, "facilityId", "facilityPlaceId",
			 "reportingYear", "units"
		FROM found WHERE sample LIKE 'u\_%' ORDER BY "measuredValue"$$,
	$$VALUES ('u_g',     'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 150::numeric, '1.5000', 'MODERATE', NULL::text, 9101, '2024', 'mg/L'::varchar),
			 ('u_mg',    'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 160::numeric, '1.6000', 'MODERATE', NULL::text, 9101, '2024', 'mg/L'::varchar),
			 ('u_MG',    'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 170::numeric, '1.7000', 'MODERATE', NULL::text, 9101, '2024', 'mg/L'::varchar),
			 ('u_space', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 180::numeric, '1.8000', 'MODERATE', NULL::text, 9101, '2024', 'mg/L'::varchar),
			 ('u_ug',    'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 190::numeric, '1.9000', 'MODERATE', NULL::text, 9101, '2024', 'mg/L'::varchar),
			 ('u_micro', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 210::numeric, '2.1000', 'CRITICAL', NULL::text, 9101, '2024', 'mg/L'::varchar),
			 ('u_mu',    'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 220::numeric, '2.2000', 'CRITICAL', NULL::text, 9101, '2024', 'mg/L'::varchar),
			 ('u_mcg',   'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 230::numeric, '2.3000', 'CRITICAL', NULL::text, 9101, '2024', 'mg/L'::varchar),
			 ('u_ng',    'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 240::numeric, '2.4000', 'CRITICAL', NULL::text, 9101, '2024', 'mg/L'::varchar),
			 ('u_pg',    'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 250::numeric, '2.5000', 'CRITICAL', NULL::text, 9101, '2024', 'mg/L'::varchar),
			 ('u_ppm',   'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 260::numeric, '2.6000', 'CRITICAL', NULL::text, 9101, '2024', 'mg/L'::varchar),
			 ('u_ppb',   'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 270::numeric, '2.7000', 'CRITICAL', NULL::text, 9101, '2024', 'mg/L'::varchar)$$,
	'every mass spelling converts into mg/L: measuredValue and ratio in the benchmark''s units');
SELECT is_empty($$SELECT * FROM found WHERE sample = 'u_below'$$, '0.1 g/L = 100 mg/L is not above the NAL');

-- mg/L and ppb into benchmarks in ug/L and in mg/L
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('cd_mg',  910101, :'cd', '2024-06-02', '09:00', '=', 0.01, 'mg/L'),
	('cd_ppb', 910101, :'cd', '2024-06-02', '09:00', '=', 5.2,  'ppb');

SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity, "units"
		FROM found WHERE sample = 'cd_mg' ORDER BY 1$$,
	$$VALUES ('CADMIUM:CCC:MAXIMUM:INSTANTANEOUS',  10::numeric,   '4.5455', 'CRITICAL', 'ug/L'::varchar),
			 ('CADMIUM:CMC:MAXIMUM:INSTANTANEOUS',  10::numeric,   '2.3256', 'CRITICAL', 'ug/L'::varchar),
			 ('CADMIUM:MCL:MAXIMUM:INSTANTANEOUS',  0.01::numeric, '2.0000', 'MODERATE', 'mg/L'::varchar),
			 ('CADMIUM:NAL:MAXIMUM:ANNUAL_AVERAGE', 0.01::numeric, '1.8868', 'MODERATE', 'mg/L'::varchar)$$,
	'0.01 mg/L cadmium: 10 ug/L against CCC and CMC, 0.01 mg/L against MCL and NAL');
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity, "units"
		FROM found WHERE sample = 'cd_ppb' ORDER BY 1$$,
	$$VALUES ('CADMIUM:CCC:MAXIMUM:INSTANTANEOUS', 5.2::numeric,    '2.3636', 'CRITICAL', 'ug/L'::varchar),
			 ('CADMIUM:CMC:MAXIMUM:INSTANTANEOUS', 5.2::numeric,    '1.2093', 'MODERATE', 'ug/L'::varchar),
			 ('CADMIUM:MCL:MAXIMUM:INSTANTANEOUS', 0.0052::numeric, '1.0400', 'MODERATE', 'mg/L'::varchar)$$,
	'5.2 ppb cadmium: 5.2 ug/L against CCC and CMC, 0.0052 mg/L against MCL, under the 0.0053 mg/L NAL');

-- Every pH spelling against the pH benchmarks in SU.
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('p_su',      910101, :'ph', '2024-06-03', '09:00', '=', 5.0,  'SU'),
	('p_sudot',   910101, :'ph', '2024-06-03', '09:00', '=', 4.0,  'S.U.'),
	('p_phunits', 910101, :'ph', '2024-06-03', '09:00', '=', 3.0,  'pH units'),
	('p_ph',      910101, :'ph', '2024-06-03', '09:00', '=', 2.0,  'pH'),
	('p_std',     910101, :'ph', '2024-06-03', '09:00', '=', 10.0, 'std units'),
	('p_STD',     910101, :'ph', '2024-06-03', '09:00', '=', 5.5,  ' Std Units '),
	('p_PHU',     910101, :'ph', '2024-06-03', '09:00', '=', 12,   'PH UNITS'),
	('p_ok',      910101, :'ph', '2024-06-03', '09:00', '=', 7.0,  's.u.');

SELECT results_eq(
	$$SELECT sample, "benchmarkId", "measuredValue", ratio, severity, "units"
		FROM found WHERE sample LIKE 'p\_%' ORDER BY 1$$,
	$$VALUES ('p_PHU',     'PH:NAL:MAXIMUM:INSTANTANEOUS', 12::numeric,  '1.3333', 'MODERATE', 'SU'::varchar),
			 ('p_STD',     'PH:NAL:MINIMUM:INSTANTANEOUS', 5.5::numeric, '1.0909', 'MODERATE', 'SU'::varchar),
			 ('p_ph',      'PH:NAL:MINIMUM:INSTANTANEOUS', 2::numeric,   '3.0000', 'CRITICAL', 'SU'::varchar),
			 ('p_phunits', 'PH:NAL:MINIMUM:INSTANTANEOUS', 3::numeric,   '2.0000', 'MODERATE', 'SU'::varchar),
			 ('p_std',     'PH:NAL:MAXIMUM:INSTANTANEOUS', 10::numeric,  '1.1111', 'MODERATE', 'SU'::varchar),
			 ('p_su',      'PH:NAL:MINIMUM:INSTANTANEOUS', 5::numeric,   '1.2000', 'MODERATE', 'SU'::varchar),
			 ('p_sudot',   'PH:NAL:MINIMUM:INSTANTANEOUS', 4::numeric,   '1.5000', 'MODERATE', 'SU'::varchar)$$,
	'every pH spelling is the same unit as SU (pH 7.0 in s.u. violates nothing)');

-- "Other" units: identical after normalising converts, anything else is logged.
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('o_mpn',  910101, 'par_test_ecoli', '2024-06-04', '09:00', '=', 500, 'mpn/100ml'),
	('o_MPN',  910101, 'par_test_ecoli', '2024-06-04', '09:00', '=', 300, ' MPN / 100 ML '),
	('o_low',  910101, 'par_test_ecoli', '2024-06-04', '09:00', '=', 235, 'MPN/100 mL');

SELECT results_eq(
	$$SELECT sample, "benchmarkId", "measuredValue", ratio, severity, "units"
		FROM found WHERE sample LIKE 'o\_%' ORDER BY 1$$,
	$$VALUES ('o_MPN', 'ECOLI:MCL:MAXIMUM:INSTANTANEOUS', 300::numeric, '1.2766', 'MODERATE', 'MPN/100 mL'::varchar),
			 ('o_mpn', 'ECOLI:MCL:MAXIMUM:INSTANTANEOUS', 500::numeric, '2.1277', 'CRITICAL', 'MPN/100 mL'::varchar)$$,
	'mpn/100ml and '' MPN / 100 ML '' compare equal to MPN/100 mL (235 is not above 235)');

SELECT is_empty('SELECT * FROM "ViolationSkipSummary"', 'no skip was logged for convertible units');

-- Units that do not convert: counted per benchmark and normalised units in "ViolationSkipSummary".
PREPARE unconvertible AS
	INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
							  "qualifier", "result", "units") VALUES
		('x_ntu1',  910101, :'tss', '2024-06-05', '09:00', '=', 500, ' NTU '),
		('x_ntu2',  910101, :'tss', '2024-06-05', '09:00', '=', 900, 'ntu'),
		('x_tsssu', 910101, :'tss', '2024-06-05', '09:00', '=', 500, 'SU'),
		('x_kg',    910101, :'tss', '2024-06-05', '09:00', '=', 1,   'kg/L'),
		('x_phmg',  910101, :'ph', '2024-06-05', '09:00', '=', 2,   'mg/L'),
		('x_cfu',   910101, 'par_test_ecoli',   '2024-06-05', '09:00', '=', 900, 'CFU/100 mL'),
		('x_ecomg', 910101, 'par_test_ecoli',   '2024-06-05', '09:00', '=', 900, 'mg/L');
SELECT lives_ok('EXECUTE unconvertible', 'samples in units that do not convert are stored without error');

SELECT is_empty($$SELECT * FROM found WHERE sample LIKE 'x\_%'$$,
	'no violation from units that do not convert');
SELECT results_eq(
	$$SELECT "reason", "pollutantKey", "benchmarkId", "sampleUnits", "benchmarkUnits", "sampleCount"
		FROM "ViolationSkipSummary" ORDER BY 3, 4$$,
	$$VALUES ('UNITS_NOT_CONVERTIBLE', 'ECOLI', 'ECOLI:MCL:MAXIMUM:INSTANTANEOUS', 'cfu/100ml', 'MPN/100 mL', 1::bigint),
			 ('UNITS_NOT_CONVERTIBLE', 'ECOLI', 'ECOLI:MCL:MAXIMUM:INSTANTANEOUS', 'mg/l',      'MPN/100 mL', 1::bigint),
			 ('UNITS_NOT_CONVERTIBLE', 'PH',    'PH:NAL:MAXIMUM:INSTANTANEOUS',    'mg/l',      'SU',         1::bigint),
			 ('UNITS_NOT_CONVERTIBLE', 'PH',    'PH:NAL:MINIMUM:INSTANTANEOUS',    'mg/l',      'SU',         1::bigint),
			 ('UNITS_NOT_CONVERTIBLE', 'TSS',   'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE',  'kg/l',      'mg/L',       1::bigint),
			 ('UNITS_NOT_CONVERTIBLE', 'TSS',   'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE',  'ntu',       'mg/L',       2::bigint),
			 ('UNITS_NOT_CONVERTIBLE', 'TSS',   'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE',  'su',        'mg/L',       1::bigint),
			 ('UNITS_NOT_CONVERTIBLE', 'TSS',   'TSS:NAL:MAXIMUM:INSTANTANEOUS',   'kg/l',      'mg/L',       1::bigint),
			 ('UNITS_NOT_CONVERTIBLE', 'TSS',   'TSS:NAL:MAXIMUM:INSTANTANEOUS',   'ntu',       'mg/L',       2::bigint),
			 ('UNITS_NOT_CONVERTIBLE', 'TSS',   'TSS:NAL:MAXIMUM:INSTANTANEOUS',   'su',        'mg/L',       1::bigint)$$,
	'UNITS_NOT_CONVERTIBLE per benchmark with the normalised sample units; '' NTU '' and ''ntu'' counted together');
SELECT ok(
	(SELECT "exampleSampleId" FROM "ViolationSkipSummary"
	  WHERE "benchmarkId" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE' AND "sampleUnits" = 'ntu')
		IN ('x_ntu1', 'x_ntu2'),
	'the NTU log row names one of the two NTU samples as its example');
SELECT results_eq(
	$$SELECT "sampleUnits", "sampleCount"
		FROM "ViolationSkipSummary"
	   WHERE "benchmarkId" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE' ORDER BY 1$$,
	$$VALUES ('kg/l', 1::bigint), ('ntu', 2::bigint), ('su', 1::bigint)$$,
	'"ViolationSkipSummary" shows the unconvertible TSS samples');

-- A second statement with the same bad units adds to the summary.
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('x_ntu3', 910101, :'tss', '2024-06-06', '09:00', '=', 700, 'NTU');
SELECT is(
	(SELECT "sampleCount" FROM "ViolationSkipSummary"
	  WHERE "benchmarkId" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE' AND "sampleUnits" = 'ntu'),
	3::bigint, 'the summary sums the NTU samples of both statements');

-- Non-detects in unknown units are not evaluated, hence not logged either.
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('x_nd', 910101, :'tss', '2024-06-06', '09:00', 'ND', 700, 'furlongs');
SELECT is_empty($$SELECT * FROM "ViolationSkipSummary" WHERE "sampleUnits" = 'furlongs'$$,
	'a non-detect in unknown units is not logged');

-- The measured value keeps every digit through the conversion.
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('e_pg',  910101, :'tss', '2024-06-07', '09:00', '=', 123456789012.345678, 'pg/L'),
	('e_g',   910101, :'cd',  '2024-06-07', '09:00', '=', 0.000012,            'g/L');
SELECT results_eq(
	$$SELECT sample, "benchmarkId", "measuredValue", ratio, severity
		FROM found WHERE sample IN ('e_pg', 'e_g') ORDER BY 1, 2$$,
	$$VALUES ('e_g',  'CADMIUM:CCC:MAXIMUM:INSTANTANEOUS',  12::numeric,                '5.4545', 'CRITICAL'),
			 ('e_g',  'CADMIUM:CMC:MAXIMUM:INSTANTANEOUS',  12::numeric,                '2.7907', 'CRITICAL'),
			 ('e_g',  'CADMIUM:MCL:MAXIMUM:INSTANTANEOUS',  0.012::numeric,             '2.4000', 'CRITICAL'),
			 ('e_g',  'CADMIUM:NAL:MAXIMUM:ANNUAL_AVERAGE', 0.012::numeric,             '2.2642', 'CRITICAL'),
			 ('e_pg', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE',     123.456789012345678::numeric, '1.2346', 'MODERATE')$$,
	'conversions are exact: 123456789012.345678 pg/L = 123.456789012345678 mg/L; 0.000012 g/L = 12 ug/L');

\ir ../lib/aggregate_checks.psql

SELECT * FROM finish();
ROLLBACK;
