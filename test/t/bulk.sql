-- Bulk detection against an independent evaluation.
--
-- A generated, deterministic set of samples (every qualifier x 18 unit
-- spellings x one parameter of every tracked pollutant plus an untracked one,
-- spread over 4 eSMR facilities (2 linked to a Facility), 8 locations and
-- three calendar years), a COPY, and one statement that writes more violations
-- than the extension buffers at once (20,000).  "ViolationSample" and the skip
-- log must equal what the test's own pure-SQL reading of the SPEC's detection
-- rules gives (test/lib/reference.psql): its own unit normalisation and
-- conversion (CASE expressions), its own qualifier filter, an exactly rounded
-- ratio, the severity from "ViolationSeverityBand".  None of the extension's
-- functions are used there.  Turning evaluateDnq on between the loads
-- re-evaluates the DNQ samples of the first load (SPEC, "Changes after the fact").
BEGIN;
SELECT plan(21);

INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName", "region")
SELECT 8000 + f, 'Bulk plant ' || f, '5' FROM generate_series(1, 4) f;
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType")
SELECT (8000 + f) * 100 + n, 8000 + f, 'LOC-' || n,
	   CASE n WHEN 1 THEN 'EFFLUENT_MONITORING' ELSE 'STORMWATER_MONITORING' END::"ESMRLocationType"
  FROM generate_series(1, 4) f, generate_series(1, 2) n;
INSERT INTO "Facility" ("id", "name", "esmrFacilityId", "impairedWater") VALUES
	('fac_bulk_2', 'Bulk facility 2', 8002, true),
	('fac_bulk_4', 'Bulk facility 4', 8004, false);

-- ============================================================ the reference
-- ref_violation, ref_skip, actual_violation: test/lib/reference.psql.  DNQ is
-- evaluated there whenever "ViolationSettings"."evaluateDnq" is on, for every
-- sample stored (turning it on re-evaluates the DNQ samples stored before).
\ir ../lib/reference.psql

-- ============================================================ 1. INSERT ... SELECT
CREATE TEMP TABLE g_qualifier (q "ESMRQualifier", qi int);
INSERT INTO g_qualifier VALUES ('=', 1), ('<', 2), ('<=', 3), ('>', 4), ('>=', 5), ('ND', 6), ('DNQ', 7);
-- spelling, and its power of ten of g/L (NULL: pH; 99: not a unit that converts)
CREATE TEMP TABLE g_units (u text, ui int, gexp int);
INSERT INTO g_units VALUES
	('g/L', 1, 0), ('mg/L', 2, -3), ('MG/L', 3, -3), (' mg / l ', 4, -3), ('ug/L', 5, -6),
	(U&'\00B5g/L', 6, -6), (U&'\03BCg/L', 7, -6), ('mcg/L', 8, -6), ('ng/L', 9, -9), ('pg/L', 10, -12),
	('ppm', 11, -3), ('ppb', 12, -6), ('SU', 13, NULL), ('S.U.', 14, NULL), ('pH units', 15, NULL),
	('pH', 16, NULL), ('std units', 17, NULL), ('NTU', 18, 99);
-- one parameter of every tracked pollutant, and an untracked one
CREATE TEMP TABLE g_param AS
SELECT "id" AS pid, row_number() OVER (ORDER BY "canonicalKey" NULLS LAST, "id")::int AS pi, "canonicalKey" AS pk
  FROM (SELECT DISTINCT ON ("canonicalKey") * FROM "ESMRParameter"
		 WHERE "canonicalKey" IS NOT NULL ORDER BY "canonicalKey", "id") x
 UNION ALL
SELECT "id", 1000, NULL FROM "ESMRParameter" WHERE "parameterName" = 'Turbidity';

-- Two samples per qualifier x units x parameter.  The result: one of the
-- pollutant's benchmarks (cycling), expressed in the sample's units when they
-- are of the same family, times a cycling factor (below, at, just above, 2x,
-- just above 2x, ... and 0 and -1); 7 otherwise.  Every 37th result is null,
-- every 41st NaN.
CREATE TEMP TABLE g_sample AS
WITH cross_product AS (
	SELECT row_number() OVER (ORDER BY r, qi, ui, pi)::int AS k, r, q, ui, u, gexp, pi, pid, pk
	  FROM g_qualifier, g_units, g_param, generate_series(0, 1) r
), with_base AS (
	SELECT c.*,
		   (SELECT CASE WHEN c.gexp IS NULL AND b."units" = 'SU' THEN b."value"
						WHEN c.gexp IS NOT NULL AND c.gexp <> 99 AND b."units" = 'mg/L'
						THEN b."value" * power(10::numeric, -3 - c.gexp)
						WHEN c.gexp IS NOT NULL AND c.gexp <> 99 AND b."units" = 'ug/L'
						THEN b."value" * power(10::numeric, -6 - c.gexp)
						ELSE 7 END
			  FROM "PollutantBenchmark" b WHERE b."pollutantKey" = c.pk
			 ORDER BY b."id" OFFSET ((c.k + c.r) % nullif((SELECT count(*) FROM "PollutantBenchmark" b2 WHERE b2."pollutantKey" = c.pk), 0))
			 LIMIT 1) AS base
	  FROM cross_product c
)
SELECT 'b1_' || lpad(k::text, 5, '0') AS id,
	   (ARRAY[800101, 800102, 800201, 800202, 800301, 800302, 800401, 800402])[1 + (k * 5) % 8] AS loc,
	   pid, date '2023-01-01' + (k * 53) % 760 AS day, time '06:00' + (k % 600) * interval '1 minute' AS at,
	   q,
	   CASE WHEN k % 37 = 0 THEN NULL
			WHEN k % 41 = 0 THEN 'NaN'::numeric
			ELSE least(coalesce(base, 7) * (ARRAY[0.5, 1, 1.000001, 1.5, 2, 2.000001, 2.5, 3, 0, -1, 12.5])
											[1 + (ui + 5 * r + 3 * pi) % 11],
					   999999999999)::numeric(18,6) END AS result,
	   u
  FROM with_base;

SELECT is((SELECT count(*) FROM g_sample), 6804::bigint, 'generated 2 x 7 qualifiers x 18 units x 27 parameters = 6804 samples');

PREPARE generated AS
	INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
							  "qualifier", "result", "units")
	SELECT id, loc, pid, day, at, q, result, u FROM g_sample ORDER BY id;
SELECT lives_ok('EXECUTE generated', 'one INSERT ... SELECT of the 6804 generated samples');

SELECT set_eq(
	'SELECT * FROM actual_violation',
	$$SELECT sample_id, benchmark_id, measured, ratio, severity, facility_id, "facilityPlaceId", "samplingDate"
		FROM ref_violation$$,
	'INSERT ... SELECT: "ViolationSample" equals the independent evaluation');
SELECT set_eq(
	$$SELECT "reason", "pollutantKey", "benchmarkId", "sampleUnits", "benchmarkUnits", sum("sampleCount")::bigint
		FROM "ViolationSkipSummary" GROUP BY 1, 2, 3, 4, 5$$,
	'SELECT reason, pollutant_key, benchmark_id, sample_units, benchmark_units, n FROM ref_skip',
	'INSERT ... SELECT: the skip log equals the independent evaluation');

-- The generated set is not trivial: it reaches every benchmark, both sides of
-- the CRITICAL boundary, every kind of skip it can.
SELECT is((SELECT count(DISTINCT "benchmarkId") FROM "ViolationSample"), 53::bigint,
	'the generated set violates each of the 53 benchmarks');
SELECT set_eq(
	$$SELECT DISTINCT s."qualifier"::text, v."severity"::text FROM "ViolationSample" v
		JOIN "ESMRSample" s ON s."id" = v."esmrSampleId"$$,
	$$VALUES ('=', 'MODERATE'), ('=', 'CRITICAL'), ('>', 'MODERATE'), ('>', 'CRITICAL'),
			 ('>=', 'MODERATE'), ('>=', 'CRITICAL')$$,
	'violations come from =, > and >= only (DNQ is off), both MODERATE and CRITICAL');
SELECT set_eq(
	'SELECT DISTINCT "reason" FROM "ViolationSkipSummary"',
	$$VALUES ('RESULT_NOT_FINITE'), ('UNITS_NOT_CONVERTIBLE'), ('RESULT_NOT_POSITIVE')$$,
	'the generated set produces NaN, unit and non-positive skips');
SELECT ok((SELECT count(*) FROM "ViolationSample") > 1500,
	'the generated set produces more than 1500 violations');

-- ============================================================ 2. COPY, with DNQ evaluated
CREATE TEMP TABLE before_dnq AS SELECT "id", "esmrSampleId", "benchmarkId" FROM "ViolationSample";
UPDATE "ViolationSettings" SET "evaluateDnq" = true;

-- Turning DNQ evaluation on evaluates the DNQ samples already stored, and
-- leaves every other violation as it was (same ids).
SELECT ok((SELECT count(*) FROM "ViolationSample" v JOIN "ESMRSample" s ON s."id" = v."esmrSampleId"
			WHERE s."qualifier" = 'DNQ' AND s."id" LIKE 'b1\_%') > 100,
	'evaluateDnq on: the DNQ samples of the first load now make violations (more than 100)');
SELECT set_eq(
	$$SELECT v."id", v."esmrSampleId", v."benchmarkId" FROM "ViolationSample" v
		JOIN "ESMRSample" s ON s."id" = v."esmrSampleId" WHERE s."qualifier" <> 'DNQ'$$,
	'SELECT * FROM before_dnq',
	'evaluateDnq on: the violations of the other qualifiers keep their ids');

-- Parameter ids of the COPY data below ('par_' || substr(md5(parameterName), 1, 12)).
SELECT results_eq(
	$$SELECT "id", "parameterName" FROM "ESMRParameter"
	   WHERE "id" IN ('par_0c1c8dade145', 'par_397dff207259', 'par_7ac32b8695bf', 'par_41dc7912705b',
					  'par_6d6529deb5a8') ORDER BY 1$$,
	$$VALUES ('par_0c1c8dade145', 'Total Suspended Solids (TSS)'), ('par_397dff207259', 'pH'),
			 ('par_41dc7912705b', 'Cadmium, Total'), ('par_6d6529deb5a8', 'Turbidity'),
			 ('par_7ac32b8695bf', 'Copper, Total')$$,
	'(the parameter ids used by the COPY data)');

COPY "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units") FROM STDIN;
c_001	800101	par_0c1c8dade145	2024-02-01	08:00	=	150	mg/L
c_002	800201	par_0c1c8dade145	2024-02-01	08:00	DNQ	450	MG/L
c_003	800301	par_0c1c8dade145	2024-02-29	08:00	>	0.5	g/L
c_004	800401	par_0c1c8dade145	2024-03-01	08:00	>=	120000	µg/L
c_005	800102	par_0c1c8dade145	2024-03-02	08:00	<	999	mg/L
c_006	800202	par_0c1c8dade145	2024-03-03	08:00	ND	999	mg/L
c_007	800302	par_0c1c8dade145	2024-03-04	08:00	=	\N	mg/L
c_008	800402	par_0c1c8dade145	2024-03-05	08:00	=	NaN	mg/L
c_009	800101	par_397dff207259	2024-12-31	08:00	=	5.5	S.U.
c_010	800101	par_397dff207259	2025-01-01	08:00	DNQ	4	pH units
c_011	800201	par_397dff207259	2025-01-02	08:00	>	10	std units
c_012	800201	par_397dff207259	2025-01-03	08:00	=	0	SU
c_013	800301	par_397dff207259	2025-01-04	08:00	=	7	pH
c_014	800301	par_7ac32b8695bf	2025-02-01	08:00	=	25	ug/L
c_015	800401	par_7ac32b8695bf	2025-02-02	08:00	=	0.04	ppm
c_016	800401	par_41dc7912705b	2025-02-03	08:00	=	3000	ng/L
c_017	800102	par_41dc7912705b	2025-02-04	08:00	=	6000000	pg/L
c_018	800202	par_41dc7912705b	2025-02-05	08:00	DNQ	0.006	mg/L
c_019	800302	par_6d6529deb5a8	2025-02-06	08:00	=	500	NTU
c_020	800402	par_0c1c8dade145	2025-02-07	08:00	=	300	NTU
c_021	800101	par_0c1c8dade145	2025-02-08	08:00	=	150	 mg / l 
c_022	800201	par_0c1c8dade145	2025-02-09	08:00	=	200	mg/L
c_023	800301	par_397dff207259	2025-02-10	08:00	=	6	SU
c_024	800401	par_0c1c8dade145	2025-02-11	08:00	=	200.001	mg/L
c_025	800102	par_397dff207259	2025-02-12	08:00	=	-2	SU
c_026	800202	par_7ac32b8695bf	2025-02-13	08:00	DNQ	9.000001	μg/L
c_027	800302	par_7ac32b8695bf	2025-02-14	08:00	>	1.3	mg/L
c_028	800402	par_7ac32b8695bf	2025-02-15	08:00	>=	1300.000001	mcg/L
c_029	800101	par_397dff207259	2025-02-16	08:00	DNQ	NaN	SU
c_030	800201	par_397dff207259	2025-02-17	08:00	<	1	SU
\.

SELECT set_eq(
	'SELECT * FROM actual_violation',
	$$SELECT sample_id, benchmark_id, measured, ratio, severity, facility_id, "facilityPlaceId", "samplingDate"
		FROM ref_violation$$,
	'COPY: "ViolationSample" still equals the independent evaluation (DNQ samples of both loads evaluated)');
SELECT set_eq(
	$$SELECT "reason", "pollutantKey", "benchmarkId", "sampleUnits", "benchmarkUnits", sum("sampleCount")::bigint
		FROM "ViolationSkipSummary" GROUP BY 1, 2, 3, 4, 5$$,
	'SELECT reason, pollutant_key, benchmark_id, sample_units, benchmark_units, n FROM ref_skip',
	'COPY: the skip log still equals the independent evaluation');
SELECT results_eq(
	$$SELECT "esmrSampleId", "benchmarkId", "measuredValue", "exceedanceRatio"::text, "severity"::text, "facilityId"
		FROM "ViolationSample" WHERE "esmrSampleId" IN ('c_002', 'c_010', 'c_018', 'c_026') ORDER BY 1, 2$$,
	$$VALUES ('c_002', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE',    450::numeric,      '4.5000', 'CRITICAL', 'fac_bulk_2'),
			 ('c_002', 'TSS:NAL:MAXIMUM:INSTANTANEOUS',     450::numeric,      '1.1250', 'MODERATE', 'fac_bulk_2'),
			 ('c_010', 'PH:NAL:MINIMUM:INSTANTANEOUS',      4::numeric,        '1.5000', 'MODERATE', NULL),
			 ('c_018', 'CADMIUM:CCC:MAXIMUM:INSTANTANEOUS', 6::numeric,        '2.7273', 'CRITICAL', 'fac_bulk_2'),
			 ('c_018', 'CADMIUM:CMC:MAXIMUM:INSTANTANEOUS', 6::numeric,        '1.3953', 'MODERATE', 'fac_bulk_2'),
			 ('c_018', 'CADMIUM:MCL:MAXIMUM:INSTANTANEOUS', 0.006::numeric,    '1.2000', 'MODERATE', 'fac_bulk_2'),
			 ('c_018', 'CADMIUM:NAL:MAXIMUM:ANNUAL_AVERAGE', 0.006::numeric,   '1.1321', 'MODERATE', 'fac_bulk_2'),
			 ('c_026', 'COPPER:CCC:MAXIMUM:INSTANTANEOUS',  9.000001::numeric, '1.0000', 'MODERATE', 'fac_bulk_2')$$,
	'COPY: the DNQ rows are evaluated (hand-computed)');

-- ============================================================ 3. more violations than one chunk
-- 12000 TSS samples: 3000 at 150 mg/L (1 violation), 9000 at 500 mg/L (2): 21000 violations.
PREPARE big AS
	INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
							  "qualifier", "result", "units")
	SELECT 'd_' || lpad(j::text, 5, '0'), CASE WHEN j % 2 = 0 THEN 800101 ELSE 800201 END,
		   'par_0c1c8dade145', date '2024-01-01' + j % 500, '12:00', '=',
		   CASE WHEN j % 4 = 0 THEN 150 ELSE 500 END, 'mg/L'
	  FROM generate_series(1, 12000) j;
SELECT lives_ok('EXECUTE big', 'one INSERT of 12000 samples making 21000 violations');
SELECT is((SELECT count(*) FROM "ViolationSample" WHERE "esmrSampleId" LIKE 'd\_%'), 21000::bigint,
	'21000 violations written across the chunk boundary');
SELECT set_eq(
	'SELECT * FROM actual_violation',
	$$SELECT sample_id, benchmark_id, measured, ratio, severity, facility_id, "facilityPlaceId", "samplingDate"
		FROM ref_violation$$,
	'after all loads: "ViolationSample" equals the independent evaluation');

\ir ../lib/aggregate_checks.psql

SELECT * FROM finish();
ROLLBACK;
