# Sourced by the test, demo and bench scripts: a throwaway PostgreSQL cluster
# on a temporary directory and a free port, stopped when the script exits.
#
# After cluster_start: PGHOST, PGPORT, PGUSER are exported for libpq clients.

PG_BINDIR=$(pg_config --bindir)

# Installs what a fresh Debian 12 machine lacks (only when run as root).
ensure_packages() {
	local need=()
	[ -x "$PG_BINDIR/postgres" ] || need+=(postgresql-15)
	# pgxs.mk ships with postgresql-client-15 on Debian 12: test for the headers.
	[ -e "$(pg_config --includedir-server 2>/dev/null)/postgres.h" ] ||
		need+=(postgresql-server-dev-15)
	[ -e /usr/share/postgresql/15/extension/pgtap.control ] || need+=(postgresql-15-pgtap)
	command -v pg_prove >/dev/null || need+=(libtap-parser-sourcehandler-pgtap-perl)
	command -v gcc >/dev/null || need+=(build-essential)
	[ ${#need[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing packages: ${need[*]} (run as root to install them)" >&2
		return 1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
	PG_BINDIR=$(pg_config --bindir)
}

# Builds and installs the extension into the server's directories.
build_install() {
	make -s PG_CONFIG=pg_config >/dev/null
	if [ -w "$(pg_config --sharedir)/extension" ]; then
		make -s install >/dev/null
	else
		sudo make -s install >/dev/null
	fi
}

free_port() {
	python3 - <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# Runs a command as the cluster's owner (initdb refuses root).
as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

cluster_start() {
	CLUSTER_DIR=$(mktemp -d /tmp/violations-pg.XXXXXX)
	chmod 755 "$CLUSTER_DIR"
	[ "$(id -u)" = 0 ] && chown postgres "$CLUSTER_DIR"
	export PGPORT=$(free_port)
	export PGHOST=$CLUSTER_DIR
	export PGUSER=postgres
	as_owner "$PG_BINDIR/initdb" -D "$CLUSTER_DIR/data" -U postgres -A trust \
		--no-sync -E UTF8 --locale=C >"$CLUSTER_DIR/initdb.log" 2>&1 || {
		cat "$CLUSTER_DIR/initdb.log"; return 1; }
	cat >>"$CLUSTER_DIR/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$CLUSTER_DIR'
port = $PGPORT
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
max_prepared_transactions = 10
log_min_messages = warning
${CLUSTER_EXTRA_CONF:-}
CONF
	as_owner "$PG_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" \
		-w -t 60 start >/dev/null || { cat "$CLUSTER_DIR/server.log"; return 1; }
	trap cluster_stop EXIT
}

cluster_stop() {
	if [ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR/data" ]; then
		as_owner "$PG_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -m immediate -w stop >/dev/null 2>&1
		rm -rf "$CLUSTER_DIR"
	fi
}

# Creates database $1 with the app's schema, the reference data and the extension.
create_app_db() {
	createdb "$1"
	psql -q -X -v ON_ERROR_STOP=1 -d "$1" -f data/app_schema.sql >/dev/null
	psql -q -X -v ON_ERROR_STOP=1 -d "$1" -f data/load_reference.sql >/dev/null
	psql -q -X -v ON_ERROR_STOP=1 -d "$1" -c 'CREATE EXTENSION violations' >/dev/null
}
