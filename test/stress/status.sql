-- a status change to a random status (some illegal: VI001, caught and counted)
\set s random(1, 4)
\set how random(1, 2)
SELECT stress_status((ARRAY['OPEN', 'UNDER_REVIEW', 'RESOLVED', 'DISMISSED']::"ViolationStatus"[])[:s], :how);
