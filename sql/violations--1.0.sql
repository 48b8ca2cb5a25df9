/* violations--1.0.sql: install script of the violations extension */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION violations" to load this file. \quit

/*
 * Everything below lives in the extension's schema, which must be the schema
 * that holds the app's tables (public by default).  Nothing here may require
 * the app's objects to exist, not even its enum types: pg_restore runs
 * CREATE EXTENSION before it creates them.  So benchmark types are stored as
 * text, and what needs the app's tables (foreign keys into them, the triggers
 * on them, the default settings) is done by violations_attach(), which the
 * end of this script calls when the app's tables are present and an event
 * trigger calls after a restore.
 */

/*
 * The app's legacy placeholder "ViolationEvent" (see docs/MIGRATION.md).
 * Moved aside here so that the extension's own "ViolationEvent" can take its
 * name; its rows are copied into the new table and the Alert foreign key is
 * re-pointed at the end of this script.
 */
DO $$
BEGIN
	IF to_regclass('@extschema@."ViolationEvent"') IS NOT NULL THEN
		ALTER TABLE @extschema@."ViolationEvent" RENAME TO "ViolationEvent_legacy";
		ALTER INDEX @extschema@."ViolationEvent_pkey"
			RENAME TO "ViolationEvent_legacy_pkey";
		ALTER INDEX IF EXISTS @extschema@."ViolationEvent_facilityId_pollutant_reportingYear_key"
			RENAME TO "ViolationEvent_legacy_key";
		ALTER TABLE @extschema@."ViolationEvent_legacy"
			RENAME CONSTRAINT "ViolationEvent_facilityId_fkey"
			TO "ViolationEvent_legacy_facilityId_fkey";
	END IF;
END
$$;

-- ---------------------------------------------------------------- enums

CREATE TYPE "ViolationStatus" AS ENUM ('OPEN', 'UNDER_REVIEW', 'RESOLVED', 'DISMISSED');

-- Declared in rising order, so that max(severity) is the worst one.
CREATE TYPE "ViolationSeverity" AS ENUM ('LOW', 'MODERATE', 'HIGH', 'CRITICAL');

-- ---------------------------------------------------------------- settings

-- One row (id = true) of the settings that change detection results.
CREATE TABLE "ViolationSettings" (
	"id"                     boolean PRIMARY KEY DEFAULT true CHECK ("id"),
	"reportingYearStartMonth" integer NOT NULL DEFAULT 1
		CHECK ("reportingYearStartMonth" BETWEEN 1 AND 12),
	"evaluateDnq"            boolean NOT NULL DEFAULT false
);

/*
 * Severity bands per benchmark type: a violation gets the severity of the
 * band with the greatest minRatio that its exceedance ratio is above.  The
 * defaults (seeded by violations_attach) reproduce the app's old rule.
 */
CREATE TABLE "ViolationSeverityBand" (
	-- a "BenchmarkType" label; text because the install cannot use the app's types
	"benchmarkType" text NOT NULL,
	"minRatio"      numeric(18,6) NOT NULL CHECK ("minRatio" >= 0),
	"severity"      "ViolationSeverity" NOT NULL,
	CONSTRAINT "ViolationSeverityBand_pkey" PRIMARY KEY ("benchmarkType", "minRatio"),
	CONSTRAINT "ViolationSeverityBand_severity_key" UNIQUE ("benchmarkType", "severity")
);

-- ---------------------------------------------------------------- aggregates

/*
 * The aggregate per facility x pollutant x reporting year.  A facility is the
 * app's Facility when the eSMR facility is linked to one (or for a facility
 * made by hand), else the bare eSMR facility: hence two partial unique keys.
 * Every column of the app's legacy ViolationEvent is kept with its meaning.
 */
CREATE TABLE "ViolationEvent" (
	"id"               text PRIMARY KEY DEFAULT gen_random_uuid()::text,
	"facilityId"       text,
	"facilityPlaceId"  integer,
	"pollutant"        text NOT NULL,
	"reportingYear"    text NOT NULL,
	"firstDate"        date NOT NULL,
	"lastDate"         date NOT NULL,
	"count"            integer NOT NULL DEFAULT 0,
	"maxRatio"         numeric(40,4) NOT NULL DEFAULT 0,
	"impairedWater"    boolean NOT NULL DEFAULT false,
	"dismissed"        boolean NOT NULL DEFAULT false,
	"openCount"        integer NOT NULL DEFAULT 0,
	"underReviewCount" integer NOT NULL DEFAULT 0,
	"resolvedCount"    integer NOT NULL DEFAULT 0,
	"dismissedCount"   integer NOT NULL DEFAULT 0,
	"lowCount"         integer NOT NULL DEFAULT 0,
	"moderateCount"    integer NOT NULL DEFAULT 0,
	"highCount"        integer NOT NULL DEFAULT 0,
	"criticalCount"    integer NOT NULL DEFAULT 0,
	"maxSeverity"      "ViolationSeverity" GENERATED ALWAYS AS (
		CASE
			WHEN "criticalCount" > 0 THEN 'CRITICAL'::"ViolationSeverity"
			WHEN "highCount" > 0 THEN 'HIGH'::"ViolationSeverity"
			WHEN "moderateCount" > 0 THEN 'MODERATE'::"ViolationSeverity"
			WHEN "lowCount" > 0 THEN 'LOW'::"ViolationSeverity"
		END) STORED,
	-- true while the row still holds the legacy table's figures
	"legacy"           boolean NOT NULL DEFAULT false,
	-- the legacy row was dismissed: the backfill files its samples' violations as DISMISSED
	"legacyDismissed"  boolean NOT NULL DEFAULT false,
	"updatedAt"        timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
	CONSTRAINT "ViolationEvent_facility_check"
		CHECK ("facilityId" IS NOT NULL OR "facilityPlaceId" IS NOT NULL OR "legacy"),
	CONSTRAINT "ViolationEvent_counts_check"
		CHECK ("count" >= 0 AND "openCount" >= 0 AND "underReviewCount" >= 0
			   AND "resolvedCount" >= 0 AND "dismissedCount" >= 0
			   AND "lowCount" >= 0 AND "moderateCount" >= 0
			   AND "highCount" >= 0 AND "criticalCount" >= 0)
);

-- The legacy unique key, now for facilities the app knows; facility summary.
CREATE UNIQUE INDEX "ViolationEvent_facilityId_reportingYear_pollutant_key"
	ON "ViolationEvent" ("facilityId", "reportingYear", "pollutant")
	WHERE "facilityId" IS NOT NULL;
-- eSMR facilities linked to no Facility.
CREATE UNIQUE INDEX "ViolationEvent_facilityPlaceId_reportingYear_pollutant_key"
	ON "ViolationEvent" ("facilityPlaceId", "reportingYear", "pollutant")
	WHERE "facilityId" IS NULL;
-- Pollutant summary: "TSS violations occurred at 15 facilities in 2024".
CREATE INDEX "ViolationEvent_pollutant_reportingYear_idx"
	ON "ViolationEvent" ("pollutant", "reportingYear");
-- Year-wide dashboards: "top facilities in 2025", "all pollutants in 2025".
CREATE INDEX "ViolationEvent_reportingYear_idx"
	ON "ViolationEvent" ("reportingYear");
-- Relinking an eSMR facility finds its events by place id.
CREATE INDEX "ViolationEvent_facilityPlaceId_idx"
	ON "ViolationEvent" ("facilityPlaceId");

-- One row per event x calendar month of sampling: "violations this month".
CREATE TABLE "ViolationMonthly" (
	"eventId"          text NOT NULL,	-- foreign key added by violations_attach()
	"month"            date NOT NULL CHECK ("month" = date_trunc('month', "month")::date),
	"count"            integer NOT NULL DEFAULT 0,
	"openCount"        integer NOT NULL DEFAULT 0,
	"underReviewCount" integer NOT NULL DEFAULT 0,
	"resolvedCount"    integer NOT NULL DEFAULT 0,
	"dismissedCount"   integer NOT NULL DEFAULT 0,
	"lowCount"         integer NOT NULL DEFAULT 0,
	"moderateCount"    integer NOT NULL DEFAULT 0,
	"highCount"        integer NOT NULL DEFAULT 0,
	"criticalCount"    integer NOT NULL DEFAULT 0,
	CONSTRAINT "ViolationMonthly_pkey" PRIMARY KEY ("eventId", "month"),
	CONSTRAINT "ViolationMonthly_count_check" CHECK ("count" >= 0)
);

CREATE INDEX "ViolationMonthly_month_idx" ON "ViolationMonthly" ("month");

-- ---------------------------------------------------------------- violations

-- One row per sample x benchmark exceedance (or one entered by hand).
CREATE TABLE "ViolationSample" (
	"id"              text PRIMARY KEY DEFAULT gen_random_uuid()::text,
	"esmrSampleId"    text,
	"benchmarkId"     text NOT NULL,
	"eventId"         text NOT NULL,	-- foreign key added by violations_attach()
	"facilityPlaceId" integer,
	"facilityId"      text,
	"pollutantKey"    text NOT NULL,
	-- a "BenchmarkType" label (text: see the top of this file)
	"benchmarkType"   text NOT NULL,
	"detectedAt"      date NOT NULL,
	"measuredValue"   numeric NOT NULL,
	"benchmarkValue"  numeric(18,6) NOT NULL,
	"units"           varchar(50) NOT NULL,
	"exceedanceRatio" numeric(40,4) NOT NULL,
	"severity"        "ViolationSeverity" NOT NULL,
	"status"          "ViolationStatus" NOT NULL DEFAULT 'OPEN',
	"statusChangedAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
	"note"            text,
	"createdAt"       timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
	CONSTRAINT "ViolationSample_esmrSampleId_benchmarkId_key"
		UNIQUE ("esmrSampleId", "benchmarkId")
);

-- Drilldown facility -> pollutant -> samples, newest first (linked facilities).
CREATE INDEX "ViolationSample_facilityId_pollutantKey_detectedAt_idx"
	ON "ViolationSample" ("facilityId", "pollutantKey", "detectedAt");
-- The same for eSMR facilities linked to no Facility.
CREATE INDEX "ViolationSample_facilityPlaceId_pollutantKey_detectedAt_idx"
	ON "ViolationSample" ("facilityPlaceId", "pollutantKey", "detectedAt");
-- Event -> its samples; also keeps the event foreign key cheap to check.
CREATE INDEX "ViolationSample_eventId_detectedAt_idx"
	ON "ViolationSample" ("eventId", "detectedAt");
-- Deleting a benchmark cascades to its violations.
CREATE INDEX "ViolationSample_benchmarkId_idx" ON "ViolationSample" ("benchmarkId");
-- Review queues across facilities: open / critical violations by date.
CREATE INDEX "ViolationSample_status_severity_detectedAt_idx"
	ON "ViolationSample" ("status", "severity", "detectedAt");

-- Who moved which violation from which status to which, and why.
CREATE TABLE "ViolationStatusHistory" (
	"id"           text PRIMARY KEY DEFAULT gen_random_uuid()::text,
	-- no foreign key: history outlives the violation
	"violationId"  text NOT NULL,
	"esmrSampleId" text,
	"fromStatus"   "ViolationStatus",
	"toStatus"     "ViolationStatus" NOT NULL,
	"changedAt"    timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
	"changedBy"    text NOT NULL DEFAULT current_user,
	"note"         text
);

CREATE INDEX "ViolationStatusHistory_violationId_changedAt_idx"
	ON "ViolationStatusHistory" ("violationId", "changedAt");

/*
 * Samples that could not be evaluated against a benchmark (units that do not
 * convert, a benchmark value <= 0, a NaN result, a MINIMUM benchmark against a
 * result <= 0, an infinite date): one row per sample and benchmark, so that
 * evaluating a sample again (the backfill) never counts it twice, and a
 * deleted sample takes its rows along.  Read it through "ViolationSkipSummary".
 */
CREATE TABLE "ViolationSkip" (
	"esmrSampleId"   text NOT NULL,
	"benchmarkId"    text NOT NULL,
	"reason"         text NOT NULL,
	"pollutantKey"   text NOT NULL,
	"sampleUnits"    text NOT NULL,	-- normalised, as compared
	"benchmarkUnits" text NOT NULL,
	"loggedAt"       timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
	CONSTRAINT "ViolationSkip_pkey" PRIMARY KEY ("esmrSampleId", "benchmarkId")
);

CREATE INDEX "ViolationSkip_benchmarkId_idx" ON "ViolationSkip" ("benchmarkId");

CREATE VIEW "ViolationSkipSummary" AS
SELECT "reason", "pollutantKey", "benchmarkId", "sampleUnits", "benchmarkUnits",
	   count(*)::bigint AS "sampleCount",
	   min("loggedAt") AS "firstSeen", max("loggedAt") AS "lastSeen",
	   max("esmrSampleId") AS "exampleSampleId"
  FROM "ViolationSkip"
 GROUP BY 1, 2, 3, 4, 5;

-- Progress of violations_backfill(): one row, updated in each batch's transaction.
CREATE TABLE "ViolationBackfill" (
	"id"          boolean PRIMARY KEY DEFAULT true CHECK ("id"),
	"lastSampleId" text,
	"samplesDone" bigint NOT NULL DEFAULT 0,
	"violationsFound" bigint NOT NULL DEFAULT 0,
	"totalSamples" bigint,
	"startedAt"   timestamp(3),
	"updatedAt"   timestamp(3),
	"finishedAt"  timestamp(3)
);

-- Extension tables hold user data: pg_dump must dump their rows.
SELECT pg_catalog.pg_extension_config_dump('"ViolationSettings"', '');
SELECT pg_catalog.pg_extension_config_dump('"ViolationSeverityBand"', '');
SELECT pg_catalog.pg_extension_config_dump('"ViolationEvent"', '');
SELECT pg_catalog.pg_extension_config_dump('"ViolationMonthly"', '');
SELECT pg_catalog.pg_extension_config_dump('"ViolationSample"', '');
SELECT pg_catalog.pg_extension_config_dump('"ViolationStatusHistory"', '');
SELECT pg_catalog.pg_extension_config_dump('"ViolationSkip"', '');
SELECT pg_catalog.pg_extension_config_dump('"ViolationBackfill"', '');

-- ---------------------------------------------------------------- functions

-- Reporting-year label of a sampling date: '2024', or '2023-2024' when the year starts in another month.
CREATE FUNCTION violations_reporting_year(sampling_date date, start_month integer)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
	SELECT CASE
		WHEN start_month = 1 THEN extract(year FROM sampling_date)::int::text
		WHEN extract(month FROM sampling_date) >= start_month
			THEN extract(year FROM sampling_date)::int::text || '-'
				 || (extract(year FROM sampling_date)::int + 1)::text
		ELSE (extract(year FROM sampling_date)::int - 1)::text || '-'
			 || extract(year FROM sampling_date)::int::text
	END
$$;

-- Units as compared: trimmed, without spaces, lower case, µ and mc read as u.
CREATE FUNCTION violations_normalize_units(units text)
RETURNS text
AS 'MODULE_PATHNAME', 'violations_normalize_units'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- A value converted between units, or NULL when the units do not convert.
CREATE FUNCTION violations_convert_units(value numeric, from_units text, to_units text)
RETURNS numeric
AS 'MODULE_PATHNAME', 'violations_convert_units'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Statement-level trigger on "ESMRSample": evaluates the inserted samples.
CREATE FUNCTION violations_detect()
RETURNS trigger
AS 'MODULE_PATHNAME', 'violations_detect'
LANGUAGE C;

-- Statement-level trigger on the reference tables: drops cached lookups in every backend.
CREATE FUNCTION violations_invalidate()
RETURNS trigger
AS 'MODULE_PATHNAME', 'violations_invalidate'
LANGUAGE C;

-- Evaluates up to batch_size samples with id > after_id that have no violation yet.
CREATE FUNCTION violations_backfill_batch(
	after_id text, batch_size integer,
	OUT last_id text, OUT samples bigint, OUT violations bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'violations_backfill_batch'
LANGUAGE C VOLATILE;

/*
 * Links the extension to the app's tables: foreign keys from the violation
 * tables, the detection and cache-invalidation triggers (unless
 * with_triggers is false: a restore brings its own), the default settings.
 * Idempotent; CREATE EXTENSION calls it when the app's tables exist, and the
 * event trigger below after a restore (docs/OPERATIONS.md).
 */
CREATE FUNCTION violations_attach(with_triggers boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	missing text;
	ref text;
	events text;
BEGIN
	SELECT string_agg(t, ', ') INTO missing
	  FROM unnest(ARRAY['ESMRSample', 'ESMRLocation', 'ESMRParameter',
						'PollutantBenchmark', 'Facility']) AS t
	 WHERE to_regclass(format('@extschema@.%I', t)) IS NULL;
	IF missing IS NOT NULL THEN
		RAISE EXCEPTION 'violations: the app''s tables % are not in schema %',
			missing, '@extschema@'
			USING ERRCODE = 'undefined_table',
				  HINT = 'Run the app''s migrations first, or install the extension into the schema that holds them.';
	END IF;

	/*
	 * Foreign keys, even those between the extension's own tables: pg_restore
	 * -j copies their rows back in any order, so none may exist before the
	 * data is in.
	 */
	IF NOT EXISTS (SELECT 1 FROM pg_constraint
					WHERE conname = 'ViolationSample_eventId_fkey'
					  AND conrelid = '"ViolationSample"'::regclass) THEN
		ALTER TABLE "ViolationSample"
			ADD CONSTRAINT "ViolationSample_eventId_fkey"
			FOREIGN KEY ("eventId") REFERENCES "ViolationEvent" ("id")
			ON DELETE RESTRICT ON UPDATE CASCADE;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_constraint
					WHERE conname = 'ViolationMonthly_eventId_fkey'
					  AND conrelid = '"ViolationMonthly"'::regclass) THEN
		ALTER TABLE "ViolationMonthly"
			ADD CONSTRAINT "ViolationMonthly_eventId_fkey"
			FOREIGN KEY ("eventId") REFERENCES "ViolationEvent" ("id")
			ON DELETE CASCADE ON UPDATE CASCADE;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_constraint
					WHERE conname = 'ViolationSample_esmrSampleId_fkey'
					  AND conrelid = '"ViolationSample"'::regclass) THEN
		ALTER TABLE "ViolationSample"
			ADD CONSTRAINT "ViolationSample_esmrSampleId_fkey"
			FOREIGN KEY ("esmrSampleId") REFERENCES "ESMRSample" ("id")
			ON DELETE CASCADE ON UPDATE CASCADE;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_constraint
					WHERE conname = 'ViolationSample_benchmarkId_fkey'
					  AND conrelid = '"ViolationSample"'::regclass) THEN
		ALTER TABLE "ViolationSample"
			ADD CONSTRAINT "ViolationSample_benchmarkId_fkey"
			FOREIGN KEY ("benchmarkId") REFERENCES "PollutantBenchmark" ("id")
			ON DELETE CASCADE ON UPDATE CASCADE;
	END IF;
	/*
	 * RESTRICT, as the legacy table had: a Facility that has violations
	 * cannot simply vanish from under them.
	 */
	IF NOT EXISTS (SELECT 1 FROM pg_constraint
					WHERE conname = 'ViolationSample_facilityId_fkey'
					  AND conrelid = '"ViolationSample"'::regclass) THEN
		ALTER TABLE "ViolationSample"
			ADD CONSTRAINT "ViolationSample_facilityId_fkey"
			FOREIGN KEY ("facilityId") REFERENCES "Facility" ("id")
			ON DELETE RESTRICT ON UPDATE CASCADE;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_constraint
					WHERE conname = 'ViolationEvent_facilityId_fkey'
					  AND conrelid = '"ViolationEvent"'::regclass) THEN
		ALTER TABLE "ViolationEvent"
			ADD CONSTRAINT "ViolationEvent_facilityId_fkey"
			FOREIGN KEY ("facilityId") REFERENCES "Facility" ("id")
			ON DELETE RESTRICT ON UPDATE CASCADE;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_constraint
					WHERE conname = 'ViolationSkip_esmrSampleId_fkey'
					  AND conrelid = '"ViolationSkip"'::regclass) THEN
		ALTER TABLE "ViolationSkip"
			ADD CONSTRAINT "ViolationSkip_esmrSampleId_fkey"
			FOREIGN KEY ("esmrSampleId") REFERENCES "ESMRSample" ("id")
			ON DELETE CASCADE ON UPDATE CASCADE;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_constraint
					WHERE conname = 'ViolationSkip_benchmarkId_fkey'
					  AND conrelid = '"ViolationSkip"'::regclass) THEN
		ALTER TABLE "ViolationSkip"
			ADD CONSTRAINT "ViolationSkip_benchmarkId_fkey"
			FOREIGN KEY ("benchmarkId") REFERENCES "PollutantBenchmark" ("id")
			ON DELETE CASCADE ON UPDATE CASCADE;
	END IF;

	IF NOT with_triggers THEN
		NULL;
	-- detection: one statement-level trigger over the inserted rows
	ELSIF NOT EXISTS (SELECT 1 FROM pg_trigger
					WHERE tgname = 'violations_detect_insert'
					  AND tgrelid = '"ESMRSample"'::regclass) THEN
		CREATE TRIGGER violations_detect_insert
			AFTER INSERT ON "ESMRSample"
			REFERENCING NEW TABLE AS violations_new
			FOR EACH STATEMENT EXECUTE FUNCTION violations_detect();
	END IF;

	/*
	 * Lookups cached in backend memory are dropped when these change.  A new
	 * location cannot be in the cache yet, so inserting one needs no
	 * invalidation; only the columns that detection reads matter on UPDATE.
	 */
	FOR ref, events IN SELECT * FROM (VALUES
		('PollutantBenchmark', 'INSERT OR UPDATE OR DELETE OR TRUNCATE'),
		('ESMRParameter', 'INSERT OR UPDATE OF "id", "canonicalKey" OR DELETE OR TRUNCATE'),
		('ESMRLocation', 'UPDATE OF "locationPlaceId", "facilityPlaceId" OR DELETE OR TRUNCATE'),
		('Facility', 'INSERT OR UPDATE OF "id", "esmrFacilityId", "impairedWater" OR DELETE OR TRUNCATE'))
		AS t WHERE with_triggers
	LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_trigger
						WHERE tgname = 'violations_invalidate'
						  AND tgrelid = format('%I', ref)::regclass) THEN
			EXECUTE format('CREATE TRIGGER violations_invalidate AFTER %s ON %I
							FOR EACH STATEMENT EXECUTE FUNCTION violations_invalidate()',
						   events, ref);
		END IF;
	END LOOP;

	-- default settings, unless a restore brought the user's own
	INSERT INTO "ViolationSettings" ("id") VALUES (true) ON CONFLICT DO NOTHING;
	IF NOT EXISTS (SELECT 1 FROM "ViolationSeverityBand") THEN
		INSERT INTO "ViolationSeverityBand" ("benchmarkType", "minRatio", "severity")
		SELECT t, b.min_ratio, b.severity
		  FROM unnest(ARRAY['NAL', 'MCL', 'CMC', 'CCC']) AS t,
			   (VALUES (0::numeric, 'MODERATE'::"ViolationSeverity"),
					   (2, 'CRITICAL')) AS b(min_ratio, severity);
	END IF;
	INSERT INTO "ViolationBackfill" ("id") VALUES (true) ON CONFLICT DO NOTHING;
END
$$;

/*
 * Every aggregate row that differs from a recomputation over "ViolationSample"
 * (none when all is right).  Legacy event rows that no violation has reached
 * yet hold the old table's figures and are left out.
 */
CREATE FUNCTION violations_check_aggregates()
RETURNS TABLE (aggregate text, key text, stored jsonb, recomputed jsonb)
LANGUAGE sql STABLE
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
	WITH ev AS (
		SELECT e."id", jsonb_build_object(
				'count', e."count", 'firstDate', e."firstDate", 'lastDate', e."lastDate",
				'maxRatio', e."maxRatio",
				'open', e."openCount", 'underReview', e."underReviewCount",
				'resolved', e."resolvedCount", 'dismissed', e."dismissedCount",
				'low', e."lowCount", 'moderate', e."moderateCount",
				'high', e."highCount", 'critical', e."criticalCount",
				'facilityId', e."facilityId", 'pollutant', e."pollutant",
				'dismissed', e."dismissed") AS j
		  FROM "ViolationEvent" e
		 WHERE NOT e."legacy" AND e."count" > 0
	), rv AS (
		SELECT v."eventId" AS "id", jsonb_build_object(
				'count', count(*), 'firstDate', min(v."detectedAt"),
				'lastDate', max(v."detectedAt"), 'maxRatio', max(v."exceedanceRatio"),
				'open', count(*) FILTER (WHERE v."status" = 'OPEN'),
				'underReview', count(*) FILTER (WHERE v."status" = 'UNDER_REVIEW'),
				'resolved', count(*) FILTER (WHERE v."status" = 'RESOLVED'),
				'dismissed', count(*) FILTER (WHERE v."status" = 'DISMISSED'),
				'low', count(*) FILTER (WHERE v."severity" = 'LOW'),
				'moderate', count(*) FILTER (WHERE v."severity" = 'MODERATE'),
				'high', count(*) FILTER (WHERE v."severity" = 'HIGH'),
				'critical', count(*) FILTER (WHERE v."severity" = 'CRITICAL'),
				'facilityId', min(v."facilityId"), 'pollutant', min(v."pollutantKey"),
				'dismissed', bool_and(v."status" = 'DISMISSED')) AS j
		  FROM "ViolationSample" v
		 GROUP BY v."eventId"
	), mo AS (
		SELECT m."eventId" || '/' || m."month" AS "id", jsonb_build_object(
				'count', m."count",
				'open', m."openCount", 'underReview', m."underReviewCount",
				'resolved', m."resolvedCount", 'dismissed', m."dismissedCount",
				'low', m."lowCount", 'moderate', m."moderateCount",
				'high', m."highCount", 'critical', m."criticalCount") AS j
		  FROM "ViolationMonthly" m
		 WHERE m."count" > 0
	), rm AS (
		SELECT v."eventId" || '/' || date_trunc('month', v."detectedAt")::date AS "id",
			   jsonb_build_object(
				'count', count(*),
				'open', count(*) FILTER (WHERE v."status" = 'OPEN'),
				'underReview', count(*) FILTER (WHERE v."status" = 'UNDER_REVIEW'),
				'resolved', count(*) FILTER (WHERE v."status" = 'RESOLVED'),
				'dismissed', count(*) FILTER (WHERE v."status" = 'DISMISSED'),
				'low', count(*) FILTER (WHERE v."severity" = 'LOW'),
				'moderate', count(*) FILTER (WHERE v."severity" = 'MODERATE'),
				'high', count(*) FILTER (WHERE v."severity" = 'HIGH'),
				'critical', count(*) FILTER (WHERE v."severity" = 'CRITICAL')) AS j
		  FROM "ViolationSample" v
		 GROUP BY 1
	), keys AS (
		-- a violation's event must be the one of its facility, pollutant and year
		SELECT v."id", jsonb_build_object('eventId', v."eventId") AS j,
			   jsonb_build_object('eventId', e."id") AS r
		  FROM "ViolationSample" v
		  JOIN "ViolationEvent" ve ON ve."id" = v."eventId"
		  LEFT JOIN "ViolationEvent" e
			ON e."pollutant" = v."pollutantKey"
		   AND e."reportingYear" = violations_reporting_year(v."detectedAt",
				(SELECT s."reportingYearStartMonth" FROM "ViolationSettings" s))
		   AND CASE WHEN v."facilityId" IS NOT NULL OR ve."facilityId" IS NOT NULL
					THEN e."facilityId" = ve."facilityId"
					ELSE e."facilityId" IS NULL AND e."facilityPlaceId" = v."facilityPlaceId" END
		 WHERE e."id" IS DISTINCT FROM v."eventId"
			OR v."facilityId" IS DISTINCT FROM ve."facilityId"
	)
	SELECT 'ViolationEvent', coalesce(ev."id", rv."id"), ev.j, rv.j
	  FROM ev FULL JOIN rv ON rv."id" = ev."id"
	 WHERE ev.j IS DISTINCT FROM rv.j
	UNION ALL
	SELECT 'ViolationMonthly', coalesce(mo."id", rm."id"), mo.j, rm.j
	  FROM mo FULL JOIN rm ON rm."id" = mo."id"
	 WHERE mo.j IS DISTINCT FROM rm.j
	UNION ALL
	SELECT 'ViolationSample', keys."id", keys.j, keys.r FROM keys
$$;

/*
 * Evaluates the samples that were stored before the extension existed, in
 * batches of batch_size with a COMMIT after each, so that a crash loses at
 * most one batch and a new CALL resumes where the last one stopped.  Running
 * it again once finished changes nothing (restart => true re-scans all).
 * No SET search_path here (a procedure that has one cannot COMMIT): every
 * name is schema-qualified instead.
 */
CREATE PROCEDURE violations_backfill(batch_size integer DEFAULT 10000,
									 restart boolean DEFAULT false)
LANGUAGE plpgsql
AS $$
DECLARE
	state @extschema@."ViolationBackfill";
	b record;
	t0 timestamptz;
	rate numeric;
BEGIN
	IF batch_size IS NULL OR batch_size < 1 THEN
		RAISE EXCEPTION 'violations_backfill: batch_size must be at least 1, not %', batch_size
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	INSERT INTO @extschema@."ViolationBackfill" ("id") VALUES (true) ON CONFLICT DO NOTHING;
	SELECT * INTO state FROM @extschema@."ViolationBackfill";
	IF restart OR state."startedAt" IS NULL THEN
		UPDATE @extschema@."ViolationBackfill"
		   SET "lastSampleId" = NULL, "samplesDone" = 0, "violationsFound" = 0,
			   "totalSamples" = (SELECT count(*) FROM @extschema@."ESMRSample"),
			   "startedAt" = clock_timestamp(), "updatedAt" = clock_timestamp(),
			   "finishedAt" = NULL
		RETURNING * INTO state;
	ELSIF state."finishedAt" IS NOT NULL THEN
		RAISE NOTICE 'violations_backfill: already finished at % (% samples, % violations); CALL violations_backfill(restart => true) to scan again',
			state."finishedAt", state."samplesDone", state."violationsFound";
		RETURN;
	ELSE
		RAISE NOTICE 'violations_backfill: resuming after sample % (% of % done)',
			state."lastSampleId", state."samplesDone", state."totalSamples";
	END IF;
	COMMIT;

	t0 := clock_timestamp();
	LOOP
		SELECT * INTO b FROM @extschema@.violations_backfill_batch(state."lastSampleId", batch_size);
		EXIT WHEN b.samples = 0;
		UPDATE @extschema@."ViolationBackfill"
		   SET "lastSampleId" = b.last_id,
			   "samplesDone" = "samplesDone" + b.samples,
			   "violationsFound" = "violationsFound" + b.violations,
			   "updatedAt" = clock_timestamp()
		RETURNING * INTO state;
		COMMIT;
		rate := state."samplesDone" / greatest(extract(epoch FROM clock_timestamp() - t0), 0.001);
		RAISE NOTICE 'violations_backfill: % of % samples, % violations, % samples/s, ETA %',
			state."samplesDone", state."totalSamples", state."violationsFound", round(rate),
			CASE WHEN rate > 0 AND state."totalSamples" > state."samplesDone"
				 THEN make_interval(secs => round((state."totalSamples" - state."samplesDone") / rate))
				 ELSE interval '0' END;
	END LOOP;
	UPDATE @extschema@."ViolationBackfill" SET "finishedAt" = clock_timestamp(), "updatedAt" = clock_timestamp();
	COMMIT;
	RAISE NOTICE 'violations_backfill: finished, % samples, % violations',
		state."samplesDone", state."violationsFound";
END
$$;

-- The settings are cached with the benchmarks.
CREATE TRIGGER violations_invalidate
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "ViolationSettings"
	FOR EACH STATEMENT EXECUTE FUNCTION violations_invalidate();
CREATE TRIGGER violations_invalidate
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "ViolationSeverityBand"
	FOR EACH STATEMENT EXECUTE FUNCTION violations_invalidate();

/*
 * After a restore.  pg_restore runs CREATE EXTENSION before the app's tables
 * exist, copies the data, then re-creates the triggers that pg_dump saw on
 * the app's tables, the detection trigger among them.  That moment, when all
 * the data and primary keys are back, is when the foreign keys into the
 * app's tables can be added again: this event trigger calls
 * violations_attach() then.  If that fails (a parallel restore that has not
 * made a primary key yet), it warns and leaves violations_attach() to run by
 * hand; the restore itself goes on.
 */
CREATE FUNCTION violations_on_create_trigger()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() c
				WHERE c.object_type = 'trigger'
				  AND c.object_identity LIKE 'violations_detect_insert on %')
	   AND NOT EXISTS (SELECT 1 FROM pg_constraint
						WHERE conname = 'ViolationSample_esmrSampleId_fkey'
						  AND conrelid = '"ViolationSample"'::regclass) THEN
		BEGIN
			PERFORM violations_attach(with_triggers => false);
		EXCEPTION WHEN OTHERS THEN
			RAISE WARNING 'violations: could not re-attach to the app''s tables: %', SQLERRM
				USING HINT = 'Run SELECT violations_attach(); once the restore has finished.';
		END;
	END IF;
END
$$;

CREATE EVENT TRIGGER violations_after_restore ON ddl_command_end
	WHEN TAG IN ('CREATE TRIGGER')
	EXECUTE FUNCTION violations_on_create_trigger();

-- ---------------------------------------------------------------- legacy rows

DO $$
BEGIN
	IF to_regclass('@extschema@."ViolationEvent_legacy"') IS NOT NULL THEN
		-- the legacy figures stay until the event's first violation replaces them
		INSERT INTO @extschema@."ViolationEvent"
			("id", "facilityId", "pollutant", "reportingYear", "firstDate", "lastDate",
			 "count", "maxRatio", "impairedWater", "dismissed", "legacy", "legacyDismissed")
		SELECT "id", "facilityId", "pollutant", "reportingYear", "firstDate", "lastDate",
			   "count", "maxRatio", "impairedWater", "dismissed", true, "dismissed"
		  FROM @extschema@."ViolationEvent_legacy";
		IF to_regclass('@extschema@."Alert"') IS NOT NULL THEN
			ALTER TABLE @extschema@."Alert" DROP CONSTRAINT IF EXISTS "Alert_violationEventId_fkey";
		END IF;
		DROP TABLE @extschema@."ViolationEvent_legacy";
	END IF;
	-- (nested: a ::regclass constant is resolved even when the AND is false)
	IF to_regclass('@extschema@."Alert"') IS NOT NULL THEN
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
						WHERE conname = 'Alert_violationEventId_fkey'
						  AND conrelid = to_regclass('@extschema@."Alert"')) THEN
			ALTER TABLE @extschema@."Alert" ADD CONSTRAINT "Alert_violationEventId_fkey"
				FOREIGN KEY ("violationEventId") REFERENCES @extschema@."ViolationEvent" ("id")
				ON DELETE SET NULL ON UPDATE CASCADE;
		END IF;
	END IF;
	IF to_regclass('@extschema@."ESMRSample"') IS NOT NULL THEN
		PERFORM @extschema@.violations_attach();
	END IF;
END
$$;
