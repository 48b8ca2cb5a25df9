#!/usr/bin/env bash
# bench/dashboards.sh: dashboard and drilldown latency at 10k, 100k and 1M
# violations (issue 5), Option 1 (the extension's aggregates, "ViolationEvent"
# and "ViolationMonthly") against Option 2 (one violation table, the same
# answers by GROUP BY over "ViolationSample") as the baseline.
#
#   BENCH_DASH_SIZES       violations per data set (default "10000 100000 1000000")
#   BENCH_DASH_SECONDS     pgbench duration of each query x option (default 10)
#   BENCH_QUICK=1          for iteration: sizes "2000 20000" and 2 s runs
#                          (BENCH_DASH_SIZES and BENCH_DASH_SECONDS still win)
#   BENCH_DASH_FACILITIES  eSMR facilities of every data set (default 3000)
#   BENCH_DASH_BOOST       data/generate_samples.sql's violation_boost (default 20)
#   BENCH_DASH_RATE        violations per generated sample at that boost
#                          (default 0.682, measured): samples = size / rate
#
# Data: for each size a database (the app's schema, the reference data, the
# extension) filled by data/generate_samples.sql through the detection
# trigger: the same facilities and dates (2019-01-01 to 2025-12-31) at every
# size, only the number of samples grows; results boosted (violation_boost)
# so that about half the tracked samples exceed, then VACUUM ANALYZE.
#
# Queries: bench/dashboards/<query>.<option>.sql, from
# docs/VIOLATION_QUERY_PATTERNS.md (option 1 / 2; "both" where Option 2 sends
# the same SQL to its single violation table).  Inputs: each transaction
# draws a row of a lookup table (bench/dashboards/params.sql: every Facility x
# year, pollutant x year, ... with violations, equally likely) with pgbench
# \set random and one primary-key lookup, which is part of the measured time
# (the "lookup only" row gives its cost).  Option "2idx" is Option 2 again
# after adding the indexes its schema would have for the year- and month-wide
# queries.  Status update: one UPDATE of "status" to the next step of the
# legal cycle, Option 2 without the aggregate-maintenance trigger.
#
# Measurement: pgbench -n -M extended (unnamed prepared statements, as
# node-postgres sends them), one client, a warm-up of 5 transactions, then
# BENCH_DASH_SECONDS seconds with per-transaction latency logging (-l):
# p50, p95, mean.  EXPLAIN (ANALYZE, BUFFERS) of each, with row 1 (the
# busiest input), in bench/out/explain/<size>-<query>-<option>.txt.  Before
# any measurement, Option 1 and Option 2 must return the same rows for 30
# inputs of each dashboard query; after the status updates,
# violations_check_aggregates() must be empty; else the script fails.
#
# Output: a Markdown section on stdout and in bench/out/dashboards.md, the
# numbers in bench/out/dashboards.dat, and (with gnuplot, installed with
# apt-get when missing and running as root) bench/out/dashboards.png.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/cluster.sh

t_start=$(date +%s)
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	SIZES=${BENCH_DASH_SIZES:-"2000 20000"}
	SECS=${BENCH_DASH_SECONDS:-2}
else
	SIZES=${BENCH_DASH_SIZES:-"10000 100000 1000000"}
	SECS=${BENCH_DASH_SECONDS:-10}
fi
FACILITIES=${BENCH_DASH_FACILITIES:-3000}
BOOST=${BENCH_DASH_BOOST:-20}
RATE=${BENCH_DASH_RATE:-0.682}
START_DATE=2019-01-01
END_DATE=2025-12-31
DASH_TARGET=5		# ms, p95 of each dashboard query at the largest size (Option 1)
STATUS_TARGET=2		# ms, p95 of the status update (Option 1)
OUT=bench/out
Q=bench/dashboards
mkdir -p "$OUT/explain"

ensure_packages
build_install
# checkpoints and autovacuum in the server log, to name what ran during a timed run
CLUSTER_EXTRA_CONF="${CLUSTER_EXTRA_CONF:-}
log_min_messages = log
log_checkpoints = on
log_autovacuum_min_duration = 0"
cluster_start
WORK=$(mktemp -d /tmp/violations-dash.XXXXXX)
trap 'cluster_stop; rm -rf "$WORK"' EXIT
export PGOPTIONS="-c client_min_messages=warning"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# A query file as pgbench runs it (comments dropped), or as psql does (the
# pgbench variables :p_x as quoted literals :'p_x').
query_sql() { sed -e '/^[[:space:]]*--/d' "$Q/$1.sql"; }
psql_form() { sed -e "s/:\(p_[a-z_0-9]*\)/:'\1'/g"; }

# "p50 p95 mean n" (ms) of pgbench's per-transaction log on stdin (µs, field 3).
latency_stats() {
	awk '{print $3}' | sort -n | awk '
		function rank(q,  k) { k = int(NR * q); if (k < NR * q) k++; if (k < 1) k = 1; return a[k] }
		{ a[NR] = $1; s += $1 }
		END { if (NR == 0) { print "- - - 0"; exit }
			  printf "%.3f %.3f %.3f %d\n", rank(0.5) / 1000, rank(0.95) / 1000, s / NR / 1000, NR }'
}

# measure LOOKUP [QUERY]: a pgbench run of QUERY with its inputs drawn from
# the lookup table; prints "p50 p95 mean n".  Without QUERY, the lookup alone.
measure() {
	local lookup=$1 query=${2:-} n script=$WORK/script.sql
	n=$("${PSQL[@]}" -At -c "SELECT count(*) FROM $lookup")
	[ "$n" -gt 0 ] || fail "$lookup is empty ($DB)"
	{
		echo "\\set i random(1, $n)"
		echo "SELECT * FROM $lookup WHERE i = :i \\gset"
		[ -z "$query" ] || query_sql "$query"
	} >"$script"
	pgbench -n -M extended -f "$script" -t 5 "$DB" >"$WORK/pgbench.out" 2>&1 ||
		{ cat "$WORK/pgbench.out" >&2; fail "pgbench $query (warm-up)"; }
	rm -f "$WORK"/log.*
	local logsize
	logsize=$(stat -c %s "$CLUSTER_DIR/server.log")
	pgbench -n -M extended -f "$script" -T "$SECS" -l --log-prefix="$WORK/log" "$DB" \
		>"$WORK/pgbench.out" 2>&1 || { cat "$WORK/pgbench.out" >&2; fail "pgbench $query"; }
	# what else the server did meanwhile
	tail -c +$((logsize + 1)) "$CLUSTER_DIR/server.log" |
		sed -n -e 's/.*automatic \([a-z]*\) of table "\([^".]*\)\.[^".]*\.\([^"]*\)".*/\1 \2 \3/p' \
			-e 's/.*LOG: *checkpoint starting.*/checkpoint/p' |
		awk -v k="$DB_DESC, ${query:-lookup only}" -v db="$DB" '
			$1 == "checkpoint" { c++; next }
			{ t[$1] = t[$1] (t[$1] == "" ? "" : ", ") ($2 == db ? $3 : $2 "." $3) }
			END { s = ""
				  if ("vacuum" in t) s = "autovacuum of " t["vacuum"]
				  if ("analyze" in t) s = s (s == "" ? "" : "; ") "autoanalyze of " t["analyze"]
				  if (c) s = s (s == "" ? "" : "; ") c " checkpoint(s)"
				  if (s != "") print k ": " s }' >>"$WORK/server-events"
	cat "$WORK"/log.* | latency_stats
	rm -f "$WORK"/log.*
}

# explain LOOKUP QUERY FILE [update]: EXPLAIN (ANALYZE, BUFFERS) with the
# inputs of row 1 (an UPDATE inside a transaction that is rolled back).
explain() {
	local lookup=$1 query=$2 file=$3 update=${4:-}
	{
		echo "\\pset footer off"
		echo "SELECT * FROM $lookup WHERE i = 1 \\gset"
		echo "\\echo '-- $DB_DESC, $query, inputs: row 1 of $lookup (the busiest)'"
		echo "SELECT * FROM $lookup WHERE i = 1;"
		# once unmeasured, so that the plan is made with warm caches, as in the
		# timed runs (an UPDATE in a transaction of its own, rolled back: a row
		# updated twice in one transaction would also have its foreign keys checked)
		[ -z "$update" ] || echo "BEGIN;"
		echo "\\o /dev/null"
		query_sql "$query" | psql_form
		echo "\\o"
		[ -z "$update" ] || echo "ROLLBACK;"
		[ -z "$update" ] || echo "BEGIN;"
		echo "EXPLAIN (ANALYZE, BUFFERS)"
		query_sql "$query" | psql_form
		[ -z "$update" ] || echo "ROLLBACK;"
	} | "${PSQL[@]}" >"$file" 2>&1 || { cat "$file" >&2; fail "EXPLAIN $query"; }
}

# check_same QUERY LOOKUP CUT: options 1 and 2 of QUERY give the same rows for
# 30 inputs (the 15 busiest, 15 drawn); CUT = the fields of option 1 to
# compare (cut -f), e.g. 2- to leave out the event's id.
check_same() {
	local query=$1 lookup=$2 cut=$3 opt rows
	rows=$("${PSQL[@]}" -At -c "SELECT i FROM $lookup WHERE i <= 15
		UNION SELECT i FROM (SELECT i FROM $lookup ORDER BY md5(i::text) LIMIT 15) r ORDER BY 1")
	for opt in 1 2; do
		for i in $rows; do
			echo "SELECT * FROM $lookup WHERE i = $i \\gset"
			echo "\\echo '== input $i'"
			query_sql "$query.$opt" | psql_form
		done | "${PSQL[@]}" -At -F '|' >"$WORK/check.$opt" 2>&1 ||
			{ cat "$WORK/check.$opt" >&2; fail "check $query.$opt"; }
	done
	cut -d'|' -f"$cut" "$WORK/check.1" >"$WORK/check.1c"
	if ! diff "$WORK/check.1c" "$WORK/check.2" >"$WORK/check.diff"; then
		head -40 "$WORK/check.diff" >&2
		fail "$DB_DESC: $query, option 1 and option 2 differ (above: < option 1, > option 2)"
	fi
	CHECKS[$size]+="$query $(grep -c '^== input' "$WORK/check.2") inputs ($(grep -vc '^== input' "$WORK/check.2") rows); "
}

# the dashboard queries: name, lookup table, options
QUERIES=(
	"facility_summary bench_fy 1 2"
	"pollutant_summary bench_py 1 2"
	"month_count bench_month 1 2"
	"top_facilities bench_y 1 2"
	"drilldown_page bench_fp both"
	"critical_2024 bench_fc both"
)
# the queries measured again as 2idx, and the indexes an Option 2 schema would add for them
IDX_QUERIES="pollutant_summary:bench_py month_count:bench_month top_facilities:bench_y"
IDX_SQL='CREATE INDEX bench_o2_pollutant_date ON "ViolationSample" ("pollutantKey", "detectedAt") INCLUDE ("facilityId", "facilityPlaceId");
CREATE INDEX bench_o2_date ON "ViolationSample" ("detectedAt") INCLUDE ("status", "severity", "facilityId", "facilityPlaceId", "pollutantKey", "exceedanceRatio");'

declare -A R	# R[size|query|option] = "p50 p95 mean n"
declare -A META	# META[size] = "samples violations events monthly load_s"
declare -A CHECKS	# CHECKS[size] = what was checked
declare -A LOADAVG	# LOADAVG[size] = the machine's 1-minute load average before and after the timed runs
ROWS=()		# size|query|option in the order measured

record() {	# size query option stats
	R["$1|$2|$3"]=$4
	ROWS+=("$1|$2|$3")
	echo "   $2 ($3): p50/p95/mean $(echo "$4" | awk '{print $1 " / " $2 " / " $3 " ms, " $4 " runs"}')" >&2
}

for size in $SIZES; do
	DB=dash_$size
	DB_DESC="$size violations"
	PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d "$DB")
	samples=$(awk -v s="$size" -v r="$RATE" 'BEGIN {printf "%d", s / r + 0.5}')
	echo "== size $size: $samples samples, violation_boost $BOOST, $FACILITIES facilities" >&2
	create_app_db "$DB"
	t0=$(date +%s%N)
	"${PSQL[@]}" -v samples="$samples" -v facilities="$FACILITIES" -v violation_boost="$BOOST" \
		-v start_date="$START_DATE" -v end_date="$END_DATE" -f data/generate_samples.sql >/dev/null
	"${PSQL[@]}" -c 'VACUUM (ANALYZE)' -c 'CHECKPOINT'
	load_s=$(( ($(date +%s%N) - t0) / 1000000000 ))
	META[$size]="$samples $("${PSQL[@]}" -At -F ' ' -c 'SELECT (SELECT count(*) FROM "ViolationSample"),
		(SELECT count(*) FROM "ViolationEvent"), (SELECT count(*) FROM "ViolationMonthly")') $load_s"
	echo "   samples, violations, events, monthly rows, load s: ${META[$size]}" >&2
	"${PSQL[@]}" -f "$Q/params.sql"

	# the same rows from both options, before anything changes a status
	check_same facility_summary bench_fy 2-
	check_same pollutant_summary bench_py 1-
	check_same month_count bench_month 1-
	check_same top_facilities bench_y 1-

	LOADAVG[$size]=$(cut -d' ' -f1 /proc/loadavg)
	record "$size" "lookup only" - "$(measure bench_fy)"
	for spec in "${QUERIES[@]}"; do
		read -r query lookup opts <<<"$spec"
		for opt in $opts; do
			record "$size" "$query" "$opt" "$(measure "$lookup" "$query.$opt")"
			explain "$lookup" "$query.$opt" "$OUT/explain/$size-$query-$opt.txt"
		done
	done

	# status updates: with the aggregates kept (then checked), then without
	record "$size" status_update 1 "$(measure bench_viol status_update)"
	explain bench_viol status_update "$OUT/explain/$size-status_update-1.txt" update
	drift=$("${PSQL[@]}" -At -c 'SELECT count(*) FROM violations_check_aggregates()')
	if [ "$drift" != 0 ]; then
		"${PSQL[@]}" -c 'SELECT * FROM violations_check_aggregates() LIMIT 10' >&2
		fail "$DB_DESC: the aggregates differ from a recomputation after the status updates"
	fi
	CHECKS[$size]+="violations_check_aggregates() after the status updates: 0 rows"
	"${PSQL[@]}" -c 'ALTER TABLE "ViolationSample" DISABLE TRIGGER violations_on_violation_update'
	record "$size" status_update 2 "$(measure bench_viol status_update)"
	explain bench_viol status_update "$OUT/explain/$size-status_update-2.txt" update
	"${PSQL[@]}" -c 'ALTER TABLE "ViolationSample" ENABLE TRIGGER violations_on_violation_update'

	# Option 2 with indexes of its own
	"${PSQL[@]}" -c "$IDX_SQL" -c 'VACUUM (ANALYZE) "ViolationSample"'
	for spec in $IDX_QUERIES; do
		query=${spec%%:*} lookup=${spec#*:}
		record "$size" "$query" 2idx "$(measure "$lookup" "$query.2")"
		explain "$lookup" "$query.2" "$OUT/explain/$size-$query-2idx.txt"
	done
	LOADAVG[$size]+=" - $(cut -d' ' -f1 /proc/loadavg)"
	dropdb "$DB"
done
runtime=$(( $(date +%s) - t_start ))

# ---------------------------------------------------------------- report

num() { awk -v x="$1" 'BEGIN {printf (x < 10 ? "%.2f" : "%.1f"), x}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-" || b == 0) print "-"; else printf (a / b < 1 ? "%.2f" : "%.1f"), a / b}'; }
is_dashboard() { case $1 in "lookup only" | status_update) return 1 ;; *) return 0 ;; esac; }
QNAMES=(facility_summary pollutant_summary month_count top_facilities drilldown_page critical_2024 status_update "lookup only")
LAST=${SIZES##* }
FIRST=${SIZES%% *}

{
	echo "# violations (size) query option p50_ms p95_ms mean_ms runs   (bench/dashboards.sh, $(date -u +%Y-%m-%d))"
	for key in "${ROWS[@]}"; do
		IFS='|' read -r size query opt <<<"$key"
		read -r _ v _ <<<"${META[$size]}"
		echo "$size $v ${query// /_} $opt ${R[$key]}"
	done
} >"$OUT/dashboards.dat"

{
	echo "### Dashboards and drilldowns, $(date -u +%Y-%m-%d), $(nproc) cores, PostgreSQL $(pg_config --version | awk '{print $2}')"
	echo
	echo "\`bench/dashboards.sh\` with BENCH_DASH_SIZES=\"$SIZES\" BENCH_DASH_SECONDS=$SECS" \
		"(BENCH_QUICK=${BENCH_QUICK:-0}), $runtime s in all."
	echo "Data: \`data/generate_samples.sql\` with violation_boost $BOOST, $FACILITIES facilities," \
		"$START_DATE to $END_DATE, through the detection trigger, then VACUUM ANALYZE:"
	echo
	echo "| size | samples | violations | events | monthly rows | load + vacuum s | machine load avg during the runs |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for size in $SIZES; do
		read -r s v e m l <<<"${META[$size]}"
		echo "| $size | $s | $v | $e | $m | $l | ${LOADAVG[$size]} |"
	done
	echo
	echo "Latency per transaction (pgbench -M extended, 1 client, $SECS s per row), ms. Option 1: the"
	echo "extension's aggregates; 2: GROUP BY over \"ViolationSample\" (same answers); 2idx: 2 with"
	echo "covering indexes of its own on (pollutantKey, detectedAt) and (detectedAt); both: the same SQL"
	echo "in either design; status_update 2: without the aggregate (and history) trigger. Every time"
	echo "includes the input lookup (\"lookup only\"). EXPLAINs with the busiest input. Inputs drawn at random"
	echo "per transaction among those with violations (Facility x year, pollutant x year, year, the"
	echo "last month of the data, Facility x pollutant with a 2nd page, Facility with critical 2024"
	echo "violations, 100k violations for the status update)."
	echo
	echo "| size | query | option | p50 ms | p95 ms | mean ms | runs | ratio 2/1 p50 | ratio 2/1 p95 |"
	echo "|---:|---|---|---:|---:|---:|---:|---:|---:|"
	for key in "${ROWS[@]}"; do
		IFS='|' read -r size query opt <<<"$key"
		read -r p50 p95 mean n <<<"${R[$key]}"
		r50=- r95=-
		if [ "$opt" = 2 ] || [ "$opt" = 2idx ]; then
			read -r b50 b95 _ _ <<<"${R[$size|$query|1]}"
			r50=$(ratio "$p50" "$b50") r95=$(ratio "$p95" "$b95")
		fi
		echo "| $size | $query | $opt | $(num "$p50") | $(num "$p95") | $(num "$mean") | $n | $r50 | $r95 |"
	done
	echo
	echo "p95 ms by size:"
	echo
	echo "| query | option |$(for s in $SIZES; do printf ' %s |' "$s"; done)"
	echo "|---|---|$(for s in $SIZES; do printf -- '---:|'; done)"
	for query in "${QNAMES[@]}"; do
		for opt in - 1 2 2idx both; do
			[ -n "${R[$FIRST|$query|$opt]:-}" ] || continue
			printf '| %s | %s |' "$query" "$opt"
			for s in $SIZES; do
				read -r _ p95 _ _ <<<"${R[$s|$query|$opt]:-- - - -}"
				printf ' %s |' "$(num "$p95")"
			done
			echo
		done
	done
	echo
	echo "Targets at $LAST violations (Option 1; \"both\" rows are the drilldowns):"
	echo
	for query in "${QNAMES[@]}"; do
		for opt in 1 both; do
			[ -n "${R[$LAST|$query|$opt]:-}" ] || continue
			read -r p50 p95 _ _ <<<"${R[$LAST|$query|$opt]}"
			read -r p50first p95first _ _ <<<"${R[$FIRST|$query|$opt]}"
			target=$DASH_TARGET
			[ "$query" = status_update ] && target=$STATUS_TARGET
			verdict=$(awk -v p="$p95" -v t="$target" 'BEGIN {print (p <= t ? "met" : "MISSED")}')
			echo "- $query: p50 $(num "$p50") ms, p95 $(num "$p95") ms, target p95 <= $target ms: $verdict;" \
				"from $FIRST to $LAST violations p50 x$(ratio "$p50" "$p50first"), p95 x$(ratio "$p95" "$p95first")" \
				"(bench/out/explain/$LAST-$query-$opt.txt)"
		done
	done
	echo
	echo "Checks passed (option 1 and option 2 return the same rows; the aggregates after the status updates):"
	echo
	for size in $SIZES; do echo "- $size: ${CHECKS[$size]}"; done
	echo
	echo "Server activity during the timed runs (checkpoints, autovacuum; from the server log):"
	echo
	if [ -s "$WORK/server-events" ]; then sed 's/^/- /' "$WORK/server-events"; else echo "- none"; fi
} | tee "$OUT/dashboards.md"

# ---------------------------------------------------------------- plot

if ! command -v gnuplot >/dev/null && [ "$(id -u)" = 0 ]; then
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox; } >/dev/null 2>&1 ||
		echo "(gnuplot-nox could not be installed)" >&2
fi
if command -v gnuplot >/dev/null; then
	{
		echo 'set terminal pngcairo size 1500,1300 font ",10"'
		echo "set output '$OUT/dashboards.png'"
		echo 'set multiplot layout 3,3 title "p95 latency vs violations (bench/dashboards.sh, pgbench, 1 client)" font ",13"'
		read -r _ vmin _ <<<"${META[$FIRST]}"
		read -r _ vmax _ <<<"${META[$LAST]}"
		echo 'set logscale xy; set grid; set xlabel "violations (log)"; set ylabel "p95 ms (log)"'
		echo 'set key below horizontal samplen 2 noenhanced font ",9"'
		echo 'set format x "10^{%L}"'
		echo "set xrange [$vmin / 1.6 : $vmax * 1.6]"
		for query in "${QNAMES[@]}"; do
			[ "$query" = "lookup only" ] && continue
			target=$DASH_TARGET
			[ "$query" = status_update ] && target=$STATUS_TARGET
			plots=()
			for opt in 1 2 2idx both; do
				[ -n "${R[$FIRST|$query|$opt]:-}" ] || continue
				echo "\$d_${query}_$opt << EOD"
				for s in $SIZES; do
					read -r _ v _ _ _ <<<"${META[$s]}"
					read -r _ p95 _ _ <<<"${R[$s|$query|$opt]}"
					echo "$v $p95"
				done
				echo "EOD"
				case $opt in
				1) style='lw 2 lc rgb "#1f77b4" pt 7 title "Option 1 (aggregates)"' ;;
				2) style='lw 2 lc rgb "#d62728" pt 5 title "Option 2 (GROUP BY)"'
				   [ "$query" = status_update ] &&
					   style='lw 2 lc rgb "#d62728" pt 5 title "Option 2 (no aggregates to keep)"' ;;
				2idx) style='lw 2 dt 2 lc rgb "#ff7f0e" pt 4 title "Option 2 + its indexes"' ;;
				both) style='lw 2 lc rgb "#2ca02c" pt 9 title "same SQL in both"' ;;
				esac
				plots+=("\$d_${query}_$opt using 1:2 with linespoints $style")
			done
			echo "set title \"$query\" noenhanced"
			echo "plot $(IFS=,; echo "${plots[*]}"), $target with lines dt 3 lc rgb \"black\" title \"target $target ms\""
		done
		echo 'unset multiplot'
	} >"$WORK/plot.gp"
	gnuplot "$WORK/plot.gp" && echo >&2 && echo "plot: $OUT/dashboards.png" >&2
else
	echo "(no gnuplot: no $OUT/dashboards.png)" >&2
fi
