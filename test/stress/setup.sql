-- make stress, part A: what the pgbench scripts work on (run after
-- data/generate_samples.sql).  8 locations of 4 linked facilities and 6
-- tracked parameters, shared by every client, so that their inserts,
-- updates, deletes and status changes meet on the same events and months.
\set ON_ERROR_STOP on
CREATE SEQUENCE stress_seq;
CREATE TABLE stress_loc (i int PRIMARY KEY, loc int NOT NULL);
INSERT INTO stress_loc
SELECT row_number() OVER (ORDER BY l."locationPlaceId"), l."locationPlaceId"
  FROM "ESMRLocation" l
 WHERE l."facilityPlaceId" IN (SELECT f."esmrFacilityId" FROM "Facility" f
                                WHERE f."esmrFacilityId" IS NOT NULL
                                ORDER BY f."esmrFacilityId" LIMIT 4)
 ORDER BY l."locationPlaceId" LIMIT 8;
-- base: a typical result in the units given; the scripts draw 0.1x .. 4x of it
CREATE TABLE stress_par (i int PRIMARY KEY, pid text NOT NULL, base numeric NOT NULL, units text NOT NULL);
INSERT INTO stress_par
SELECT v.i, p."id", v.base, v.units
  FROM (VALUES (1, 'Total Suspended Solids (TSS)', 60, 'mg/L'),
               (2, 'Copper, Total', 20, 'ug/L'),
               (3, 'Zinc, Total', 150, 'ug/L'),
               (4, 'Oil and Grease', 10, 'mg/L'),
               (5, 'Lead, Total', 40, 'ug/L'),
               (6, 'pH', 6.5, 'SU')) AS v(i, name, base, units)
  JOIN "ESMRParameter" p ON p."parameterName" = v.name;
DO $$ BEGIN
  IF (SELECT count(*) FROM stress_par) <> 6 OR (SELECT count(*) FROM stress_loc) < 4 THEN
    RAISE EXCEPTION 'stress setup: parameters or locations missing';
  END IF;
END $$;
-- the benchmarks the edit script toggles, with their original values
CREATE TABLE stress_bench (id text PRIMARY KEY, orig numeric NOT NULL);
INSERT INTO stress_bench SELECT "id", "value" FROM "PollutantBenchmark"
 WHERE "pollutantKey" IN ('COPPER', 'ZINC') AND "benchmarkType" IN ('CCC', 'NAL');
-- status changes that failed as the workflow says they must (caught here, since
-- pgbench aborts a client on any error other than a serialization failure or
-- a deadlock)
CREATE TABLE stress_expected_error (sqlstate text NOT NULL, script text NOT NULL);

-- A status change of one violation chosen at random among the stress samples',
-- by violations_set_status() (how = 1) or a plain UPDATE (how = 2).
CREATE FUNCTION stress_status(new_status "ViolationStatus", how int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	vid text;
BEGIN
	SELECT "id" INTO vid FROM "ViolationSample"
	 WHERE "esmrSampleId" LIKE 'pgb\_%' ORDER BY random() LIMIT 1;
	IF vid IS NULL THEN RETURN; END IF;
	BEGIN
		IF how = 1 THEN
			PERFORM violations_set_status(vid, new_status, 'stress');
		ELSE
			UPDATE "ViolationSample" SET "status" = new_status WHERE "id" = vid;
		END IF;
	EXCEPTION
		WHEN SQLSTATE 'VI001' THEN		-- illegal transition: expected
			INSERT INTO stress_expected_error VALUES ('VI001', 'status');
		WHEN no_data_found THEN			-- P0002: violations_set_status() on a violation
										-- that a concurrent sample UPDATE/DELETE removed
			INSERT INTO stress_expected_error VALUES ('P0002', 'status');
	END;
END
$$;
