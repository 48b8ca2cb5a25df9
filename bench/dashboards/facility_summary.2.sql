-- Facility summary, Option 2: the same figures by GROUP BY over the violations of
-- the facility in the reporting year (no event id: Option 2 has no events).
SELECT "pollutantKey" AS "pollutant", count(*) AS "count",
       max("exceedanceRatio") AS "maxRatio", max("severity") AS "maxSeverity",
       count(*) FILTER (WHERE "status" = 'OPEN') AS "openCount",
       count(*) FILTER (WHERE "status" = 'UNDER_REVIEW') AS "underReviewCount",
       count(*) FILTER (WHERE "severity" = 'CRITICAL') AS "criticalCount",
       min("detectedAt") AS "firstDate", max("detectedAt") AS "lastDate"
  FROM "ViolationSample"
 WHERE "facilityId" = :p_fid AND "detectedAt" >= :p_from AND "detectedAt" < :p_to
 GROUP BY "pollutantKey"
 ORDER BY "pollutantKey";
