-- one sample, one row
\set l random(1, 8)
\set p random(1, 6)
\set d random(0, 729)
\set f random(10, 400)
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
                          "qualifier", "result", "units")
SELECT 'pgb_' || nextval('stress_seq'), l.loc, p.pid, date '2024-01-01' + :d, '10:00', '=',
       round(p.base * :f / 100, 3), p.units
  FROM stress_loc l, stress_par p WHERE l.i = 1 + (:l - 1) % (SELECT count(*) FROM stress_loc) AND p.i = :p;
