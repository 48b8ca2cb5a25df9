-- Pollutant summary, Option 2: snippet anti-count-from-violations-sql (the
-- reporting year as a date range).
SELECT count(DISTINCT coalesce("facilityId", "facilityPlaceId"::text)) AS "facilities"
  FROM "ViolationSample"
 WHERE "pollutantKey" = :p_pollutant AND "detectedAt" >= :p_from AND "detectedAt" < :p_to;
