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
 * result <= 0, an infinite date or one past 294276 AD, where timestamps
 * end): one row per sample and benchmark, so that
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
LANGUAGE C
-- its queries name tables by schema; functions and operators resolve here
SET search_path = pg_catalog, @extschema@, pg_temp;

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
LANGUAGE C VOLATILE
SET search_path = pg_catalog, @extschema@, pg_temp;

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
	ref_name text;
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

	-- changes after the fact (docs/DETECTION.md, "Changes after the fact")
	FOR ref, ref_name, events IN SELECT * FROM (VALUES
		('ESMRSample', 'violations_reevaluate_samples',
		 'AFTER UPDATE ON "ESMRSample" REFERENCING OLD TABLE AS violations_old NEW TABLE AS violations_new FOR EACH STATEMENT EXECUTE FUNCTION violations_on_sample_update()'),
		('PollutantBenchmark', 'violations_reevaluate_benchmark_insert',
		 'AFTER INSERT ON "PollutantBenchmark" REFERENCING NEW TABLE AS violations_new FOR EACH STATEMENT EXECUTE FUNCTION violations_on_benchmark_change()'),
		('PollutantBenchmark', 'violations_reevaluate_benchmark_update',
		 'AFTER UPDATE ON "PollutantBenchmark" REFERENCING OLD TABLE AS violations_old NEW TABLE AS violations_new FOR EACH STATEMENT EXECUTE FUNCTION violations_on_benchmark_change()'),
		('ESMRSample', 'violations_keep_by_hand_before',
		 'BEFORE TRUNCATE ON "ESMRSample" FOR EACH STATEMENT EXECUTE FUNCTION violations_on_sample_truncate()'),
		('ESMRSample', 'violations_keep_by_hand_after',
		 'AFTER TRUNCATE ON "ESMRSample" FOR EACH STATEMENT EXECUTE FUNCTION violations_on_sample_truncate()'),
		('ESMRLocation', 'violations_reevaluate_location',
		 'AFTER UPDATE ON "ESMRLocation" REFERENCING OLD TABLE AS violations_old NEW TABLE AS violations_new FOR EACH STATEMENT EXECUTE FUNCTION violations_on_location_update()'),
		('ESMRParameter', 'violations_reevaluate_parameter',
		 'AFTER UPDATE ON "ESMRParameter" REFERENCING OLD TABLE AS violations_old NEW TABLE AS violations_new FOR EACH STATEMENT EXECUTE FUNCTION violations_on_parameter_update()'),
		('Facility', 'violations_rekey_facility_insert',
		 'AFTER INSERT ON "Facility" REFERENCING NEW TABLE AS violations_new FOR EACH STATEMENT EXECUTE FUNCTION violations_on_facility_change()'),
		('Facility', 'violations_rekey_facility_update',
		 'AFTER UPDATE ON "Facility" REFERENCING OLD TABLE AS violations_old NEW TABLE AS violations_new FOR EACH STATEMENT EXECUTE FUNCTION violations_on_facility_change()'),
		('Facility', 'violations_rekey_facility_delete',
		 'BEFORE DELETE ON "Facility" FOR EACH ROW EXECUTE FUNCTION violations_on_facility_delete()'))
		AS t(tbl, name, def) WHERE with_triggers
	LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_trigger
						WHERE tgname = ref_name AND tgrelid = format('%I', ref)::regclass) THEN
			EXECUTE format('CREATE TRIGGER %I %s', ref_name, events);
		END IF;
	END LOOP;

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
 * The aggregates as a recomputation from "ViolationSample" gives them: the
 * one definition that violations_refresh_events() writes and
 * violations_check_aggregates() compares with.
 */
CREATE VIEW violations_event_recount AS
SELECT v."eventId", count(*)::int AS "count",
	   min(v."detectedAt") AS "firstDate", max(v."detectedAt") AS "lastDate",
	   max(v."exceedanceRatio") AS "maxRatio",
	   count(*) FILTER (WHERE v."status" = 'OPEN')::int AS "openCount",
	   count(*) FILTER (WHERE v."status" = 'UNDER_REVIEW')::int AS "underReviewCount",
	   count(*) FILTER (WHERE v."status" = 'RESOLVED')::int AS "resolvedCount",
	   count(*) FILTER (WHERE v."status" = 'DISMISSED')::int AS "dismissedCount",
	   count(*) FILTER (WHERE v."severity" = 'LOW')::int AS "lowCount",
	   count(*) FILTER (WHERE v."severity" = 'MODERATE')::int AS "moderateCount",
	   count(*) FILTER (WHERE v."severity" = 'HIGH')::int AS "highCount",
	   count(*) FILTER (WHERE v."severity" = 'CRITICAL')::int AS "criticalCount",
	   bool_and(v."status" = 'DISMISSED') AS "dismissed",
	   max(v."facilityPlaceId") AS "facilityPlaceId"
  FROM "ViolationSample" v
 GROUP BY v."eventId";

CREATE VIEW violations_monthly_recount AS
SELECT v."eventId", date_trunc('month', v."detectedAt")::date AS "month",
	   count(*)::int AS "count",
	   count(*) FILTER (WHERE v."status" = 'OPEN')::int AS "openCount",
	   count(*) FILTER (WHERE v."status" = 'UNDER_REVIEW')::int AS "underReviewCount",
	   count(*) FILTER (WHERE v."status" = 'RESOLVED')::int AS "resolvedCount",
	   count(*) FILTER (WHERE v."status" = 'DISMISSED')::int AS "dismissedCount",
	   count(*) FILTER (WHERE v."severity" = 'LOW')::int AS "lowCount",
	   count(*) FILTER (WHERE v."severity" = 'MODERATE')::int AS "moderateCount",
	   count(*) FILTER (WHERE v."severity" = 'HIGH')::int AS "highCount",
	   count(*) FILTER (WHERE v."severity" = 'CRITICAL')::int AS "criticalCount"
  FROM "ViolationSample" v
 GROUP BY 1, 2;

/*
 * Every aggregate row that differs from a recomputation over "ViolationSample"
 * (none when all is right), and every violation filed under the wrong event
 * or the wrong Facility.  Legacy event rows that no violation has reached yet
 * hold the old table's figures and are left out.  (PL/pgSQL, so that it can
 * be created before the app's tables exist.)
 */
CREATE FUNCTION violations_check_aggregates()
RETURNS TABLE (aggregate text, key text, stored jsonb, recomputed jsonb)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
BEGIN
	RETURN QUERY
	WITH ev AS (
		SELECT e."id", to_jsonb(x) AS j
		  FROM "ViolationEvent" e,
			   LATERAL (SELECT e."count", e."firstDate", e."lastDate", e."maxRatio",
							   e."openCount", e."underReviewCount", e."resolvedCount",
							   e."dismissedCount", e."lowCount", e."moderateCount",
							   e."highCount", e."criticalCount", e."dismissed") x
		 WHERE NOT e."legacy" AND e."count" > 0
	), rv AS (
		SELECT r."eventId" AS "id", to_jsonb(r) - 'eventId' - 'facilityPlaceId' AS j
		  FROM violations_event_recount r
	), mo AS (
		SELECT m."eventId" || '/' || m."month" AS "id",
			   to_jsonb(m) - 'eventId' - 'month' AS j
		  FROM "ViolationMonthly" m
		 WHERE m."count" > 0
	), rm AS (
		SELECT r."eventId" || '/' || r."month" AS "id",
			   to_jsonb(r) - 'eventId' - 'month' AS j
		  FROM violations_monthly_recount r
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
	), impaired AS (
		-- a Facility's events carry its impairedWater
		SELECT e."id", jsonb_build_object('impairedWater', e."impairedWater") AS j,
			   jsonb_build_object('impairedWater', coalesce(f."impairedWater", false)) AS r
		  FROM "ViolationEvent" e
		  LEFT JOIN "Facility" f ON f."id" = e."facilityId"
		 WHERE NOT e."legacy" AND e."count" > 0
		   AND e."impairedWater" IS DISTINCT FROM coalesce(f."impairedWater", false)
	), links AS (
		-- a sample's violation belongs to the Facility linked to its eSMR facility
		SELECT v."id", jsonb_build_object('facilityId', v."facilityId") AS j,
			   jsonb_build_object('facilityId', f."id") AS r
		  FROM "ViolationSample" v
		  LEFT JOIN "Facility" f ON f."esmrFacilityId" = v."facilityPlaceId"
		 WHERE v."esmrSampleId" IS NOT NULL AND v."facilityId" IS DISTINCT FROM f."id"
	)
	SELECT 'ViolationEvent'::text, coalesce(ev."id", rv."id"), ev.j, rv.j
	  FROM ev FULL JOIN rv ON rv."id" = ev."id"
	 WHERE ev.j IS DISTINCT FROM rv.j
	UNION ALL
	SELECT 'ViolationMonthly', coalesce(mo."id", rm."id"), mo.j, rm.j
	  FROM mo FULL JOIN rm ON rm."id" = mo."id"
	 WHERE mo.j IS DISTINCT FROM rm.j
	UNION ALL
	SELECT 'ViolationSample', keys."id", keys.j, keys.r FROM keys
	UNION ALL
	SELECT 'ViolationEvent', impaired."id", impaired.j, impaired.r FROM impaired
	UNION ALL
	SELECT 'ViolationSample', links."id", links.j, links.r FROM links;
END
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

-- ---------------------------------------------------------------- changes after the fact

/*
 * What the detection rules give now for stored samples (C; writes nothing):
 * "violation" rows with the facility and reporting year each belongs to, and
 * "skip" rows for pairs that cannot be evaluated.
 */
CREATE TYPE violations_evaluation AS (
	"kind"            text,
	"esmrSampleId"    text,
	"benchmarkId"     text,
	"facilityPlaceId" integer,
	"facilityId"      text,
	"pollutantKey"    text,
	"benchmarkType"   text,
	"reportingYear"   text,
	"detectedAt"      date,
	"measuredValue"   numeric,
	"benchmarkValue"  numeric,
	"units"           text,
	"exceedanceRatio" numeric,
	"severity"        text,
	"reason"          text,
	"sampleUnits"     text
);

CREATE FUNCTION violations_evaluate(sample_ids text[])
RETURNS SETOF violations_evaluation
AS 'MODULE_PATHNAME', 'violations_evaluate'
LANGUAGE C VOLATILE
-- its queries name tables by schema; functions and operators resolve here
SET search_path = pg_catalog, @extschema@, pg_temp;

-- The severity of an exceedance from the bands, decided on the exact ratio.
CREATE FUNCTION violations_severity(benchmark_type text, is_minimum boolean,
									measured numeric, benchmark_value numeric)
RETURNS "ViolationSeverity"
LANGUAGE sql STABLE
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
	SELECT coalesce((
		SELECT b."severity" FROM "ViolationSeverityBand" b
		 WHERE b."benchmarkType" = benchmark_type
		   AND CASE WHEN is_minimum THEN benchmark_value > b."minRatio" * measured
					ELSE measured > b."minRatio" * benchmark_value END
		 ORDER BY b."minRatio" DESC LIMIT 1), 'LOW')
$$;

/*
 * The exceedance ratio (value / measured for a MINIMUM benchmark, measured /
 * value otherwise) rounded half up to 4 places from the exact quotient, as
 * detection computes it in C: floor((2 a 10^4 + b) / (2 b)) / 10^4.
 */
CREATE FUNCTION violations_exceedance_ratio(measured numeric, benchmark_value numeric,
											is_minimum boolean)
RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN is_minimum
				THEN div(2 * benchmark_value * 10000 + measured, 2 * measured)
				ELSE div(2 * measured * 10000 + benchmark_value, 2 * benchmark_value)
		   END / 10000
$$;

/*
 * Locks events in the order every writer takes them (those of a Facility by
 * facilityId, then the others by facilityPlaceId; then year and pollutant),
 * so that concurrent writers of shared events queue instead of deadlocking.
 */
CREATE FUNCTION violations_lock_events(event_ids text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
BEGIN
	PERFORM 1 FROM "ViolationEvent" e
	  WHERE e."id" = ANY (event_ids)
	  ORDER BY e."facilityId" IS NULL, e."facilityId",
			   CASE WHEN e."facilityId" IS NULL THEN e."facilityPlaceId" END,
			   e."reportingYear", e."pollutant"
	  FOR UPDATE;
END
$$;

/*
 * The events of these keys, created empty where missing, locked in the
 * writers' order.  A key is (facilityId, facilityPlaceId, pollutant, year);
 * facilityId decides when it is not null.
 */
CREATE FUNCTION violations_ensure_events(facility_ids text[], place_ids integer[],
										 pollutants text[], years text[])
RETURNS TABLE ("id" text, "facilityId" text, "facilityPlaceId" integer,
			   "pollutant" text, "reportingYear" text)
LANGUAGE sql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
	WITH d AS (
		SELECT * FROM unnest(facility_ids, place_ids, pollutants, years)
			AS d(fid, fpid, pollutant, year)
	), linked AS (
		INSERT INTO "ViolationEvent" AS e
			("facilityId", "facilityPlaceId", "pollutant", "reportingYear", "firstDate", "lastDate")
		SELECT fid, max(fpid), pollutant, year, CURRENT_DATE, CURRENT_DATE
		  FROM d WHERE fid IS NOT NULL
		 GROUP BY fid, year, pollutant
		 ORDER BY fid, year, pollutant
		ON CONFLICT ("facilityId", "reportingYear", "pollutant") WHERE "facilityId" IS NOT NULL
		DO UPDATE SET "facilityPlaceId" = coalesce(e."facilityPlaceId", excluded."facilityPlaceId")
		RETURNING e."id", e."facilityId", e."facilityPlaceId", e."pollutant", e."reportingYear"
	), unlinked AS (
		INSERT INTO "ViolationEvent" AS e
			("facilityId", "facilityPlaceId", "pollutant", "reportingYear", "firstDate", "lastDate")
		SELECT NULL, fpid, pollutant, year, CURRENT_DATE, CURRENT_DATE
		  FROM d WHERE fid IS NULL AND fpid IS NOT NULL
		 GROUP BY fpid, year, pollutant
		 ORDER BY fpid, year, pollutant
		ON CONFLICT ("facilityPlaceId", "reportingYear", "pollutant") WHERE "facilityId" IS NULL
		DO UPDATE SET "facilityPlaceId" = e."facilityPlaceId"
		RETURNING e."id", e."facilityId", e."facilityPlaceId", e."pollutant", e."reportingYear"
	)
	SELECT * FROM linked UNION ALL SELECT * FROM unlinked
$$;

/*
 * Recomputes these events and their months from "ViolationSample", after
 * locking them.  An event left without violations goes, unless it still
 * holds legacy figures or an Alert points at it: then it stays, counting
 * zero, so that the Alert finds it again when violations come back.  Used by
 * every change except the insert of new samples, which adds its deltas
 * directly.
 */
CREATE FUNCTION violations_refresh_events(event_ids text[])
RETURNS void
LANGUAGE plpgsql
-- custom plans: the arrays range from one element to thousands
SET plan_cache_mode = force_custom_plan
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	empty text[];
	kept text[];
BEGIN
	IF event_ids IS NULL OR cardinality(event_ids) = 0 THEN
		RETURN;
	END IF;
	PERFORM violations_lock_events(event_ids);
	-- (a new statement: under READ COMMITTED it sees what the lock waited for)
	UPDATE "ViolationEvent" e
	   SET ("count", "firstDate", "lastDate", "maxRatio", "openCount", "underReviewCount",
			"resolvedCount", "dismissedCount", "lowCount", "moderateCount", "highCount",
			"criticalCount", "dismissed")
		   = (r."count", r."firstDate", r."lastDate", r."maxRatio", r."openCount",
			  r."underReviewCount", r."resolvedCount", r."dismissedCount", r."lowCount",
			  r."moderateCount", r."highCount", r."criticalCount", r."dismissed"),
		   "facilityPlaceId" = r."facilityPlaceId",
		   "impairedWater" = coalesce((SELECT f."impairedWater" FROM "Facility" f
										WHERE f."id" = e."facilityId"), false),
		   "legacy" = false, "updatedAt" = CURRENT_TIMESTAMP
	  FROM violations_event_recount r
	 WHERE r."eventId" = ANY (event_ids) AND e."id" = r."eventId";
	DELETE FROM "ViolationMonthly" m WHERE m."eventId" = ANY (event_ids);
	INSERT INTO "ViolationMonthly" ("eventId", "month", "count", "openCount",
		"underReviewCount", "resolvedCount", "dismissedCount", "lowCount",
		"moderateCount", "highCount", "criticalCount")
	SELECT r."eventId", r."month", r."count", r."openCount", r."underReviewCount",
		   r."resolvedCount", r."dismissedCount", r."lowCount", r."moderateCount",
		   r."highCount", r."criticalCount"
	  FROM violations_monthly_recount r
	 WHERE r."eventId" = ANY (event_ids);
	SELECT array_agg(e."id") INTO empty
	  FROM "ViolationEvent" e
	 WHERE e."id" = ANY (event_ids) AND NOT e."legacy"
	   AND NOT EXISTS (SELECT 1 FROM "ViolationSample" v WHERE v."eventId" = e."id");
	IF empty IS NULL THEN
		RETURN;
	END IF;
	IF to_regclass('@extschema@."Alert"') IS NOT NULL THEN
		-- (dynamic: the app's table need not exist when this is created)
		EXECUTE 'SELECT array_agg(DISTINCT a."violationEventId") FROM "Alert" a
				  WHERE a."violationEventId" = ANY ($1)'
			INTO kept USING empty;
	END IF;
	UPDATE "ViolationEvent" e
	   SET "count" = 0, "maxRatio" = 0, "openCount" = 0, "underReviewCount" = 0,
		   "facilityPlaceId" = CASE WHEN e."facilityId" IS NULL THEN e."facilityPlaceId" END,
		   "resolvedCount" = 0, "dismissedCount" = 0, "lowCount" = 0, "moderateCount" = 0,
		   "highCount" = 0, "criticalCount" = 0, "dismissed" = false,
		   "updatedAt" = CURRENT_TIMESTAMP
	 WHERE e."id" = ANY (kept);
	DELETE FROM "ViolationEvent" e
	 WHERE e."id" = ANY (empty) AND NOT e."id" = ANY (coalesce(kept, '{}'));
END
$$;

/*
 * Evaluates these samples again and makes "ViolationSample" and the
 * aggregates agree, set-based: a violation that still holds keeps its id and
 * status and takes the new values, one that no longer holds goes (its status
 * history stays), a new one is added; the samples' skip rows are replaced.
 * Works in slices of 10000 samples, so that memory stays bounded.
 */
CREATE FUNCTION violations_reevaluate(sample_ids text[])
RETURNS void
LANGUAGE plpgsql
-- custom plans: the arrays range from one element to thousands
SET plan_cache_mode = force_custom_plan
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	n integer := coalesce(cardinality(sample_ids), 0);
	slice text[];
	d violations_evaluation[];
	ev text[];
	prev text := current_setting('violations.internal', true);
BEGIN
	FOR i IN 0 .. (n - 1) / 10000 LOOP
		EXIT WHEN n = 0;
		slice := sample_ids[i * 10000 + 1 : (i + 1) * 10000];
		/*
		 * Lock order, everywhere: existing violations (by id), then events
		 * (by key), as a status change does (its row, then its event).
		 */
		PERFORM 1 FROM "ViolationSample" v
		  WHERE v."esmrSampleId" = ANY (slice) ORDER BY v."id" FOR UPDATE;
		d := ARRAY(SELECT x FROM violations_evaluate(slice) x);

		-- every event the samples' violations are in now or will be in, locked
		SELECT array_agg(k."id") INTO ev
		  FROM (SELECT array_agg(fid) AS f, array_agg(fpid) AS p, array_agg(pol) AS c,
					   array_agg(yr) AS y
				  FROM (SELECT w."facilityId" AS fid, w."facilityPlaceId" AS fpid,
							   w."pollutantKey" AS pol, w."reportingYear" AS yr
						  FROM unnest(d) w WHERE w."kind" = 'violation'
						UNION
						SELECT e."facilityId", e."facilityPlaceId", e."pollutant", e."reportingYear"
						  FROM "ViolationEvent" e
						 WHERE e."id" IN (SELECT v."eventId" FROM "ViolationSample" v
										   WHERE v."esmrSampleId" = ANY (slice))) keys) a,
			   violations_ensure_events(a.f, a.p, a.c, a.y) k;

		PERFORM set_config('violations.internal', 'on', true);
		DELETE FROM "ViolationSample" v
		 WHERE v."esmrSampleId" = ANY (slice)
		   AND NOT EXISTS (SELECT 1 FROM unnest(d) w
							WHERE w."kind" = 'violation' AND w."esmrSampleId" = v."esmrSampleId"
							  AND w."benchmarkId" = v."benchmarkId");
		WITH w AS (
			SELECT w.*, e."id" AS event_id
			  FROM unnest(d) w
			  JOIN "ViolationEvent" e
				ON e."id" = ANY (ev) AND e."pollutant" = w."pollutantKey"
			   AND e."reportingYear" = w."reportingYear"
			   AND CASE WHEN w."facilityId" IS NOT NULL THEN e."facilityId" = w."facilityId"
						ELSE e."facilityId" IS NULL AND e."facilityPlaceId" = w."facilityPlaceId" END
			 WHERE w."kind" = 'violation'
		), upd AS (
			UPDATE "ViolationSample" v
			   SET "eventId" = w.event_id, "facilityPlaceId" = w."facilityPlaceId",
				   "facilityId" = w."facilityId", "pollutantKey" = w."pollutantKey",
				   "benchmarkType" = w."benchmarkType", "detectedAt" = w."detectedAt",
				   "measuredValue" = w."measuredValue", "benchmarkValue" = w."benchmarkValue",
				   "units" = w."units", "exceedanceRatio" = w."exceedanceRatio",
				   "severity" = w."severity"::"ViolationSeverity"
			  FROM w
			 WHERE v."esmrSampleId" = w."esmrSampleId" AND v."benchmarkId" = w."benchmarkId"
			   AND (v."eventId", v."facilityPlaceId", v."facilityId", v."pollutantKey",
					v."benchmarkType", v."detectedAt", v."measuredValue", v."benchmarkValue",
					v."units", v."exceedanceRatio", v."severity")
				   IS DISTINCT FROM
				   (w.event_id, w."facilityPlaceId", w."facilityId", w."pollutantKey",
					w."benchmarkType", w."detectedAt", w."measuredValue", w."benchmarkValue",
					w."units"::varchar, w."exceedanceRatio", w."severity"::"ViolationSeverity")
			RETURNING 1
		)
		INSERT INTO "ViolationSample" ("esmrSampleId", "benchmarkId", "eventId",
			"facilityPlaceId", "facilityId", "pollutantKey", "benchmarkType", "detectedAt",
			"measuredValue", "benchmarkValue", "units", "exceedanceRatio", "severity")
		SELECT w."esmrSampleId", w."benchmarkId", w.event_id, w."facilityPlaceId", w."facilityId",
			   w."pollutantKey", w."benchmarkType", w."detectedAt", w."measuredValue",
			   w."benchmarkValue", w."units", w."exceedanceRatio", w."severity"::"ViolationSeverity"
		  FROM w
		 WHERE NOT EXISTS (SELECT 1 FROM "ViolationSample" v
							WHERE v."esmrSampleId" = w."esmrSampleId"
							  AND v."benchmarkId" = w."benchmarkId");

		DELETE FROM "ViolationSkip" k WHERE k."esmrSampleId" = ANY (slice);
		INSERT INTO "ViolationSkip" ("esmrSampleId", "benchmarkId", "reason", "pollutantKey",
			"sampleUnits", "benchmarkUnits")
		SELECT w."esmrSampleId", w."benchmarkId", w."reason", w."pollutantKey", w."sampleUnits",
			   w."units"
		  FROM unnest(d) w WHERE w."kind" = 'skip'
		ON CONFLICT DO NOTHING;
		PERFORM set_config('violations.internal', coalesce(prev, 'off'), true);

		PERFORM violations_refresh_events(ev);
	END LOOP;
END
$$;

/*
 * Puts these violations in the event of their facility, pollutant and
 * reporting year as they are now: a sample's violation belongs to the
 * Facility linked to its eSMR facility (not gone_facility, which is being
 * deleted), a hand-entered one to its own Facility; the year follows the
 * settings.  For facility links and the reporting-year start month.
 */
CREATE FUNCTION violations_rekey(violation_ids text[], gone_facility text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
-- custom plans: the arrays range from one element to thousands
SET plan_cache_mode = force_custom_plan
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	start_month integer;
	t_id text[];
	t_fid text[];
	t_fpid integer[];
	t_pollutant text[];
	t_year text[];
	t_old text[];
	ev text[];
	prev text := current_setting('violations.internal', true);
BEGIN
	IF violation_ids IS NULL OR cardinality(violation_ids) = 0 THEN
		RETURN;
	END IF;
	SELECT coalesce(max(s."reportingYearStartMonth"), 1) INTO start_month
	  FROM "ViolationSettings" s;
	-- violations first, then events (see violations_reevaluate)
	PERFORM 1 FROM "ViolationSample" v
	  WHERE v."id" = ANY (violation_ids) ORDER BY v."id" FOR UPDATE;

	SELECT array_agg(v."id"),
		   array_agg(CASE WHEN v."esmrSampleId" IS NULL THEN v."facilityId"
						  ELSE (SELECT f."id" FROM "Facility" f
								 WHERE f."esmrFacilityId" = v."facilityPlaceId"
								   AND f."id" IS DISTINCT FROM gone_facility) END),
		   array_agg(v."facilityPlaceId"), array_agg(v."pollutantKey"),
		   array_agg(violations_reporting_year(v."detectedAt", start_month)),
		   array_agg(v."eventId")
	  INTO t_id, t_fid, t_fpid, t_pollutant, t_year, t_old
	  FROM "ViolationSample" v
	 WHERE v."id" = ANY (violation_ids);
	IF t_id IS NULL THEN
		RETURN;
	END IF;

	/*
	 * An event all of whose violations move, mostly to one key that has no
	 * event yet, moves itself there: its id, and the Alerts that point at it,
	 * stay.  Only within its Facility (a new reporting year) or from a bare
	 * eSMR facility to the Facility linked to it: a Facility's event never
	 * leaves the Facility, whose Alerts point at it.
	 */
	PERFORM violations_lock_events(t_old);
	WITH t AS (
		SELECT * FROM unnest(t_id, t_fid, t_fpid, t_pollutant, t_year, t_old)
			AS t(id, fid, fpid, pollutant, year, old_event)
	), g AS (
		SELECT old_event, fid, CASE WHEN fid IS NULL THEN fpid END AS kfpid,
			   max(fpid) AS fpid, pollutant, year, count(*) AS n
		  FROM t GROUP BY 1, 2, 3, 5, 6
	), whole AS (
		SELECT g.old_event FROM g GROUP BY g.old_event
		HAVING sum(g.n) = (SELECT count(*) FROM "ViolationSample" v
							WHERE v."eventId" = g.old_event)
	), best AS (
		SELECT DISTINCT ON (g.old_event) g.*
		  FROM g JOIN whole USING (old_event)
		 ORDER BY g.old_event, g.n DESC, g.year DESC
	), free AS (
		SELECT b.* FROM best b
		  JOIN "ViolationEvent" e ON e."id" = b.old_event
		 WHERE (e."facilityId", CASE WHEN e."facilityId" IS NULL THEN e."facilityPlaceId" END,
				e."reportingYear") IS DISTINCT FROM (b.fid, b.kfpid, b.year)
		   AND (e."facilityId" IS NULL OR e."facilityId" = b.fid)
		   AND NOT EXISTS (SELECT 1 FROM "ViolationEvent" x
							WHERE x."pollutant" = b.pollutant AND x."reportingYear" = b.year
							  AND CASE WHEN b.fid IS NOT NULL THEN x."facilityId" = b.fid
									   ELSE x."facilityId" IS NULL AND x."facilityPlaceId" = b.kfpid END)
	), moves AS (
		SELECT DISTINCT ON (fid, kfpid, pollutant, year) *
		  FROM free ORDER BY fid, kfpid, pollutant, year, n DESC, old_event
	)
	UPDATE "ViolationEvent" e
	   SET "facilityId" = m.fid, "facilityPlaceId" = coalesce(m.fpid, e."facilityPlaceId"),
		   "reportingYear" = m.year, "updatedAt" = CURRENT_TIMESTAMP
	  FROM moves m
	 WHERE e."id" = m.old_event;

	-- the target events and the current ones, locked in the writers' order
	SELECT array_agg(k."id") INTO ev
	  FROM (SELECT array_agg(fid) AS f, array_agg(fpid) AS p, array_agg(pollutant) AS c,
				   array_agg(year) AS y
			  FROM (SELECT * FROM unnest(t_fid, t_fpid, t_pollutant, t_year)
						AS t(fid, fpid, pollutant, year)
					UNION
					SELECT e."facilityId", e."facilityPlaceId", e."pollutant", e."reportingYear"
					  FROM "ViolationEvent" e WHERE e."id" = ANY (t_old)) keys) a,
		   violations_ensure_events(a.f, a.p, a.c, a.y) k;

	PERFORM set_config('violations.internal', 'on', true);
	UPDATE "ViolationSample" v
	   SET "facilityId" = t.fid, "eventId" = e."id"
	  FROM unnest(t_id, t_fid, t_fpid, t_pollutant, t_year) AS t(id, fid, fpid, pollutant, year)
	  JOIN "ViolationEvent" e
		ON e."id" = ANY (ev) AND e."pollutant" = t.pollutant AND e."reportingYear" = t.year
	   AND CASE WHEN t.fid IS NOT NULL THEN e."facilityId" = t.fid
				ELSE e."facilityId" IS NULL AND e."facilityPlaceId" = t.fpid END
	 WHERE v."id" = t.id
	   AND (v."facilityId", v."eventId") IS DISTINCT FROM (t.fid, e."id");
	PERFORM set_config('violations.internal', coalesce(prev, 'off'), true);

	PERFORM violations_refresh_events(ev);
END
$$;

/*
 * Rebuilds every aggregate from "ViolationSample": each violation put in the
 * event of its facility, pollutant and year, every event and month
 * recomputed.  Returns the number of events afterwards.
 */
CREATE FUNCTION violations_rebuild_aggregates()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
BEGIN
	PERFORM violations_rekey(ARRAY(SELECT v."id" FROM "ViolationSample" v));
	PERFORM violations_refresh_events(ARRAY(SELECT e."id" FROM "ViolationEvent" e));
	RETURN (SELECT count(*) FROM "ViolationEvent");
END
$$;

/*
 * Changes the status of a violation, with a note for its history; the same
 * check as a plain UPDATE of "status".  Who: the setting violations.user
 * when the app sets it, else the database role.
 */
CREATE FUNCTION violations_set_status(violation_id text, new_status "ViolationStatus",
									  note text DEFAULT NULL)
RETURNS "ViolationSample"
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	r "ViolationSample";
	found_it boolean;
	prev text := current_setting('violations.note', true);
BEGIN
	PERFORM set_config('violations.note', coalesce(note, prev, ''), true);
	UPDATE "ViolationSample" SET "status" = new_status
	 WHERE "id" = violation_id
	RETURNING * INTO r;
	found_it := FOUND;
	PERFORM set_config('violations.note', coalesce(prev, ''), true);
	IF NOT found_it THEN
		RAISE EXCEPTION 'violation "%" does not exist', violation_id
			USING ERRCODE = 'no_data_found';
	END IF;
	RETURN r;
END
$$;

/*
 * Records a violation entered by hand, for a Facility (made by hand or not):
 * measured_value in the benchmark's units must exceed the benchmark.
 */
CREATE FUNCTION violations_record_violation(facility_id text, benchmark_id text,
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
	   OR NOT isfinite(detected_at) OR detected_at >= date '294277-01-01' THEN
		RAISE EXCEPTION 'a hand-entered violation needs a finite measured value and a sampling date before 294277-01-01'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	is_min := b.lim = 'MINIMUM';
	IF b."value" <= 0 OR (is_min AND NOT (measured_value < b."value" AND measured_value > 0))
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
	VALUES (r."id", NULL, NULL, r."status",
			coalesce(nullif(current_setting('violations.user', true), ''), current_user::text),
			coalesce(note, 'entered by hand'));
	PERFORM violations_refresh_events(ARRAY[ev]);
	RETURN r;
END
$$;

-- ---------------------------------------------------------------- triggers of the changes

/*
 * A change of the rules (benchmarks, canonicalKeys, facility links,
 * locations, settings, bands) waits for the sample writes in flight and
 * holds new ones until it commits: otherwise a sample written meanwhile would
 * be evaluated by the old rules and missed by the re-evaluation, each
 * transaction blind to the other's uncommitted work.  Reference changes are
 * rare; ingest pauses for their duration.
 */
CREATE FUNCTION violations_serialize_with_ingest()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
BEGIN
	IF to_regclass('@extschema@."ESMRSample"') IS NOT NULL THEN
		LOCK TABLE "ESMRSample" IN SHARE MODE;
	END IF;
END
$$;

-- "ESMRSample" updated: the samples whose evaluated columns changed, again.
CREATE FUNCTION violations_on_sample_update()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	ids text[];
BEGIN
	-- EXECUTE here and below: a cached plan over the transition tables would
	-- keep the row estimates of the first statement, however large the next
	EXECUTE $q$
		SELECT array_agg(n."id" ORDER BY n."id")
		  FROM violations_new n LEFT JOIN violations_old o ON o."id" = n."id"
		 WHERE o."id" IS NULL
			OR (o."locationPlaceId", o."parameterId", o."samplingDate", o."qualifier",
				o."result", o."units")
			   IS DISTINCT FROM
			   (n."locationPlaceId", n."parameterId", n."samplingDate", n."qualifier",
				n."result", n."units")$q$ INTO ids;
	PERFORM violations_reevaluate(ids);
	RETURN NULL;
END
$$;

-- "PollutantBenchmark" inserted or updated: the samples of the pollutants concerned, again.
CREATE FUNCTION violations_on_benchmark_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	keys text[];
	changed text[];
BEGIN
	IF TG_OP = 'INSERT' THEN
		EXECUTE 'SELECT array_agg(DISTINCT n."pollutantKey") FROM violations_new n' INTO keys;
	ELSE
		-- only what detection reads; a new note or source changes nothing
		EXECUTE $q$
			SELECT array_agg(DISTINCT x.k), array_agg(DISTINCT x.id)
			  FROM ((SELECT o."id", o."pollutantKey" AS k, o."benchmarkType", o."limit",
							o."value", o."units" FROM violations_old o
					 EXCEPT
					 SELECT n."id", n."pollutantKey", n."benchmarkType", n."limit",
							n."value", n."units" FROM violations_new n)
					UNION ALL
					(SELECT n."id", n."pollutantKey", n."benchmarkType", n."limit",
							n."value", n."units" FROM violations_new n
					 EXCEPT
					 SELECT o."id", o."pollutantKey", o."benchmarkType", o."limit",
							o."value", o."units" FROM violations_old o)) x$q$
			INTO keys, changed;
	END IF;
	IF keys IS NULL THEN
		RETURN NULL;
	END IF;
	PERFORM violations_serialize_with_ingest();
	PERFORM violations_reevaluate(ARRAY(
		SELECT s."id" FROM "ESMRSample" s
		  JOIN "ESMRParameter" p ON p."id" = s."parameterId"
		 WHERE p."canonicalKey" = ANY (keys)
		UNION
		SELECT v."esmrSampleId" FROM "ViolationSample" v
		 WHERE v."pollutantKey" = ANY (keys) AND v."esmrSampleId" IS NOT NULL
		ORDER BY 1));
	IF changed IS NOT NULL THEN
		PERFORM violations_reassess_by_hand(changed);
	END IF;
	RETURN NULL;
END
$$;

/*
 * Hand-entered violations of changed benchmarks, assessed again: the
 * measured value is converted from the units it was entered in to the
 * benchmark's new ones; one that no longer exceeds (or whose units no longer
 * convert) goes, its history staying.
 */
CREATE FUNCTION violations_reassess_by_hand(benchmark_ids text[])
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
	   AND (r.measured IS NULL OR r.benchmark_value <= 0
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

-- "ESMRParameter" updated: the samples of the parameters whose canonicalKey changed, again.
CREATE FUNCTION violations_on_parameter_update()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	params text[];
BEGIN
	EXECUTE $q$
		SELECT array_agg(n."id")
		  FROM violations_new n LEFT JOIN violations_old o ON o."id" = n."id"
		 WHERE o."id" IS NULL OR o."canonicalKey" IS DISTINCT FROM n."canonicalKey"$q$
		INTO params;
	IF params IS NULL THEN
		RETURN NULL;
	END IF;
	PERFORM violations_serialize_with_ingest();
	PERFORM violations_reevaluate(ARRAY(
		SELECT s."id" FROM "ESMRSample" s
		 WHERE s."parameterId" = ANY (params) ORDER BY 1));
	RETURN NULL;
END
$$;

-- "ESMRLocation" moved to another eSMR facility: its samples, again.
CREATE FUNCTION violations_on_location_update()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	moved integer[];
BEGIN
	EXECUTE $q$
		SELECT array_agg(n."locationPlaceId")
		  FROM violations_new n JOIN violations_old o ON o."locationPlaceId" = n."locationPlaceId"
		 WHERE o."facilityPlaceId" IS DISTINCT FROM n."facilityPlaceId"$q$
		INTO moved;
	IF moved IS NOT NULL THEN
		PERFORM violations_serialize_with_ingest();
		PERFORM violations_reevaluate(ARRAY(
			SELECT s."id" FROM "ESMRSample" s
			 WHERE s."locationPlaceId" = ANY (moved) ORDER BY 1));
	END IF;
	RETURN NULL;
END
$$;

-- "Facility" inserted or updated: its eSMR facilities' violations follow the link.
CREATE FUNCTION violations_on_facility_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	places integer[];
	facilities text[];
BEGIN
	IF TG_OP = 'INSERT' THEN
		EXECUTE $q$
			SELECT array_agg(n."esmrFacilityId") FROM violations_new n
			 WHERE n."esmrFacilityId" IS NOT NULL$q$ INTO places;
	ELSE
		EXECUTE $q$
			SELECT array_agg(DISTINCT p) FILTER (WHERE p IS NOT NULL),
				   array_agg(DISTINCT f) FILTER (WHERE f IS NOT NULL)
			  FROM violations_old o JOIN violations_new n ON n."id" = o."id",
				   LATERAL (VALUES
					(CASE WHEN o."esmrFacilityId" IS DISTINCT FROM n."esmrFacilityId"
						  THEN o."esmrFacilityId" END,
					 CASE WHEN o."impairedWater" IS DISTINCT FROM n."impairedWater"
						  THEN n."id" END),
					(CASE WHEN o."esmrFacilityId" IS DISTINCT FROM n."esmrFacilityId"
						  THEN n."esmrFacilityId" END, NULL)) AS x(p, f)$q$
			INTO places, facilities;
	END IF;
	-- a name or a new hand-made Facility changes nothing: ingest goes on
	IF places IS NOT NULL OR facilities IS NOT NULL THEN
		PERFORM violations_serialize_with_ingest();
	END IF;
	IF places IS NOT NULL THEN
		PERFORM violations_rekey(ARRAY(
			SELECT v."id" FROM "ViolationSample" v
			 WHERE v."facilityPlaceId" = ANY (places) AND v."esmrSampleId" IS NOT NULL));
	END IF;
	IF facilities IS NOT NULL THEN
		PERFORM violations_refresh_events(ARRAY(
			SELECT e."id" FROM "ViolationEvent" e
			 WHERE e."facilityId" = ANY (facilities) AND NOT e."legacy"));
	END IF;
	RETURN NULL;
END
$$;

/*
 * A "Facility" about to be deleted: its hand-entered violations go with it
 * (their history stays), its samples' violations go back to the bare eSMR
 * facility, and its legacy events go.
 */
CREATE FUNCTION violations_on_facility_delete()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
BEGIN
	PERFORM violations_serialize_with_ingest();
	DELETE FROM "ViolationSample" v
	 WHERE v."facilityId" = OLD."id" AND v."esmrSampleId" IS NULL;
	PERFORM violations_rekey(ARRAY(
		SELECT v."id" FROM "ViolationSample" v WHERE v."facilityId" = OLD."id"), OLD."id");
	DELETE FROM "ViolationEvent" e WHERE e."facilityId" = OLD."id";
	RETURN OLD;
END
$$;

-- "ViolationSample" deleted (a sample or a benchmark deleted, by cascade): its events follow.
CREATE FUNCTION violations_on_violation_delete()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	ev text[];
BEGIN
	IF coalesce(current_setting('violations.internal', true), '') <> 'on' THEN
		EXECUTE 'SELECT array_agg(DISTINCT o."eventId") FROM violations_old o' INTO ev;
		PERFORM violations_refresh_events(ev);
	END IF;
	RETURN NULL;
END
$$;

/*
 * "ViolationSample" updated (a status change through a plain UPDATE or
 * violations_set_status, severities reclassified): status history, and the
 * events whose figures changed.
 */
CREATE FUNCTION violations_on_violation_update()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	ev text[];
BEGIN
	IF coalesce(current_setting('violations.internal', true), '') = 'on' THEN
		RETURN NULL;
	END IF;
	EXECUTE $q$
		INSERT INTO "ViolationStatusHistory" ("violationId", "esmrSampleId", "fromStatus",
			"toStatus", "changedAt", "changedBy", "note")
		SELECT n."id", n."esmrSampleId", o."status", n."status", n."statusChangedAt",
			   coalesce(nullif(current_setting('violations.user', true), ''), current_user::text),
			   nullif(current_setting('violations.note', true), '')
		  FROM violations_old o JOIN violations_new n ON n."id" = o."id"
		 WHERE o."status" IS DISTINCT FROM n."status"$q$;
	EXECUTE $q$
		SELECT array_agg(DISTINCT x.e)
		  FROM violations_old o JOIN violations_new n ON n."id" = o."id",
			   LATERAL (VALUES (o."eventId"), (n."eventId")) AS x(e)
		 WHERE (o."status", o."severity", o."eventId", o."detectedAt", o."exceedanceRatio")
			   IS DISTINCT FROM
			   (n."status", n."severity", n."eventId", n."detectedAt", n."exceedanceRatio")$q$
		INTO ev;
	PERFORM violations_refresh_events(ev);
	RETURN NULL;
END
$$;

-- "ViolationSample" truncated: the aggregates of what is left (see below) and nothing else.
CREATE FUNCTION violations_on_violation_truncate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
BEGIN
	DELETE FROM "ViolationMonthly" m
	 WHERE NOT EXISTS (SELECT 1 FROM "ViolationSample" v WHERE v."eventId" = m."eventId");
	DELETE FROM "ViolationEvent" e
	 WHERE NOT e."legacy"
	   AND NOT EXISTS (SELECT 1 FROM "ViolationSample" v WHERE v."eventId" = e."id");
	RETURN NULL;
END
$$;

/*
 * TRUNCATE "ESMRSample" CASCADE empties "ViolationSample" whole, but only
 * what came from the samples may go: the hand-entered violations are kept
 * aside before and put back after, with their ids and statuses.  (The AFTER
 * trigger of "ESMRSample" fires before that of "ViolationSample", which
 * TRUNCATE reached by cascade; the events are ensured anyway.)
 */
CREATE FUNCTION violations_on_sample_truncate()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	ev text[];
	start_month integer;
BEGIN
	IF TG_WHEN = 'BEFORE' THEN
		IF to_regclass('pg_temp.violations_by_hand') IS NULL THEN
			CREATE TEMP TABLE violations_by_hand (LIKE "ViolationSample") ON COMMIT DROP;
		END IF;
		DELETE FROM pg_temp.violations_by_hand;
		INSERT INTO pg_temp.violations_by_hand
		SELECT * FROM "ViolationSample" v WHERE v."esmrSampleId" IS NULL;
		RETURN NULL;
	END IF;
	IF to_regclass('pg_temp.violations_by_hand') IS NULL
	   OR NOT EXISTS (SELECT 1 FROM pg_temp.violations_by_hand) THEN
		RETURN NULL;
	END IF;
	SELECT coalesce(max(s."reportingYearStartMonth"), 1) INTO start_month
	  FROM "ViolationSettings" s;
	SELECT array_agg(k."id") INTO ev
	  FROM (SELECT array_agg(h."facilityId") AS f, array_agg(NULL::integer) AS p,
				   array_agg(h."pollutantKey") AS c,
				   array_agg(violations_reporting_year(h."detectedAt", start_month)) AS y
			  FROM pg_temp.violations_by_hand h) a,
		   violations_ensure_events(a.f, a.p, a.c, a.y) k;
	INSERT INTO "ViolationSample" ("id", "esmrSampleId", "benchmarkId", "eventId",
		"facilityPlaceId", "facilityId", "pollutantKey", "benchmarkType", "detectedAt",
		"measuredValue", "benchmarkValue", "units", "exceedanceRatio", "severity", "status",
		"statusChangedAt", "note", "createdAt")
	SELECT h."id", NULL, h."benchmarkId", e."id", h."facilityPlaceId", h."facilityId",
		   h."pollutantKey", h."benchmarkType", h."detectedAt", h."measuredValue",
		   h."benchmarkValue", h."units", h."exceedanceRatio", h."severity", h."status",
		   h."statusChangedAt", h."note", h."createdAt"
	  FROM pg_temp.violations_by_hand h
	  JOIN "ViolationEvent" e
		ON e."id" = ANY (ev) AND e."facilityId" = h."facilityId"
	   AND e."pollutant" = h."pollutantKey"
	   AND e."reportingYear" = violations_reporting_year(h."detectedAt", start_month);
	DELETE FROM pg_temp.violations_by_hand;
	PERFORM violations_refresh_events(ev);
	RETURN NULL;
END
$$;

-- Settings changed: re-bucket into reporting years, evaluate DNQ samples again.
CREATE FUNCTION violations_on_settings_update()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
	month_changed boolean;
	dnq_changed boolean;
BEGIN
	EXECUTE $q$
		SELECT coalesce(bool_or(o."reportingYearStartMonth" IS DISTINCT FROM n."reportingYearStartMonth"), false),
			   coalesce(bool_or(o."evaluateDnq" IS DISTINCT FROM n."evaluateDnq"), false)
		  FROM violations_old o JOIN violations_new n ON n."id" = o."id"$q$
		INTO month_changed, dnq_changed;
	IF month_changed OR dnq_changed THEN
		PERFORM violations_serialize_with_ingest();
	END IF;
	IF month_changed THEN
		PERFORM violations_rekey(ARRAY(SELECT v."id" FROM "ViolationSample" v));
	END IF;
	IF dnq_changed THEN
		PERFORM violations_reevaluate(ARRAY(
			SELECT s."id" FROM "ESMRSample" s
			  JOIN "ESMRParameter" p ON p."id" = s."parameterId"
			 WHERE s."qualifier"::text = 'DNQ' AND p."canonicalKey" IS NOT NULL
			 ORDER BY 1));
	END IF;
	RETURN NULL;
END
$$;

-- Severity bands changed: every violation classified again on its exact ratio.
CREATE FUNCTION violations_on_bands_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
BEGIN
	PERFORM violations_serialize_with_ingest();
	IF to_regclass('@extschema@."PollutantBenchmark"') IS NULL THEN
		RETURN NULL;			-- not attached to the app yet: nothing to classify
	END IF;
	-- the events follow through violations_on_violation_update
	UPDATE "ViolationSample" v
	   SET "severity" = s.severity
	  FROM (SELECT v2."id",
				   violations_severity(v2."benchmarkType", b."limit"::text = 'MINIMUM',
									   v2."measuredValue", v2."benchmarkValue") AS severity
			  FROM "ViolationSample" v2
			  JOIN "PollutantBenchmark" b ON b."id" = v2."benchmarkId") s
	 WHERE v."id" = s."id" AND v."severity" <> s.severity;
	RETURN NULL;
END
$$;

CREATE FUNCTION violations_status_check()
RETURNS trigger
AS 'MODULE_PATHNAME', 'violations_status_check'
LANGUAGE C;

CREATE TRIGGER violations_status_check
	BEFORE UPDATE OF "status" ON "ViolationSample"
	FOR EACH ROW EXECUTE FUNCTION violations_status_check();
CREATE TRIGGER violations_on_violation_update
	AFTER UPDATE ON "ViolationSample"
	REFERENCING OLD TABLE AS violations_old NEW TABLE AS violations_new
	FOR EACH STATEMENT EXECUTE FUNCTION violations_on_violation_update();
CREATE TRIGGER violations_on_violation_delete
	AFTER DELETE ON "ViolationSample"
	REFERENCING OLD TABLE AS violations_old
	FOR EACH STATEMENT EXECUTE FUNCTION violations_on_violation_delete();
CREATE TRIGGER violations_on_violation_truncate
	AFTER TRUNCATE ON "ViolationSample"
	FOR EACH STATEMENT EXECUTE FUNCTION violations_on_violation_truncate();
CREATE TRIGGER violations_reevaluate_settings
	AFTER UPDATE ON "ViolationSettings"
	REFERENCING OLD TABLE AS violations_old NEW TABLE AS violations_new
	FOR EACH STATEMENT EXECUTE FUNCTION violations_on_settings_update();
CREATE TRIGGER violations_reevaluate_bands
	AFTER INSERT OR UPDATE OR DELETE ON "ViolationSeverityBand"
	FOR EACH STATEMENT EXECUTE FUNCTION violations_on_bands_change();

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
