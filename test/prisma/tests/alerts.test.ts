// The alert feed and permit compliance (1.2) as the app sees them: a dedicated
// pg.Client LISTENs on channel violations_alert while samples are written
// through Prisma Client (and plain pg for explicit transactions), on a database
// made by the app's migrations. Checks: a violation is announced once, at
// COMMIT, never for a rolled-back transaction (nor savepoint); the
// "alertSeverity" and "alertCompliance" settings; the instantaneous and annual
// NAL rules of the permit year (July-June) and the ERA level rises, each
// announced once; the backfill and violations_compliance_rebuild(notify :=
// false) announce nothing; with "writeAlerts" the app's "Alert" rows; and
// "ViolationCompliance", "ViolationEraStatus" and "ViolationComplianceReport"
// read through Prisma Client with their types.
//
// Between steps, barrier() sends a marker on the same channel from another
// connection and waits for it: PostgreSQL delivers notifications in commit
// order, so everything committed before has arrived by then, and nothing that
// arrives later belongs to the step.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { createAppDatabase, databaseUrl, dropDatabase, newPrisma, sql } from '../lib/db.ts'
import {
  Prisma, ViolationEraLevel, ViolationNonDetect, ViolationSeverity,
  type PrismaClient,
} from '../generated/prisma/client.ts'

const DB = 'violations_prisma_alerts'
const CHANNEL = 'violations_alert'
const BARRIER = '__test_barrier__'

// eSMR facilities of this suite (location = facility + 1000); only the first is linked to a Facility.
const P_LINKED = 5001 // linked to FACILITY: violations, writeAlerts
const P_INSTANT = 5002 // the instantaneous rule
const P_ANNUAL = 5003 // the annual rule, three permit years
const P_SILENT = 5004 // alertCompliance false
const P_UPDATE = 5005 // exceedance begun by an UPDATE, then the sample deleted
const P_QUIET = 5006 // a sample stored with the triggers off, then the backfill
const P_QUIET2 = 5008 // the same, then rebuild(notify := false)
const P_PH = 5009 // pH: instantaneous minimum and maximum
const P_RACE = 5010 // two concurrent writers
const P_REBUILT = 5007 // the same, rebuild with notify (the default)
const P_RELINK = 5003 // linked later to check facilityId follows
const FACILITY = 'fac_alerts'

type Note = { kind: string; [key: string]: any }

// The payloads' keys as docs/COMPLIANCE.md ("The alert feed") lists them: the issue's list plus
// measuredValue, benchmarkValue, units (violation), resultCount (annual_nal), exceededYears (era_level).
const KEYS: Record<string, string[]> = {
  violation: ['kind', 'violationId', 'eventId', 'facilityId', 'facilityPlaceId', 'pollutant', 'benchmarkType', 'severity', 'detectedAt', 'measuredValue', 'benchmarkValue', 'units', 'exceedanceRatio'],
  annual_nal: ['kind', 'facilityPlaceId', 'facilityId', 'pollutant', 'reportingYear', 'permitYear', 'average', 'annualNal', 'units', 'resultCount'],
  instantaneous_nal: ['kind', 'facilityPlaceId', 'facilityId', 'pollutant', 'reportingYear', 'permitYear', 'instantCount', 'units'],
  era_level: ['kind', 'facilityPlaceId', 'facilityId', 'pollutant', 'level', 'fromLevel', 'sincePermitYear', 'exceededYears'],
}
const NUMERIC_KEYS = new Set(['average', 'annualNal', 'exceedanceRatio', 'measuredValue', 'benchmarkValue'])

let url: string
let prisma: PrismaClient
let listener: pg.Client
const all: Note[] = [] // every notification of the suite (markers aside)
let pending: Note[] = [] // since the last barrier
let barrierSeq = 0
const barrierWaiters = new Map<number, () => void>()
const rolledBackViolations: string[] = []

function onNotification(msg: pg.Notification): void {
  if (msg.channel !== CHANNEL) return
  let note: Note
  try {
    note = JSON.parse(msg.payload ?? '')
    if (note === null || typeof note !== 'object' || typeof note.kind !== 'string') note = { kind: '(no kind)', raw: msg.payload }
  } catch {
    note = { kind: '(not JSON)', raw: msg.payload }
  }
  if (note.kind === BARRIER) {
    barrierWaiters.get(note.n)?.()
    return
  }
  all.push(note)
  pending.push(note)
}

/** Waits until everything committed so far has been delivered; returns what arrived since the last call. */
async function barrier(): Promise<Note[]> {
  const n = ++barrierSeq
  const arrived = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`barrier ${n}: its notification did not arrive within 10 s`)), 10_000)
    barrierWaiters.set(n, () => { clearTimeout(timer); barrierWaiters.delete(n); resolve() })
  })
  await sql(DB, 'SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ kind: BARRIER, n })])
  await arrived
  const got = pending
  pending = []
  return got
}

/** A notification with its numeric values as canonical decimal strings (number or string in the JSON). */
function norm(n: Note): Note {
  const out: Note = { ...n }
  for (const k of NUMERIC_KEYS) {
    if (k in out) {
      assert.ok(typeof out[k] === 'number' || typeof out[k] === 'string', `${n.kind}.${k} is a number: ${JSON.stringify(n)}`)
      out[k] = new Prisma.Decimal(String(out[k])).toString()
    }
  }
  return out
}
const order = (a: Note, b: Note) =>
  JSON.stringify([a.kind, a.facilityPlaceId, a.pollutant, a.permitYear ?? 0, a.violationId ?? '']) <
  JSON.stringify([b.kind, b.facilityPlaceId, b.pollutant, b.permitYear ?? 0, b.violationId ?? '']) ? -1 : 1

/**
 * Compares the notifications with the expected ones, in any order, on their
 * documented keys (each must be there). Keys beyond the documented ones are
 * collected in `extraKeys` and reported by a test of their own.
 */
const extraKeys = new Map<string, Set<string>>()
function assertNotes(got: Note[], want: Note[], what: string): void {
  const documented = (n: Note) => {
    assert.ok(KEYS[n.kind], `${what}: unknown kind ${JSON.stringify(n)}`)
    const missing = KEYS[n.kind].filter((k) => !(k in n))
    assert.deepEqual(missing, [], `${what}: a ${n.kind} notification lacks documented keys: ${JSON.stringify(n)}`)
    for (const k of Object.keys(n)) {
      if (!KEYS[n.kind].includes(k)) {
        if (!extraKeys.has(n.kind)) extraKeys.set(n.kind, new Set())
        extraKeys.get(n.kind)!.add(k)
      }
    }
    return Object.fromEntries(KEYS[n.kind].map((k) => [k, n[k]])) as Note
  }
  assert.deepEqual(got.map(documented).map(norm).sort(order), want.map(norm).sort(order), what)
}

const time = new Date('1970-01-01T10:00:00Z')
const day = (iso: string) => new Date(`${iso}T00:00:00Z`)
const params: Record<string, string> = {}
let sampleSeq = 0
function sample(place: number, parameter: 'TSS' | 'CHROMIUM' | 'OIL_GREASE' | 'PH', date: string, result: string | null,
  extra: Partial<Prisma.ESMRSampleCreateManyInput> = {}): Prisma.ESMRSampleCreateManyInput {
  return {
    id: `al_${String(++sampleSeq).padStart(4, '0')}`, locationPlaceId: place + 1000, parameterId: params[parameter],
    samplingDate: day(date), samplingTime: time, qualifier: 'EQUAL', result, units: 'mg/L', ...extra,
  }
}
async function violationsOf(sampleIds: string[]) {
  return prisma.violationSample.findMany({ where: { esmrSampleId: { in: sampleIds } }, orderBy: { esmrSampleId: 'asc' } })
}
async function settings(data: Prisma.ViolationSettingsUpdateInput) {
  await prisma.violationSettings.update({ where: { id: true }, data })
}
async function noComplianceDrift() {
  const [r] = await sql(DB, 'SELECT * FROM violations_check_compliance()')
  assert.deepEqual(r.rows, [], 'violations_check_compliance() reports differences from a recount')
}
const violationNote = (v: { id: string; eventId: string; facilityId: string | null; facilityPlaceId: number | null; pollutantKey: string; benchmarkType: string; severity: string; detectedAt: Date; measuredValue: Prisma.Decimal; benchmarkValue: Prisma.Decimal; units: string; exceedanceRatio: Prisma.Decimal }): Note => ({
  kind: 'violation', violationId: v.id, eventId: v.eventId, facilityId: v.facilityId, facilityPlaceId: v.facilityPlaceId,
  pollutant: v.pollutantKey, benchmarkType: v.benchmarkType, severity: v.severity,
  detectedAt: v.detectedAt.toISOString().slice(0, 10), measuredValue: v.measuredValue.toString(),
  benchmarkValue: v.benchmarkValue.toString(), units: v.units, exceedanceRatio: v.exceedanceRatio.toString(),
})
const annual = (place: number, facilityId: string | null, pollutant: string, permitYear: number, average: string, annualNal: string, resultCount: number): Note => ({
  kind: 'annual_nal', facilityPlaceId: place, facilityId, pollutant, reportingYear: `${permitYear}-${permitYear + 1}`, permitYear, average, annualNal, units: 'mg/L', resultCount,
})
const instant = (place: number, facilityId: string | null, pollutant: string, permitYear: number, instantCount: number, units = 'mg/L'): Note => ({
  kind: 'instantaneous_nal', facilityPlaceId: place, facilityId, pollutant, reportingYear: `${permitYear}-${permitYear + 1}`, permitYear, instantCount, units,
})
const era = (place: number, facilityId: string | null, pollutant: string, fromLevel: string, level: string, sincePermitYear: number, exceededYears: number[]): Note => ({
  kind: 'era_level', facilityPlaceId: place, facilityId, pollutant, level, fromLevel, sincePermitYear, exceededYears,
})

describe('the alert feed (LISTEN violations_alert) and permit compliance', () => {
  before(async () => {
    url = await createAppDatabase(DB)
    prisma = newPrisma(url)
    for (const place of [P_LINKED, P_INSTANT, P_ANNUAL, P_SILENT, P_UPDATE, P_QUIET, P_REBUILT, P_QUIET2, P_PH, P_RACE]) {
      await prisma.eSMRFacility.create({
        data: {
          facilityPlaceId: place, facilityName: `Alert test works ${place}`,
          locations: { create: [{ locationPlaceId: place + 1000, locationCode: 'SW-001', locationType: 'STORMWATER_MONITORING' }] },
        },
      })
    }
    await prisma.facility.create({ data: { id: FACILITY, name: 'Alert Works Inc.', esmrFacilityId: P_LINKED } })
    for (const [key, name] of [['TSS', 'Total Suspended Solids (TSS)'], ['CHROMIUM', 'Chromium (Total)'], ['OIL_GREASE', 'Oil and Grease'], ['PH', 'pH']]) {
      params[key] = (await prisma.eSMRParameter.findUniqueOrThrow({ where: { parameterName: name } })).id
    }
    listener = new pg.Client({ connectionString: databaseUrl(DB) })
    listener.on('notification', onNotification)
    listener.on('error', (e) => { throw e })
    await listener.connect()
    await listener.query(`LISTEN ${CHANNEL}`)
    assert.deepEqual(await barrier(), [], 'setting the database up announced something')
  })
  after(async () => {
    await listener?.end()
    await prisma?.$disconnect()
    if (!process.env.KEEP_TEST_DATABASES) await dropDatabase(DB)
  })

  test('the new settings and their defaults, through Prisma Client', async () => {
    const s = await prisma.violationSettings.findUniqueOrThrow({ where: { id: true } })
    assert.equal(s.nonDetects, ViolationNonDetect.ZERO)
    assert.equal(s.alertSeverity, ViolationSeverity.CRITICAL)
    assert.equal(s.alertCompliance, true)
    assert.equal(s.writeAlerts, false)
    assert.deepEqual(Object.values(ViolationEraLevel), ['BASELINE', 'LEVEL_1', 'LEVEL_2'])
    assert.deepEqual(Object.values(ViolationNonDetect), ['ZERO', 'HALF_MDL', 'MDL', 'EXCLUDE'])
  })

  // (a)
  test('a CRITICAL violation inserted in a transaction: nothing while it is open, one "violation" notification after COMMIT', async () => {
    await barrier()
    let created: Awaited<ReturnType<typeof violationsOf>>[number] | undefined
    await prisma.$transaction(async (tx) => {
      // Chromium has no NAL (only an MCL, 0.1 mg/L): no compliance notification can come along
      const s = await tx.eSMRSample.create({ data: sample(P_LINKED, 'CHROMIUM', '2024-03-05', '0.5'), include: { violations: true } })
      assert.equal(s.violations.length, 1)
      created = s.violations[0]
      assert.equal(created.severity, ViolationSeverity.CRITICAL) // ratio 5
      await sleep(300)
      assert.deepEqual(pending, [], 'a notification arrived while the transaction was open')
    })
    const got = await barrier()
    assert.equal(got.filter((n) => n.kind === 'violation').length, 1, JSON.stringify(got))
    assertNotes(got, [violationNote(created!)], 'after COMMIT')
    const [n] = got
    assert.equal(n.violationId, created!.id)
    assert.equal(n.facilityId, FACILITY)
    assert.equal(n.facilityPlaceId, P_LINKED)
    assert.equal(n.pollutant, 'CHROMIUM')
    assert.equal(n.benchmarkType, 'MCL')
    assert.equal(n.severity, 'CRITICAL')
    assert.ok(String(n.detectedAt).startsWith('2024-03-05'), n.detectedAt)
    assert.ok(new Prisma.Decimal(String(n.exceedanceRatio)).equals(5))
    const row = await prisma.violationSample.findUniqueOrThrow({ where: { id: n.violationId } })
    assert.equal(row.eventId, n.eventId)
    await sleep(300)
    assert.deepEqual(await barrier(), [], 'a second notification came later')
  })

  // (b)
  test('a rolled-back transaction, a rolled-back savepoint, a failed Prisma transaction: nothing is ever sent', async () => {
    await barrier()
    const c = new pg.Client({ connectionString: url })
    await c.connect()
    const insert = (id: string) => c.query(
      `INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
       VALUES ($1, $2, $3, '2024-03-06', '10:00', '=', 0.5, 'mg/L')`, [id, P_LINKED + 1000, params.CHROMIUM])
    const violationIdOf = async (id: string) => {
      const r = await c.query(`SELECT "id", "severity" FROM "ViolationSample" WHERE "esmrSampleId" = $1`, [id])
      assert.equal(r.rows.length, 1)
      assert.equal(r.rows[0].severity, 'CRITICAL')
      rolledBackViolations.push(r.rows[0].id)
    }
    try {
      await c.query('BEGIN')
      await insert('al_rollback_1')
      await violationIdOf('al_rollback_1')
      await sleep(300)
      await c.query('ROLLBACK')

      await c.query('BEGIN')
      await c.query('SAVEPOINT before_sample')
      await insert('al_rollback_2')
      await violationIdOf('al_rollback_2')
      await c.query('ROLLBACK TO SAVEPOINT before_sample')
      await c.query('COMMIT')
    } finally {
      await c.end()
    }
    await assert.rejects(prisma.$transaction(async (tx) => {
      const s = await tx.eSMRSample.create({ data: sample(P_LINKED, 'CHROMIUM', '2024-03-07', '0.5'), include: { violations: true } })
      rolledBackViolations.push(...s.violations.map((v) => v.id))
      throw new Error('the app changed its mind')
    }), /changed its mind/)
    assert.equal(rolledBackViolations.length, 3)
    await sleep(300)
    assert.deepEqual(await barrier(), [])
    assert.equal(await prisma.eSMRSample.count({ where: { id: { in: ['al_rollback_1', 'al_rollback_2'] } } }), 0)
  })

  // (c)
  test('"alertSeverity": CRITICAL (default) skips MODERATE, MODERATE announces both, NULL silences', async () => {
    await barrier()
    // default CRITICAL: a MODERATE violation (ratio 1.5) is not announced
    const moderate = sample(P_LINKED, 'CHROMIUM', '2024-04-01', '0.15')
    await prisma.eSMRSample.create({ data: moderate })
    const [mv] = await violationsOf([moderate.id!])
    assert.equal(mv.severity, ViolationSeverity.MODERATE)
    assert.deepEqual(await barrier(), [], 'a MODERATE violation was announced with alertSeverity CRITICAL')

    await settings({ alertSeverity: ViolationSeverity.MODERATE })
    assert.deepEqual(await barrier(), [], 'changing the setting announced something')
    // one statement, two violations: one notification each
    const two = [sample(P_LINKED, 'CHROMIUM', '2024-04-02', '0.15'), sample(P_LINKED, 'CHROMIUM', '2024-04-03', '0.3')]
    await prisma.eSMRSample.createMany({ data: two })
    const vs = await violationsOf(two.map((s) => s.id!))
    assert.deepEqual(vs.map((v) => v.severity), [ViolationSeverity.MODERATE, ViolationSeverity.CRITICAL])
    assertNotes(await barrier(), vs.map(violationNote), 'alertSeverity MODERATE')

    await settings({ alertSeverity: null })
    await prisma.eSMRSample.create({ data: sample(P_LINKED, 'CHROMIUM', '2024-04-04', '0.9') }) // CRITICAL, ratio 9
    assert.deepEqual(await barrier(), [], 'alertSeverity NULL still announced a violation')

    // only samples being inserted announce violations: not a status change, not a violation entered by hand
    await settings({ alertSeverity: ViolationSeverity.MODERATE })
    await prisma.violationSample.update({ where: { id: vs[1].id }, data: { status: 'UNDER_REVIEW' } })
    await prisma.$queryRaw`SELECT "id" FROM violations_record_violation(${FACILITY}, ${'CHROMIUM:MCL:MAXIMUM:INSTANTANEOUS'}, ${'0.8'}::numeric, ${'2024-04-05'}::date, ${'lab report'})`
    assert.deepEqual(await barrier(), [], 'a status change or a hand-entered violation was announced')
    await settings({ alertSeverity: null })

    // chromium has no NAL: no compliance rows for it
    assert.equal(await prisma.violationCompliance.count({ where: { pollutantKey: 'CHROMIUM' } }), 0)
  })

  // (d)
  test('the instantaneous rule: the second TSS result above 400 mg/L in a permit year (July-June) is announced once, with the level rise', async () => {
    await settings({ alertSeverity: null }) // only compliance notifications from here on
    await barrier()
    // 20 x 10 mg/L, exactly 400 (not above), a non-detect (< 500: never an instantaneous exceedance), permit year 2021
    await prisma.eSMRSample.createMany({
      data: [
        ...Array.from({ length: 20 }, (_, i) => sample(P_INSTANT, 'TSS', new Date(Date.UTC(2021, 6, 5 + 14 * i)).toISOString().slice(0, 10), '10')),
        sample(P_INSTANT, 'TSS', '2021-08-15', '400'),
        sample(P_INSTANT, 'TSS', '2021-08-16', '500', { qualifier: 'LESS_THAN' }),
      ],
    })
    assert.deepEqual(await barrier(), [], 'no exceedance yet')
    await prisma.eSMRSample.create({ data: sample(P_INSTANT, 'TSS', '2021-09-01', '450') })
    assert.deepEqual(await barrier(), [], 'one result above the instantaneous NAL is not yet an exceedance')
    // 2022-06-30 is still in permit year 2021 (2021-2022)
    await prisma.eSMRSample.create({ data: sample(P_INSTANT, 'TSS', '2022-06-30', '450') })
    assertNotes(await barrier(), [
      instant(P_INSTANT, null, 'TSS', 2021, 2),
      era(P_INSTANT, null, 'TSS', 'BASELINE', 'LEVEL_1', 2022, [2021]),
    ], 'the second result above 400 mg/L')
    await prisma.eSMRSample.create({ data: sample(P_INSTANT, 'TSS', '2022-01-15', '450') })
    assert.deepEqual(await barrier(), [], 'a third result above 400 mg/L in the same year announced again')

    const row = await prisma.violationCompliance.findUniqueOrThrow({
      where: { facilityPlaceId_pollutantKey_permitYear: { facilityPlaceId: P_INSTANT, pollutantKey: 'TSS', permitYear: 2021 } },
    })
    // 20 x 10 + 400 + 0 (the non-detect, ZERO) + 3 x 450 = 1950 over 25 results
    assert.deepEqual([row.reportingYear, row.resultCount, row.resultSum.toString(), row.nonDetectCount, row.instantCount, row.average?.toString()],
      ['2021-2022', 25, '1950', 1, 3, '78'])
    assert.deepEqual([row.annualExceeded, row.instantExceeded, row.exceeded, row.eraLevel], [false, true, true, ViolationEraLevel.LEVEL_1])
    assert.ok(row.annualNal?.equals(100))
    assert.equal(row.units, 'mg/L')
    assert.equal(row.facilityId, null)
    assert.equal(await prisma.violationCompliance.count({ where: { facilityPlaceId: P_INSTANT } }), 1)
    await noComplianceDrift()
  })

  // (d)
  test('the instantaneous rule on pH: one result below 6.0 and one above 9.0 (">" counts, a non-detect never) make the second', async () => {
    await barrier()
    await prisma.eSMRSample.createMany({
      data: [
        sample(P_PH, 'PH', '2023-07-15', '7.0', { units: 'SU' }),
        sample(P_PH, 'PH', '2023-07-16', '5.0', { units: 'SU', qualifier: 'LESS_THAN' }), // a non-detect: never an exceedance
      ],
    })
    assert.deepEqual(await barrier(), [])
    await prisma.eSMRSample.create({ data: sample(P_PH, 'PH', '2023-08-01', '5.0', { units: 'SU' }) })
    assert.deepEqual(await barrier(), [], 'one result below 6.0 is not yet an exceedance')
    await prisma.eSMRSample.create({ data: sample(P_PH, 'PH', '2024-05-01', '9.5', { units: 'SU', qualifier: 'GREATER_THAN' }) })
    assertNotes(await barrier(), [
      instant(P_PH, null, 'PH', 2023, 2, 'SU'),
      era(P_PH, null, 'PH', 'BASELINE', 'LEVEL_1', 2024, [2023]),
    ], 'pH below 6.0 then above 9.0')
    const row = await prisma.violationCompliance.findUniqueOrThrow({ where: { facilityPlaceId_pollutantKey_permitYear: { facilityPlaceId: P_PH, pollutantKey: 'PH', permitYear: 2023 } } })
    assert.deepEqual([row.units, row.annualNal, row.instantCount, row.nonDetectCount, row.annualExceeded, row.instantExceeded], ['SU', null, 2, 1, false, true])
    await noComplianceDrift()
  })

  test('two concurrent transactions, each with one TSS result above 400 mg/L in the same year: one instantaneous_nal, after both commit', async () => {
    await barrier()
    const [c1, c2] = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })]
    await c1.connect()
    await c2.connect()
    const insert = (c: pg.Client, id: string, date: string) => c.query(
      `INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime", "qualifier", "result", "units")
       VALUES ($1, $2, $3, $4, '10:00', '=', 450, 'mg/L')`, [id, P_RACE + 1000, params.TSS, date])
    try {
      await prisma.eSMRSample.createMany({ data: Array.from({ length: 10 }, (_, i) => sample(P_RACE, 'TSS', `2022-0${1 + (i % 5)}-1${i % 10}`, '10')) })
      assert.deepEqual(await barrier(), [])
      await c1.query('BEGIN')
      await c2.query('BEGIN')
      await insert(c1, 'al_race_1', '2021-10-01')
      const second = insert(c2, 'al_race_2', '2022-03-01') // may wait for the first
      await sleep(300)
      await c1.query('COMMIT')
      await second
      assert.deepEqual(await barrier(), [], 'announced before the second transaction committed')
      await c2.query('COMMIT')
    } finally {
      await c1.end()
      await c2.end()
    }
    assertNotes(await barrier(), [
      instant(P_RACE, null, 'TSS', 2021, 2),
      era(P_RACE, null, 'TSS', 'BASELINE', 'LEVEL_1', 2022, [2021]),
    ], 'two concurrent writers')
    const row = await prisma.violationCompliance.findUniqueOrThrow({ where: { facilityPlaceId_pollutantKey_permitYear: { facilityPlaceId: P_RACE, pollutantKey: 'TSS', permitYear: 2021 } } })
    assert.deepEqual([row.resultCount, row.instantCount, row.resultSum.toString()], [12, 2, '1000'])
    await noComplianceDrift()
  })

  // (d)
  test('the annual rule: a first exceeded year gives annual_nal and LEVEL_1, a later one LEVEL_2; each once', async () => {
    await barrier()
    await prisma.eSMRSample.create({ data: sample(P_ANNUAL, 'TSS', '2022-08-01', '80') })
    assert.deepEqual(await barrier(), [], 'an average of 80 mg/L announced something')
    // average (80 + 150) / 2 = 115 > 100: permit year 2022 exceeded, Level 1 from 2023
    await prisma.eSMRSample.create({ data: sample(P_ANNUAL, 'TSS', '2023-01-10', '150') })
    assertNotes(await barrier(), [
      annual(P_ANNUAL, null, 'TSS', 2022, '115', '100', 2),
      era(P_ANNUAL, null, 'TSS', 'BASELINE', 'LEVEL_1', 2023, [2022]),
    ], 'the first exceeded year')
    // further samples in the same exceeded year: nothing
    await prisma.eSMRSample.createMany({ data: [sample(P_ANNUAL, 'TSS', '2023-03-01', '200'), sample(P_ANNUAL, 'TSS', '2023-05-01', '120')] })
    await prisma.eSMRSample.create({ data: sample(P_ANNUAL, 'TSS', '2023-06-30', '300') })
    assert.deepEqual(await barrier(), [], 'a second annual_nal for the same year')
    // permit year 2023: 2023-07-01 .. 2024-06-30
    await prisma.eSMRSample.create({ data: sample(P_ANNUAL, 'TSS', '2023-07-01', '90') })
    assert.deepEqual(await barrier(), [], 'an average of 90 mg/L in 2023-2024 announced something')
    await prisma.eSMRSample.create({ data: sample(P_ANNUAL, 'TSS', '2024-06-30', '130') })
    assertNotes(await barrier(), [
      annual(P_ANNUAL, null, 'TSS', 2023, '110', '100', 2),
      era(P_ANNUAL, null, 'TSS', 'LEVEL_1', 'LEVEL_2', 2024, [2022, 2023]),
    ], 'a later exceeded year')
    // permit year 2024 exceeded too: its annual_nal, but no level above LEVEL_2
    await prisma.eSMRSample.create({ data: sample(P_ANNUAL, 'TSS', '2024-07-01', '500') })
    assertNotes(await barrier(), [annual(P_ANNUAL, null, 'TSS', 2024, '500', '100', 1)], 'a third exceeded year')

    const status = await prisma.violationEraStatus.findUniqueOrThrow({ where: { facilityPlaceId_pollutantKey: { facilityPlaceId: P_ANNUAL, pollutantKey: 'TSS' } } })
    assert.deepEqual([status.level, status.level1Year, status.level2Year, status.exceededYears, status.facilityId],
      [ViolationEraLevel.LEVEL_2, 2023, 2024, [2022, 2023, 2024], null])
    const instantStatus = await prisma.violationEraStatus.findUniqueOrThrow({ where: { facilityPlaceId_pollutantKey: { facilityPlaceId: P_INSTANT, pollutantKey: 'TSS' } } })
    assert.deepEqual([instantStatus.level, instantStatus.level1Year, instantStatus.level2Year, instantStatus.exceededYears],
      [ViolationEraLevel.LEVEL_1, 2022, null, [2021]])
    await noComplianceDrift()
  })

  test('"alertCompliance" false: the rows follow, nothing is announced', async () => {
    await settings({ alertCompliance: false })
    await barrier()
    await prisma.eSMRSample.create({ data: sample(P_SILENT, 'TSS', '2023-02-01', '300') })
    assert.deepEqual(await barrier(), [], 'alertCompliance false still announced')
    const s = await prisma.violationEraStatus.findUniqueOrThrow({ where: { facilityPlaceId_pollutantKey: { facilityPlaceId: P_SILENT, pollutantKey: 'TSS' } } })
    assert.deepEqual([s.level, s.exceededYears], [ViolationEraLevel.LEVEL_1, [2022]])
    await settings({ alertCompliance: true })
    assert.deepEqual(await barrier(), [])
  })

  test('an UPDATE of a sample that begins an exceedance is announced (its re-evaluated violation is not); deleting it removes the rows, silently', async () => {
    await settings({ alertSeverity: ViolationSeverity.CRITICAL })
    await barrier()
    const s = sample(P_UPDATE, 'TSS', '2022-08-01', '50')
    await prisma.eSMRSample.create({ data: s })
    assert.deepEqual(await barrier(), [])
    await prisma.eSMRSample.update({ where: { id: s.id }, data: { result: '300' } })
    assert.deepEqual((await violationsOf([s.id!])).map((v) => v.severity), ['CRITICAL']) // found by the re-evaluation, ratio 3
    assertNotes(await barrier(), [
      annual(P_UPDATE, null, 'TSS', 2022, '300', '100', 1),
      era(P_UPDATE, null, 'TSS', 'BASELINE', 'LEVEL_1', 2023, [2022]),
    ], 'the UPDATE')
    const row = await prisma.violationCompliance.findUniqueOrThrow({ where: { facilityPlaceId_pollutantKey_permitYear: { facilityPlaceId: P_UPDATE, pollutantKey: 'TSS', permitYear: 2022 } } })
    assert.deepEqual([row.resultCount, row.resultSum.toString(), row.annualExceeded], [1, '300', true])
    await noComplianceDrift()
    await prisma.eSMRSample.delete({ where: { id: s.id } })
    assert.deepEqual(await barrier(), [])
    assert.equal(await prisma.violationCompliance.count({ where: { facilityPlaceId: P_UPDATE } }), 0)
    assert.equal(await prisma.violationEraStatus.count({ where: { facilityPlaceId: P_UPDATE } }), 0)
    await noComplianceDrift()
  })

  /** Inserts samples with every trigger of "ESMRSample" off, as samples stored before the extension. */
  async function storeWithTriggersOff(data: Prisma.ESMRSampleCreateManyInput[]) {
    await sql(DB, 'ALTER TABLE "ESMRSample" DISABLE TRIGGER USER')
    try {
      await prisma.eSMRSample.createMany({ data })
    } finally {
      await sql(DB, 'ALTER TABLE "ESMRSample" ENABLE TRIGGER USER')
    }
  }

  // docs/COMPLIANCE.md ("How it stays current"): the backfill's batches leave compliance alone, and
  // when its scan ends it runs violations_compliance_rebuild(NULL, notify => false), a silent recount.
  test('the backfill announces nothing; its final recount puts samples stored with the triggers off into compliance, silently', async () => {
    await settings({ alertSeverity: ViolationSeverity.CRITICAL })
    await barrier()
    await storeWithTriggersOff([sample(P_QUIET, 'TSS', '2023-02-01', '300')])
    const [problems] = await sql(DB, 'SELECT * FROM violations_check_compliance()')
    assert.ok(problems.rows.length > 0, 'violations_check_compliance() missed the sample stored with the triggers off')
    assert.equal(await prisma.violationCompliance.count({ where: { facilityPlaceId: P_QUIET } }), 0)

    await sql(DB, 'CALL violations_backfill(restart => true)')
    assert.equal(await prisma.violationSample.count({ where: { facilityPlaceId: P_QUIET, severity: 'CRITICAL' } }), 1)
    assert.deepEqual(await barrier(), [], 'the backfill announced something (a CRITICAL violation, an annual NAL exceedance, Level 1)')
    const q = await prisma.violationCompliance.findUniqueOrThrow({ where: { facilityPlaceId_pollutantKey_permitYear: { facilityPlaceId: P_QUIET, pollutantKey: 'TSS', permitYear: 2022 } } })
    assert.deepEqual([q.resultCount, q.annualExceeded, q.eraLevel], [1, true, ViolationEraLevel.LEVEL_1])
    await noComplianceDrift()
  })

  test('violations_compliance_rebuild(notify := false) announces nothing; with notify (the default) it does', async () => {
    await barrier()
    await storeWithTriggersOff([sample(P_QUIET2, 'TSS', '2023-02-01', '300'), sample(P_REBUILT, 'TSS', '2023-02-01', '300')])
    assert.equal(await prisma.violationCompliance.count({ where: { facilityPlaceId: { in: [P_QUIET2, P_REBUILT] } } }), 0)

    const [quiet] = await sql(DB, 'SELECT violations_compliance_rebuild(ARRAY[$1::int], notify => false) AS n', [P_QUIET2])
    assert.ok(quiet.rows[0].n > 0, `rebuild changed ${quiet.rows[0].n} rows`)
    assert.deepEqual(await barrier(), [], 'violations_compliance_rebuild(notify := false) announced something')
    const q = await prisma.violationCompliance.findUniqueOrThrow({ where: { facilityPlaceId_pollutantKey_permitYear: { facilityPlaceId: P_QUIET2, pollutantKey: 'TSS', permitYear: 2022 } } })
    assert.deepEqual([q.resultCount, q.annualExceeded, q.eraLevel], [1, true, ViolationEraLevel.LEVEL_1])

    const [loud] = await sql(DB, 'SELECT violations_compliance_rebuild(ARRAY[$1::int]) AS n', [P_REBUILT])
    assert.ok(loud.rows[0].n > 0)
    assertNotes(await barrier(), [
      annual(P_REBUILT, null, 'TSS', 2022, '300', '100', 1),
      era(P_REBUILT, null, 'TSS', 'BASELINE', 'LEVEL_1', 2023, [2022]),
    ], 'violations_compliance_rebuild() (notify by default)')

    // all rows current: a full rebuild changes nothing and says nothing
    const [none] = await sql(DB, 'SELECT violations_compliance_rebuild() AS n')
    assert.equal(none.rows[0].n, 0)
    assert.deepEqual(await barrier(), [])
    await noComplianceDrift()
  })

  // (e)
  test('"writeAlerts": Alert rows NEW_VIOLATION, NAL_EXCEEDANCE, LEVEL_CHANGE for the linked facility, linked to its events', async () => {
    assert.equal(await prisma.alert.count(), 0, 'Alert rows were written while writeAlerts was false')
    await settings({ writeAlerts: true, alertSeverity: ViolationSeverity.CRITICAL })
    assert.deepEqual(await barrier(), [])
    // (Alert.createdAt is a timestamp without time zone: new rows are told apart by id, not by time)
    const seen = new Set<string>()
    const newAlerts = async () => {
      const rows = (await prisma.alert.findMany({ include: { violationEvent: true } })).filter((a) => !seen.has(a.id))
      for (const a of rows) seen.add(a.id)
      return rows.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0))
    }

    // 1. TSS 250 mg/L in permit year 2024: a CRITICAL violation, the annual NAL, Level 1
    const s1 = sample(P_LINKED, 'TSS', '2025-02-01', '250')
    await prisma.eSMRSample.create({ data: s1 })
    const [v1] = await violationsOf([s1.id!])
    assert.equal(v1.severity, 'CRITICAL')
    assertNotes(await barrier(), [
      violationNote(v1),
      annual(P_LINKED, FACILITY, 'TSS', 2024, '250', '100', 1),
      era(P_LINKED, FACILITY, 'TSS', 'BASELINE', 'LEVEL_1', 2025, [2024]),
    ], 'TSS 250 mg/L at the linked facility')
    let alerts = await newAlerts()
    assert.deepEqual(alerts.map((a) => [a.kind, a.facilityId]),
      [['LEVEL_CHANGE', FACILITY], ['NAL_EXCEEDANCE', FACILITY], ['NEW_VIOLATION', FACILITY]])
    const byKind = (kind: string) => alerts.filter((a) => a.kind === kind)
    assert.equal(byKind('NEW_VIOLATION')[0].violationEventId, v1.eventId)
    assert.equal(byKind('NAL_EXCEEDANCE')[0].violationEventId, v1.eventId, "the facility's TSS event overlapping permit year 2024")
    assert.equal(byKind('NEW_VIOLATION')[0].violationEvent?.pollutant, 'TSS')
    for (const a of alerts) {
      assert.ok(a.message.trim().length > 10 && !a.message.trim().startsWith('{'), `plain English: ${JSON.stringify(a.message)}`)
      assert.equal(a.acknowledgedAt, null)
    }

    // 2. a back-dated permit year 2022 (an instantaneous exceedance) at the same facility: TSS exceeded in 2022 and 2024
    const lows = Array.from({ length: 10 }, (_, i) => sample(P_LINKED, 'TSS', new Date(Date.UTC(2022, 6, 10 + 7 * i)).toISOString().slice(0, 10), '10'))
    const highs = [sample(P_LINKED, 'TSS', '2022-09-01', '450'), sample(P_LINKED, 'TSS', '2023-02-01', '450')]
    await prisma.eSMRSample.createMany({ data: [...lows, ...highs] }) // the low results first: (100 + 900) / 12 never above 100
    const vs = (await violationsOf(highs.map((s) => s.id!))).filter((v) => v.severity === 'CRITICAL') // the annual benchmark, 4.5
    assert.equal(vs.length, 2)
    assertNotes(await barrier(), [
      ...vs.map(violationNote),
      instant(P_LINKED, FACILITY, 'TSS', 2022, 2),
      era(P_LINKED, FACILITY, 'TSS', 'LEVEL_1', 'LEVEL_2', 2025, [2022, 2024]),
    ], 'a back-dated instantaneous exceedance')
    alerts = await newAlerts()
    assert.deepEqual(alerts.map((a) => a.kind), ['LEVEL_CHANGE', 'NAL_EXCEEDANCE', 'NEW_VIOLATION', 'NEW_VIOLATION'])
    assert.deepEqual(alerts.filter((a) => a.kind === 'NEW_VIOLATION').map((a) => a.violationEventId).sort(), vs.map((v) => v.eventId).sort())
    const nal = alerts.find((a) => a.kind === 'NAL_EXCEEDANCE')!
    // the latest TSS event of the facility overlapping July 2022 - June 2023: the calendar year 2023's
    assert.equal(nal.violationEvent?.reportingYear, '2023', JSON.stringify(nal))
    assert.equal(nal.violationEventId, vs.find((v) => v.detectedAt.getUTCFullYear() === 2023)!.eventId)
    const st = await prisma.violationEraStatus.findUniqueOrThrow({ where: { facilityPlaceId_pollutantKey: { facilityPlaceId: P_LINKED, pollutantKey: 'TSS' } } })
    assert.deepEqual([st.level, st.level1Year, st.level2Year, st.exceededYears, st.facilityId], [ViolationEraLevel.LEVEL_2, 2023, 2025, [2022, 2024], FACILITY])

    // 3. an eSMR facility linked to no Facility: notifications, no Alert row
    const s3 = sample(P_INSTANT, 'TSS', '2025-03-01', '450')
    await prisma.eSMRSample.create({ data: s3 })
    const [v3] = (await violationsOf([s3.id!])).filter((v) => v.severity === 'CRITICAL')
    assertNotes(await barrier(), [
      violationNote(v3),
      annual(P_INSTANT, null, 'TSS', 2024, '450', '100', 1),
      era(P_INSTANT, null, 'TSS', 'LEVEL_1', 'LEVEL_2', 2025, [2021, 2024]),
    ], 'an unlinked facility')
    assert.deepEqual(await newAlerts(), [], 'an Alert row for an eSMR facility linked to no Facility')

    // 4. a non-detect counted at its MDL (nonDetects MDL): an annual exceedance with no violation, so no event
    await settings({ nonDetects: ViolationNonDetect.MDL })
    assert.deepEqual(await barrier(), [], 'nonDetects MDL: no year crosses its NAL, nothing to announce')
    await noComplianceDrift()
    const nd = sample(P_LINKED, 'OIL_GREASE', '2025-01-10', null, { qualifier: 'ND', mdl: '20' })
    await prisma.eSMRSample.create({ data: nd })
    assert.equal((await violationsOf([nd.id!])).length, 0)
    assertNotes(await barrier(), [
      annual(P_LINKED, FACILITY, 'OIL_GREASE', 2024, '20', '15', 1),
      era(P_LINKED, FACILITY, 'OIL_GREASE', 'BASELINE', 'LEVEL_1', 2025, [2024]),
    ], 'a non-detect at its MDL')
    alerts = await newAlerts()
    assert.deepEqual(alerts.map((a) => [a.kind, a.violationEventId]), [['LEVEL_CHANGE', null], ['NAL_EXCEEDANCE', null]])
    const og = await prisma.violationCompliance.findUniqueOrThrow({ where: { facilityPlaceId_pollutantKey_permitYear: { facilityPlaceId: P_LINKED, pollutantKey: 'OIL_GREASE', permitYear: 2024 } } })
    assert.deepEqual([og.resultCount, og.nonDetectCount, og.resultSum.toString(), og.average?.toString(), og.annualExceeded], [1, 1, '20', '20', true])
    await noComplianceDrift()
  })

  // (f)
  test('"ViolationCompliance" and "ViolationEraStatus" through Prisma Client: Decimal, enums, arrays; facilityId follows the link', async () => {
    const rows = await prisma.violationCompliance.findMany({ where: { facilityPlaceId: P_ANNUAL, pollutantKey: 'TSS' }, orderBy: { permitYear: 'asc' } })
    assert.deepEqual(rows.map((r) => [r.permitYear, r.reportingYear, r.resultCount, r.resultSum.toString(), r.average?.toString(), r.annualExceeded, r.instantExceeded, r.exceeded, r.eraLevel]), [
      [2022, '2022-2023', 5, '850', '170', true, false, true, ViolationEraLevel.LEVEL_1],
      [2023, '2023-2024', 2, '220', '110', true, false, true, ViolationEraLevel.LEVEL_2],
      [2024, '2024-2025', 1, '500', '500', true, false, true, ViolationEraLevel.LEVEL_2],
    ])
    for (const r of rows) {
      for (const f of ['resultSum', 'average', 'annualNal'] as const) assert.ok(r[f] instanceof Prisma.Decimal, `${f} is a Prisma Decimal`)
      assert.ok(r.annualNal!.equals(100))
      assert.equal(typeof r.permitYear, 'number')
      assert.ok(r.updatedAt instanceof Date)
      assert.equal(r.units, 'mg/L')
    }
    const [raw] = await prisma.$queryRaw<{ average: unknown; resultSum: unknown }[]>`
      SELECT "average", "resultSum" FROM "ViolationCompliance" WHERE "facilityPlaceId" = ${P_ANNUAL} AND "permitYear" = ${2022}`
    assert.ok(raw.average instanceof Prisma.Decimal && raw.resultSum instanceof Prisma.Decimal, 'raw queries return numeric as Decimal too')
    // the average is rounded to 6 places
    const third = await prisma.violationCompliance.findUniqueOrThrow({ where: { facilityPlaceId_pollutantKey_permitYear: { facilityPlaceId: P_LINKED, pollutantKey: 'TSS', permitYear: 2022 } } })
    assert.deepEqual([third.resultCount, third.resultSum.toString(), third.average?.toString(), third.instantCount], [12, '1000', '83.333333', 2])

    const statuses = await prisma.violationEraStatus.findMany({ orderBy: [{ facilityPlaceId: 'asc' }, { pollutantKey: 'asc' }] })
    assert.deepEqual(statuses.map((s) => [s.facilityPlaceId, s.pollutantKey, s.level, s.exceededYears]), [
      [P_LINKED, 'OIL_GREASE', ViolationEraLevel.LEVEL_1, [2024]],
      [P_LINKED, 'TSS', ViolationEraLevel.LEVEL_2, [2022, 2024]],
      [P_INSTANT, 'TSS', ViolationEraLevel.LEVEL_2, [2021, 2024]],
      [P_ANNUAL, 'TSS', ViolationEraLevel.LEVEL_2, [2022, 2023, 2024]],
      [P_SILENT, 'TSS', ViolationEraLevel.LEVEL_1, [2022]],
      [P_QUIET, 'TSS', ViolationEraLevel.LEVEL_1, [2022]],
      [P_REBUILT, 'TSS', ViolationEraLevel.LEVEL_1, [2022]],
      [P_QUIET2, 'TSS', ViolationEraLevel.LEVEL_1, [2022]],
      [P_PH, 'PH', ViolationEraLevel.LEVEL_1, [2023]],
      [P_RACE, 'TSS', ViolationEraLevel.LEVEL_1, [2021]],
    ])
    for (const s of statuses) {
      assert.ok(Array.isArray(s.exceededYears) && s.exceededYears.every((y) => typeof y === 'number'))
      assert.ok(Object.values(ViolationEraLevel).includes(s.level))
    }

    // linking the eSMR facility to a Facility through Prisma moves facilityId on its rows; unlinking takes it back
    await barrier()
    await prisma.facility.create({ data: { id: 'fac_relinked', name: 'Relinked Works', esmrFacilityId: P_RELINK } })
    assert.deepEqual((await prisma.violationCompliance.findMany({ where: { facilityPlaceId: P_RELINK } })).map((r) => r.facilityId), ['fac_relinked', 'fac_relinked', 'fac_relinked'])
    assert.equal((await prisma.violationEraStatus.findFirstOrThrow({ where: { facilityPlaceId: P_RELINK } })).facilityId, 'fac_relinked')
    await prisma.facility.update({ where: { id: 'fac_relinked' }, data: { esmrFacilityId: null } })
    assert.deepEqual((await prisma.violationCompliance.findMany({ where: { facilityPlaceId: P_RELINK } })).map((r) => r.facilityId), [null, null, null])
    assert.equal((await prisma.violationEraStatus.findFirstOrThrow({ where: { facilityPlaceId: P_RELINK } })).facilityId, null)
    assert.deepEqual(await barrier(), [], 'linking a facility announced something')
    await noComplianceDrift()
  })

  test('"ViolationComplianceReport" through Prisma Client', async () => {
    const rows = await prisma.violationComplianceReport.findMany({ where: { facilityId: FACILITY }, orderBy: [{ reportingYear: 'asc' }, { benchmarkType: 'asc' }] })
    const tss2025 = rows.find((r) => r.reportingYear === '2025' && r.benchmarkType === 'NAL')
    assert.ok(tss2025, JSON.stringify(rows))
    assert.ok(tss2025.maxRatio instanceof Prisma.Decimal, 'maxRatio is a Prisma Decimal')
    assert.ok(tss2025.maxRatio.equals('2.5'))
    assert.equal(tss2025.worstPollutant, 'TSS')
    assert.equal(Number(tss2025.violationCount), 1)
    // per (facilityId, facilityPlaceId): the detected chromium violations, and the one entered by hand (no eSMR facility)
    const mcl = rows.filter((r) => r.benchmarkType === 'MCL')
    assert.deepEqual(mcl.map((r) => [r.facilityPlaceId, r.reportingYear, Number(r.violationCount), r.maxRatio?.toString(), r.worstPollutant]).sort(),
      [[P_LINKED, '2024', 5, '9', 'CHROMIUM'], [null, '2024', 1, '8', 'CHROMIUM']].sort())
  })

  test('the payloads carry exactly the documented keys (docs/COMPLIANCE.md)', () => {
    assert.ok(all.length > 0)
    const extras = Object.fromEntries([...extraKeys].map(([k, v]) => [k, [...v].sort()]))
    assert.deepEqual(extras, {}, 'keys beyond the documented ones, per kind')
  })

  test('nothing was ever announced for the rolled-back violations; every notification was of a documented kind', async () => {
    assert.deepEqual(await barrier(), [])
    assert.equal(rolledBackViolations.length, 3)
    assert.deepEqual(all.filter((n) => rolledBackViolations.includes(n.violationId)), [])
    assert.deepEqual(all.filter((n) => !KEYS[n.kind]), [])
    assert.equal(await prisma.violationSample.count({ where: { id: { in: rolledBackViolations } } }), 0)
    await noComplianceDrift()
  })

  test('TRUNCATE "ESMRSample" empties "ViolationCompliance" and "ViolationEraStatus", silently', async () => {
    await barrier()
    await sql(DB, 'TRUNCATE "ESMRSample" CASCADE')
    assert.equal(await prisma.violationCompliance.count(), 0)
    assert.equal(await prisma.violationEraStatus.count(), 0)
    assert.deepEqual(await barrier(), [])
    await noComplianceDrift()
  })
})
