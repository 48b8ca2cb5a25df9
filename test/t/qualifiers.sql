-- Detection rule 1 (qualifiers): "=" is a measured value; ">" and ">=" count
-- against MAXIMUM benchmarks only; "<", "<=" and "ND" never violate; "DNQ" only
-- when "ViolationSettings"."evaluateDnq" is on (turning it on or off
-- re-evaluates the DNQ samples already stored); a null result is never
-- evaluated; a NaN result is skipped and logged, never raised.
--
-- Benchmarks used (data/benchmarks.csv):
--   TSS:NAL:MAXIMUM:ANNUAL_AVERAGE  100 mg/L    TSS:NAL:MAXIMUM:INSTANTANEOUS 400 mg/L
--   PH:NAL:MINIMUM:INSTANTANEOUS    6.0 SU      PH:NAL:MAXIMUM:INSTANTANEOUS  9.0 SU
BEGIN;
SELECT plan(32);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss,
	   'par_' || substr(md5('pH'), 1, 12) AS ph \gset

INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName", "region")
VALUES (9001, 'Qualifier Test Plant', '2');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType")
VALUES (900101, 9001, 'EFF-001', 'EFFLUENT_MONITORING');

-- What a sample turned into, with the reporting year of its event.
CREATE TEMP VIEW found AS
SELECT v."esmrSampleId" AS sample, v."benchmarkId", v."measuredValue",
	   v."exceedanceRatio"::text AS ratio, v."severity"::text AS severity,
	   v."facilityId", v."facilityPlaceId", e."reportingYear"
  FROM "ViolationSample" v
  JOIN "ViolationEvent" e ON e."id" = v."eventId";

SELECT is((SELECT "evaluateDnq" FROM "ViolationSettings"), false, 'DNQ is off by default');

PREPARE every_qualifier AS
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('q_eq',         900101, :'tss', '2024-02-10', '08:00', '=',   150, 'mg/L'),
	('q_eq_both',    900101, :'tss', '2024-03-15', '08:00', '=',   500, 'mg/L'),
	('q_lt',         900101, :'tss', '2024-03-15', '08:00', '<',   500, 'mg/L'),
	('q_le',         900101, :'tss', '2024-03-15', '08:00', '<=',  500, 'mg/L'),
	('q_nd',         900101, :'tss', '2024-03-15', '08:00', 'ND',  500, 'mg/L'),
	('q_gt',         900101, :'tss', '2024-05-01', '08:00', '>',   250, 'mg/L'),
	('q_ge',         900101, :'tss', '2024-01-20', '08:00', '>=',  120, 'mg/L'),
	('q_dnq_off',    900101, :'tss', '2024-03-15', '08:00', 'DNQ', 300, 'mg/L'),
	('q_null',       900101, :'tss', '2024-03-15', '08:00', '=',   NULL, 'mg/L'),
	('q_ph_eq_low',  900101, :'ph' , '2024-04-04', '08:00', '=',   5.0, 'SU'),
	('q_ph_gt_low',  900101, :'ph' , '2024-04-04', '08:00', '>',   5.0, 'SU'),
	('q_ph_ge_low',  900101, :'ph' , '2024-04-04', '08:00', '>=',  5.0, 'SU'),
	('q_ph_gt_zero', 900101, :'ph' , '2024-04-04', '08:00', '>',   0,   'SU'),
	('q_ph_gt_high', 900101, :'ph' , '2024-04-05', '08:00', '>',   9.5, 'SU');
SELECT lives_ok('EXECUTE every_qualifier', 'a multi-row INSERT of every qualifier succeeds');

-- '=' : a measured value, against every benchmark of the pollutant
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity, "facilityId", "facilityPlaceId", "reportingYear"
		FROM found WHERE sample = 'q_eq' ORDER BY 1$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 150::numeric, '1.5000', 'MODERATE', NULL::text, 9001, '2024')$$,
	'= 150 mg/L: exceeds the 100 mg/L NAL (1.5000, MODERATE), not the 400 mg/L one');
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity, "facilityId", "facilityPlaceId", "reportingYear"
		FROM found WHERE sample = 'q_eq_both' ORDER BY 1$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 500::numeric, '5.0000', 'CRITICAL', NULL::text, 9001, '2024'),
			 ('TSS:NAL:MAXIMUM:INSTANTANEOUS',  500::numeric, '1.2500', 'MODERATE', NULL::text, 9001, '2024')$$,
	'= 500 mg/L: exceeds both TSS NALs (5.0000 CRITICAL, 1.2500 MODERATE)');

-- '<', '<=', 'ND': non-detects never violate
SELECT is_empty($$SELECT * FROM found WHERE sample = 'q_lt'$$, '< 500 mg/L is a non-detect: no violation');
SELECT is_empty($$SELECT * FROM found WHERE sample = 'q_le'$$, '<= 500 mg/L is a non-detect: no violation');
SELECT is_empty($$SELECT * FROM found WHERE sample = 'q_nd'$$, 'ND 500 mg/L is a non-detect: no violation');

-- '>', '>=': the true value is at least the result: counts against MAXIMUM
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity, "facilityId", "facilityPlaceId", "reportingYear"
		FROM found WHERE sample = 'q_gt' ORDER BY 1$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 250::numeric, '2.5000', 'CRITICAL', NULL::text, 9001, '2024')$$,
	'> 250 mg/L counts against the MAXIMUM benchmark (2.5000, CRITICAL)');
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity, "facilityId", "facilityPlaceId", "reportingYear"
		FROM found WHERE sample = 'q_ge' ORDER BY 1$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 120::numeric, '1.2000', 'MODERATE', NULL::text, 9001, '2024')$$,
	'>= 120 mg/L counts against the MAXIMUM benchmark (1.2000, MODERATE)');

-- ... and never against a MINIMUM: pH 6.0 is a lower bound
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity, "facilityId", "facilityPlaceId", "reportingYear"
		FROM found WHERE sample = 'q_ph_eq_low' ORDER BY 1$$,
	$$VALUES ('PH:NAL:MINIMUM:INSTANTANEOUS', 5.0::numeric, '1.2000', 'MODERATE', NULL::text, 9001, '2024')$$,
	'= pH 5.0 violates the pH 6.0 MINIMUM (6.0 / 5.0 = 1.2000)');
SELECT is_empty($$SELECT * FROM found WHERE sample = 'q_ph_gt_low'$$,
	'> pH 5.0 never counts against the pH MINIMUM');
SELECT is_empty($$SELECT * FROM found WHERE sample = 'q_ph_ge_low'$$,
	'>= pH 5.0 never counts against the pH MINIMUM');
SELECT is_empty($$SELECT * FROM found WHERE sample = 'q_ph_gt_zero'$$,
	'> pH 0 never counts against the pH MINIMUM');
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity, "facilityId", "facilityPlaceId", "reportingYear"
		FROM found WHERE sample = 'q_ph_gt_high' ORDER BY 1$$,
	$$VALUES ('PH:NAL:MAXIMUM:INSTANTANEOUS', 9.5::numeric, '1.0556', 'MODERATE', NULL::text, 9001, '2024')$$,
	'> pH 9.5 counts against the pH 9.0 MAXIMUM only (9.5 / 9 = 1.0556)');

-- DNQ, setting off (the default)
SELECT is_empty($$SELECT * FROM found WHERE sample = 'q_dnq_off'$$,
	'DNQ 300 mg/L is not evaluated while evaluateDnq is off');

-- null result
SELECT is_empty($$SELECT * FROM found WHERE sample = 'q_null'$$, 'a null result is never evaluated');

-- NaN result: skipped and logged, the insert succeeds
PREPARE nan_sample AS
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('q_nan', 900101, :'tss', '2024-03-15', '08:00', '=', 'NaN', 'mg/L');
SELECT lives_ok('EXECUTE nan_sample', 'inserting a NaN result succeeds');
SELECT is((SELECT count(*) FROM "ESMRSample" WHERE "id" = 'q_nan'), 1::bigint, 'the NaN sample is stored');
SELECT is_empty($$SELECT * FROM found WHERE sample = 'q_nan'$$, 'a NaN result makes no violation');

-- The skip summary holds the NaN sample and nothing else: no row for the null
-- result, and none for '>' pH 0 (a '>' result is never compared with a MINIMUM,
-- so it is not a RESULT_NOT_POSITIVE either).
SELECT results_eq(
	$$SELECT "reason", "pollutantKey", "benchmarkId", "sampleUnits", "benchmarkUnits",
			 "sampleCount", "exampleSampleId"
		FROM "ViolationSkipSummary" ORDER BY 1, 3$$,
	$$VALUES ('RESULT_NOT_FINITE', 'TSS', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'mg/l', 'mg/L', 1::bigint, 'q_nan'),
			 ('RESULT_NOT_FINITE', 'TSS', 'TSS:NAL:MAXIMUM:INSTANTANEOUS',  'mg/l', 'mg/L', 1::bigint, 'q_nan')$$,
	'the skip summary holds exactly the NaN sample, as RESULT_NOT_FINITE against each TSS benchmark');

-- DNQ, setting on: seen by the next statement of the same transaction
UPDATE "ViolationSettings" SET "evaluateDnq" = true;

INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('q_dnq_on', 900101, :'tss', '2024-08-31', '08:00', 'DNQ', 300, 'mg/L'),
	('q_dnq_ph', 900101, :'ph',  '2024-09-09', '08:00', 'DNQ', 5.5, 'S.U.'),
	('q_lt_on',  900101, :'tss', '2024-08-31', '08:00', '<',   300, 'mg/L');

SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity, "facilityId", "facilityPlaceId", "reportingYear"
		FROM found WHERE sample = 'q_dnq_on' ORDER BY 1$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 300::numeric, '3.0000', 'CRITICAL', NULL::text, 9001, '2024')$$,
	'DNQ 300 mg/L is evaluated once evaluateDnq is on (3.0000, CRITICAL)');
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity, "facilityId", "facilityPlaceId", "reportingYear"
		FROM found WHERE sample = 'q_dnq_ph' ORDER BY 1$$,
	$$VALUES ('PH:NAL:MINIMUM:INSTANTANEOUS', 5.5::numeric, '1.0909', 'MODERATE', NULL::text, 9001, '2024')$$,
	'DNQ pH 5.5 counts against the MINIMUM too when evaluated (6 / 5.5 = 1.0909)');
SELECT is_empty($$SELECT * FROM found WHERE sample = 'q_lt_on'$$,
	'evaluateDnq does not make < count');
SELECT results_eq(
	$$SELECT "benchmarkId", "measuredValue", ratio, severity, "facilityId", "facilityPlaceId", "reportingYear"
		FROM found WHERE sample = 'q_dnq_off' ORDER BY 1$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 300::numeric, '3.0000', 'CRITICAL', NULL::text, 9001, '2024')$$,
	'turning evaluateDnq on evaluates the DNQ 300 mg/L sample stored before (3.0000, CRITICAL)');

-- DNQ, setting off again
UPDATE "ViolationSettings" SET "evaluateDnq" = false;
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('q_dnq_off2', 900101, :'tss', '2024-08-31', '08:00', 'DNQ', 300, 'mg/L');
SELECT is_empty($$SELECT * FROM found WHERE sample = 'q_dnq_off2'$$,
	'DNQ is ignored again once evaluateDnq is turned back off');
SELECT is_empty($$SELECT * FROM found WHERE sample IN ('q_dnq_off', 'q_dnq_on', 'q_dnq_ph')$$,
	'turning evaluateDnq off removes the violations of the DNQ samples (q_dnq_off, q_dnq_on, q_dnq_ph)');

-- Nothing else was found: exactly the violations asserted above.
SELECT set_eq(
	$$SELECT sample, "benchmarkId" FROM found$$,
	$$VALUES ('q_eq', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'),
			 ('q_eq_both', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'),
			 ('q_eq_both', 'TSS:NAL:MAXIMUM:INSTANTANEOUS'),
			 ('q_gt', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'),
			 ('q_ge', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE'),
			 ('q_ph_eq_low', 'PH:NAL:MINIMUM:INSTANTANEOUS'),
			 ('q_ph_gt_high', 'PH:NAL:MAXIMUM:INSTANTANEOUS')$$,
	'exactly the expected (sample, benchmark) violations exist');

-- The two events, hand-computed.
SELECT results_eq(
	$$SELECT "pollutant", "reportingYear", "facilityId", "facilityPlaceId", "count", "firstDate",
			 "lastDate", "maxRatio"::text, "openCount", "moderateCount", "criticalCount",
			 "maxSeverity"::text, "impairedWater"
		FROM "ViolationEvent" ORDER BY 1$$,
	$$VALUES ('PH', '2024', NULL::text, 9001, 2, '2024-04-04'::date, '2024-04-05'::date, '1.2000',
			  2, 2, 0, 'MODERATE', false),
			 ('TSS', '2024', NULL::text, 9001, 5, '2024-01-20'::date, '2024-05-01'::date, '5.0000',
			  5, 3, 2, 'CRITICAL', false)$$,
	'events (DNQ off again): PH 2 violations (max 1.2000), TSS 5 violations (max 5.0000, 2 CRITICAL), last dates without the DNQ samples');

\ir ../lib/aggregate_checks.psql

SELECT * FROM finish();
ROLLBACK;
