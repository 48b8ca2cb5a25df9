/* violations--1.1--1.2.sql: the permit's own rules, ERA levels, the alert feed */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION violations UPDATE TO '1.2'" to load this file. \quit

/*
 * 1.2 keeps what the Industrial General Permit holds a facility to
 * (docs/COMPLIANCE.md): per eSMR facility x NAL pollutant x permit reporting
 * year (July 1 - June 30), the count and sum of every result and the number
 * of results above an instantaneous maximum NAL; whether the annual and the
 * instantaneous rule are exceeded; and the Exceedance Response Action level
 * that follows.  The sample triggers keep them current (src/compliance.c);
 * violations_compliance_apply() below writes them.  Announcements go out by
 * NOTIFY on channel violations_alert, which PostgreSQL delivers at commit
 * and never for a transaction that rolls back.
 *
 * Also: the pollutant summary's index covers "count" (docs/PERFORMANCE.md).
 */

-- ---------------------------------------------------------------- enums, settings

CREATE TYPE "ViolationEraLevel" AS ENUM ('BASELINE', 'LEVEL_1', 'LEVEL_2');

-- How a non-detect enters an annual average (docs/COMPLIANCE.md, "Non-detects").
CREATE TYPE "ViolationNonDetect" AS ENUM ('ZERO', 'HALF_MDL', 'MDL', 'EXCLUDE');

ALTER TABLE "ViolationSettings"
	ADD COLUMN "nonDetects"      "ViolationNonDetect" NOT NULL DEFAULT 'ZERO',
	-- violations of at least this severity are announced; NULL: none
	ADD COLUMN "alertSeverity"   "ViolationSeverity" DEFAULT 'CRITICAL',
	-- announce annual and instantaneous NAL exceedances and ERA level rises
	ADD COLUMN "alertCompliance" boolean NOT NULL DEFAULT true,
	-- also write the app's "Alert" rows, for eSMR facilities linked to a Facility
	ADD COLUMN "writeAlerts"     boolean NOT NULL DEFAULT false;

-- ---------------------------------------------------------------- tables

/*
 * One row per eSMR facility x NAL pollutant x permit year that has a counted
 * result, a non-detect or an instantaneous exceedance.  Keyed by the eSMR
 * facility, which every sample has (a Facility links at most one of them);
 * "facilityId" follows the link.  The flags are generated from the sums, so
 * they cannot disagree with them; "eraLevel" depends on the other years and
 * is written by violations_compliance_apply().
 */
CREATE TABLE "ViolationCompliance" (
	"facilityPlaceId" integer NOT NULL,
	"pollutantKey"    text NOT NULL,
	-- the year the permit year starts in: 2023 is 2023-07-01 .. 2024-06-30
	"permitYear"      integer NOT NULL,
	"reportingYear"   text NOT NULL
		GENERATED ALWAYS AS ("permitYear"::text || '-' || ("permitYear" + 1)::text) STORED,
	"facilityId"      text,
	"units"           varchar(50) NOT NULL,
	"annualNal"       numeric(18,6),
	"resultCount"     integer NOT NULL DEFAULT 0,
	"resultSum"       numeric NOT NULL DEFAULT 0,
	"nonDetectCount"  integer NOT NULL DEFAULT 0,
	"instantCount"    integer NOT NULL DEFAULT 0,
	"average"         numeric
		GENERATED ALWAYS AS (CASE WHEN "resultCount" > 0
							 THEN round("resultSum" / "resultCount", 6) END) STORED,
	-- exact: sum > NAL x count, not the rounded average
	"annualExceeded"  boolean NOT NULL
		GENERATED ALWAYS AS (coalesce("resultCount" > 0
									  AND "resultSum" > "annualNal" * "resultCount", false)) STORED,
	"instantExceeded" boolean NOT NULL GENERATED ALWAYS AS ("instantCount" >= 2) STORED,
	"exceeded"        boolean NOT NULL
		GENERATED ALWAYS AS (coalesce("resultCount" > 0
									  AND "resultSum" > "annualNal" * "resultCount", false)
							 OR "instantCount" >= 2) STORED,
	-- the level that follows this year, from the next July 1
	"eraLevel"        "ViolationEraLevel" NOT NULL DEFAULT 'BASELINE',
	"updatedAt"       timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
	CONSTRAINT "ViolationCompliance_pkey"
		PRIMARY KEY ("facilityPlaceId", "pollutantKey", "permitYear")
	-- no CHECK on the counts: PostgreSQL checks the row an upsert proposes
	-- (a negative delta) before it finds the row to add it to
);
CREATE INDEX "ViolationCompliance_facilityId_permitYear_idx"
	ON "ViolationCompliance" ("facilityId", "permitYear");

/*
 * One row per eSMR facility x NAL pollutant that has left Baseline: its
 * level now and the exceeded years that led there.  A pair without a row is
 * at Baseline.
 */
CREATE TABLE "ViolationEraStatus" (
	"facilityPlaceId" integer NOT NULL,
	"pollutantKey"    text NOT NULL,
	"facilityId"      text,
	"level"           "ViolationEraLevel" NOT NULL DEFAULT 'BASELINE',
	-- permit year in which Level 1 began (the first exceeded year + 1)
	"level1Year"      integer,
	-- permit year in which Level 2 began (the second exceeded year + 1)
	"level2Year"      integer,
	"exceededYears"   integer[] NOT NULL DEFAULT '{}',
	"updatedAt"       timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
	CONSTRAINT "ViolationEraStatus_pkey" PRIMARY KEY ("facilityPlaceId", "pollutantKey")
);
CREATE INDEX "ViolationEraStatus_facilityId_idx" ON "ViolationEraStatus" ("facilityId");
CREATE INDEX "ViolationEraStatus_level_idx" ON "ViolationEraStatus" ("level")
	WHERE "level" <> 'BASELINE';

-- dumped with the data, like the other aggregates; no trigger fires on a restore's COPY
SELECT pg_catalog.pg_extension_config_dump('"ViolationCompliance"', '');
SELECT pg_catalog.pg_extension_config_dump('"ViolationEraStatus"', '');

-- the pollutant summary reads the index alone (docs/PERFORMANCE.md)
DROP INDEX "ViolationEvent_pollutant_reportingYear_idx";
CREATE INDEX "ViolationEvent_pollutant_reportingYear_idx"
	ON "ViolationEvent" ("pollutant", "reportingYear") INCLUDE ("count");

-- ---------------------------------------------------------------- the alert feed

/*
 * Sends each event (a JSON object with "kind") on channel violations_alert
 * and, with "writeAlerts", writes an "Alert" row for each that belongs to a
 * Facility.  NOTIFY is delivered when the transaction commits.
 */
CREATE FUNCTION violations_announce(events jsonb[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
BEGIN
	IF events IS NULL THEN
		RETURN 0;
	END IF;
	PERFORM pg_notify('violations_alert', e::text) FROM unnest(events) AS e;
	IF coalesce((SELECT s."writeAlerts" FROM "ViolationSettings" s), false)
	   AND to_regclass('@extschema@."Alert"') IS NOT NULL THEN
		INSERT INTO "Alert" ("id", "facilityId", "violationEventId", "kind", "message")
		SELECT gen_random_uuid()::text, e ->> 'facilityId',
			   CASE WHEN e ->> 'kind' = 'violation' THEN e ->> 'eventId'
					ELSE (SELECT ev."id" FROM "ViolationEvent" ev
						   WHERE ev."facilityId" = e ->> 'facilityId'
							 AND ev."pollutant" = e ->> 'pollutant' AND ev."count" > 0
							 AND ev."lastDate" >= make_date(y, 7, 1)
							 AND ev."firstDate" < make_date(y + 1, 7, 1)
						   ORDER BY ev."lastDate" DESC, ev."id" LIMIT 1) END,
			   CASE e ->> 'kind' WHEN 'violation' THEN 'NEW_VIOLATION'
								 WHEN 'era_level' THEN 'LEVEL_CHANGE'
								 ELSE 'NAL_EXCEEDANCE' END,
			   CASE e ->> 'kind'
				 WHEN 'violation' THEN format('%s violation of the %s %s benchmark on %s: %s %s against %s %s (%s x)',
					initcap(e ->> 'severity'), e ->> 'pollutant', e ->> 'benchmarkType',
					e ->> 'detectedAt', e ->> 'measuredValue', e ->> 'units',
					e ->> 'benchmarkValue', e ->> 'units', e ->> 'exceedanceRatio')
				 WHEN 'annual_nal' THEN format('Annual NAL exceedance: %s averaged %s %s in reporting year %s (annual NAL %s %s)',
					e ->> 'pollutant', e ->> 'average', e ->> 'units', e ->> 'reportingYear',
					e ->> 'annualNal', e ->> 'units')
				 WHEN 'instantaneous_nal' THEN format('Instantaneous maximum NAL exceedance: %s results of %s beyond the instantaneous NAL in reporting year %s',
					e ->> 'instantCount', e ->> 'pollutant', e ->> 'reportingYear')
				 ELSE format('%s moves from %s to %s on July 1, %s',
					e ->> 'pollutant', e ->> 'fromLevel', e ->> 'level', e ->> 'sincePermitYear') END
		  FROM unnest(events) AS e,
			   LATERAL (SELECT CASE WHEN e ->> 'kind' = 'era_level'
									THEN (e ->> 'sincePermitYear')::integer - 1
									ELSE (e ->> 'permitYear')::integer END AS y) AS yr
		 WHERE e ->> 'facilityId' IS NOT NULL;
	END IF;
	RETURN cardinality(events);
END
$$;

-- The new violations (sample, benchmark) that the detection trigger found at or above "alertSeverity".
CREATE FUNCTION violations_announce_violations(sample_ids text[], benchmark_ids text[])
RETURNS integer
LANGUAGE sql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
	SELECT violations_announce(array_agg(jsonb_build_object(
			'kind', 'violation', 'violationId', v."id", 'eventId', v."eventId",
			'facilityId', v."facilityId", 'facilityPlaceId', v."facilityPlaceId",
			'pollutant', v."pollutantKey", 'benchmarkType', v."benchmarkType",
			'severity', v."severity", 'detectedAt', v."detectedAt",
			'measuredValue', v."measuredValue", 'benchmarkValue', v."benchmarkValue",
			'units', v."units", 'exceedanceRatio', v."exceedanceRatio")
		ORDER BY v."detectedAt", v."esmrSampleId", v."benchmarkId"))
	  FROM unnest(sample_ids, benchmark_ids) AS u(s, b)
	  JOIN "ViolationSample" v ON v."esmrSampleId" = u.s AND v."benchmarkId" = u.b
$$;

-- ---------------------------------------------------------------- maintenance

/*
 * Adds deltas (the summed contributions of one statement's samples, negative
 * for deleted ones; any order) to their rows; where a year's flags changed
 * or a year came or went, brings the ERA levels up to date and announces,
 * when notify is set, the exceedances that began and the levels that rose.
 * Returns the rows changed.  C (src/compliance.c): the triggers' common case
 * is two statements with kept plans.
 */
CREATE FUNCTION violations_compliance_apply(
	place_ids integer[], pollutants text[], years integer[], facility_ids text[],
	units text[], nals numeric[], counts integer[], sums numeric[],
	nondetects integer[], instants integer[], notify boolean)
RETURNS integer
AS 'MODULE_PATHNAME', 'violations_compliance_apply'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, @extschema@, pg_temp;

/*
 * What "ViolationCompliance" should hold, from the stored samples of the
 * eSMR facilities given (all when NULL), by the same code as the triggers.
 */
CREATE FUNCTION violations_compliance_recount(place_ids integer[] DEFAULT NULL)
RETURNS TABLE ("facilityPlaceId" integer, "pollutantKey" text, "permitYear" integer,
			   "facilityId" text, "units" text, "annualNal" numeric, "resultCount" integer,
			   "resultSum" numeric, "nonDetectCount" integer, "instantCount" integer)
AS 'MODULE_PATHNAME', 'violations_compliance_recount'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, @extschema@, pg_temp;

/*
 * Brings the compliance rows of the eSMR facilities given (all when NULL) to
 * the recount, as deltas: a writer that commits meanwhile keeps its own
 * contribution.  Announces what begins when notify is set.  Returns the rows
 * changed.
 */
CREATE FUNCTION violations_compliance_rebuild(place_ids integer[] DEFAULT NULL,
											  notify boolean DEFAULT true)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	d record;
BEGIN
	SELECT array_agg(p) AS p, array_agg(k) AS k, array_agg(y) AS y, array_agg(f) AS f,
		   array_agg(u) AS u, array_agg(nal) AS nal, array_agg(n) AS n, array_agg(s) AS s,
		   array_agg(nd) AS nd, array_agg(i) AS i
	  INTO d
	  FROM (SELECT coalesce(r."facilityPlaceId", c."facilityPlaceId") AS p,
				   coalesce(r."pollutantKey", c."pollutantKey") AS k,
				   coalesce(r."permitYear", c."permitYear") AS y,
				   CASE WHEN r."facilityPlaceId" IS NULL THEN c."facilityId" ELSE r."facilityId" END AS f,
				   coalesce(r."units", c."units") AS u,
				   CASE WHEN r."facilityPlaceId" IS NULL THEN c."annualNal" ELSE r."annualNal" END AS nal,
				   coalesce(r."resultCount", 0) - coalesce(c."resultCount", 0) AS n,
				   coalesce(r."resultSum", 0) - coalesce(c."resultSum", 0) AS s,
				   coalesce(r."nonDetectCount", 0) - coalesce(c."nonDetectCount", 0) AS nd,
				   coalesce(r."instantCount", 0) - coalesce(c."instantCount", 0) AS i
			  FROM violations_compliance_recount(place_ids) r
			  FULL JOIN (SELECT * FROM "ViolationCompliance" c0
						  WHERE place_ids IS NULL OR c0."facilityPlaceId" = ANY (place_ids)) c
				ON c."facilityPlaceId" = r."facilityPlaceId" AND c."pollutantKey" = r."pollutantKey"
			   AND c."permitYear" = r."permitYear"
			 WHERE r."facilityPlaceId" IS NULL OR c."facilityPlaceId" IS NULL
				OR (r."facilityId", r."units", r."annualNal", r."resultCount", r."resultSum",
					r."nonDetectCount", r."instantCount")
				   IS DISTINCT FROM
				   (c."facilityId", c."units"::text, c."annualNal", c."resultCount", c."resultSum",
					c."nonDetectCount", c."instantCount")) x;
	RETURN violations_compliance_apply(d.p, d.k, d.y, d.f, d.u, d.nal, d.n, d.s, d.nd, d.i,
									   notify);
END
$$;

-- The compliance rows and levels that differ from a recount; none when all is well.
CREATE FUNCTION violations_check_compliance()
RETURNS TABLE (aggregate text, key text, stored jsonb, recomputed jsonb)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
	WITH r AS (
		SELECT r.*, (r."facilityPlaceId" || '/' || r."pollutantKey" || '/' || r."permitYear") AS key,
			   coalesce(r."resultCount" > 0 AND r."resultSum" > r."annualNal" * r."resultCount", false)
				   OR r."instantCount" >= 2 AS exceeded
		  FROM violations_compliance_recount() r
	), rl AS (
		SELECT r.*, (ARRAY['BASELINE', 'LEVEL_1', 'LEVEL_2']::"ViolationEraLevel"[])[
					least(2, count(*) FILTER (WHERE r.exceeded) OVER (
						PARTITION BY r."facilityPlaceId", r."pollutantKey"
						ORDER BY r."permitYear")) + 1] AS level
		  FROM r
	), rows AS (
		SELECT rl.key,
			   jsonb_build_object('facilityId', rl."facilityId", 'units', rl."units",
					'annualNal', rl."annualNal", 'resultCount', rl."resultCount",
					'resultSum', rl."resultSum", 'nonDetectCount', rl."nonDetectCount",
					'instantCount', rl."instantCount", 'eraLevel', rl.level) AS j
		  FROM rl
	), stored AS (
		SELECT c."facilityPlaceId" || '/' || c."pollutantKey" || '/' || c."permitYear" AS key,
			   jsonb_build_object('facilityId', c."facilityId", 'units', c."units",
					'annualNal', c."annualNal", 'resultCount', c."resultCount",
					'resultSum', c."resultSum", 'nonDetectCount', c."nonDetectCount",
					'instantCount', c."instantCount", 'eraLevel', c."eraLevel") AS j
		  FROM "ViolationCompliance" c
	), chains AS (
		SELECT r."facilityPlaceId" || '/' || r."pollutantKey" AS key,
			   jsonb_build_object('facilityId', min(r."facilityId"),
					'level', (ARRAY['BASELINE', 'LEVEL_1', 'LEVEL_2'])[
						least(2, count(*) FILTER (WHERE r.exceeded)) + 1],
					'exceededYears', coalesce(array_agg(r."permitYear" ORDER BY r."permitYear")
											  FILTER (WHERE r.exceeded), '{}')) AS j
		  FROM r GROUP BY r."facilityPlaceId", r."pollutantKey"
		HAVING bool_or(r.exceeded)
	), stored_chains AS (
		SELECT e."facilityPlaceId" || '/' || e."pollutantKey" AS key,
			   jsonb_build_object('facilityId', e."facilityId", 'level', e."level",
					'exceededYears', e."exceededYears") AS j
		  FROM "ViolationEraStatus" e
		 WHERE e."level1Year" IS NOT DISTINCT FROM e."exceededYears"[1] + 1
		   AND e."level2Year" IS NOT DISTINCT FROM e."exceededYears"[2] + 1
		UNION ALL
		SELECT e."facilityPlaceId" || '/' || e."pollutantKey",
			   jsonb_build_object('level1Year', e."level1Year", 'level2Year', e."level2Year")
		  FROM "ViolationEraStatus" e
		 WHERE e."level1Year" IS DISTINCT FROM e."exceededYears"[1] + 1
			OR e."level2Year" IS DISTINCT FROM e."exceededYears"[2] + 1
	)
	SELECT 'ViolationCompliance', coalesce(s.key, r.key), s.j, r.j
	  FROM stored s FULL JOIN rows r ON r.key = s.key
	 WHERE s.j IS DISTINCT FROM r.j
	UNION ALL
	SELECT 'ViolationEraStatus', coalesce(s.key, c.key), s.j, c.j
	  FROM stored_chains s FULL JOIN chains c ON c.key = s.key
	 WHERE s.j IS DISTINCT FROM c.j
	ORDER BY 1, 2
$$;

/*
 * Changes that the sample triggers do not see: the rows of the facilities
 * concerned (or all) are brought to a recount (trigger order: see
 * violations_attach() below).
 */
CREATE FUNCTION violations_on_compliance_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	places integer[];
	changed boolean;
BEGIN
	IF TG_TABLE_NAME = 'ESMRSample' THEN
		-- TRUNCATE, of the samples and so of their sums (not DELETE: a reload
		-- would probe every dead row the next vacuum has not removed)
		TRUNCATE "ViolationCompliance", "ViolationEraStatus";
		RETURN NULL;
	ELSIF TG_TABLE_NAME = 'Facility' THEN
		-- the link to a Facility: "facilityId" only
		IF TG_OP = 'INSERT' THEN
			EXECUTE 'SELECT array_agg(n."esmrFacilityId") FROM violations_new n' INTO places;
		ELSIF TG_OP = 'DELETE' THEN
			EXECUTE 'SELECT array_agg(o."esmrFacilityId") FROM violations_old o' INTO places;
		ELSE
			-- a link that is not in both: moved, dropped, or its Facility renamed
			EXECUTE $q$
				SELECT array_agg(x.p)
				  FROM (SELECT o."esmrFacilityId" AS p FROM violations_old o
						EXCEPT
						SELECT n."esmrFacilityId" FROM violations_new n
						 WHERE (n."id", n."esmrFacilityId") IN
							   (SELECT o."id", o."esmrFacilityId" FROM violations_old o)) x$q$
				INTO places;
			EXECUTE $q$
				SELECT array_agg(x.p) || $1
				  FROM (SELECT n."esmrFacilityId" AS p FROM violations_new n
						EXCEPT
						SELECT o."esmrFacilityId" FROM violations_old o
						 WHERE (o."id", o."esmrFacilityId") IN
							   (SELECT n."id", n."esmrFacilityId" FROM violations_new n)) x$q$
				INTO places USING places;
		END IF;
		UPDATE "ViolationCompliance" c
		   SET "facilityId" = f."id"
		  FROM (SELECT p, (SELECT f0."id" FROM "Facility" f0 WHERE f0."esmrFacilityId" = p) AS id
				  FROM unnest(places) AS p WHERE p IS NOT NULL) f
		 WHERE c."facilityPlaceId" = f.p AND c."facilityId" IS DISTINCT FROM f."id";
		UPDATE "ViolationEraStatus" e
		   SET "facilityId" = f."id"
		  FROM (SELECT p, (SELECT f0."id" FROM "Facility" f0 WHERE f0."esmrFacilityId" = p) AS id
				  FROM unnest(places) AS p WHERE p IS NOT NULL) f
		 WHERE e."facilityPlaceId" = f.p AND e."facilityId" IS DISTINCT FROM f."id";
		RETURN NULL;
	ELSIF TG_TABLE_NAME = 'ESMRLocation' AND TG_OP = 'DELETE' THEN
		EXECUTE 'SELECT array_agg(DISTINCT o."facilityPlaceId") FROM violations_old o' INTO places;
	ELSIF TG_TABLE_NAME = 'ESMRLocation' THEN
		EXECUTE $q$
			SELECT array_agg(DISTINCT x.p)
			  FROM violations_old o JOIN violations_new n ON n."locationPlaceId" = o."locationPlaceId",
				   LATERAL (VALUES (o."facilityPlaceId"), (n."facilityPlaceId")) AS x(p)
			 WHERE o."facilityPlaceId" IS DISTINCT FROM n."facilityPlaceId"$q$ INTO places;
		IF places IS NULL THEN
			-- a location renumbered: its samples follow by cascade
			EXECUTE $q$
				SELECT array_agg(DISTINCT n."facilityPlaceId")
				  FROM violations_new n
				 WHERE NOT EXISTS (SELECT 1 FROM violations_old o
									WHERE o."locationPlaceId" = n."locationPlaceId")$q$
				INTO places;
			IF places IS NULL THEN
				RETURN NULL;
			END IF;
		END IF;
	ELSIF TG_TABLE_NAME = 'ViolationSettings' THEN
		IF to_regclass('@extschema@."ESMRSample"') IS NULL THEN
			RETURN NULL;			-- not attached to the app yet
		END IF;
		-- the row deleted: the defaults apply (not INSERT: a restore copies the row in)
		IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
			PERFORM violations_serialize_with_ingest();
			PERFORM violations_compliance_rebuild();
			RETURN NULL;
		END IF;
		EXECUTE $q$
			SELECT EXISTS (SELECT 1 FROM violations_old o JOIN violations_new n ON n."id" = o."id"
							WHERE (o."nonDetects", o."evaluateDnq")
								  IS DISTINCT FROM (n."nonDetects", n."evaluateDnq"))$q$
			INTO changed;
		IF NOT changed THEN
			RETURN NULL;
		END IF;
	END IF;
	-- benchmarks, parameters, settings: every facility
	PERFORM violations_serialize_with_ingest();
	PERFORM violations_compliance_rebuild(places);
	RETURN NULL;
END
$$;

-- AFTER UPDATE / AFTER DELETE on "ESMRSample": the old rows' contributions out, the new ones in.
CREATE FUNCTION violations_compliance_samples()
RETURNS trigger
AS 'MODULE_PATHNAME', 'violations_compliance_samples'
LANGUAGE C
SET search_path = pg_catalog, @extschema@, pg_temp;

CREATE TRIGGER violations_sums_settings
	AFTER UPDATE ON "ViolationSettings"
	REFERENCING OLD TABLE AS violations_old NEW TABLE AS violations_new
	FOR EACH STATEMENT EXECUTE FUNCTION violations_on_compliance_change();
CREATE TRIGGER violations_sums_settings_deleted
	AFTER DELETE OR TRUNCATE ON "ViolationSettings"
	FOR EACH STATEMENT EXECUTE FUNCTION violations_on_compliance_change();

/*
 * violations_attach() of 1.1 stays as it was, under another name; the new
 * one adds the triggers that keep compliance current.
 */
ALTER FUNCTION violations_attach(boolean) RENAME TO violations_attach_detection;

CREATE FUNCTION violations_attach(with_triggers boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	ref text;
	ref_name text;
	events text;
BEGIN
	PERFORM violations_attach_detection(with_triggers);
	/*
	 * Named violations_sums_*: triggers of one event fire in name order, so
	 * these come after violations_invalidate (the recount reads the new
	 * reference data) and after the violations_reevaluate_* and
	 * violations_rekey_* triggers, which lock the events (or the samples)
	 * first, as the insert trigger does: every writer locks events before
	 * eSMR facilities, and none waits for another in a circle.
	 */
	FOR ref, ref_name, events IN SELECT * FROM (VALUES
		('ESMRSample', 'violations_sums_update',
		 'AFTER UPDATE ON "ESMRSample" REFERENCING OLD TABLE AS violations_old NEW TABLE AS violations_new FOR EACH STATEMENT EXECUTE FUNCTION violations_compliance_samples()'),
		('ESMRSample', 'violations_sums_delete',
		 'AFTER DELETE ON "ESMRSample" REFERENCING OLD TABLE AS violations_old FOR EACH STATEMENT EXECUTE FUNCTION violations_compliance_samples()'),
		('ESMRSample', 'violations_sums_truncate',
		 'AFTER TRUNCATE ON "ESMRSample" FOR EACH STATEMENT EXECUTE FUNCTION violations_on_compliance_change()'),
		('PollutantBenchmark', 'violations_sums_benchmarks',
		 'AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "PollutantBenchmark" FOR EACH STATEMENT EXECUTE FUNCTION violations_on_compliance_change()'),
		('ESMRParameter', 'violations_sums_parameters',
		 'AFTER UPDATE OF "id", "canonicalKey" OR DELETE ON "ESMRParameter" FOR EACH STATEMENT EXECUTE FUNCTION violations_on_compliance_change()'),
		('ESMRLocation', 'violations_sums_location_update',
		 'AFTER UPDATE ON "ESMRLocation" REFERENCING OLD TABLE AS violations_old NEW TABLE AS violations_new FOR EACH STATEMENT EXECUTE FUNCTION violations_on_compliance_change()'),
		('ESMRLocation', 'violations_sums_location_delete',
		 'AFTER DELETE ON "ESMRLocation" REFERENCING OLD TABLE AS violations_old FOR EACH STATEMENT EXECUTE FUNCTION violations_on_compliance_change()'),
		('Facility', 'violations_sums_facility_insert',
		 'AFTER INSERT ON "Facility" REFERENCING NEW TABLE AS violations_new FOR EACH STATEMENT EXECUTE FUNCTION violations_on_compliance_change()'),
		('Facility', 'violations_sums_facility_update',
		 'AFTER UPDATE ON "Facility" REFERENCING OLD TABLE AS violations_old NEW TABLE AS violations_new FOR EACH STATEMENT EXECUTE FUNCTION violations_on_compliance_change()'),
		('Facility', 'violations_sums_facility_delete',
		 'AFTER DELETE ON "Facility" REFERENCING OLD TABLE AS violations_old FOR EACH STATEMENT EXECUTE FUNCTION violations_on_compliance_change()'))
		AS t(tbl, name, def) WHERE with_triggers
	LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_trigger
						WHERE tgname = ref_name AND tgrelid = format('%I', ref)::regclass) THEN
			EXECUTE format('CREATE TRIGGER %I %s', ref_name, events);
		END IF;
	END LOOP;
END
$$;

-- ---------------------------------------------------------------- reporting

/*
 * Compliance reporting by benchmark type: per facility x reporting year (the
 * dashboard's, as the events have it) x NAL, MCL, CMC or CCC, the counts and
 * the worst exceedance.  Filter on "facilityId" or "facilityPlaceId": the
 * filter reaches the violation indexes.
 */
CREATE VIEW "ViolationComplianceReport" AS
SELECT v."facilityId", v."facilityPlaceId", e."reportingYear", v."benchmarkType",
	   count(*)::integer AS "violationCount",
	   count(DISTINCT v."esmrSampleId")::integer AS "sampleCount",
	   count(*) FILTER (WHERE v."status" = 'OPEN')::integer AS "openCount",
	   count(*) FILTER (WHERE v."severity" = 'CRITICAL')::integer AS "criticalCount",
	   max(v."exceedanceRatio") AS "maxRatio",
	   (array_agg(v."id" ORDER BY v."exceedanceRatio" DESC, v."detectedAt" DESC, v."id"))[1]
		   AS "worstViolationId",
	   (array_agg(v."pollutantKey" ORDER BY v."exceedanceRatio" DESC, v."detectedAt" DESC, v."id"))[1]
		   AS "worstPollutant",
	   (array_agg(v."detectedAt" ORDER BY v."exceedanceRatio" DESC, v."detectedAt" DESC, v."id"))[1]
		   AS "worstDetectedAt",
	   (array_agg(v."measuredValue" ORDER BY v."exceedanceRatio" DESC, v."detectedAt" DESC, v."id"))[1]
		   AS "worstMeasuredValue",
	   (array_agg(v."benchmarkValue" ORDER BY v."exceedanceRatio" DESC, v."detectedAt" DESC, v."id"))[1]
		   AS "worstBenchmarkValue",
	   (array_agg(v."units" ORDER BY v."exceedanceRatio" DESC, v."detectedAt" DESC, v."id"))[1]::text
		   AS "worstUnits"
  FROM "ViolationSample" v
  JOIN "ViolationEvent" e ON e."id" = v."eventId"
 GROUP BY v."facilityId", v."facilityPlaceId", e."reportingYear", v."benchmarkType";

-- The n violations of highest ratio of a Facility in a reporting year, of one type or all.
CREATE FUNCTION violations_worst_exceedances(facility_id text, reporting_year text,
											 benchmark_type text DEFAULT NULL,
											 n integer DEFAULT 10)
RETURNS SETOF "ViolationSample"
LANGUAGE sql STABLE
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
	SELECT v.*
	  FROM "ViolationSample" v
	  JOIN "ViolationEvent" e ON e."id" = v."eventId"
	 WHERE v."facilityId" = facility_id AND e."reportingYear" = reporting_year
	   AND (benchmark_type IS NULL OR v."benchmarkType" = benchmark_type)
	 ORDER BY v."exceedanceRatio" DESC, v."detectedAt" DESC, v."id"
	 LIMIT n
$$;

-- ---------------------------------------------------------------- rights

ALTER FUNCTION violations_compliance_samples() SECURITY DEFINER;
ALTER FUNCTION violations_on_compliance_change() SECURITY DEFINER;
ALTER FUNCTION violations_compliance_rebuild(integer[], boolean) SECURITY DEFINER;

REVOKE EXECUTE ON FUNCTION
	violations_attach(boolean),
	violations_attach_detection(boolean),
	violations_announce(jsonb[]),
	violations_announce_violations(text[], text[]),
	violations_compliance_apply(integer[], text[], integer[], text[], text[], numeric[],
								integer[], numeric[], integer[], integer[], boolean),
	violations_compliance_rebuild(integer[], boolean)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION violations_compliance_rebuild(integer[], boolean) TO violations_admin;
GRANT SELECT ON "ViolationCompliance", "ViolationEraStatus", "ViolationComplianceReport"
	TO violations_reader;

-- ---------------------------------------------------------------- fill

-- the new triggers, and the compliance of the samples already stored
DO $$
BEGIN
	IF to_regclass('@extschema@."ESMRSample"') IS NOT NULL THEN
		PERFORM @extschema@.violations_attach();
		PERFORM @extschema@.violations_compliance_rebuild(NULL, false);
	END IF;
END
$$;
