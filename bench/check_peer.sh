#!/usr/bin/env bash
# bench/check_peer.sh: the PL/pgSQL peer of bench/plpgsql_peer.sql writes
# exactly what the extension's trigger writes.
#
#   PEER_SAMPLES     generated samples (default 50000)
#   PEER_FACILITIES  generated eSMR facilities (default 200)
#   PEER_SQL         the peer's script (default bench/plpgsql_peer.sql)
#   PEER_REPS        timed bulk loads per mode in the default round (default 1;
#                    the first is the compared one; the median is printed)
#
# On a throwaway cluster (test/cluster.sh): generates the samples once, then
# loads the same samples with the extension's statement trigger, the peer's
# row trigger and the peer's statement trigger (TRUNCATE in between, as
# bench/ingest.sh does), each as one bulk INSERT ... SELECT followed by
# single-row INSERTs of hand-made edge cases and of copies of generated
# samples (which land in existing events).  After each load it keeps
# "ViolationSample", "ViolationEvent", "ViolationMonthly" and "ViolationSkip"
# by their natural keys (the extension's ids are random), requires
# violations_check_aggregates() to report nothing, and compares each peer
# with the extension: any difference fails (exit 1).
#
# Two rounds: "default" (the reference data and settings as shipped; the
# load times printed come from this round) and "changed" (a benchmark of
# value 0, benchmarks in pH and in other units, changed severity bands,
# evaluateDnq on, reporting year from July, a legacy event and an emptied
# event that violations arrive in).
set -euo pipefail
cd "$(dirname "$0")/.."
. test/cluster.sh

N=${PEER_SAMPLES:-50000}
F=${PEER_FACILITIES:-200}
REPS=${PEER_REPS:-1}
PEER_SQL=$(realpath "${PEER_SQL:-bench/plpgsql_peer.sql}")

ensure_packages
build_install
cluster_start
PGOPTIONS='-c client_min_messages=warning' create_app_db peercheck
export PGOPTIONS="-c client_min_messages=warning"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d peercheck)

"${PSQL[@]}" -f "$PEER_SQL"
"${PSQL[@]}" -o /dev/null -c "SELECT peer.set_mode('off')"
"${PSQL[@]}" -v samples="$N" -v facilities="$F" -v seed=0.4242 -v end_date=2025-06-30 \
	-f data/generate_samples.sql >/dev/null

# The samples to load, and the edge cases (DETECTION.md's examples and more).
"${PSQL[@]}" <<'SQL'
CREATE TABLE peer_src AS SELECT * FROM "ESMRSample" ORDER BY "id";
CREATE TABLE peer_edge (LIKE "ESMRSample" INCLUDING DEFAULTS);
-- a location of a linked eSMR facility, one of a bare one
CREATE TABLE peer_loc AS
SELECT (SELECT min(l."locationPlaceId") FROM "ESMRLocation" l
		  JOIN "Facility" f ON f."esmrFacilityId" = l."facilityPlaceId") AS linked,
	   (SELECT min(l."locationPlaceId") FROM "ESMRLocation" l
		 WHERE NOT EXISTS (SELECT 1 FROM "Facility" f
							WHERE f."esmrFacilityId" = l."facilityPlaceId")) AS bare;
WITH loc AS (
	SELECT * FROM peer_loc
), par AS (
	SELECT "parameterName" AS name, "id" FROM "ESMRParameter"
), e(name, q, result, units, d) AS (VALUES
	('Total Suspended Solids (TSS)', '=', 'NaN', 'mg/L', '2024-03-05'),
	('pH', '>', 'NaN', 'SU', '2024-03-05'),
	('pH', '=', 'NaN', 'SU', '2024-03-05'),
	('Total Suspended Solids (TSS)', '=', '500', 'mg/L', 'infinity'),
	('Total Suspended Solids (TSS)', '=', '500', 'mg/L', '-infinity'),
	('Total Suspended Solids (TSS)', '=', '500', 'mg/L', '300000-01-01'),
	('Total Suspended Solids (TSS)', '=', '500', 'mg/L', '294276-12-31'),
	('Total Suspended Solids (TSS)', '=', '500', 'mg/L', '0001-06-15 BC'),
	('Total Suspended Solids (TSS)', '=', '500', 'mg/L', '4714-11-24 BC'),
	('Total Suspended Solids (TSS)', '=', '500', 'mg/L', '4714-11-30 BC'),
	('Total Suspended Solids (TSS)', '=', '500', 'mg/L', '4714-12-01 BC'),
	('Total Suspended Solids (TSS)', '=', '250', 'mg/L', '2024-03-05'),
	('Total Suspended Solids (TSS)', '>=', '500', 'mg/L', '2024-03-05'),
	('Total Suspended Solids (TSS)', '<', '500', 'mg/L', '2024-03-05'),
	('Total Suspended Solids (TSS)', 'ND', '500', 'mg/L', '2024-03-05'),
	('Total Suspended Solids (TSS)', '<=', '500', 'mg/L', '2024-03-05'),
	('Total Suspended Solids (TSS)', 'DNQ', '500', 'mg/L', '2024-03-05'),
	('Total Suspended Solids (TSS)', 'DNQ', '170', 'mg/L', '2024-06-30'),
	('Total Suspended Solids (TSS)', '=', NULL, 'mg/L', '2024-03-05'),
	('Total Suspended Solids (TSS)', '=', '100', 'mg/L', '2024-03-05'),
	('Total Suspended Solids (TSS)', '=', '100.005', 'mg/L', '2024-03-05'),
	('Total Suspended Solids (TSS)', '=', '100004999999.999999', 'pg/L', '2024-03-05'),
	('Total Suspended Solids (TSS)', '=', '200', 'mg/L', '2024-07-01'),
	('Total Suspended Solids (TSS)', '=', '200.001', 'MG/L', '2024-07-01'),
	('Total Suspended Solids (TSS)', '=', '450', E'mg/\tL\n', '2024-12-31'),
	('Total Suspended Solids (TSS)', '=', '0.45', 'g/l', '2025-01-01'),
	('pH', '>', '10', 'pH', '2024-03-05'),
	('pH', '>', '5', 'pH', '2024-03-05'),
	('pH', '>=', '3', 'pH units', '2024-03-05'),
	('pH', '=', '5.2', 'S.U.', '2024-07-19'),
	('pH', '=', '5.5', 'Std. Units', '2024-07-19'),
	('pH', '=', '5.5', 'std units', '2024-07-19'),
	('pH', '=', '0', 'SU', '2024-07-19'),
	('pH', '=', '-1', 'SU', '2024-07-19'),
	('pH', '=', '12', 'su', '2024-07-19'),
	('pH', '=', '9.5', 'mg/L', '2024-07-19'),
	('Zinc, Total', '=', '0.1', 'NTU', '2024-03-05'),
	('Copper, Total', '=', '14', 'mcg/l', '2024-03-05'),
	('Copper, Total', '=', '14', U&'\00B5g/L', '2024-03-05'),
	('Copper, Total', '=', '14', U&'\03BCg/L', '2024-03-05'),
	('Copper, Total', '=', '14', 'ppb', '2024-03-05'),
	('Copper, Total', '=', '14', ' U G / l ', '2024-03-05'),
	('Copper, Total', '=', '0.014', 'ppm', '2024-03-05'),
	('Copper, Total', '=', '14000000', 'pg/L', '2024-03-05'),
	('Copper, Total', '=', '14000', 'ng/L', '2024-03-05'),
	('Copper, Total', '=', '40', 'ug/L', '2024-03-05'),
	('Copper, Total', '=', '33.2', 'ug/L', '2024-03-05'),
	('Copper, Total', '=', '33.200001', 'ug/L', '2024-03-05'),
	('Copper, Total', '=', '0.000001', 'ug/L', '2024-03-05'),
	('Copper, Total', '=', '14', 'MCG / L', '2024-03-05'),
	('Copper, Total', '=', '14', 'mmcg/L', '2024-03-05'),
	('Mercury, Total', '=', '999999999999.999999', 'g/L', '2024-03-05'),
	('Cadmium, Total', '=', '999999999999.999999', 'g/L', '2024-03-05'),
	('Cadmium, Total', '=', '0.000001', 'g/L', '2024-03-05'),
	('Cadmium, Total', '=', '4.300001', 'ug/L', '2024-03-05'),
	('Lead, Total', '=', '1', 'mg/L', '2024-03-05'),
	('Turbidity', '=', '5000', 'NTU', '2024-03-05'),
	('Chemical Oxygen Demand (COD)', '=', '500', 'MPN/100 mL', '2024-03-05'),
	('Chemical Oxygen Demand (COD)', '=', '500', 'mpn/100ml', '2024-03-05')
)
INSERT INTO peer_edge ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
					   "qualifier", "result", "units")
SELECT 'x' || lpad(row_number() OVER (ORDER BY w.linked, e.name, e.q, e.result, e.units, e.d)::text, 4, '0'),
	   CASE WHEN w.linked THEN loc.linked ELSE loc.bare END, par."id", e.d::date, '08:00',
	   e.q::"ESMRQualifier", e.result::numeric, e.units
  FROM e JOIN par USING (name) CROSS JOIN loc CROSS JOIN (VALUES (true), (false)) AS w(linked);
-- copies of generated samples, one statement each: they land in events that exist
INSERT INTO peer_edge
SELECT * FROM peer_src WHERE "id" IN (SELECT "id" FROM peer_src ORDER BY md5("id") LIMIT 300);
UPDATE peer_edge SET "id" = 'y' || "id" WHERE "id" NOT LIKE 'x%';
SQL

# Empties the tables as bench/ingest.sh's reset_data does.
reset_data() {
	"${PSQL[@]}" -c 'TRUNCATE "ESMRSample", "ViolationSample", "ViolationSkip", "ViolationMonthly", "ViolationEvent" CASCADE' \
		-c 'VACUUM ANALYZE "ViolationEvent", "ViolationMonthly"'
	if [ "$ROUND" = changed ]; then
		# a legacy event and an emptied one (kept for an Alert), where violations arrive
		"${PSQL[@]}" <<'SQL'
INSERT INTO "ViolationEvent" ("id", "facilityId", "facilityPlaceId", "pollutant", "reportingYear",
	"firstDate", "lastDate", "count", "maxRatio", "impairedWater", "dismissed", "legacy",
	"legacyDismissed", "criticalCount")
SELECT 'fixture_legacy', f."id", NULL, 'TSS', '2023-2024', '2001-01-01', '2001-02-01', 7, 9.99,
	   false, true, true, true, 0
  FROM "Facility" f
 WHERE f."esmrFacilityId" = (SELECT l."facilityPlaceId" FROM "ESMRLocation" l
							  WHERE l."locationPlaceId" = (SELECT linked FROM peer_loc));
INSERT INTO "ViolationEvent" ("id", "facilityId", "facilityPlaceId", "pollutant", "reportingYear",
	"firstDate", "lastDate", "count", "maxRatio")
SELECT 'fixture_emptied', NULL, l."facilityPlaceId", 'TSS', '2023-2024', '2001-01-01', '2001-02-01', 0, 0
  FROM "ESMRLocation" l WHERE l."locationPlaceId" = (SELECT bare FROM peer_loc);
INSERT INTO "ViolationEvent" ("id", "facilityId", "facilityPlaceId", "pollutant", "reportingYear",
	"firstDate", "lastDate", "count", "maxRatio", "legacy")
VALUES ('fixture_untouched', 'fac_manual_1', NULL, 'TSS', '1999', '1999-01-01', '1999-12-31', 3, 1.5, true);
SQL
	fi
	"${PSQL[@]}" -c 'CHECKPOINT'
}

# Milliseconds taken by one SQL statement.
time_ms() {
	"${PSQL[@]}" -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
}

# Milliseconds of one bulk load in mode $1 (nothing kept).
time_load() {
	"${PSQL[@]}" -o /dev/null -c "SELECT peer.set_mode('$1')"
	reset_data
	time_ms 'INSERT INTO "ESMRSample" SELECT * FROM peer_src'
}

# median of the numbers given
median() {
	printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]}'
}

# Loads the samples in mode $1 and keeps the results under the name $2.
load_and_keep() {
	local mode=$1 name=$2 ms drift
	"${PSQL[@]}" -o /dev/null -c "SELECT peer.set_mode('$mode')"
	reset_data
	ms=$(time_ms 'INSERT INTO "ESMRSample" SELECT * FROM peer_src')
	# the edge cases, one INSERT each
	"${PSQL[@]}" <<'SQL'
SELECT format('INSERT INTO "ESMRSample" SELECT * FROM peer_edge WHERE "id" = %L', "id")
  FROM peer_edge ORDER BY "id" \gexec
SQL
	drift=$("${PSQL[@]}" -At -c 'SELECT count(*) FROM violations_check_aggregates()')
	"${PSQL[@]}" <<SQL
CREATE TABLE "res_${name}_sample" AS
SELECT v."esmrSampleId", v."benchmarkId", v."facilityId", v."facilityPlaceId", v."pollutantKey",
	   v."benchmarkType", v."detectedAt"::text, v."measuredValue"::text, v."benchmarkValue"::text,
	   v."units"::text, v."exceedanceRatio"::text, v."severity"::text, v."status"::text,
	   e."facilityId" AS "eventFacilityId",
	   CASE WHEN e."facilityId" IS NULL THEN e."facilityPlaceId" END AS "eventPlaceId",
	   e."pollutant" AS "eventPollutant", e."reportingYear" AS "eventYear",
	   CASE WHEN e."id" LIKE 'fixture%' THEN e."id" END AS "fixtureEventId"
  FROM "ViolationSample" v JOIN "ViolationEvent" e ON e."id" = v."eventId";
CREATE TABLE "res_${name}_event" AS
SELECT e."facilityId", CASE WHEN e."facilityId" IS NULL THEN e."facilityPlaceId" END AS "keyPlaceId",
	   e."pollutant", e."reportingYear", e."facilityPlaceId", e."firstDate"::text, e."lastDate"::text,
	   e."count", e."maxRatio"::text, e."impairedWater", e."dismissed", e."openCount",
	   e."underReviewCount", e."resolvedCount", e."dismissedCount", e."lowCount",
	   e."moderateCount", e."highCount", e."criticalCount", e."maxSeverity"::text, e."legacy",
	   e."legacyDismissed", CASE WHEN e."id" LIKE 'fixture%' THEN e."id" END AS "fixtureId"
  FROM "ViolationEvent" e;
CREATE TABLE "res_${name}_monthly" AS
SELECT e."facilityId", CASE WHEN e."facilityId" IS NULL THEN e."facilityPlaceId" END AS "keyPlaceId",
	   e."pollutant", e."reportingYear", m."month"::text, m."count", m."openCount",
	   m."underReviewCount", m."resolvedCount", m."dismissedCount", m."lowCount",
	   m."moderateCount", m."highCount", m."criticalCount"
  FROM "ViolationMonthly" m JOIN "ViolationEvent" e ON e."id" = m."eventId";
CREATE TABLE "res_${name}_skip" AS
SELECT "esmrSampleId", "benchmarkId", "reason", "pollutantKey", "sampleUnits", "benchmarkUnits"
  FROM "ViolationSkip";
SQL
	LOAD_MS[$name]=$ms
	DRIFT[$name]=$drift
}

declare -A LOAD_MS DRIFT TIMES
FAIL=0

# Differences between the results kept as $1 and $2, table by table.
compare() {
	local a=$1 b=$2 t only_a only_b
	for t in sample event monthly skip; do
		only_a=$("${PSQL[@]}" -At -c "SELECT count(*) FROM (SELECT * FROM \"res_${a}_$t\" EXCEPT ALL SELECT * FROM \"res_${b}_$t\") x")
		only_b=$("${PSQL[@]}" -At -c "SELECT count(*) FROM (SELECT * FROM \"res_${b}_$t\" EXCEPT ALL SELECT * FROM \"res_${a}_$t\") x")
		if [ "$only_a" != 0 ] || [ "$only_b" != 0 ]; then
			echo "  DIFFERENT $t: $only_a rows only in $a, $only_b rows only in $b"
			"${PSQL[@]}" -c "(SELECT '$a' AS run, * FROM \"res_${a}_$t\" EXCEPT ALL SELECT '$a', * FROM \"res_${b}_$t\" LIMIT 5)
				UNION ALL (SELECT '$b', * FROM \"res_${b}_$t\" EXCEPT ALL SELECT '$b', * FROM \"res_${a}_$t\" LIMIT 5)"
			FAIL=1
		fi
	done
}

counts() {
	"${PSQL[@]}" -At -F ' ' -c "SELECT (SELECT count(*) FROM \"res_$1_sample\"), (SELECT count(*) FROM \"res_$1_event\"),
		(SELECT count(*) FROM \"res_$1_monthly\"), (SELECT count(*) FROM \"res_$1_skip\")"
}

for ROUND in default changed; do
	if [ $ROUND = changed ]; then
		# rule changes on empty tables (each would re-evaluate the stored samples)
		"${PSQL[@]}" -o /dev/null -c "SELECT peer.set_mode('statement')"
		"${PSQL[@]}" -c 'TRUNCATE "ESMRSample", "ViolationSample", "ViolationSkip", "ViolationMonthly", "ViolationEvent" CASCADE'
		"${PSQL[@]}" <<'SQL'
INSERT INTO "PollutantBenchmark" ("id", "pollutantKey", "benchmarkType", "limit", "period", "value", "units", "source")
VALUES ('TSS:MCL:MAXIMUM:INSTANTANEOUS', 'TSS', 'MCL', 'MAXIMUM', 'INSTANTANEOUS', 0, 'mg/L', 'check_peer: value 0'),
	   ('PH:MCL:MAXIMUM:INSTANTANEOUS', 'PH', 'MCL', 'MAXIMUM', 'INSTANTANEOUS', 8.5, 'pH units', 'check_peer: pH spelling'),
	   ('PH:MCL:MINIMUM:INSTANTANEOUS', 'PH', 'MCL', 'MINIMUM', 'INSTANTANEOUS', 6.5, 'S.U.', 'check_peer: pH spelling'),
	   ('COD:MCL:MAXIMUM:INSTANTANEOUS', 'COD', 'MCL', 'MAXIMUM', 'INSTANTANEOUS', 50, 'MPN/100mL', 'check_peer: other units'),
	   ('COPPER:NAL:MAXIMUM:INSTANTANEOUS', 'COPPER', 'NAL', 'MAXIMUM', 'INSTANTANEOUS', 13000, 'ng/L', 'check_peer: ng/L');
INSERT INTO "ViolationSeverityBand" VALUES ('NAL', 1.5, 'HIGH'), ('MCL', 10, 'HIGH');
DELETE FROM "ViolationSeverityBand" WHERE "benchmarkType" = 'CCC' AND "severity" = 'MODERATE';
UPDATE "ViolationSettings" SET "evaluateDnq" = true, "reportingYearStartMonth" = 7;
SQL
	fi
	for mode in statement plpgsql-row plpgsql-statement; do
		load_and_keep $mode "${ROUND}_$mode"
	done
	if [ $ROUND = default ]; then
		for mode in statement plpgsql-row plpgsql-statement; do
			TIMES[$mode]=${LOAD_MS[${ROUND}_$mode]}
		done
		TIMES[off]=$(time_load off)
		for rep in $(seq 2 "$REPS"); do
			for mode in off statement plpgsql-row plpgsql-statement; do
				TIMES[$mode]="${TIMES[$mode]} $(time_load $mode)"
			done
		done
	fi
	echo "round $ROUND: violations/events/months/skip rows, rows reported by violations_check_aggregates()"
	for mode in statement plpgsql-row plpgsql-statement; do
		name="${ROUND}_$mode"
		printf '  %-18s %s, drift %s\n' "$mode" "$(counts "$name" | tr ' ' '/')" "${DRIFT[$name]}"
		[ "${DRIFT[$name]}" = 0 ] || { echo "  DRIFT after $mode"; FAIL=1; }
	done
	# what the round covered (from the extension's load)
	"${PSQL[@]}" -At -c "SELECT '  skip rows by reason: ' || string_agg(reason || ' ' || n, ', ' ORDER BY reason)
		  FROM (SELECT reason, count(*) AS n FROM \"res_${ROUND}_statement_skip\" GROUP BY 1) x" \
		-c "SELECT '  violations by severity: ' || string_agg(severity || ' ' || n, ', ' ORDER BY severity)
		  FROM (SELECT severity, count(*) AS n FROM \"res_${ROUND}_statement_sample\" GROUP BY 1) x" \
		-c "SELECT '  violations of linked / bare eSMR facilities: ' || count(*) FILTER (WHERE \"facilityId\" IS NOT NULL)
				   || ' / ' || count(*) FILTER (WHERE \"facilityId\" IS NULL)
			  FROM \"res_${ROUND}_statement_sample\"" \
		-c "SELECT '  fixture events: ' || coalesce(string_agg(\"fixtureId\" || ' count ' || count || ' legacy ' || legacy, ', '), 'none')
		  FROM \"res_${ROUND}_statement_event\" WHERE \"fixtureId\" IS NOT NULL"
	compare "${ROUND}_statement" "${ROUND}_plpgsql-row"
	compare "${ROUND}_statement" "${ROUND}_plpgsql-statement"
done

"${PSQL[@]}" -o /dev/null -c "SELECT peer.set_mode('statement')"
# shellcheck disable=SC2086
{
	echo "bulk INSERT ... SELECT of $N samples (default round; median of $REPS; informational, the machine is shared):"
	base=$(median ${TIMES[off]})
	for mode in off statement plpgsql-row plpgsql-statement; do
		ms=$(median ${TIMES[$mode]})
		label=$mode
		[ $mode = statement ] && label="statement (the extension's C trigger)"
		printf '  %-40s %7s ms  %5sx off  (runs: %s)\n' "$label" "$ms" \
			"$(awk -v a="$ms" -v b="$base" 'BEGIN {printf "%.2f", a / b}')" "${TIMES[$mode]}"
	done
}
if [ $FAIL = 0 ]; then
	echo "check_peer: the peer matches the extension exactly"
else
	echo "check_peer: DIFFERENCES (see above)"
	exit 1
fi
