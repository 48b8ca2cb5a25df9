/*-------------------------------------------------------------------------
 *
 * reevaluate.c
 *	  Evaluating stored samples again, for the changes after the fact.
 *
 * When a sample, a benchmark, a parameter's canonicalKey or a setting
 * changes, the affected samples are evaluated again by the same rules as on
 * insert.  violations_evaluate() returns what the rules say now, and
 * violations_reevaluate() (SQL, in the install script) reconciles that with
 * "ViolationSample" set-based: a violation that still holds keeps its id and
 * status and takes the new values, one that no longer holds goes, a new one
 * is added, and the aggregates of every event touched are recomputed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "violations.h"

static Oid	eval_nspid = InvalidOid;
static SPIPlanPtr eval_plan = NULL;

PG_FUNCTION_INFO_V1(violations_evaluate);

/*
 * violations_evaluate(sample_ids text[]) returns setof violations_evaluation
 *		The violations ("violation" rows) and unevaluable pairs ("skip" rows)
 *		that the detection rules give for the stored samples with these ids,
 *		with the facility and reporting year each violation belongs to.
 *		Writes nothing.
 */
Datum
violations_evaluate(PG_FUNCTION_ARGS)
{
	Oid			nspid = get_func_namespace(fcinfo->flinfo->fn_oid);
	TupleDesc	desc;
	Tuplestorestate *ts;
	Datum		arg;
	SPITupleTable *rows;
	TupleTableSlot *slot;
	VDetectState *state;
	uint64		nrows;
	uint64		i;

	ts = viol_materialize(fcinfo, "violations_evaluate", &desc);

	if (PG_ARGISNULL(0))
		return (Datum) 0;

	/*
	 * Make what the calling statement changed visible, and process the cache
	 * invalidations its violations_invalidate trigger queued (it fires
	 * before the violations_reevaluate triggers: trigger order is by name).
	 */
	CommandCounterIncrement();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "violations_evaluate: SPI_connect failed");
	if (eval_plan == NULL || eval_nspid != nspid)
	{
		Oid			argtype = TEXTARRAYOID;
		char	   *query;

		if (eval_plan != NULL)
			SPI_freeplan(eval_plan);
		query = psprintf("SELECT * FROM %s WHERE \"id\" = ANY ($1)",
						 viol_qualified(quote_identifier(get_namespace_name(nspid)),
										"ESMRSample"));
		eval_plan = viol_prepare_kept(query, 1, &argtype);
		eval_nspid = nspid;
	}
	arg = PG_GETARG_DATUM(0);
	if (SPI_execute_plan(eval_plan, &arg, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "violations_evaluate: reading samples failed");
	rows = SPI_tuptable;
	nrows = SPI_processed;

	state = viol_detect_begin(nspid, rows->tupdesc, false);
	viol_writer_collect(viol_detect_writer(state), ts, desc);
	slot = MakeSingleTupleTableSlot(rows->tupdesc, &TTSOpsHeapTuple);
	for (i = 0; i < nrows; i++)
	{
		ExecStoreHeapTuple(rows->vals[i], slot, false);
		viol_detect_sample(state, slot);
		ExecClearTuple(slot);
	}
	ExecDropSingleTupleTableSlot(slot);
	viol_detect_end(state);
	SPI_finish();

	return (Datum) 0;
}
