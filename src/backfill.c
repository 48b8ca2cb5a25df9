/*-------------------------------------------------------------------------
 *
 * backfill.c
 *	  Evaluating samples that were stored before the extension existed.
 *
 * violations_backfill (a procedure in the install script) calls
 * violations_backfill_batch once per batch and commits after each.  A batch
 * reads the next samples in id order and evaluates those that have no
 * violation yet, through the same code as the trigger.  A sample with a
 * violation was evaluated in the transaction that wrote it, so skipping it
 * makes a second run a no-op; a sample without one evaluates to nothing
 * again unless the rules changed meanwhile, when finding it is right.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "violations.h"

/* eSMR facilities per recount at the end of the scan (their keys are in memory) */
#define VIOL_RECOUNT_FACILITIES	200

PG_FUNCTION_INFO_V1(violations_backfill_batch);

/*
 * violations_backfill_batch(after_id text, batch_size int,
 *							 OUT last_id text, OUT samples bigint, OUT violations bigint)
 *		Evaluates the next batch_size samples after after_id (from the first
 *		when NULL); returns the last id read, the samples read and the
 *		violations written.
 */
Datum
violations_backfill_batch(PG_FUNCTION_ARGS)
{
	Oid			nspid = get_func_namespace(fcinfo->flinfo->fn_oid);
	int32		batch_size = PG_ARGISNULL(1) ? 10000 : PG_GETARG_INT32(1);
	Datum		args[2];
	char		nulls[2] = {' ', ' '};
	TupleDesc	result_desc;
	Datum		values[3];
	bool		isnull[3] = {false, false, false};
	SPITupleTable *rows;
	TupleTableSlot *slot;
	VDetectState *state;
	int64		nrows;
	int64		nviolations;
	char	   *last_id = NULL;
	uint64		i;
	AttrNumber	done_attr;
	MemoryContext cxt = CurrentMemoryContext;
	const char *nsp = quote_identifier(get_namespace_name(nspid));
	Oid			types[2] = {TEXTOID, INT4OID};

	if (batch_size < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("violations_backfill_batch: batch_size must be at least 1, not %d",
						batch_size)));
	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "violations_backfill_batch: return type must be a row type");

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "violations_backfill_batch: SPI_connect failed");

	if (PG_ARGISNULL(0))
	{
		nulls[0] = 'n';
		args[0] = (Datum) 0;
	}
	else
		args[0] = PG_GETARG_DATUM(0);
	args[1] = Int32GetDatum(batch_size);

	/*
	 * Planned for each batch, with its values: a plan kept from the first
	 * batch, when "ViolationSample" was empty, checked each sample for a
	 * violation by reading the whole table, quadratic until autovacuum's
	 * statistics replaced it (measured: batches of 10,000 samples from 0.26
	 * to 9.3 s, 78-93 s for a backfill of 1.2M samples that otherwise takes
	 * 35).  A generic plan also could not use the id as an index bound, and
	 * its cost put it above jit_above_cost: JIT compiled it at every batch.
	 */
	if (SPI_execute_with_args(psprintf("SELECT s.*, EXISTS (SELECT 1 FROM %s v"
									   "  WHERE v.\"esmrSampleId\" = s.\"id\") AS violations_done"
									   " FROM %s s WHERE $1 IS NULL OR s.\"id\" > $1"
									   " ORDER BY s.\"id\" LIMIT $2",
									   viol_qualified(nsp, "ViolationSample"),
									   viol_qualified(nsp, "ESMRSample")),
							  2, types, args, nulls, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "violations_backfill_batch: reading samples failed");
	rows = SPI_tuptable;
	nrows = (int64) SPI_processed;
	done_attr = rows->tupdesc->natts;

	state = viol_detect_begin(nspid, rows->tupdesc, true);
	slot = MakeSingleTupleTableSlot(rows->tupdesc, &TTSOpsHeapTuple);
	for (i = 0; i < (uint64) nrows; i++)
	{
		bool		done_null;

		if (DatumGetBool(heap_getattr(rows->vals[i], done_attr, rows->tupdesc, &done_null)))
			continue;
		ExecStoreHeapTuple(rows->vals[i], slot, false);
		viol_detect_sample(state, slot);
		ExecClearTuple(slot);
	}
	ExecDropSingleTupleTableSlot(slot);
	nviolations = viol_detect_end(state);

	if (nrows > 0)
	{
		char	   *id = SPI_getvalue(rows->vals[nrows - 1], rows->tupdesc, 1);

		last_id = MemoryContextStrdup(cxt, id);
	}
	else if (viol_compliance_exists(nspid))
	{
		/*
		 * The end of the scan.  Samples stored with detection off were not
		 * added to the permit's sums either; a recount puts them in, quietly:
		 * they are history, not news.  By groups of facilities (those of the
		 * samples and those of rows that may be left over), so that its
		 * memory is a group's keys, not all of them.
		 */
		if (SPI_execute(psprintf("SELECT sum(%s.violations_compliance_rebuild(g.ids, false))"
								 " FROM (SELECT array_agg(x.p ORDER BY x.p) AS ids"
								 "  FROM (SELECT p, (row_number() OVER (ORDER BY p) - 1) / %d AS g"
								 "   FROM (SELECT \"facilityPlaceId\" FROM %s"
								 "    UNION SELECT \"facilityPlaceId\" FROM %s) f(p)) x"
								 "  GROUP BY x.g ORDER BY x.g) g",
								 nsp, VIOL_RECOUNT_FACILITIES,
								 viol_qualified(nsp, "ESMRFacility"),
								 viol_qualified(nsp, "ViolationCompliance")),
						false, 0) != SPI_OK_SELECT)
			elog(ERROR, "violations_backfill_batch: recounting compliance failed");
	}
	SPI_finish();

	if (last_id != NULL)
		values[0] = CStringGetTextDatum(last_id);
	else if (!PG_ARGISNULL(0))
		values[0] = PG_GETARG_DATUM(0);
	else
		isnull[0] = true;
	values[1] = Int64GetDatum(nrows);
	values[2] = Int64GetDatum(nviolations);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(result_desc),
													  values, isnull)));
}
