-- Pollutant summary, Option 1: snippet pollutant-summary-sql.
SELECT count(*) AS "facilities"
  FROM "ViolationEvent"
 WHERE "pollutant" = :p_pollutant AND "reportingYear" = :p_year AND "count" > 0;
