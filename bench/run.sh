#!/usr/bin/env bash
# make bench: every benchmark, each on a throwaway cluster of its own, and one
# Markdown report of them in bench/out/report.md (docs/PERFORMANCE.md keeps
# the latest with its reading).  First bench/check_peer.sh (the PL/pgSQL
# peer writes what the extension writes), then bench/ingest.sh and
# bench/dashboards.sh, whose headers list their variables; BENCH_QUICK=1
# runs both at small sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/cluster.sh
ensure_packages
if ! command -v gnuplot >/dev/null && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null || true
fi
mkdir -p bench/out
t0=$(date +%s)
# the PL/pgSQL peer measured below must write what the extension writes
bench/check_peer.sh >bench/out/check_peer.txt
bench/ingest.sh
bench/dashboards.sh
{
	echo "## make bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)," \
		"$(. /etc/os-release && echo "$PRETTY_NAME"), PostgreSQL $(pg_config --version | awk '{print $2}')," \
		"the throwaway cluster of test/cluster.sh."
	echo "Command: \`make bench$(env | grep -E '^BENCH_' | sort | sed 's/^/ /' | tr -d '\n')\`" \
		"($(( ($(date +%s) - t0) / 60 )) min)."
	echo
	echo "The PL/pgSQL peer: \`bench/check_peer.sh\` $(tail -1 bench/out/check_peer.txt)"
	echo
	cat bench/out/ingest.md
	echo
	cat bench/out/dashboards.md
} >bench/out/report.md
echo "report: bench/out/report.md"
