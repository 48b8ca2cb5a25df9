#!/usr/bin/env bash
# make bench: the cost of detection on ingest, as ratios against the same load
# without the extension's trigger, measured in the same run.
#
#   BENCH_SAMPLES  samples per load (default 200000)
#   BENCH_REPS     repetitions of each bulk load (default 3)
#   BENCH_SECONDS  duration of each single-row run (default 15)
#
# Bulk: INSERT ... SELECT and COPY of the same generated samples with the
# trigger off, with the statement-level trigger (production) and with the
# same C function as a row-level trigger.  Single row: pgbench, one prepared
# INSERT per transaction (the Prisma create path), p50/p95 latency.
# Prints a Markdown report (kept in bench/out/ingest.md).
set -euo pipefail
cd "$(dirname "$0")/.."
. test/cluster.sh

N=${BENCH_SAMPLES:-200000}
REPS=${BENCH_REPS:-3}
SECS=${BENCH_SECONDS:-15}
OUT=bench/out
mkdir -p "$OUT"

ensure_packages
build_install
cluster_start
PGOPTIONS='-c client_min_messages=warning' create_app_db bench
export PGOPTIONS="-c client_min_messages=warning"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d bench)

"${PSQL[@]}" -v samples="$N" -v facilities=$((N / 400 + 10)) -f data/generate_samples.sql
"${PSQL[@]}" <<'SQL'
CREATE TABLE bench_src AS SELECT * FROM "ESMRSample";
CREATE SEQUENCE bench_seq;
CREATE TABLE bench_one AS
SELECT row_number() OVER () AS i, "locationPlaceId", "parameterId", "samplingDate",
	   "samplingTime", "qualifier", "result", "units"
  FROM bench_src TABLESAMPLE SYSTEM (20) LIMIT 50000;
ALTER TABLE bench_one ADD PRIMARY KEY (i);
SQL
chmod 777 "$CLUSTER_DIR"
COPYFILE=$CLUSTER_DIR/bench_src.copy
"${PSQL[@]}" -c "COPY bench_src TO '$COPYFILE'"

# Sets the detection mode: off, statement or row.
set_mode() {
	"${PSQL[@]}" <<SQL
DROP TRIGGER IF EXISTS bench_row ON "ESMRSample";
ALTER TABLE "ESMRSample" $([ "$1" = statement ] && echo ENABLE || echo DISABLE) TRIGGER violations_detect_insert;
$([ "$1" = row ] && echo 'CREATE TRIGGER bench_row AFTER INSERT ON "ESMRSample" FOR EACH ROW EXECUTE FUNCTION violations_detect();')
SQL
}

reset_data() {
	"${PSQL[@]}" -c 'TRUNCATE "ESMRSample", "ViolationSample", "ViolationSkip", "ViolationMonthly", "ViolationEvent" CASCADE' \
		-c 'VACUUM ANALYZE "ViolationEvent", "ViolationMonthly"' -c 'CHECKPOINT'
}

# Milliseconds taken by one SQL statement.
time_ms() {
	"${PSQL[@]}" -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
}

# median min max of the numbers on stdin
stats() {
	sort -n | awk '{a[NR]=$1} END {printf "%.0f %.0f %.0f\n", a[int((NR+1)/2)], a[1], a[NR]}'
}

INSERT_SQL='INSERT INTO "ESMRSample" SELECT * FROM bench_src'
COPY_SQL="COPY \"ESMRSample\" FROM '$COPYFILE'"

declare -A RESULT
for load in insert copy; do
	for mode in off statement row; do
		: >"$OUT/$load-$mode.txt"
	done
	for rep in $(seq "$REPS"); do
		# modes interleaved, so that drift affects all alike
		for mode in off statement row; do
			set_mode $mode
			reset_data
			sql=$INSERT_SQL
			[ $load = copy ] && sql=$COPY_SQL
			time_ms "$sql" >>"$OUT/$load-$mode.txt"
		done
	done
	for mode in off statement row; do
		RESULT[$load-$mode]=$(stats <"$OUT/$load-$mode.txt")
	done
done
VIOLATIONS=$("${PSQL[@]}" -At -c 'SELECT count(*) FROM "ViolationSample"')
set_mode statement
reset_data
"${PSQL[@]}" -c "$INSERT_SQL"
VIOLATIONS=$("${PSQL[@]}" -At -c 'SELECT count(*) FROM "ViolationSample"')
TRACKED=$("${PSQL[@]}" -At -c 'SELECT count(DISTINCT "esmrSampleId") FROM "ViolationSample"')

# single-row inserts: one prepared INSERT per transaction
cat >"$OUT/one.sql" <<'SQL'
\set i random(1, 50000)
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
SELECT 'b' || nextval('bench_seq'), "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units"
  FROM bench_one WHERE i = :i;
SQL
single() {
	rm -f pgbench_log.*
	pgbench -n -M prepared -f "$OUT/one.sql" -T "$SECS" -l bench >/dev/null 2>&1
	cat pgbench_log.* | awk '{print $3}' | sort -n |
		awk '{a[NR]=$1} END {printf "%d %d %d\n", a[int(NR*0.5)], a[int(NR*0.95)], NR}'
	rm -f pgbench_log.*
}
set_mode off
read -r OFF50 OFF95 OFFN <<<"$(single)"
set_mode statement
read -r ST50 ST95 STN <<<"$(single)"
set_mode row
read -r RW50 RW95 RWN <<<"$(single)"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
row() {
	local load=$1 mode=$2
	read -r med mn mx <<<"${RESULT[$load-$mode]}"
	read -r base _ _ <<<"${RESULT[$load-off]}"
	echo "| $load | $mode | $med | $mn - $mx | $(ratio "$med" "$base") |"
}

{
	echo "### Ingest, $(date -u +%Y-%m-%d), $(nproc) cores, PostgreSQL $(pg_config --version | awk '{print $2}')"
	echo
	echo "\`make bench BENCH_SAMPLES=$N BENCH_REPS=$REPS BENCH_SECONDS=$SECS\`:"
	echo "$N generated samples, $VIOLATIONS violations in $TRACKED samples."
	echo
	echo "| load | detection | median ms | min - max | ratio to off |"
	echo "|---|---|---:|---:|---:|"
	for load in insert copy; do
		for mode in off statement row; do row $load $mode; done
	done
	echo
	echo "Single-row INSERT, one per transaction (pgbench -M prepared, $SECS s each):"
	echo
	echo "| detection | p50 us | p95 us | transactions | p50 ratio | p95 ratio |"
	echo "|---|---:|---:|---:|---:|---:|"
	echo "| off | $OFF50 | $OFF95 | $OFFN | 1.00 | 1.00 |"
	echo "| statement | $ST50 | $ST95 | $STN | $(ratio "$ST50" "$OFF50") | $(ratio "$ST95" "$OFF95") |"
	echo "| row | $RW50 | $RW95 | $RWN | $(ratio "$RW50" "$OFF50") | $(ratio "$RW95" "$OFF95") |"
} | tee "$OUT/ingest.md"
