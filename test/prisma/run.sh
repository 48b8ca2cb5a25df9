#!/usr/bin/env bash
# The app's (Prisma 7) side of the violations extension, on a running cluster.
#
#   PGHOST=... PGPORT=... PGUSER=... test/prisma/run.sh
#
# (test/cluster.sh's cluster_start exports those; the extension must be
# installed on that server.) Installs the pinned packages (npm ci), then:
#   prisma validate, prisma generate, the docs' snippets into .snippets/,
#   tsc --noEmit, the drift check (check-drift.ts), and the test suites with
#   Node's test runner: tests/migration.test.ts (legacy rows and alerts through
#   `prisma migrate deploy`, backfill, rollback), tests/client.test.ts,
#   tests/backfill.test.ts, tests/alerts.test.ts (the alert feed, LISTEN
#   violations_alert, and permit compliance through Prisma Client),
#   tests/docs.test.ts (every query of docs/VIOLATION_QUERY_PATTERNS.md as
#   written), tests/drift.test.ts.
# Each suite makes and drops its own databases (violations_prisma_*);
# KEEP_TEST_DATABASES=1 keeps them. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"

# Prisma 7 needs Node 20.19+, 22.12+ or 24+ (README: Node >= 20).
if ! command -v node >/dev/null 2>&1; then
	echo "test/prisma: node is not installed: the Prisma tests need Node.js >= 20.19 (apt-get install nodejs, or nodejs.org)" >&2
	exit 1
fi
node_version=$(node -p 'process.versions.node')
if ! node -e '
	const [a, b] = process.versions.node.split(".").map(Number);
	process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
	echo "test/prisma: node $node_version is too old: the Prisma tests need Node.js >= 20.19 (Prisma 7: ^20.19, ^22.12 or >= 24)" >&2
	exit 1
fi
for v in PGHOST PGPORT PGUSER; do
	if [ -z "${!v:-}" ]; then
		echo "test/prisma: $v is not set: export PGHOST, PGPORT and PGUSER of a running cluster (test/cluster.sh's cluster_start does)" >&2
		exit 1
	fi
done

# The native schema engine cannot be downloaded on these machines: the
# offline stand-in next to the repository is used only when nobody chose an
# engine and it exists (prisma.config.ts does the same for the CLI).
offline_engine=$(cd ../../.. && pwd)/shared/tools/prisma-schema-engine-offline.mjs
if [ -z "${PRISMA_SCHEMA_ENGINE_BINARY:-}" ] && [ -f "$offline_engine" ]; then
	export PRISMA_SCHEMA_ENGINE_BINARY=$offline_engine
fi
export CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1

t0=$(date +%s)
step() { echo "== prisma: $*"; }

step "npm ci (node $node_version)"
npm ci --no-audit --no-fund --loglevel=error >/dev/null

step "prisma validate"
npx prisma validate

step "prisma generate"
npx prisma generate >/dev/null

step "docs snippets, tsc --noEmit"
npx tsx lib/snippets.ts
npx tsc --noEmit -p .

step "drift check (prisma db pull --print vs schema.prisma)"
npx tsx check-drift.ts

step "tests (node --test)"
node --import tsx --test --test-concurrency=1 --test-reporter=spec \
	tests/migration.test.ts tests/client.test.ts tests/backfill.test.ts \
	tests/alerts.test.ts tests/docs.test.ts tests/drift.test.ts

echo "== prisma: all passed in $(( $(date +%s) - t0 )) s"
