/*-------------------------------------------------------------------------
 *
 * evaluate.c
 *	  The detection rules for one sample (docs/DETECTION.md).
 *
 * A sample is evaluated against every benchmark of its parameter's
 * canonicalKey.  Qualifier "=" is a measured value; ">" and ">=" count
 * against MAXIMUM benchmarks only; "<", "<=" and "ND" never violate; "DNQ"
 * is evaluated only when the settings say so; a null result never is.  The
 * result is converted into the benchmark's units, then compared exactly in
 * numeric: MAXIMUM exceeds when measured > value, MINIMUM when measured <
 * value.  What cannot be evaluated (units that do not convert, a benchmark
 * value <= 0, NaN, ...) is handed to the writer to be logged, never raised.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "violations.h"

const char *const viol_skip_names[VSKIP_COUNT] = {
	"UNITS_NOT_CONVERTIBLE", "BENCHMARK_VALUE_NOT_POSITIVE", "RESULT_NOT_FINITE",
	"RESULT_NOT_POSITIVE", "DATE_NOT_FINITE", "DATE_OUT_OF_RANGE"
};

/* The ESMRQualifier labels, in VQualifier order. */
static const char *const qualifier_labels[VQUAL_UNKNOWN] = {
	"=", "<", "<=", ">", ">=", "ND", "DNQ"
};

struct VDetectState
{
	VRefCache  *cache;
	VWriter    *writer;
	VSampleAttrs attrs;
	MemoryContext rowcxt;		/* reset after every sample */
	int64		samples;
};

/* The attribute numbers of ESMRQualifier's labels, cached by enum type. */
static Oid	qualifier_type = InvalidOid;
static Oid	qualifier_oids[VQUAL_UNKNOWN];

static int	evaluate(VDetectState *state, TupleTableSlot *slot, VParameter *param,
					 VQualifier qual, Datum result, DateADT date, VUnit *unit,
					 Datum sampleId);
static void skip_all(VDetectState *state, VParameter *param, VQualifier qual,
					 VSkipReason reason, const char *units, Datum sampleId);

/* Finds a column of the sample row by name; errors if the app's table lacks it. */
static AttrNumber
sample_attr(TupleDesc tupdesc, const char *name)
{
	int			i;

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return att->attnum;
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("violations: \"ESMRSample\" has no column \"%s\"", name),
			 errhint("The extension expects the app's schema as its migrations create it.")));
	return InvalidAttrNumber;	/* keep compiler quiet */
}

/* Loads the pg_enum oid of each qualifier label of enum type typid (in SPI). */
static void
load_qualifier_oids(Oid typid)
{
	Datum		arg = ObjectIdGetDatum(typid);
	Oid			argtype = OIDOID;
	int			i;
	int			rc;

	rc = SPI_execute_with_args("SELECT oid, enumlabel::text FROM pg_catalog.pg_enum"
							   " WHERE enumtypid = $1",
							   1, &argtype, &arg, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "violations: cannot read the labels of ESMRQualifier");
	for (i = 0; i < VQUAL_UNKNOWN; i++)
		qualifier_oids[i] = InvalidOid;
	for (i = 0; i < (int) SPI_processed; i++)
	{
		bool		isnull;
		Oid			oid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
														 SPI_tuptable->tupdesc, 1, &isnull));
		char	   *label = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		int			q;

		for (q = 0; q < VQUAL_UNKNOWN; q++)
			if (strcmp(label, qualifier_labels[q]) == 0)
				qualifier_oids[q] = oid;
	}
	SPI_freetuptable(SPI_tuptable);
	qualifier_type = typid;
}

/*
 * viol_sample_attrs
 *		The attribute numbers of the columns detection reads, for rows of
 *		tupdesc (ESMRSample or a query over it).  Must run inside SPI.
 */
void
viol_sample_attrs(VSampleAttrs *attrs, TupleDesc tupdesc)
{
	attrs->id = sample_attr(tupdesc, "id");
	attrs->locationPlaceId = sample_attr(tupdesc, "locationPlaceId");
	attrs->parameterId = sample_attr(tupdesc, "parameterId");
	attrs->samplingDate = sample_attr(tupdesc, "samplingDate");
	attrs->qualifier = sample_attr(tupdesc, "qualifier");
	attrs->result = sample_attr(tupdesc, "result");
	attrs->units = sample_attr(tupdesc, "units");
	attrs->maxattr = Max(Max(Max(attrs->id, attrs->locationPlaceId),
							 Max(attrs->parameterId, attrs->samplingDate)),
						 Max(Max(attrs->qualifier, attrs->result), attrs->units));
	attrs->qualifierType = TupleDescAttr(tupdesc, attrs->qualifier - 1)->atttypid;
	if (attrs->qualifierType != qualifier_type)
		load_qualifier_oids(attrs->qualifierType);
	memcpy(attrs->qualifierOids, qualifier_oids, sizeof(qualifier_oids));
}

/* The qualifier of a sample from its enum oid. */
static VQualifier
qualifier_of(const VSampleAttrs *attrs, Oid label)
{
	int			q;

	for (q = 0; q < VQUAL_UNKNOWN; q++)
		if (attrs->qualifierOids[q] == label)
			return (VQualifier) q;
	return VQUAL_UNKNOWN;
}

/*
 * viol_reporting_year
 *		The reporting-year label of a date: "2024" when the year starts in
 *		January, else "2023-2024" (the year that starts in startMonth).
 */
char *
viol_reporting_year(DateADT date, int startMonth)
{
	int			year;
	int			month;
	int			day;

	j2date(date + POSTGRES_EPOCH_JDATE, &year, &month, &day);
	/* j2date counts 1 BC as year 0; extract(year ...) says -1, and so do we */
	if (year <= 0)
		year--;
	if (startMonth <= 1)
		return psprintf("%d", year);
	if (month < startMonth)
		year--;
	return psprintf("%d-%d", year, year + 1);
}

/* The severity of an exceedance, decided on the exact ratio. */
static int
severity_of(const VBenchmark *b, Datum measured)
{
	int			i;

	for (i = 0; i < b->nbands; i++)
	{
		/* ratio > t  <=>  measured > t * value (MAXIMUM), value > t * measured (MINIMUM) */
		Datum		other = b->isMinimum ? measured : b->value;
		Datum		bound = DirectFunctionCall2(numeric_mul, b->bands[i].minRatio, other);
		Datum		lhs = b->isMinimum ? b->value : measured;

		if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, lhs, bound)) > 0)
			return b->bands[i].severity;
	}
	return VSEV_LOW;
}

/* Whether a numeric is > 0. */
static bool
numeric_positive(Datum n)
{
	return DatumGetBool(DirectFunctionCall2(numeric_gt, n,
											DirectFunctionCall1(int4_numeric,
																Int32GetDatum(0))));
}

/*
 * viol_detect_begin
 *		Starts a detection pass over rows shaped like tupdesc, in schema nspid.
 *		backfill: the rows predate the extension.  Must run inside SPI;
 *		everything it allocates lives in the current memory context.
 */
VDetectState *
viol_detect_begin(Oid nspid, TupleDesc tupdesc, bool backfill)
{
	VDetectState *state = palloc0(sizeof(VDetectState));

	state->cache = viol_refcache_pin(nspid);
	viol_sample_attrs(&state->attrs, tupdesc);
	state->writer = viol_writer_create(state->cache, CurrentMemoryContext, backfill);
	state->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "violations sample",
										  ALLOCSET_DEFAULT_SIZES);
	return state;
}

/*
 * viol_detect_sample
 *		Evaluates one sample row against its benchmarks; returns the number of
 *		exceedances found (written later, by viol_detect_end at the latest).
 */
int
viol_detect_sample(VDetectState *state, TupleTableSlot *slot)
{
	const VSampleAttrs *a = &state->attrs;
	VRefCache  *cache = state->cache;
	VParameter *param;
	VQualifier	qual;
	Datum		d;
	text	   *t;
	Datum		sampleId;
	Datum		result;
	DateADT		date;
	VUnit		unit;
	int			found = 0;
	MemoryContext old;

	state->samples++;
	slot_getsomeattrs(slot, a->maxattr);

	/* untracked parameter (no canonicalKey): nothing to do */
	d = slot->tts_values[a->parameterId - 1];
	if (slot->tts_isnull[a->parameterId - 1])
		return 0;
	t = DatumGetTextPP(d);
	param = viol_lookup_parameter(cache, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	if (param == NULL || param->nbenchmarks == 0)
		return 0;

	/* a null result is never evaluated; nor are non-detects */
	if (slot->tts_isnull[a->result - 1] || slot->tts_isnull[a->qualifier - 1])
		return 0;
	qual = qualifier_of(a, DatumGetObjectId(slot->tts_values[a->qualifier - 1]));
	switch (qual)
	{
		case VQUAL_EQ:
		case VQUAL_GT:
		case VQUAL_GE:
			break;
		case VQUAL_DNQ:
			if (!cache->evaluateDnq)
				return 0;
			break;
		default:
			return 0;
	}

	old = MemoryContextSwitchTo(state->rowcxt);
	sampleId = slot->tts_values[a->id - 1];
	result = slot->tts_values[a->result - 1];
	date = DatumGetDateADT(slot->tts_values[a->samplingDate - 1]);
	t = DatumGetTextPP(slot->tts_values[a->units - 1]);
	viol_parse_units(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &unit);

	if (numeric_is_nan(DatumGetNumeric(result))
#if PG_VERSION_NUM >= 140000
		|| numeric_is_inf(DatumGetNumeric(result))
#endif
		)
		skip_all(state, param, qual, VSKIP_NAN, unit.norm, sampleId);
	else if (DATE_NOT_FINITE(date))
		skip_all(state, param, qual, VSKIP_DATE, unit.norm, sampleId);
	/*
	 * Months go through timestamps, which end in 294276 AD; and the first
	 * week of dates (4714-11-24 to 30 BC) has no first of its month.
	 */
	else if (date >= TIMESTAMP_END_JULIAN - POSTGRES_EPOCH_JDATE ||
			 date < VIOL_FIRST_MONTH_JULIAN - POSTGRES_EPOCH_JDATE)
		skip_all(state, param, qual, VSKIP_DATE_RANGE, unit.norm, sampleId);
	else
		found = evaluate(state, slot, param, qual, result, date, &unit, sampleId);

	MemoryContextSwitchTo(old);
	MemoryContextReset(state->rowcxt);
	return found;
}

/* Whether benchmark b applies to a result with qualifier qual. */
static inline bool
applies(const VBenchmark *b, VQualifier qual)
{
	/* ">" and ">=" bound the true value from below only */
	return !(b->isMinimum && (qual == VQUAL_GT || qual == VQUAL_GE));
}

/* Records a sample that cannot be evaluated at all, against each benchmark. */
static void
skip_all(VDetectState *state, VParameter *param, VQualifier qual, VSkipReason reason,
		 const char *units, Datum sampleId)
{
	int			i;

	for (i = 0; i < param->nbenchmarks; i++)
		if (applies(param->benchmarks[i], qual))
			viol_writer_skip(state->writer, reason, param->benchmarks[i], units, sampleId);
}

/*
 * The exceedance ratio a / b rounded half up to 4 decimal places, exactly:
 * floor((2 * a * 10^4 + b) / (2 * b)) / 10^4, for a, b > 0.  (numeric_div
 * rounds to a scale of its own choosing first, which could round twice.)
 */
static Datum
ratio_of(Datum a, Datum b)
{
	Datum		two = DirectFunctionCall1(int4_numeric, Int32GetDatum(2));
	Datum		num;
	Datum		den;

	num = DirectFunctionCall2(numeric_mul, two, viol_scale_numeric(a, 4));
	num = DirectFunctionCall2(numeric_add, num, b);
	den = DirectFunctionCall2(numeric_mul, two, b);
	return viol_scale_numeric(DirectFunctionCall2(numeric_div_trunc, num, den), -4);
}

/* Evaluates a sample's finite result against each benchmark of its parameter. */
static int
evaluate(VDetectState *state, TupleTableSlot *slot, VParameter *param, VQualifier qual,
		 Datum result, DateADT date, VUnit *unit, Datum sampleId)
{
	const VSampleAttrs *a = &state->attrs;
	VFacility  *facility = NULL;
	int			found = 0;
	int			i;

	for (i = 0; i < param->nbenchmarks; i++)
	{
		VBenchmark *b = param->benchmarks[i];
		Datum		measured;
		Datum		ratio;
		int			exponent;
		int			cmp;

		if (!applies(b, qual))
			continue;
		if (!b->valuePositive)
		{
			viol_writer_skip(state->writer, VSKIP_BENCHMARK_VALUE, b, unit->norm, sampleId);
			continue;
		}
		if (!viol_unit_factor(unit, &b->unit, &exponent))
		{
			viol_writer_skip(state->writer, VSKIP_UNITS, b, unit->norm, sampleId);
			continue;
		}
		measured = viol_scale_numeric(result, exponent);
		cmp = DatumGetInt32(DirectFunctionCall2(numeric_cmp, measured, b->value));
		if (b->isMinimum)
		{
			if (cmp >= 0)
				continue;
			if (!numeric_positive(measured))
			{
				viol_writer_skip(state->writer, VSKIP_NONPOSITIVE, b, unit->norm, sampleId);
				continue;
			}
			ratio = ratio_of(b->value, measured);
		}
		else
		{
			if (cmp <= 0)
				continue;
			ratio = ratio_of(measured, b->value);
		}

		if (facility == NULL)
		{
			int32		loc = DatumGetInt32(slot->tts_values[a->locationPlaceId - 1]);

			facility = viol_lookup_location(state->cache, loc);
			if (facility == NULL)
				break;			/* the location's foreign key makes this impossible */
		}
		viol_writer_add(state->writer, sampleId, b, facility, date,
						DirectFunctionCall1(numeric_trim_scale, measured), ratio,
						severity_of(b, measured));
		found++;
	}
	return found;
}

/* The writer of a detection pass (to make it collect instead of write). */
VWriter *
viol_detect_writer(VDetectState *state)
{
	return state->writer;
}

/*
 * viol_detect_end
 *		Writes what the pass found and releases it; returns the number of
 *		violations written.
 */
int64
viol_detect_end(VDetectState *state)
{
	int64		n = viol_writer_finish(state->writer);

	viol_refcache_unpin(state->cache);
	MemoryContextDelete(state->rowcxt);
	return n;
}
