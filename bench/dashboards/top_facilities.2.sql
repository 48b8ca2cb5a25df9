-- Top facilities of a year, Option 2: GROUP BY over the year's violations.
SELECT "facilityId", "facilityPlaceId", count(DISTINCT "pollutantKey") AS "pollutants",
       count(*) AS "violations", count(*) FILTER (WHERE "severity" = 'CRITICAL') AS "critical",
       count(*) FILTER (WHERE "status" = 'OPEN') AS "open", max("exceedanceRatio") AS "worstRatio"
  FROM "ViolationSample"
 WHERE "detectedAt" >= :p_from AND "detectedAt" < :p_to
 GROUP BY "facilityId", "facilityPlaceId"
 ORDER BY "pollutants" DESC, "violations" DESC, "facilityId", "facilityPlaceId"
 LIMIT 10;
