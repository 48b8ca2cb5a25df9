#!/usr/bin/env bash
# make test: every test of the extension on a throwaway cluster.
#   pg_regress: sql/*.sql against expected/*.out (output-shaped tests)
#   pgTAP:      test/t/*.sql through pg_prove (behaviour)
#   Prisma:     test/prisma (a real Prisma Client against the same cluster)
#   dump:       pg_dump / pg_restore and psql of a plain dump, compared
#   isolation:  test/isolation/specs/*.spec (ISOLATION in the Makefile) through
#               PostgreSQL's pg_isolation_regress (concurrent sessions)
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/cluster.sh

ensure_packages
build_install
cluster_start

status=0
echo "== pg_regress"
# (pg_regress writes its diffs under --outputdir=results; a failure here must
# not stop the pgTAP run under set -e / pipefail)
make -s installcheck || { status=1; head -200 results/regression.diffs 2>/dev/null || true; }

echo "== pgTAP"
create_app_db violations_tap
psql -q -X -v ON_ERROR_STOP=1 -d violations_tap -c 'CREATE EXTENSION pgtap' >/dev/null
pg_prove -d violations_tap --ext .sql -r test/t || status=1

echo "== Prisma (Node >= 20: npm ci, validate, tsc, drift check, client tests)"
test/prisma/run.sh || status=1

echo "== isolation"
# --use-existing: pg_isolation_regress neither drops nor creates the database,
# so it runs on one made like the pgTAP one (app schema, reference data,
# extension); each spec's setup makes the facilities and samples it needs.
create_app_db violations_iso
rm -rf results/isolation
"$(dirname "$(dirname "$(pg_config --pgxs)")")/test/isolation/pg_isolation_regress" \
	--use-existing --dbname=violations_iso \
	--inputdir=test/isolation --outputdir=results/isolation \
	$(make -s --no-print-directory isolation-specs) \
	|| { status=1; head -200 results/isolation/regression.diffs 2>/dev/null || true; }

echo "== dump and restore"
test/dump_restore.sh || status=1

exit $status
