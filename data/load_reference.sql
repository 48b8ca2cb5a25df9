-- The real reference data: 26 pollutants, 53 benchmarks, the eSMR parameter
-- mapping.  Run with psql from the repository's top directory, after the
-- app's schema.  Ids are made deterministic here (the app makes cuids), so
-- that tests and examples can name a benchmark: '<pollutant>:<type>:<limit>:<period>'.
\set ON_ERROR_STOP on

CREATE TEMP TABLE _pollutants ("key" text, "displayName" text, "category" text);
\copy _pollutants FROM 'data/pollutants.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO "ConfigPollutant" ("key", "displayName", "category")
SELECT "key", "displayName", nullif("category", '') FROM _pollutants
ON CONFLICT ("key") DO NOTHING;

CREATE TEMP TABLE _benchmarks ("pollutantKey" text, "benchmarkType" text, "limit" text,
	"period" text, "value" numeric, "units" text, "source" text);
\copy _benchmarks FROM 'data/benchmarks.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO "PollutantBenchmark" ("id", "pollutantKey", "benchmarkType", "limit", "period",
	"value", "units", "source")
SELECT concat_ws(':', "pollutantKey", "benchmarkType", "limit", "period"), "pollutantKey",
	   "benchmarkType"::"BenchmarkType", "limit"::"BenchmarkLimit", "period"::"BenchmarkPeriod",
	   "value", "units", "source"
  FROM _benchmarks
ON CONFLICT ("id") DO NOTHING;

CREATE TEMP TABLE _parameters ("parameterName" text, "category" text, "canonicalKey" text);
\copy _parameters FROM 'data/parameters.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO "ESMRParameter" ("id", "parameterName", "category", "canonicalKey")
SELECT 'par_' || substr(md5("parameterName"), 1, 12), "parameterName",
	   nullif("category", ''), nullif("canonicalKey", '')
  FROM _parameters
ON CONFLICT ("id") DO NOTHING;

DROP TABLE _pollutants, _benchmarks, _parameters;
