-- Drilldown facility -> pollutant -> samples, the next page of 20 after a
-- keyset cursor: snippet drilldown-samples-sql (sample, location, parameter
-- and benchmark joined) with the cursor condition of snippet keyset-sql.
-- Option 2 (one violation table) runs the same SQL.
SELECT v."id", v."detectedAt", v."measuredValue", v."benchmarkValue", v."units",
       v."exceedanceRatio", v."severity", v."status",
       b."benchmarkType", b."limit", b."period", b."source",
       s."samplingTime", s."qualifier", s."result", s."units" AS "reportedUnits",
       l."locationCode", l."locationType", p."parameterName"
  FROM "ViolationSample" v
  JOIN "PollutantBenchmark" b ON b."id" = v."benchmarkId"
  LEFT JOIN "ESMRSample" s ON s."id" = v."esmrSampleId"
  LEFT JOIN "ESMRLocation" l ON l."locationPlaceId" = s."locationPlaceId"
  LEFT JOIN "ESMRParameter" p ON p."id" = s."parameterId"
 WHERE v."facilityId" = :p_fid AND v."pollutantKey" = :p_pollutant
   AND (v."detectedAt", v."id") < (:p_after_date, :p_after_id)
 ORDER BY v."detectedAt" DESC, v."id" DESC
 LIMIT 20;
