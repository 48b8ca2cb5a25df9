# violations: PostgreSQL extension, built with PGXS

EXTENSION = violations
EXTVERSION = 1.3

MODULE_big = violations
OBJS = \
	src/violations.o \
	src/units.o \
	src/cache.o \
	src/evaluate.o \
	src/aggregate.o \
	src/compliance.o \
	src/backfill.o \
	src/reevaluate.o \
	src/status.o

DATA = $(wildcard sql/$(EXTENSION)--*.sql)

# pg_regress: sql/*.sql (other than the install scripts) against expected/*.out
REGRESS = $(sort $(filter-out $(EXTENSION)--%,$(notdir $(basename $(wildcard sql/*.sql)))))
REGRESS_OPTS = --inputdir=. --outputdir=results --load-extension=pgtap

override with_llvm = no

PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

EXTRA_CLEAN = results regression.diffs regression.out

# Every object depends on the shared header (PGXS tracks no header dependencies).
$(OBJS): src/violations.h

# Isolation tests (PostgreSQL's isolation tester): test/isolation/specs/<name>.spec
# against test/isolation/expected/<name>.out, run by test/run.sh on a database
# that holds the app's schema.  Set here, after the include, on purpose: set
# before it, PGXS would add them to "make installcheck", whose database lacks
# the app's tables.
ISOLATION = \
	concurrent_inserts \
	status_while_inserting \
	opposite_orders \
	status_while_reevaluating \
	cache_after_commit \
	insert_during_reference_change \
	truncate_while_inserting \
	compliance_concurrent

.PHONY: test demo bench stress valgrind isolation-specs
# Every test on a throwaway cluster; see test/run.sh.
test:
	test/run.sh

# The main job: a throwaway cluster, the real benchmarks, generated data, dashboards.
demo:
	test/demo.sh

# Ingest, backfill, memory and dashboard latency, as ratios to baselines
# measured in the same run (bench/run.sh; docs/PERFORMANCE.md).
bench:
	bench/run.sh

# The isolation specs, for test/run.sh.
isolation-specs:
	@echo $(ISOLATION)

# The pg_regress, pgTAP and isolation suites with the server under valgrind
# memcheck; 20-60 minutes, so not part of make test (see test/valgrind.sh).
valgrind:
	test/valgrind.sh

# Concurrency (pgbench, 8 clients) and crash tests on a throwaway cluster;
# minutes, so not part of make test (see test/stress/run.sh).
stress:
	test/stress/run.sh
