/*-------------------------------------------------------------------------
 *
 * violations.c
 *	  Entry points of the violations extension: the detection and compliance
 *	  triggers on "ESMRSample" and the cache-invalidation trigger on the
 *	  tables that detection reads.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/inval.h"
#include "utils/rel.h"

#include "violations.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Registers the cache invalidation callbacks when the library is loaded. */
void
_PG_init(void)
{
	viol_cache_register_callbacks();
}

/* Errors unless called as a statement-level AFTER trigger for one of events. */
static TriggerData *
statement_trigger_data(FunctionCallInfo fcinfo, const char *name)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s: not called by trigger manager", name)));
	if (!TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) ||
		!TRIGGER_FIRED_AFTER(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s: must be fired AFTER ... FOR EACH STATEMENT", name)));
	return trigdata;
}

/*
 * viol_materialize
 *		Sets up a set-returning C function to return its rows in a
 *		tuplestore: returns the tuplestore, and the row type in *desc.
 */
Tuplestorestate *
viol_materialize(FunctionCallInfo fcinfo, const char *name, TupleDesc *desc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Tuplestorestate *ts;
	MemoryContext old;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s: set-valued function called in context that cannot accept a set",
						name)));
	if (get_call_result_type(fcinfo, NULL, desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "%s: return type must be a row type", name);

	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	*desc = CreateTupleDescCopy(*desc);
	ts = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(old);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = ts;
	rsinfo->setDesc = *desc;
	return ts;
}

PG_FUNCTION_INFO_V1(violations_detect);

/*
 * violations_detect()
 *		AFTER INSERT ... REFERENCING NEW TABLE ... FOR EACH STATEMENT on
 *		"ESMRSample": evaluates every inserted sample and writes its
 *		violations and their aggregates in the same transaction.
 *
 * Statement level, because one pass over the transition table lets the
 * aggregates be upserted once per key instead of once per row; for a
 * single-row INSERT it costs the same as a row trigger (docs/PERFORMANCE.md).
 * It also works FOR EACH ROW, which only the benchmark uses.
 */
Datum
violations_detect(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	tupdesc;
	TupleTableSlot *slot;
	VDetectState *state;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("violations_detect: not called by trigger manager")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		(TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) && trigdata->tg_newtable == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("violations_detect: must be fired AFTER INSERT"),
				 errhint("Use FOR EACH STATEMENT with REFERENCING NEW TABLE, as violations_attach() does.")));
	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "violations_detect: SPI_connect failed");

	state = viol_detect_begin(RelationGetNamespace(rel), tupdesc, false);
	viol_detect_compliance(state);
	if (TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
	{
		/* kept for measuring against the statement trigger (docs/PERFORMANCE.md) */
		slot = MakeSingleTupleTableSlot(tupdesc, &TTSOpsHeapTuple);
		ExecStoreHeapTuple(trigdata->tg_trigtuple, slot, false);
		viol_detect_sample(state, slot);
	}
	else
	{
		Tuplestorestate *rows = trigdata->tg_newtable;

		slot = MakeSingleTupleTableSlot(tupdesc, &TTSOpsMinimalTuple);
		tuplestore_rescan(rows);
		while (tuplestore_gettupleslot(rows, true, false, slot))
			viol_detect_sample(state, slot);
	}
	ExecDropSingleTupleTableSlot(slot);
	viol_detect_end(state);

	SPI_finish();
	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(violations_compliance_samples);

/*
 * violations_compliance_samples()
 *		AFTER UPDATE or AFTER DELETE ... FOR EACH STATEMENT on "ESMRSample",
 *		with transition tables: takes the old rows' contributions out of the
 *		permit's reporting-year sums and puts the new rows' in (compliance.c).
 *		Rows whose evaluated columns did not change add and take away the
 *		same, and write nothing.
 */
Datum
violations_compliance_samples(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = statement_trigger_data(fcinfo, "violations_compliance_samples");
	Relation	rel = trigdata->tg_relation;
	VRefCache  *cache;
	VCompliance *c;

	if (trigdata->tg_oldtable == NULL ||
		(TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) && trigdata->tg_newtable == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("violations_compliance_samples: needs the transition tables"),
				 errhint("Create it as violations_attach() does.")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "violations_compliance_samples: SPI_connect failed");
	cache = viol_refcache_pin(RelationGetNamespace(rel));
	if (cache->compliance)
	{
		c = viol_compliance_begin(cache, true);
		viol_compliance_rows(c, trigdata->tg_oldtable, RelationGetDescr(rel), -1);
		if (trigdata->tg_newtable != NULL)
			viol_compliance_rows(c, trigdata->tg_newtable, RelationGetDescr(rel), 1);
		viol_compliance_end(c);
	}
	viol_refcache_unpin(cache);
	SPI_finish();
	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(violations_invalidate);

/*
 * violations_invalidate()
 *		Statement-level trigger on a table that detection caches: makes every
 *		backend drop its cached copy (locally at the end of this command, in
 *		others when this transaction commits).
 */
Datum
violations_invalidate(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = statement_trigger_data(fcinfo, "violations_invalidate");

	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);
}
