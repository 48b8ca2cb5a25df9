-- a benchmark value edited (toggled between its value and 1.2x it): re-evaluates
-- every stored sample of the pollutant and pauses sample writes meanwhile
UPDATE "PollutantBenchmark" b
   SET "value" = CASE WHEN b."value" = s.orig THEN round(s.orig * 1.2, 6) ELSE s.orig END
  FROM (SELECT id, orig FROM stress_bench ORDER BY random() LIMIT 1) s
 WHERE b."id" = s.id;
