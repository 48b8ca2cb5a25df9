-- 1-30 samples in one statement, over all locations and parameters
\set n random(1, 30)
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
                          "qualifier", "result", "units")
SELECT 'pgb_' || nextval('stress_seq'), l.loc, p.pid, date '2024-01-01' + floor(random() * 730)::int,
       '11:00', '=', round(p.base * (0.1 + random() * 3.9)::numeric, 3), p.units
  FROM (SELECT 1 + floor(random() * (SELECT count(*) FROM stress_loc))::int AS li,
               1 + floor(random() * 6)::int AS pi FROM generate_series(1, :n)) g
  JOIN stress_loc l ON l.i = g.li JOIN stress_par p ON p.i = g.pi;
