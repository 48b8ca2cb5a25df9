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
#include "utils/snapmgr.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/tuplesort.h"

#include "violations.h"

/* The permit's reporting year starts on July 1 (IGP, Attachment C). */
#define VIOL_PERMIT_START_MONTH	7

/*
 * Keys held in memory at once; bounds memory on huge loads.  A statement with
 * more spills its sums to a sort and applies them at its end, one upsert per
 * key (compliance_spill).
 */
#define VIOL_COMPLIANCE_CHUNK	20000

/* The columns of a spilled delta, the first three its sort key. */
enum
{
	SPILL_PLACE = 1,
	SPILL_POLLUTANT,
	SPILL_YEAR,
	SPILL_NAL,					/* the VNal, as int8: the cache is pinned */
	SPILL_FACILITY,
	SPILL_COUNT,
	SPILL_SUM,
	SPILL_NONDETECTS,
	SPILL_INSTANT,
	SPILL_NATTS = SPILL_INSTANT
};

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

/*
 * What the deltas of a statement leave to do once they are all in: the
 * pairs whose levels to bring up to date, and the years whose flags
 * changed, with the flags they had before the statement (what began is
 * announced by comparing those with the rows at the end).  Kept across the
 * chunks of one statement, so that a pair seen in many chunks is leveled
 * once and a flag that comes and goes within the statement is not news.
 */
typedef struct VLevels
{
	MemoryContext cxt;			/* reset after each levels_finish */
	HTAB	   *pairs;			/* "place/pollutant" -> VPendingPair */
	HTAB	   *years;			/* "place/year/pollutant" -> VPendingYear */
	bool		announce;		/* collect the years (notify and alertCompliance) */
} VLevels;

typedef struct VPendingPair
{
	VStrKey		key;
	Datum		place;
	Datum		pollutant;		/* text */
} VPendingPair;

typedef struct VPendingYear
{
	VStrKey		key;
	Datum		place;
	Datum		pollutant;		/* text */
	Datum		year;
	bool		wasAnnual;		/* before the statement */
	bool		wasInstant;
} VPendingYear;

struct VCompliance
{
	VRefCache  *cache;
	VLevels    *levels;			/* across flushes */
	MemoryContext cxt;			/* the deltas: reset after each apply */
	MemoryContext rowcxt;		/* one sample */
	HTAB	   *deltas;
	Tuplesortstate *spill;		/* the statement's sums past one chunk */
	TupleTableSlot *spillslot;
	bool		collecting;		/* the recount: keep every key, apply nothing */
	bool		lost;			/* a row taken away whose location is gone */
	int			nplaces;		/* facilities of the rows added since */
	int			maxplaces;
	int32	   *places;
	Datum		zero;			/* numeric 0, in cxt */
	Datum		half;			/* numeric 0.5, in cxt */
};

/* Plans kept for the backend's life, for the schema they were made in. */
static Oid	plans_nspid = InvalidOid;
static SPIPlanPtr lock_plan = NULL;
static SPIPlanPtr step_plan = NULL;
static SPIPlanPtr light_plan = NULL;
static SPIPlanPtr left_plan = NULL;
static SPIPlanPtr delete_plan = NULL;
static SPIPlanPtr levels_plan = NULL;
static SPIPlanPtr pairs_plan = NULL;
static SPIPlanPtr announce_plan = NULL;

/* What the upsert tells of one row: before, after. */
typedef struct VRowChange
{
	VStrKey		key;			/* facility, year, pollutant */
	bool		found;			/* the row was there */
	bool		wasAnnual;
	bool		wasInstant;
	bool		leftBaseline;	/* its pair has a "ViolationEraStatus" row */
	int32		dcount;			/* its delta (the triggers' upsert) */
	Datum		dsum;
	int32		dinstant;
} VRowChange;

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

/* A new, empty VLevels in a context of its own under parent. */
static VLevels *
levels_create(MemoryContext parent, bool announce)
{
	VLevels    *l = MemoryContextAllocZero(parent, sizeof(VLevels));

	l->cxt = AllocSetContextCreate(parent, "violations compliance levels",
								   ALLOCSET_DEFAULT_SIZES);
	l->announce = announce;
	return l;
}

/* A hash keyed by a VStrKey (its first member), in context cxt. */
static HTAB *
strkey_hash(const char *name, long nelem, Size entrysize, MemoryContext cxt)
{
	HASHCTL		ctl;

	MemSet(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(VStrKey);
	ctl.entrysize = entrysize;
	ctl.hash = viol_strkey_hash;
	ctl.match = viol_strkey_match;
	ctl.hcxt = cxt;
	return hash_create(name, Max(16, nelem), &ctl,
					   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/* Notes that the levels of pair (place, pollutant) are to be brought up to date. */
static void
levels_add_pair(VLevels *l, Datum place, const char *pollutant)
{
	MemoryContext old = MemoryContextSwitchTo(l->cxt);
	VStrKey		key;
	VPendingPair *pp;
	bool		found;

	if (l->pairs == NULL)
		l->pairs = strkey_hash("violations pending pairs", 256, sizeof(VPendingPair), l->cxt);
	key.str = psprintf("%d/%s", DatumGetInt32(place), pollutant);
	key.len = strlen(key.str);
	pp = hash_search(l->pairs, &key, HASH_ENTER, &found);
	if (!found)
	{
		pp->place = place;
		pp->pollutant = CStringGetTextDatum(pollutant);
	}
	else
		pfree((char *) key.str);
	MemoryContextSwitchTo(old);
}

/*
 * Notes that the flags of a year changed; the first time in the statement,
 * with how they were before it.
 */
static void
levels_add_year(VLevels *l, Datum place, const char *pollutant, Datum year,
				bool wasAnnual, bool wasInstant)
{
	MemoryContext old;
	VStrKey		key;
	VPendingYear *py;
	bool		found;

	if (!l->announce)
		return;
	old = MemoryContextSwitchTo(l->cxt);
	if (l->years == NULL)
		l->years = strkey_hash("violations pending years", 256, sizeof(VPendingYear), l->cxt);
	key.str = psprintf("%d/%d/%s", DatumGetInt32(place), DatumGetInt32(year), pollutant);
	key.len = strlen(key.str);
	py = hash_search(l->years, &key, HASH_ENTER, &found);
	if (!found)
	{
		py->place = place;
		py->pollutant = CStringGetTextDatum(pollutant);
		py->year = year;
		py->wasAnnual = wasAnnual;
		py->wasInstant = wasInstant;
	}
	else
		pfree((char *) key.str);
	MemoryContextSwitchTo(old);
}

/* Pairs and years noted and not finished yet. */
static long
levels_pending(VLevels *l)
{
	return (l->pairs ? hash_get_num_entries(l->pairs) : 0) +
		(l->years ? hash_get_num_entries(l->years) : 0);
}

static void run(SPIPlanPtr plan, Datum *args, const char *nulls, int expected);

/* Orders pending pairs as the primary key does: place, then pollutant. */
static int
pair_cmp(const void *a, const void *b)
{
	const VPendingPair *x = *(VPendingPair *const *) a;
	const VPendingPair *y = *(VPendingPair *const *) b;
	int32		px = DatumGetInt32(x->place);
	int32		py = DatumGetInt32(y->place);

	if (px != py)
		return px < py ? -1 : 1;
	/* the key is "place/pollutant" */
	return strcmp(strchr(x->key.str, '/') + 1, strchr(y->key.str, '/') + 1);
}

/*
 * levels_finish
 *		Brings the levels of the pairs noted up to date, with their
 *		"ViolationEraStatus" rows, then announces the exceedances that began
 *		(flags on now that were off before the statement) and the levels
 *		that rose.  Under the facilities' locks, taken by the deltas.
 */
static void
levels_finish(VLevels *l)
{
	MemoryContext old = MemoryContextSwitchTo(l->cxt);
	Datum		level_events = (Datum) 0;
	SPITupleTable *pairs_rows = NULL;
	long		nyears = l->years ? hash_get_num_entries(l->years) : 0;
	int			nbegin = 0;

	if (l->pairs != NULL && hash_get_num_entries(l->pairs) > 0)
	{
		long		n = hash_get_num_entries(l->pairs);
		Datum	   *places = palloc(sizeof(Datum) * n);
		Datum	   *pollutants = palloc(sizeof(Datum) * n);
		Datum		pargs[2];
		HASH_SEQ_STATUS seq;
		VPendingPair *pp;
		int			i = 0;
		bool		isnull;

		VPendingPair **sorted = palloc(sizeof(VPendingPair *) * n);

		/* each pair once, in key order, as compliance_flush does */
		hash_seq_init(&seq, l->pairs);
		while ((pp = hash_seq_search(&seq)) != NULL)
			sorted[i++] = pp;
		qsort(sorted, n, sizeof(VPendingPair *), pair_cmp);
		for (i = 0; i < n; i++)
		{
			places[i] = sorted[i]->place;
			pollutants[i] = sorted[i]->pollutant;
		}
		pargs[0] = viol_make_array(places, NULL, i, INT4OID);
		pargs[1] = viol_make_array(pollutants, NULL, i, TEXTOID);
		run(levels_plan, pargs, NULL, SPI_OK_UPDATE);
		run(pairs_plan, pargs, NULL, SPI_OK_SELECT);
		pairs_rows = SPI_tuptable;
		level_events = SPI_getbinval(pairs_rows->vals[0], pairs_rows->tupdesc, 1, &isnull);
		if (isnull)
			level_events = (Datum) 0;
	}
	if (l->announce && (nyears > 0 || level_events != (Datum) 0))
	{
		Datum	   *places = palloc(sizeof(Datum) * Max(1, 2 * nyears));
		Datum	   *pollutants = palloc(sizeof(Datum) * Max(1, 2 * nyears));
		Datum	   *years = palloc(sizeof(Datum) * Max(1, 2 * nyears));
		Datum	   *kinds = palloc(sizeof(Datum) * Max(1, 2 * nyears));
		Datum		aargs[5];
		char		anulls[5] = {' ', ' ', ' ', ' ', ' '};

		if (nyears > 0)
		{
			HASH_SEQ_STATUS seq;
			VPendingYear *py;
			Datum		annual = CStringGetTextDatum("annual_nal");
			Datum		instant = CStringGetTextDatum("instantaneous_nal");

			/* candidates: the plan keeps those whose flag is on now */
			hash_seq_init(&seq, l->years);
			while ((py = hash_seq_search(&seq)) != NULL)
			{
				if (!py->wasAnnual)
				{
					places[nbegin] = py->place;
					pollutants[nbegin] = py->pollutant;
					years[nbegin] = py->year;
					kinds[nbegin++] = annual;
				}
				if (!py->wasInstant)
				{
					places[nbegin] = py->place;
					pollutants[nbegin] = py->pollutant;
					years[nbegin] = py->year;
					kinds[nbegin++] = instant;
				}
			}
		}
		aargs[0] = viol_make_array(places, NULL, nbegin, INT4OID);
		aargs[1] = viol_make_array(pollutants, NULL, nbegin, TEXTOID);
		aargs[2] = viol_make_array(years, NULL, nbegin, INT4OID);
		aargs[3] = viol_make_array(kinds, NULL, nbegin, TEXTOID);
		aargs[4] = level_events;
		if (level_events == (Datum) 0)
			anulls[4] = 'n';
		run(announce_plan, aargs, anulls, SPI_OK_SELECT);
		SPI_freetuptable(SPI_tuptable);
	}
	if (pairs_rows != NULL)
		SPI_freetuptable(pairs_rows);
	MemoryContextSwitchTo(old);
	MemoryContextReset(l->cxt);
	l->pairs = l->years = NULL;
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
	c->cxt = AllocSetContextCreate(CurrentMemoryContext, "violations compliance",
								   ALLOCSET_DEFAULT_SIZES);
	c->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "violations compliance sample",
									  ALLOCSET_SMALL_SIZES);
	c->levels = levels_create(CurrentMemoryContext, notify && cache->alertCompliance);
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

/* The upsert of the deltas into "ViolationCompliance" (%s), from d(p, k, y, ...). */
#define COMPLIANCE_INSERT \
	"INSERT INTO %s AS c (\"facilityPlaceId\", \"pollutantKey\", \"permitYear\"," \
	"  \"facilityId\", \"units\", \"annualNal\", \"resultCount\", \"resultSum\"," \
	"  \"nonDetectCount\", \"instantCount\")"
#define COMPLIANCE_MERGE \
	" ON CONFLICT (\"facilityPlaceId\", \"pollutantKey\", \"permitYear\") DO UPDATE SET" \
	"  \"facilityId\" = excluded.\"facilityId\", \"units\" = excluded.\"units\"," \
	"  \"annualNal\" = excluded.\"annualNal\"," \
	"  \"resultCount\" = c.\"resultCount\" + excluded.\"resultCount\"," \
	"  \"resultSum\" = c.\"resultSum\" + excluded.\"resultSum\"," \
	"  \"nonDetectCount\" = c.\"nonDetectCount\" + excluded.\"nonDetectCount\"," \
	"  \"instantCount\" = c.\"instantCount\" + excluded.\"instantCount\"," \
	"  \"updatedAt\" = CURRENT_TIMESTAMP"
#define COMPLIANCE_ARG_TYPES \
	{INT4ARRAYOID, TEXTARRAYOID, INT4ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, NUMERICARRAYOID, \
	 INT4ARRAYOID, NUMERICARRAYOID, INT4ARRAYOID, INT4ARRAYOID}

/* Prepares the plans of apply_deltas, once per backend and schema. */
static void
prepare_plans(VRefCache *cache)
{
	const char *nsp = cache->nspname;
	char	   *compliance = viol_qualified(nsp, "ViolationCompliance");

	if (plans_nspid == cache->nspid && lock_plan != NULL)
		return;
	if (lock_plan != NULL)
	{
		SPI_freeplan(lock_plan);
		SPI_freeplan(step_plan);
		SPI_freeplan(light_plan);
		SPI_freeplan(left_plan);
		SPI_freeplan(delete_plan);
		SPI_freeplan(levels_plan);
		SPI_freeplan(pairs_plan);
		SPI_freeplan(announce_plan);
		lock_plan = step_plan = light_plan = left_plan = NULL;
		delete_plan = levels_plan = pairs_plan = announce_plan = NULL;
	}
	{
		Oid			types[] = {INT4ARRAYOID};

		/*
		 * In key order (no two writers deadlock), each reached by the
		 * primary key: "= ANY ($1)" let the generic plan read the whole
		 * table and sort it, 46 us of a one-row insert at 510 facilities
		 */
		lock_plan = viol_prepare_kept(psprintf("SELECT 1 FROM (SELECT DISTINCT p FROM unnest($1) AS u(p)"
											   "  ORDER BY p) u,"
											   " LATERAL (SELECT 1 FROM %s f WHERE f.\"facilityPlaceId\" = u.p"
											   "  FOR NO KEY UPDATE) f",
											   viol_qualified(nsp, "ESMRFacility")),
									  lengthof(types), types);
	}
	{
		Oid			types[] = COMPLIANCE_ARG_TYPES;

		/*
		 * One statement: each row as it was ("o", read in the statement's
		 * snapshot, before "up" writes) and as it is after the deltas.  The
		 * rows are reached per key (OFFSET 0 keeps the lookup a correlated
		 * index scan): a plan that read the table whole, kept from when it
		 * was small, would make a load quadratic.  The year is compared as
		 * "permitYear" + 0, which no index serves, so that the lookup can
		 * only use the primary key's (place, pollutant) prefix: statistics
		 * taken in the middle of a load (autovacuum's ANALYZE sees none of
		 * its uncommitted rows) make every plan look free, and then the
		 * planner took the ("facilityId", "permitYear") index for the year
		 * alone, a scan of the whole index per key (measured: 43 of the 53 s
		 * of a 400,000-sample load, against 10 s).
		 */
		step_plan = viol_prepare_kept(psprintf(
			"WITH d AS MATERIALIZED ("
			" SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
			"  AS d(p, k, y, f, u, nal, n, s, nd, i)),"
			" o AS ("
			" SELECT d.p, d.k, d.y, o.annual, o.instant, o.found, e.left_baseline"
			" FROM d LEFT JOIN LATERAL ("
			"  SELECT true AS left_baseline FROM %s e WHERE e.\"facilityPlaceId\" = d.p"
			"   AND e.\"pollutantKey\" = d.k OFFSET 0) e ON true"
			" LEFT JOIN LATERAL ("
			"  SELECT c.\"annualExceeded\" AS annual, c.\"instantExceeded\" AS instant, true AS found"
			"  FROM %s c WHERE c.\"facilityPlaceId\" = d.p AND c.\"pollutantKey\" = d.k"
			"   AND c.\"permitYear\" + 0 = d.y OFFSET 0) o ON true),"
			" up AS ("
			" " COMPLIANCE_INSERT
			" SELECT d.p, d.k, d.y, d.f, d.u, d.nal, d.n, d.s, d.nd, d.i FROM d"
			COMPLIANCE_MERGE
			" RETURNING c.\"facilityPlaceId\", c.\"pollutantKey\", c.\"permitYear\","
			"  c.\"annualExceeded\", c.\"instantExceeded\","
			"  c.\"resultCount\" = 0 AND c.\"nonDetectCount\" = 0 AND c.\"instantCount\" = 0 AS empty,"
			"  c.ctid)"
			" SELECT false, o.p, o.k, o.y, o.annual, o.instant, coalesce(o.found, false),"
			"  o.left_baseline, NULL::tid FROM o"
			" UNION ALL"
			" SELECT true, up.\"facilityPlaceId\", up.\"pollutantKey\", up.\"permitYear\","
			"  up.\"annualExceeded\", up.\"instantExceeded\", up.empty, NULL, up.ctid FROM up",
			viol_qualified(nsp, "ViolationEraStatus"), compliance, compliance),
									  lengthof(types), types);
	}
	{
		Oid			types[] = COMPLIANCE_ARG_TYPES;

		/*
		 * The triggers' upsert: how each row was follows from how it is and
		 * its delta, the NAL being the same (a change of benchmark
		 * recounts), so the rows after are all it returns; xmax 0 marks the
		 * rows it inserted.
		 */
		light_plan = viol_prepare_kept(psprintf(
			COMPLIANCE_INSERT
			" SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
			COMPLIANCE_MERGE
			" RETURNING true, c.\"facilityPlaceId\", c.\"pollutantKey\", c.\"permitYear\","
			"  c.\"annualExceeded\", c.\"instantExceeded\","
			"  c.\"resultCount\" = 0 AND c.\"nonDetectCount\" = 0 AND c.\"instantCount\" = 0,"
			"  NULL::boolean, c.ctid, c.xmax = 0, c.\"resultCount\", c.\"resultSum\","
			"  c.\"instantCount\", c.\"annualNal\"",
			compliance),
									   lengthof(types), types);
	}
	{
		Oid			types[] = {INT4ARRAYOID, TEXTARRAYOID};

		/* of the pairs given, those that have left Baseline */
		left_plan = viol_prepare_kept(psprintf(
			"SELECT t.p, t.k FROM unnest($1, $2) AS t(p, k),"
			" LATERAL (SELECT 1 FROM %s e WHERE e.\"facilityPlaceId\" = t.p"
			"  AND e.\"pollutantKey\" = t.k OFFSET 0) e",
			viol_qualified(nsp, "ViolationEraStatus")),
									  lengthof(types), types);
	}
	{
		Oid			types[] = {TIDARRAYOID};

		/* years left with nothing (the facility's lock keeps their ctids) */
		delete_plan = viol_prepare_kept(psprintf("DELETE FROM %s c WHERE c.ctid = ANY ($1)",
												 compliance),
										lengthof(types), types);
	}
	{
		Oid			types[] = {INT4ARRAYOID, TEXTARRAYOID};

		/*
		 * each year's level: how many exceeded years up to it, at most two
		 * (the pairs come once each, in key order: levels_finish)
		 */
		levels_plan = viol_prepare_kept(psprintf(
			"UPDATE %s c SET \"eraLevel\" = l.level"
			" FROM unnest($1, $2) AS t(p, k),"
			"  LATERAL (SELECT c2.ctid AS tid,"
			"   (ARRAY['BASELINE', 'LEVEL_1', 'LEVEL_2']::%s[])[least(2, count(*)"
			"    FILTER (WHERE c2.\"exceeded\") OVER (ORDER BY c2.\"permitYear\")) + 1] AS level"
			"   FROM %s c2 WHERE c2.\"facilityPlaceId\" = t.p AND c2.\"pollutantKey\" = t.k) l"
			" WHERE c.ctid = l.tid AND c.\"eraLevel\" <> l.level",
			compliance, viol_qualified(nsp, "ViolationEraLevel"), compliance),
										lengthof(types), types);
	}
	{
		Oid			types[] = {INT4ARRAYOID, TEXTARRAYOID};
		char	   *era = viol_qualified(nsp, "ViolationEraStatus");

		/*
		 * The pairs' "ViolationEraStatus" rows (those with an exceeded year):
		 * made, changed or gone (and left alone when the same: no write, and
		 * no conflict with a writer of the pair's other years); returns the
		 * announcements of the levels that rose.
		 */
		pairs_plan = viol_prepare_kept(psprintf(
			"WITH agg AS ("
			" SELECT t.p, t.k, c.f, c.yrs"
			" FROM unnest($1, $2) AS t(p, k),"
			"  LATERAL (SELECT min(c.\"facilityId\") AS f,"
			"   array_agg(c.\"permitYear\" ORDER BY c.\"permitYear\") FILTER (WHERE c.\"exceeded\") AS yrs"
			"   FROM %s c WHERE c.\"facilityPlaceId\" = t.p AND c.\"pollutantKey\" = t.k) c),"
			" old AS ("
			" SELECT agg.p, agg.k, agg.yrs, e.tid, e.\"level\""
			" FROM agg, LATERAL (SELECT e.ctid AS tid, e.\"level\" FROM %s e"
			"  WHERE e.\"facilityPlaceId\" = agg.p AND e.\"pollutantKey\" = agg.k) e),"
			" gone AS ("
			" DELETE FROM %s e WHERE e.ctid = ANY (ARRAY(SELECT old.tid FROM old WHERE old.yrs IS NULL))),"
			" up AS ("
			" INSERT INTO %s AS e (\"facilityPlaceId\", \"pollutantKey\", \"facilityId\", \"level\","
			"  \"level1Year\", \"level2Year\", \"exceededYears\")"
			" SELECT agg.p, agg.k, agg.f,"
			"  (ARRAY['BASELINE', 'LEVEL_1', 'LEVEL_2']::%s[])[least(2, cardinality(agg.yrs)) + 1],"
			"  agg.yrs[1] + 1, agg.yrs[2] + 1, agg.yrs"
			" FROM agg WHERE agg.yrs IS NOT NULL"
			" ON CONFLICT (\"facilityPlaceId\", \"pollutantKey\") DO UPDATE SET"
			"  \"facilityId\" = excluded.\"facilityId\", \"level\" = excluded.\"level\","
			"  \"level1Year\" = excluded.\"level1Year\", \"level2Year\" = excluded.\"level2Year\","
			"  \"exceededYears\" = excluded.\"exceededYears\", \"updatedAt\" = CURRENT_TIMESTAMP"
			" WHERE (e.\"facilityId\", e.\"level\", e.\"level1Year\", e.\"level2Year\","
			"  e.\"exceededYears\") IS DISTINCT FROM (excluded.\"facilityId\", excluded.\"level\","
			"  excluded.\"level1Year\", excluded.\"level2Year\", excluded.\"exceededYears\")"
			" RETURNING e.*)"
			" SELECT array_agg(jsonb_build_object('kind', 'era_level',"
			"  'facilityPlaceId', up.\"facilityPlaceId\", 'facilityId', up.\"facilityId\","
			"  'pollutant', up.\"pollutantKey\", 'level', up.\"level\","
			"  'fromLevel', coalesce(old.\"level\", 'BASELINE'),"
			"  'sincePermitYear', CASE up.\"level\" WHEN 'LEVEL_2' THEN up.\"level2Year\""
			"   ELSE up.\"level1Year\" END,"
			"  'exceededYears', up.\"exceededYears\")"
			"  ORDER BY up.\"facilityPlaceId\", up.\"pollutantKey\")"
			"  FILTER (WHERE up.\"level\" > coalesce(old.\"level\", 'BASELINE'))"
			" FROM up LEFT JOIN old ON old.p = up.\"facilityPlaceId\" AND old.k = up.\"pollutantKey\"",
			compliance, era, era, era, viol_qualified(nsp, "ViolationEraLevel")),
									   lengthof(types), types);
	}
	{
		Oid			types[] = {INT4ARRAYOID, TEXTARRAYOID, INT4ARRAYOID, TEXTARRAYOID,
		JSONBARRAYOID};

		/*
		 * the exceedances that began (of the years given with a kind, those
		 * whose flag of that kind is on), then the levels; "permitYear" + 0
		 * as in step_plan
		 */
		announce_plan = viol_prepare_kept(psprintf(
			"SELECT %s.violations_announce((SELECT array_agg(jsonb_build_object('kind', b.kind,"
			"  'facilityPlaceId', c.\"facilityPlaceId\", 'facilityId', c.\"facilityId\","
			"  'pollutant', c.\"pollutantKey\", 'permitYear', c.\"permitYear\","
			"  'reportingYear', c.\"reportingYear\", 'units', c.\"units\")"
			"  || CASE b.kind WHEN 'annual_nal'"
			"   THEN jsonb_build_object('average', c.\"average\", 'annualNal', c.\"annualNal\","
			"    'resultCount', c.\"resultCount\")"
			"   ELSE jsonb_build_object('instantCount', c.\"instantCount\") END"
			"  ORDER BY b.p, b.k, b.y, b.kind)"
			" FROM unnest($1, $2, $3, $4) AS b(p, k, y, kind),"
			"  LATERAL (SELECT * FROM %s c WHERE c.\"facilityPlaceId\" = b.p"
			"   AND c.\"pollutantKey\" = b.k AND c.\"permitYear\" + 0 = b.y OFFSET 0) c"
			" WHERE CASE b.kind WHEN 'annual_nal' THEN c.\"annualExceeded\""
			"  ELSE c.\"instantExceeded\" END) || $5)",
			nsp, compliance),
										  lengthof(types), types);
	}
	plans_nspid = cache->nspid;
}

/*
 * Runs one of the plans above.  Under REPEATABLE READ or SERIALIZABLE the
 * rows are read in the latest snapshot, as PostgreSQL's foreign-key checks
 * read theirs: the facility's lock makes a writer wait for the previous one,
 * whose rows the transaction's own snapshot would not see; and a row that
 * such a writer changed, and that this one changes too, raises a
 * serialization failure (the transaction's snapshot as the crosscheck).
 */
static void
run(SPIPlanPtr plan, Datum *args, const char *nulls, int expected)
{
	viol_execute_kept(plan, args, nulls, true, expected, "keeping compliance");
}

/* The key of a row as apply_deltas matches them: facility, year, pollutant. */
static void
row_key(VStrKey *key, HeapTuple tup, TupleDesc desc)
{
	bool		isnull;
	int32		place = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
	int32		year = DatumGetInt32(SPI_getbinval(tup, desc, 4, &isnull));
	char	   *pollutant = SPI_getvalue(tup, desc, 3);
	char	   *s = psprintf("%d/%d/%s", place, year, pollutant);

	key->str = s;
	key->len = strlen(s);
}

/* A bool column of an SPI row; false when null. */
static bool
spi_bool(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return !isnull && DatumGetBool(d);
}

/*
 * How the rows returned by the triggers' upsert were: an inserted row was
 * not there; an updated one was its values less its delta (the NAL is the
 * same).  An inserted row counts for the levels only if its pair has left
 * Baseline: one query for those pairs.
 */
static void
before_from_after(VRefCache *cache, HTAB *before, SPITupleTable *rows, uint64 nrows)
{
	TupleDesc	desc = rows->tupdesc;
	Datum	   *places = palloc(sizeof(Datum) * Max(nrows, 1));
	Datum	   *pollutants = palloc(sizeof(Datum) * Max(nrows, 1));
	VRowChange **inserted = palloc(sizeof(VRowChange *) * Max(nrows, 1));
	char	  **pairs = palloc(sizeof(char *) * Max(nrows, 1));
	int			ninserted = 0;
	uint64		r;

	for (r = 0; r < nrows; r++)
	{
		HeapTuple	tup = rows->vals[r];
		VStrKey		key;
		VRowChange *rc;
		bool		isnull;

		row_key(&key, tup, desc);
		rc = hash_search(before, &key, HASH_FIND, NULL);
		if (rc == NULL)
			elog(ERROR, "violations: compliance row %s was written without a delta", key.str);
		rc->leftBaseline = false;
		if (spi_bool(tup, desc, 10))
		{
			rc->found = rc->wasAnnual = rc->wasInstant = false;
			places[ninserted] = SPI_getbinval(tup, desc, 2, &isnull);
			pollutants[ninserted] = CStringGetTextDatum(SPI_getvalue(tup, desc, 3));
			pairs[ninserted] = psprintf("%d/%s", DatumGetInt32(places[ninserted]),
										SPI_getvalue(tup, desc, 3));
			inserted[ninserted++] = rc;
		}
		else
		{
			int32		count = DatumGetInt32(SPI_getbinval(tup, desc, 11, &isnull)) - rc->dcount;
			Datum		sum = DirectFunctionCall2(numeric_sub,
												  SPI_getbinval(tup, desc, 12, &isnull),
												  rc->dsum);
			int32		instant = DatumGetInt32(SPI_getbinval(tup, desc, 13, &isnull)) -
				rc->dinstant;
			Datum		nal = SPI_getbinval(tup, desc, 14, &isnull);

			rc->found = true;
			rc->wasInstant = instant >= 2;
			rc->wasAnnual = !isnull && count > 0 &&
				DatumGetInt32(DirectFunctionCall2(numeric_cmp, sum,
												  DirectFunctionCall2(numeric_mul, nal,
																	  DirectFunctionCall1(int4_numeric,
																						  Int32GetDatum(count))))) > 0;
		}
	}
	if (ninserted > 0)
	{
		Datum		args[2];
		uint64		i;
		int			k;
		HTAB	   *left;

		args[0] = viol_make_array(places, NULL, ninserted, INT4OID);
		args[1] = viol_make_array(pollutants, NULL, ninserted, TEXTOID);
		run(left_plan, args, NULL, SPI_OK_SELECT);
		left = strkey_hash("violations pairs past Baseline", (long) SPI_processed,
						   sizeof(VStrKey), CurrentMemoryContext);
		for (i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			VStrKey		key;

			key.str = psprintf("%d/%s",
							   DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
														   SPI_tuptable->tupdesc, 1, &isnull)),
							   SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2));
			key.len = strlen(key.str);
			hash_search(left, &key, HASH_ENTER, NULL);
		}
		for (k = 0; k < ninserted; k++)
		{
			VStrKey		key;

			key.str = pairs[k];
			key.len = strlen(pairs[k]);
			inserted[k]->leftBaseline = hash_search(left, &key, HASH_FIND, NULL) != NULL;
		}
		hash_destroy(left);
		SPI_freetuptable(SPI_tuptable);
	}
}

/*
 * apply_deltas
 *		Adds deltas (args: ten arrays of one length, as
 *		violations_compliance_apply takes them) to their rows, and notes in
 *		levels the pairs whose levels to redo (a year's flags changed, or a
 *		year came or went) and the years whose flags changed, for
 *		levels_finish.  Returns the rows changed.
 *
 * Writers of one eSMR facility take turns from the first statement to
 * commit: its "ESMRFacility" row is locked, in key order, so no two
 * deadlock; FOR NO KEY UPDATE, so the foreign-key checks of new locations do
 * not wait.  Only then are the years read: in READ COMMITTED the next
 * statement's snapshot sees everything the previous holder committed.  (A
 * lock per facility, not per facility x pollutant: it costs no write of the
 * extension's own, which on a bulk load is most of the price.)  The common
 * case, a year that was there and keeps its flags, costs the two
 * statements; the plans are generic and kept.
 */
static uint64
apply_deltas(VRefCache *cache, Datum *args, VLevels *levels, int ndeltas, Datum **deltas)
{
	SPITupleTable *rows;
	uint64		nrows;
	uint64		r;
	HTAB	   *before;
	int			nempty = 0;
	Datum	   *emptied;
	uint64		changed = 0;

	prepare_plans(cache);

	/*
	 * Many rows: have the kept plans made afresh for the tables' sizes now.
	 * A plan made while "ViolationEraStatus" or "ViolationCompliance" was
	 * empty reads it whole for each key (measured: 5 s per chunk of 20,000
	 * keys at 1.2M samples); as for the foreign-key checks (aggregate.c),
	 * the invalidation is processed before the next statement.
	 */
	if (ndeltas >= VIOL_REPLAN_FK_ROWS)
	{
		CacheInvalidateRelcacheByRelid(get_relname_relid("ViolationCompliance", cache->nspid));
		CacheInvalidateRelcacheByRelid(get_relname_relid("ViolationEraStatus", cache->nspid));
	}
	run(lock_plan, args, NULL, SPI_OK_SELECT);
	SPI_freetuptable(SPI_tuptable);

	before = strkey_hash("violations compliance rows", ndeltas, sizeof(VRowChange),
						 CurrentMemoryContext);
	if (deltas == NULL)
	{
		run(step_plan, args, NULL, SPI_OK_SELECT);
		rows = SPI_tuptable;
		nrows = SPI_processed;
	}
	else
	{
		for (r = 0; r < (uint64) ndeltas; r++)
		{
			char	   *str = psprintf("%d/%d/%s", DatumGetInt32(deltas[0][r]),
									   DatumGetInt32(deltas[2][r]),
									   TextDatumGetCString(deltas[1][r]));
			VStrKey		key;
			VRowChange *rc;

			key.str = str;
			key.len = strlen(str);
			rc = hash_search(before, &key, HASH_ENTER, NULL);
			rc->dcount = DatumGetInt32(deltas[6][r]);
			rc->dsum = deltas[7][r];
			rc->dinstant = DatumGetInt32(deltas[9][r]);
		}
		run(light_plan, args, NULL, SPI_OK_INSERT_RETURNING);
		rows = SPI_tuptable;
		nrows = SPI_processed;
		before_from_after(cache, before, rows, nrows);
	}
	emptied = palloc(sizeof(Datum) * Max(nrows, 1));

	/* the rows before, then each row after against its before */
	for (r = 0; r < nrows; r++)
	{
		HeapTuple	tup = rows->vals[r];
		TupleDesc	desc = rows->tupdesc;
		VStrKey		key;
		VRowChange *rc;
		bool		found;
		bool		annual;
		bool		instant;
		bool		empty;
		bool		isnull;

		row_key(&key, tup, desc);
		if (!spi_bool(tup, desc, 1))
		{
			rc = hash_search(before, &key, HASH_ENTER, &found);
			rc->found = spi_bool(tup, desc, 7);
			rc->wasAnnual = spi_bool(tup, desc, 5);
			rc->wasInstant = spi_bool(tup, desc, 6);
			rc->leftBaseline = spi_bool(tup, desc, 8);
			continue;
		}
		changed++;
		rc = hash_search(before, &key, HASH_FIND, NULL);
		if (rc == NULL)
			elog(ERROR, "violations: compliance row %s was written but not read", key.str);
		annual = spi_bool(tup, desc, 5);
		instant = spi_bool(tup, desc, 6);
		empty = spi_bool(tup, desc, 7);
		if (empty)
			emptied[nempty++] = datumCopy(SPI_getbinval(tup, desc, 9, &isnull), false,
										  sizeof(ItemPointerData));
		if (empty || annual != rc->wasAnnual || instant != rc->wasInstant ||
			(!rc->found && rc->leftBaseline))
			levels_add_pair(levels, SPI_getbinval(tup, desc, 2, &isnull),
							SPI_getvalue(tup, desc, 3));
		if (annual != rc->wasAnnual || instant != rc->wasInstant)
			levels_add_year(levels, SPI_getbinval(tup, desc, 2, &isnull),
							SPI_getvalue(tup, desc, 3), SPI_getbinval(tup, desc, 4, &isnull),
							rc->wasAnnual, rc->wasInstant);
	}

	/*
	 * And again after a large upsert: the statements below and
	 * levels_finish read the rows it wrote, and a plan made before, on a
	 * table still empty (a first load, the backfill's recount), would read
	 * the table whole for each pair.
	 */
	if (changed >= VIOL_REPLAN_FK_ROWS)
		CacheInvalidateRelcacheByRelid(get_relname_relid("ViolationCompliance", cache->nspid));
	if (nempty > 0)
	{
		Datum		darg = viol_make_array(emptied, NULL, nempty, TIDOID);

		run(delete_plan, &darg, NULL, SPI_OK_DELETE);
	}
	SPI_freetuptable(rows);
	hash_destroy(before);
	return changed;
}

/* Orders deltas as the primary key does: place, pollutant, year. */
static int
delta_cmp(const void *a, const void *b)
{
	const VComplianceDelta *x = *(VComplianceDelta *const *) a;
	const VComplianceDelta *y = *(VComplianceDelta *const *) b;
	int			r;

	if (x->key.facilityPlaceId != y->key.facilityPlaceId)
		return x->key.facilityPlaceId < y->key.facilityPlaceId ? -1 : 1;
	r = strcmp(x->key.anchor->pollutantKey, y->key.anchor->pollutantKey);
	if (r != 0)
		return r;
	if (x->key.permitYear != y->key.permitYear)
		return x->key.permitYear < y->key.permitYear ? -1 : 1;
	return 0;
}

/*
 * Applies n deltas, given in key order: each upsert then lands next to the
 * one before it in the primary key's index and mostly in the heap pages its
 * predecessors read, where hash order made every probe and index insert a
 * random one (measured: the upsert's index work per row 2.6 times as costly
 * at 1.2M samples as at 200,000).  Allocates in c->cxt.
 */
static void
apply_batch(VCompliance *c, VComplianceDelta **ds, int n)
{
	Datum	   *cols[10];
	bool	   *fid_nulls;
	bool	   *nal_nulls;
	Datum		args[10];
	int			i = 0;
	int			j;
	int			k;
	MemoryContext old;
	static const Oid elemtypes[10] = {INT4OID, TEXTOID, INT4OID, TEXTOID, TEXTOID, NUMERICOID,
		INT4OID, NUMERICOID, INT4OID, INT4OID};

	if (n == 0)
		return;
	old = MemoryContextSwitchTo(c->cxt);
	for (k = 0; k < 10; k++)
		cols[k] = palloc(sizeof(Datum) * n);
	fid_nulls = palloc(sizeof(bool) * n);
	nal_nulls = palloc(sizeof(bool) * n);
	for (j = 0; j < n; j++)
	{
		VComplianceDelta *d = ds[j];
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
		apply_deltas(c->cache, args, c->levels, i, cols);
	}
	MemoryContextSwitchTo(old);
	/* bounds what is left for the end (levels_finish can run any time) */
	if (levels_pending(c->levels) >= VIOL_COMPLIANCE_CHUNK)
		levels_finish(c->levels);
}

/* The statement's sort of spilled sums, in the pass's own context. */
static void
spill_begin(VCompliance *c)
{
	MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(c));
	TupleDesc	desc = CreateTemplateTupleDesc(SPILL_NATTS);
	AttrNumber	keys[] = {SPILL_PLACE, SPILL_POLLUTANT, SPILL_YEAR};
	Oid			ops[] = {Int4LessOperator, TextLessOperator, Int4LessOperator};

	/* C order, as delta_cmp sorts */
	Oid			colls[] = {InvalidOid, C_COLLATION_OID, InvalidOid};
	bool		nullsFirst[] = {false, false, false};

	TupleDescInitEntry(desc, SPILL_PLACE, "place", INT4OID, -1, 0);
	TupleDescInitEntry(desc, SPILL_POLLUTANT, "pollutant", TEXTOID, -1, 0);
	TupleDescInitEntry(desc, SPILL_YEAR, "year", INT4OID, -1, 0);
	TupleDescInitEntry(desc, SPILL_NAL, "nal", INT8OID, -1, 0);
	TupleDescInitEntry(desc, SPILL_FACILITY, "facility", TEXTOID, -1, 0);
	TupleDescInitEntry(desc, SPILL_COUNT, "count", INT4OID, -1, 0);
	TupleDescInitEntry(desc, SPILL_SUM, "sum", NUMERICOID, -1, 0);
	TupleDescInitEntry(desc, SPILL_NONDETECTS, "nondetects", INT4OID, -1, 0);
	TupleDescInitEntry(desc, SPILL_INSTANT, "instant", INT4OID, -1, 0);
	c->spill = tuplesort_begin_heap(desc, lengthof(keys), keys, ops, colls, nullsFirst,
									work_mem, NULL,
#if PG_VERSION_NUM >= 150000
									TUPLESORT_NONE
#else
									false
#endif
		);
	c->spillslot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	MemoryContextSwitchTo(old);
}

/*
 * Moves the sums held in memory to the statement's sort, which keeps them
 * within work_mem (spilling to disk past it), and starts a new set.  Applying
 * them here instead, a chunk at a time, upserted a key once for each chunk
 * it was seen in: in a load of 1.2M samples in no particular order, 617,000
 * upserts for 330,000 rows, so the cost per sample grew with the load.
 */
static void
compliance_spill(VCompliance *c)
{
	HASH_SEQ_STATUS seq;
	VComplianceDelta *d;
	TupleTableSlot *slot;
	MemoryContext old;

	if (c->spill == NULL)
		spill_begin(c);
	old = MemoryContextSwitchTo(c->cxt);
	slot = MakeSingleTupleTableSlot(c->spillslot->tts_tupleDescriptor, &TTSOpsVirtual);
	hash_seq_init(&seq, c->deltas);
	while ((d = hash_seq_search(&seq)) != NULL)
	{
		ExecClearTuple(slot);
		MemSet(slot->tts_isnull, false, sizeof(bool) * SPILL_NATTS);
		slot->tts_values[SPILL_PLACE - 1] = Int32GetDatum(d->key.facilityPlaceId);
		slot->tts_values[SPILL_POLLUTANT - 1] = CStringGetTextDatum(d->key.anchor->pollutantKey);
		slot->tts_values[SPILL_YEAR - 1] = Int32GetDatum(d->key.permitYear);
		slot->tts_values[SPILL_NAL - 1] = Int64GetDatum((int64) (uintptr_t) d->nal);
		slot->tts_isnull[SPILL_FACILITY - 1] = (d->facilityId == NULL);
		if (d->facilityId != NULL)
			slot->tts_values[SPILL_FACILITY - 1] = CStringGetTextDatum(d->facilityId);
		slot->tts_values[SPILL_COUNT - 1] = Int32GetDatum(d->count);
		slot->tts_values[SPILL_SUM - 1] = d->sum;
		slot->tts_values[SPILL_NONDETECTS - 1] = Int32GetDatum(d->nonDetects);
		slot->tts_values[SPILL_INSTANT - 1] = Int32GetDatum(d->instant);
		ExecStoreVirtualTuple(slot);
		tuplesort_puttupleslot(c->spill, slot);
	}
	ExecDropSingleTupleTableSlot(slot);
	MemoryContextSwitchTo(old);
	compliance_reset(c);
}

/*
 * Applies the spilled sums: sorted, the parts of a key come together and
 * are summed into one delta, and the deltas go in batches of a chunk, in
 * key order.
 */
static void
compliance_merge(VCompliance *c)
{
	TupleTableSlot *slot = c->spillslot;
	VComplianceDelta **batch = NULL;
	VComplianceDelta *d = NULL;
	int			n = 0;

	compliance_spill(c);
	tuplesort_performsort(c->spill);
	for (;;)
	{
		bool		more = tuplesort_gettupleslot(c->spill, true, false, slot, NULL);
		Datum	   *v = slot->tts_values;
		VComplianceKey key;
		VNal	   *nal = NULL;
		MemoryContext old;

		if (more)
		{
			slot_getallattrs(slot);
			nal = (VNal *) (uintptr_t) DatumGetInt64(v[SPILL_NAL - 1]);
			MemSet(&key, 0, sizeof(key));
			key.facilityPlaceId = DatumGetInt32(v[SPILL_PLACE - 1]);
			key.permitYear = DatumGetInt32(v[SPILL_YEAR - 1]);
			key.anchor = nal->anchor;
		}
		old = MemoryContextSwitchTo(c->cxt);
		if (more && d != NULL && memcmp(&key, &d->key, sizeof(key)) == 0)
		{
			/* another part of the same key */
			d->count += DatumGetInt32(v[SPILL_COUNT - 1]);
			d->sum = DirectFunctionCall2(numeric_add, d->sum, v[SPILL_SUM - 1]);
			d->nonDetects += DatumGetInt32(v[SPILL_NONDETECTS - 1]);
			d->instant += DatumGetInt32(v[SPILL_INSTANT - 1]);
			MemoryContextSwitchTo(old);
			continue;
		}
		MemoryContextSwitchTo(old);

		/* a new key or the end: apply a full batch, or the last one */
		if (d != NULL && (n == VIOL_COMPLIANCE_CHUNK || !more))
		{
			apply_batch(c, batch, n);
			compliance_reset(c);
			batch = NULL;
		}
		if (!more)
			break;
		old = MemoryContextSwitchTo(c->cxt);
		if (batch == NULL)
		{
			batch = palloc(sizeof(VComplianceDelta *) * VIOL_COMPLIANCE_CHUNK);
			n = 0;
		}
		d = palloc(sizeof(VComplianceDelta));
		d->key = key;
		d->nal = nal;
		d->facilityId = slot->tts_isnull[SPILL_FACILITY - 1] ? NULL :
			TextDatumGetCString(v[SPILL_FACILITY - 1]);
		d->count = DatumGetInt32(v[SPILL_COUNT - 1]);
		d->sum = datumCopy(v[SPILL_SUM - 1], false, -1);
		d->nonDetects = DatumGetInt32(v[SPILL_NONDETECTS - 1]);
		d->instant = DatumGetInt32(v[SPILL_INSTANT - 1]);
		batch[n++] = d;
		MemoryContextSwitchTo(old);
	}
	tuplesort_end(c->spill);
	c->spill = NULL;
	ExecDropSingleTupleTableSlot(c->spillslot);
	c->spillslot = NULL;
}

/*
 * Applies the deltas summed so far: those held in memory, or, in a
 * statement that spilled, everything it summed.
 */
static void
compliance_flush(VCompliance *c)
{
	long		n = hash_get_num_entries(c->deltas);
	HASH_SEQ_STATUS seq;
	VComplianceDelta *d;
	VComplianceDelta **sorted;
	int			j = 0;

	if (c->spill != NULL)
	{
		compliance_merge(c);
		return;
	}
	if (n == 0)
		return;
	sorted = MemoryContextAlloc(c->cxt, sizeof(VComplianceDelta *) * n);
	hash_seq_init(&seq, c->deltas);
	while ((d = hash_seq_search(&seq)) != NULL)
		sorted[j++] = d;
	qsort(sorted, n, sizeof(VComplianceDelta *), delta_cmp);
	apply_batch(c, sorted, n);
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
	if (qual == VQUAL_UNKNOWN || viol_date_problem(date) != VSKIP_COUNT)
		return;

	/* from here on in the sample's context: a stored numeric is detoasted */
	old = MemoryContextSwitchTo(c->rowcxt);
	if (hasResult && !viol_numeric_finite(result))
		goto done;
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
		compliance_spill(c);
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
	levels_finish(c->levels);
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

PG_FUNCTION_INFO_V1(violations_compliance_apply);

/*
 * violations_compliance_apply(place_ids int[], pollutants text[], years int[],
 *		facility_ids text[], units text[], nals numeric[], counts int[],
 *		sums numeric[], nondetects int[], instants int[], notify boolean)
 *		Adds deltas to their rows (apply_deltas), for
 *		violations_compliance_rebuild; returns the rows changed.
 */
Datum
violations_compliance_apply(PG_FUNCTION_ARGS)
{
	Oid			nspid = get_func_namespace(fcinfo->flinfo->fn_oid);
	Datum		args[10];
	VRefCache  *cache;
	VLevels    *levels;
	uint64		changed;
	int			i;

	for (i = 0; i < 10; i++)
	{
		if (PG_ARGISNULL(i))
			PG_RETURN_INT32(0);
		args[i] = PG_GETARG_DATUM(i);
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "violations_compliance_apply: SPI_connect failed");
	cache = viol_refcache_pin(nspid);
	levels = levels_create(CurrentMemoryContext,
						   !PG_ARGISNULL(10) && PG_GETARG_BOOL(10) && cache->alertCompliance);
	changed = apply_deltas(cache, args, levels, 0, NULL);
	levels_finish(levels);
	viol_refcache_unpin(cache);
	SPI_finish();
	PG_RETURN_INT32((int32) Min(changed, PG_INT32_MAX));
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

	ts = viol_materialize(fcinfo, "violations_compliance_recount", &desc);

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
