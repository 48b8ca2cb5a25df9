/*-------------------------------------------------------------------------
 *
 * aggregate.c
 *	  Writing violations and keeping the aggregates current.
 *
 * Violations found in one statement are collected in memory, then written
 * in three set-based statements per chunk: an upsert of the affected
 * "ViolationEvent" rows (one per facility x pollutant x reporting year, deltas
 * summed here first), an INSERT of the "ViolationSample" rows, and an upsert
 * of "ViolationMonthly".  Each statement takes its parameters as arrays and
 * upserts its keys in sorted order, so that concurrent writers lock shared
 * aggregate rows in the same order (no deadlock) and lock nothing else (no
 * table locks: writers of other facilities never wait).  The plans are
 * prepared once per backend and kept.
 *
 * There is deliberately no INSERT trigger on the violation tables: pg_restore
 * copies their rows back with the aggregates, and a trigger would count them
 * twice.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/datetime.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/tuplestore.h"

#include "violations.h"

/* Violations held in memory before a chunk is written; bounds memory use. */
#define VIOL_CHUNK	20000
/* First allocation of the chunk arrays; most statements insert one sample. */
#define VIOL_CHUNK_START	16

/* The summed changes to one "ViolationEvent" row. */
typedef struct VEventDelta
{
	VStrKey		key;			/* facility, pollutant, year */
	char	   *facilityId;		/* NULL: eSMR facility linked to no Facility */
	int32		facilityPlaceId;
	char	   *pollutant;
	char	   *year;
	bool		impairedWater;
	DateADT		first;
	DateADT		last;
	int32		count;
	Datum		maxRatio;
	int32		severity[VSEV_COUNT];
	char	   *eventId;		/* set by the upsert */
	int			status;			/* status of new violations (legacy dismissed) */
} VEventDelta;

typedef struct VMonthKey
{
	VEventDelta *event;
	DateADT		month;
} VMonthKey;

typedef struct VMonthDelta
{
	VMonthKey	key;
	int32		count;
	int32		status[VSTATUS_DISMISSED + 1];
	int32		severity[VSEV_COUNT];
} VMonthDelta;

/* A sample that could not be evaluated against a benchmark. */
typedef struct VSkip
{
	Datum		sampleId;		/* text */
	VBenchmark *benchmark;
	VSkipReason reason;
	char	   *units;			/* normalised sample units */
} VSkip;

struct VWriter
{
	VRefCache  *cache;
	MemoryContext cxt;			/* the chunk: reset after each write */
	HTAB	   *events;
	VViolation *violations;
	int			nviolations;
	int			maxviolations;	/* allocated, grows by doubling to VIOL_CHUNK */
	VSkip	   *skips;
	int			nskips;
	int			maxskips;
	bool		backfill;		/* evaluating samples stored before the extension */
	Tuplestorestate *collect;	/* if set, return what was found instead */
	TupleDesc	collect_desc;
	int64		written;
};

/* Plans kept for the backend's life, for the schema they were made in. */
static Oid	plans_nspid = InvalidOid;
static SPIPlanPtr event_plan = NULL;
static SPIPlanPtr sample_plan = NULL;
static SPIPlanPtr monthly_plan = NULL;
static SPIPlanPtr skip_plan = NULL;
static SPIPlanPtr announce_plan = NULL;

/*
 * The event upsert.  Rows of the legacy table ("legacy") hold the old
 * figures until their first violation arrives, which replaces them; a
 * legacy row that was dismissed keeps its new violations dismissed.  An
 * emptied event kept for an Alert ("count" = 0) starts afresh too.
 */
#define EVENT_MERGE \
	" DO UPDATE SET" \
	"  \"facilityPlaceId\" = coalesce(excluded.\"facilityPlaceId\", e.\"facilityPlaceId\")," \
	"  \"firstDate\" = CASE WHEN e.\"legacy\" OR e.\"count\" = 0 THEN excluded.\"firstDate\"" \
	"   ELSE least(e.\"firstDate\", excluded.\"firstDate\") END," \
	"  \"lastDate\" = CASE WHEN e.\"legacy\" OR e.\"count\" = 0 THEN excluded.\"lastDate\"" \
	"   ELSE greatest(e.\"lastDate\", excluded.\"lastDate\") END," \
	"  \"count\" = CASE WHEN e.\"legacy\" THEN 0 ELSE e.\"count\" END + excluded.\"count\"," \
	"  \"maxRatio\" = CASE WHEN e.\"legacy\" OR e.\"count\" = 0 THEN excluded.\"maxRatio\"" \
	"   ELSE greatest(e.\"maxRatio\", excluded.\"maxRatio\") END," \
	"  \"openCount\" = CASE WHEN e.\"legacy\" THEN 0 ELSE e.\"openCount\" END" \
	"   + CASE WHEN $14 AND e.\"legacyDismissed\" THEN 0 ELSE excluded.\"count\" END," \
	"  \"underReviewCount\" = CASE WHEN e.\"legacy\" THEN 0 ELSE e.\"underReviewCount\" END," \
	"  \"resolvedCount\" = CASE WHEN e.\"legacy\" THEN 0 ELSE e.\"resolvedCount\" END," \
	"  \"dismissedCount\" = CASE WHEN e.\"legacy\" THEN 0 ELSE e.\"dismissedCount\" END" \
	"   + CASE WHEN $14 AND e.\"legacyDismissed\" THEN excluded.\"count\" ELSE 0 END," \
	"  \"lowCount\" = CASE WHEN e.\"legacy\" THEN 0 ELSE e.\"lowCount\" END + excluded.\"lowCount\"," \
	"  \"moderateCount\" = CASE WHEN e.\"legacy\" THEN 0 ELSE e.\"moderateCount\" END" \
	"   + excluded.\"moderateCount\"," \
	"  \"highCount\" = CASE WHEN e.\"legacy\" THEN 0 ELSE e.\"highCount\" END + excluded.\"highCount\"," \
	"  \"criticalCount\" = CASE WHEN e.\"legacy\" THEN 0 ELSE e.\"criticalCount\" END" \
	"   + excluded.\"criticalCount\"," \
	"  \"impairedWater\" = excluded.\"impairedWater\"," \
	"  \"dismissed\" = $14 AND e.\"legacyDismissed\" AND (e.\"legacy\" OR" \
	"   e.\"openCount\" + e.\"underReviewCount\" + e.\"resolvedCount\" = 0)," \
	"  \"legacy\" = false," \
	"  \"updatedAt\" = CURRENT_TIMESTAMP" \
	" RETURNING \"id\", \"facilityId\", \"facilityPlaceId\", \"pollutant\", \"reportingYear\"," \
	"  $14 AND \"legacyDismissed\""

#define EVENT_COLUMNS \
	" (\"facilityId\", \"facilityPlaceId\", \"pollutant\", \"reportingYear\", \"firstDate\"," \
	"  \"lastDate\", \"count\", \"maxRatio\", \"openCount\", \"lowCount\", \"moderateCount\"," \
	"  \"highCount\", \"criticalCount\", \"impairedWater\")" \
	" SELECT fid, fpid, pollutant, year, first, last, cnt, maxratio, cnt, low, moderate," \
	"  high, critical, impaired FROM d"

/* The argument types of sample_insert(), and of the announcing form's $1-$14. */
static Oid sample_types[14] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT4ARRAYOID,
	TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, DATEARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID,
TEXTARRAYOID, NUMERICARRAYOID, TEXTARRAYOID, TEXTARRAYOID};

/* The INSERT of a chunk's "ViolationSample" rows, from fourteen arrays. */
static char *
sample_insert(const char *nsp)
{
	return psprintf("INSERT INTO %s (\"esmrSampleId\", \"benchmarkId\", \"eventId\","
					" \"facilityPlaceId\", \"facilityId\", \"pollutantKey\", \"benchmarkType\","
					" \"detectedAt\", \"measuredValue\", \"benchmarkValue\", \"units\","
					" \"exceedanceRatio\", \"severity\", \"status\")"
					" SELECT sid, bid, eid, fpid, fid, pk, bt, dt, mv, bv, u, r,"
					"  sev::%s, st::%s"
					" FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
					"  AS u(sid, bid, eid, fpid, fid, pk, bt, dt, mv, bv, u, r, sev, st)",
					viol_qualified(nsp, "ViolationSample"),
					viol_qualified(nsp, "ViolationSeverity"),
					viol_qualified(nsp, "ViolationStatus"));
}

/* Prepares the write plans for the schema of cache, once per backend. */
static void
prepare_plans(VRefCache *cache)
{
	const char *nsp = cache->nspname;
	char	   *event_table = viol_qualified(nsp, "ViolationEvent");
	char	   *query;

	if (plans_nspid == cache->nspid && event_plan != NULL)
		return;
	if (event_plan != NULL)
	{
		SPI_freeplan(event_plan);
		SPI_freeplan(sample_plan);
		SPI_freeplan(monthly_plan);
		SPI_freeplan(skip_plan);
		if (announce_plan != NULL)
			SPI_freeplan(announce_plan);
		event_plan = sample_plan = monthly_plan = skip_plan = announce_plan = NULL;
	}

	{
		Oid			types[] = {TEXTARRAYOID, INT4ARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
							   DATEARRAYOID, DATEARRAYOID, INT4ARRAYOID, NUMERICARRAYOID,
							   INT4ARRAYOID, INT4ARRAYOID, INT4ARRAYOID, INT4ARRAYOID,
		BOOLARRAYOID, BOOLOID};

		query = psprintf("WITH d AS ("
						 " SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
						 "  $11, $12, $13) AS d(fid, fpid, pollutant, year, first, last, cnt,"
						 "  maxratio, low, moderate, high, critical, impaired)),"
						 " linked AS ("
						 " INSERT INTO %s AS e" EVENT_COLUMNS
						 "  WHERE fid IS NOT NULL ORDER BY fid, year, pollutant"
						 " ON CONFLICT (\"facilityId\", \"reportingYear\", \"pollutant\")"
						 "  WHERE \"facilityId\" IS NOT NULL" EVENT_MERGE "),"
						 " unlinked AS ("
						 " INSERT INTO %s AS e" EVENT_COLUMNS
						 "  WHERE fid IS NULL ORDER BY fpid, year, pollutant"
						 " ON CONFLICT (\"facilityPlaceId\", \"reportingYear\", \"pollutant\")"
						 "  WHERE \"facilityId\" IS NULL" EVENT_MERGE ")"
						 " SELECT * FROM linked UNION ALL SELECT * FROM unlinked",
						 event_table, event_table);
		event_plan = viol_prepare_kept(query, lengthof(types), types);
	}
	sample_plan = viol_prepare_kept(sample_insert(nsp), lengthof(sample_types), sample_types);
	{
		Oid			types[] = {TEXTARRAYOID, DATEARRAYOID, INT4ARRAYOID, INT4ARRAYOID,
							   INT4ARRAYOID, INT4ARRAYOID, INT4ARRAYOID, INT4ARRAYOID,
		INT4ARRAYOID};

		query = psprintf("INSERT INTO %s AS m (\"eventId\", \"month\", \"count\", \"openCount\","
						 " \"dismissedCount\", \"lowCount\", \"moderateCount\", \"highCount\","
						 " \"criticalCount\")"
						 " SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9)"
						 "  AS u(eid, month, cnt, open, dismissed, low, moderate, high, critical)"
						 " ORDER BY eid, month"
						 " ON CONFLICT (\"eventId\", \"month\") DO UPDATE SET"
						 "  \"count\" = m.\"count\" + excluded.\"count\","
						 "  \"openCount\" = m.\"openCount\" + excluded.\"openCount\","
						 "  \"dismissedCount\" = m.\"dismissedCount\" + excluded.\"dismissedCount\","
						 "  \"lowCount\" = m.\"lowCount\" + excluded.\"lowCount\","
						 "  \"moderateCount\" = m.\"moderateCount\" + excluded.\"moderateCount\","
						 "  \"highCount\" = m.\"highCount\" + excluded.\"highCount\","
						 "  \"criticalCount\" = m.\"criticalCount\" + excluded.\"criticalCount\"",
						 viol_qualified(nsp, "ViolationMonthly"));
		monthly_plan = viol_prepare_kept(query, lengthof(types), types);
	}
	{
		Oid			types[] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
		TEXTARRAYOID, TEXTARRAYOID};

		/* evaluating a sample again (the backfill) must not count it twice */
		query = psprintf("INSERT INTO %s (\"esmrSampleId\", \"benchmarkId\", \"reason\","
						 " \"pollutantKey\", \"sampleUnits\", \"benchmarkUnits\")"
						 " SELECT * FROM unnest($1, $2, $3, $4, $5, $6)"
						 " ON CONFLICT (\"esmrSampleId\", \"benchmarkId\") DO UPDATE SET"
						 "  \"reason\" = excluded.\"reason\", \"sampleUnits\" = excluded.\"sampleUnits\","
						 "  \"benchmarkUnits\" = excluded.\"benchmarkUnits\"",
						 viol_qualified(nsp, "ViolationSkip"));
		skip_plan = viol_prepare_kept(query, lengthof(types), types);
	}
	plans_nspid = cache->nspid;
}

/* A new chunk: the per-chunk memory and the event hash. */
static void
writer_reset(VWriter *w)
{
	HASHCTL		ctl;

	MemoryContextReset(w->cxt);
	MemSet(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(VStrKey);
	ctl.entrysize = sizeof(VEventDelta);
	ctl.hash = viol_strkey_hash;
	ctl.match = viol_strkey_match;
	ctl.hcxt = w->cxt;
	w->events = hash_create("violations event deltas", 256, &ctl,
							HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	w->maxviolations = w->maxskips = VIOL_CHUNK_START;
	w->violations = MemoryContextAlloc(w->cxt, sizeof(VViolation) * w->maxviolations);
	w->nviolations = 0;
	w->skips = MemoryContextAlloc(w->cxt, sizeof(VSkip) * w->maxskips);
	w->nskips = 0;
}

/*
 * Creates a writer whose memory is a child of parent.  backfill: the samples
 * predate the extension (a dismissed legacy event then covers them).
 */
VWriter *
viol_writer_create(VRefCache *cache, MemoryContext parent, bool backfill)
{
	VWriter    *w = MemoryContextAllocZero(parent, sizeof(VWriter));

	w->cache = cache;
	w->backfill = backfill;
	w->cxt = AllocSetContextCreate(parent, "violations chunk", ALLOCSET_DEFAULT_SIZES);
	writer_reset(w);
	return w;
}

/* A text datum copied into the chunk; the caller's may be short-lived. */
static Datum
chunk_datum(VWriter *w, Datum d, int16 typlen)
{
	MemoryContext old = MemoryContextSwitchTo(w->cxt);

	d = datumCopy(d, false, typlen);
	MemoryContextSwitchTo(old);
	return d;
}

static void writer_flush(VWriter *w);

/*
 * viol_writer_add
 *		Records one exceedance; writes the chunk when it is full.
 */
void
viol_writer_add(VWriter *w, Datum sampleId, VBenchmark *benchmark, VFacility *facility,
				DateADT detectedAt, Datum measured, Datum ratio, int severity)
{
	char	   *year = viol_reporting_year(detectedAt, w->cache->startMonth);
	char	   *keystr;
	VStrKey		key;
	VEventDelta *ev;
	VViolation *v;
	bool		found;

	/* the event key: the Facility when there is one, else the eSMR facility */
	if (facility->linked)
		keystr = psprintf("F%s%c%s%c%s", facility->facilityId, '\0',
						  benchmark->pollutantKey, '\0', year);
	else
		keystr = psprintf("P%d%c%s%c%s", facility->facilityPlaceId, '\0',
						  benchmark->pollutantKey, '\0', year);
	key.str = keystr;
	key.len = 3 + strlen(keystr) + strlen(benchmark->pollutantKey) + strlen(year);
	ev = hash_search(w->events, &key, HASH_ENTER, &found);
	if (!found)
	{
		ev->key.str = MemoryContextAlloc(w->cxt, key.len);
		memcpy((char *) ev->key.str, keystr, key.len);
		ev->key.len = key.len;
		ev->facilityId = facility->linked ?
			MemoryContextStrdup(w->cxt, facility->facilityId) : NULL;
		ev->facilityPlaceId = facility->facilityPlaceId;
		ev->pollutant = benchmark->pollutantKey;
		ev->year = MemoryContextStrdup(w->cxt, year);
		ev->impairedWater = facility->impairedWater;
		ev->first = ev->last = detectedAt;
		ev->count = 0;
		ev->maxRatio = chunk_datum(w, ratio, -1);
		MemSet(ev->severity, 0, sizeof(ev->severity));
		ev->eventId = NULL;
		ev->status = VSTATUS_OPEN;
	}
	else
	{
		if (detectedAt < ev->first)
			ev->first = detectedAt;
		if (detectedAt > ev->last)
			ev->last = detectedAt;
		if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, ratio, ev->maxRatio)) > 0)
			ev->maxRatio = chunk_datum(w, ratio, -1);
	}
	ev->count++;
	ev->severity[severity]++;
	pfree(keystr);
	pfree(year);

	if (w->nviolations >= w->maxviolations)
	{
		w->maxviolations = Min(w->maxviolations * 2, VIOL_CHUNK);
		w->violations = repalloc(w->violations, sizeof(VViolation) * w->maxviolations);
	}
	v = &w->violations[w->nviolations++];
	v->sampleId = chunk_datum(w, sampleId, -1);
	v->benchmark = benchmark;
	v->event = ev;
	v->detectedAt = detectedAt;
	v->measured = chunk_datum(w, measured, -1);
	v->ratio = chunk_datum(w, ratio, -1);
	v->severity = severity;

	if (w->nviolations >= VIOL_CHUNK)
		writer_flush(w);
}

/*
 * viol_writer_skip
 *		Records a sample that could not be evaluated against a benchmark.
 */
void
viol_writer_skip(VWriter *w, VSkipReason reason, VBenchmark *benchmark,
				 const char *sampleUnits, Datum sampleId)
{
	VSkip	   *k;

	if (w->nskips >= w->maxskips)
	{
		w->maxskips = Min(w->maxskips * 2, VIOL_CHUNK);
		w->skips = repalloc(w->skips, sizeof(VSkip) * w->maxskips);
	}
	k = &w->skips[w->nskips++];
	k->sampleId = chunk_datum(w, sampleId, -1);
	k->benchmark = benchmark;
	k->reason = reason;
	k->units = MemoryContextStrdup(w->cxt, sampleUnits);
	if (w->nskips >= VIOL_CHUNK)
		writer_flush(w);
}

/* A one-dimensional array of n datums of element type elemtype. */
Datum
viol_make_array(Datum *elems, bool *nulls, int n, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1];
	int			lbs[1];

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	dims[0] = n;
	lbs[0] = 1;
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, elemtype,
											  typlen, typbyval, typalign));
}

/* Runs a kept plan of the writer; errors unless it returns rc. */
static void
execute(SPIPlanPtr plan, Datum *args, int expected)
{
	viol_execute_kept(plan, args, NULL, false, expected, "writing violations");
}

/* Upserts the chunk's events and learns their ids. */
static void
write_events(VWriter *w)
{
	long		n = hash_get_num_entries(w->events);
	Datum	   *cols[13];
	bool	   *fid_nulls = palloc(sizeof(bool) * n);
	Datum		args[14];
	HASH_SEQ_STATUS seq;
	VEventDelta *ev;
	int			i = 0;
	int			c;
	uint64		r;
	static const Oid elemtypes[13] = {TEXTOID, INT4OID, TEXTOID, TEXTOID, DATEOID, DATEOID,
		INT4OID, NUMERICOID, INT4OID, INT4OID, INT4OID, INT4OID, BOOLOID};

	for (c = 0; c < 13; c++)
		cols[c] = palloc(sizeof(Datum) * n);
	hash_seq_init(&seq, w->events);
	while ((ev = hash_seq_search(&seq)) != NULL)
	{
		fid_nulls[i] = (ev->facilityId == NULL);
		cols[0][i] = ev->facilityId ? CStringGetTextDatum(ev->facilityId) : (Datum) 0;
		cols[1][i] = Int32GetDatum(ev->facilityPlaceId);
		cols[2][i] = CStringGetTextDatum(ev->pollutant);
		cols[3][i] = CStringGetTextDatum(ev->year);
		cols[4][i] = DateADTGetDatum(ev->first);
		cols[5][i] = DateADTGetDatum(ev->last);
		cols[6][i] = Int32GetDatum(ev->count);
		cols[7][i] = ev->maxRatio;
		for (c = 0; c < VSEV_COUNT; c++)
			cols[8 + c][i] = Int32GetDatum(ev->severity[c]);
		cols[12][i] = BoolGetDatum(ev->impairedWater);
		i++;
	}
	for (c = 0; c < 13; c++)
		args[c] = viol_make_array(cols[c], c == 0 ? fid_nulls : NULL, (int) n, elemtypes[c]);
	args[13] = BoolGetDatum(w->backfill);
	execute(event_plan, args, SPI_OK_SELECT);

	/* match each returned row to its delta by key */
	for (r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *fid = SPI_getvalue(tup, desc, 2);
		char	   *fpid = SPI_getvalue(tup, desc, 3);
		char	   *pollutant = SPI_getvalue(tup, desc, 4);
		char	   *year = SPI_getvalue(tup, desc, 5);
		bool		isnull;
		bool		dismissed = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));	/* legacy */
		char	   *keystr;
		VStrKey		key;

		if (fid != NULL)
			keystr = psprintf("F%s%c%s%c%s", fid, '\0', pollutant, '\0', year);
		else
			keystr = psprintf("P%s%c%s%c%s", fpid, '\0', pollutant, '\0', year);
		key.str = keystr;
		key.len = 3 + strlen(keystr) + strlen(pollutant) + strlen(year);
		ev = hash_search(w->events, &key, HASH_FIND, NULL);
		if (ev == NULL)
			elog(ERROR, "violations: upserted event %s/%s/%s matches no delta",
				 fid ? fid : fpid, pollutant, year);
		ev->eventId = MemoryContextStrdup(w->cxt, SPI_getvalue(tup, desc, 1));
		ev->status = dismissed ? VSTATUS_DISMISSED : VSTATUS_OPEN;
	}
	if (SPI_processed != (uint64) n)
		elog(ERROR, "violations: upserted %lu events for %ld deltas",
			 (unsigned long) SPI_processed, n);
	SPI_freetuptable(SPI_tuptable);
}

static const char *const status_names[] = {"OPEN", "UNDER_REVIEW", "RESOLVED", "DISMISSED"};

/*
 * The insert of the violation rows that also announces those of severity $15
 * or more (violations_announce_violations of 1.2, from the rows inserted),
 * prepared the first time alerts are on.  Not for the backfill: those
 * samples are history, not news.
 *
 * The rows come from RETURNING, not from a lookup: 1.2 looked them up by
 * (sample, benchmark), and statistics taken in the middle of a load (which
 * see none of its uncommitted rows) made that lookup a nested loop over the
 * chunk's keys for each stored violation (110 s instead of 34 s for a COPY
 * of 1.2M samples), then, kept per key, a scan of the "benchmarkId" index
 * (measured: 7.6 s of a stalled 53 s load).
 */
static SPIPlanPtr
announcing_plan(const char *nsp)
{
	Oid			types[15];

	if (announce_plan != NULL)
		return announce_plan;
	memcpy(types, sample_types, sizeof(sample_types));
	types[14] = TEXTOID;
	announce_plan = viol_prepare_kept(psprintf(
		"WITH v AS (%s RETURNING *)"
		" SELECT %s.violations_announce(array_agg(jsonb_build_object("
		"  'kind', 'violation', 'violationId', v.\"id\", 'eventId', v.\"eventId\","
		"  'facilityId', v.\"facilityId\", 'facilityPlaceId', v.\"facilityPlaceId\","
		"  'pollutant', v.\"pollutantKey\", 'benchmarkType', v.\"benchmarkType\","
		"  'severity', v.\"severity\", 'detectedAt', v.\"detectedAt\","
		"  'measuredValue', v.\"measuredValue\", 'benchmarkValue', v.\"benchmarkValue\","
		"  'units', v.\"units\", 'exceedanceRatio', v.\"exceedanceRatio\")"
		"  ORDER BY v.\"detectedAt\", v.\"esmrSampleId\", v.\"benchmarkId\")"
		"  FILTER (WHERE v.\"severity\" >= $15::%s))"
		" FROM v",
		sample_insert(nsp), nsp, viol_qualified(nsp, "ViolationSeverity")),
									  lengthof(types), types);
	return announce_plan;
}

/* Inserts the chunk's "ViolationSample" rows. */
static void
write_samples(VWriter *w)
{
	int			n = w->nviolations;
	Datum	   *cols[14];
	bool	   *fid_nulls = palloc(sizeof(bool) * n);
	Datum		args[15];
	int			i;
	int			c;
	static const Oid elemtypes[14] = {TEXTOID, TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID,
		TEXTOID, DATEOID, NUMERICOID, NUMERICOID, TEXTOID, NUMERICOID, TEXTOID, TEXTOID};
	Datum		severity_text[VSEV_COUNT];
	Datum		status_text[lengthof(status_names)];

	for (c = 0; c < VSEV_COUNT; c++)
		severity_text[c] = CStringGetTextDatum(viol_severity_names[c]);
	for (c = 0; c < lengthof(status_names); c++)
		status_text[c] = CStringGetTextDatum(status_names[c]);
	for (c = 0; c < 14; c++)
		cols[c] = palloc(sizeof(Datum) * n);
	for (i = 0; i < n; i++)
	{
		VViolation *v = &w->violations[i];
		VBenchmark *b = v->benchmark;
		VEventDelta *ev = v->event;

		cols[0][i] = v->sampleId;
		cols[1][i] = CStringGetTextDatum(b->id);
		cols[2][i] = CStringGetTextDatum(ev->eventId);
		cols[3][i] = Int32GetDatum(ev->facilityPlaceId);
		fid_nulls[i] = (ev->facilityId == NULL);
		cols[4][i] = ev->facilityId ? CStringGetTextDatum(ev->facilityId) : (Datum) 0;
		cols[5][i] = CStringGetTextDatum(b->pollutantKey);
		cols[6][i] = CStringGetTextDatum(b->typeName);
		cols[7][i] = DateADTGetDatum(v->detectedAt);
		cols[8][i] = v->measured;
		cols[9][i] = b->value;
		cols[10][i] = CStringGetTextDatum(b->units);
		cols[11][i] = v->ratio;
		cols[12][i] = severity_text[v->severity];
		cols[13][i] = status_text[ev->status];
	}
	for (c = 0; c < 14; c++)
		args[c] = viol_make_array(cols[c], c == 4 ? fid_nulls : NULL, n, elemtypes[c]);
	if (w->backfill || w->cache->alertSeverity < 0 || !w->cache->compliance)
		execute(sample_plan, args, SPI_OK_INSERT);
	else
	{
		args[14] = CStringGetTextDatum(viol_severity_names[w->cache->alertSeverity]);
		execute(announcing_plan(w->cache->nspname), args, SPI_OK_SELECT);
		SPI_freetuptable(SPI_tuptable);
	}
	w->written += n;
}

/* Upserts the chunk's "ViolationMonthly" rows. */
static void
write_monthly(VWriter *w)
{
	HASHCTL		ctl;
	HTAB	   *months;
	HASH_SEQ_STATUS seq;
	VMonthDelta *m;
	long		n;
	Datum	   *cols[9];
	Datum		args[9];
	int			i;
	int			c;
	static const Oid elemtypes[9] = {TEXTOID, DATEOID, INT4OID, INT4OID, INT4OID, INT4OID,
		INT4OID, INT4OID, INT4OID};

	MemSet(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(VMonthKey);
	ctl.entrysize = sizeof(VMonthDelta);
	ctl.hcxt = w->cxt;
	months = hash_create("violations month deltas", 256, &ctl,
						 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	for (i = 0; i < w->nviolations; i++)
	{
		VViolation *v = &w->violations[i];
		VMonthKey	key;
		bool		found;
		int			y,
					mo,
					d;

		MemSet(&key, 0, sizeof(key));
		key.event = v->event;
		j2date(v->detectedAt + POSTGRES_EPOCH_JDATE, &y, &mo, &d);
		key.month = date2j(y, mo, 1) - POSTGRES_EPOCH_JDATE;
		m = hash_search(months, &key, HASH_ENTER, &found);
		if (!found)
		{
			m->count = 0;
			MemSet(m->status, 0, sizeof(m->status));
			MemSet(m->severity, 0, sizeof(m->severity));
		}
		m->count++;
		m->status[v->event->status]++;
		m->severity[v->severity]++;
	}

	n = hash_get_num_entries(months);
	for (c = 0; c < 9; c++)
		cols[c] = palloc(sizeof(Datum) * n);
	i = 0;
	hash_seq_init(&seq, months);
	while ((m = hash_seq_search(&seq)) != NULL)
	{
		cols[0][i] = CStringGetTextDatum(m->key.event->eventId);
		cols[1][i] = DateADTGetDatum(m->key.month);
		cols[2][i] = Int32GetDatum(m->count);
		cols[3][i] = Int32GetDatum(m->status[VSTATUS_OPEN]);
		cols[4][i] = Int32GetDatum(m->status[VSTATUS_DISMISSED]);
		for (c = 0; c < VSEV_COUNT; c++)
			cols[5 + c][i] = Int32GetDatum(m->severity[c]);
		i++;
	}
	for (c = 0; c < 9; c++)
		args[c] = viol_make_array(cols[c], NULL, (int) n, elemtypes[c]);
	execute(monthly_plan, args, SPI_OK_INSERT);
}

/* Records the chunk's unevaluable samples. */
static void
write_skips(VWriter *w)
{
	int			n = w->nskips;
	int			i;
	int			c;
	Datum	   *cols[6];
	Datum		args[6];
	Datum		reason_text[VSKIP_COUNT];

	if (n == 0)
		return;
	for (c = 0; c < VSKIP_COUNT; c++)
		reason_text[c] = CStringGetTextDatum(viol_skip_names[c]);
	for (c = 0; c < 6; c++)
		cols[c] = palloc(sizeof(Datum) * n);
	for (i = 0; i < n; i++)
	{
		VSkip	   *k = &w->skips[i];

		cols[0][i] = k->sampleId;
		cols[1][i] = CStringGetTextDatum(k->benchmark->id);
		cols[2][i] = reason_text[k->reason];
		cols[3][i] = CStringGetTextDatum(k->benchmark->pollutantKey);
		cols[4][i] = CStringGetTextDatum(k->units);
		cols[5][i] = CStringGetTextDatum(k->benchmark->units);
	}
	for (c = 0; c < 6; c++)
		args[c] = viol_make_array(cols[c], NULL, n, TEXTOID);
	execute(skip_plan, args, SPI_OK_INSERT);
}

/*
 * viol_writer_collect
 *		Makes the writer hand back what it finds, as rows of desc (the type
 *		violations_evaluation) in ts, instead of writing anything.
 */
void
viol_writer_collect(VWriter *w, Tuplestorestate *ts, TupleDesc desc)
{
	w->collect = ts;
	w->collect_desc = desc;
}

/* Appends the chunk to the collecting tuplestore. */
static void
collect_chunk(VWriter *w)
{
	Datum		values[16];
	bool		nulls[16];
	int			i;

	for (i = 0; i < w->nviolations; i++)
	{
		VViolation *v = &w->violations[i];
		VEventDelta *ev = v->event;

		MemSet(nulls, false, sizeof(nulls));
		values[0] = CStringGetTextDatum("violation");
		values[1] = v->sampleId;
		values[2] = CStringGetTextDatum(v->benchmark->id);
		values[3] = Int32GetDatum(ev->facilityPlaceId);
		nulls[4] = (ev->facilityId == NULL);
		values[4] = ev->facilityId ? CStringGetTextDatum(ev->facilityId) : (Datum) 0;
		values[5] = CStringGetTextDatum(v->benchmark->pollutantKey);
		values[6] = CStringGetTextDatum(v->benchmark->typeName);
		values[7] = CStringGetTextDatum(ev->year);
		values[8] = DateADTGetDatum(v->detectedAt);
		values[9] = v->measured;
		values[10] = v->benchmark->value;
		values[11] = CStringGetTextDatum(v->benchmark->units);
		values[12] = v->ratio;
		values[13] = CStringGetTextDatum(viol_severity_names[v->severity]);
		nulls[14] = nulls[15] = true;
		tuplestore_putvalues(w->collect, w->collect_desc, values, nulls);
	}
	for (i = 0; i < w->nskips; i++)
	{
		VSkip	   *k = &w->skips[i];

		MemSet(nulls, true, sizeof(nulls));
		values[0] = CStringGetTextDatum("skip");
		values[1] = k->sampleId;
		values[2] = CStringGetTextDatum(k->benchmark->id);
		values[5] = CStringGetTextDatum(k->benchmark->pollutantKey);
		values[11] = CStringGetTextDatum(k->benchmark->units);
		values[14] = CStringGetTextDatum(viol_skip_names[k->reason]);
		values[15] = CStringGetTextDatum(k->units);
		nulls[0] = nulls[1] = nulls[2] = nulls[5] = nulls[11] = nulls[14] = nulls[15] = false;
		tuplestore_putvalues(w->collect, w->collect_desc, values, nulls);
	}
}

/* Writes the chunk: events first (violations need their ids), then the rest. */
static void
writer_flush(VWriter *w)
{
	MemoryContext old;

	if (w->nviolations == 0 && w->nskips == 0)
		return;
	old = MemoryContextSwitchTo(w->cxt);
	if (w->collect != NULL)
	{
		collect_chunk(w);
		w->written += w->nviolations;
		MemoryContextSwitchTo(old);
		writer_reset(w);
		return;
	}
	prepare_plans(w->cache);

	/*
	 * A large chunk: have the foreign-key checks of the rows about to be
	 * written planned afresh.  PostgreSQL's RI triggers keep their plans for
	 * the session, and one made while "ESMRSample" was nearly empty (a
	 * sequential scan) would read the whole table once per row written,
	 * quadratic in the size of the load.  The invalidation is processed
	 * before the first write below (SPI increments the command counter).
	 */
	if (w->nviolations + w->nskips >= VIOL_REPLAN_FK_ROWS)
		CacheInvalidateRelcacheByRelid(get_relname_relid("ESMRSample", w->cache->nspid));
	if (w->nviolations > 0)
	{
		write_events(w);
		write_samples(w);
		write_monthly(w);
	}
	write_skips(w);
	MemoryContextSwitchTo(old);
	writer_reset(w);
}

/*
 * viol_writer_finish
 *		Writes what is left; returns the number of violations written.
 */
int64
viol_writer_finish(VWriter *w)
{
	writer_flush(w);
	MemoryContextDelete(w->cxt);
	return w->written;
}
