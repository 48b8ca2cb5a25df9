-- Status update: one UPDATE of "status" (what Prisma's update sends), the next
-- step of the legal cycle OPEN -> UNDER_REVIEW -> RESOLVED -> OPEN (DISMISSED
-- -> OPEN).  Option 1: with the extension's triggers (check, stamp, history,
-- the event's and month's recount).  Option 2: the same UPDATE with
-- violations_on_violation_update disabled (no aggregates to keep, and no
-- history either: the check and stamp stay).
UPDATE "ViolationSample"
   SET "status" = CASE "status" WHEN 'OPEN' THEN 'UNDER_REVIEW'::"ViolationStatus"
                                WHEN 'UNDER_REVIEW' THEN 'RESOLVED'::"ViolationStatus"
                                ELSE 'OPEN'::"ViolationStatus" END
 WHERE "id" = :p_vid;
