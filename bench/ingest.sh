#!/usr/bin/env bash
# The cost of detection on ingest, as ratios against the same load without
# detection, measured in the same run (part of make bench, bench/run.sh).
#
#   BENCH_SAMPLES       samples of the main bulk loads (default 1200000, the seed's size)
#   BENCH_PEER_SAMPLES  samples of the loads that compare trigger kinds (default 200000)
#   BENCH_SCALING       sizes of the per-row scaling runs (default "100000 400000")
#   BENCH_RATES         violation boosts of the ratio-vs-rate runs (default "1 2 4 8")
#   BENCH_REPS          repetitions of each bulk load (default 3)
#   BENCH_SECONDS       duration of each single-row run (default 15)
#   BENCH_QUICK=1       small sizes, for iteration
#
# Measures, each load on the same generated samples (data/generate_samples.sql):
#   1. INSERT ... SELECT and COPY of BENCH_SAMPLES samples, detection off and
#      with the extension's statement trigger (production), interleaved;
#   2. at BENCH_PEER_SAMPLES, INSERT ... SELECT with the extension's C
#      function as a row trigger and with a PL/pgSQL implementation of the
#      same rules as a row and as a statement trigger (bench/plpgsql_peer.sql);
#   3. single-row INSERTs, one prepared INSERT per transaction (pgbench; the
#      Prisma create path): p50/p95 per mode;
#   4. CALL violations_backfill() of BENCH_SAMPLES stored samples against the
#      plain INSERT ... SELECT of them;
#   5. peak private memory (RssAnon) of the backend during the main bulk
#      load, the backfill and a small load: it must not grow with the rows;
#   6. per-row cost off and on at the BENCH_SCALING sizes and BENCH_SAMPLES,
#      and the ratio at several violation rates (plots when gnuplot exists).
# Writes bench/out/ingest.md (Markdown) and bench/out/*.dat, *.png.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/cluster.sh

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	: "${BENCH_SAMPLES:=100000}" "${BENCH_PEER_SAMPLES:=20000}" "${BENCH_SCALING:=20000 50000}"
	: "${BENCH_RATES:=1 4}" "${BENCH_REPS:=2}" "${BENCH_SECONDS:=5}"
fi
N=${BENCH_SAMPLES:-1200000}
NPEER=${BENCH_PEER_SAMPLES:-200000}
SCALING=${BENCH_SCALING:-100000 400000}
RATES=${BENCH_RATES:-1 2 4 8}
REPS=${BENCH_REPS:-3}
SECS=${BENCH_SECONDS:-15}
OUT=bench/out
mkdir -p "$OUT"

ensure_packages
build_install
cluster_start
chmod 777 "$CLUSTER_DIR"
export PGOPTIONS="-c client_min_messages=warning"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d bench)

# A database with the extension, the PL/pgSQL peer and $1 generated samples
# (violation boost $2) kept in bench_src and in a COPY file; "ESMRSample" empty.
prepare() {
	dropdb --if-exists bench
	create_app_db bench
	"${PSQL[@]}" -f bench/plpgsql_peer.sql >/dev/null
	"${PSQL[@]}" -v samples="$1" -v facilities=$(($1 / 400 + 10)) -v violation_boost="${2:-1}" \
		-f data/generate_samples.sql >/dev/null
	"${PSQL[@]}" <<SQL
CREATE TABLE bench_src AS SELECT * FROM "ESMRSample";
COPY bench_src TO '$CLUSTER_DIR/bench_src.copy';
SQL
	set_mode off
	reset_data
}

# Sets the detection mode: off, statement (production), row (the C function
# as a row trigger), plpgsql-row, plpgsql-statement.
set_mode() {
	"${PSQL[@]}" <<SQL
DROP TRIGGER IF EXISTS bench_row ON "ESMRSample";
DROP TRIGGER IF EXISTS bench_peer ON "ESMRSample";
ALTER TABLE "ESMRSample" $([ "$1" = statement ] && echo ENABLE || echo DISABLE) TRIGGER violations_detect_insert;
$(case $1 in
	row) echo 'CREATE TRIGGER bench_row AFTER INSERT ON "ESMRSample" FOR EACH ROW EXECUTE FUNCTION violations_detect();' ;;
	plpgsql-row) echo 'CREATE TRIGGER bench_peer AFTER INSERT ON "ESMRSample" FOR EACH ROW EXECUTE FUNCTION peer.detect_row();' ;;
	plpgsql-statement) echo 'CREATE TRIGGER bench_peer AFTER INSERT ON "ESMRSample" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION peer.detect_statement();' ;;
esac)
SQL
}

# Empties the samples and everything that came from them.
reset_data() {
	"${PSQL[@]}" -c 'TRUNCATE "ESMRSample", "ViolationSample", "ViolationSkip", "ViolationMonthly", "ViolationEvent" CASCADE' \
		-c 'VACUUM ANALYZE "ESMRSample", "ViolationEvent", "ViolationMonthly"' -c 'CHECKPOINT'
}

# Milliseconds taken by one SQL statement.
time_ms() {
	"${PSQL[@]}" -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
}

# Runs SQL $1 in a new backend; prints "ms peak_rss_anon_kB": the backend's
# private memory sampled every 20 ms while it runs.
time_and_memory() {
	local pidfile=$CLUSTER_DIR/bench.pid peak=0 kb
	rm -f "$pidfile"
	"${PSQL[@]}" -At -c "COPY (SELECT pg_backend_pid()) TO '$pidfile'" -c '\timing on' -c "$1" \
		>"$CLUSTER_DIR/bench.time" &
	local client=$!
	while [ ! -s "$pidfile" ] && kill -0 $client 2>/dev/null; do sleep 0.01; done
	local pid
	pid=$(cat "$pidfile" 2>/dev/null || echo 0)
	while kill -0 $client 2>/dev/null; do
		kb=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
		[ "${kb:-0}" -gt "$peak" ] && peak=$kb
		sleep 0.02
	done
	wait $client
	echo "$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$CLUSTER_DIR/bench.time" | tail -1) $peak"
}

# median min max of the numbers on stdin
stats() {
	sort -n | awk '{a[NR]=$1} END {printf "%.0f %.0f %.0f\n", a[int((NR+1)/2)], a[1], a[NR]}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
median() { stats | awk '{print $1}'; }

INSERT_SQL='INSERT INTO "ESMRSample" SELECT * FROM bench_src'
COPY_SQL="COPY \"ESMRSample\" FROM '$CLUSTER_DIR/bench_src.copy'"
declare -A RESULT

# Bulk loads of the current bench_src, modes $2... interleaved over the reps,
# for load kind $1 (insert or copy); results in RESULT[$1-$mode].
bulk() {
	local load=$1 mode rep sql
	shift
	for mode in "$@"; do : >"$OUT/$load-$mode.txt"; done
	for rep in $(seq "$REPS"); do
		for mode in "$@"; do
			set_mode "$mode"
			reset_data
			sql=$INSERT_SQL
			[ "$load" = copy ] && sql=$COPY_SQL
			time_ms "$sql" >>"$OUT/$load-$mode.txt"
		done
	done
	for mode in "$@"; do RESULT[$load-$mode]=$(stats <"$OUT/$load-$mode.txt"); done
}

# counts after a load with detection: violations, samples with one, skip rows
counts() {
	"${PSQL[@]}" -At -F ' ' -c 'SELECT (SELECT count(*) FROM "ViolationSample"),
		(SELECT count(DISTINCT "esmrSampleId") FROM "ViolationSample"),
		(SELECT count(*) FROM "ViolationSkip")'
}

t0=$(date +%s)
echo "== ingest: $N samples (main), $NPEER (trigger kinds), reps $REPS" >&2

# ---------------------------------------------------------------- 2. trigger kinds
prepare "$NPEER"
bulk insert off statement row plpgsql-statement plpgsql-row
for mode in off statement row plpgsql-statement plpgsql-row; do RESULT[peer-$mode]=${RESULT[insert-$mode]}; done
set_mode statement; reset_data; "${PSQL[@]}" -c "$INSERT_SQL"
read -r PV PS PK <<<"$(counts)"

# ---------------------------------------------------------------- 3. single rows
"${PSQL[@]}" <<'SQL'
CREATE SEQUENCE bench_seq;
CREATE TABLE bench_one AS
SELECT row_number() OVER () AS i, "locationPlaceId", "parameterId", "samplingDate",
	   "samplingTime", "qualifier", "result", "units"
  FROM bench_src TABLESAMPLE SYSTEM (50) LIMIT 50000;
ALTER TABLE bench_one ADD PRIMARY KEY (i);
SQL
NONE=$("${PSQL[@]}" -At -c 'SELECT count(*) FROM bench_one')
cat >"$OUT/one.sql" <<SQL
\set i random(1, $NONE)
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
SELECT 'b' || nextval('bench_seq'), "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units"
  FROM bench_one WHERE i = :i;
SQL
# p50 p95 count of one pgbench run, in microseconds
single() {
	rm -f pgbench_log.*
	pgbench -n -M prepared -f "$OUT/one.sql" -T "$SECS" -l bench >/dev/null 2>&1
	cat pgbench_log.* | awk '{print $3}' | sort -n |
		awk '{a[NR]=$1} END {printf "%d %d %d\n", a[int(NR*0.5)], a[int(NR*0.95)], NR}'
	rm -f pgbench_log.*
}
declare -A ONE
for mode in off statement row plpgsql-statement plpgsql-row; do
	set_mode "$mode"
	ONE[$mode]=$(single)
done

# ---------------------------------------------------------------- 1, 4, 5. main size
prepare "$N"
bulk insert off statement
bulk copy off statement
set_mode off; reset_data
read -r _ MAIN_OFF_KB <<<"$(time_and_memory "$INSERT_SQL")"
set_mode statement; reset_data
read -r _ MAIN_KB <<<"$(time_and_memory "$INSERT_SQL")"
read -r MV MS MK <<<"$(counts)"
DRIFT=$("${PSQL[@]}" -At -c 'SELECT count(*) FROM violations_check_aggregates()')

# The backfill: samples stored with detection off, then evaluated.
: >"$OUT/backfill-plain.txt"; : >"$OUT/backfill-call.txt"
for rep in $(seq "$REPS"); do
	set_mode off; reset_data
	time_ms "$INSERT_SQL" >>"$OUT/backfill-plain.txt"
	read -r ms kb <<<"$(time_and_memory 'CALL violations_backfill(restart => true)')"
	echo "$ms" >>"$OUT/backfill-call.txt"
	BF_KB=$kb
done
BF_PLAIN=$(median <"$OUT/backfill-plain.txt")
BF_CALL=$(median <"$OUT/backfill-call.txt")
BF_V=$("${PSQL[@]}" -At -c 'SELECT count(*) FROM "ViolationSample"')

# ---------------------------------------------------------------- 6. scaling
: >"$OUT/ingest_scaling.dat"
for size in $SCALING; do
	prepare "$size"
	set_mode off; reset_data
	read -r off offkb <<<"$(time_and_memory "$INSERT_SQL")"
	set_mode statement; reset_data
	read -r on kb <<<"$(time_and_memory "$INSERT_SQL")"
	echo "$size $off $on $kb $offkb" >>"$OUT/ingest_scaling.dat"
done
read -r off _ _ <<<"${RESULT[insert-off]}"
read -r on _ _ <<<"${RESULT[insert-statement]}"
echo "$N $off $on $MAIN_KB $MAIN_OFF_KB" >>"$OUT/ingest_scaling.dat"

: >"$OUT/ingest_rates.dat"
for boost in $RATES; do
	prepare "$NPEER" "$boost"
	set_mode off; reset_data; off=$(time_ms "$INSERT_SQL")
	set_mode statement; reset_data; on=$(time_ms "$INSERT_SQL")
	read -r v vs _ <<<"$(counts)"
	tracked=$("${PSQL[@]}" -At -c 'SELECT count(*) FROM bench_src s JOIN "ESMRParameter" p ON p."id" = s."parameterId" WHERE p."canonicalKey" IS NOT NULL')
	echo "$boost $(awk -v a="$vs" -v b="$tracked" 'BEGIN {printf "%.1f", 100 * a / b}') $v $off $on $(ratio "$on" "$off")" >>"$OUT/ingest_rates.dat"
done

# ---------------------------------------------------------------- plots
if command -v gnuplot >/dev/null; then
	gnuplot <<GP
set terminal pngcairo size 800,480 font ",10"
set output "$OUT/ingest_scaling.png"
set title "Bulk INSERT ... SELECT: cost per sample vs load size"
set xlabel "samples in one statement"; set ylabel "microseconds per sample"
set logscale x; set yrange [0:*]; set key left top; set grid
plot "$OUT/ingest_scaling.dat" using 1:(\$2*1000/\$1) with linespoints title "detection off", \
     "" using 1:(\$3*1000/\$1) with linespoints title "with the extension"
set output "$OUT/ingest_rates.png"
set title "Bulk INSERT ... SELECT of $NPEER samples: ratio to detection off vs violation rate"
set xlabel "% of tracked samples in violation"; set ylabel "time with / time without"
unset logscale x; set yrange [1:*]
plot "$OUT/ingest_rates.dat" using 2:6 with linespoints title "extension (statement trigger)"
GP
fi

# ---------------------------------------------------------------- report
row() {
	local key=$1 label=$2 base=$3 med mn mx b
	read -r med mn mx <<<"${RESULT[$key]}"
	read -r b _ _ <<<"${RESULT[$base]}"
	echo "| $label | $med | $mn - $mx | $(ratio "$med" "$b") |"
}
onerow() {
	local mode=$1 p50 p95 n o50 o95
	read -r p50 p95 n <<<"${ONE[$mode]}"
	read -r o50 o95 _ <<<"${ONE[off]}"
	echo "| $mode | $p50 | $p95 | $n | $(ratio "$p50" "$o50") | $(ratio "$p95" "$o95") |"
}
{
	echo "### Bulk ingest, $N samples"
	echo
	echo "$N generated samples; with detection: $MV violations in $MS samples, $MK skip rows;"
	echo "\`violations_check_aggregates()\` afterwards: $DRIFT rows. Median of $REPS interleaved runs."
	echo
	echo "| load | median ms | min - max | ratio to off |"
	echo "|---|---:|---:|---:|"
	row insert-off '`INSERT ... SELECT`, detection off' insert-off
	row insert-statement '`INSERT ... SELECT`, the extension' insert-off
	row copy-off '`COPY`, detection off' copy-off
	row copy-statement '`COPY`, the extension' copy-off
	echo
	echo "### Trigger kinds, $NPEER samples ($PV violations in $PS samples)"
	echo
	echo "| \`INSERT ... SELECT\` with | median ms | min - max | ratio to off |"
	echo "|---|---:|---:|---:|"
	row peer-off 'detection off' peer-off
	row peer-statement 'the extension (C, statement trigger, production)' peer-off
	row peer-row 'the extension'"'"'s C function as a row trigger' peer-off
	row peer-plpgsql-statement 'PL/pgSQL, statement trigger (bench/plpgsql_peer.sql)' peer-off
	row peer-plpgsql-row 'PL/pgSQL, row trigger' peer-off
	echo
	echo "### Single-row INSERT, one per transaction (pgbench -M prepared, $SECS s each)"
	echo
	echo "| detection | p50 us | p95 us | transactions | p50 ratio | p95 ratio |"
	echo "|---|---:|---:|---:|---:|---:|"
	for mode in off statement row plpgsql-statement plpgsql-row; do onerow $mode; done
	echo
	echo "### Backfill of $N stored samples"
	echo
	echo "| | median ms | ratio |"
	echo "|---|---:|---:|"
	echo "| plain \`INSERT ... SELECT\` of the samples, detection off | $BF_PLAIN | 1.00 |"
	echo "| \`CALL violations_backfill()\` of them ($BF_V violations) | $BF_CALL | $(ratio "$BF_CALL" "$BF_PLAIN") |"
	echo
	echo "### Peak private memory of the backend (RssAnon, sampled every 20 ms)"
	echo
	echo "| statement | samples | peak RssAnon MB, detection off | with the extension |"
	echo "|---|---:|---:|---:|"
	while read -r size off on kb offkb; do
		echo "| \`INSERT ... SELECT\` | $size | $(mb "$offkb") | $(mb "$kb") |"
	done <"$OUT/ingest_scaling.dat"
	echo "| \`CALL violations_backfill()\`, batches of 10000 | $N | | $(mb "$BF_KB") |"
	echo
	echo "### Cost per sample vs load size (![plot](ingest_scaling.png))"
	echo
	echo "| samples | off ms | with the extension ms | off us/sample | with us/sample | ratio |"
	echo "|---:|---:|---:|---:|---:|---:|"
	while read -r size off on kb offkb; do
		echo "| $size | $(printf %.0f "$off") | $(printf %.0f "$on") | $(awk -v a="$off" -v n="$size" 'BEGIN {printf "%.1f", a * 1000 / n}') | $(awk -v a="$on" -v n="$size" 'BEGIN {printf "%.1f", a * 1000 / n}') | $(ratio "$on" "$off") |"
	done <"$OUT/ingest_scaling.dat"
	echo
	echo "### Ratio vs violation rate, $NPEER samples (![plot](ingest_rates.png))"
	echo
	echo "| violation boost | % of tracked samples violating | violations | off ms | with ms | ratio |"
	echo "|---:|---:|---:|---:|---:|---:|"
	while read -r boost pct v off on r; do
		echo "| $boost | $pct | $v | $(printf %.0f "$off") | $(printf %.0f "$on") | $r |"
	done <"$OUT/ingest_rates.dat"
	echo
	echo "(ingest part: $(( $(date +%s) - t0 )) s)"
} >"$OUT/ingest.md"
cat "$OUT/ingest.md"
