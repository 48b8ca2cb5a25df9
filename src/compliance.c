/*-------------------------------------------------------------------------
 *
 * compliance.c
 *	  The permit's own rules over a reporting year (docs/COMPLIANCE.md): per
 *	  eSMR facility x NAL pollutant x permit year (July 1 - June 30), the
 *	  count and sum of the results and the number of results beyond an
 *	  instantaneous NAL.
 *
 * An average needs every result, not only the violating ones, so these sums
 * are kept from the samples, not from "ViolationSample".  A pass sums the
 * contributions of one statement's rows per key (+1 for a new row, -1 for a
 * deleted one, both for an update), then hands the deltas, as arrays, to
 * violations_compliance_apply() (SQL), which upserts them in key order, keeps
 * the ERA levels and announces what begins.  violations_compliance_recount()
 * runs the same code over stored samples: what the rows should hold.
 *
 * The decisions are detection's own: the same qualifier rules, unit
 * conversion and exact comparison (viol_judge), so an instantaneous
 * exceedance here is a violation of an instantaneous NAL there.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "violations.h"

/* The permit's reporting year starts on July 1 (IGP, Attachment C). */
#define VIOL_PERMIT_START_MONTH	7

/* Keys held before the deltas are applied; bounds memory on huge loads. */
#define VIOL_COMPLIANCE_CHUNK	20000

typedef struct VComplianceKey
{
	int32		facilityPlaceId;
	int32		permitYear;
	VBenchmark *anchor;			/* stands for the pollutant */
} VComplianceKey;

/* The summed contributions to one "ViolationCompliance" row. */
typedef struct VComplianceDelta
{
	VComplianceKey key;
	VNal	   *nal;
	char	   *facilityId;		/* NULL: linked to no Facility */
	int32		count;
	Datum		sum;			/* numeric, in the anchor's units */
	int32		nonDetects;
	int32		instant;
} VComplianceDelta;

struct VCompliance
{
	VRefCache  *cache;
	MemoryContext cxt;			/* the deltas: reset after each apply */
	MemoryContext rowcxt;		/* one sample */
	HTAB	   *deltas;
	bool		notify;
	bool		collecting;		/* the recount: keep every key, apply nothing */
	bool		lost;			/* a row taken away whose location is gone */
	int			nplaces;		/* facilities of the rows added since */
	int			maxplaces;
	int32	   *places;
	Datum		zero;			/* numeric 0, in cxt */
	Datum		half;			/* numeric 0.5, in cxt */
};

static Oid	apply_nspid = InvalidOid;
static SPIPlanPtr apply_plan = NULL;

/* A new set of deltas. */
static void
compliance_reset(VCompliance *c)
{
	HASHCTL		ctl;
	MemoryContext old;

	MemoryContextReset(c->cxt);
	MemSet(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(VComplianceKey);
	ctl.entrysize = sizeof(VComplianceDelta);
	ctl.hcxt = c->cxt;
	c->deltas = hash_create("violations compliance deltas", 256, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	old = MemoryContextSwitchTo(c->cxt);
	c->zero = DirectFunctionCall1(int4_numeric, Int32GetDatum(0));
	c->half = DirectFunctionCall3(numeric_in, CStringGetDatum("0.5"),
								  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	MemoryContextSwitchTo(old);
}

/*
 * viol_compliance_begin
 *		Starts summing contributions, in the current memory context.  notify:
 *		announce what the deltas make begin.
 */
VCompliance *
viol_compliance_begin(VRefCache *cache, bool notify)
{
	VCompliance *c = palloc0(sizeof(VCompliance));

	c->cache = cache;
	c->notify = notify;
	c->cxt = AllocSetContextCreate(CurrentMemoryContext, "violations compliance",
								   ALLOCSET_DEFAULT_SIZES);
	c->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "violations compliance sample",
									  ALLOCSET_SMALL_SIZES);
	compliance_reset(c);
	return c;
}

/*
 * The value a non-detect counts as in an average, in the sample's units:
 * nothing (EXCLUDE, returns false), 0, or half or all of its limit (for ND
 * the MDL, else the reported result; for "<" and "<=" the reported result,
 * else the MDL), 0 when no limit is known.
 */
static bool
nondetect_value(VCompliance *c, const VSampleAttrs *a, TupleTableSlot *slot, VQualifier qual,
				Datum *value)
{
	bool		resultNull = slot->tts_isnull[a->result - 1];
	bool		mdlNull = slot->tts_isnull[a->mdl - 1];
	Datum		mdl = slot->tts_values[a->mdl - 1];
	Datum		limit;

	if (c->cache->nonDetects == VND_EXCLUDE)
		return false;
	*value = c->zero;
	if (c->cache->nonDetects == VND_ZERO)
		return true;
	/* a NaN or infinite MDL is no limit (the result here is finite, or null) */
	mdlNull = mdlNull || !viol_numeric_finite(mdl);
	if (qual == VQUAL_ND ? !mdlNull : resultNull && !mdlNull)
		limit = mdl;
	else if (!resultNull)
		limit = slot->tts_values[a->result - 1];
	else
		return true;
	*value = (c->cache->nonDetects == VND_HALF_MDL) ?
		DirectFunctionCall2(numeric_mul, limit, c->half) : limit;
	return true;
}

/* Applies the deltas summed so far. */
static void
compliance_flush(VCompliance *c)
{
	long		n = hash_get_num_entries(c->deltas);
	Datum	   *cols[10];
	bool	   *fid_nulls;
	bool	   *nal_nulls;
	Datum		args[11];
	HASH_SEQ_STATUS seq;
	VComplianceDelta *d;
	int			i = 0;
	int			k;
	MemoryContext old;
	static const Oid elemtypes[10] = {INT4OID, TEXTOID, INT4OID, TEXTOID, TEXTOID, NUMERICOID,
		INT4OID, NUMERICOID, INT4OID, INT4OID};

	if (n == 0)
		return;
	old = MemoryContextSwitchTo(c->cxt);
	if (apply_plan == NULL || apply_nspid != c->cache->nspid)
	{
		Oid			types[11] = {INT4ARRAYOID, TEXTARRAYOID, INT4ARRAYOID, TEXTARRAYOID,
								 TEXTARRAYOID, NUMERICARRAYOID, INT4ARRAYOID,
								 NUMERICARRAYOID, INT4ARRAYOID, INT4ARRAYOID, BOOLOID};

		if (apply_plan != NULL)
			SPI_freeplan(apply_plan);
		apply_plan = NULL;
		apply_plan = viol_prepare_kept(psprintf("SELECT %s.violations_compliance_apply($1, $2,"
												" $3, $4, $5, $6, $7, $8, $9, $10, $11)",
												c->cache->nspname),
									   lengthof(types), types);
		apply_nspid = c->cache->nspid;
	}

	for (k = 0; k < 10; k++)
		cols[k] = palloc(sizeof(Datum) * n);
	fid_nulls = palloc(sizeof(bool) * n);
	nal_nulls = palloc(sizeof(bool) * n);
	hash_seq_init(&seq, c->deltas);
	while ((d = hash_seq_search(&seq)) != NULL)
	{
		VBenchmark *annual = d->nal->annual;

		/* an UPDATE of other columns adds and takes away the same */
		if (d->count == 0 && d->nonDetects == 0 && d->instant == 0 &&
			DatumGetInt32(DirectFunctionCall2(numeric_cmp, d->sum, c->zero)) == 0)
			continue;
		cols[0][i] = Int32GetDatum(d->key.facilityPlaceId);
		cols[1][i] = CStringGetTextDatum(d->key.anchor->pollutantKey);
		cols[2][i] = Int32GetDatum(d->key.permitYear);
		fid_nulls[i] = (d->facilityId == NULL);
		cols[3][i] = d->facilityId ? CStringGetTextDatum(d->facilityId) : (Datum) 0;
		cols[4][i] = CStringGetTextDatum(d->key.anchor->units);
		/* an annual NAL that detection ignores (value <= 0) is no NAL here either */
		nal_nulls[i] = (annual == NULL || !annual->valuePositive);
		cols[5][i] = nal_nulls[i] ? (Datum) 0 : annual->value;
		cols[6][i] = Int32GetDatum(d->count);
		cols[7][i] = d->sum;
		cols[8][i] = Int32GetDatum(d->nonDetects);
		cols[9][i] = Int32GetDatum(d->instant);
		i++;
	}
	if (i > 0)
	{
		for (k = 0; k < 10; k++)
			args[k] = viol_make_array(cols[k], k == 3 ? fid_nulls : (k == 5 ? nal_nulls : NULL),
									  i, elemtypes[k]);
		args[10] = BoolGetDatum(c->notify);
		if (SPI_execute_plan(apply_plan, args, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "violations: applying compliance deltas failed");
		SPI_freetuptable(SPI_tuptable);
	}
	MemoryContextSwitchTo(old);
	compliance_reset(c);
}

/*
 * viol_compliance_sample
 *		Adds (sign 1) or takes away (sign -1) one sample's contribution to
 *		its row.  param is the sample's parameter, with an NAL.  Not counted
 *		at all: a NaN or infinite result, a date detection cannot place,
 *		units that do not convert into the row's.
 */
void
viol_compliance_sample(VCompliance *c, const VSampleAttrs *a, TupleTableSlot *slot,
					   VParameter *param, int sign)
{
	VNal	   *nal = param->nal;
	VQualifier	qual;
	bool		hasResult;
	Datum		result = (Datum) 0;
	DateADT		date;
	VUnit		unit;
	text	   *t;
	int			exponent;
	Datum		value = (Datum) 0;
	bool		counted = false;
	bool		nonDetect = false;
	bool		instant = false;
	VFacility  *facility;
	VComplianceKey key;
	VComplianceDelta *d;
	bool		found;
	MemoryContext old;

	slot_getsomeattrs(slot, a->maxattr);
	if (slot->tts_isnull[a->qualifier - 1])
		return;
	qual = viol_qualifier_of(a, DatumGetObjectId(slot->tts_values[a->qualifier - 1]));
	date = DatumGetDateADT(slot->tts_values[a->samplingDate - 1]);
	hasResult = !slot->tts_isnull[a->result - 1];
	if (hasResult)
		result = slot->tts_values[a->result - 1];
	if (qual == VQUAL_UNKNOWN || viol_date_problem(date) != VSKIP_COUNT ||
		(hasResult && !viol_numeric_finite(result)))
		return;

	old = MemoryContextSwitchTo(c->rowcxt);
	t = DatumGetTextPP(slot->tts_values[a->units - 1]);
	viol_parse_units(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &unit);
	if (!viol_unit_factor(&unit, &nal->anchor->unit, &exponent))
		goto done;

	if (qual == VQUAL_ND || qual == VQUAL_LT || qual == VQUAL_LE)
	{
		nonDetect = true;
		counted = nondetect_value(c, a, slot, qual, &value);
	}
	else if (hasResult)
	{
		counted = true;
		value = result;
	}
	if (counted)
		value = viol_scale_numeric(value, exponent);

	/* a result beyond an instantaneous NAL, as detection decides it */
	if (hasResult && viol_qualifier_evaluated(qual, c->cache->evaluateDnq))
	{
		int			i;

		for (i = 0; i < nal->ninstant && !instant; i++)
		{
			Datum		measured;
			VSkipReason reason;

			instant = viol_judge(nal->instant[i], qual, result, &unit, &measured,
								 &reason) == VJUDGE_EXCEEDS;
		}
	}
	if (!counted && !nonDetect && !instant)
		goto done;

	facility = viol_lookup_location(c->cache,
									DatumGetInt32(slot->tts_values[a->locationPlaceId - 1]));
	if (facility == NULL)
	{
		/*
		 * An old row of a location deleted or renumbered in this statement
		 * (the foreign key's cascade).  Its facility is recounted by the
		 * location's trigger, which fires before this one: see
		 * viol_compliance_end.
		 */
		if (sign < 0)
			c->lost = true;
		goto done;
	}
	if (sign > 0 && c->lost)
	{
		/* with the pass, not the deltas (a flush resets those) */
		if (c->nplaces >= c->maxplaces)
		{
			c->maxplaces = Max(16, c->maxplaces * 2);
			c->places = c->places ? repalloc(c->places, sizeof(int32) * c->maxplaces) :
				MemoryContextAlloc(GetMemoryChunkContext(c), sizeof(int32) * c->maxplaces);
		}
		c->places[c->nplaces++] = facility->facilityPlaceId;
	}

	MemSet(&key, 0, sizeof(key));
	key.facilityPlaceId = facility->facilityPlaceId;
	key.permitYear = viol_year_start(date, VIOL_PERMIT_START_MONTH);
	key.anchor = nal->anchor;
	MemoryContextSwitchTo(c->cxt);
	d = hash_search(c->deltas, &key, HASH_ENTER, &found);
	if (!found)
	{
		d->nal = nal;
		/* the link as it is now: a later link change updates the row */
		d->facilityId = facility->linked ? pstrdup(facility->facilityId) : NULL;
		d->count = d->nonDetects = d->instant = 0;
		d->sum = c->zero;
	}
	d->nonDetects += sign * (nonDetect ? 1 : 0);
	d->instant += sign * (instant ? 1 : 0);
	if (counted)
	{
		Datum		old_sum = d->sum;

		d->count += sign;
		d->sum = DirectFunctionCall2(sign > 0 ? numeric_add : numeric_sub, old_sum, value);
		if (old_sum != c->zero)
			pfree(DatumGetPointer(old_sum));
	}
	if (!found && !c->collecting &&
		hash_get_num_entries(c->deltas) >= VIOL_COMPLIANCE_CHUNK)
	{
		MemoryContextSwitchTo(old);
		MemoryContextReset(c->rowcxt);
		compliance_flush(c);
		return;
	}

done:
	MemoryContextSwitchTo(old);
	MemoryContextReset(c->rowcxt);
}

/*
 * viol_compliance_rows
 *		Adds (sign 1) or takes away (sign -1) the contribution of every
 *		sample row in a tuplestore (a trigger's transition table).
 */
void
viol_compliance_rows(VCompliance *c, Tuplestorestate *rows, TupleDesc desc, int sign)
{
	VSampleAttrs attrs;
	TupleTableSlot *slot;

	viol_sample_attrs(&attrs, desc);
	slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	tuplestore_rescan(rows);
	while (tuplestore_gettupleslot(rows, true, false, slot))
	{
		VParameter *param = viol_sample_parameter(c->cache, &attrs, slot);

		if (param != NULL && param->nal != NULL)
			viol_compliance_sample(c, &attrs, slot, param, sign);
	}
	ExecDropSingleTupleTableSlot(slot);
}

/*
 * viol_compliance_end
 *		Applies what is left and releases the pass.
 */
void
viol_compliance_end(VCompliance *c)
{
	Datum	   *elems;
	int			n = c->nplaces;
	int			i;

	compliance_flush(c);
	elems = palloc(sizeof(Datum) * Max(n, 1));
	for (i = 0; i < n; i++)
		elems[i] = Int32GetDatum(c->places[i]);

	/*
	 * Rows whose old location was renumbered: the location's trigger
	 * recounted their facility before the cascade's rows reached this one,
	 * so what was added here counts them twice.  Recount again.
	 */
	if (n > 0)
	{
		Oid			argtype = INT4ARRAYOID;
		Datum		arg = viol_make_array(elems, NULL, n, INT4OID);

		if (SPI_execute_with_args(psprintf("SELECT %s.violations_compliance_rebuild($1)",
										   c->cache->nspname),
								  1, &argtype, &arg, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "violations: recounting compliance failed");
	}
	MemoryContextDelete(c->cxt);
	MemoryContextDelete(c->rowcxt);
	if (c->places != NULL)
		pfree(c->places);
	pfree(c);
}

/* Whether schema nspid has the compliance tables (version 1.2 or later). */
bool
viol_compliance_exists(Oid nspid)
{
	return OidIsValid(get_relname_relid("ViolationCompliance", nspid));
}

PG_FUNCTION_INFO_V1(violations_compliance_recount);

/*
 * violations_compliance_recount(place_ids integer[])
 *		What "ViolationCompliance" should hold for the samples of these eSMR
 *		facilities (all when NULL), without levels.  Writes nothing.
 */
Datum
violations_compliance_recount(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			nspid = get_func_namespace(fcinfo->flinfo->fn_oid);
	TupleDesc	desc;
	Tuplestorestate *ts;
	MemoryContext old;
	MemoryContext callcxt = CurrentMemoryContext;
	VRefCache  *cache;
	VCompliance *c;
	VSampleAttrs attrs;
	SPIPlanPtr	plan;
	Portal		portal;
	char	   *nsp;
	Datum		arg;
	char		argnull;
	Oid			argtype = INT4ARRAYOID;
	HASH_SEQ_STATUS seq;
	VComplianceDelta *d;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("violations_compliance_recount: set-valued function called in context that cannot accept a set")));
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "violations_compliance_recount: return type must be a row type");

	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	desc = CreateTupleDescCopy(desc);
	ts = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(old);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = ts;
	rsinfo->setDesc = desc;

	/* see what the calling statement changed, and the invalidations it queued */
	CommandCounterIncrement();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "violations_compliance_recount: SPI_connect failed");
	cache = viol_refcache_pin(nspid);
	nsp = cache->nspname;
	plan = SPI_prepare(psprintf("SELECT s.* FROM %s s WHERE $1 IS NULL OR s.\"locationPlaceId\" IN"
								" (SELECT l.\"locationPlaceId\" FROM %s l"
								"   WHERE l.\"facilityPlaceId\" = ANY ($1))",
								viol_qualified(nsp, "ESMRSample"),
								viol_qualified(nsp, "ESMRLocation")),
					   1, &argtype);
	if (plan == NULL)
		elog(ERROR, "violations_compliance_recount: %s", SPI_result_code_string(SPI_result));
	argnull = PG_ARGISNULL(0) ? 'n' : ' ';
	arg = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
	portal = SPI_cursor_open(NULL, plan, &arg, &argnull, true);

	/* all keys at once: one row each, however many samples */
	old = MemoryContextSwitchTo(callcxt);
	c = viol_compliance_begin(cache, false);
	c->collecting = true;
	MemoryContextSwitchTo(old);
	for (;;)
	{
		SPITupleTable *rows;
		uint64		nrows;
		TupleTableSlot *slot;
		uint64		i;

		SPI_cursor_fetch(portal, true, 10000);
		/* kept: a location lookup below runs queries of its own */
		rows = SPI_tuptable;
		nrows = SPI_processed;
		if (nrows == 0)
			break;
		viol_sample_attrs(&attrs, rows->tupdesc);
		slot = MakeSingleTupleTableSlot(rows->tupdesc, &TTSOpsHeapTuple);
		for (i = 0; i < nrows; i++)
		{
			VParameter *param;

			ExecStoreHeapTuple(rows->vals[i], slot, false);
			param = viol_sample_parameter(cache, &attrs, slot);
			if (param != NULL && param->nal != NULL)
				viol_compliance_sample(c, &attrs, slot, param, 1);
			ExecClearTuple(slot);
		}
		ExecDropSingleTupleTableSlot(slot);
		SPI_freetuptable(rows);
	}
	SPI_cursor_close(portal);

	hash_seq_init(&seq, c->deltas);
	while ((d = hash_seq_search(&seq)) != NULL)
	{
		Datum		values[10];
		bool		nulls[10] = {false};
		VBenchmark *annual = d->nal->annual;

		if (d->count == 0 && d->nonDetects == 0 && d->instant == 0)
			continue;
		values[0] = Int32GetDatum(d->key.facilityPlaceId);
		values[1] = CStringGetTextDatum(d->key.anchor->pollutantKey);
		values[2] = Int32GetDatum(d->key.permitYear);
		nulls[3] = (d->facilityId == NULL);
		values[3] = nulls[3] ? (Datum) 0 : CStringGetTextDatum(d->facilityId);
		values[4] = CStringGetTextDatum(d->key.anchor->units);
		nulls[5] = (annual == NULL || !annual->valuePositive);
		values[5] = nulls[5] ? (Datum) 0 : annual->value;
		values[6] = Int32GetDatum(d->count);
		values[7] = d->sum;
		values[8] = Int32GetDatum(d->nonDetects);
		values[9] = Int32GetDatum(d->instant);
		tuplestore_putvalues(ts, desc, values, nulls);
	}
	MemoryContextDelete(c->cxt);
	MemoryContextDelete(c->rowcxt);
	viol_refcache_unpin(cache);
	SPI_finish();
	return (Datum) 0;
}
