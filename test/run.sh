#!/usr/bin/env bash
# make test: every test of the extension on a throwaway cluster.
#   pg_regress: sql/*.sql against expected/*.out (output-shaped tests)
#   pgTAP:      test/t/*.sql through pg_prove (behaviour)
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

exit $status
