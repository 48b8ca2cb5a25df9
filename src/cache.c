/*-------------------------------------------------------------------------
 *
 * cache.c
 *	  Lookups that detection needs for every sample, kept in backend memory.
 *
 * Two caches, each invalidated through the relcache: the "reference" cache
 * (tracked parameters, their benchmarks, severity bands and settings) is
 * loaded whole, since it is small; the "location" cache (location -> eSMR
 * facility -> app Facility) is filled one location at a time, since an app
 * may know tens of thousands of locations.  Row changes do not invalidate a
 * relcache entry by themselves, so a statement-level trigger on each source
 * table (violations_invalidate) calls CacheInvalidateRelcacheByRelid(); the
 * callback registered here then marks the cache stale in every backend, at
 * the end of the changing command locally and at commit elsewhere.
 *
 * A stale cache is rebuilt at the next use, never inside the callback: a
 * callback can fire while a detection pass holds pointers into the cache.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/snapmgr.h"

#include "violations.h"

const char *const viol_severity_names[VSEV_COUNT] = {
	"LOW", "MODERATE", "HIGH", "CRITICAL"
};

/* Tables whose changes make each cache stale. */
static const char *const ref_tables[] = {
	"PollutantBenchmark", "ESMRParameter", "ViolationSettings", "ViolationSeverityBand"
};
static const char *const loc_tables[] = {"ESMRLocation", "Facility"};

static Oid	ref_relids[lengthof(ref_tables)];
static Oid	loc_relids[lengthof(loc_tables)];

static VRefCache *refcache = NULL;
static bool inval_during_build = false;

/* Caches replaced while pinned; freed by their last unpin or at transaction end. */
static List *retired = NIL;

static MemoryContext loc_cxt = NULL;
static HTAB *loc_hash = NULL;
static bool loc_stale = true;
static Oid	loc_nspid = InvalidOid;
static SPIPlanPtr loc_plan = NULL;

typedef struct VLocEntry
{
	int32		locationPlaceId;	/* hash key */
	bool		found;
	VFacility	facility;
} VLocEntry;

/* Hash of a VStrKey: the bytes it points at. */
uint32
viol_strkey_hash(const void *key, Size keysize)
{
	const VStrKey *k = (const VStrKey *) key;

	return hash_bytes((const unsigned char *) k->str, k->len);
}

/* Equality of two VStrKeys, as dynahash wants it: 0 when equal. */
int
viol_strkey_match(const void *key1, const void *key2, Size keysize)
{
	const VStrKey *a = (const VStrKey *) key1;
	const VStrKey *b = (const VStrKey *) key2;

	if (a->len != b->len)
		return 1;
	return memcmp(a->str, b->str, a->len);
}

/* "schema"."relname", both quoted as needed. */
char *
viol_qualified(const char *nspname, const char *relname)
{
	return psprintf("%s.%s", nspname, quote_identifier(relname));
}

/*
 * A plan prepared once and kept for the life of the backend.  Generic: the
 * plans take arrays whose sizes the planner cannot see anyway, and planning
 * anew at every execution would cost more than the execution of a few rows.
 */
SPIPlanPtr
viol_prepare_kept(const char *query, int nargs, Oid *argtypes)
{
	MemoryContext cxt = CurrentMemoryContext;
	SPIPlanPtr	plan = SPI_prepare_cursor(query, nargs, argtypes,
										  CURSOR_OPT_GENERIC_PLAN);

	/* back in the caller's context (see viol_execute_kept) */
	MemoryContextSwitchTo(cxt);
	if (plan == NULL)
		elog(ERROR, "violations: SPI_prepare failed for \"%s\": %s",
			 query, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "violations: SPI_keepplan failed");
	return plan;
}

/*
 * viol_execute_kept
 *		Runs a kept plan; errors unless SPI returns expected.  latest: under
 *		REPEATABLE READ or SERIALIZABLE, read in the latest snapshot with the
 *		transaction's as the crosscheck, as foreign-key checks do (see
 *		compliance.c).  Returns in the caller's memory context: SPI leaves
 *		the procedure's current, where what a statement-long trigger
 *		allocates after each call would stay until SPI_finish (about 360
 *		bytes a sample on a bulk load).
 */
void
viol_execute_kept(SPIPlanPtr plan, Datum *args, const char *nulls, bool latest,
				  int expected, const char *what)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			rc;

	if (latest && IsolationUsesXactSnapshot())
		rc = SPI_execute_snapshot(plan, args, nulls, GetLatestSnapshot(),
								  GetTransactionSnapshot(), false, true, 0);
	else
		rc = SPI_execute_plan(plan, args, nulls, false, 0);
	MemoryContextSwitchTo(cxt);
	if (rc != expected)
		elog(ERROR, "violations: %s failed: %s", what, SPI_result_code_string(rc));
}

/* Relcache callback: marks the caches that read relid stale. */
static void
viol_relcache_callback(Datum arg, Oid relid)
{
	int			i;

	for (i = 0; i < lengthof(ref_relids); i++)
	{
		if (relid == InvalidOid || relid == ref_relids[i])
		{
			if (refcache != NULL)
				refcache->stale = true;
			inval_during_build = true;
			break;
		}
	}
	for (i = 0; i < lengthof(loc_relids); i++)
	{
		if (relid == InvalidOid || relid == loc_relids[i])
		{
			loc_stale = true;
			break;
		}
	}
}

/*
 * Transaction end: no detection pass outlives its transaction, so pins that
 * an error left behind are dropped here, and retired caches freed.
 */
static void
viol_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT)
		return;
	if (refcache != NULL)
		refcache->pins = 0;
	foreach(lc, retired)
		MemoryContextDelete(((VRefCache *) lfirst(lc))->cxt);
	list_free(retired);
	retired = NIL;
}

/* Registers the invalidation and transaction callbacks; called once from _PG_init. */
void
viol_cache_register_callbacks(void)
{
	CacheRegisterRelcacheCallback(viol_relcache_callback, (Datum) 0);
	RegisterXactCallback(viol_xact_callback, NULL);
}

/* Resolves the relids that the callback watches, in schema nspid. */
static void
resolve_relids(Oid nspid)
{
	int			i;

	for (i = 0; i < lengthof(ref_tables); i++)
		ref_relids[i] = get_relname_relid(ref_tables[i], nspid);
	for (i = 0; i < lengthof(loc_tables); i++)
		loc_relids[i] = get_relname_relid(loc_tables[i], nspid);
}

/*
 * Runs a read-only query for the cache loaders; errors if it fails.
 *
 * It reads with the latest snapshot, not the transaction's: the cache
 * outlives the transaction, and an invalidation that arrived before the
 * statement's snapshot was taken must not be answered with older data (a
 * REPEATABLE READ transaction would otherwise cache what it saw at its start).
 */
static void
run_query(const char *query)
{
	SPIPlanPtr	plan = SPI_prepare(query, 0, NULL);
	int			rc;

	if (plan == NULL)
		elog(ERROR, "violations: SPI_prepare failed for \"%s\"", query);
	rc = SPI_execute_snapshot(plan, NULL, NULL, GetLatestSnapshot(), InvalidSnapshot,
							  true, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "violations: cache query failed: %s", SPI_result_code_string(rc));
	SPI_freeplan(plan);
}

/* The value of column col of row i of the last SPI result, as a C string. */
static char *
spi_string(int i, int col, MemoryContext cxt)
{
	char	   *s = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, col);

	return s ? MemoryContextStrdup(cxt, s) : NULL;
}

static VRefCache *refcache_load(MemoryContext cxt, Oid nspid);

/* Loads benchmarks, bands, settings and tracked parameters into a new cache. */
static VRefCache *
refcache_build(Oid nspid)
{
	MemoryContext cxt;
	VRefCache  *volatile cache = NULL;

	cxt = AllocSetContextCreate(TopMemoryContext, "violations reference cache",
								ALLOCSET_SMALL_SIZES);
	PG_TRY();
	{
		cache = refcache_load(cxt, nspid);
	}
	PG_CATCH();
	{
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return cache;
}

/*
 * The NAL benchmarks among a parameter's, or NULL: the annual one (the first
 * MAXIMUM ANNUAL_AVERAGE NAL by id) and the instantaneous ones.  The anchor,
 * whose units the sums are kept in, is the annual one, else the first
 * instantaneous one; parameters of one pollutant share their benchmarks, so
 * they get the same anchor.
 */
static VNal *
nal_of(MemoryContext cxt, VParameter *p)
{
	VNal	   *nal = NULL;
	int			i;

	for (i = 0; i < p->nbenchmarks; i++)
	{
		VBenchmark *b = p->benchmarks[i];

		if (strcmp(b->typeName, "NAL") != 0 || (b->isAnnual && b->isMinimum))
			continue;
		if (nal == NULL)
		{
			nal = MemoryContextAllocZero(cxt, sizeof(VNal));
			nal->instant = MemoryContextAlloc(cxt, sizeof(VBenchmark *) * p->nbenchmarks);
		}
		if (!b->isAnnual)
			nal->instant[nal->ninstant++] = b;
		else if (nal->annual == NULL)
			nal->annual = b;
	}
	if (nal != NULL)
		nal->anchor = nal->annual ? nal->annual : nal->instant[0];
	return nal;
}

/* Reads the reference tables of schema nspid into a cache allocated in cxt. */
static VRefCache *
refcache_load(MemoryContext cxt, Oid nspid)
{
	MemoryContext old;
	VRefCache  *cache;
	char	   *nsp;
	StringInfoData q;
	VBenchmark *benchmarks;
	int			nbench;
	int			nbands;
	char	  **band_type;
	VBand	   *bands;
	int			i;
	int			j;
	HASHCTL		ctl;

	cache = MemoryContextAllocZero(cxt, sizeof(VRefCache));
	cache->cxt = cxt;
	cache->nspid = nspid;
	nsp = get_namespace_name(nspid);
	if (nsp == NULL)
		elog(ERROR, "violations: schema %u does not exist", nspid);
	cache->nspname = MemoryContextStrdup(cxt, quote_identifier(nsp));
	resolve_relids(nspid);

	initStringInfo(&q);

	/*
	 * Settings; defaults when the row is missing.  The columns of 1.2 are
	 * read through jsonb, so that this library also serves a schema not
	 * updated yet (between installing it and ALTER EXTENSION UPDATE).
	 */
	cache->startMonth = 1;
	cache->evaluateDnq = false;
	cache->nonDetects = VND_ZERO;
	cache->alertSeverity = -1;
	appendStringInfo(&q, "SELECT s.\"reportingYearStartMonth\", s.\"evaluateDnq\","
					 " s.j ->> 'nonDetects', s.j ->> 'alertSeverity', s.j ->> 'alertCompliance',"
					 " pg_catalog.to_regclass('%s') IS NOT NULL"
					 " FROM (SELECT 1) AS one"
					 " LEFT JOIN (SELECT x.*, pg_catalog.to_jsonb(x) AS j FROM %s x) s ON true",
					 viol_qualified(cache->nspname, "ViolationCompliance"),
					 viol_qualified(cache->nspname, "ViolationSettings"));
	run_query(q.data);
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;
		char	   *label;

		d = SPI_getbinval(tup, desc, 1, &isnull);
		if (!isnull)
			cache->startMonth = DatumGetInt32(d);
		d = SPI_getbinval(tup, desc, 2, &isnull);
		if (!isnull)
			cache->evaluateDnq = DatumGetBool(d);
		label = SPI_getvalue(tup, desc, 3);
		if (label != NULL)
		{
			static const char *const nd_labels[] = {"ZERO", "HALF_MDL", "MDL", "EXCLUDE"};

			for (i = 0; i < lengthof(nd_labels); i++)
				if (strcmp(label, nd_labels[i]) == 0)
					cache->nonDetects = (VNonDetect) i;
		}
		label = SPI_getvalue(tup, desc, 4);
		if (label != NULL)
			for (i = 0; i < VSEV_COUNT; i++)
				if (strcmp(label, viol_severity_names[i]) == 0)
					cache->alertSeverity = i;
		label = SPI_getvalue(tup, desc, 5);
		cache->alertCompliance = (label == NULL || strcmp(label, "false") != 0);
		cache->compliance = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
	}

	/* severity bands, highest minRatio first within each type */
	resetStringInfo(&q);
	appendStringInfo(&q, "SELECT \"benchmarkType\"::text, \"minRatio\", \"severity\"::text"
					 " FROM %s ORDER BY 1, 2 DESC",
					 viol_qualified(cache->nspname, "ViolationSeverityBand"));
	run_query(q.data);
	nbands = (int) SPI_processed;
	band_type = MemoryContextAlloc(cxt, sizeof(char *) * (nbands + 1));
	bands = MemoryContextAlloc(cxt, sizeof(VBand) * (nbands + 1));
	for (i = 0; i < nbands; i++)
	{
		bool		isnull;
		char	   *sev = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3);

		band_type[i] = spi_string(i, 1, cxt);
		old = MemoryContextSwitchTo(cxt);
		bands[i].minRatio = datumCopy(SPI_getbinval(SPI_tuptable->vals[i],
													SPI_tuptable->tupdesc, 2, &isnull),
									  false, -1);
		MemoryContextSwitchTo(old);
		bands[i].severity = VSEV_MODERATE;
		for (j = 0; j < VSEV_COUNT; j++)
			if (strcmp(sev, viol_severity_names[j]) == 0)
				bands[i].severity = j;
	}

	/* benchmarks */
	resetStringInfo(&q);
	appendStringInfo(&q, "SELECT \"id\", \"pollutantKey\", \"benchmarkType\"::text,"
					 " \"limit\"::text, \"value\", \"units\", \"period\"::text"
					 " FROM %s ORDER BY \"id\"",
					 viol_qualified(cache->nspname, "PollutantBenchmark"));
	run_query(q.data);
	nbench = (int) SPI_processed;
	benchmarks = MemoryContextAllocZero(cxt, sizeof(VBenchmark) * (nbench + 1));
	for (i = 0; i < nbench; i++)
	{
		VBenchmark *b = &benchmarks[i];
		bool		isnull;
		char	   *limit = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 4);
		Datum		value = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 5,
										  &isnull);

		b->id = spi_string(i, 1, cxt);
		b->pollutantKey = spi_string(i, 2, cxt);
		b->typeName = spi_string(i, 3, cxt);
		b->isMinimum = (strcmp(limit, "MINIMUM") == 0);
		b->isAnnual = (strcmp(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 7),
							  "ANNUAL_AVERAGE") == 0);
		old = MemoryContextSwitchTo(cxt);
		b->value = datumCopy(value, false, -1);
		MemoryContextSwitchTo(old);
		b->valuePositive = !numeric_is_nan(DatumGetNumeric(b->value)) &&
			DatumGetInt32(DirectFunctionCall2(numeric_cmp, b->value,
											  DirectFunctionCall1(int4_numeric,
																  Int32GetDatum(0)))) > 0;
		b->units = spi_string(i, 6, cxt);
		old = MemoryContextSwitchTo(cxt);
		viol_parse_units(b->units, strlen(b->units), &b->unit);
		MemoryContextSwitchTo(old);
		for (j = 0; j < nbands; j++)
		{
			if (strcmp(band_type[j], b->typeName) != 0)
				continue;
			if (b->nbands == 0)
				b->bands = &bands[j];
			b->nbands++;
		}
	}

	/* tracked parameters, each with the benchmarks of its canonicalKey */
	resetStringInfo(&q);
	appendStringInfo(&q, "SELECT \"id\", \"canonicalKey\" FROM %s"
					 " WHERE \"canonicalKey\" IS NOT NULL",
					 viol_qualified(cache->nspname, "ESMRParameter"));
	run_query(q.data);
	MemSet(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(VStrKey);
	ctl.entrysize = sizeof(VParameter);
	ctl.hash = viol_strkey_hash;
	ctl.match = viol_strkey_match;
	ctl.hcxt = cxt;
	cache->parameters = hash_create("violations parameters",
									Max(64, (long) SPI_processed), &ctl,
									HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	for (i = 0; i < (int) SPI_processed; i++)
	{
		char	   *id = spi_string(i, 1, cxt);
		char	   *key = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		VStrKey		k;
		VParameter *p;
		bool		found;

		k.str = id;
		k.len = strlen(id);
		p = hash_search(cache->parameters, &k, HASH_ENTER, &found);
		p->key = k;
		p->nbenchmarks = 0;
		p->benchmarks = MemoryContextAlloc(cxt, sizeof(VBenchmark *) * (nbench + 1));
		for (j = 0; j < nbench; j++)
			if (strcmp(benchmarks[j].pollutantKey, key) == 0)
				p->benchmarks[p->nbenchmarks++] = &benchmarks[j];
		p->nal = nal_of(cxt, p);
	}

	pfree(q.data);
	return cache;
}

/*
 * viol_refcache_pin
 *		The current reference cache of schema nspid, built if missing or
 *		stale, and pinned until viol_refcache_unpin.  Must run inside SPI.
 */
VRefCache *
viol_refcache_pin(Oid nspid)
{
	if (refcache != NULL && (refcache->stale || refcache->nspid != nspid))
	{
		VRefCache  *old = refcache;

		refcache = NULL;
		if (old->pins == 0)
			MemoryContextDelete(old->cxt);
		else
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(TopMemoryContext);

			old->stale = true;
			retired = lappend(retired, old);
			MemoryContextSwitchTo(oldcxt);
		}
	}
	if (refcache == NULL)
	{
		inval_during_build = false;
		refcache = refcache_build(nspid);
		/* a change that committed while we read: use this, rebuild next time */
		refcache->stale = inval_during_build;
	}
	refcache->pins++;
	return refcache;
}

/* Releases a pin; frees a cache that was replaced meanwhile. */
void
viol_refcache_unpin(VRefCache *cache)
{
	Assert(cache->pins > 0);
	cache->pins--;
	if (cache->pins == 0 && cache != refcache)
	{
		retired = list_delete_ptr(retired, cache);
		MemoryContextDelete(cache->cxt);
	}
}

/* The tracked parameter with this id, or NULL when it is not tracked. */
VParameter *
viol_lookup_parameter(VRefCache *cache, const char *id, int len)
{
	VStrKey		k;

	k.str = id;
	k.len = len;
	return (VParameter *) hash_search(cache->parameters, &k, HASH_FIND, NULL);
}

/*
 * viol_lookup_location
 *		The eSMR facility of a location and the app Facility linked to it,
 *		or NULL for a location that does not exist.  Must run inside SPI.
 *
 * The result is valid until the next call.
 */
VFacility *
viol_lookup_location(VRefCache *cache, int32 locationPlaceId)
{
	VLocEntry  *entry;
	bool		found;
	Datum		arg;
	int			rc;
	MemoryContext cxt = CurrentMemoryContext;

	if (loc_stale || loc_nspid != cache->nspid)
	{
		if (loc_cxt != NULL)
			MemoryContextDelete(loc_cxt);
		loc_cxt = AllocSetContextCreate(TopMemoryContext, "violations location cache",
										ALLOCSET_DEFAULT_SIZES);
		{
			HASHCTL		ctl;

			MemSet(&ctl, 0, sizeof(ctl));
			ctl.keysize = sizeof(int32);
			ctl.entrysize = sizeof(VLocEntry);
			ctl.hcxt = loc_cxt;
			loc_hash = hash_create("violations locations", 1024, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		}
		if (loc_nspid != cache->nspid && loc_plan != NULL)
		{
			SPI_freeplan(loc_plan);
			loc_plan = NULL;
		}
		loc_nspid = cache->nspid;
		loc_stale = false;
	}

	entry = hash_search(loc_hash, &locationPlaceId, HASH_FIND, NULL);
	if (entry != NULL)
		return entry->found ? &entry->facility : NULL;

	if (loc_plan == NULL)
	{
		Oid			argtype = INT4OID;
		char	   *query;

		query = psprintf("SELECT l.\"facilityPlaceId\", f.\"id\", f.\"impairedWater\""
						 " FROM %s l LEFT JOIN %s f ON f.\"esmrFacilityId\" = l.\"facilityPlaceId\""
						 " WHERE l.\"locationPlaceId\" = $1",
						 viol_qualified(cache->nspname, "ESMRLocation"),
						 viol_qualified(cache->nspname, "Facility"));
		loc_plan = viol_prepare_kept(query, 1, &argtype);
		pfree(query);
	}
	arg = Int32GetDatum(locationPlaceId);
	/* the latest snapshot, for the reason given at run_query */
	rc = SPI_execute_snapshot(loc_plan, &arg, NULL, GetLatestSnapshot(), InvalidSnapshot,
							  true, false, 1);
	/* back in the caller's context (see viol_execute_kept) */
	MemoryContextSwitchTo(cxt);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "violations: location lookup failed: %s", SPI_result_code_string(rc));

	entry = hash_search(loc_hash, &locationPlaceId, HASH_ENTER, &found);
	entry->found = (SPI_processed > 0);
	if (entry->found)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		entry->facility.facilityPlaceId =
			DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
		(void) SPI_getbinval(tup, desc, 2, &isnull);
		entry->facility.linked = !isnull;
		entry->facility.facilityId = isnull ? NULL : spi_string(0, 2, loc_cxt);
		entry->facility.impairedWater =
			!isnull && DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
	return entry->found ? &entry->facility : NULL;
}
