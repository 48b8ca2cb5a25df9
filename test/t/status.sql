-- The status workflow (SPEC "Changes after the fact"; issue 3, 5):
--   OPEN -> UNDER_REVIEW -> RESOLVED; DISMISSED from OPEN or UNDER_REVIEW;
--   reopening RESOLVED or DISMISSED -> OPEN.  Any other change fails with
--   SQLSTATE VI001 and a message naming both states.  A plain UPDATE of
--   "status" (what Prisma's update sends) and violations_set_status(id,
--   status, note) go through the same check; each change is stamped
--   (statusChangedAt), kept in "ViolationStatusHistory" (from, to, when, who:
--   the setting violations.user or the role, note) and moves the per-status
--   counts of "ViolationEvent" and "ViolationMonthly" at once.
BEGIN;
SELECT plan(65);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss,
	   'par_' || substr(md5('pH'), 1, 12) AS ph \gset

\ir ../lib/reference.psql

INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName") VALUES (9801, 'Status A'), (9802, 'Status bulk');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType") VALUES
	(980101, 9801, 'EFF-001', 'EFFLUENT_MONITORING'),
	(980201, 9802, 'EFF-001', 'EFFLUENT_MONITORING');

-- Six TSS violations (150 mg/L: 1.5 x the annual NAL), three in January, three
-- in February: one event, two months.  Two pH violations (5.0 SU) in March.
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('st_1', 980101, :'tss', '2024-01-10', '08:00', '=', 150, 'mg/L'),
	('st_2', 980101, :'tss', '2024-01-11', '08:00', '=', 150, 'mg/L'),
	('st_3', 980101, :'tss', '2024-01-12', '08:00', '=', 150, 'mg/L'),
	('st_4', 980101, :'tss', '2024-02-10', '08:00', '=', 150, 'mg/L'),
	('st_5', 980101, :'tss', '2024-02-11', '08:00', '=', 150, 'mg/L'),
	('st_6', 980101, :'tss', '2024-02-12', '08:00', '=', 150, 'mg/L'),
	('ph_1', 980101, :'ph',  '2024-03-01', '08:00', '=', 5.0, 'SU'),
	('ph_2', 980101, :'ph',  '2024-03-02', '08:00', '=', 5.0, 'SU');

-- id of the violation of a sample
CREATE FUNCTION pg_temp.v(sample text) RETURNS text
LANGUAGE sql STABLE AS $$ SELECT "id" FROM "ViolationSample" WHERE "esmrSampleId" = sample $$;

-- An old stamp on every violation, so that a new one shows.
CREATE FUNCTION pg_temp.unstamp() RETURNS void
LANGUAGE sql AS $$ UPDATE "ViolationSample" SET "statusChangedAt" = '2000-01-01' $$;

-- open/underReview/resolved/dismissed of a count row
CREATE FUNCTION pg_temp.c(o int, u int, r int, d int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT o || '/' || u || '/' || r || '/' || d $$;

-- After a change of one violation: its status, whether it was stamped now,
-- the counts of the TSS event and of January and February.
CREATE FUNCTION pg_temp.after(sample text)
RETURNS TABLE (status text, stamped boolean, event text, jan text, feb text)
LANGUAGE sql STABLE AS $$
	SELECT v."status"::text, v."statusChangedAt" BETWEEN CURRENT_TIMESTAMP::timestamp(3) AND clock_timestamp()::timestamp(3),
		   (SELECT pg_temp.c(e."openCount", e."underReviewCount", e."resolvedCount", e."dismissedCount")
			  FROM "ViolationEvent" e WHERE e."facilityPlaceId" = 9801 AND e."pollutant" = 'TSS'),
		   (SELECT pg_temp.c(m."openCount", m."underReviewCount", m."resolvedCount", m."dismissedCount")
			  FROM "ViolationMonthly" m JOIN "ViolationEvent" e ON e."id" = m."eventId"
			 WHERE e."facilityPlaceId" = 9801 AND e."pollutant" = 'TSS' AND m."month" = '2024-01-01'),
		   (SELECT pg_temp.c(m."openCount", m."underReviewCount", m."resolvedCount", m."dismissedCount")
			  FROM "ViolationMonthly" m JOIN "ViolationEvent" e ON e."id" = m."eventId"
			 WHERE e."facilityPlaceId" = 9801 AND e."pollutant" = 'TSS' AND m."month" = '2024-02-01')
	  FROM "ViolationSample" v WHERE v."esmrSampleId" = sample
$$;

SELECT results_eq('SELECT * FROM pg_temp.after(''st_1'')',
	$$VALUES ('OPEN', true, '6/0/0/0', '3/0/0/0', '3/0/0/0')$$,
	'a new violation is OPEN, stamped at its insert; the event counts 6 OPEN, January and February 3 each');

-- ============================================================ legal transitions, plain UPDATE
SELECT pg_temp.unstamp();
UPDATE "ViolationSample" SET "status" = 'UNDER_REVIEW' WHERE "id" = pg_temp.v('st_1');
SELECT results_eq('SELECT * FROM pg_temp.after(''st_1'')',
	$$VALUES ('UNDER_REVIEW', true, '5/1/0/0', '2/1/0/0', '3/0/0/0')$$,
	'UPDATE OPEN -> UNDER_REVIEW: stamped; event and January move one from OPEN to UNDER_REVIEW');

SELECT pg_temp.unstamp();
UPDATE "ViolationSample" SET "status" = 'RESOLVED' WHERE "id" = pg_temp.v('st_1');
SELECT results_eq('SELECT * FROM pg_temp.after(''st_1'')',
	$$VALUES ('RESOLVED', true, '5/0/1/0', '2/0/1/0', '3/0/0/0')$$,
	'UPDATE UNDER_REVIEW -> RESOLVED');

SELECT pg_temp.unstamp();
UPDATE "ViolationSample" SET "status" = 'OPEN' WHERE "id" = pg_temp.v('st_1');
SELECT results_eq('SELECT * FROM pg_temp.after(''st_1'')',
	$$VALUES ('OPEN', true, '6/0/0/0', '3/0/0/0', '3/0/0/0')$$,
	'UPDATE RESOLVED -> OPEN (reopened)');

SET LOCAL violations."user" = 'reviewer@app.example';
SELECT pg_temp.unstamp();
UPDATE "ViolationSample" SET "status" = 'DISMISSED' WHERE "id" = pg_temp.v('st_2');
SELECT results_eq('SELECT * FROM pg_temp.after(''st_2'')',
	$$VALUES ('DISMISSED', true, '5/0/0/1', '2/0/0/1', '3/0/0/0')$$,
	'UPDATE OPEN -> DISMISSED');

SELECT pg_temp.unstamp();
UPDATE "ViolationSample" SET "status" = 'OPEN' WHERE "id" = pg_temp.v('st_2');
SELECT results_eq('SELECT * FROM pg_temp.after(''st_2'')',
	$$VALUES ('OPEN', true, '6/0/0/0', '3/0/0/0', '3/0/0/0')$$,
	'UPDATE DISMISSED -> OPEN (reopened)');
RESET violations."user";

SELECT pg_temp.unstamp();
UPDATE "ViolationSample" SET "status" = 'UNDER_REVIEW' WHERE "id" = pg_temp.v('st_3');
UPDATE "ViolationSample" SET "status" = 'DISMISSED' WHERE "id" = pg_temp.v('st_3');
SELECT results_eq('SELECT * FROM pg_temp.after(''st_3'')',
	$$VALUES ('DISMISSED', true, '5/0/0/1', '2/0/0/1', '3/0/0/0')$$,
	'UPDATE OPEN -> UNDER_REVIEW -> DISMISSED');

-- the same status again: no change, no stamp, no history
SELECT pg_temp.unstamp();
UPDATE "ViolationSample" SET "status" = 'OPEN' WHERE "id" = pg_temp.v('st_1');
SELECT results_eq('SELECT * FROM pg_temp.after(''st_1'')',
	$$VALUES ('OPEN', false, '5/0/0/1', '2/0/0/1', '3/0/0/0')$$,
	'UPDATE OPEN -> OPEN is no transition: not stamped, counts unchanged');
SELECT * FROM pg_temp.check_all('after plain UPDATEs');

-- ============================================================ legal transitions, violations_set_status
SELECT pg_temp.unstamp();
SELECT results_eq(
	$$SELECT "esmrSampleId", "status"::text FROM violations_set_status(pg_temp.v('st_4'), 'UNDER_REVIEW', 'asked the lab')$$,
	$$VALUES ('st_4', 'UNDER_REVIEW')$$,
	'violations_set_status returns the changed violation');
SELECT results_eq('SELECT * FROM pg_temp.after(''st_4'')',
	$$VALUES ('UNDER_REVIEW', true, '4/1/0/1', '2/0/0/1', '2/1/0/0')$$,
	'violations_set_status OPEN -> UNDER_REVIEW: stamped; event and February move');

SELECT pg_temp.unstamp();
SELECT violations_set_status(pg_temp.v('st_4'), 'RESOLVED', 'lab confirmed, fixed');
SELECT results_eq('SELECT * FROM pg_temp.after(''st_4'')',
	$$VALUES ('RESOLVED', true, '4/0/1/1', '2/0/0/1', '2/0/1/0')$$,
	'violations_set_status UNDER_REVIEW -> RESOLVED');

SELECT pg_temp.unstamp();
SELECT violations_set_status(pg_temp.v('st_4'), 'OPEN', 'happened again');
SELECT results_eq('SELECT * FROM pg_temp.after(''st_4'')',
	$$VALUES ('OPEN', true, '5/0/0/1', '2/0/0/1', '3/0/0/0')$$,
	'violations_set_status RESOLVED -> OPEN');

SET LOCAL violations."user" = 'manager@app.example';
SELECT pg_temp.unstamp();
SELECT violations_set_status(pg_temp.v('st_5'), 'DISMISSED', 'sampling error');
SELECT results_eq('SELECT * FROM pg_temp.after(''st_5'')',
	$$VALUES ('DISMISSED', true, '4/0/0/2', '2/0/0/1', '2/0/0/1')$$,
	'violations_set_status OPEN -> DISMISSED');

SELECT pg_temp.unstamp();
SELECT violations_set_status(pg_temp.v('st_5'), 'OPEN', NULL);
SELECT results_eq('SELECT * FROM pg_temp.after(''st_5'')',
	$$VALUES ('OPEN', true, '5/0/0/1', '2/0/0/1', '3/0/0/0')$$,
	'violations_set_status DISMISSED -> OPEN (no note)');
RESET violations."user";

SELECT pg_temp.unstamp();
SELECT violations_set_status(pg_temp.v('st_6'), 'UNDER_REVIEW', 'looking');
SELECT violations_set_status(pg_temp.v('st_6'), 'DISMISSED', 'duplicate');
SELECT results_eq('SELECT * FROM pg_temp.after(''st_6'')',
	$$VALUES ('DISMISSED', true, '4/0/0/2', '2/0/0/1', '2/0/0/1')$$,
	'violations_set_status OPEN -> UNDER_REVIEW -> DISMISSED');

SELECT throws_ok(
	$$SELECT violations_set_status('no such violation', 'UNDER_REVIEW', 'x')$$,
	'P0002', 'violation "no such violation" does not exist',
	'violations_set_status of an unknown violation fails with P0002');

-- ============================================================ the history
SELECT bag_eq(
	$$SELECT v."esmrSampleId" AS violation_of, h."esmrSampleId", h."fromStatus"::text, h."toStatus"::text,
			 h."changedBy", h."note", h."changedAt" BETWEEN CURRENT_TIMESTAMP::timestamp(3) AND clock_timestamp()::timestamp(3)
		FROM "ViolationStatusHistory" h JOIN "ViolationSample" v ON v."id" = h."violationId"$$,
	$$VALUES ('st_1', 'st_1', 'OPEN',         'UNDER_REVIEW', current_user::text COLLATE "default", NULL::text, true),
			 ('st_1', 'st_1', 'UNDER_REVIEW', 'RESOLVED',     current_user::text, NULL, true),
			 ('st_1', 'st_1', 'RESOLVED',     'OPEN',         current_user::text, NULL, true),
			 ('st_2', 'st_2', 'OPEN',         'DISMISSED',    'reviewer@app.example', NULL, true),
			 ('st_2', 'st_2', 'DISMISSED',    'OPEN',         'reviewer@app.example', NULL, true),
			 ('st_3', 'st_3', 'OPEN',         'UNDER_REVIEW', current_user::text, NULL, true),
			 ('st_3', 'st_3', 'UNDER_REVIEW', 'DISMISSED',    current_user::text, NULL, true),
			 ('st_4', 'st_4', 'OPEN',         'UNDER_REVIEW', current_user::text, 'asked the lab', true),
			 ('st_4', 'st_4', 'UNDER_REVIEW', 'RESOLVED',     current_user::text, 'lab confirmed, fixed', true),
			 ('st_4', 'st_4', 'RESOLVED',     'OPEN',         current_user::text, 'happened again', true),
			 ('st_5', 'st_5', 'OPEN',         'DISMISSED',    'manager@app.example', 'sampling error', true),
			 ('st_5', 'st_5', 'DISMISSED',    'OPEN',         'manager@app.example', NULL, true),
			 ('st_6', 'st_6', 'OPEN',         'UNDER_REVIEW', current_user::text, 'looking', true),
			 ('st_6', 'st_6', 'UNDER_REVIEW', 'DISMISSED',    current_user::text, 'duplicate', true)$$,
	'history: one row per change (none for OPEN -> OPEN), from, to, sample, who (violations.user or the role), note, when');
SELECT * FROM pg_temp.check_all('after violations_set_status');

-- ============================================================ illegal transitions
-- Bring st_2 to UNDER_REVIEW and st_4 to RESOLVED: then every state has a violation
-- (st_1 OPEN, st_2 UNDER_REVIEW, st_4 RESOLVED, st_3 DISMISSED).
UPDATE "ViolationSample" SET "status" = 'UNDER_REVIEW' WHERE "id" IN (pg_temp.v('st_2'), pg_temp.v('st_4'));
UPDATE "ViolationSample" SET "status" = 'RESOLVED' WHERE "id" = pg_temp.v('st_4');
CREATE TEMP TABLE before_illegal AS
SELECT "id", "status", "statusChangedAt" FROM "ViolationSample";
CREATE TEMP TABLE history_before AS SELECT * FROM "ViolationStatusHistory";
CREATE TEMP TABLE events_before AS SELECT * FROM "ViolationEvent";
CREATE TEMP TABLE months_before AS SELECT * FROM "ViolationMonthly";

SELECT throws_ok(format($$UPDATE "ViolationSample" SET "status" = 'RESOLVED' WHERE "id" = %L$$, pg_temp.v('st_1')),
	'VI001', 'illegal violation status change from OPEN to RESOLVED', 'UPDATE OPEN -> RESOLVED fails (VI001)');
SELECT throws_ok(format($$UPDATE "ViolationSample" SET "status" = 'OPEN' WHERE "id" = %L$$, pg_temp.v('st_2')),
	'VI001', 'illegal violation status change from UNDER_REVIEW to OPEN', 'UPDATE UNDER_REVIEW -> OPEN fails (VI001)');
SELECT throws_ok(format($$UPDATE "ViolationSample" SET "status" = 'UNDER_REVIEW' WHERE "id" = %L$$, pg_temp.v('st_4')),
	'VI001', 'illegal violation status change from RESOLVED to UNDER_REVIEW', 'UPDATE RESOLVED -> UNDER_REVIEW fails (VI001)');
SELECT throws_ok(format($$UPDATE "ViolationSample" SET "status" = 'DISMISSED' WHERE "id" = %L$$, pg_temp.v('st_4')),
	'VI001', 'illegal violation status change from RESOLVED to DISMISSED', 'UPDATE RESOLVED -> DISMISSED fails (VI001)');
SELECT throws_ok(format($$UPDATE "ViolationSample" SET "status" = 'RESOLVED' WHERE "id" = %L$$, pg_temp.v('st_3')),
	'VI001', 'illegal violation status change from DISMISSED to RESOLVED', 'UPDATE DISMISSED -> RESOLVED fails (VI001)');
SELECT throws_ok(format($$UPDATE "ViolationSample" SET "status" = 'UNDER_REVIEW' WHERE "id" = %L$$, pg_temp.v('st_3')),
	'VI001', 'illegal violation status change from DISMISSED to UNDER_REVIEW', 'UPDATE DISMISSED -> UNDER_REVIEW fails (VI001)');

SELECT throws_ok(format($$SELECT violations_set_status(%L, 'RESOLVED', 'x')$$, pg_temp.v('st_1')),
	'VI001', 'illegal violation status change from OPEN to RESOLVED', 'violations_set_status OPEN -> RESOLVED fails (VI001)');
SELECT throws_ok(format($$SELECT violations_set_status(%L, 'OPEN', 'x')$$, pg_temp.v('st_2')),
	'VI001', 'illegal violation status change from UNDER_REVIEW to OPEN', 'violations_set_status UNDER_REVIEW -> OPEN fails (VI001)');
SELECT throws_ok(format($$SELECT violations_set_status(%L, 'UNDER_REVIEW', 'x')$$, pg_temp.v('st_4')),
	'VI001', 'illegal violation status change from RESOLVED to UNDER_REVIEW', 'violations_set_status RESOLVED -> UNDER_REVIEW fails (VI001)');
SELECT throws_ok(format($$SELECT violations_set_status(%L, 'DISMISSED', 'x')$$, pg_temp.v('st_4')),
	'VI001', 'illegal violation status change from RESOLVED to DISMISSED', 'violations_set_status RESOLVED -> DISMISSED fails (VI001)');
SELECT throws_ok(format($$SELECT violations_set_status(%L, 'RESOLVED', 'x')$$, pg_temp.v('st_3')),
	'VI001', 'illegal violation status change from DISMISSED to RESOLVED', 'violations_set_status DISMISSED -> RESOLVED fails (VI001)');
SELECT throws_ok(format($$SELECT violations_set_status(%L, 'UNDER_REVIEW', 'x')$$, pg_temp.v('st_3')),
	'VI001', 'illegal violation status change from DISMISSED to UNDER_REVIEW', 'violations_set_status DISMISSED -> UNDER_REVIEW fails (VI001)');

SELECT ok(
	NOT EXISTS (SELECT "id", "status", "statusChangedAt" FROM "ViolationSample"
				EXCEPT SELECT * FROM before_illegal)
	AND NOT EXISTS (SELECT * FROM "ViolationStatusHistory" EXCEPT SELECT * FROM history_before)
	AND NOT EXISTS (SELECT * FROM "ViolationEvent" EXCEPT SELECT * FROM events_before)
	AND NOT EXISTS (SELECT * FROM "ViolationMonthly" EXCEPT SELECT * FROM months_before),
	'the 12 refused changes left statuses, stamps, history, events and months as they were');

-- ============================================================ the event's dismissed flag
SELECT is((SELECT "dismissed" FROM "ViolationEvent" WHERE "pollutant" = 'PH'), false,
	'dismissed flag: false while no pH violation is dismissed');
SELECT violations_set_status(pg_temp.v('ph_1'), 'DISMISSED', 'meter not calibrated');
SELECT results_eq($$SELECT "dismissed", "dismissedCount", "openCount" FROM "ViolationEvent" WHERE "pollutant" = 'PH'$$,
	$$VALUES (false, 1, 1)$$, 'dismissed flag: still false with one of two violations dismissed');
UPDATE "ViolationSample" SET "status" = 'DISMISSED' WHERE "id" = pg_temp.v('ph_2');
SELECT results_eq($$SELECT "dismissed", "dismissedCount", "openCount" FROM "ViolationEvent" WHERE "pollutant" = 'PH'$$,
	$$VALUES (true, 2, 0)$$, 'dismissed flag: true once every violation of the event is dismissed');
UPDATE "ViolationSample" SET "status" = 'OPEN' WHERE "id" = pg_temp.v('ph_1');
SELECT results_eq($$SELECT "dismissed", "dismissedCount", "openCount" FROM "ViolationEvent" WHERE "pollutant" = 'PH'$$,
	$$VALUES (false, 1, 1)$$, 'dismissed flag: false again when one is reopened');
-- a new violation in an all-dismissed event
UPDATE "ViolationSample" SET "status" = 'DISMISSED' WHERE "id" = pg_temp.v('ph_1');
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
VALUES ('ph_3', 980101, :'ph', '2024-03-03', '08:00', '=', 5.5, 'SU');
SELECT results_eq($$SELECT "dismissed", "dismissedCount", "openCount", "count" FROM "ViolationEvent" WHERE "pollutant" = 'PH'$$,
	$$VALUES (false, 2, 1, 3)$$, 'dismissed flag: a new OPEN violation in an all-dismissed event clears it');
SELECT * FROM pg_temp.check_all('dismissed flag');

-- ============================================================ bulk
-- 3000 samples of 9802 at 150 mg/L, one violation each, over 12 months.
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
SELECT 'bk_' || lpad(i::text, 4, '0'), 980201, :'tss', date '2024-01-01' + (i % 360), '08:00', '=', 150, 'mg/L'
  FROM generate_series(1, 3000) i;
UPDATE "ViolationSample" SET "status" = 'DISMISSED' WHERE "esmrSampleId" = 'bk_1500';
CREATE TEMP TABLE bulk_history AS SELECT count(*) AS n FROM "ViolationStatusHistory";

SELECT throws_ok(
	$$UPDATE "ViolationSample" SET "status" = 'UNDER_REVIEW' WHERE "esmrSampleId" LIKE 'bk\_%'$$,
	'VI001', 'illegal violation status change from DISMISSED to UNDER_REVIEW',
	'one UPDATE of 3000 violations with one DISMISSED among them (DISMISSED -> UNDER_REVIEW) fails');
SELECT results_eq(
	$$SELECT "openCount", "underReviewCount", "dismissedCount", "count" FROM "ViolationEvent" WHERE "facilityPlaceId" = 9802$$,
	$$VALUES (2999, 0, 1, 3000)$$,
	'the failed bulk UPDATE changed nothing: 2999 OPEN, 1 DISMISSED');
SELECT is((SELECT count(*) FROM "ViolationStatusHistory"), (SELECT n FROM bulk_history),
	'the failed bulk UPDATE wrote no history');

SELECT lives_ok(
	$$UPDATE "ViolationSample" SET "status" = 'UNDER_REVIEW' WHERE "esmrSampleId" LIKE 'bk\_%' AND "status" = 'OPEN'$$,
	'one UPDATE of the 2999 OPEN violations to UNDER_REVIEW');
SELECT results_eq(
	$$SELECT "openCount", "underReviewCount", "dismissedCount", "count" FROM "ViolationEvent" WHERE "facilityPlaceId" = 9802$$,
	$$VALUES (0, 2999, 1, 3000)$$,
	'bulk: the event counts 2999 UNDER_REVIEW at once');
SELECT results_eq(
	$$SELECT sum(m."underReviewCount")::int, sum(m."dismissedCount")::int, count(*)::int FROM "ViolationMonthly" m
		JOIN "ViolationEvent" e ON e."id" = m."eventId" WHERE e."facilityPlaceId" = 9802$$,
	$$VALUES (2999, 1, 12)$$,
	'bulk: the 12 months count them too');
SELECT is((SELECT count(*) FROM "ViolationStatusHistory") - (SELECT n FROM bulk_history), 2999::bigint,
	'bulk: 2999 history rows');

-- a one-row change after the bulk one: the kept plans (statements of up to
-- 100 rows) and the per-statement ones (larger) give the same counts
UPDATE "ViolationSample" SET "status" = 'RESOLVED' WHERE "esmrSampleId" = 'bk_0001';
SELECT results_eq(
	$$SELECT "openCount", "underReviewCount", "resolvedCount", "dismissedCount" FROM "ViolationEvent" WHERE "facilityPlaceId" = 9802$$,
	$$VALUES (0, 2998, 1, 1)$$,
	'after the bulk UPDATE, a one-row change moves one count: 2998 UNDER_REVIEW, 1 RESOLVED');

\ir ../lib/aggregate_checks.psql

SELECT * FROM finish();
ROLLBACK;
