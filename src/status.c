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
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
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
