#!/usr/bin/env bash
# make demo: the extension at work on a throwaway cluster.
#
# Loads the real benchmarks and a generated eSMR data set (DEMO_SAMPLES
# samples, default 1200000, over DEMO_FACILITIES facilities, default 3000)
# with one bulk INSERT, during which the extension's trigger detects the
# violations; then shows what the app's dashboards and drilldowns read, each
# query with its time, and checks that the aggregates equal a recomputation.
# Exits non-zero if they do not.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/cluster.sh

DEMO_SAMPLES=${DEMO_SAMPLES:-1200000}
DEMO_FACILITIES=${DEMO_FACILITIES:-3000}
t_start=$(date +%s%N)

ensure_packages
build_install
cluster_start
# (quiet: the app's schema script says NOTICE "schema public already exists")
PGOPTIONS='-c client_min_messages=warning' create_app_db demo

PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d demo)

echo "== Ingest: ${DEMO_SAMPLES} eSMR samples of ${DEMO_FACILITIES} facilities"
echo "   (one INSERT ... SELECT; the INSERT time includes the detection trigger)"
"${PSQL[@]}" -v samples="$DEMO_SAMPLES" -v facilities="$DEMO_FACILITIES" \
	-f data/generate_samples.sql
# Fresh statistics for the extension's tables, as autovacuum would make them.
"${PSQL[@]}" -c 'ANALYZE "ViolationSample", "ViolationEvent", "ViolationMonthly"'

"${PSQL[@]}" <<'SQL'
\pset footer off
\pset null '-'
\set ECHO none

-- The reporting year of the dashboards: the latest full one.
SELECT violations_reporting_year((current_date - interval '1 year')::date,
								 "reportingYearStartMonth") AS year,
	   to_char(current_date, 'FMMonth YYYY') AS this_month
  FROM "ViolationSettings" \gset
-- The pollutants the app tracks, as the app would pass them (Prisma: pollutant
-- in [...]): with them, a year's events are read through the
-- (pollutant, reportingYear) index instead of a scan of every year's.
SELECT format('%L::text[]', array_agg("key" ORDER BY "key")) AS pollutants
  FROM "ConfigPollutant" \gset

\echo
\echo '== What the load found'
\timing on
SELECT count(*) AS "samples",
	   count(*) FILTER (WHERE p."canonicalKey" IS NOT NULL) AS "tracked samples",
	   (SELECT count(*) FROM "ViolationSample") AS "violations",
	   (SELECT count(DISTINCT "esmrSampleId") FROM "ViolationSample") AS "samples in violation",
	   round(100.0 * (SELECT count(DISTINCT "esmrSampleId") FROM "ViolationSample")
			 / nullif(count(*) FILTER (WHERE p."canonicalKey" IS NOT NULL), 0), 1)
		   AS "% of tracked samples"
  FROM "ESMRSample" s
  JOIN "ESMRParameter" p ON p."id" = s."parameterId";
\timing off

\echo
\echo '== Samples that could not be evaluated (ViolationSkipSummary)'
\echo '   units that do not convert to the benchmark''s; each sample counts once per pollutant'
\timing on
SELECT "reason", "sampleUnits" AS "sample units",
	   string_agg(DISTINCT "benchmarkUnits", ', ') AS "benchmark units",
	   count(DISTINCT "pollutantKey") AS "pollutants",
	   sum(samples) AS "samples",
	   min("exampleSampleId") AS "e.g. sample"
  FROM (SELECT "reason", "sampleUnits", "benchmarkUnits", "pollutantKey", "exampleSampleId",
			   max("sampleCount") OVER (PARTITION BY "reason", "sampleUnits", "pollutantKey")
				   AS samples,
			   row_number() OVER (PARTITION BY "reason", "sampleUnits", "pollutantKey") AS rn
		  FROM "ViolationSkipSummary") AS s
 GROUP BY 1, 2
 ORDER BY sum(samples) FILTER (WHERE rn = 1) DESC, 1, 2;
\timing off

\echo
\echo '== Facility summary' :year '(ViolationEvent): the 10 facilities with the most pollutants in violation'
\timing on
WITH top AS (
	SELECT e."facilityId",
		   CASE WHEN e."facilityId" IS NULL THEN e."facilityPlaceId" END AS "placeId",
		   count(*) AS pollutants, sum(e."count") AS violations,
		   sum(e."criticalCount") AS critical, sum(e."openCount") AS open,
		   max(e."maxRatio") AS worst
	  FROM "ViolationEvent" e
	 WHERE e."pollutant" = ANY (:pollutants) AND e."reportingYear" = :'year' AND e."count" > 0
	 GROUP BY 1, 2
	 ORDER BY pollutants DESC, violations DESC, 1, 2
	 LIMIT 10
)
SELECT coalesce(f."name", ef."facilityName") || ' has ' || top.pollutants
		   || ' pollutants with violations in ' || :'year' AS "facility summary",
	   top.violations AS "violations", top.critical AS "critical", top.open AS "open",
	   round(top.worst, 1) AS "worst x benchmark"
  FROM top
  LEFT JOIN "Facility" f ON f."id" = top."facilityId"
  LEFT JOIN "ESMRFacility" ef ON ef."facilityPlaceId" = top."placeId"
 ORDER BY top.pollutants DESC, top.violations DESC, top."facilityId", top."placeId";
\timing off

\echo
\echo '== Pollutant summary' :year '(ViolationEvent)'
\timing on
SELECT 'TSS violations occurred at ' || count(*) || ' facilities in ' || :'year' AS "TSS"
  FROM "ViolationEvent"
 WHERE "pollutant" = 'TSS' AND "reportingYear" = :'year' AND "count" > 0;
SELECT e."pollutant" AS "pollutant", c."displayName" AS "name",
	   count(*) AS "facilities", sum(e."count") AS "violations",
	   sum(e."criticalCount") AS "critical", sum(e."openCount") AS "open"
  FROM "ViolationEvent" e
  LEFT JOIN "ConfigPollutant" c ON c."key" = e."pollutant"
 WHERE e."pollutant" = ANY (:pollutants) AND e."reportingYear" = :'year' AND e."count" > 0
 GROUP BY 1, 2
 ORDER BY 3 DESC, 4 DESC, 1;
\timing off

\echo
\echo '== This month,' :this_month '(ViolationMonthly)'
\timing on
SELECT coalesce(sum("count"), 0) || ' violations detected this month' AS "this month",
	   coalesce(sum("criticalCount"), 0) AS "critical",
	   coalesce(sum("openCount"), 0) AS "open",
	   count(*) FILTER (WHERE "count" > 0) AS "facility x pollutant"
  FROM "ViolationMonthly"
 WHERE "month" = date_trunc('month', current_date)::date;
\timing off

-- ---------------------------------------------------------------- drilldown

\echo
\echo '== Drilldown: the facility with the most violations, all years (ViolationEvent)'
\timing on
SELECT e."facilityId" IS NOT NULL AS linked,
	   coalesce(e."facilityId", '') AS fid,
	   coalesce(CASE WHEN e."facilityId" IS NULL THEN e."facilityPlaceId" END, 0) AS fpid,
	   sum(e."count") AS fviolations
  FROM "ViolationEvent" e
 WHERE e."count" > 0
 GROUP BY e."facilityId", CASE WHEN e."facilityId" IS NULL THEN e."facilityPlaceId" END
 ORDER BY sum(e."count") DESC, 1, 2, 3
 LIMIT 1 \gset
\timing off
SELECT coalesce((SELECT "name" FROM "Facility" WHERE "id" = :'fid'),
				(SELECT "facilityName" FROM "ESMRFacility" WHERE "facilityPlaceId" = :fpid))
		   || CASE WHEN :'linked'::boolean THEN ' (Facility ' || :'fid' || ')'
				   ELSE ' (eSMR facility ' || :fpid || ', linked to no Facility)' END
		   || ': ' || :fviolations || ' violations' AS fname
\gset
\echo :fname
\echo
\echo '== Its pollutants, all years (ViolationEvent)'
\timing on
\if :linked
SELECT e."pollutant" AS "pollutant", sum(e."count") AS "violations",
	   string_agg(e."reportingYear", ', ' ORDER BY e."reportingYear") AS "years",
	   min(e."firstDate") AS "first", max(e."lastDate") AS "last",
	   sum(e."criticalCount") AS "critical", sum(e."openCount") AS "open",
	   round(max(e."maxRatio"), 1) AS "worst x benchmark"
  FROM "ViolationEvent" e
 WHERE e."facilityId" = :'fid' AND e."count" > 0
 GROUP BY 1
 ORDER BY sum(e."criticalCount") DESC, 2 DESC, 1;
\else
SELECT e."pollutant" AS "pollutant", sum(e."count") AS "violations",
	   string_agg(e."reportingYear", ', ' ORDER BY e."reportingYear") AS "years",
	   min(e."firstDate") AS "first", max(e."lastDate") AS "last",
	   sum(e."criticalCount") AS "critical", sum(e."openCount") AS "open",
	   round(max(e."maxRatio"), 1) AS "worst x benchmark"
  FROM "ViolationEvent" e
 WHERE e."facilityId" IS NULL AND e."facilityPlaceId" = :fpid AND e."count" > 0
 GROUP BY 1
 ORDER BY sum(e."criticalCount") DESC, 2 DESC, 1;
\endif
\timing off

-- Its worst pollutant: the most CRITICAL violations, then the most violations.
SELECT e."pollutant" AS worst,
	   '== Its worst pollutant, ' || e."pollutant" || ' (most CRITICAL violations): the 10 most recent violations'
		   AS worst_heading
  FROM "ViolationEvent" e
 WHERE CASE WHEN :'linked'::boolean THEN e."facilityId" = :'fid'
			ELSE e."facilityId" IS NULL AND e."facilityPlaceId" = :fpid END
 GROUP BY 1
 ORDER BY sum(e."criticalCount") DESC, sum(e."count") DESC, 1
 LIMIT 1 \gset

\echo
\echo :worst_heading
\echo '   (ViolationSample through its facility/pollutant/date index; sample, location, benchmark joined)'
\timing on
\if :linked
SELECT v."detectedAt" AS "sampled", l."locationCode" AS "location",
	   initcap(replace(replace(l."locationType"::text, '_MONITORING', ''), '_', ' ')) AS "type",
	   s."qualifier"::text || ' ' || trim_scale(s."result") || ' ' || s."units" AS "reported",
	   v."measuredValue" || ' ' || v."units" AS "measured",
	   b."benchmarkType"::text || ' ' || v."benchmarkValue"::float8 || ' ' || v."units" AS "benchmark",
	   v."exceedanceRatio" AS "x benchmark", v."severity" AS "severity", v."status" AS "status",
	   b."source" AS "benchmark source"
  FROM "ViolationSample" v
  JOIN "ESMRSample" s ON s."id" = v."esmrSampleId"
  JOIN "ESMRLocation" l ON l."locationPlaceId" = s."locationPlaceId"
  JOIN "PollutantBenchmark" b ON b."id" = v."benchmarkId"
 WHERE v."facilityId" = :'fid' AND v."pollutantKey" = :'worst'
 ORDER BY v."detectedAt" DESC
 LIMIT 10;
\else
SELECT v."detectedAt" AS "sampled", l."locationCode" AS "location",
	   initcap(replace(replace(l."locationType"::text, '_MONITORING', ''), '_', ' ')) AS "type",
	   s."qualifier"::text || ' ' || trim_scale(s."result") || ' ' || s."units" AS "reported",
	   v."measuredValue" || ' ' || v."units" AS "measured",
	   b."benchmarkType"::text || ' ' || v."benchmarkValue"::float8 || ' ' || v."units" AS "benchmark",
	   v."exceedanceRatio" AS "x benchmark", v."severity" AS "severity", v."status" AS "status",
	   b."source" AS "benchmark source"
  FROM "ViolationSample" v
  JOIN "ESMRSample" s ON s."id" = v."esmrSampleId"
  JOIN "ESMRLocation" l ON l."locationPlaceId" = s."locationPlaceId"
  JOIN "PollutantBenchmark" b ON b."id" = v."benchmarkId"
 WHERE v."facilityId" IS NULL AND v."facilityPlaceId" = :fpid AND v."pollutantKey" = :'worst'
 ORDER BY v."detectedAt" DESC
 LIMIT 10;
\endif
\timing off
\echo
\echo '== Permit compliance (ViolationEraStatus): Exceedance Response Action levels'
\echo '   Industrial General Permit: an NAL exceedance in a reporting year (July-June) moves the'
\echo '   parameter to Level 1 on the next July 1, a further one in a later year to Level 2'
\timing on
SELECT e."level" AS "level", count(*) AS "facility x parameter",
	   count(DISTINCT e."facilityPlaceId") AS "facilities",
	   string_agg(DISTINCT e."pollutantKey", ', ') AS "parameters"
  FROM "ViolationEraStatus" e
 GROUP BY 1 ORDER BY 1 DESC;
\timing off
\echo
\echo '== Facilities at Level 2, and why (ViolationCompliance: the exceeded reporting years)'
\timing on
SELECT coalesce(f."name", ef."facilityName") AS "facility", e."pollutantKey" AS "parameter",
	   e."level" AS "level", make_date(e."level2Year", 7, 1) AS "Level 2 from",
	   string_agg(c."reportingYear" || ': '
				  || concat_ws(' and ',
					   CASE WHEN c."annualExceeded"
							THEN 'average ' || trim_scale(round(c."average", 4)) || ' > annual NAL '
								 || trim_scale(c."annualNal") || ' ' || c."units"
								 || ' (' || c."resultCount"
								 || CASE c."resultCount" WHEN 1 THEN ' result)' ELSE ' results)' END END,
					   CASE WHEN c."instantExceeded"
							THEN c."instantCount" || ' results beyond the instantaneous NAL' END),
				  '; ' ORDER BY c."permitYear") AS "why"
  FROM "ViolationEraStatus" e
  JOIN "ViolationCompliance" c
	ON c."facilityPlaceId" = e."facilityPlaceId" AND c."pollutantKey" = e."pollutantKey"
   AND c."exceeded"
  LEFT JOIN "Facility" f ON f."id" = e."facilityId"
  LEFT JOIN "ESMRFacility" ef ON ef."facilityPlaceId" = e."facilityPlaceId"
 WHERE e."level" = 'LEVEL_2'
 GROUP BY 1, 2, 3, 4, e."facilityPlaceId"
 ORDER BY e."level2Year" DESC, count(*) DESC, 1, 2
 LIMIT 10;
\timing off
\echo
\echo '== Compliance report by benchmark type (ViolationComplianceReport): that facility in' :year
\timing on
SELECT r."benchmarkType" AS "type", r."violationCount" AS "violations",
	   r."sampleCount" AS "samples", r."openCount" AS "open", r."criticalCount" AS "critical",
	   r."worstPollutant" || ' ' || r."worstMeasuredValue" || ' ' || r."worstUnits"
		   || ' on ' || r."worstDetectedAt" || ' (' || round(r."maxRatio", 1) || ' x '
		   || trim_scale(r."worstBenchmarkValue") || ')' AS "worst exceedance"
  FROM "ViolationComplianceReport" r
 WHERE r."reportingYear" = :'year'
   AND (r."facilityId" = :'fid' OR (r."facilityId" IS NULL AND r."facilityPlaceId" = :fpid))
 ORDER BY r."maxRatio" DESC;
\timing off
SQL

# Prints a check that must return no rows; exits non-zero, with the first rows, if it does.
check_empty() {	# heading function what
	echo
	echo "== $1"
	drift=$("${PSQL[@]}" -tA -c "SELECT count(*) FROM $2()")
	echo "SELECT count(*) FROM $2()  ->  $drift"
	if [ "$drift" != 0 ]; then
		echo "FAIL: $3 differ from a recomputation; the first differences:" >&2
		"${PSQL[@]}" -c "SELECT * FROM $2() LIMIT 10" >&2
		exit 1
	fi
}
check_empty "Aggregates against a recomputation from ViolationSample" violations_check_aggregates \
	"the aggregates"
check_empty "Permit compliance against a recount of the samples" violations_check_compliance \
	"the compliance rows"

echo
echo "demo finished in $(( ($(date +%s%N) - t_start) / 1000000 )) ms"
