-- "All critical violations for facility X in 2024": snippet critical-2024-sql.
-- Option 2 runs the same SQL.
SELECT v.*, b."benchmarkType", b."source", s."samplingTime", l."locationCode"
  FROM "ViolationSample" v
  JOIN "PollutantBenchmark" b ON b."id" = v."benchmarkId"
  LEFT JOIN "ESMRSample" s ON s."id" = v."esmrSampleId"
  LEFT JOIN "ESMRLocation" l ON l."locationPlaceId" = s."locationPlaceId"
 WHERE v."facilityId" = :p_fid AND v."severity" = 'CRITICAL'
   AND v."detectedAt" >= '2024-01-01' AND v."detectedAt" < '2025-01-01'
 ORDER BY v."detectedAt" DESC, v."id" DESC;
