-- Objects planted earlier in the search_path change nothing: every function
-- of the extension runs with search_path = pg_catalog, <its schema>, pg_temp.
-- The planted unnest() returns no rows, the planted text = operator says
-- false and the planted integer + gives 0; were any picked up, detection
-- would write nothing or count wrong, and re-evaluation would lose violations.  (The writes run under the
-- planted search_path; the assertions after it is reset, since pgTAP's own
-- functions would resolve the planted objects too.)
BEGIN;
SELECT plan(7);

CREATE SCHEMA planted;
CREATE FUNCTION planted.unnest(anyarray) RETURNS SETOF anyelement
	LANGUAGE plpgsql AS 'BEGIN RETURN; END';
CREATE FUNCTION planted.text_eq_false(text, text) RETURNS boolean
	LANGUAGE sql AS 'SELECT false';
CREATE OPERATOR planted.= (LEFTARG = text, RIGHTARG = text, FUNCTION = planted.text_eq_false);
CREATE FUNCTION planted.int_plus_zero(integer, integer) RETURNS integer
	LANGUAGE sql AS 'SELECT 0';
CREATE OPERATOR planted.+ (LEFTARG = integer, RIGHTARG = integer, FUNCTION = planted.int_plus_zero);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss \gset
INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName") VALUES (9901, 'Planted');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType")
VALUES (990101, 9901, 'EFF-001', 'EFFLUENT_MONITORING');

SET LOCAL search_path = planted, pg_catalog, public;
CREATE TEMP TABLE probe AS SELECT count(*) AS n FROM unnest(ARRAY[1, 2]);
-- TSS 500 mg/L: annual NAL 100 (5.0, CRITICAL) and instantaneous NAL 400 (1.25)
INSERT INTO public."ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate",
	"samplingTime", "qualifier", "result", "units")
VALUES ('sp_1', 990101, :'tss', '2024-02-01', '08:00', '=', 500, 'mg/L');
CREATE TEMP TABLE after_insert AS
SELECT "benchmarkId", "exceedanceRatio", "severity"::text AS severity
  FROM public."ViolationSample" WHERE "esmrSampleId" OPERATOR(pg_catalog.=) 'sp_1';
-- TSS 150 mg/L, another statement: the event's counts are added to (e.count + excluded.count)
INSERT INTO public."ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate",
	"samplingTime", "qualifier", "result", "units")
VALUES ('sp_2', 990101, :'tss', '2024-03-01', '08:00', '=', 150, 'mg/L');
CREATE TEMP TABLE event_after AS
SELECT "count", "criticalCount", "moderateCount" FROM public."ViolationEvent"
 WHERE "facilityPlaceId" OPERATOR(pg_catalog.=) 9901;
UPDATE public."ESMRSample" SET "result" = 450 WHERE "id" OPERATOR(pg_catalog.=) 'sp_1';
UPDATE public."ViolationSample" SET "status" = 'UNDER_REVIEW'
 WHERE "esmrSampleId" OPERATOR(pg_catalog.=) ANY (ARRAY['sp_1', 'sp_2']);
RESET search_path;

SELECT is((SELECT n FROM probe), 0::bigint,
	'the planted unnest() is what the session resolved');
SELECT results_eq(
	'SELECT * FROM after_insert ORDER BY 1',
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 5.0000::numeric, 'CRITICAL'),
			 ('TSS:NAL:MAXIMUM:INSTANTANEOUS', 1.2500, 'MODERATE')$$,
	'detection wrote both violations despite the planted unnest and =');
SELECT results_eq('SELECT * FROM event_after', $$VALUES (3, 1, 2)$$,
	'a second statement added to the event''s counts with the real integer +');
SELECT results_eq(
	$$SELECT "benchmarkId", "exceedanceRatio" FROM "ViolationSample"
	   WHERE "esmrSampleId" = 'sp_1' ORDER BY 1$$,
	$$VALUES ('TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 4.5000::numeric),
			 ('TSS:NAL:MAXIMUM:INSTANTANEOUS', 1.1250)$$,
	're-evaluation after an UPDATE was unaffected');
SELECT is((SELECT count(*) FROM "ViolationStatusHistory" h
			JOIN "ViolationSample" v ON v."id" = h."violationId"
		   WHERE v."esmrSampleId" IN ('sp_1', 'sp_2')), 3::bigint,
	'the status change was recorded for the three violations');
SELECT is((SELECT "underReviewCount" FROM "ViolationEvent" WHERE "facilityPlaceId" = 9901), 3,
	'and counted in the event');
SELECT is_empty('SELECT * FROM violations_check_aggregates()',
	'the aggregates equal their recomputation');

SELECT * FROM finish();
ROLLBACK;
