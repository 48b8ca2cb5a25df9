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
	VCompliance *compliance;	/* NULL unless viol_detect_compliance */
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
	attrs->mdl = sample_attr(tupdesc, "mdl");
	attrs->maxattr = Max(Max(Max(attrs->id, attrs->locationPlaceId),
							 Max(attrs->parameterId, attrs->samplingDate)),
						 Max(Max(attrs->qualifier, attrs->result),
							 Max(attrs->units, attrs->mdl)));
	attrs->qualifierType = TupleDescAttr(tupdesc, attrs->qualifier - 1)->atttypid;
	if (attrs->qualifierType != qualifier_type)
		load_qualifier_oids(attrs->qualifierType);
	memcpy(attrs->qualifierOids, qualifier_oids, sizeof(qualifier_oids));
}

/* The qualifier of a sample from its enum oid. */
VQualifier
viol_qualifier_of(const VSampleAttrs *attrs, Oid label)
{
	int			q;

	for (q = 0; q < VQUAL_UNKNOWN; q++)
		if (attrs->qualifierOids[q] == label)
			return (VQualifier) q;
	return VQUAL_UNKNOWN;
}

/*
 * viol_year_start
 *		The calendar year in which the reporting year of a date begins, for
 *		reporting years that start in startMonth.
 */
int
viol_year_start(DateADT date, int startMonth)
{
	int			year;
	int			month;
	int			day;

	j2date(date + POSTGRES_EPOCH_JDATE, &year, &month, &day);
	/* j2date counts 1 BC as year 0; extract(year ...) says -1, and so do we */
	if (year <= 0)
		year--;
	if (month < startMonth)
		year--;
	return year;
}

/*
 * viol_reporting_year
 *		The reporting-year label of a date: "2024" when the year starts in
 *		January, else "2023-2024" (the year that starts in startMonth).
 */
char *
viol_reporting_year(DateADT date, int startMonth)
{
	int			year = viol_year_start(date, Max(startMonth, 1));

	if (startMonth <= 1)
		return psprintf("%d", year);
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
 * viol_detect_compliance
 *		Makes the pass also add each sample to the permit's reporting-year
 *		sums (the insert trigger; the backfill and the re-evaluation do not,
 *		as those samples are counted already).
 */
void
viol_detect_compliance(VDetectState *state)
{
	if (state->cache->compliance)
		state->compliance = viol_compliance_begin(state->cache, true);
}

/*
 * viol_sample_parameter
 *		The tracked parameter of a sample row, if it has benchmarks.
 */
VParameter *
viol_sample_parameter(VRefCache *cache, const VSampleAttrs *a, TupleTableSlot *slot)
{
	VParameter *param;
	text	   *t;

	slot_getsomeattrs(slot, a->maxattr);
	if (slot->tts_isnull[a->parameterId - 1])
		return NULL;
	t = DatumGetTextPP(slot->tts_values[a->parameterId - 1]);
	param = viol_lookup_parameter(cache, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	if (param == NULL || param->nbenchmarks == 0)
		return NULL;
	return param;
}

/* Whether detection evaluates results with this qualifier. */
bool
viol_qualifier_evaluated(VQualifier qual, bool evaluateDnq)
{
	switch (qual)
	{
		case VQUAL_EQ:
		case VQUAL_GT:
		case VQUAL_GE:
			return true;
		case VQUAL_DNQ:
			return evaluateDnq;
		default:
			return false;
	}
}

/* Whether a numeric is neither NaN nor infinite. */
bool
viol_numeric_finite(Datum n)
{
	return !(numeric_is_nan(DatumGetNumeric(n))
#if PG_VERSION_NUM >= 140000
			 || numeric_is_inf(DatumGetNumeric(n))
#endif
		);
}

/*
 * viol_date_problem
 *		Why a sampling date cannot be placed in a month, or VSKIP_COUNT when
 *		it can.  Months go through timestamps, which end in 294276 AD; and
 *		the first week of dates (4714-11-24 to 30 BC) has no first of its
 *		month.
 */
VSkipReason
viol_date_problem(DateADT date)
{
	if (DATE_NOT_FINITE(date))
		return VSKIP_DATE;
	if (date >= TIMESTAMP_END_JULIAN - POSTGRES_EPOCH_JDATE ||
		date < VIOL_FIRST_MONTH_JULIAN - POSTGRES_EPOCH_JDATE)
		return VSKIP_DATE_RANGE;
	return VSKIP_COUNT;
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
	text	   *t;
	Datum		sampleId;
	Datum		result;
	DateADT		date;
	VUnit		unit;
	VSkipReason problem;
	int			found = 0;
	MemoryContext old;

	state->samples++;

	/* untracked parameter (no canonicalKey): nothing to do */
	param = viol_sample_parameter(cache, a, slot);
	if (param == NULL)
		return 0;
	if (state->compliance != NULL && param->nal != NULL)
		viol_compliance_sample(state->compliance, a, slot, param, 1);

	/* a null result is never evaluated; nor are non-detects */
	if (slot->tts_isnull[a->result - 1] || slot->tts_isnull[a->qualifier - 1])
		return 0;
	qual = viol_qualifier_of(a, DatumGetObjectId(slot->tts_values[a->qualifier - 1]));
	if (!viol_qualifier_evaluated(qual, cache->evaluateDnq))
		return 0;

	old = MemoryContextSwitchTo(state->rowcxt);
	sampleId = slot->tts_values[a->id - 1];
	result = slot->tts_values[a->result - 1];
	date = DatumGetDateADT(slot->tts_values[a->samplingDate - 1]);
	t = DatumGetTextPP(slot->tts_values[a->units - 1]);
	viol_parse_units(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &unit);

	if (!viol_numeric_finite(result))
		skip_all(state, param, qual, VSKIP_NAN, unit.norm, sampleId);
	else if ((problem = viol_date_problem(date)) != VSKIP_COUNT)
		skip_all(state, param, qual, problem, unit.norm, sampleId);
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

/*
 * viol_judge
 *		How a finite result with qualifier qual (one that detection
 *		evaluates) compares with benchmark b: converted into b's units (into
 *		*measured), then exactly, MAXIMUM exceeded when above, MINIMUM when
 *		below.  VJUDGE_SKIP sets *reason.
 */
VJudgement
viol_judge(const VBenchmark *b, VQualifier qual, Datum result, const VUnit *unit,
		   Datum *measured, VSkipReason *reason)
{
	int			exponent;
	int			cmp;

	if (!applies(b, qual))
		return VJUDGE_NOT_APPLICABLE;
	if (!b->valuePositive)
	{
		*reason = VSKIP_BENCHMARK_VALUE;
		return VJUDGE_SKIP;
	}
	if (!viol_unit_factor(unit, &b->unit, &exponent))
	{
		*reason = VSKIP_UNITS;
		return VJUDGE_SKIP;
	}
	*measured = viol_scale_numeric(result, exponent);
	cmp = DatumGetInt32(DirectFunctionCall2(numeric_cmp, *measured, b->value));
	if (!b->isMinimum)
		return cmp > 0 ? VJUDGE_EXCEEDS : VJUDGE_WITHIN;
	if (cmp >= 0)
		return VJUDGE_WITHIN;
	if (!numeric_positive(*measured))
	{
		*reason = VSKIP_NONPOSITIVE;
		return VJUDGE_SKIP;
	}
	return VJUDGE_EXCEEDS;
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
		VSkipReason reason;

		switch (viol_judge(b, qual, result, unit, &measured, &reason))
		{
			case VJUDGE_NOT_APPLICABLE:
			case VJUDGE_WITHIN:
				continue;
			case VJUDGE_SKIP:
				viol_writer_skip(state->writer, reason, b, unit->norm, sampleId);
				continue;
			case VJUDGE_EXCEEDS:
				break;
		}
		ratio = b->isMinimum ? ratio_of(b->value, measured) : ratio_of(measured, b->value);

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

	/* after the violations: an announcement may name their events */
	if (state->compliance != NULL)
		viol_compliance_end(state->compliance);

	viol_refcache_unpin(state->cache);
	MemoryContextDelete(state->rowcxt);
	return n;
}
