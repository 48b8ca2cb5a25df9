#!/usr/bin/env bash
# Dump and restore round trip (issue 6, item 3).
#
# Builds a database that uses every kind of data the extension keeps:
#   - 20000 generated samples of 100 facilities (data/generate_samples.sql),
#     detected by the trigger, then CALL violations_backfill() (state row);
#   - reportingYearStartMonth = 7 and a changed severity band (a NAL HIGH
#     band at 1.5), each of which moves/reclassifies stored violations;
#   - status changes with notes through violations_set_status() (OPEN ->
#     UNDER_REVIEW, UNDER_REVIEW -> RESOLVED, OPEN -> DISMISSED) and one plain
#     UPDATE with violations.user set, so the history has rows of both kinds;
#   - a violation entered by hand (violations_record_violation) on a Facility
#     made by hand;
#   - an "Alert" row pointing at an event, as the legacy app writes them.
# Then
#   (a) pg_dump -Fc, pg_restore (serial) into an empty database;
#   (b) pg_dump (plain SQL), psql -v ON_ERROR_STOP=1 into another one;
# and for each restored copy checks against the original:
#   - every table of the schema, extension tables included, row by row (all
#     columns, ordered), via COPY (SELECT ... ORDER BY row text) TO STDOUT;
#   - the triggers named violations_% and the constraints named
#     Violation%_fkey / Alert_violationEventId_fkey (names and definitions);
#   - violations_check_aggregates() and violations_check_compliance() empty;
#   - detection: the same violating sample inserted into the original and the
#     copy gives the same violations, the same change of the violation count
#     and the same event and compliance figures, and the aggregates stay right.
# Prints one line per check; exits non-zero (listing what differed) if any
# check failed.
#
# Called by test/run.sh with PGHOST/PGPORT/PGUSER of a running cluster on
# which the extension is installed. Run alone (no PGPORT in the environment)
# it makes its own throwaway cluster with test/cluster.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/cluster.sh

if [ -z "${PGPORT:-}" ] || [ -z "${PGHOST:-}" ]; then
	ensure_packages
	build_install
	cluster_start
fi

SRC=violations_dump_src
FC=violations_dump_fc
PLAIN=violations_dump_plain
WORK=$(mktemp -d /tmp/violations-dump.XXXXXX)
chmod 755 "$WORK"
trap 'rm -rf "$WORK"; cluster_stop' EXIT
export PGOPTIONS='-c client_min_messages=warning'

failures=()
ok() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; failures+=("$*"); }
q() { local db=$1; shift; psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" "$@"; }

for db in "$SRC" "$FC" "$PLAIN"; do
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
done

# ---------------------------------------------------------------- the original
t0=$(date +%s)
create_app_db "$SRC"
psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" -v samples=20000 -v facilities=100 \
	-f data/generate_samples.sql >/dev/null

q "$SRC" >/dev/null <<'SQL'
-- a changed severity band, then the start month (both rewrite stored violations)
INSERT INTO "ViolationSeverityBand" ("benchmarkType", "minRatio", "severity")
VALUES ('NAL', 1.5, 'HIGH');
UPDATE "ViolationSeverityBand" SET "minRatio" = 3 WHERE "benchmarkType" = 'CCC' AND "severity" = 'CRITICAL';
UPDATE "ViolationSettings" SET "reportingYearStartMonth" = 7;

-- a Facility made by hand and a violation entered by hand on it
INSERT INTO "Facility" ("id", "name", "wdid", "esmrFacilityId", "impairedWater")
VALUES ('fac_dump_hand', 'Dump Test Boatyard (manual entry)', NULL, NULL, true);
SELECT violations_record_violation('fac_dump_hand', 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE',
								   480, date '2024-08-20', 'reported by phone');

-- status changes, deterministic: violations in (esmrSampleId, benchmarkId) order
CREATE TEMP TABLE pick AS
SELECT "id", row_number() OVER (ORDER BY "esmrSampleId", "benchmarkId") AS n
  FROM "ViolationSample" WHERE "esmrSampleId" IS NOT NULL;
SET violations."user" = 'dump-test';
SELECT count(violations_set_status("id", 'UNDER_REVIEW', 'looking at it #' || n))
  FROM pick WHERE n <= 40;
SELECT count(violations_set_status("id", 'RESOLVED', 'fixed #' || n))
  FROM pick WHERE n <= 15;
SELECT count(violations_set_status("id", 'DISMISSED', 'lab error #' || n))
  FROM pick WHERE n BETWEEN 41 AND 60;
SELECT count(violations_set_status("id", 'DISMISSED', 'not ours #' || n))
  FROM pick WHERE n BETWEEN 16 AND 20;
-- a plain UPDATE, as Prisma sends it
UPDATE "ViolationSample" SET "status" = 'UNDER_REVIEW'
 WHERE "id" IN (SELECT "id" FROM pick WHERE n BETWEEN 61 AND 70);
RESET violations."user";

-- an Alert pointing at an event (the app's legacy way of referring to one)
INSERT INTO "Alert" ("id", "facilityId", "violationEventId", "kind", "message")
SELECT 'alert_dump_1', "facilityId", "id", 'EXCEEDANCE', 'TSS over the NAL'
  FROM "ViolationEvent" WHERE "facilityId" IS NOT NULL AND "count" > 0
 ORDER BY "facilityId", "pollutant", "reportingYear" LIMIT 1;
SQL
# the backfill state row (and a re-read of the samples without violations)
q "$SRC" -c 'CALL violations_backfill(batch_size => 5000)' >/dev/null

read -r n_samples n_viol n_events n_hist n_skip n_alert_ev <<<"$(q "$SRC" -F ' ' -c '
SELECT (SELECT count(*) FROM "ESMRSample"), (SELECT count(*) FROM "ViolationSample"),
       (SELECT count(*) FROM "ViolationEvent"), (SELECT count(*) FROM "ViolationStatusHistory"),
       (SELECT count(*) FROM "ViolationSkip"),
       (SELECT count(*) FROM "Alert" WHERE "violationEventId" IS NOT NULL)')"
echo "original: $n_samples samples, $n_viol violations, $n_events events," \
	"$n_hist status history rows, $n_skip skip rows, $n_alert_ev Alert on an event" \
	"($(($(date +%s) - t0)) s)"
[ "$n_alert_ev" = 1 ] || fail "original: the Alert does not point at an event"
[ "$(q "$SRC" -c 'SELECT count(*) FROM violations_check_aggregates()')" = 0 ] \
	|| fail "original: violations_check_aggregates() not empty before the dump"

# ---------------------------------------------------------------- dump, restore
t0=$(date +%s)
pg_dump -Fc -f "$WORK/src.dump" "$SRC"
createdb "$FC"
pg_restore --exit-on-error -d "$FC" "$WORK/src.dump" 2>"$WORK/pg_restore.err" \
	|| { cat "$WORK/pg_restore.err"; fail "pg_restore into $FC exited non-zero"; }
[ -s "$WORK/pg_restore.err" ] && { cat "$WORK/pg_restore.err"; fail "pg_restore printed errors"; }
echo "pg_dump -Fc + pg_restore: $(($(date +%s) - t0)) s"

t0=$(date +%s)
pg_dump -f "$WORK/src.sql" "$SRC"
createdb "$PLAIN"
psql -X -q -v ON_ERROR_STOP=1 -d "$PLAIN" -f "$WORK/src.sql" >/dev/null 2>"$WORK/psql.err" \
	|| { cat "$WORK/psql.err"; fail "psql of the plain dump into $PLAIN failed"; }
echo "pg_dump plain + psql: $(($(date +%s) - t0)) s"

# ---------------------------------------------------------------- comparisons
# Every ordinary table of the extension's schema, the extension's eight
# configuration tables among them.
EXT_SCHEMA=$(q "$SRC" -c "SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'violations'")
mapfile -t TABLES < <(q "$SRC" -c "
SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = '$EXT_SCHEMA'::regnamespace AND c.relkind IN ('r', 'p')
 ORDER BY c.relname")
mapfile -t EXT_TABLES < <(q "$SRC" -c "
SELECT (unnest(extconfig)::regclass)::text FROM pg_extension WHERE extname = 'violations' ORDER BY 1")
[ "${#EXT_TABLES[@]}" = 10 ] && ok "original: 10 extension configuration tables (${EXT_TABLES[*]})" \
	|| fail "original: ${#EXT_TABLES[@]} extension configuration tables, expected 10"

dump_table() {	# db table -> rows, all columns, in a total order
	q "$1" -c "COPY (SELECT t.* FROM \"$EXT_SCHEMA\".\"$2\" t ORDER BY t::text COLLATE \"C\") TO STDOUT"
}

TRIGGERS_SQL="SELECT c.relname || ' ' || t.tgname || ' ' || t.tgenabled::text || ' ' || pg_get_triggerdef(t.oid)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE t.tgname LIKE 'violations\_%' AND NOT t.tgisinternal ORDER BY 1"
FKEYS_SQL="SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint
 WHERE conname LIKE 'Violation%\_fkey' OR conname = 'Alert_violationEventId_fkey' ORDER BY 1"
EVT_SQL="SELECT evtname || ' ' || evtevent || ' ' || evtenabled::text FROM pg_event_trigger ORDER BY 1"

for t in "${TABLES[@]}"; do dump_table "$SRC" "$t" >"$WORK/src.$t"; done
q "$SRC" -c "$TRIGGERS_SQL" >"$WORK/src.triggers"
q "$SRC" -c "$FKEYS_SQL" >"$WORK/src.fkeys"
q "$SRC" -c "$EVT_SQL" >"$WORK/src.evt"

compare_copy() {	# db label
	local db=$1 label=$2 t n
	for t in "${TABLES[@]}"; do
		dump_table "$db" "$t" >"$WORK/$db.$t" 2>"$WORK/$db.$t.err" || true
		n=$(wc -l <"$WORK/src.$t")
		if [ -s "$WORK/$db.$t.err" ]; then
			fail "$label: table $t: $(head -1 "$WORK/$db.$t.err")"
		elif cmp -s "$WORK/src.$t" "$WORK/$db.$t"; then
			ok "$label: table $t identical ($n rows)"
		else
			fail "$label: table $t differs ($n rows in the original, $(wc -l <"$WORK/$db.$t") here)"
			diff "$WORK/src.$t" "$WORK/$db.$t" | head -10 | sed 's/^/      /'
		fi
	done

	q "$db" -c "$TRIGGERS_SQL" >"$WORK/$db.triggers"
	if cmp -s "$WORK/src.triggers" "$WORK/$db.triggers"; then
		ok "$label: triggers violations_%: $(wc -l <"$WORK/$db.triggers") (as the original, same definitions, enabled)"
	else
		fail "$label: triggers violations_%: $(wc -l <"$WORK/$db.triggers"), original $(wc -l <"$WORK/src.triggers")"
		diff "$WORK/src.triggers" "$WORK/$db.triggers" | sed 's/^/      /'
	fi
	q "$db" -c "$FKEYS_SQL" >"$WORK/$db.fkeys"
	if cmp -s "$WORK/src.fkeys" "$WORK/$db.fkeys"; then
		ok "$label: constraints Violation%_fkey / Alert_violationEventId_fkey: $(wc -l <"$WORK/$db.fkeys") (as the original)"
	else
		fail "$label: constraints Violation%_fkey / Alert_violationEventId_fkey: $(wc -l <"$WORK/$db.fkeys"), original $(wc -l <"$WORK/src.fkeys")"
		diff "$WORK/src.fkeys" "$WORK/$db.fkeys" | sed 's/^/      /'
	fi
	q "$db" -c "$EVT_SQL" >"$WORK/$db.evt"
	cmp -s "$WORK/src.evt" "$WORK/$db.evt" \
		&& ok "$label: event triggers as the original ($(paste -sd, "$WORK/$db.evt"))" \
		|| fail "$label: event triggers differ: $(paste -sd, "$WORK/$db.evt") vs $(paste -sd, "$WORK/src.evt")"

	n=$(q "$db" -c 'SELECT count(*) FROM violations_check_aggregates()')
	[ "$n" = 0 ] && ok "$label: violations_check_aggregates() empty" \
		|| fail "$label: violations_check_aggregates() returned $n rows"
	n=$(q "$db" -c 'SELECT count(*) FROM violations_check_compliance()')
	[ "$n" = 0 ] && ok "$label: violations_check_compliance() empty" \
		|| fail "$label: violations_check_compliance() returned $n rows"
	n=$(q "$db" -c 'SELECT count(*) FROM (SELECT "esmrSampleId", "benchmarkId" FROM "ViolationSample"
	                 GROUP BY 1, 2 HAVING count(*) > 1) d')
	[ "$n" = 0 ] && ok "$label: no (sample, benchmark) counted twice" \
		|| fail "$label: $n (sample, benchmark) pairs have more than one violation"
}

compare_copy "$FC" "pg_restore"
compare_copy "$PLAIN" "psql plain"

# ---------------------------------------------------------------- detection after restore
# The same TSS sample (well over every TSS benchmark) at the same linked
# location, inserted into each database: what it adds must be the same.
LOC=$(q "$SRC" -c '
SELECT l."locationPlaceId" FROM "ESMRLocation" l JOIN "Facility" f ON f."esmrFacilityId" = l."facilityPlaceId"
 ORDER BY l."locationPlaceId" LIMIT 1')
probe() {	# db -> "<violations before> <after> <event count before> <after>" then the new rows
	q "$1" -F ' ' <<SQL
CREATE TEMP TABLE before AS SELECT count(*) AS n FROM "ViolationSample";
CREATE TEMP TABLE ev_before AS
SELECT coalesce(sum(e."count"), 0) AS n FROM "ViolationEvent" e
  JOIN "Facility" f ON f."id" = e."facilityId"
  JOIN "ESMRLocation" l ON l."facilityPlaceId" = f."esmrFacilityId"
 WHERE l."locationPlaceId" = $LOC AND e."pollutant" = 'TSS' AND e."reportingYear" = '2024-2025';
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
                          "qualifier", "result", "units")
SELECT 'dump_probe_1', $LOC, "id", date '2024-09-15', '10:00', '=', 900, 'mg/L'
  FROM "ESMRParameter" WHERE "parameterName" = 'Total Suspended Solids (TSS)';
SELECT (SELECT n FROM before), (SELECT count(*) FROM "ViolationSample"),
       (SELECT n FROM ev_before),
       (SELECT coalesce(sum(e."count"), 0) FROM "ViolationEvent" e
          JOIN "Facility" f ON f."id" = e."facilityId"
          JOIN "ESMRLocation" l ON l."facilityPlaceId" = f."esmrFacilityId"
         WHERE l."locationPlaceId" = $LOC AND e."pollutant" = 'TSS' AND e."reportingYear" = '2024-2025');
SELECT v."benchmarkId", v."facilityId", v."measuredValue", v."exceedanceRatio", v."severity",
       v."status", e."reportingYear", e."count", e."openCount", e."maxSeverity", e."highCount"
  FROM "ViolationSample" v JOIN "ViolationEvent" e ON e."id" = v."eventId"
 WHERE v."esmrSampleId" = 'dump_probe_1' ORDER BY v."benchmarkId";
SELECT 'check_aggregates ' || count(*) FROM violations_check_aggregates();
SELECT 'compliance ' || concat_ws(' ', c."pollutantKey", c."reportingYear", c."resultCount",
       c."resultSum", c."instantCount", c."exceeded", c."eraLevel")
  FROM "ViolationCompliance" c JOIN "ESMRLocation" l ON l."facilityPlaceId" = c."facilityPlaceId"
 WHERE l."locationPlaceId" = $LOC AND c."pollutantKey" = 'TSS' AND c."permitYear" = 2024;
SELECT 'check_compliance ' || count(*) FROM violations_check_compliance();
SQL
}
probe "$SRC" >"$WORK/src.probe"
read -r vb va eb ea <"$WORK/src.probe"
if [ "$va" -gt "$vb" ] && [ "$ea" -gt "$eb" ]; then
	ok "original: probe sample detected: violations $vb -> $va, TSS 2024-2025 event count $eb -> $ea"
else
	fail "original: probe sample not detected (violations $vb -> $va, event count $eb -> $ea)"
fi
for pair in "$FC:pg_restore" "$PLAIN:psql plain"; do
	db=${pair%%:*}; label=${pair#*:}
	probe "$db" >"$WORK/$db.probe"
	read -r b a e1 e2 <"$WORK/$db.probe"
	if cmp -s "$WORK/src.probe" "$WORK/$db.probe"; then
		ok "$label: detection works: violations $b -> $a, event count $e1 -> $e2, same rows as the original"
	else
		fail "$label: detection after restore differs from the original"
		diff "$WORK/src.probe" "$WORK/$db.probe" | sed 's/^/      /'
	fi
done
grep -q '^check_compliance 0$' "$WORK/src.probe" && grep -q '^compliance TSS 2024-2025' "$WORK/src.probe" \
	&& ok "original: compliance right after the probe" \
	|| fail "original: the probe's compliance row is missing or violations_check_compliance() not empty"
grep -q '^check_aggregates 0$' "$WORK/src.probe" \
	&& ok "original: aggregates right after the probe" \
	|| fail "original: violations_check_aggregates() not empty after the probe"

if [ ${#failures[@]} -gt 0 ]; then
	echo "dump_restore: ${#failures[@]} check(s) FAILED:"
	printf '  - %s\n' "${failures[@]}"
	exit 1
fi
echo "dump_restore: all checks passed"
