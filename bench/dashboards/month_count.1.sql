-- Violations this month, Option 1: snippet month-count-sql.
SELECT coalesce(sum("count"), 0) AS "violations",
       coalesce(sum("openCount"), 0) AS "open",
       coalesce(sum("criticalCount"), 0) AS "critical"
  FROM "ViolationMonthly"
 WHERE "month" = :p_month;
