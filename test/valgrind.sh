#!/usr/bin/env bash
# make valgrind: the extension's tests with the server under valgrind memcheck.
#
# A throwaway cluster (test/cluster.sh) whose postmaster, and with it every
# backend and auxiliary process it forks, runs under memcheck; then, as in
# test/run.sh, pg_regress (make installcheck), pgTAP (pg_prove over test/t on
# a create_app_db database) and the isolation specs.  The Prisma and dump and
# restore tests are left out: they exercise clients, not the extension's C
# code beyond what the three suites above already do.
#
# Afterwards every valgrind log ($VALGRIND_DIR/valgrind.<pid>.log, default
# results/valgrind) is scanned: errors overall, and errors with a frame in the
# extension's own code (a source file under src/ of this tree, or
# violations.so) in any of their stacks, including the "created by" (origin)
# and "alloc'd at" stacks.  Exits non-zero if a suite failed, if an error has
# a frame in the extension, or if no valgrind log was written.  Leaks are not
# checked (--leak-check=no): PostgreSQL frees by memory context.  Known
# false positives of PostgreSQL itself are in test/valgrind.supp (reasons
# there); the ones left (WAL written with padding) are listed by kind.
#
# PG_CONFIG picks the server (default: pg_config on PATH); its bindir goes
# first on PATH so cluster.sh, make and the clients all use that installation.
# VALGRIND_SUITES (default "regress tap isolation") runs a subset.
# Under valgrind everything is 20-50x slower: the whole run takes 20-60 min.
#
# Limitation: Debian's postgres is built without USE_VALGRIND, so memcheck
# does not know palloc's chunk boundaries: a read or write past the end of a
# palloc'd chunk that stays inside its memory-context block, or a read of a
# pfree'd chunk, is invisible.  Reads of uninitialised palloc memory, overruns
# of malloc'd or whole-block allocations, and uninitialised values reaching a
# branch or a system call are seen.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

if [ -n "${PG_CONFIG:-}" ]; then
	pgc=$(command -v "$PG_CONFIG") || { echo "PG_CONFIG=$PG_CONFIG not found" >&2; exit 1; }
	PG_CONFIG=$pgc
	PATH="$(dirname "$PG_CONFIG"):$("$PG_CONFIG" --bindir):$PATH"
else
	PG_CONFIG=pg_config
fi
export PG_CONFIG PATH
. test/cluster.sh

SUITES=${VALGRIND_SUITES:-regress tap isolation}
VALGRIND_DIR=${VALGRIND_DIR:-$ROOT/results/valgrind}
# isolationtester (PostgreSQL 15) cancels a step after PGISOLATIONTIMEOUT s
# (default 300); later versions read PG_TEST_TIMEOUT_DEFAULT.
export PGISOLATIONTIMEOUT=${PGISOLATIONTIMEOUT:-7200}
export PG_TEST_TIMEOUT_DEFAULT=${PG_TEST_TIMEOUT_DEFAULT:-3600}
PGCTL_TIMEOUT=${PGCTL_TIMEOUT:-1200}

ensure_packages
if ! command -v valgrind >/dev/null; then
	if [ "$(id -u)" != 0 ]; then
		echo "missing package: valgrind (run as root to install it)" >&2
		exit 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
fi
build_install

rm -rf "$VALGRIND_DIR"
mkdir -p "$VALGRIND_DIR"
[ "$(id -u)" = 0 ] && chown postgres "$VALGRIND_DIR"

VG_OPTS=(--tool=memcheck --trace-children=yes --track-origins=yes
	--read-var-info=yes --error-limit=no --num-callers=30 --leak-check=no
	--fullpath-after= --log-file="$VALGRIND_DIR/valgrind.%p.log")
[ -f "$ROOT/test/valgrind.supp" ] && VG_OPTS+=(--suppressions="$ROOT/test/valgrind.supp")

# jit off: LLVM-generated code under memcheck is slow and no part of the
# extension; autovacuum off: fewer traced processes on a small machine.
# A later line of postgresql.conf wins, so these override cluster.sh's.
CLUSTER_EXTRA_CONF="jit = off
autovacuum = off
shared_buffers = 128MB
${CLUSTER_EXTRA_CONF:-}"

# cluster_start makes and starts the cluster (initdb, settings, port, exit
# trap); it is then restarted with pg_ctl -p pointing at a wrapper that
# execs postgres under valgrind (same pid, so pg_ctl -w still recognises it).
cluster_start
pg_ctl_owner() { as_owner "$PG_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" "$@"; }
pg_ctl_owner -m fast -w -t 60 stop >/dev/null
WRAPPER=$CLUSTER_DIR/postgres-valgrind
{
	echo '#!/bin/sh'
	printf 'exec valgrind'
	printf ' %q' "${VG_OPTS[@]}" "$PG_BINDIR/postgres"
	echo ' "$@"'
} >"$WRAPPER"
chmod 755 "$WRAPPER"
# pg_ctl -w stop returns once postmaster.pid is gone, before valgrind has
# written the postmaster's summary: wait for the process itself.
valgrind_server_stop() {
	local pid i
	[ -n "${CLUSTER_DIR:-}" ] && [ -f "$CLUSTER_DIR/data/postmaster.pid" ] || return 0
	pid=$(head -1 "$CLUSTER_DIR/data/postmaster.pid")
	pg_ctl_owner -m fast -w -t "$PGCTL_TIMEOUT" stop >/dev/null 2>&1 || true
	for ((i = 0; i < 600 && pid > 0; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 1
	done
	return 0
}
# set +e: cluster_stop's pg_ctl stop fails once the server is down.
trap 'set +e; valgrind_server_stop; cluster_stop' EXIT
start=$SECONDS
echo "== starting the server under valgrind (logs in $VALGRIND_DIR)"
pg_ctl_owner -l "$CLUSTER_DIR/server.log" -p "$WRAPPER" -w -t "$PGCTL_TIMEOUT" start \
	>/dev/null || { cat "$CLUSTER_DIR/server.log"; exit 1; }

status=0
passed=() failed=()
suite_done() { # name rc
	if [ "$2" = 0 ]; then passed+=("$1"); else failed+=("$1"); status=1; fi
	echo "   $1: $([ "$2" = 0 ] && echo passed || echo FAILED) ($((SECONDS - t0)) s)"
}
for suite in $SUITES; do
	t0=$SECONDS
	case $suite in
	regress)
		echo "== pg_regress"
		rc=0
		make -s installcheck || { rc=1; head -200 results/regression.diffs 2>/dev/null || true; }
		suite_done pg_regress $rc ;;
	tap)
		echo "== pgTAP"
		create_app_db violations_tap
		psql -q -X -v ON_ERROR_STOP=1 -d violations_tap -c 'CREATE EXTENSION pgtap' >/dev/null
		rc=0
		pg_prove -d violations_tap --ext .sql -r test/t || rc=1
		suite_done pgTAP $rc ;;
	isolation)
		echo "== isolation"
		create_app_db violations_iso
		rm -rf results/isolation
		rc=0
		"$(dirname "$(dirname "$(pg_config --pgxs)")")/test/isolation/pg_isolation_regress" \
			--use-existing --dbname=violations_iso \
			--inputdir=test/isolation --outputdir=results/isolation \
			$(make -s --no-print-directory isolation-specs) \
			|| { rc=1; head -200 results/isolation/regression.diffs 2>/dev/null || true; }
		suite_done isolation $rc ;;
	*) echo "unknown suite: $suite" >&2; exit 2 ;;
	esac
done

echo "== stopping the server (valgrind writes its summaries on exit)"
valgrind_server_stop
echo "   tests and shutdown: $((SECONDS - start)) s"

shopt -s nullglob
logs=("$VALGRIND_DIR"/valgrind.*.log)
echo "== valgrind summary"
echo "suites passed under valgrind: ${passed[*]:-none}; failed: ${failed[*]:-none}"
if [ ${#logs[@]} -eq 0 ]; then
	echo "no valgrind log in $VALGRIND_DIR: the server did not run under valgrind" >&2
	exit 1
fi
vgrc=0
# One error context = a line at column 0 and its indented lines: the stack,
# then " Address ..."/" Uninitialised value was created by ..." and theirs.
# (Valgrind prints each distinct context once per process; ERROR SUMMARY
# counts every occurrence.)
SCAN=$(cat <<'PERL'
my $src = shift;
my ($procs, $nosum, $occ, $ctx, $supp, $ours) = (0, 0, 0, 0, 0, 0);
my (%distinct, @order, %other);
# frames left out of the one-line description of an error elsewhere
my $skip = qr/^(\?\?\?|_IO_\S*|__\S*|new_do_write|fwrite|write|pwrite|malloc|calloc|realloc|palloc\S*|repalloc|MemoryContextAlloc\S*|AllocSet\S*)$/;
for my $f (@ARGV) {
	open(my $fh, "<", $f) or die "$f: $!";
	$procs++;
	my (@blocks, $cur, $summary);
	while (my $l = <$fh>) {
		chomp $l;
		next unless $l =~ s/^==\d+== ?//;	# --pid-- lines are notes
		if ($l eq "") { undef $cur; next; }
		if ($l =~ /^\S/) { $cur = [$l]; push @blocks, $cur; next; }
		push @$cur, $l if $cur;
	}
	for my $b (@blocks) {
		if ($b->[0] =~ /^ERROR SUMMARY: ([\d,]+) errors from [\d,]+ contexts \(suppressed: ([\d,]+)/) {
			my ($n, $s) = ($1, $2); tr/,//d for $n, $s;
			$occ += $n; $supp += $s; $summary = 1; next;
		}
		next unless grep { /^\s+(at|by) 0x/ } @$b;
		$ctx++;
		if (grep { /^\s+(at|by) 0x/ && (index($_, "($src/src/") >= 0 || /violations\.so\)/) } @$b) {
			$ours++;
			my $key = join("\n", map { my $x = $_; $x =~ s/0x[0-9A-Fa-f]+/0x/g; $x =~ s/^\s+//; $x } @$b);
			push @order, $key unless $distinct{$key}++;
			next;
		}
		# elsewhere: kind, first named functions of the main stack, origin
		my ($kind, $sec, @fn, $origin) = ($b->[0], "main");
		$kind =~ s/\(0x[0-9a-f]+, 0x[0-9a-f]+, \d+\)//; $kind =~ s/\b[\d,]+\b/N/g;
		for (@$b[1 .. $#$b]) {
			if (/^\s+(at|by) 0x[0-9A-F]+: (\S+)/) {
				next if $2 =~ $skip;
				push @fn, $2 if $sec eq "main" && @fn < 3;
				$origin = $2 if $sec eq "origin" && !defined $origin;
			} else {
				$sec = /created by/ ? "origin" : "other";
			}
		}
		$other{"$kind: " . join(" < ", @fn) . (defined $origin ? " [origin: $origin]" : "")}++;
	}
	$nosum++ unless $summary;
}
printf "processes traced: %d (the postmaster and %d forked by it: backends, auxiliary processes)\n", $procs, $procs - 1;
printf "valgrind errors: %d (%d error contexts; %d more suppressed by test/valgrind.supp)\n", $occ, $ctx, $supp;
printf "logs without an ERROR SUMMARY (process killed): %d\n", $nosum if $nosum;
printf "error contexts outside the extension (PostgreSQL, libc), by kind:\n" if %other;
printf "  %4dx %s\n", $other{$_}, $_ for sort { $other{$b} <=> $other{$a} || $a cmp $b } keys %other;
printf "errors with a frame in violations.so: %d (%d distinct stacks)\n", $ours, scalar @order;
my $i = 0;
for my $k (@order) {
	$i++;
	print "--- violations.so error $i (in $distinct{$k} process(es)):\n";
	print "    $_\n" for split /\n/, $k;
}
exit($ours ? 3 : 0);
PERL
)
perl -e "$SCAN"  "$ROOT" "${logs[@]}" || vgrc=$?
echo "limitation: postgres is built without USE_VALGRIND, so palloc chunk overruns" \
	"inside a memory-context block (and reads of pfree'd chunks) are invisible"
echo "logs: $VALGRIND_DIR"
[ $vgrc -ne 0 ] && status=1
exit $status
