#!/usr/bin/env bash
# make stress: concurrency and crash tests (issue 6, items 1 and 2), on a
# throwaway cluster of its own (test/cluster.sh).
#
# Part A, concurrency: pgbench, 8 clients for STRESS_SECONDS (default 60), no
# retries (--max-tries=1 --failures-detailed), on 5,000 generated samples
# (data/generate_samples.sql) plus what the clients write over 8 shared
# locations of 4 Facilities and 6 pollutants (test/stress/setup.sql):
#   insert_one.sql     @300  one sample, one row
#   insert_multi.sql   @150  1-30 samples in one INSERT ... SELECT
#   update_sample.sql  @150  a sample's result changed (re-evaluation)
#   delete_sample.sql  @60   a sample deleted (its violations go)
#   status.sql         @150  a status change to a random status, half through
#                            violations_set_status(), half by a plain UPDATE
#   benchmark.sql      @3    a COPPER/ZINC benchmark value toggled (+20 %)
# Every transaction is one statement (pgbench's default autocommit).
# Errors that are expected, and why:
#   VI001  an illegal status transition (the status is drawn at random, e.g.
#          OPEN -> RESOLVED); caught in stress_status() and counted.
#   P0002  violations_set_status() on a violation that a concurrent sample
#          UPDATE/DELETE removed between the choice and the update (READ
#          COMMITTED re-check finds no row); caught and counted.
# Anything else fails the run: any uncaught error (pgbench aborts that client;
# counted by SQLSTATE from the server log, log_line_prefix %e), and any
# serialization failure or deadlock (40001/40P01) that pgbench reports: with
# single-statement transactions the lock order of DESIGN.md should prevent
# them (the 40P01 of README "Not yet" needs a transaction that wrote samples
# and then changes a rule, which no script does).
# Afterwards: violations_check_aggregates() must be empty, and the stored
# violations must equal what violations_evaluate() gives now for every sample
# on (esmrSampleId, benchmarkId, measuredValue, exceedanceRatio, severity).
#
# Part B, crashes (kill -9 of the working backend; the postmaster restarts):
#   B1 backfill: 100,000 samples stored with violations_detect_insert
#      disabled; CALL violations_backfill(batch_size => 2000) killed after at
#      least 3 committed batches, called again; the result must equal an
#      uninterrupted backfill of an identical database (same generator seed).
#   B2 bulk ingest: data/generate_samples.sql (one transaction; its sample
#      INSERT ... SELECT of 100,000 rows evaluated by the trigger) killed
#      half-way through that INSERT: afterwards nothing of it may remain
#      (samples, violations, events, months, skips), and running it again
#      must give what an uninterrupted run gives.
#   "Equal" compares every column but generated ids and timestamps, events
#   by (facility, pollutant, reporting year), months by event key and month.
#
# Exits non-zero if any check fails. STRESS_SECONDS sets part A's length.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh

STRESS_SECONDS=${STRESS_SECONDS:-60}
CLIENTS=8
CRASH_SAMPLES=100000
CRASH_FACILITIES=300

ensure_packages
build_install
CLUSTER_EXTRA_CONF="log_line_prefix = '%m [%p] %e '
log_min_error_statement = error
restart_after_crash = on" cluster_start
OUT=$CLUSTER_DIR/stress
mkdir -p "$OUT"
export PGOPTIONS='-c client_min_messages=warning'

failures=()
ok() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; failures+=("$*"); }
q() { local db=$1; shift; psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

# ================================================================ part A
echo "== A. pgbench: $CLIENTS clients, $STRESS_SECONDS s"
create_app_db stress
q stress -v samples=5000 -v facilities=20 -f data/generate_samples.sql >/dev/null
q stress -f test/stress/setup.sql >/dev/null
read -r v0 s0 <<<"$(q stress -F ' ' -c 'SELECT (SELECT count(*) FROM "ViolationSample"), (SELECT count(*) FROM "ESMRSample")')"
echo "   start: $s0 samples, $v0 violations"

log_from=$(stat -c %s "$CLUSTER_DIR/server.log")
S=test/stress
set +e
pgbench -n -c "$CLIENTS" -j "$CLIENTS" -T "$STRESS_SECONDS" --max-tries=1 --failures-detailed \
	-f "$S/insert_one.sql@300" -f "$S/insert_multi.sql@150" -f "$S/update_sample.sql@150" \
	-f "$S/delete_sample.sql@60" -f "$S/status.sql@150" -f "$S/benchmark.sql@3" \
	stress >"$OUT/pgbench.out" 2>"$OUT/pgbench.err"
pgbench_rc=$?
set -e
tail -c +$((log_from + 1)) "$CLUSTER_DIR/server.log" >"$OUT/server-A.log"

grep -E '^(number of (transactions|failed)|latency average|tps|number of (serialization|deadlock))' "$OUT/pgbench.out" | sed 's/^/   /'
# per script: transactions, failed, deadlock failures, average latency
awk '/^SQL script/ { name = $4; sub(".*/", "", name) }
     /^ - [0-9]+ transactions/ { tx[name] = $2 }
     /^ - number of failed/ { fl[name] = $6 }
     /^ - number of deadlock/ { dl[name] = $6 }
     /^ - latency average/ { printf "   %-18s %7d transactions, %s failed, %s deadlock failures, latency avg %s ms\n", name, tx[name], fl[name], dl[name], $5 }
     /^ - number of deadlock/ && tx[name] == 0 { printf "   %-18s %7d transactions\n", name, 0 }' "$OUT/pgbench.out"
# errors by SQLSTATE: caught (expected) and uncaught (server log)
echo "   expected errors, caught:"
q stress -F ' ' -c 'SELECT sqlstate, script, count(*) FROM stress_expected_error GROUP BY 1, 2 ORDER BY 1' | sed 's/^/     /'
echo "   uncaught errors in the server log by SQLSTATE:"
grep -oE ' [0-9A-Z]{5} (ERROR|FATAL|PANIC):' "$OUT/server-A.log" | sort | uniq -c | sed 's/^/     /' \
	| grep . || echo '     (none)'
n_uncaught=$(grep -cE ' [0-9A-Z]{5} (ERROR|FATAL|PANIC):' "$OUT/server-A.log" || true)
n_dead=$(grep -E '^number of deadlock failures' "$OUT/pgbench.out" | grep -oE '[0-9]+' | head -1 || echo '?')
n_ser=$(grep -E '^number of serialization failures' "$OUT/pgbench.out" | grep -oE '[0-9]+' | head -1 || echo '?')
n_failed=$(grep -E '^number of failed transactions' "$OUT/pgbench.out" | grep -oE '[0-9]+' | head -1 || echo '?')
n_tx=$(grep -E '^number of transactions actually processed' "$OUT/pgbench.out" | grep -oE '[0-9]+' | head -1 || echo 0)
if [ "$pgbench_rc" = 0 ] && ! grep -q 'aborted' "$OUT/pgbench.err" "$OUT/pgbench.out"; then
	ok "A: pgbench finished, no client aborted ($n_tx transactions)"
else
	fail "A: pgbench exit status $pgbench_rc / a client aborted"
	grep -E 'aborted|ERROR' "$OUT/pgbench.err" | head -10 | sed 's/^/      /'
fi
[ "$n_uncaught" = 0 ] && ok "A: no uncaught error in the server log" \
	|| { fail "A: $n_uncaught uncaught errors in the server log"; grep -E ' [0-9A-Z]{5} (ERROR|FATAL|PANIC):' "$OUT/server-A.log" | head -5 | sed 's/^/      /'; }
[ "$n_dead" = 0 ] && [ "$n_ser" = 0 ] && [ "$n_failed" = 0 ] \
	&& ok "A: 0 deadlock (40P01), 0 serialization (40001) failures" \
	|| fail "A: failed transactions $n_failed: deadlock $n_dead, serialization $n_ser"

t=$(now_ms)
n=$(q stress -c 'SELECT count(*) FROM violations_check_aggregates()')
[ "$n" = 0 ] && ok "A: violations_check_aggregates() empty ($(secs "$t" "$(now_ms)") s)" \
	|| fail "A: violations_check_aggregates() returned $n rows"
read -r n_stored n_eval n_missing n_extra <<<"$(q stress -F ' ' <<'SQL'
CREATE TEMP TABLE stored AS
SELECT "esmrSampleId", "benchmarkId", "measuredValue", "exceedanceRatio", "severity"::text AS severity
  FROM "ViolationSample" WHERE "esmrSampleId" IS NOT NULL;
CREATE TEMP TABLE evaluated AS
SELECT "esmrSampleId", "benchmarkId", "measuredValue", "exceedanceRatio", "severity"
  FROM violations_evaluate(array(SELECT "id" FROM "ESMRSample")) WHERE "kind" = 'violation';
SELECT (SELECT count(*) FROM stored), (SELECT count(*) FROM evaluated),
       (SELECT count(*) FROM (SELECT * FROM evaluated EXCEPT ALL SELECT * FROM stored) d),
       (SELECT count(*) FROM (SELECT * FROM stored EXCEPT ALL SELECT * FROM evaluated) d);
SQL
)"
[ "$n_missing" = 0 ] && [ "$n_extra" = 0 ] \
	&& ok "A: stored violations = re-evaluation ($n_stored rows)" \
	|| fail "A: stored $n_stored vs evaluated $n_eval: $n_missing missing, $n_extra extra"
echo "   end: $(q stress -c 'SELECT count(*) FROM "ESMRSample"') samples, $n_stored violations," \
	"$(q stress -c 'SELECT count(*) FROM "ViolationStatusHistory"') history rows"

# ================================================================ part B
# Compared columns: everything but generated ids and timestamps.
snapshot() {	# db -> file
	q "$1" >"$2" <<'SQL'
SELECT 'S', v."esmrSampleId", v."benchmarkId", v."facilityPlaceId", v."facilityId", v."pollutantKey",
       v."benchmarkType", v."detectedAt", v."measuredValue", v."benchmarkValue", v."units",
       v."exceedanceRatio", v."severity", v."status", v."note",
       e."facilityId", e."facilityPlaceId", e."pollutant", e."reportingYear"
  FROM "ViolationSample" v JOIN "ViolationEvent" e ON e."id" = v."eventId"
 ORDER BY v."esmrSampleId", v."benchmarkId";
SELECT 'E', "facilityId", "facilityPlaceId", "pollutant", "reportingYear", "firstDate", "lastDate",
       "count", "maxRatio", "impairedWater", "dismissed", "openCount", "underReviewCount",
       "resolvedCount", "dismissedCount", "lowCount", "moderateCount", "highCount", "criticalCount",
       "maxSeverity", "legacy"
  FROM "ViolationEvent" ORDER BY 2, 3, 4, 5;
SELECT 'M', e."facilityId", e."facilityPlaceId", e."pollutant", e."reportingYear", m."month",
       m."count", m."openCount", m."underReviewCount", m."resolvedCount", m."dismissedCount",
       m."lowCount", m."moderateCount", m."highCount", m."criticalCount"
  FROM "ViolationMonthly" m JOIN "ViolationEvent" e ON e."id" = m."eventId" ORDER BY 2, 3, 4, 5, 6;
SELECT 'K', "esmrSampleId", "benchmarkId", "reason", "pollutantKey", "sampleUnits", "benchmarkUnits"
  FROM "ViolationSkip" ORDER BY 2, 3;
SELECT 'C', count(*) FROM violations_check_aggregates();
SQL
}
compare_snap() {	# label fileA fileB
	if cmp -s "$2" "$3"; then
		ok "$1: identical ($(grep -c '^S' "$2") violations, $(grep -c '^E' "$2") events, $(grep -c '^M' "$2") months, $(grep -c '^K' "$2") skips, aggregates check: $(grep '^C' "$2" | cut -d'|' -f2) rows)"
	else
		fail "$1: differ"
		diff "$2" "$3" | head -10 | sed 's/^/      /'
	fi
}
wait_server() {	# until the postmaster accepts connections again
	local i
	for i in $(seq 1 120); do
		psql -X -q -d postgres -c 'SELECT 1' >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	echo "server did not come back"; tail -20 "$CLUSTER_DIR/server.log"; return 1
}
load_undetected() {	# db: samples stored without detection, as before CREATE EXTENSION
	create_app_db "$1"
	q "$1" -c 'ALTER TABLE "ESMRSample" DISABLE TRIGGER violations_detect_insert' >/dev/null
	q "$1" -v samples=$CRASH_SAMPLES -v facilities=$CRASH_FACILITIES -f data/generate_samples.sql >/dev/null
	q "$1" -c 'ALTER TABLE "ESMRSample" ENABLE TRIGGER violations_detect_insert' >/dev/null
}

echo "== B1. kill -9 during CALL violations_backfill(batch_size => 2000), $CRASH_SAMPLES samples"
load_undetected bf_ref
load_undetected bf_crash
t=$(now_ms)
q bf_ref -c 'CALL violations_backfill(batch_size => 2000)' >/dev/null
echo "   uninterrupted backfill: $(secs "$t" "$(now_ms)") s"
snapshot bf_ref "$OUT/bf_ref.snap"

t=$(now_ms)
q bf_crash -c 'CALL violations_backfill(batch_size => 2000)' >"$OUT/bf_crash.call1" 2>&1 &
call_pid=$!
pid=
for i in $(seq 1 600); do
	done_=$(q bf_crash -c 'SELECT coalesce(max("samplesDone"), 0) FROM "ViolationBackfill"' 2>/dev/null || echo 0)
	if [ "$done_" -ge 6000 ]; then
		pid=$(q postgres -c "SELECT pid FROM pg_stat_activity WHERE datname = 'bf_crash'
		                      AND query LIKE 'CALL violations_backfill%' AND state = 'active'")
		break
	fi
	sleep 0.05
done
if [ -z "$pid" ]; then
	fail "B1: could not find the backfill backend to kill"
else
	kill -9 "$pid"
	kill_ms=$(now_ms)
	wait "$call_pid" || true
	wait_server
	echo "   killed backend $pid $(secs "$t" "$kill_ms") s after the CALL started; server back after $(secs "$kill_ms" "$(now_ms)") s"
	read -r done_ last fin <<<"$(q bf_crash -F ' ' -c 'SELECT "samplesDone", "lastSampleId", "finishedAt" IS NOT NULL FROM "ViolationBackfill"')"
	echo "   committed state: $done_ samples done, lastSampleId $last, finished $fin"
	[ "$fin" = f ] && [ "$done_" -gt 0 ] && [ "$done_" -lt $CRASH_SAMPLES ] \
		&& ok "B1: killed mid-run ($done_ of $CRASH_SAMPLES samples committed)" \
		|| fail "B1: the kill did not land mid-run (samplesDone $done_, finished $fin)"
	t=$(now_ms)
	q bf_crash -c 'CALL violations_backfill(batch_size => 2000)' 2>&1 | grep -m1 resuming | sed 's/^/   /' || true
	echo "   resumed backfill: $(secs "$t" "$(now_ms)") s"
	snapshot bf_crash "$OUT/bf_crash.snap"
	compare_snap "B1: interrupted + resumed backfill vs uninterrupted" "$OUT/bf_ref.snap" "$OUT/bf_crash.snap"
	a=$(q bf_ref -F ' ' -c 'SELECT "samplesDone", "violationsFound", "totalSamples" FROM "ViolationBackfill"')
	b=$(q bf_crash -F ' ' -c 'SELECT "samplesDone", "violationsFound", "totalSamples" FROM "ViolationBackfill"')
	[ "$a" = "$b" ] && ok "B1: backfill counters equal (samplesDone violationsFound totalSamples: $a)" \
		|| fail "B1: backfill counters differ: uninterrupted $a, interrupted $b"
fi

echo "== B2. kill -9 during the bulk INSERT ... SELECT of $CRASH_SAMPLES samples (detection on)"
create_app_db ins_ref
create_app_db ins_crash
t=$(now_ms)
q ins_ref -v samples=$CRASH_SAMPLES -v facilities=$CRASH_FACILITIES -f data/generate_samples.sql >/dev/null
ref_ms=$(($(now_ms) - t))
echo "   uninterrupted load: $(secs 0 $ref_ms) s"
snapshot ins_ref "$OUT/ins_ref.snap"

q ins_crash -v samples=$CRASH_SAMPLES -v facilities=$CRASH_FACILITIES -f data/generate_samples.sql \
	>"$OUT/ins_crash.load1" 2>&1 &
load_pid=$!
pid=
for i in $(seq 1 1200); do
	pid=$(q postgres -c "SELECT pid FROM pg_stat_activity WHERE datname = 'ins_crash'
	                      AND query LIKE '%INSERT INTO \"ESMRSample\" (\"id\"%' AND state = 'active'" 2>/dev/null || true)
	[ -n "$pid" ] && break
	sleep 0.05
done
if [ -z "$pid" ]; then
	fail "B2: could not find the INSERT's backend to kill"
else
	t=$(now_ms)
	sleep "$(awk -v ms="$ref_ms" 'BEGIN { printf "%.2f", ms / 2000 * 0.8 }')"
	kill -9 "$pid"
	wait "$load_pid" || true
	echo "   killed backend $pid $(secs "$t" "$(now_ms)") s into the sample INSERT"
	wait_server
	left=$(q ins_crash -F ' ' -c 'SELECT (SELECT count(*) FROM "ESMRSample"), (SELECT count(*) FROM "ViolationSample"),
	        (SELECT count(*) FROM "ViolationEvent"), (SELECT count(*) FROM "ViolationMonthly"),
	        (SELECT count(*) FROM "ViolationSkip"), (SELECT count(*) FROM "ESMRFacility")')
	[ "$left" = "0 0 0 0 0 0" ] \
		&& ok "B2: after the crash nothing of the load remains (samples violations events months skips facilities: $left)" \
		|| fail "B2: partial state after the crash (samples violations events months skips facilities: $left)"
	t=$(now_ms)
	q ins_crash -v samples=$CRASH_SAMPLES -v facilities=$CRASH_FACILITIES -f data/generate_samples.sql >/dev/null
	echo "   load again: $(secs "$t" "$(now_ms)") s"
	snapshot ins_crash "$OUT/ins_crash.snap"
	compare_snap "B2: re-run after the crash vs uninterrupted" "$OUT/ins_ref.snap" "$OUT/ins_crash.snap"
fi
# The same samples detected by the trigger and by the backfill.
if cmp -s <(grep -v '^K' "$OUT/ins_ref.snap") <(grep -v '^K' "$OUT/bf_ref.snap"); then
	ok "B: trigger-detected load = backfilled load (violations, events, months)"
else
	fail "B: trigger-detected load differs from the backfilled one"
	diff "$OUT/ins_ref.snap" "$OUT/bf_ref.snap" | head -10 | sed 's/^/      /'
fi

if [ ${#failures[@]} -gt 0 ]; then
	keep=/tmp/violations-stress.failed.$$
	cp -r "$OUT" "$keep"
	cp "$CLUSTER_DIR/server.log" "$keep/"
	echo "stress: ${#failures[@]} check(s) FAILED (pgbench output, server log, snapshots in $keep):"
	printf '  - %s\n' "${failures[@]}"
	exit 1
fi
echo "stress: all checks passed"
