/*-------------------------------------------------------------------------
 *
 * violations.h
 *	  Shared declarations of the violations extension.
 *
 * The extension evaluates eSMR samples against regulatory benchmarks.  Its
 * source is split by role:
 *
 *	violations.c	entry points (triggers, SQL-callable functions)
 *	units.c			unit normalisation and conversion
 *	cache.c			benchmark, parameter, location and facility lookups
 *					kept in backend memory
 *	evaluate.c		the detection rules for one sample
 *	aggregate.c		writing violations and maintaining the aggregates
 *	compliance.c	the permit's rules over a reporting year (sums, counts)
 *	backfill.c		evaluating samples stored before the extension
 *	reevaluate.c	evaluating stored samples again after a change
 *	status.c		the status workflow
 *
 *-------------------------------------------------------------------------
 */
#ifndef VIOLATIONS_H
#define VIOLATIONS_H

#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "executor/tuptable.h"
#include "utils/date.h"
#include "utils/hsearch.h"
#include "utils/tuplestore.h"

/* ----------------------------------------------------------------
 *		violations.c
 * ----------------------------------------------------------------
 */

extern Tuplestorestate *viol_materialize(FunctionCallInfo fcinfo, const char *name,
										 TupleDesc *desc);

/* ----------------------------------------------------------------
 *		units.c
 * ----------------------------------------------------------------
 */

typedef enum VUnitFamily
{
	VUNIT_OTHER,				/* converts only to the identical string */
	VUNIT_MASS_CONC,			/* g/L and its decimal prefixes, ppm, ppb */
	VUNIT_PH					/* SU, S.U., pH units, pH, std units */
} VUnitFamily;

typedef struct VUnit
{
	VUnitFamily family;
	int			exponent;		/* VUNIT_MASS_CONC: power of ten of g/L */
	char	   *norm;			/* normalised spelling, palloc'd */
} VUnit;

extern void viol_parse_units(const char *s, int len, VUnit *unit);
extern bool viol_unit_factor(const VUnit *from, const VUnit *to, int *exponent);
extern Datum viol_scale_numeric(Datum value, int exponent);

/* ----------------------------------------------------------------
 *		cache.c
 * ----------------------------------------------------------------
 */

#define VSEV_LOW		0
#define VSEV_MODERATE	1
#define VSEV_HIGH		2
#define VSEV_CRITICAL	3
#define VSEV_COUNT		4

#define VSTATUS_OPEN		0
#define VSTATUS_DISMISSED	3

extern const char *const viol_severity_names[VSEV_COUNT];

/* A severity band: a ratio above minRatio earns severity. */
typedef struct VBand
{
	Datum		minRatio;		/* numeric */
	int			severity;
} VBand;

/* One PollutantBenchmark row, with what evaluating against it needs. */
typedef struct VBenchmark
{
	char	   *id;
	char	   *pollutantKey;
	char	   *typeName;		/* BenchmarkType label: NAL, MCL, CMC, CCC */
	bool		isMinimum;		/* BenchmarkLimit MINIMUM */
	bool		isAnnual;		/* BenchmarkPeriod ANNUAL_AVERAGE */
	Datum		value;			/* numeric */
	bool		valuePositive;	/* value > 0; others are ignored and logged */
	char	   *units;			/* as the benchmark spells them */
	VUnit		unit;
	int			nbands;			/* bands of its type, highest minRatio first */
	VBand	   *bands;
} VBenchmark;

/* A dynahash key for strings of any length that are not NUL-terminated. */
typedef struct VStrKey
{
	const char *str;
	int			len;
} VStrKey;

extern uint32 viol_strkey_hash(const void *key, Size keysize);
extern int	viol_strkey_match(const void *key1, const void *key2, Size keysize);

/*
 * The NAL benchmarks of a pollutant, for the permit's rules over a reporting
 * year (compliance.c).
 */
typedef struct VNal
{
	VBenchmark *anchor;			/* gives the units of the sums; the same for
								 * every parameter of the pollutant */
	VBenchmark *annual;			/* annual-average NAL, or NULL */
	int			ninstant;
	VBenchmark **instant;		/* instantaneous maximum (or minimum) NALs */
} VNal;

/* The benchmarks one tracked ESMRParameter is evaluated against. */
typedef struct VParameter
{
	VStrKey		key;			/* ESMRParameter.id */
	int			nbenchmarks;
	VBenchmark **benchmarks;
	VNal	   *nal;			/* NULL: its pollutant has no NAL */
} VParameter;

/* How a non-detect enters an average: the labels of "ViolationNonDetect". */
typedef enum VNonDetect
{
	VND_ZERO,
	VND_HALF_MDL,
	VND_MDL,
	VND_EXCLUDE
} VNonDetect;

/* The reference data of one detection pass, pinned while in use. */
typedef struct VRefCache
{
	MemoryContext cxt;
	Oid			nspid;			/* schema of the app's and the extension's tables */
	char	   *nspname;		/* quoted, for building queries */
	HTAB	   *parameters;		/* VParameter by id */
	int			startMonth;		/* reporting year starts in this month */
	bool		evaluateDnq;
	bool		compliance;		/* the schema has the compliance tables (1.2) */
	VNonDetect	nonDetects;
	int			alertSeverity;	/* announce violations this severe; -1: none */
	bool		alertCompliance;	/* announce NAL exceedances and level rises */
	int			pins;
	bool		stale;
} VRefCache;

/* Where a sample's location belongs. */
typedef struct VFacility
{
	int32		facilityPlaceId;
	bool		linked;			/* a Facility has esmrFacilityId = this place */
	char	   *facilityId;
	bool		impairedWater;
} VFacility;

extern VRefCache *viol_refcache_pin(Oid nspid);
extern void viol_refcache_unpin(VRefCache *cache);
extern VParameter *viol_lookup_parameter(VRefCache *cache, const char *id, int len);
extern VFacility *viol_lookup_location(VRefCache *cache, int32 locationPlaceId);
extern void viol_cache_register_callbacks(void);
extern char *viol_qualified(const char *nspname, const char *relname);
extern SPIPlanPtr viol_prepare_kept(const char *query, int nargs, Oid *argtypes);
extern void viol_execute_kept(SPIPlanPtr plan, Datum *args, const char *nulls, bool latest,
							  int expected, const char *what);

/* ----------------------------------------------------------------
 *		evaluate.c
 * ----------------------------------------------------------------
 */

/* The qualifiers of ESMRQualifier, in the order the enum declares them. */
typedef enum VQualifier
{
	VQUAL_EQ,					/* = */
	VQUAL_LT,					/* < */
	VQUAL_LE,					/* <= */
	VQUAL_GT,					/* > */
	VQUAL_GE,					/* >= */
	VQUAL_ND,					/* ND */
	VQUAL_DNQ,					/* DNQ */
	VQUAL_UNKNOWN
} VQualifier;

/* The columns of an ESMRSample row that detection reads. */
typedef struct VSampleAttrs
{
	AttrNumber	id;
	AttrNumber	locationPlaceId;
	AttrNumber	parameterId;
	AttrNumber	samplingDate;
	AttrNumber	qualifier;
	AttrNumber	result;
	AttrNumber	units;
	AttrNumber	mdl;
	AttrNumber	maxattr;
	Oid			qualifierType;
	Oid			qualifierOids[VQUAL_UNKNOWN];	/* pg_enum oid of each label */
} VSampleAttrs;

/* Why a sample could not be evaluated against a benchmark. */
typedef enum VSkipReason
{
	VSKIP_UNITS,				/* sample units do not convert */
	VSKIP_BENCHMARK_VALUE,		/* benchmark value <= 0 */
	VSKIP_NAN,					/* result is NaN or infinite */
	VSKIP_NONPOSITIVE,			/* MINIMUM benchmark, result <= 0 */
	VSKIP_DATE,					/* sampling date is infinite */
	VSKIP_DATE_RANGE,			/* sampling date with no month a timestamp holds */
	VSKIP_COUNT
} VSkipReason;

/* How a result compares with one benchmark (viol_judge). */
typedef enum VJudgement
{
	VJUDGE_NOT_APPLICABLE,		/* e.g. ">" against a MINIMUM */
	VJUDGE_WITHIN,
	VJUDGE_EXCEEDS,
	VJUDGE_SKIP					/* cannot be evaluated: see the reason */
} VJudgement;

/* rows in one write from which the foreign-key checks are planned afresh */
#define VIOL_REPLAN_FK_ROWS	1000

/* Julian day of 4714-12-01 BC, the first date whose month's first day is a date */
#define VIOL_FIRST_MONTH_JULIAN	7

extern const char *const viol_skip_names[VSKIP_COUNT];

typedef struct VDetectState VDetectState;
typedef struct VWriter VWriter;

extern void viol_sample_attrs(VSampleAttrs *attrs, TupleDesc tupdesc);
extern VQualifier viol_qualifier_of(const VSampleAttrs *attrs, Oid label);
extern bool viol_qualifier_evaluated(VQualifier qual, bool evaluateDnq);
extern bool viol_numeric_finite(Datum n);
extern VSkipReason viol_date_problem(DateADT date);
extern VParameter *viol_sample_parameter(VRefCache *cache, const VSampleAttrs *attrs,
										 TupleTableSlot *slot);
extern VJudgement viol_judge(const VBenchmark *b, VQualifier qual, Datum result,
							 const VUnit *unit, Datum *measured, VSkipReason *reason);
extern int	viol_year_start(DateADT date, int startMonth);
extern void viol_detect_compliance(VDetectState *state);
extern VDetectState *viol_detect_begin(Oid nspid, TupleDesc tupdesc, bool backfill);
extern int	viol_detect_sample(VDetectState *state, TupleTableSlot *slot);
extern int64 viol_detect_end(VDetectState *state);
extern char *viol_reporting_year(DateADT date, int startMonth);
extern VWriter *viol_detect_writer(VDetectState *state);

/* ----------------------------------------------------------------
 *		aggregate.c
 * ----------------------------------------------------------------
 */

/* One exceedance found by evaluate.c, waiting to be written. */
typedef struct VViolation
{
	Datum		sampleId;		/* text */
	VBenchmark *benchmark;
	struct VEventDelta *event;
	DateADT		detectedAt;
	Datum		measured;		/* numeric, in the benchmark's units */
	Datum		ratio;			/* numeric, 4 decimal places */
	int			severity;
} VViolation;

extern VWriter *viol_writer_create(VRefCache *cache, MemoryContext parent,
									bool backfill);
extern void viol_writer_add(VWriter *writer, Datum sampleId, VBenchmark *benchmark,
							VFacility *facility, DateADT detectedAt,
							Datum measured, Datum ratio, int severity);
extern void viol_writer_skip(VWriter *writer, VSkipReason reason,
							 VBenchmark *benchmark, const char *sampleUnits,
							 Datum sampleId);
extern void viol_writer_collect(VWriter *writer, Tuplestorestate *ts, TupleDesc desc);
extern int64 viol_writer_finish(VWriter *writer);
extern Datum viol_make_array(Datum *elems, bool *nulls, int n, Oid elemtype);

/* ----------------------------------------------------------------
 *		compliance.c
 * ----------------------------------------------------------------
 */

typedef struct VCompliance VCompliance;

extern VCompliance *viol_compliance_begin(VRefCache *cache, bool notify);
extern void viol_compliance_sample(VCompliance *c, const VSampleAttrs *attrs,
								   TupleTableSlot *slot, VParameter *param, int sign);
extern void viol_compliance_rows(VCompliance *c, Tuplestorestate *rows, TupleDesc desc,
								 int sign);
extern void viol_compliance_end(VCompliance *c);
extern bool viol_compliance_exists(Oid nspid);

#endif							/* VIOLATIONS_H */
