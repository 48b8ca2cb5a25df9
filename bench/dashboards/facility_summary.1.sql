-- Facility summary, Option 1: docs/VIOLATION_QUERY_PATTERNS.md, snippet facility-summary-sql.
SELECT "id", "pollutant", "count", "maxRatio", "maxSeverity", "openCount",
       "underReviewCount", "criticalCount", "firstDate", "lastDate"
  FROM "ViolationEvent"
 WHERE "facilityId" = :p_fid AND "reportingYear" = :p_year AND "count" > 0
 ORDER BY "pollutant";
