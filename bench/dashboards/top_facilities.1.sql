-- Top facilities of a year, Option 1: snippet top-facilities-sql, with the
-- facility as the last sort keys (as test/demo.sh does) so that ties come out
-- in the same order from both options.
SELECT "facilityId", "facilityPlaceId", count("pollutant") AS "pollutants",
       sum("count") AS "violations", sum("criticalCount") AS "critical",
       sum("openCount") AS "open", max("maxRatio") AS "worstRatio"
  FROM "ViolationEvent"
 WHERE "reportingYear" = :p_year AND "count" > 0
 GROUP BY "facilityId", "facilityPlaceId"
 ORDER BY "pollutants" DESC, "violations" DESC, "facilityId", "facilityPlaceId"
 LIMIT 10;
