-- a lab correction: a stress sample's result changes (0.25x .. 2.5x)
\set f random(25, 250)
UPDATE "ESMRSample" SET "result" = round("result" * :f / 100, 3)
 WHERE "id" = (SELECT 'pgb_' || (1 + floor(random() * coalesce(pg_sequence_last_value('stress_seq'), 1)))::bigint);
