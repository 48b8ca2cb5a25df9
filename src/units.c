/*-------------------------------------------------------------------------
 *
 * units.c
 *	  Units as the detection rules compare them.
 *
 * eSMR units are free text ("mg/L", "MG/L", "ug/L", "µg/L", "mcg/l",
 * "S.U.", "pH units").  A units string is normalised (trimmed, spaces
 * removed, lower case, µ and "mc" read as u) and then classified: mass
 * concentrations convert among g/L, mg/L, ug/L, ng/L and pg/L (ppm = mg/L,
 * ppb = ug/L) by an exact power of ten; the pH spellings are one unit; any
 * other pair converts only when the normalised strings are equal.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "violations.h"

/* Mass-concentration spellings and their power of ten of g/L. */
static const struct
{
	const char *name;
	int			exponent;
}			mass_units[] =
{
	{"g/l", 0},
	{"mg/l", -3},
	{"ug/l", -6},
	{"ng/l", -9},
	{"pg/l", -12},
	{"ppm", -3},
	{"ppb", -6},
};

static const char *const ph_units[] = {"su", "s.u.", "phunits", "ph", "stdunits"};

/* 10^k for k in [-24, 24], made once; conversions span at most 12 decades. */
#define VIOL_MAX_EXPONENT 24
static Datum powers_of_ten[2 * VIOL_MAX_EXPONENT + 1];

/*
 * viol_parse_units
 *		Normalise and classify a units string of len bytes; the normalised
 *		spelling is allocated in the current memory context.
 *
 * Normalising never lengthens a string (µ is two bytes, "mc" two letters,
 * and each becomes one u), and it only ever rewrites ASCII bytes and whole
 * characters, so the result is valid in the database encoding.
 */
void
viol_parse_units(const char *s, int len, VUnit *unit)
{
	const char *end = s + len;
	int			n = 0;
	int			i;

	unit->family = VUNIT_OTHER;
	unit->exponent = 0;
	unit->norm = palloc(len + 1);

	for (; s < end; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
			continue;			/* trimming and removing spaces alike */
		/* MICRO SIGN U+00B5 and GREEK SMALL LETTER MU U+03BC, in UTF-8 */
		if ((c == 0xC2 && s + 1 < end && (unsigned char) s[1] == 0xB5) ||
			(c == 0xCE && s + 1 < end && (unsigned char) s[1] == 0xBC))
		{
			unit->norm[n++] = 'u';
			s++;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		/* "mc" (as in mcg/L) reads as u */
		if (c == 'c' && n > 0 && unit->norm[n - 1] == 'm')
		{
			unit->norm[n - 1] = 'u';
			continue;
		}
		unit->norm[n++] = (char) c;
	}
	unit->norm[n] = '\0';

	for (i = 0; i < lengthof(mass_units); i++)
	{
		if (strcmp(unit->norm, mass_units[i].name) == 0)
		{
			unit->family = VUNIT_MASS_CONC;
			unit->exponent = mass_units[i].exponent;
			return;
		}
	}
	for (i = 0; i < lengthof(ph_units); i++)
	{
		if (strcmp(unit->norm, ph_units[i]) == 0)
		{
			unit->family = VUNIT_PH;
			return;
		}
	}
}

/*
 * viol_unit_factor
 *		Whether a value in "from" units converts to "to" units, and by which
 *		power of ten it is then multiplied.
 */
bool
viol_unit_factor(const VUnit *from, const VUnit *to, int *exponent)
{
	*exponent = 0;
	if (from->family != to->family)
		return false;
	switch (from->family)
	{
		case VUNIT_MASS_CONC:
			*exponent = from->exponent - to->exponent;
			return true;
		case VUNIT_PH:
			return true;
		case VUNIT_OTHER:
			return strcmp(from->norm, to->norm) == 0;
	}
	return false;
}

/*
 * viol_scale_numeric
 *		value * 10^exponent, exactly, with trailing zeros trimmed.
 */
Datum
viol_scale_numeric(Datum value, int exponent)
{
	Datum		result;

	Assert(exponent >= -VIOL_MAX_EXPONENT && exponent <= VIOL_MAX_EXPONENT);
	if (exponent == 0)
		return value;
	if (powers_of_ten[VIOL_MAX_EXPONENT] == (Datum) 0)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		int			k;

		for (k = -VIOL_MAX_EXPONENT; k <= VIOL_MAX_EXPONENT; k++)
		{
			char		buf[16];

			snprintf(buf, sizeof(buf), "1e%d", k);
			powers_of_ten[k + VIOL_MAX_EXPONENT] =
				DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
									ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		}
		MemoryContextSwitchTo(old);
	}
	result = DirectFunctionCall2(numeric_mul, value,
								 powers_of_ten[exponent + VIOL_MAX_EXPONENT]);
	return DirectFunctionCall1(numeric_trim_scale, result);
}

PG_FUNCTION_INFO_V1(violations_normalize_units);

/*
 * violations_normalize_units(text) returns text
 *		The normalised spelling of a units string, as detection compares it.
 */
Datum
violations_normalize_units(PG_FUNCTION_ARGS)
{
	text	   *units = PG_GETARG_TEXT_PP(0);
	VUnit		unit;

	viol_parse_units(VARDATA_ANY(units), VARSIZE_ANY_EXHDR(units), &unit);
	PG_RETURN_TEXT_P(cstring_to_text(unit.norm));
}

PG_FUNCTION_INFO_V1(violations_convert_units);

/*
 * violations_convert_units(numeric, text, text) returns numeric
 *		The value converted from the first units into the second, or NULL
 *		when they do not convert.
 */
Datum
violations_convert_units(PG_FUNCTION_ARGS)
{
	Datum		value = PG_GETARG_DATUM(0);
	text	   *from_text = PG_GETARG_TEXT_PP(1);
	text	   *to_text = PG_GETARG_TEXT_PP(2);
	VUnit		from;
	VUnit		to;
	int			exponent;

	viol_parse_units(VARDATA_ANY(from_text), VARSIZE_ANY_EXHDR(from_text), &from);
	viol_parse_units(VARDATA_ANY(to_text), VARSIZE_ANY_EXHDR(to_text), &to);
	if (!viol_unit_factor(&from, &to, &exponent))
		PG_RETURN_NULL();
	if (numeric_is_nan(DatumGetNumeric(value)))
		PG_RETURN_DATUM(value);
	PG_RETURN_DATUM(viol_scale_numeric(value, exponent));
}
