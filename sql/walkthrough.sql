--
-- walkthrough: detection, step by step.  Two plants, a handful of samples, and what the
-- extension makes of them: violations, events, the monthly roll-up and the
-- skip summary.  (Ids and timestamps are left out: they change every run.)
--
SET datestyle = 'ISO, YMD';

-- Two eSMR facilities; the first is linked to the app's Facility.
INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName", "region") VALUES
    (5001, 'Harbor Plant', '4'),
    (5002, 'Creek Yard', '2');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType") VALUES
    (500101, 5001, 'EFF-001', 'EFFLUENT_MONITORING'),
    (500201, 5002, 'SW-001', 'STORMWATER_MONITORING');
INSERT INTO "Facility" ("id", "name", "wdid", "esmrFacilityId", "impairedWater")
VALUES ('fac_harbor', 'Harbor Plant Inc.', '4 19I000123', 5001, true);

-- Samples, in one statement (the app's parameter ids are md5-based, see data/load_reference.sql).
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
                          "qualifier", "result", "units")
SELECT s.id, s.loc, p."id", s.day::date, '09:30', s.q::"ESMRQualifier", s.result, s.units
  FROM (VALUES
    -- TSS NAL 100 mg/L (annual average) and 400 mg/L (instantaneous)
    ('s01', 500101, 'Total Suspended Solids (TSS)', '2024-03-05', '=',   150,     'mg/L'),
    ('s02', 500101, 'Total Suspended Solids (TSS)', '2024-03-20', '=',   0.5,     'g/L'),
    ('s03', 500101, 'Total Suspended Solids (TSS)', '2024-04-02', '<',   900,     'mg/L'),
    ('s04', 500201, 'Total Suspended Solids (TSS)', '2024-04-02', '>',   210,     'MG/L'),
    ('s05', 500201, 'Total Suspended Solids (TSS)', '2024-04-03', '=',   80,      'NTU'),
    -- pH between 6.0 and 9.0 SU
    ('s06', 500101, 'pH',                           '2024-04-10', '=',   5.5,     'S.U.'),
    ('s07', 500101, 'pH',                           '2024-04-11', '>',   5.0,     'pH units'),
    ('s08', 500201, 'pH',                           '2024-12-31', '=',   9.5,     'SU'),
    -- copper: NAL 0.0332 mg/L, CMC 13 ug/L, CCC 9 ug/L, MCL 1.3 mg/L
    ('s09', 500201, 'Copper, Dissolved',            '2025-01-02', '=',   20,      'µg/L'),
    ('s10', 500201, 'Copper, Total',                '2025-01-03', 'DNQ', 900,     'ug/L'),
    ('s11', 500201, 'Copper, Total',                '2025-01-04', '=',   'NaN',   'ug/L'),
    -- turbidity has no canonicalKey: not tracked
    ('s12', 500201, 'Turbidity',                    '2025-01-05', '=',   1000,    'NTU')
  ) AS s(id, loc, parameter, day, q, result, units)
  JOIN "ESMRParameter" p ON p."parameterName" = s.parameter;

-- The violations: one row per (sample, benchmark) exceedance.
SELECT "esmrSampleId", "benchmarkId", "facilityId", "facilityPlaceId", "pollutantKey", "benchmarkType",
       "detectedAt", "measuredValue", "benchmarkValue", "units", "exceedanceRatio", "severity", "status"
  FROM "ViolationSample"
 ORDER BY "esmrSampleId", "benchmarkId";

-- The events: per facility x pollutant x reporting year.
SELECT "facilityId", "facilityPlaceId", "pollutant", "reportingYear", "firstDate", "lastDate", "count",
       "maxRatio", "openCount", "moderateCount", "criticalCount", "maxSeverity", "impairedWater", "dismissed"
  FROM "ViolationEvent"
 ORDER BY "facilityPlaceId", "pollutant", "reportingYear";

-- The monthly roll-up.
SELECT e."facilityPlaceId", e."pollutant", m."month", m."count", m."moderateCount", m."criticalCount"
  FROM "ViolationMonthly" m
  JOIN "ViolationEvent" e ON e."id" = m."eventId"
 ORDER BY 1, 2, 3;

-- What could not be evaluated.
SELECT "reason", "pollutantKey", "benchmarkId", "sampleUnits", "benchmarkUnits", "sampleCount", "exampleSampleId"
  FROM "ViolationSkipSummary"
 ORDER BY 1, 2, 3;

-- The aggregates equal a recomputation from the violations.
SELECT * FROM violations_check_aggregates();

-- A permit year that starts in July, and DNQ evaluated: new samples only.
UPDATE "ViolationSettings" SET "reportingYearStartMonth" = 7, "evaluateDnq" = true;
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
                          "qualifier", "result", "units")
SELECT 's13', 500101, "id", '2025-07-01', '09:30', 'DNQ', 0.2, 'ppm'
  FROM "ESMRParameter" WHERE "parameterName" = 'Copper, Total';
SELECT v."benchmarkId", v."measuredValue", v."exceedanceRatio", v."severity", e."reportingYear"
  FROM "ViolationSample" v JOIN "ViolationEvent" e ON e."id" = v."eventId"
 WHERE v."esmrSampleId" = 's13'
 ORDER BY 1;
