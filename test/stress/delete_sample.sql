-- a stress sample deleted
DELETE FROM "ESMRSample"
 WHERE "id" = (SELECT 'pgb_' || (1 + floor(random() * coalesce(pg_sequence_last_value('stress_seq'), 1)))::bigint);
