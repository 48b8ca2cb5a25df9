/*-------------------------------------------------------------------------
 *
 * status.c
 *	  The status workflow of a violation.
 *
 *	  OPEN -> UNDER_REVIEW -> RESOLVED
 *	  OPEN or UNDER_REVIEW -> DISMISSED
 *	  RESOLVED or DISMISSED -> OPEN (reopening)
 *
 * Any other change fails.  The check is a BEFORE UPDATE OF "status" row
 * trigger, so that a plain UPDATE (what Prisma's update sends) and
 * violations_set_status() go through the same rule; the history and the
 * aggregates follow in a statement-level trigger (install script).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "violations.h"

/* SQLSTATE of an illegal transition: class VI, "violations". */
#define ERRCODE_VIOLATIONS_ILLEGAL_TRANSITION	MAKE_SQLSTATE('V', 'I', '0', '0', '1')

typedef enum VStatus
{
	ST_OPEN,
	ST_UNDER_REVIEW,
	ST_RESOLVED,
	ST_DISMISSED,
	ST_COUNT
} VStatus;

static const char *const status_labels[ST_COUNT] = {
	"OPEN", "UNDER_REVIEW", "RESOLVED", "DISMISSED"
};

/* allowed[from][to] */
static const bool allowed[ST_COUNT][ST_COUNT] = {
	/* OPEN */ {false, true, false, true},
	/* UNDER_REVIEW */ {false, false, true, true},
	/* RESOLVED */ {true, false, false, false},
	/* DISMISSED */ {true, false, false, false},
};

/* The workflow state of a "ViolationStatus" label. */
static VStatus
status_of(Datum label)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(enum_out, label));
	int			i;

	for (i = 0; i < ST_COUNT; i++)
		if (strcmp(s, status_labels[i]) == 0)
			return (VStatus) i;
	elog(ERROR, "violations: unknown status \"%s\"", s);
	return ST_OPEN;				/* keep compiler quiet */
}

PG_FUNCTION_INFO_V1(violations_status_check);

/*
 * violations_status_check()
 *		BEFORE UPDATE OF "status" ... FOR EACH ROW on "ViolationSample":
 *		rejects an illegal transition, stamps "statusChangedAt" on a legal one.
 */
Datum
violations_status_check(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	oldtup;
	HeapTuple	newtup;
	int			status_col;
	int			stamp_col;
	int			id_col;
	bool		isnull;
	VStatus		from;
	VStatus		to;
	Datum		stamp;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("violations_status_check: must be fired BEFORE UPDATE ... FOR EACH ROW")));

	desc = RelationGetDescr(trigdata->tg_relation);
	oldtup = trigdata->tg_trigtuple;
	newtup = trigdata->tg_newtuple;
	status_col = SPI_fnumber(desc, "status");
	stamp_col = SPI_fnumber(desc, "statusChangedAt");
	id_col = SPI_fnumber(desc, "id");
	if (status_col <= 0 || stamp_col <= 0 || id_col <= 0)
		elog(ERROR, "violations_status_check: \"ViolationSample\" lacks status columns");

	from = status_of(heap_getattr(oldtup, status_col, desc, &isnull));
	to = status_of(heap_getattr(newtup, status_col, desc, &isnull));
	if (from == to)
		return PointerGetDatum(newtup);
	if (!allowed[from][to])
		ereport(ERROR,
				(errcode(ERRCODE_VIOLATIONS_ILLEGAL_TRANSITION),
				 errmsg("illegal violation status change from %s to %s",
						status_labels[from], status_labels[to]),
				 errdetail("Violation \"%s\".",
						   TextDatumGetCString(heap_getattr(oldtup, id_col, desc, &isnull))),
				 errhint("Allowed: OPEN to UNDER_REVIEW or DISMISSED, UNDER_REVIEW to RESOLVED or DISMISSED, RESOLVED or DISMISSED to OPEN.")));

	/*
	 * The statement's start, as the column's timestamp(3): two changes of one
	 * violation in one transaction still come in order.
	 */
	stamp = DirectFunctionCall1(timestamptz_timestamp,
								TimestampTzGetDatum(GetCurrentStatementStartTimestamp()));
	stamp = DirectFunctionCall2(timestamp_scale, stamp, Int32GetDatum(3));
	isnull = false;
	return PointerGetDatum(heap_modify_tuple_by_cols(newtup, desc, 1, &stamp_col,
													 &stamp, &isnull));
}

/*
 * Statements that change at most this many violations run kept plans; larger
 * ones plan each query for their own transition tables (see
 * violations_on_violation_update).
 */
#define VIOL_STATUS_KEPT_ROWS	100

/*
 * The events to recompute ($1: violations.internal is on: none), as text[],
 * and the events of the rows whose status changed (NULL: none).
 */
#define STATUS_SCAN_QUERY \
	"SELECT coalesce(array_agg(DISTINCT x.e) FILTER (WHERE x.recount), '{}')," \
	"  array_agg(DISTINCT x.e) FILTER (WHERE x.status_changed)" \
	" FROM violations_old o JOIN violations_new n ON n.\"id\" = o.\"id\"," \
	"  LATERAL (VALUES (o.\"eventId\"), (n.\"eventId\")) AS v(e)," \
	"  LATERAL (SELECT v.e," \
	"   NOT $1 AND (o.\"severity\", o.\"eventId\", o.\"detectedAt\", o.\"exceedanceRatio\")" \
	"    IS DISTINCT FROM (n.\"severity\", n.\"eventId\", n.\"detectedAt\", n.\"exceedanceRatio\")," \
	"   o.\"status\" IS DISTINCT FROM n.\"status\") AS x(e, recount, status_changed)"

/*
 * The history rows of the status changes, and their deltas to the per-status
 * counts of their events and months ($1: the events recomputed instead).
 */
#define STATUS_MOVE_QUERY \
	"WITH changed AS (" \
	" SELECT o.\"status\" AS old_status, n.*" \
	" FROM violations_old o JOIN violations_new n ON n.\"id\" = o.\"id\"" \
	" WHERE o.\"status\" IS DISTINCT FROM n.\"status\")," \
	" history AS (" \
	" INSERT INTO \"ViolationStatusHistory\" (\"violationId\", \"esmrSampleId\", \"fromStatus\"," \
	"  \"toStatus\", \"changedAt\", \"changedBy\", \"note\")" \
	" SELECT c.\"id\", c.\"esmrSampleId\", c.old_status, c.\"status\", c.\"statusChangedAt\"," \
	"  violations_actor(), nullif(current_setting('violations.note', true), '')" \
	" FROM changed c)," \
	" d AS (" \
	" SELECT c.\"eventId\", date_trunc('month', c.\"detectedAt\")::date AS \"month\"," \
	"  sum((c.\"status\" = 'OPEN')::int - (c.old_status = 'OPEN')::int) AS d_open," \
	"  sum((c.\"status\" = 'UNDER_REVIEW')::int - (c.old_status = 'UNDER_REVIEW')::int) AS d_review," \
	"  sum((c.\"status\" = 'RESOLVED')::int - (c.old_status = 'RESOLVED')::int) AS d_resolved," \
	"  sum((c.\"status\" = 'DISMISSED')::int - (c.old_status = 'DISMISSED')::int) AS d_dismissed" \
	" FROM changed c WHERE NOT c.\"eventId\" = ANY ($1) GROUP BY 1, 2)," \
	" months AS (" \
	" UPDATE \"ViolationMonthly\" mo" \
	" SET \"openCount\" = mo.\"openCount\" + d.d_open," \
	"  \"underReviewCount\" = mo.\"underReviewCount\" + d.d_review," \
	"  \"resolvedCount\" = mo.\"resolvedCount\" + d.d_resolved," \
	"  \"dismissedCount\" = mo.\"dismissedCount\" + d.d_dismissed" \
	" FROM d WHERE mo.\"eventId\" = d.\"eventId\" AND mo.\"month\" = d.\"month\")" \
	" UPDATE \"ViolationEvent\" e" \
	" SET \"openCount\" = e.\"openCount\" + s.d_open," \
	"  \"underReviewCount\" = e.\"underReviewCount\" + s.d_review," \
	"  \"resolvedCount\" = e.\"resolvedCount\" + s.d_resolved," \
	"  \"dismissedCount\" = e.\"dismissedCount\" + s.d_dismissed," \
	"  \"dismissed\" = (e.\"dismissedCount\" + s.d_dismissed = e.\"count\")," \
	"  \"updatedAt\" = CURRENT_TIMESTAMP" \
	" FROM (SELECT d.\"eventId\", sum(d.d_open) AS d_open, sum(d.d_review) AS d_review," \
	"   sum(d.d_resolved) AS d_resolved, sum(d.d_dismissed) AS d_dismissed" \
	"  FROM d GROUP BY 1) s" \
	" WHERE e.\"id\" = s.\"eventId\""

/* One of the trigger's statements, with its plan kept once made. */
typedef struct VStatusQuery
{
	const char *query;
	int			nargs;
	Oid			argtypes[2];
	int			expected;
	SPIPlanPtr	plan;
} VStatusQuery;

static VStatusQuery status_queries[] = {
	{STATUS_SCAN_QUERY, 1, {BOOLOID}, SPI_OK_SELECT, NULL},
	{"SELECT violations_lock_events($1 || $2)", 2, {TEXTARRAYOID, TEXTARRAYOID}, SPI_OK_SELECT, NULL},
	{STATUS_MOVE_QUERY, 1, {TEXTARRAYOID}, SPI_OK_UPDATE, NULL},
	{"SELECT violations_refresh_events($1)", 1, {TEXTARRAYOID}, SPI_OK_SELECT, NULL},
};

enum
{
	SQ_SCAN, SQ_LOCK, SQ_MOVE, SQ_REFRESH
};

/*
 * Runs status query q: through its kept plan when kept, else planned for
 * this statement's transition tables alone.
 */
static void
run_status_query(int q, Datum *args, bool kept)
{
	VStatusQuery *sq = &status_queries[q];
	int			rc;

	if (kept)
	{
		if (sq->plan == NULL)
			sq->plan = viol_prepare_kept(sq->query, sq->nargs, sq->argtypes);
		viol_execute_kept(sq->plan, args, NULL, false, sq->expected, "keeping statuses");
		return;
	}
	rc = SPI_execute_with_args(sq->query, sq->nargs, sq->argtypes, args, NULL, false, 0);
	if (rc != sq->expected)
		elog(ERROR, "violations: keeping statuses failed: %s", SPI_result_code_string(rc));
}

PG_FUNCTION_INFO_V1(violations_on_violation_update);

/*
 * violations_on_violation_update()
 *		AFTER UPDATE ... FOR EACH STATEMENT on "ViolationSample", with
 *		transition tables (1.3; the PL/pgSQL function of 1.1 before): the
 *		status history, and the aggregates of the events concerned.
 *
 * A row whose only change that the aggregates see is its status moves one
 * per-status count down and one up, in its event and its month: deltas, so
 * a status change costs the same whatever the size of its event.  Events
 * with any other change are recomputed (violations_refresh_events) and take
 * no delta.  The deltas are applied after the events are locked in the
 * writers' order, the violation rows being locked already by the UPDATE.
 * violations.internal (the re-evaluation and the rekey, which refresh their
 * events themselves) spares only the rows whose status did not change.
 *
 * In C for its kept plans: the PL/pgSQL function planned its two big
 * queries at every status change, half of a one-row status update (measured:
 * p50 1.1 ms, 0.6 ms with the plans kept).  A plan over transition tables
 * keeps the row counts it was made for, so a statement of more than
 * VIOL_STATUS_KEPT_ROWS rows (a mass review, re-classified severities) plans
 * its own instead: one kept from a single row would join two large
 * transition tables by nested loop.
 */
Datum
violations_on_violation_update(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	const char *internal_guc;
	bool		kept;
	bool		isnull;
	bool		moved_null;
	Datum		args[2];
	Datum		recount;
	Datum		moved;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ||
		trigdata->tg_oldtable == NULL || trigdata->tg_newtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("violations_on_violation_update: must be fired AFTER UPDATE ... FOR EACH STATEMENT with transition tables"),
				 errhint("Create it as the install script does: REFERENCING OLD TABLE AS violations_old NEW TABLE AS violations_new.")));

	internal_guc = GetConfigOption("violations.internal", true, false);
	kept = tuplestore_tuple_count(trigdata->tg_newtable) <= VIOL_STATUS_KEPT_ROWS;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "violations_on_violation_update: SPI_connect failed");
	if (SPI_register_trigger_data(trigdata) != SPI_OK_TD_REGISTER)
		elog(ERROR, "violations_on_violation_update: SPI_register_trigger_data failed");

	args[0] = BoolGetDatum(internal_guc != NULL && strcmp(internal_guc, "on") == 0);
	run_status_query(SQ_SCAN, args, kept);
	recount = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	moved = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &moved_null);
	if (!moved_null)
	{
		/* every event concerned locked in the writers' order before any write */
		args[0] = moved;
		args[1] = recount;
		run_status_query(SQ_LOCK, args, kept);
		args[0] = recount;
		run_status_query(SQ_MOVE, args, kept);
	}
	args[0] = recount;
	run_status_query(SQ_REFRESH, args, kept);
	SPI_finish();
	return PointerGetDatum(NULL);
}
