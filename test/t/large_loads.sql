-- A large load in a session that has already written a few samples into an
-- empty, vacuumed "ESMRSample" (a fresh database with a connection pool).
-- PostgreSQL's foreign-key checks keep their plans for the session; the ones
-- of "ViolationSample" and "ViolationSkip" into "ESMRSample", made while it
-- held one page, are sequential scans, and kept, would read the whole table
-- once per violation written: 20,000 samples took 48 s instead of 2 s.  The
-- writer has them planned afresh before a large write (src/aggregate.c), so
-- the load below makes (almost) no sequential scan of "ESMRSample".  Counted
-- with pg_stat_xact_user_tables, not timed.
SET client_min_messages = warning;
VACUUM ANALYZE "ESMRSample";
BEGIN;
SELECT plan(3);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss \gset
INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName") VALUES (9501, 'Large loads');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType")
VALUES (950101, 9501, 'EFF-001', 'EFFLUENT_MONITORING');

-- 20 one-row statements, each with two violations (500 mg/L TSS): the
-- foreign-key checks get their generic plans while the table is one page
SELECT format($$INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate",
	"samplingTime", "qualifier", "result", "units")
	VALUES (%L, 950101, %L, %L, '08:00', '=', 500, 'mg/L')$$,
	'll_one_' || g, :'tss', date '2024-01-01' + g)
  FROM generate_series(1, 20) g \gexec

SELECT seq_scan AS scans_before FROM pg_stat_xact_user_tables WHERE relname = 'ESMRSample' \gset
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
SELECT 'll_' || g, 950101, :'tss', date '2020-01-01' + g % 1000, '08:00', '=', 500, 'mg/L'
  FROM generate_series(1, 5000) g;
SELECT seq_scan AS scans_after FROM pg_stat_xact_user_tables WHERE relname = 'ESMRSample' \gset

SELECT is((SELECT count(*) FROM "ViolationSample" WHERE "esmrSampleId" LIKE 'll\_%'), 10040::bigint,
	'every sample of the load has its two violations');
SELECT cmp_ok(:scans_after - :scans_before, '<', 100,
	'the load''s foreign-key checks did not scan "ESMRSample" once per violation');
SELECT is_empty('SELECT * FROM violations_check_aggregates()', 'the aggregates equal their recomputation');

SELECT * FROM finish();
ROLLBACK;
