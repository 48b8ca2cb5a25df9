-- Violations this month, Option 2: counted from the violations sampled in the month.
SELECT count(*) AS "violations",
       count(*) FILTER (WHERE "status" = 'OPEN') AS "open",
       count(*) FILTER (WHERE "severity" = 'CRITICAL') AS "critical"
  FROM "ViolationSample"
 WHERE "detectedAt" >= :p_month AND "detectedAt" < :p_month_end;
