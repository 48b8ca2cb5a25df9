-- generate_samples.sql: realistic, deterministic eSMR-shaped data for the app's tables.
--
--   psql -X -d DB -v samples=1200000 -v facilities=3000 -f data/generate_samples.sql
--
-- Run from the repository's top directory, after data/app_schema.sql and
-- data/load_reference.sql, on app tables that hold no facilities, locations
-- or samples yet.  Variables (all optional):
--   samples      number of ESMRSample rows          (default 1200000)
--   facilities   number of ESMRFacility rows        (default 3000)
--   start_date   first sampling date                (default 2019-01-01)
--   end_date     last sampling date                 (default today)
--   seed         setseed() argument, in [-1, 1]     (default 0.2024)
--   violation_boost  factor (> 0) on the results of the tracked pollutants
--                other than pH, and on their reporting limits   (default 1:
--                the output is unchanged).  Qualifiers, units, dates,
--                locations and facilities stay as they are.  With 20, nearly
--                every tracked sample reported as '=', '>' or '>=' exceeds a
--                benchmark (about half of the tracked samples; 0.68 violations
--                per sample, against 0.07 by default): 1M violations from
--                ~1.5M samples instead of ~14M (bench/dashboards.sh).
--
-- What it makes:
--   ESMRFacility   facilities, named after a California city and a kind of
--                  discharger, with the city's Water Board region
--   ESMRLocation   1-4 per facility (EFF-001, SW-001, INF-001, RSW-001U, ...),
--                  mostly effluent and stormwater
--   Facility       the app's facilities: about 60 % of the eSMR facilities
--                  ('fac_<n>', linked by esmrFacilityId, some on impaired
--                  water) and a few made by hand with no eSMR link
--   ESMRSample     samples from start_date to end_date, ids 's000000001' ... in
--                  sampling order, over every ESMRParameter: qualifiers, null
--                  results, unit spellings (and some wrong units) as in the
--                  real export; each pollutant's results are log-normal around
--                  a fraction of its strictest benchmark (times violation_boost),
--                  so that by default roughly 5-10 % of the tracked samples
--                  exceed one.
--
-- The samples go in with one set-based INSERT ... SELECT, as an app's bulk
-- load would, so that any statement-level trigger on "ESMRSample" sees them
-- together.  Nothing here depends on the violations extension.  The same
-- variables give the same rows (random() after setseed(), in one session).

\set ON_ERROR_STOP on
\set QUIET on

\if :{?samples}
\else
\set samples 1200000
\endif
\if :{?facilities}
\else
\set facilities 3000
\endif
\if :{?end_date}
\else
SELECT to_char(current_date, 'YYYY-MM-DD') AS end_date \gset
\endif
\if :{?start_date}
\else
\set start_date 2019-01-01
\endif
\if :{?seed}
\else
\set seed 0.2024
\endif
\if :{?violation_boost}
\else
\set violation_boost 1
\endif

BEGIN;

DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM "ESMRSample") OR EXISTS (SELECT 1 FROM "ESMRLocation")
	   OR EXISTS (SELECT 1 FROM "ESMRFacility") THEN
		RAISE EXCEPTION 'generate_samples.sql: the app already holds eSMR facilities, locations or samples'
			USING HINT = 'Run it on a database with the app''s schema and reference data only.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM "ESMRParameter") THEN
		RAISE EXCEPTION 'generate_samples.sql: "ESMRParameter" is empty'
			USING HINT = 'Load data/load_reference.sql first.';
	END IF;
END
$$;

SELECT (:'violation_boost'::float8 > 0) AS gen_boost_ok \gset
\if :gen_boost_ok
\else
DO $$ BEGIN RAISE EXCEPTION 'generate_samples.sql: violation_boost must be > 0'; END $$;
\endif

SELECT setseed(:'seed'::float8) \g /dev/null

-- Numbers as a lab reports them: 3 significant digits, at most 6 decimals
-- (the columns are DECIMAL(18,6)), never beyond what the columns hold.
CREATE FUNCTION pg_temp.gen_sig(x float8) RETURNS numeric
LANGUAGE sql IMMUTABLE
AS $$
	SELECT round(least(greatest(x, -1e11), 1e11)::numeric,
				 least(6, greatest(0, 2 - floor(log(greatest(abs(x), 1e-9)))::int)))
$$;

-- A standard normal variate from two uniforms (Box-Muller).
CREATE FUNCTION pg_temp.gen_normal(u1 float8, u2 float8) RETURNS float8
LANGUAGE sql IMMUTABLE
AS $$ SELECT sqrt(-2.0 * ln(1.0 - u1)) * cos(2.0 * pi() * u2) $$;

-- ---------------------------------------------------------------- facilities

CREATE TEMP TABLE _gen_city (cidx int, city text, region text, lat float8, lon float8)
	ON COMMIT DROP;
INSERT INTO _gen_city
SELECT row_number() OVER (), c.* FROM (VALUES
	('Eureka', '1', 40.80, -124.16), ('Santa Rosa', '1', 38.44, -122.71),
	('Ukiah', '1', 39.15, -123.21), ('Crescent City', '1', 41.76, -124.20),
	('Oakland', '2', 37.80, -122.27), ('San Jose', '2', 37.34, -121.89),
	('Richmond', '2', 37.94, -122.35), ('Fremont', '2', 37.55, -121.99),
	('Hayward', '2', 37.67, -122.08), ('Petaluma', '2', 38.23, -122.64),
	('Salinas', '3', 36.68, -121.66), ('Santa Cruz', '3', 36.97, -122.03),
	('San Luis Obispo', '3', 35.28, -120.66), ('Santa Barbara', '3', 34.42, -119.70),
	('Los Angeles', '4', 34.05, -118.24), ('Long Beach', '4', 33.77, -118.19),
	('Torrance', '4', 33.84, -118.34), ('Oxnard', '4', 34.20, -119.18),
	('Burbank', '4', 34.18, -118.31), ('Pasadena', '4', 34.15, -118.14),
	('Sacramento', '5S', 38.58, -121.49), ('Stockton', '5S', 37.96, -121.29),
	('Modesto', '5S', 37.64, -120.99), ('Lodi', '5S', 38.13, -121.27),
	('Fresno', '5F', 36.74, -119.79), ('Bakersfield', '5F', 35.37, -119.02),
	('Visalia', '5F', 36.33, -119.29), ('Merced', '5F', 37.30, -120.48),
	('Redding', '5R', 40.59, -122.39), ('Chico', '5R', 39.73, -121.84),
	('South Lake Tahoe', '6A', 38.94, -119.98), ('Truckee', '6A', 39.33, -120.18),
	('Victorville', '6B', 34.54, -117.29), ('Bishop', '6B', 37.36, -118.40),
	('Palm Springs', '7', 33.83, -116.55), ('El Centro', '7', 32.79, -115.56),
	('Indio', '7', 33.72, -116.22), ('Riverside', '8', 33.95, -117.40),
	('San Bernardino', '8', 34.11, -117.29), ('Ontario', '8', 34.06, -117.65),
	('Corona', '8', 33.88, -117.57), ('Anaheim', '8', 33.84, -117.91),
	('Santa Ana', '8', 33.75, -117.87), ('San Diego', '9', 32.72, -117.16),
	('Escondido', '9', 33.12, -117.09), ('Oceanside', '9', 33.20, -117.38),
	('Chula Vista', '9', 32.64, -117.08)
) AS c;

-- Kinds of dischargers; municipal ones are named "City of X ...".
CREATE TEMP TABLE _gen_kind (kidx int, kind text, municipal bool, weight int) ON COMMIT DROP;
INSERT INTO _gen_kind
SELECT row_number() OVER (), k.* FROM (VALUES
	('Wastewater Treatment Plant', true, 12), ('Water Reclamation Plant', true, 5),
	('Sanitation District', true, 4), ('Water Treatment Plant', true, 3),
	('Metal Finishing', false, 6), ('Scrap Metal Recycling', false, 8),
	('Ready Mix Concrete', false, 8), ('Auto Dismantling', false, 7),
	('Aggregate Quarry', false, 5), ('Food Processing', false, 5),
	('Power Plant', false, 3), ('Refinery', false, 2), ('Airport', false, 2),
	('Shipyard', false, 2), ('Landfill', false, 4), ('Dairy', false, 4),
	('Winery', false, 3), ('Lumber Mill', false, 3), ('Chemical Plant', false, 2),
	('Fish Hatchery', false, 2), ('Transit Yard', false, 3), ('Truck Terminal', false, 4)
) AS k;

CREATE TEMP TABLE _gen_company (coidx int, company text) ON COMMIT DROP;
INSERT INTO _gen_company
SELECT row_number() OVER (), c FROM unnest(ARRAY[
	'Pacific', 'Golden State', 'Sierra', 'Bay Area', 'Coastal', 'Valley', 'Western',
	'Delta', 'Summit', 'Harbor', 'Redwood', 'Mission', 'Cascade', 'Sunrise',
	'Central Valley', 'Inland', 'Desert', 'Ocean View', 'Oak Ridge', 'Granite',
	'Pioneer', 'Tri-County', 'El Camino', 'Sequoia']) AS c;

CREATE TEMP TABLE _gen_fac ON COMMIT DROP AS
SELECT f.n AS fidx,
	   -- facility_place_ids are 6-digit numbers in the real export; unique here
	   200000 + f.n * 37 + floor(f.r_id * 30)::int AS place_id,
	   c.cidx, k.kidx, co.coidx, f.r_link, f.r_imp, f.r_nloc, f.r_main, f.r_wdid,
	   c.lat + (f.r_lat - 0.5) * 0.3 AS lat, c.lon + (f.r_lon - 0.5) * 0.3 AS lon,
	   -- how much dirtier than typical this facility's discharge is
	   exp(0.7 * (f.r_boost1 - 0.5)) * CASE WHEN f.r_boost2 < 0.05 THEN 3.0 ELSE 1.0 END AS boost
  FROM (SELECT n, random() AS r_id, random() AS r_city, random() AS r_kind,
			   random() AS r_co, random() AS r_link, random() AS r_imp, random() AS r_nloc,
			   random() AS r_main, random() AS r_wdid, random() AS r_lat, random() AS r_lon,
			   random() AS r_boost1, random() AS r_boost2
		  FROM generate_series(1, :facilities) AS n) AS f
  JOIN _gen_city c ON c.cidx = 1 + floor(f.r_city * (SELECT count(*) FROM _gen_city))::int
  JOIN _gen_company co ON co.coidx = 1 + floor(f.r_co * (SELECT count(*) FROM _gen_company))::int
  JOIN (SELECT kidx, sum(weight) OVER (ORDER BY kidx) - weight AS lo,
			   sum(weight) OVER (ORDER BY kidx) AS hi, sum(weight) OVER () AS total
		  FROM _gen_kind) AS kw ON f.r_kind * kw.total >= kw.lo AND f.r_kind * kw.total < kw.hi
  JOIN _gen_kind k ON k.kidx = kw.kidx;

INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName", "region")
SELECT place_id,
	   name || CASE WHEN row_number() OVER (PARTITION BY name ORDER BY place_id) > 1
					THEN ' No. ' || row_number() OVER (PARTITION BY name ORDER BY place_id)
					ELSE '' END,
	   region
  FROM (SELECT f.place_id, c.region,
			   CASE WHEN k.municipal THEN 'City of ' || c.city || ' ' || k.kind
					ELSE co.company || ' ' || k.kind || ' - ' || c.city END AS name
		  FROM _gen_fac f
		  JOIN _gen_city c USING (cidx)
		  JOIN _gen_kind k USING (kidx)
		  JOIN _gen_company co USING (coidx)) AS named
 ORDER BY place_id;

-- ---------------------------------------------------------------- locations

-- The first location is the facility's main outfall (effluent for a plant,
-- mostly stormwater for an industrial site); the others are drawn by type.
CREATE TEMP TABLE _gen_loc0 ON COMMIT DROP AS
SELECT f.fidx, f.place_id, f.boost, s.lno, f.lat, f.lon,
	   CASE
		   WHEN s.lno = 1 AND k.municipal THEN 'EFFLUENT_MONITORING'
		   WHEN s.lno = 1 AND f.r_main < 0.7 THEN 'STORMWATER_MONITORING'
		   WHEN s.lno = 1 THEN 'EFFLUENT_MONITORING'
		   WHEN s.r_type < 0.20 THEN 'INFLUENT_MONITORING'
		   WHEN s.r_type < 0.45 THEN 'RECEIVING_WATER_MONITORING'
		   WHEN s.r_type < 0.60 THEN 'EFFLUENT_MONITORING'
		   WHEN s.r_type < 0.70 THEN 'STORMWATER_MONITORING'
		   WHEN s.r_type < 0.80 THEN 'GROUNDWATER_MONITORING'
		   WHEN s.r_type < 0.85 THEN 'INTERNAL_MONITORING'
		   WHEN s.r_type < 0.90 THEN 'RECYCLED_WATER_MONITORING'
		   WHEN s.r_type < 0.94 THEN 'LAND_DISCHARGE_MONITORING'
		   WHEN s.r_type < 0.97 THEN 'BIOSOLIDS_MONITORING'
		   WHEN s.r_type < 0.99 THEN 'WATER_SUPPLY'
		   ELSE 'OTHER'
	   END AS loc_type,
	   s.r_lat, s.r_lon, s.r_sign, s.r_id, s.r_shuffle
  FROM _gen_fac f
  JOIN _gen_kind k USING (kidx)
 CROSS JOIN LATERAL (
	SELECT g AS lno, random() AS r_type, random() AS r_lat, random() AS r_lon,
		   random() AS r_sign, random() AS r_id, random() AS r_shuffle
	  FROM generate_series(1, 1 + floor(power(f.r_nloc, 1.6) * 4)::int) AS g) AS s;

CREATE TEMP TABLE _gen_loc ON COMMIT DROP AS
SELECT l.*,
	   600000 + (row_number() OVER (ORDER BY l.fidx, l.lno))::int * 11
		   + floor(l.r_id * 10)::int AS location_id,
	   -- the order in which locations are drawn for samples: shuffled, so that the
	   -- busiest locations (see the skew in the sample INSERT) are anywhere
	   row_number() OVER (ORDER BY l.r_shuffle, l.fidx, l.lno) AS sidx,
	   CASE l.loc_type
		   WHEN 'EFFLUENT_MONITORING' THEN 'EFF' WHEN 'INFLUENT_MONITORING' THEN 'INF'
		   WHEN 'RECEIVING_WATER_MONITORING' THEN 'RSW'
		   WHEN 'STORMWATER_MONITORING' THEN 'SW'
		   WHEN 'GROUNDWATER_MONITORING' THEN 'RGW' WHEN 'INTERNAL_MONITORING' THEN 'INT'
		   WHEN 'RECYCLED_WATER_MONITORING' THEN 'REC'
		   WHEN 'LAND_DISCHARGE_MONITORING' THEN 'LND'
		   WHEN 'BIOSOLIDS_MONITORING' THEN 'BIO' WHEN 'WATER_SUPPLY' THEN 'WS'
		   ELSE 'OTH'
	   END AS prefix
  FROM _gen_loc0 l;

INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode",
							"locationType", "latitude", "longitude")
SELECT location_id, place_id,
	   -- receiving water: upstream (RSW-001U) or downstream (RSW-001D) of the outfall
	   prefix || '-' || lpad(seq::text, 3, '0')
		   || CASE WHEN prefix <> 'RSW' THEN '' WHEN r_id < 0.45 THEN 'U'
				   WHEN r_id < 0.9 THEN 'D' ELSE '' END,
	   loc_type::"ESMRLocationType",
	   round((lat + (r_lat - 0.5) * 0.01)::numeric, 6),
	   -- the export sometimes lacks the minus sign of a longitude
	   round(((lon + (r_lon - 0.5) * 0.01) * CASE WHEN r_sign < 0.005 THEN -1 ELSE 1 END)::numeric, 6)
  FROM (SELECT l.*, row_number() OVER (PARTITION BY l.fidx, l.prefix ORDER BY l.lno) AS seq
		  FROM _gen_loc l) AS s
 ORDER BY location_id;

-- ---------------------------------------------------------------- the app's facilities

INSERT INTO "Facility" ("id", "name", "wdid", "esmrFacilityId", "impairedWater")
SELECT 'fac_' || f.fidx, e."facilityName",
	   CASE WHEN f.r_wdid < 0.9
			THEN e."region" || lpad((f.place_id % 59 + 1)::text, 2, '0')
				 || CASE WHEN k.municipal THEN 'M' ELSE 'I' END || lpad(f.fidx::text, 6, '0') END,
	   f.place_id, f.r_imp < 0.15
  FROM _gen_fac f
  JOIN _gen_kind k USING (kidx)
  JOIN "ESMRFacility" e ON e."facilityPlaceId" = f.place_id
 WHERE f.r_link < 0.6
 ORDER BY f.fidx;

-- Facilities the app's users made by hand: no eSMR data behind them.
INSERT INTO "Facility" ("id", "name", "wdid", "esmrFacilityId", "impairedWater")
VALUES ('fac_manual_1', 'Harbor Boatyard (manual entry)', NULL, NULL, true),
	   ('fac_manual_2', 'Mesa Vista Construction Site', '8 33C391234', NULL, false),
	   ('fac_manual_3', 'Old Mill Creek Gravel Pit', NULL, NULL, false),
	   ('fac_manual_4', 'Northgate Transfer Station', '2 01I000999', NULL, true);

-- ---------------------------------------------------------------- parameters

-- How each tracked pollutant is drawn: its share of the samples (per mille),
-- and its results, log-normal with spread sigma and a median z sigmas below
-- the pollutant's strictest MAXIMUM benchmark (so P(exceed) = 1 - Phi(z));
-- the unit family of its spellings; the method labs report.
CREATE TEMP TABLE _gen_tracked (key text, weight float8, z float8, sigma float8,
								ufam text, method text) ON COMMIT DROP;
INSERT INTO _gen_tracked VALUES
	('PH', 120, NULL, NULL, 'ph', 'SM 4500-H+ B'),
	('TSS', 110, 1.05, 1.0, 'conv', 'SM 2540 D'),
	('OIL_GREASE', 50, 1.45, 0.9, 'conv', 'EPA 1664A'),
	('COD', 35, 1.30, 0.9, 'conv', 'SM 5220 D'),
	('BOD', 45, 1.35, 0.9, 'conv', 'SM 5210 B'),
	('ALUMINUM', 25, 0.95, 1.0, 'metal', 'EPA 200.7'),
	('IRON', 30, 1.00, 1.0, 'metal', 'EPA 200.7'),
	('ZINC', 45, 1.00, 1.0, 'metal', 'EPA 200.8'),
	('COPPER', 45, 1.00, 1.0, 'metal', 'EPA 200.8'),
	('LEAD', 30, 1.30, 1.1, 'metal', 'EPA 200.8'),
	('CADMIUM', 15, 1.55, 1.0, 'metal', 'EPA 200.8'),
	('NICKEL', 20, 1.45, 1.0, 'metal', 'EPA 200.8'),
	('SILVER', 8, 1.75, 1.0, 'metal', 'EPA 200.8'),
	('ARSENIC', 20, 1.45, 1.0, 'metal', 'EPA 200.8'),
	('MERCURY', 12, 1.65, 1.0, 'hg', 'EPA 1631E'),
	('SELENIUM', 12, 1.40, 1.0, 'metal', 'EPA 200.8'),
	('MAGNESIUM', 8, 1.20, 0.8, 'metal', 'EPA 200.7'),
	('CHROMIUM', 10, 1.75, 1.0, 'metal', 'EPA 200.8'),
	('CHROMIUM_III', 4, 1.85, 1.0, 'metal', 'EPA 200.8'),
	('CHROMIUM_VI', 6, 1.60, 1.0, 'metal', 'EPA 218.6'),
	('CYANIDE', 8, 1.60, 1.0, 'metal', 'SM 4500-CN E'),
	('NITRATE_NITRITE_N', 30, 1.05, 1.0, 'conv', 'EPA 353.2'),
	('NITRATE_N', 25, 1.50, 0.9, 'conv', 'EPA 300.0'),
	('NITRITE_N', 10, 1.50, 0.9, 'conv', 'EPA 300.0'),
	('AMMONIA_N', 40, 1.20, 1.0, 'conv', 'SM 4500-NH3 D'),
	('PHOSPHORUS', 25, 1.20, 0.9, 'conv', 'SM 4500-P E');

-- Untracked parameters (no canonicalKey), by name; anything else untracked
-- gets the last row's profile.
CREATE TEMP TABLE _gen_untracked (name text, weight float8, dist text, mu float8,
								  sigma float8, ufam text, method text) ON COMMIT DROP;
INSERT INTO _gen_untracked VALUES
	('Flow', 60, 'lognormal', 1.5, 1.2, 'flow', NULL),
	('Temperature', 45, 'normal', 19.0, 4.0, 'temp', 'SM 2550 B'),
	('Electrical Conductivity @ 25 Deg. C', 30, 'lognormal', 800, 0.5, 'ec', 'SM 2510 B'),
	('Turbidity', 25, 'lognormal', 6.0, 1.0, 'turb', 'EPA 180.1'),
	('Hardness, Total (as CaCO3)', 20, 'lognormal', 150, 0.5, 'conv', 'SM 2340 C'),
	(NULL, 10, 'lognormal', 5.0, 1.0, 'conv', NULL);

-- The strictest MAXIMUM benchmark of each pollutant, in mg/L (or its own units).
CREATE TEMP TABLE _gen_strictest ON COMMIT DROP AS
SELECT "pollutantKey" AS key,
	   min("value" * CASE lower(replace("units", ' ', ''))
						 WHEN 'g/l' THEN 1000 WHEN 'ug/l' THEN 0.001 WHEN 'µg/l' THEN 0.001
						 WHEN 'ng/l' THEN 0.000001 WHEN 'pg/l' THEN 0.000000001
						 WHEN 'ppb' THEN 0.001 ELSE 1 END)::float8 AS bench
  FROM "PollutantBenchmark"
 WHERE "limit" = 'MAXIMUM' AND "value" > 0
 GROUP BY 1;

-- Every ESMRParameter with how to draw it.  A pollutant's share is split among
-- its parameters ("Zinc, Total" more often than "Zinc, Dissolved").
CREATE TEMP TABLE _gen_param ON COMMIT DROP AS
WITH p AS (
	SELECT p."id", p."parameterName", p."canonicalKey",
		   CASE WHEN p."parameterName" LIKE '%Dissolved%' THEN 0.4
				WHEN p."parameterName" LIKE '%Recoverable%' THEN 0.8 ELSE 1.0 END AS share
	  FROM "ESMRParameter" p
)
SELECT row_number() OVER (ORDER BY p."id")::int AS pidx, p."id", p."canonicalKey",
	   CASE
		   WHEN p."canonicalKey" IS NULL THEN coalesce(u.weight, ud.weight)
		   ELSE coalesce(t.weight, 10) * p.share / sum(p.share) OVER (PARTITION BY p."canonicalKey")
	   END AS weight,
	   CASE WHEN p."canonicalKey" = 'PH' THEN 'normal'
			WHEN p."canonicalKey" IS NOT NULL THEN 'lognormal'
			ELSE coalesce(u.dist, ud.dist) END AS dist,
	   CASE WHEN p."canonicalKey" = 'PH' THEN 7.4
			WHEN p."canonicalKey" IS NOT NULL
			THEN coalesce(s.bench, 1.0) * exp(-coalesce(t.z, 1.5) * coalesce(t.sigma, 1.0))
				 * :'violation_boost'::float8
			ELSE coalesce(u.mu, ud.mu) END AS mu,
	   CASE WHEN p."canonicalKey" = 'PH' THEN 0.55
			WHEN p."canonicalKey" IS NOT NULL THEN coalesce(t.sigma, 1.0)
			ELSE coalesce(u.sigma, ud.sigma) END AS sigma,
	   CASE WHEN p."canonicalKey" IS NOT NULL THEN coalesce(t.ufam, 'conv')
			ELSE coalesce(u.ufam, ud.ufam) END AS ufam,
	   -- qualifier family: lab analytes ('lab') have non-detects; field readings do not
	   CASE WHEN p."canonicalKey" IS NOT NULL AND p."canonicalKey" <> 'PH' THEN 'lab'
			WHEN u.name LIKE 'Hardness%' THEN 'lab' ELSE 'field' END AS qfam,
	   CASE WHEN p."canonicalKey" IS NOT NULL THEN t.method ELSE coalesce(u.method, ud.method) END
		   AS method
  FROM p
  LEFT JOIN _gen_tracked t ON t.key = p."canonicalKey"
  LEFT JOIN _gen_strictest s ON s.key = p."canonicalKey"
  LEFT JOIN _gen_untracked u ON u.name = p."parameterName" AND p."canonicalKey" IS NULL
  LEFT JOIN _gen_untracked ud ON ud.name IS NULL;

-- 10000 buckets, each naming a parameter, in proportion to the weights; every
-- parameter gets at least one.
CREATE TEMP TABLE _gen_pbucket ON COMMIT DROP AS
WITH w AS (
	SELECT pidx, sum(weight) OVER (ORDER BY pidx) - weight AS lo,
		   sum(weight) OVER (ORDER BY pidx) AS hi, sum(weight) OVER () AS total
	  FROM _gen_param
), b AS (
	SELECT w.pidx, round(w.lo / w.total * 10000)::int AS b_lo,
		   greatest(round(w.hi / w.total * 10000)::int, round(w.lo / w.total * 10000)::int + 1) AS b_hi
	  FROM w
)
SELECT g AS bucket, (SELECT b.pidx FROM b WHERE g >= b.b_lo ORDER BY b.b_lo DESC, b.pidx DESC LIMIT 1) AS pidx
  FROM generate_series(0, 9999) AS g;
CREATE INDEX ON _gen_pbucket (bucket);

-- ---------------------------------------------------------------- units

-- Spellings per unit family with their share (per mille) and the factor that
-- takes a value in mg/L (or the family's own unit) into them.  Tracked
-- families carry about 1 % of wrong, unconvertible units, as the export does.
CREATE TEMP TABLE _gen_unit (ufam text, units text, weight int, factor float8) ON COMMIT DROP;
INSERT INTO _gen_unit VALUES
	('conv', 'mg/L', 760, 1), ('conv', 'MG/L', 120, 1), ('conv', 'mg / l', 30, 1),
	('conv', 'ppm', 40, 1), ('conv', 'Mg/L', 20, 1), ('conv', 'ug/L', 20, 1000),
	('conv', 'LBS/DAY', 6, 1), ('conv', 'NTU', 4, 1),
	('metal', 'ug/L', 400, 1000), ('metal', 'mg/L', 220, 1), ('metal', 'UG/L', 80, 1000),
	('metal', 'µg/L', 80, 1000), ('metal', 'mcg/L', 50, 1000), ('metal', 'MG/L', 50, 1),
	('metal', 'ppb', 50, 1000), ('metal', 'ng/L', 20, 1000000), ('metal', 'ug / L', 20, 1000),
	('metal', 'ppm', 20, 1), ('metal', 'umhos/cm', 5, 1000), ('metal', 'LBS/DAY', 5, 1),
	('hg', 'ng/L', 350, 1000000), ('hg', 'ug/L', 300, 1000), ('hg', 'mg/L', 150, 1),
	('hg', 'NG/L', 80, 1000000), ('hg', 'µg/L', 50, 1000), ('hg', 'ppb', 30, 1000),
	('hg', 'ng / L', 30, 1000000), ('hg', 'umhos/cm', 10, 1000),
	('ph', 'SU', 580, 1), ('ph', 'S.U.', 180, 1), ('ph', 'pH units', 100, 1),
	('ph', 'std units', 60, 1), ('ph', 'pH', 50, 1), ('ph', 'SU ', 20, 1),
	('ph', 'NTU', 5, 1), ('ph', 'umhos/cm', 5, 1),
	('flow', 'MGD', 900, 1), ('flow', 'mgd', 50, 1), ('flow', 'gpd', 50, 1000000),
	('temp', 'Degrees C', 800, 1), ('temp', 'DEG C', 150, 1), ('temp', 'deg C', 50, 1),
	('ec', 'umhos/cm', 800, 1), ('ec', 'uS/cm', 150, 1), ('ec', 'UMHOS/CM', 50, 1),
	('turb', 'NTU', 950, 1), ('turb', 'ntu', 50, 1);

-- 1000 buckets per family.
CREATE TEMP TABLE _gen_ubucket ON COMMIT DROP AS
WITH w AS (
	SELECT ufam, units, factor,
		   sum(weight) OVER (PARTITION BY ufam ORDER BY units, weight) - weight AS lo,
		   sum(weight) OVER (PARTITION BY ufam ORDER BY units, weight) AS hi,
		   sum(weight) OVER (PARTITION BY ufam) AS total
	  FROM _gen_unit
)
SELECT w.ufam, g AS bucket, w.units, w.factor
  FROM w JOIN generate_series(0, 999) AS g
	ON (g + 0.5) * w.total / 1000.0 >= w.lo AND (g + 0.5) * w.total / 1000.0 < w.hi;

ANALYZE _gen_param;
ANALYZE _gen_pbucket;
ANALYZE _gen_ubucket;
ANALYZE _gen_loc;

SELECT count(*) AS nloc FROM _gen_loc \gset
SELECT :'end_date'::date - :'start_date'::date + 1 AS ndays \gset

-- ---------------------------------------------------------------- samples

\echo 'Inserting' :samples 'samples at' :nloc 'locations of' :facilities 'facilities, sampled from' :start_date 'to' :end_date '...'
SELECT clock_timestamp() AS gen_t0 \gset

/*
 * One statement.  g draws the random numbers of each sample in id order (so
 * the rows are the same whatever join order the planner picks); the joins
 * only look up the drawn parameter, location and units; v works out the
 * value.  Ids follow the sampling date, as in a load of monthly reports.
 */
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units", "mdl", "ml", "rl",
						  "calculatedMethod", "analyticalMethod", "smrDocumentId", "reviewPriority")
SELECT 's' || lpad(v.n::text, 9, '0'),
	   v.location_id,
	   v.parameter_id,
	   v.sampling_date,
	   time '06:00' + make_interval(mins => floor(v.r_time * 600)::int),
	   v.q::"ESMRQualifier",
	   CASE WHEN v.result_null THEN NULL
			WHEN v.q IN ('=', '>', '>=') THEN pg_temp.gen_sig(v.x * v.factor)
			WHEN v.q IN ('<', '<=') THEN pg_temp.gen_sig(v.rl * v.factor)
			WHEN v.q = 'ND' THEN pg_temp.gen_sig(v.rl * 0.25 * v.factor)
			ELSE pg_temp.gen_sig(v.rl * 0.6 * v.factor)		-- DNQ: between MDL and RL
	   END,
	   v.units,
	   CASE WHEN v.qfam = 'lab' AND (v.q = 'ND' OR v.r_lim < 0.7)
			THEN pg_temp.gen_sig(v.rl * 0.25 * v.factor) END,
	   CASE WHEN v.qfam = 'lab' AND (v.q = 'DNQ' OR v.r_lim < 0.3)
			THEN pg_temp.gen_sig(v.rl * 0.5 * v.factor) END,
	   CASE WHEN v.qfam = 'lab' AND (v.q IN ('DNQ', '<', '<=') OR v.r_lim < 0.8)
			THEN pg_temp.gen_sig(v.rl * v.factor) END,
	   CASE WHEN v.r_meth < 0.86 THEN 'Single'
			WHEN v.r_meth < 0.92 THEN 'Daily Maximum'
			WHEN v.r_meth < 0.97 THEN 'Average Monthly (AMEL)'
			WHEN v.canonical_key = 'PH' THEN 'Instantaneous Minimum (IMIN)'
			ELSE 'Average Weekly (AWEL)' END,
	   CASE WHEN v.r_lim < 0.95 THEN v.method END,
	   -- one SMR document per facility and month
	   1000000 + v.fidx * 200 + ((v.sampling_date - :'start_date'::date) / 31) % 200,
	   v.r_meth > 0.98
  FROM (
	SELECT g.n, g.r_time, g.r_meth, g.r_lim, l.location_id, l.fidx,
		   p."id" AS parameter_id, p."canonicalKey" AS canonical_key, p.method, p.qfam,
		   :'start_date'::date + ((g.n - 1)::bigint * :ndays / :samples)::int AS sampling_date,
		   u.units, u.factor,
		   -- the drawn value, in mg/L (or the parameter's own unit)
		   CASE WHEN p.dist = 'normal'
				THEN p.mu + p.sigma * pg_temp.gen_normal(g.u1, g.u2)
				ELSE greatest(p.mu * CASE WHEN p.qfam = 'lab' THEN l.boost ELSE 1 END
							  * exp(p.sigma * pg_temp.gen_normal(g.u1, g.u2)), 1e-6)
		   END AS x,
		   -- the lab's reporting limit: a fifth of the typical value
		   CASE WHEN p.dist = 'normal' THEN 0.1 ELSE p.mu * 0.2 END AS rl,
		   q.q,
		   CASE q.q WHEN 'ND' THEN g.r_null < 0.95 WHEN 'DNQ' THEN g.r_null < 0.70
					WHEN '<' THEN g.r_null < 0.50 WHEN '=' THEN g.r_null < 0.02
					ELSE false END AS result_null
	  FROM (SELECT n, random() AS r_par, random() AS r_loc, random() AS r_unit,
				   random() AS r_q, random() AS r_null, random() AS u1, random() AS u2,
				   random() AS r_time, random() AS r_meth, random() AS r_lim
			  FROM generate_series(1, :samples) AS n) AS g
	  JOIN _gen_pbucket pb ON pb.bucket = floor(g.r_par * 10000)::int
	  JOIN _gen_param p ON p.pidx = pb.pidx
	  -- skewed: a few locations report far more than most
	  JOIN _gen_loc l ON l.sidx = 1 + floor(power(g.r_loc, 1.5) * :nloc)::int
	  JOIN _gen_ubucket u ON u.ufam = p.ufam AND u.bucket = floor(g.r_unit * 1000)::int
	 CROSS JOIN LATERAL (
		SELECT CASE
			WHEN p.qfam = 'lab' THEN
				CASE WHEN g.r_q < 0.640 THEN '=' WHEN g.r_q < 0.750 THEN '<'
					 WHEN g.r_q < 0.900 THEN 'ND' WHEN g.r_q < 0.980 THEN 'DNQ'
					 WHEN g.r_q < 0.987 THEN '<=' WHEN g.r_q < 0.994 THEN '>' ELSE '>=' END
			ELSE
				CASE WHEN g.r_q < 0.985 THEN '=' WHEN g.r_q < 0.990 THEN '<'
					 WHEN g.r_q < 0.993 THEN 'DNQ' WHEN g.r_q < 0.995 THEN 'ND' ELSE '>' END
		END AS q) AS q
	OFFSET 0	-- computed once per row, not once per use
  ) AS v;

SELECT round(extract(epoch FROM clock_timestamp() - :'gen_t0'::timestamptz) * 1000) AS gen_ms \gset

COMMIT;

ANALYZE "ESMRFacility";
ANALYZE "ESMRLocation";
ANALYZE "Facility";
ANALYZE "ESMRSample";

\echo
\echo 'Generated data'
\pset footer off
SELECT count(*) AS "eSMR facilities",
	   (SELECT count(*) FROM "ESMRLocation") AS "locations",
	   (SELECT count(*) FROM "Facility" WHERE "esmrFacilityId" IS NOT NULL) AS "linked Facility rows",
	   (SELECT count(*) FROM "Facility" WHERE "esmrFacilityId" IS NULL) AS "hand-made Facility rows",
	   (SELECT count(*) FROM "ESMRSample") AS "samples",
	   :gen_ms AS "INSERT ms",
	   round(:samples * 1000.0 / greatest(:gen_ms, 1)) AS "samples/s"
  FROM "ESMRFacility";
