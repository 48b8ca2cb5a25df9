// The migration path of an existing app (docs/VIOLATION_SCHEMA_MIGRATION.md),
// run as the document says: a database with the app's OLD schema
// (data/app_schema.sql, recorded as migration 0_init), legacy ViolationEvent
// rows and Alerts pointing at them, and samples stored before the extension;
// then `prisma migrate deploy` (the violations_extension migration), the
// document's checks through Prisma and SQL, backfill.ts, and the rollback.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  databaseUrl, dropDatabase, newPrisma, offlineEngineInUse, prismaCli, prismaDir, psqlFile, recreateDatabase, repoRoot, sql,
} from '../lib/db.ts'
import { extractSnippets, runSqlSnippet, snippetModulePath, type Snippet } from '../lib/snippets.ts'
import type { SnippetParams } from '../lib/snippet-params.ts'
import { Prisma, ViolationStatus, type PrismaClient } from '../generated/prisma/client.ts'

const DB = 'violations_prisma_migration'
const SHADOW = 'violations_prisma_migration_shadow'
const DOC = 'docs/VIOLATION_SCHEMA_MIGRATION.md'
let url: string
let prisma: PrismaClient
const snippets = new Map<string, Snippet>(extractSnippets(DOC).map((s) => [s.id, s]))
const params = {} as SnippetParams

async function runSnippet(id: string): Promise<any> {
  const s = snippets.get(id)
  assert.ok(s, `${DOC} has no snippet=${id}`)
  if (s.lang === 'sql') return runSqlSnippet(url, s, params as unknown as Record<string, unknown>)
  return (await import(snippetModulePath(s))).default(prisma, params)
}

/**
 * `prisma migrate diff ... --exit-code`: 0 empty, 2 not empty (as the CLI
 * says), on a fresh shadow database. The offline stand-in for the schema
 * engine (../shared/tools, used only where the native engine cannot be
 * downloaded) crashes at random (wasm "unreachable", about one call in three
 * here) while it reads CHECK constraints, which the extension's tables have:
 * with it, a crash is tried again, up to 10 times, and said so. The native
 * engine gets one try.
 */
async function migrateDiff(args: string[]): Promise<{ code: number; out: string }> {
  const offline = offlineEngineInUse()
  let last = { code: -1, out: '' }
  for (let attempt = 1; attempt <= (offline ? 10 : 1); attempt++) {
    await recreateDatabase(SHADOW)
    const r = spawnSync(path.join(prismaDir, 'node_modules/.bin/prisma'), ['migrate', 'diff', ...args, '--exit-code'], {
      cwd: prismaDir, encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: url, SHADOW_DATABASE_URL: databaseUrl(SHADOW) },
    })
    last = { code: r.status ?? -1, out: r.stdout + r.stderr }
    if (!(offline && last.code === 1 && /Error in Schema engine/.test(last.out))) break
    console.log(`# prisma migrate diff ${args.join(' ')}: the offline schema engine crashed (attempt ${attempt}), trying again`)
  }
  return last
}

const LEGACY = `
INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName") VALUES (3001, 'Old Harbor Works');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType")
VALUES (4001, 3001, 'SW-001', 'STORMWATER_MONITORING');
INSERT INTO "Facility" ("id", "name", "esmrFacilityId") VALUES ('cl_fac_old', 'Old Harbor Works Inc.', 3001);
INSERT INTO "Facility" ("id", "name") VALUES ('cl_fac_made', 'Made by hand');
-- the legacy placeholder rows, as the app wrote them
INSERT INTO "ViolationEvent" ("id", "facilityId", "pollutant", "firstDate", "lastDate", "count", "maxRatio",
                              "reportingYear", "impairedWater", "dismissed")
VALUES ('cl_ve_1', 'cl_fac_old', 'TSS', '2024-01-10', '2024-02-11', 3, 4.25, '2024', false, true),
       ('cl_ve_2', 'cl_fac_old', 'COPPER', '2023-05-01', '2023-05-01', 1, 1.50, '2023', true, false),
       ('cl_ve_3', 'cl_fac_made', 'PH', '2022-03-01', '2022-04-01', 2, 1.10, '2022', false, false);
INSERT INTO "Alert" ("id", "facilityId", "violationEventId", "kind", "message")
VALUES ('cl_al_1', 'cl_fac_old', 'cl_ve_1', 'NEW_VIOLATION', 'TSS above the NAL'),
       ('cl_al_2', 'cl_fac_old', 'cl_ve_2', 'LEVEL_CHANGE', 'Copper'),
       ('cl_al_3', 'cl_fac_made', 'cl_ve_3', 'NEW_VIOLATION', 'pH'),
       ('cl_al_4', 'cl_fac_made', NULL, 'NOTE', 'no event');
-- samples stored before the extension
INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
SELECT s.id, 4001, p."id", s.d::date, '10:00', '=', s.r, s.u
  FROM (VALUES ('cl_s_1', 'Total Suspended Solids (TSS)', '2024-04-01', 150, 'mg/L'),
               ('cl_s_2', 'Copper, Total', '2023-05-05', 0.05, 'mg/L'),
               ('cl_s_3', 'Total Suspended Solids (TSS)', '2021-06-01', 90, 'mg/L')) AS s(id, name, d, r, u)
  JOIN "ESMRParameter" p ON p."parameterName" = s.name;
`

describe(DOC, () => {
  before(async () => {
    // The app's database before the extension: its migrations (0_init) applied.
    await recreateDatabase(DB)
    await recreateDatabase(SHADOW)
    url = databaseUrl(DB)
    psqlFile(DB, 'data/app_schema.sql')
    prismaCli(['migrate', 'resolve', '--applied', '0_init'], url)
    psqlFile(DB, 'data/load_reference.sql')
    await sql(DB, LEGACY)
  })
  after(async () => {
    await prisma?.$disconnect()
    if (!process.env.KEEP_TEST_DATABASES) {
      await dropDatabase(DB)
      await dropDatabase(SHADOW)
    }
  })

  test('0_init is the app\'s schema before the extension (data/app_schema.sql, header comments aside)', () => {
    const strip = (t: string) => t.split('\n').filter((l) => !/^-- (The tables|as printed|\(Prisma)/.test(l)).join('\n').trim()
    assert.equal(strip(readFileSync(path.join(prismaDir, 'migrations/0_init/migration.sql'), 'utf8')),
      strip(readFileSync(path.join(repoRoot, 'data/app_schema.sql'), 'utf8')))
  })

  test('preflight (before the migration)', async () => {
    const [r] = await runSnippet('preflight')
    assert.deepEqual(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)])),
      { legacyEvents: 3, dismissedEvents: 1, alertsWithEvent: 3, storedSamples: 3 })
  })

  test('prisma migrate deploy applies violations_extension (CREATE EXTENSION) and nothing else', async () => {
    const pending = readdirSync(path.join(prismaDir, 'migrations')).filter((d) => d.endsWith('_violations_extension'))
    assert.equal(pending.length, 1)
    const out = prismaCli(['migrate', 'deploy'], url)
    assert.match(out, new RegExp(pending[0]))
    const [m] = await sql(DB, 'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name')
    assert.deepEqual(m.rows.map((r) => r.migration_name), ['0_init', pending[0]])
    const [x] = await sql(DB, `SELECT extversion FROM pg_extension WHERE extname = 'violations'`)
    assert.equal(x.rows[0].extversion, '1.3')
    assert.match(prismaCli(['migrate', 'status'], url), /Database schema is up to date/)
    prisma = newPrisma(url)
  })

  test('every Alert still resolves to its event through Prisma, ids and legacy figures kept', async () => {
    const { alerts, unresolved } = await runSnippet('alerts-resolve')
    assert.equal(alerts.length, 3)
    assert.deepEqual(unresolved, [])
    assert.deepEqual(alerts.map((a: any) => [a.id, a.violationEvent.id]), [['cl_al_1', 'cl_ve_1'], ['cl_al_2', 'cl_ve_2'], ['cl_al_3', 'cl_ve_3']])
    const ve1 = alerts[0].violationEvent
    assert.equal(ve1.facilityId, 'cl_fac_old')
    assert.equal(ve1.count, 3)
    assert.ok(ve1.maxRatio instanceof Prisma.Decimal && ve1.maxRatio.equals('4.25'))
    assert.equal(ve1.firstDate.toISOString().slice(0, 10), '2024-01-10')
    assert.deepEqual([ve1.dismissed, ve1.legacy, ve1.legacyDismissed, ve1.maxSeverity], [true, true, true, null])
    assert.equal(alerts[1].violationEvent.impairedWater, true)
    const none = await prisma.alert.findUniqueOrThrow({ where: { id: 'cl_al_4' }, include: { violationEvent: true } })
    assert.equal(none.violationEvent, null)
    const [r] = await runSnippet('alerts-resolve-sql')
    assert.equal(Number(r.unresolved), 0)
  })

  test('the legacy rows are marked legacy, dismissed kept in legacyDismissed', async () => {
    const rows = await runSnippet('legacy-rows')
    assert.deepEqual(rows.map((r: any) => [r.id, r.dismissed, r.legacyDismissed, r.maxRatio]),
      [['cl_ve_1', true, true, '4.2500'], ['cl_ve_2', false, false, '1.5000'], ['cl_ve_3', false, false, '1.1000']])
  })

  test('the stored samples are not evaluated until the backfill', async () => {
    assert.equal(await prisma.violationSample.count(), 0)
  })

  test('backfill.ts evaluates them; dismissed maps onto status; every alert still resolves', async () => {
    const r = spawnSync(path.join(prismaDir, 'node_modules/.bin/tsx'), ['backfill.ts', '--check'], {
      cwd: prismaDir, env: { ...process.env, DATABASE_URL: url }, encoding: 'utf8',
    })
    assert.equal(r.status, 0, r.stdout + r.stderr)
    assert.match(r.stdout, /finished: 3 samples read, 4 violations found/)
    const { alerted } = await runSnippet('after-backfill')
    const byId = Object.fromEntries(alerted.map((e: any) => [e.id, e]))
    assert.deepEqual(Object.keys(byId), ['cl_ve_1', 'cl_ve_2', 'cl_ve_3'])
    // cl_ve_1 was dismissed: the backfill files its violation DISMISSED, the event stays dismissed
    assert.deepEqual(byId.cl_ve_1.samples.map((v: any) => v.status), [ViolationStatus.DISMISSED])
    assert.deepEqual([byId.cl_ve_1.legacy, byId.cl_ve_1.count, byId.cl_ve_1.dismissedCount, byId.cl_ve_1.dismissed], [false, 1, 1, true])
    assert.ok(byId.cl_ve_1.maxRatio.equals('1.5'))
    // cl_ve_2 was not: its three copper violations are OPEN
    assert.deepEqual(byId.cl_ve_2.samples.map((v: any) => v.status), ['OPEN', 'OPEN', 'OPEN'])
    assert.deepEqual([byId.cl_ve_2.legacy, byId.cl_ve_2.count, byId.cl_ve_2.openCount, byId.cl_ve_2.dismissed], [false, 3, 3, false])
    // cl_ve_3 (no sample behind it) keeps its legacy figures and its alert
    assert.deepEqual([byId.cl_ve_3.legacy, byId.cl_ve_3.count, byId.cl_ve_3.alerts.length], [true, 2, 1])
    const alerts = await prisma.alert.findMany({ include: { violationEvent: true }, orderBy: { id: 'asc' } })
    assert.deepEqual(alerts.map((a) => a.violationEvent?.id ?? null), ['cl_ve_1', 'cl_ve_2', 'cl_ve_3', null])
    // a sample written after the migration starts OPEN, also in a formerly dismissed event
    const tss = await prisma.eSMRParameter.findUniqueOrThrow({ where: { parameterName: 'Total Suspended Solids (TSS)' } })
    await prisma.eSMRSample.create({ data: { id: 'cl_s_new', locationPlaceId: 4001, parameterId: tss.id, samplingDate: new Date('2024-05-01'), samplingTime: new Date('1970-01-01T10:00:00Z'), qualifier: 'EQUAL', result: '130', units: 'mg/L' } })
    const ve1 = await prisma.violationEvent.findUniqueOrThrow({ where: { id: 'cl_ve_1' } })
    assert.deepEqual([ve1.count, ve1.openCount, ve1.dismissedCount, ve1.dismissed], [2, 1, 1, false])
  })

  test('the aggregates equal a recomputation', async () => {
    assert.deepEqual(await runSnippet('check-aggregates'), [])
  })

  test('Prisma Migrate leaves the extension alone: no diff from the database nor from the migrations, and a fresh deploy would create none of it', async () => {
    const db = await migrateDiff(['--from-config-datasource', '--to-schema', 'schema.prisma'])
    assert.equal(db.code, 0, db.out)
    const hist = await migrateDiff(['--from-migrations', 'migrations', '--to-schema', 'schema.prisma'])
    assert.equal(hist.code, 0, hist.out)
    const fresh = prismaCli(['migrate', 'diff', '--from-empty', '--to-schema', 'schema.prisma', '--script'], url)
    assert.match(fresh, /CREATE TABLE "Alert"/)
    assert.doesNotMatch(fresh, /CREATE (TABLE|TYPE|VIEW) "Violation/)
  })

  test('rollback: the database is again what 0_init makes, and the alerts resolve in the legacy table', async () => {
    await prisma.$disconnect()
    // (psql -f: one transaction)
    await runSnippet('rollback')
    const [x] = await sql(DB, `SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'violations'`)
    assert.equal(x.rows[0].n, 0)
    // Prisma's view: the database equals the app's migration 0_init
    const only0 = mkdtempSync(path.join(os.tmpdir(), 'violations-0init-'))
    try {
      cpSync(path.join(prismaDir, 'migrations/0_init'), path.join(only0, '0_init'), { recursive: true })
      cpSync(path.join(prismaDir, 'migrations/migration_lock.toml'), path.join(only0, 'migration_lock.toml'))
      const d = await migrateDiff(['--from-config-datasource', '--to-migrations', only0])
      assert.equal(d.code, 0, d.out)
    } finally {
      rmSync(only0, { recursive: true, force: true })
    }
    const [a] = await sql(DB, `SELECT a."id", e."id" AS "eventId", e."dismissed", e."count"
                                 FROM "Alert" a LEFT JOIN "ViolationEvent" e ON e."id" = a."violationEventId" ORDER BY a."id"`)
    assert.deepEqual(a.rows.map((r) => [r.id, r.eventId, r.dismissed]),
      [['cl_al_1', 'cl_ve_1', false], ['cl_al_2', 'cl_ve_2', false], ['cl_al_3', 'cl_ve_3', false], ['cl_al_4', null, null]])
  })
})
