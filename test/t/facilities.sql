-- Facility links and hand-entered violations (SPEC detection rule 6 and
-- "Changes after the fact"; issue 3, 3 and 4).
--   Linking, relinking or unlinking a Facility moves its eSMR facility's
--   violations and events (violation ids and statuses kept); deleting a linked
--   Facility sends its sample violations back to the bare eSMR facility and
--   deletes its hand-entered ones (their history stays); impairedWater follows
--   into the events.  A violation entered by hand (violations_record_violation)
--   appears in the same events, months and drilldown as the others.
--
-- After every change: "ViolationSample" and "ViolationSkip" equal the
-- independent evaluation of test/lib/reference.psql, and the aggregates equal
-- their recomputation (pg_temp.check_all: 6 assertions).
BEGIN;
SELECT plan(93);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss,
	   'par_' || substr(md5('pH'), 1, 12) AS ph \gset

\ir ../lib/reference.psql

INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName") VALUES
	(9701, 'Links A'), (9702, 'Links B'), (9703, 'Links C');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType") VALUES
	(970101, 9701, 'EFF-001', 'EFFLUENT_MONITORING'),
	(970201, 9702, 'EFF-001', 'EFFLUENT_MONITORING'),
	(970301, 9703, 'EFF-001', 'EFFLUENT_MONITORING');

-- The events, by facility.
CREATE TEMP VIEW ev AS
SELECT "facilityId", "facilityPlaceId", "pollutant", "reportingYear", "count", "underReviewCount",
	   "impairedWater"
  FROM "ViolationEvent";

-- ============================================================ eSMR facilities linked to no Facility
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units") VALUES
	('f_1', 970101, :'tss', '2024-01-15', '08:00', '=', 150, 'mg/L'),
	('f_2', 970101, :'tss', '2024-02-15', '08:00', '=', 500, 'mg/L'),
	('f_3', 970101, :'ph',  '2023-11-01', '08:00', '=', 5.0, 'SU'),
	('f_4', 970201, :'tss', '2024-03-01', '08:00', '=', 250, 'mg/L'),
	('f_5', 970301, :'tss', '2024-04-01', '08:00', '=', 120, 'mg/L');
UPDATE "ViolationSample" SET "status" = 'UNDER_REVIEW'
 WHERE "esmrSampleId" = 'f_2' AND "benchmarkId" = 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE';
CREATE TEMP TABLE first_ids AS SELECT "id", "esmrSampleId", "benchmarkId", "status" FROM "ViolationSample";

SELECT results_eq(
	'SELECT * FROM ev ORDER BY 2, 3, 4',
	$$VALUES (NULL::text, 9701, 'PH',  '2023', 1, 0, false),
			 (NULL,       9701, 'TSS', '2024', 3, 1, false),
			 (NULL,       9702, 'TSS', '2024', 1, 0, false),
			 (NULL,       9703, 'TSS', '2024', 1, 0, false)$$,
	'no Facility yet: four events keyed by eSMR facility (9701: f_1, f_2 x 2 and f_3)');
SELECT * FROM pg_temp.check_all('unlinked');

-- The violations of one eSMR facility, with whether they kept their first id and status.
CREATE FUNCTION pg_temp.of_place(place integer)
RETURNS TABLE (sample text, benchmark text, facility text, kept boolean)
LANGUAGE sql STABLE AS $$
	SELECT v."esmrSampleId", v."benchmarkId", v."facilityId",
		   EXISTS (SELECT 1 FROM first_ids f WHERE f."id" = v."id" AND f."status" = v."status")
	  FROM "ViolationSample" v WHERE v."facilityPlaceId" = place ORDER BY 1, 2
$$;

-- ============================================================ 1. link: a new Facility
INSERT INTO "Facility" ("id", "name", "esmrFacilityId", "impairedWater")
VALUES ('fac_f1', 'Facility one', 9701, true);
SELECT results_eq(
	'SELECT * FROM pg_temp.of_place(9701)',
	$$VALUES ('f_1', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'fac_f1', true),
			 ('f_2', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'fac_f1', true),
			 ('f_2', 'TSS:NAL:MAXIMUM:INSTANTANEOUS',  'fac_f1', true),
			 ('f_3', 'PH:NAL:MINIMUM:INSTANTANEOUS',   'fac_f1', true)$$,
	'link: the 4 violations of 9701 now belong to the Facility, same ids and statuses (f_2 still UNDER_REVIEW)');
SELECT results_eq(
	'SELECT * FROM ev ORDER BY 1 NULLS LAST, 2, 3, 4',
	$$VALUES ('fac_f1'::text, 9701, 'PH',  '2023', 1, 0, true),
			 ('fac_f1',       9701, 'TSS', '2024', 3, 1, true),
			 (NULL,           9702, 'TSS', '2024', 1, 0, false),
			 (NULL,           9703, 'TSS', '2024', 1, 0, false)$$,
	'link: the events of 9701 are now the Facility''s (impairedWater true); no bare event of 9701 is left');
SELECT results_eq(
	$$SELECT "esmrSampleId", "benchmarkId", "detectedAt" FROM "ViolationSample"
	   WHERE "facilityId" = 'fac_f1' AND "pollutantKey" = 'TSS' ORDER BY "detectedAt" DESC, 2$$,
	$$VALUES ('f_2', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '2024-02-15'::date),
			 ('f_2', 'TSS:NAL:MAXIMUM:INSTANTANEOUS',  '2024-02-15'::date),
			 ('f_1', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', '2024-01-15'::date)$$,
	'link: the drilldown Facility -> TSS -> samples finds the three violations');
SELECT results_eq(
	$$SELECT m."month", m."count", m."openCount", m."underReviewCount" FROM "ViolationMonthly" m
		JOIN "ViolationEvent" e ON e."id" = m."eventId"
	   WHERE e."facilityId" = 'fac_f1' AND e."pollutant" = 'TSS' ORDER BY 1$$,
	$$VALUES ('2024-01-01'::date, 1, 1, 0), ('2024-02-01'::date, 2, 1, 1)$$,
	'link: the monthly roll-up moves along');
SELECT * FROM pg_temp.check_all('link');

-- ============================================================ 2. impairedWater
UPDATE "Facility" SET "impairedWater" = false WHERE "id" = 'fac_f1';
SELECT results_eq(
	$$SELECT "pollutant", "impairedWater" FROM "ViolationEvent" WHERE "facilityId" = 'fac_f1' ORDER BY 1$$,
	$$VALUES ('PH', false), ('TSS', false)$$,
	'impairedWater true -> false: both events of the Facility follow');
SELECT * FROM pg_temp.check_all('impairedWater');

-- ============================================================ 3. relink the Facility to another eSMR facility
CREATE TEMP TABLE f1_tss AS
SELECT "id" FROM "ViolationEvent" WHERE "facilityId" = 'fac_f1' AND "pollutant" = 'TSS';
INSERT INTO "Alert" ("id", "facilityId", "violationEventId", "kind", "message")
SELECT 'alert_f1', 'fac_f1', "id", 'EXCEEDANCE', 'TSS above the NAL' FROM f1_tss;

UPDATE "Facility" SET "esmrFacilityId" = 9702 WHERE "id" = 'fac_f1';
SELECT results_eq(
	'SELECT * FROM pg_temp.of_place(9701)',
	$$VALUES ('f_1', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', NULL::text, true),
			 ('f_2', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', NULL, true),
			 ('f_2', 'TSS:NAL:MAXIMUM:INSTANTANEOUS',  NULL, true),
			 ('f_3', 'PH:NAL:MINIMUM:INSTANTANEOUS',   NULL, true)$$,
	'relink 9701 -> 9702: the violations of 9701 go back to the bare eSMR facility, same ids and statuses');
SELECT results_eq(
	'SELECT * FROM pg_temp.of_place(9702)',
	$$VALUES ('f_4', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'fac_f1', true)$$,
	'relink 9701 -> 9702: the violation of 9702 is now the Facility''s');
SELECT results_eq(
	'SELECT * FROM ev ORDER BY 1 NULLS LAST, 2, 3, 4',
	$$VALUES ('fac_f1'::text, 9702, 'TSS', '2024', 1, 0, false),
			 (NULL,           9701, 'PH',  '2023', 1, 0, false),
			 (NULL,           9701, 'TSS', '2024', 3, 1, false),
			 (NULL,           9703, 'TSS', '2024', 1, 0, false)$$,
	'relink 9701 -> 9702: the Facility has one TSS event (f_4), 9701 has its two events back');
SELECT results_eq(
	$$SELECT a."violationEventId" = f."id", e."count" FROM "Alert" a, f1_tss f, "ViolationEvent" e
	   WHERE a."id" = 'alert_f1' AND e."id" = a."violationEventId"$$,
	$$VALUES (true, 1)$$,
	'relink: the Facility''s TSS 2024 event keeps its id, so the Alert that points at it still does');
SELECT * FROM pg_temp.check_all('relink');

-- ============================================================ 4. unlink
UPDATE "Facility" SET "esmrFacilityId" = NULL WHERE "id" = 'fac_f1';
SELECT results_eq(
	'SELECT * FROM pg_temp.of_place(9702)',
	$$VALUES ('f_4', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', NULL::text, true)$$,
	'unlink: the violation of 9702 goes back to the bare eSMR facility');
SELECT results_eq(
	'SELECT * FROM ev ORDER BY 1 NULLS LAST, 2, 3, 4',
	$$VALUES ('fac_f1'::text, NULL::integer, 'TSS', '2024', 0, 0, false),
			 (NULL,       9701, 'PH',  '2023', 1, 0, false),
			 (NULL,       9701, 'TSS', '2024', 3, 1, false),
			 (NULL,       9702, 'TSS', '2024', 1, 0, false),
			 (NULL,       9703, 'TSS', '2024', 1, 0, false)$$,
	'unlink: every eSMR facility has its own events; the Facility keeps only the emptied TSS event that alert_f1 points at');
SELECT results_eq(
	$$SELECT a."violationEventId" = f."id" FROM "Alert" a, f1_tss f WHERE a."id" = 'alert_f1'$$,
	$$VALUES (true)$$,
	'unlink: alert_f1 still points at its event');
SELECT * FROM pg_temp.check_all('unlink');

-- ============================================================ 5. two links in one statement
INSERT INTO "Facility" ("id", "name") VALUES ('fac_f2', 'Facility two');
UPDATE "Facility" SET "esmrFacilityId" = CASE "id" WHEN 'fac_f1' THEN 9701 ELSE 9702 END,
					  "impairedWater" = ("id" = 'fac_f2')
 WHERE "id" IN ('fac_f1', 'fac_f2');
SELECT results_eq(
	'SELECT * FROM ev ORDER BY 1 NULLS LAST, 2, 3, 4',
	$$VALUES ('fac_f1'::text, 9701, 'PH',  '2023', 1, 0, false),
			 ('fac_f1',       9701, 'TSS', '2024', 3, 1, false),
			 ('fac_f2',       9702, 'TSS', '2024', 1, 0, true),
			 (NULL,           9703, 'TSS', '2024', 1, 0, false)$$,
	'one UPDATE links fac_f1 to 9701 and fac_f2 to 9702 (impaired): the events follow');
SELECT is((SELECT count(*) FROM first_ids f JOIN "ViolationSample" v USING ("id", "status")), 6::bigint,
	'through link, relink and unlink the 6 violations kept their ids and statuses');
SELECT * FROM pg_temp.check_all('two links');

-- ============================================================ 6. hand-entered violations
INSERT INTO "Facility" ("id", "name", "impairedWater") VALUES ('fac_hand', 'Made by hand', true);

CREATE TEMP TABLE hand AS
SELECT 'h_tss' AS tag, * FROM violations_record_violation('fac_hand', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE',
	250, '2024-05-05', 'seen at the outfall');
INSERT INTO hand
SELECT 'h_ph', * FROM violations_record_violation('fac_hand', 'PH:NAL:MINIMUM:INSTANTANEOUS', 4.0, '2024-05-20');
-- ("user" is a reserved word: the setting violations.user needs quoting in SET)
SET LOCAL violations."user" = 'inspector@example.org';
INSERT INTO hand
SELECT 'h_f2', * FROM violations_record_violation('fac_f2', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 130, '2024-03-20', 'grab sample');
RESET violations."user";

SELECT results_eq(
	$$SELECT tag, "esmrSampleId", "benchmarkId", "facilityId", "facilityPlaceId", "pollutantKey",
			 "benchmarkType", "detectedAt", "measuredValue", "benchmarkValue", "units"::text,
			 "exceedanceRatio"::text, "severity"::text, "status"::text, "note"
		FROM hand ORDER BY 1$$,
	$$VALUES ('h_f2',  NULL::text, 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'fac_f2',   NULL::int, 'TSS', 'NAL',
			  '2024-03-20'::date, 130::numeric, 100::numeric, 'mg/L', '1.3000', 'MODERATE', 'OPEN', 'grab sample'),
			 ('h_ph',  NULL,       'PH:NAL:MINIMUM:INSTANTANEOUS',   'fac_hand', NULL,      'PH',  'NAL',
			  '2024-05-20'::date, 4::numeric,   6::numeric,   'SU',   '1.5000', 'MODERATE', 'OPEN', NULL),
			 ('h_tss', NULL,       'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'fac_hand', NULL,      'TSS', 'NAL',
			  '2024-05-05'::date, 250::numeric, 100::numeric, 'mg/L', '2.5000', 'CRITICAL', 'OPEN', 'seen at the outfall')$$,
	'violations_record_violation: three hand-entered violations, no sample, ratio and severity as detection gives them (250/100, 6/4, 130/100)');
SELECT results_eq(
	$$SELECT h.tag, s."esmrSampleId", s."fromStatus"::text, s."toStatus"::text, s."changedBy", s."note"
		FROM hand h JOIN "ViolationStatusHistory" s ON s."violationId" = h."id" ORDER BY 1$$,
	$$VALUES ('h_f2',  NULL::text, NULL::text, 'OPEN', 'inspector@example.org', 'grab sample'),
			 ('h_ph',  NULL,       NULL,       'OPEN', current_user::text COLLATE "default", 'entered by hand'),
			 ('h_tss', NULL,       NULL,       'OPEN', current_user::text COLLATE "default", 'seen at the outfall')$$,
	'violations_record_violation: each is in the history (-> OPEN, by violations.user or the role, with its note)');
SELECT results_eq(
	'SELECT * FROM ev ORDER BY 1 NULLS LAST, 2 NULLS LAST, 3, 4',
	$$VALUES ('fac_f1'::text, 9701,      'PH',  '2023', 1, 0, false),
			 ('fac_f1',       9701,      'TSS', '2024', 3, 1, false),
			 ('fac_f2',       9702,      'TSS', '2024', 2, 0, true),
			 ('fac_hand',     NULL::int, 'PH',  '2024', 1, 0, true),
			 ('fac_hand',     NULL,      'TSS', '2024', 1, 0, true),
			 (NULL,           9703,      'TSS', '2024', 1, 0, false)$$,
	'hand-entered: events of the hand-made Facility (impaired), and fac_f2''s TSS event counts its sample and hand-entered violation');
SELECT results_eq(
	$$SELECT e."facilityId", e."pollutant", m."month", m."count", m."criticalCount", m."moderateCount"
		FROM "ViolationMonthly" m JOIN "ViolationEvent" e ON e."id" = m."eventId"
	   WHERE e."facilityId" IN ('fac_hand', 'fac_f2') ORDER BY 1, 2, 3$$,
	$$VALUES ('fac_f2',   'TSS', '2024-03-01'::date, 2, 1, 1),
			 ('fac_hand', 'PH',  '2024-05-01'::date, 1, 0, 1),
			 ('fac_hand', 'TSS', '2024-05-01'::date, 1, 1, 0)$$,
	'hand-entered: the monthly roll-up counts them (March: f_4 and h_f2 together)');
SELECT results_eq(
	$$SELECT "esmrSampleId", "measuredValue", "detectedAt" FROM "ViolationSample"
	   WHERE "facilityId" = 'fac_f2' AND "pollutantKey" = 'TSS' ORDER BY "detectedAt" DESC$$,
	$$VALUES (NULL::text, 130::numeric, '2024-03-20'::date), ('f_4', 250::numeric, '2024-03-01'::date)$$,
	'hand-entered: the same drilldown Facility -> TSS -> violations finds the sample and the hand-entered one');

-- errors: nothing is written
SELECT throws_ok(
	$$SELECT violations_record_violation('fac_nowhere', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 250, '2024-05-05')$$,
	'23503', NULL, 'violations_record_violation: an unknown Facility fails with 23503');
SELECT throws_ok(
	$$SELECT violations_record_violation('fac_hand', 'TSS:NOPE', 250, '2024-05-05')$$,
	'23503', NULL, 'violations_record_violation: an unknown benchmark fails with 23503');
SELECT throws_ok(
	$$SELECT violations_record_violation('fac_hand', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 100, '2024-05-05')$$,
	'22023', NULL, 'violations_record_violation: 100 mg/L does not exceed the 100 mg/L maximum: 22023');
SELECT throws_ok(
	$$SELECT violations_record_violation('fac_hand', 'PH:NAL:MINIMUM:INSTANTANEOUS', 6.5, '2024-05-05')$$,
	'22023', NULL, 'violations_record_violation: pH 6.5 is not below the 6.0 minimum: 22023');
SELECT throws_ok(
	$$SELECT violations_record_violation('fac_hand', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 'NaN', '2024-05-05')$$,
	'22023', NULL, 'violations_record_violation: a NaN measured value fails with 22023');
SELECT throws_ok(
	$$SELECT violations_record_violation('fac_hand', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 250, 'infinity')$$,
	'22023', NULL, 'violations_record_violation: an infinite date fails with 22023');
SELECT is((SELECT count(*) FROM "ViolationSample" WHERE "esmrSampleId" IS NULL), 3::bigint,
	'violations_record_violation: the failed calls wrote nothing');
SELECT * FROM pg_temp.check_all('hand-entered');

-- ============================================================ 7. delete a linked Facility
DELETE FROM "Facility" WHERE "id" = 'fac_f2';
SELECT results_eq(
	'SELECT * FROM pg_temp.of_place(9702)',
	$$VALUES ('f_4', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', NULL::text, true)$$,
	'DELETE linked Facility: its sample violation goes back to the bare eSMR facility, same id');
SELECT is_empty($$SELECT * FROM "ViolationSample" WHERE "id" = (SELECT "id" FROM hand WHERE tag = 'h_f2')$$,
	'DELETE linked Facility: its hand-entered violation is deleted');
SELECT results_eq(
	$$SELECT "toStatus"::text, "note" FROM "ViolationStatusHistory"
	   WHERE "violationId" = (SELECT "id" FROM hand WHERE tag = 'h_f2')$$,
	$$VALUES ('OPEN', 'grab sample')$$,
	'DELETE linked Facility: the history of its hand-entered violation stays');
SELECT results_eq(
	'SELECT * FROM ev ORDER BY 1 NULLS LAST, 2 NULLS LAST, 3, 4',
	$$VALUES ('fac_f1'::text, 9701,      'PH',  '2023', 1, 0, false),
			 ('fac_f1',       9701,      'TSS', '2024', 3, 1, false),
			 ('fac_hand',     NULL::int, 'PH',  '2024', 1, 0, true),
			 ('fac_hand',     NULL,      'TSS', '2024', 1, 0, true),
			 (NULL,           9702,      'TSS', '2024', 1, 0, false),
			 (NULL,           9703,      'TSS', '2024', 1, 0, false)$$,
	'DELETE linked Facility: its event is gone, 9702 has a bare event again');
SELECT * FROM pg_temp.check_all('DELETE linked Facility');

-- a linked one and the hand-made one in one statement
DELETE FROM "Facility" WHERE "id" IN ('fac_f1', 'fac_hand');
SELECT results_eq(
	'SELECT * FROM ev ORDER BY 1 NULLS LAST, 2, 3, 4',
	$$VALUES (NULL::text, 9701, 'PH',  '2023', 1, 0, false),
			 (NULL,       9701, 'TSS', '2024', 3, 1, false),
			 (NULL,       9702, 'TSS', '2024', 1, 0, false),
			 (NULL,       9703, 'TSS', '2024', 1, 0, false)$$,
	'DELETE of two Facilities: 9701''s violations are bare again, the hand-made Facility''s are gone');
SELECT is((SELECT count(*) FROM first_ids f JOIN "ViolationSample" v USING ("id", "status")), 6::bigint,
	'the 6 sample violations still have their first ids and statuses');
SELECT is((SELECT count(*) FROM "ViolationStatusHistory" s JOIN hand h ON h."id" = s."violationId"), 3::bigint,
	'the history of the three hand-entered violations stays');
SELECT * FROM pg_temp.check_all('DELETE two Facilities');

-- ============================================================ 8. unlink a Facility that has hand-entered violations
SAVEPOINT before_case;
INSERT INTO "Facility" ("id", "name", "esmrFacilityId") VALUES ('fac_c', 'Facility C', 9703);
SELECT 1 FROM violations_record_violation('fac_c', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE', 300, '2024-04-10');
UPDATE "Facility" SET "esmrFacilityId" = NULL WHERE "id" = 'fac_c';
-- The event of fac_c now holds only its hand-entered violation: it is no
-- longer an event of eSMR facility 9703, whose only TSS 2024 event is the bare one.
SELECT results_eq(
	$$SELECT "facilityId", "count" FROM "ViolationEvent" WHERE "facilityPlaceId" = 9703$$,
	$$VALUES (NULL::text, 1)$$,
	'unlink of a Facility with a hand-entered violation: the events of eSMR facility 9703 are its own only');
ROLLBACK TO SAVEPOINT before_case;

\ir ../lib/aggregate_checks.psql

SELECT * FROM finish();
ROLLBACK;
