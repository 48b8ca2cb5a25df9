// backfill.ts, the replacement of the seed's scripts/compute-violations.ts, on
// samples stored while detection was off (as samples stored before
// CREATE EXTENSION are): progress, exit codes, errors with their SQLSTATE,
// resuming after a failure, idempotence, Ctrl-C.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import pg from 'pg'
import { createAppDatabase, dropDatabase, newPrisma, prismaDir, sql, sqlState } from '../lib/db.ts'
import { FAC, loadFixtures } from '../lib/fixtures.ts'
import type { PrismaClient } from '../generated/prisma/client.ts'

const DB = 'violations_prisma_backfill'
const N = 2000 // samples stored with detection off
let url: string
let prisma: PrismaClient

function backfill(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(path.join(prismaDir, 'node_modules/.bin/tsx'), ['backfill.ts', ...args], {
    cwd: prismaDir, env: { ...process.env, DATABASE_URL: url, ...env }, encoding: 'utf8', timeout: 120_000,
  })
  return { code: r.status, out: r.stdout, err: r.stderr }
}
const violations = () => prisma.violationSample.count()
async function noDrift() {
  const [r] = await sql(DB, 'SELECT * FROM violations_check_aggregates()')
  assert.deepEqual(r.rows, [])
}

describe('backfill.ts', () => {
  let detected = 0

  before(async () => {
    url = await createAppDatabase(DB)
    prisma = newPrisma(url)
    await loadFixtures(prisma)
    detected = await violations()
    // Samples stored "before the extension": detection off while they go in.
    await prisma.$executeRawUnsafe('ALTER TABLE "ESMRSample" DISABLE TRIGGER violations_detect_insert')
    const tss = await prisma.eSMRParameter.findUniqueOrThrow({ where: { parameterName: 'Total Suspended Solids (TSS)' } })
    await prisma.eSMRSample.createMany({
      data: Array.from({ length: N }, (_, i) => ({
        id: `old_${String(i).padStart(5, '0')}`, locationPlaceId: 2001 + (i % 2), parameterId: tss.id,
        samplingDate: new Date(Date.UTC(2021, 0, 1 + (i % 700))), samplingTime: new Date('1970-01-01T09:00:00Z'),
        qualifier: 'EQUAL' as const, result: String(50 + (i % 200)), units: 'mg/L',
      })),
    })
    await prisma.$executeRawUnsafe('ALTER TABLE "ESMRSample" ENABLE TRIGGER violations_detect_insert')
  })
  after(async () => {
    await prisma?.$disconnect()
    if (!process.env.KEEP_TEST_DATABASES) await dropDatabase(DB)
  })

  test('the stored samples have no violations before the backfill', async () => {
    assert.equal(await violations(), detected)
    assert.equal(await prisma.violationSample.count({ where: { esmrSampleId: { startsWith: 'old_' } } }), 0)
  })

  test('bad arguments exit 2 with a usage line, before touching the database', () => {
    const r = backfill(['--batch-size', '0'])
    assert.equal(r.code, 2)
    assert.match(r.err, /--batch-size must be a positive integer/)
    assert.match(r.err, /usage: /)
  })

  test('a database error exits 1 and names its SQLSTATE (here a role without rights: 42501)', async () => {
    await sql(DB, `DROP ROLE IF EXISTS backfill_nobody; CREATE ROLE backfill_nobody LOGIN;
                   GRANT SELECT ON "ViolationBackfill" TO backfill_nobody`)
    const u = new URL(url)
    u.username = 'backfill_nobody'
    const r = backfill(['--database-url', u.toString()])
    assert.equal(r.code, 1, r.out + r.err)
    assert.match(r.err, /backfill failed: SQLSTATE 42501: permission denied/)
    await sql(DB, `REVOKE ALL ON "ViolationBackfill" FROM backfill_nobody; DROP ROLE backfill_nobody`)
  })

  test('it cannot run inside prisma.$transaction: the procedure COMMITs (SQLSTATE 2D000)', async () => {
    const err = await prisma.$transaction(async (tx) => {
      await tx.$executeRaw`CALL violations_backfill(batch_size => ${100}::integer)`
    }).then(() => undefined, (e) => e)
    assert.equal(sqlState(err), '2D000')
  })

  test('a run stopped by an error keeps its committed batches, and the next run resumes', async () => {
    // statement_timeout stops the CALL after some batches of 5 samples
    const u = new URL(url)
    u.searchParams.set('options', '-c statement_timeout=150')
    const r1 = backfill(['--batch-size', '5', '--database-url', u.toString()])
    assert.equal(r1.code, 1, r1.out + r1.err)
    assert.match(r1.err, /SQLSTATE 57014: canceling statement due to statement timeout/)
    assert.match(r1.err, /Committed batches are kept/)
    const state = await prisma.violationBackfill.findUniqueOrThrow({ where: { id: true } })
    assert.ok(state.samplesDone > 0n && state.samplesDone < BigInt(N), `samplesDone ${state.samplesDone}`)
    assert.equal(state.finishedAt, null)
    await noDrift()

    const r2 = backfill(['--batch-size', '250', '--interval', '0.05', '--check'])
    assert.equal(r2.code, 0, r2.out + r2.err)
    assert.match(r2.out, /backfill: resuming after sample /)
    assert.match(r2.out, /backfill: finished: \d+ samples read, \d+ violations found/)
    assert.match(r2.out, /aggregates equal a recomputation/)
  })

  test('afterwards the stored samples have exactly the violations detection gives', async () => {
    // expected: TSS annual NAL 100 mg/L (result 50..249: those above 100), instantaneous 400 never
    const expected = Array.from({ length: N }, (_, i) => 50 + (i % 200)).filter((x) => x > 100).length
    assert.equal(await prisma.violationSample.count({ where: { esmrSampleId: { startsWith: 'old_' } } }), expected)
    assert.equal(await violations(), detected + expected)
    // they are filed under the linked Facility, in their reporting years
    assert.equal(await prisma.violationSample.count({ where: { esmrSampleId: { startsWith: 'old_' }, facilityId: FAC } }), expected)
    const y2021 = await prisma.violationEvent.findFirstOrThrow({ where: { facilityId: FAC, pollutant: 'TSS', reportingYear: '2021' } })
    assert.equal(y2021.count, await prisma.violationSample.count({ where: { esmrSampleId: { startsWith: 'old_' }, detectedAt: { lt: new Date('2022-01-01') } } }))
  })

  test('progress is shown while it runs, from a second connection', () => {
    const r = backfill(['--restart', '--batch-size', '20', '--interval', '0.02', '--notices'])
    assert.equal(r.code, 0, r.out + r.err)
    assert.match(r.out, /backfill: starting, batches of 20/)
    assert.match(r.out, /backfill: [\d,]+ of [\d,]+ samples \([\d.]+ %\), [\d,]+ violations, [\d,]+ samples\/s/)
    assert.match(r.out, /notice: violations_backfill: \d+ of \d+ samples/)
  })

  test('running it again changes nothing: already finished, exit 0; --restart adds no violation', async () => {
    const before = await violations()
    const r = backfill([])
    assert.equal(r.code, 0)
    assert.match(r.out, /already finished at /)
    const r2 = backfill(['--restart', '--check'])
    assert.equal(r2.code, 0, r2.out + r2.err)
    assert.equal(await violations(), before)
    await noDrift()
  })

  test('Ctrl-C cancels the running batch and exits 130', async () => {
    // hold the progress row so that the CALL waits, then interrupt it
    const blocker = new pg.Client({ connectionString: url })
    await blocker.connect()
    await blocker.query('BEGIN; LOCK TABLE "ViolationBackfill" IN EXCLUSIVE MODE')
    const child = spawn(path.join(prismaDir, 'node_modules/.bin/tsx'), ['backfill.ts', '--restart'], {
      cwd: prismaDir, env: { ...process.env, DATABASE_URL: url }, stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { out += d })
    // wait until the CALL is waiting on the lock
    for (let i = 0; i < 200; i++) {
      const [r] = await sql(DB, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'CALL violations_backfill%' AND wait_event_type = 'Lock'`)
      if (r.rows[0].n > 0) break
      await new Promise((res) => setTimeout(res, 50))
    }
    child.kill('SIGINT')
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)))
    await blocker.query('ROLLBACK')
    await blocker.end()
    assert.equal(code, 130, out)
    assert.match(out, /interrupted: cancelling the running batch/)
  })
})
