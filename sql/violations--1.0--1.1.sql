/* violations--1.0--1.1.sql: roles, and writes done with the extension's rights */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION violations UPDATE TO '1.1'" to load this file. \quit

/*
 * 1.1 makes the extension safe to use from roles that are not superusers
 * (docs/OPERATIONS.md, "Roles").  A fresh CREATE EXTENSION runs the 1.0
 * script and then this one, so there is one definition of every object.
 *
 * - The functions that write the extension's tables on behalf of a change to
 *   the app's tables (the detection trigger, the triggers that follow later
 *   changes, the backfill batch, hand entries, the rebuild) run as the
 *   extension's owner: an ingest role inserts samples and the violations
 *   appear, without any right to write "ViolationSample" itself.  They all
 *   pin search_path (1.0 already does), name no object by a path a caller
 *   controls, and build no SQL from data.
 * - The internal helpers are no longer executable by PUBLIC.
 * - Four NOLOGIN group roles, with the grants each job needs.
 * - The history names the role that made a change, not the owner whose
 *   rights the trigger runs with; and a status change is always recorded,
 *   whatever the session has set.
 */

-- ---------------------------------------------------------------- who

/*
 * Who made a change, for "ViolationStatusHistory"."changedBy": the app's
 * user when the app names one in violations.user, else the database role.
 * That role is the SET ROLE in force, else the session's: inside a
 * SECURITY DEFINER function current_user is the function's owner, while the
 * role setting and session_user still name the caller.
 */
CREATE FUNCTION violations_actor()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(nullif(current_setting('violations.user', true), ''),
					CASE WHEN current_setting('role') = 'none' THEN session_user::text
						 ELSE current_setting('role') END)
$$;

ALTER TABLE "ViolationStatusHistory" ALTER COLUMN "changedBy" SET DEFAULT violations_actor();

/*
 * "ViolationSample" updated (a status change through a plain UPDATE or
 * violations_set_status, severities reclassified, a re-evaluation): status
 * history, and the aggregates of the events concerned.
 *
 * A row whose only change that the aggregates see is its status moves one
 * per-status count down and one up, in its event and its month: deltas, as
 * an insert adds them (DESIGN.md, "Why recompute"), so a status change costs
 * the same whatever the size of its event.  Events with any other change
 * are recomputed, and take no delta.  Deltas are applied after the events
 * are locked in the writers' order, and the violation rows are locked
 * already (by this UPDATE): the lock order of every writer.
 *
 * violations.internal, set by the re-evaluation and the rekey (which never
 * change a status and refresh their events themselves), only spares the
 * rows whose status did not change: a session that sets it cannot change a
 * status unrecorded or uncounted.
 */
CREATE OR REPLACE FUNCTION violations_on_violation_update()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	recount text[];
	moved text[];
	internal boolean := coalesce(current_setting('violations.internal', true), '') = 'on';
BEGIN
	/*
	 * One pass: the events to recompute (any change the aggregates see
	 * other than the status; none under violations.internal) and the events
	 * of status changes.  EXECUTE here and below: a cached plan over the
	 * transition tables would keep the row estimates of the first statement.
	 */
	EXECUTE $q$
		SELECT coalesce(array_agg(DISTINCT x.e) FILTER (WHERE x.recount), '{}'),
			   array_agg(DISTINCT x.e) FILTER (WHERE x.status_changed)
		  FROM violations_old o JOIN violations_new n ON n."id" = o."id",
			   LATERAL (VALUES (o."eventId"), (n."eventId")) AS v(e),
			   LATERAL (SELECT v.e,
							   NOT $1 AND (o."severity", o."eventId", o."detectedAt", o."exceedanceRatio")
								   IS DISTINCT FROM
								   (n."severity", n."eventId", n."detectedAt", n."exceedanceRatio"),
							   o."status" IS DISTINCT FROM n."status") AS x(e, recount, status_changed)$q$
		INTO recount, moved USING internal;
	IF moved IS NULL THEN
		PERFORM violations_refresh_events(recount);
		RETURN NULL;
	END IF;

	-- every event concerned locked in the writers' order before any write
	PERFORM violations_lock_events(moved || recount);
	EXECUTE $q$
		WITH changed AS (
			SELECT o."status" AS old_status, n.*
			  FROM violations_old o JOIN violations_new n ON n."id" = o."id"
			 WHERE o."status" IS DISTINCT FROM n."status"
		), history AS (
			INSERT INTO "ViolationStatusHistory" ("violationId", "esmrSampleId", "fromStatus",
				"toStatus", "changedAt", "changedBy", "note")
			SELECT c."id", c."esmrSampleId", c.old_status, c."status", c."statusChangedAt",
				   violations_actor(), nullif(current_setting('violations.note', true), '')
			  FROM changed c
		), d AS (
			SELECT c."eventId", date_trunc('month', c."detectedAt")::date AS "month",
				   sum((c."status" = 'OPEN')::int - (c.old_status = 'OPEN')::int) AS d_open,
				   sum((c."status" = 'UNDER_REVIEW')::int
					   - (c.old_status = 'UNDER_REVIEW')::int) AS d_review,
				   sum((c."status" = 'RESOLVED')::int - (c.old_status = 'RESOLVED')::int) AS d_resolved,
				   sum((c."status" = 'DISMISSED')::int - (c.old_status = 'DISMISSED')::int) AS d_dismissed
			  FROM changed c
			 WHERE NOT c."eventId" = ANY ($1)
			 GROUP BY 1, 2
		), months AS (
			UPDATE "ViolationMonthly" mo
			   SET "openCount" = mo."openCount" + d.d_open,
				   "underReviewCount" = mo."underReviewCount" + d.d_review,
				   "resolvedCount" = mo."resolvedCount" + d.d_resolved,
				   "dismissedCount" = mo."dismissedCount" + d.d_dismissed
			  FROM d
			 WHERE mo."eventId" = d."eventId" AND mo."month" = d."month"
		)
		UPDATE "ViolationEvent" e
		   SET "openCount" = e."openCount" + s.d_open,
			   "underReviewCount" = e."underReviewCount" + s.d_review,
			   "resolvedCount" = e."resolvedCount" + s.d_resolved,
			   "dismissedCount" = e."dismissedCount" + s.d_dismissed,
			   "dismissed" = (e."dismissedCount" + s.d_dismissed = e."count"),
			   "updatedAt" = CURRENT_TIMESTAMP
		  FROM (SELECT d."eventId", sum(d.d_open) AS d_open, sum(d.d_review) AS d_review,
					   sum(d.d_resolved) AS d_resolved, sum(d.d_dismissed) AS d_dismissed
				  FROM d GROUP BY 1) s
		 WHERE e."id" = s."eventId"$q$
		USING recount;
	PERFORM violations_refresh_events(recount);
	RETURN NULL;
END
$$;

/*
 * Hand entries: as in 1.0, with the history's "changedBy" from
 * violations_actor() (this function now runs as the extension's owner), and
 * refused against a NaN benchmark or for a date whose month has no first day.
 */
CREATE OR REPLACE FUNCTION violations_record_violation(facility_id text, benchmark_id text,
													   measured_value numeric, detected_at date,
													   note text DEFAULT NULL)
RETURNS "ViolationSample"
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	b record;
	is_min boolean;
	ratio numeric;
	ev text;
	r "ViolationSample";
BEGIN
	IF NOT EXISTS (SELECT 1 FROM "Facility" f WHERE f."id" = facility_id) THEN
		RAISE EXCEPTION 'Facility "%" does not exist', facility_id
			USING ERRCODE = 'foreign_key_violation';
	END IF;
	SELECT p."pollutantKey", p."benchmarkType"::text AS btype, p."limit"::text AS lim,
		   p."value", p."units"::text AS units
	  INTO b FROM "PollutantBenchmark" p WHERE p."id" = benchmark_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'PollutantBenchmark "%" does not exist', benchmark_id
			USING ERRCODE = 'foreign_key_violation';
	END IF;
	IF measured_value IS NULL OR measured_value = 'NaN' OR detected_at IS NULL
	   OR NOT isfinite(detected_at) OR detected_at >= date '294277-01-01'
	   OR detected_at < date '4714-12-01 BC' THEN
		RAISE EXCEPTION 'a hand-entered violation needs a finite measured value and a sampling date from 4714-12-01 BC to 294276-12-31'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	is_min := b.lim = 'MINIMUM';
	-- (NaN sorts above every number: a NaN benchmark is not > 0 here)
	IF b."value" <= 0 OR b."value" = 'NaN' OR (is_min AND NOT (measured_value < b."value" AND measured_value > 0))
	   OR (NOT is_min AND NOT measured_value > b."value") THEN
		RAISE EXCEPTION '% % does not exceed benchmark % (% % %)', measured_value, b.units,
			benchmark_id, CASE WHEN is_min THEN 'minimum' ELSE 'maximum' END, b."value", b.units
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the measured value in the benchmark''s units.';
	END IF;
	ratio := violations_exceedance_ratio(measured_value, b."value", is_min);

	SELECT k."id" INTO ev
	  FROM violations_ensure_events(ARRAY[facility_id], ARRAY[NULL::integer],
			ARRAY[b."pollutantKey"],
			ARRAY[violations_reporting_year(detected_at,
				(SELECT coalesce(max(s."reportingYearStartMonth"), 1) FROM "ViolationSettings" s))]) k;
	INSERT INTO "ViolationSample" ("esmrSampleId", "benchmarkId", "eventId", "facilityPlaceId",
		"facilityId", "pollutantKey", "benchmarkType", "detectedAt", "measuredValue",
		"benchmarkValue", "units", "exceedanceRatio", "severity", "note")
	VALUES (NULL, benchmark_id, ev, NULL, facility_id, b."pollutantKey", b.btype, detected_at,
			measured_value, b."value", b.units, ratio,
			violations_severity(b.btype, is_min, measured_value, b."value"), note)
	RETURNING * INTO r;
	INSERT INTO "ViolationStatusHistory" ("violationId", "esmrSampleId", "fromStatus", "toStatus",
		"changedBy", "note")
	VALUES (r."id", NULL, NULL, r."status", violations_actor(), coalesce(note, 'entered by hand'));
	PERFORM violations_refresh_events(ARRAY[ev]);
	RETURN r;
END
$$;

/*
 * Hand-entered violations of changed benchmarks, assessed again: as in 1.0,
 * and a benchmark whose value became NaN is ignored as one <= 0 is (NaN
 * sorts above every number, so "<= 0" alone kept them).
 */
CREATE OR REPLACE FUNCTION violations_reassess_by_hand(benchmark_ids text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
BEGIN
	IF to_regclass('pg_temp.violations_reassessed') IS NULL THEN
		CREATE TEMP TABLE violations_reassessed (
			"id" text, measured numeric, benchmark_value numeric, units text, btype text,
			is_min boolean, pollutant text) ON COMMIT DROP;
	END IF;
	DELETE FROM pg_temp.violations_reassessed;
	INSERT INTO pg_temp.violations_reassessed
	SELECT v."id", violations_convert_units(v."measuredValue", v."units", b."units"),
		   b."value", b."units", b."benchmarkType"::text, b."limit"::text = 'MINIMUM',
		   b."pollutantKey"
	  FROM "ViolationSample" v
	  JOIN "PollutantBenchmark" b ON b."id" = v."benchmarkId"
	 WHERE v."esmrSampleId" IS NULL AND v."benchmarkId" = ANY (benchmark_ids);

	DELETE FROM "ViolationSample" v
	 USING pg_temp.violations_reassessed r
	 WHERE v."id" = r."id"
	   AND (r.measured IS NULL OR r.benchmark_value <= 0 OR r.benchmark_value = 'NaN'
			OR CASE WHEN r.is_min THEN NOT (r.measured < r.benchmark_value AND r.measured > 0)
					ELSE NOT r.measured > r.benchmark_value END);
	UPDATE "ViolationSample" v
	   SET "measuredValue" = r.measured, "benchmarkValue" = r.benchmark_value,
		   "units" = r.units, "benchmarkType" = r.btype,
		   "exceedanceRatio" = violations_exceedance_ratio(r.measured, r.benchmark_value, r.is_min),
		   "severity" = violations_severity(r.btype, r.is_min, r.measured, r.benchmark_value),
		   "pollutantKey" = r.pollutant
	  FROM pg_temp.violations_reassessed r
	 WHERE v."id" = r."id";
	-- a benchmark moved to another pollutant takes its violations to that pollutant's events
	PERFORM violations_rekey(ARRAY(
		SELECT v."id" FROM "ViolationSample" v
		  JOIN "ViolationEvent" e ON e."id" = v."eventId"
		  JOIN pg_temp.violations_reassessed r ON r."id" = v."id"
		 WHERE e."pollutant" <> v."pollutantKey"));
	DELETE FROM pg_temp.violations_reassessed;
END
$$;

-- ---------------------------------------------------------------- rights

/*
 * Run as the extension's owner.  Not violations_status_check (a row trigger
 * that only checks and stamps the row being updated, under the caller's
 * rights), violations_invalidate (queues a cache invalidation, reads and
 * writes nothing), violations_set_status (an UPDATE under the caller's
 * rights, so that only who may update "status" can use it), the read-only
 * functions, nor the backfill procedure (a SECURITY DEFINER procedure cannot
 * COMMIT; its batches are).
 */
ALTER FUNCTION violations_detect() SECURITY DEFINER;
ALTER FUNCTION violations_backfill_batch(text, integer) SECURITY DEFINER;
ALTER FUNCTION violations_rebuild_aggregates() SECURITY DEFINER;
ALTER FUNCTION violations_record_violation(text, text, numeric, date, text) SECURITY DEFINER;
ALTER FUNCTION violations_on_sample_update() SECURITY DEFINER;
ALTER FUNCTION violations_on_sample_truncate() SECURITY DEFINER;
ALTER FUNCTION violations_on_benchmark_change() SECURITY DEFINER;
ALTER FUNCTION violations_on_parameter_update() SECURITY DEFINER;
ALTER FUNCTION violations_on_location_update() SECURITY DEFINER;
ALTER FUNCTION violations_on_facility_change() SECURITY DEFINER;
ALTER FUNCTION violations_on_facility_delete() SECURITY DEFINER;
ALTER FUNCTION violations_on_violation_update() SECURITY DEFINER;
ALTER FUNCTION violations_on_violation_delete() SECURITY DEFINER;
ALTER FUNCTION violations_on_violation_truncate() SECURITY DEFINER;
ALTER FUNCTION violations_on_settings_update() SECURITY DEFINER;
ALTER FUNCTION violations_on_bands_change() SECURITY DEFINER;

-- Internal helpers and administration: nobody but the owner and violations_admin.
REVOKE EXECUTE ON FUNCTION
	violations_attach(boolean),
	violations_backfill_batch(text, integer),
	violations_rebuild_aggregates(),
	violations_record_violation(text, text, numeric, date, text),
	violations_reevaluate(text[]),
	violations_rekey(text[], text),
	violations_refresh_events(text[]),
	violations_ensure_events(text[], integer[], text[], text[]),
	violations_lock_events(text[]),
	violations_reassess_by_hand(text[]),
	violations_serialize_with_ingest()
	FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE violations_backfill(integer, boolean) FROM PUBLIC;

/*
 * The roles.  Roles belong to the cluster, not to a database: made here when
 * missing (a second database, or a restore into a cluster that has them,
 * finds them), never dropped by DROP EXTENSION.  Members log in as
 * themselves: GRANT violations_reviewer TO alice.
 *
 *   violations_reader    SELECT on the app's and the extension's tables
 *   violations_reviewer  the reader's rights, and UPDATE of "status" only
 *   violations_ingest    INSERT of eSMR facilities, locations and samples
 *   violations_admin     the three above, settings and bands, hand entries,
 *                        the backfill and the rebuild of the aggregates
 */
DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['violations_reader', 'violations_reviewer',
							 'violations_ingest', 'violations_admin'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
END
$$;
GRANT violations_reader TO violations_reviewer;
GRANT violations_reviewer, violations_ingest TO violations_admin;

GRANT SELECT ON "ViolationSample", "ViolationEvent", "ViolationMonthly",
	"ViolationStatusHistory", "ViolationSkip", "ViolationSkipSummary", "ViolationSettings",
	"ViolationSeverityBand", "ViolationBackfill", violations_event_recount,
	violations_monthly_recount
	TO violations_reader;
GRANT UPDATE ("status") ON "ViolationSample" TO violations_reviewer;
GRANT INSERT, UPDATE, DELETE ON "ViolationSettings", "ViolationSeverityBand" TO violations_admin;
GRANT INSERT, UPDATE ON "ViolationBackfill" TO violations_admin;
GRANT EXECUTE ON FUNCTION
	violations_backfill_batch(text, integer),
	violations_rebuild_aggregates(),
	violations_record_violation(text, text, numeric, date, text)
	TO violations_admin;
GRANT EXECUTE ON PROCEDURE violations_backfill(integer, boolean) TO violations_admin;

/*
 * The same roles' rights on the app's tables, for the ones that exist.
 * Idempotent; run below when the app's tables are there, and by hand after
 * installing into a schema that gets them later.  pg_dump keeps these
 * grants with the app's tables, so a restore needs no call.
 */
CREATE FUNCTION violations_grant_app_tables()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	t text;
	rights text;
	grantee text;
BEGIN
	FOR t, rights, grantee IN SELECT * FROM (VALUES
		('ESMRFacility', 'SELECT', 'violations_reader'),
		('ESMRLocation', 'SELECT', 'violations_reader'),
		('ESMRParameter', 'SELECT', 'violations_reader'),
		('ESMRSample', 'SELECT', 'violations_reader'),
		('Facility', 'SELECT', 'violations_reader'),
		('ConfigPollutant', 'SELECT', 'violations_reader'),
		('PollutantBenchmark', 'SELECT', 'violations_reader'),
		('Alert', 'SELECT', 'violations_reader'),
		('ESMRFacility', 'SELECT, INSERT', 'violations_ingest'),
		('ESMRLocation', 'SELECT, INSERT', 'violations_ingest'),
		('ESMRParameter', 'SELECT', 'violations_ingest'),
		('ESMRSample', 'SELECT, INSERT', 'violations_ingest')) AS g
	LOOP
		IF to_regclass(format('@extschema@.%I', t)) IS NOT NULL THEN
			EXECUTE format('GRANT %s ON @extschema@.%I TO %I', rights, t, grantee);
		END IF;
	END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION violations_grant_app_tables() FROM PUBLIC;

DO $$
BEGIN
	IF to_regclass('@extschema@."ESMRSample"') IS NOT NULL THEN
		PERFORM @extschema@.violations_grant_app_tables();
	END IF;
END
$$;
