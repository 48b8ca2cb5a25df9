// Runs every snippet of docs/VIOLATION_QUERY_PATTERNS.md as written, in the
// document's order, on the test data set (lib/fixtures.ts), and checks what
// each returns. The TypeScript snippets were type-checked by tsc (run.sh)
// from the modules lib/snippets.ts wrote; the SQL ones run with their psql
// variables bound to the same inputs.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createAppDatabase, dropDatabase, newPrisma, sql } from '../lib/db.ts'
import { FAC, HAND, OLD_SAMPLES, PLACE_UNLINKED, TSS_ANNUAL, loadFixtures, today } from '../lib/fixtures.ts'
import { extractSnippets, runSqlSnippet, snippetModulePath, type Snippet } from '../lib/snippets.ts'
import type { SnippetParams } from '../lib/snippet-params.ts'
import { Prisma, ViolationSeverity, ViolationStatus, type PrismaClient } from '../generated/prisma/client.ts'

const DB = 'violations_prisma_docs'
const DOC = 'docs/VIOLATION_QUERY_PATTERNS.md'
let url: string
let prisma: PrismaClient
let params: SnippetParams
const results = new Map<string, any>()

const D = (v: unknown) => {
  assert.ok(v instanceof Prisma.Decimal, `expected a Prisma Decimal, got ${typeof v} ${String(v)}`)
  return v as Prisma.Decimal
}
const sum = (xs: any[], f: (x: any) => number) => xs.reduce((a, x) => a + f(x), 0)

/** What each snippet must give on the test data set. */
const checks: Record<string, (r: any) => void | Promise<void>> = {
  'facility-summary': ({ events, headline }) => {
    assert.deepEqual(events.map((e: any) => e.pollutant), ['COPPER', 'PH', 'TSS'])
    assert.equal(headline, '3 pollutants with violations in 2024')
    const tss = events.find((e: any) => e.pollutant === 'TSS')
    assert.equal(tss.count, 4)
    assert.ok(D(tss.maxRatio).equals(4.5))
    assert.equal(tss.maxSeverity, ViolationSeverity.CRITICAL)
    assert.equal(tss.criticalCount, 2)
  },
  'facility-summary-sql': (rows) => assert.deepEqual(rows.map((r: any) => r.pollutant), ['COPPER', 'PH', 'TSS']),
  'facility-summary-unlinked': ({ unlinkedEvents }) => {
    assert.equal(unlinkedEvents.length, 1)
    assert.equal(unlinkedEvents[0].facilityPlaceId, PLACE_UNLINKED)
    assert.equal(unlinkedEvents[0].facilityId, null)
  },
  'facility-summary-unlinked-sql': (rows) => assert.equal(rows.length, 1),
  'top-facilities': ({ top }) => {
    assert.equal(top[0].facilityId, FAC)
    assert.equal(top[0]._count.pollutant, 3)
    assert.equal(top[0]._sum.count, 8)
    assert.ok(D(top[0]._max.maxRatio).equals(4.5))
  },
  'top-facilities-sql': (rows) => {
    assert.equal(rows[0].facilityId, FAC)
    assert.equal(Number(rows[0].pollutants), 3)
  },
  'pollutant-summary': ({ facilitiesWithViolations, sentence }) => {
    assert.equal(facilitiesWithViolations, 2)
    assert.equal(sentence, 'TSS violations occurred at 2 facilities in 2024')
  },
  'pollutant-summary-sql': (rows) => assert.equal(Number(rows[0].facilities), 2),
  'pollutants-overview': ({ byPollutant }) => {
    const m = Object.fromEntries(byPollutant.map((r: any) => [r.pollutant, r._count._all]))
    assert.deepEqual(m, { TSS: 2, COPPER: 1, PH: 1 })
  },
  'pollutants-overview-sql': (rows) => assert.equal(rows.length, 3),
  'month-count': ({ violationsThisMonth }) => assert.equal(violationsThisMonth, 1),
  'month-count-sql': (rows) => assert.equal(Number(rows[0].violations), 1),
  'monthly-series': ({ series }) => {
    assert.deepEqual(series.map((r: any) => r.month.toISOString().slice(0, 7)), ['2024-03', '2024-04', '2024-06', '2024-07', '2024-09'])
    assert.equal(sum(series, (r) => r._sum.count), 8)
  },
  'monthly-series-sql': (rows) => assert.equal(sum(rows, (r) => Number(r.violations)), 8),
  'drilldown-samples': ({ violations }) => {
    assert.equal(violations.length, 50)
    assert.equal(violations[0].esmrSampleId, 's_now_1')
    for (const v of violations) {
      assert.equal(v.facilityId, FAC)
      assert.equal(v.pollutantKey, 'TSS')
      assert.ok(v.sample && v.sample.location && v.sample.parameter, 'sample with location and parameter')
      assert.equal(v.sample.parameter.parameterName, 'Total Suspended Solids (TSS)')
      assert.ok(D(v.benchmark.value).gt(0))
      D(v.measuredValue); D(v.exceedanceRatio); D(v.sample.result)
    }
    for (let i = 1; i < violations.length; i++) assert.ok(violations[i - 1].detectedAt >= violations[i].detectedAt)
  },
  'drilldown-samples-sql': (rows) => {
    assert.equal(rows.length, 50)
    assert.equal(rows[0].locationType, 'STORMWATER_MONITORING')
  },
  'event-samples': ({ event }) => {
    assert.equal(event.id, params.eventId)
    assert.equal(event.facility.id, FAC)
    assert.equal(event.samples.length, 4)
    assert.equal(event.alerts.length, 1)
    assert.ok(event.samples.every((v: any) => v.eventId === event.id && v.benchmark && v.sample?.location))
  },
  'event-samples-sql': (rows) => assert.equal(rows.length, 4),
  keyset: ({ firstPage, nextPage, last }) => {
    assert.equal(firstPage.length, 50)
    assert.equal(nextPage.length, 16)
    assert.equal(last.id, firstPage[49].id)
    const ids = [...firstPage, ...nextPage].map((v: any) => v.id)
    assert.equal(new Set(ids).size, 66, 'no row twice across the pages')
    // the next page continues the order
    assert.ok(nextPage[0].detectedAt <= last.detectedAt)
    params.afterDetectedAt = last.detectedAt
    params.afterId = last.id
  },
  'keyset-sql': (rows) => {
    assert.deepEqual(rows.map((r: any) => r.id), results.get('keyset').nextPage.map((v: any) => v.id))
  },
  'keyset-cursor': ({ afterCursor }) => {
    assert.deepEqual(afterCursor.map((v: any) => v.id), results.get('keyset').nextPage.map((v: any) => v.id))
  },
  filters: ({ filtered }) => {
    assert.deepEqual(filtered.map((v: any) => `${v.esmrSampleId} ${v.benchmarkId}`).sort(), [
      's_cu_1 COPPER:CCC:MAXIMUM:INSTANTANEOUS', 's_cu_1 COPPER:CMC:MAXIMUM:INSTANTANEOUS', `s_tss_1 ${TSS_ANNUAL}`,
    ])
    assert.ok(filtered.every((v: any) => v.sample.location.locationType === 'STORMWATER_MONITORING'))
  },
  'filters-sql': (rows) => assert.equal(rows.length, 3),
  'critical-2024': ({ critical2024 }) => {
    assert.equal(critical2024.length, 4)
    assert.ok(critical2024.every((v: any) => v.severity === ViolationSeverity.CRITICAL && v.detectedAt.getUTCFullYear() === 2024))
  },
  'critical-2024-sql': (rows) => assert.equal(rows.length, 4),
  'review-queue': ({ queue }) => {
    assert.equal(queue.length, 6)
    assert.equal(queue[0].esmrSampleId, 's_now_1')
    assert.equal(queue.find((v: any) => v.esmrSampleId === 's_bay_1').facility, null)
    assert.equal(queue[0].facility.name, 'Acme Plating Inc.')
  },
  'review-queue-sql': (rows) => assert.equal(rows.length, 6),
  'by-benchmark-type': ({ byType }) => {
    assert.deepEqual(byType.map((r: any) => `${r.benchmarkType} ${r.severity} ${r._count._all}`),
      ['CCC CRITICAL 1', 'CMC CRITICAL 1', 'NAL MODERATE 4', 'NAL CRITICAL 2'])
  },
  'by-benchmark-type-sql': (rows) => assert.equal(rows.length, 4),
  skips: ({ skipped }) => {
    assert.equal(skipped.length, 3)
    assert.ok(skipped.every((s: any) => s.reason === 'UNITS_NOT_CONVERTIBLE' && s.sampleCount === 1n && s.exampleSampleId === 's_zn_ntu'))
  },
  'skips-sql': (rows) => assert.equal(rows.length, 3),
  'update-status': ({ reviewed }) => {
    assert.equal(reviewed.status, ViolationStatus.UNDER_REVIEW)
    assert.equal(reviewed.event.underReviewCount, 1)
    assert.equal(reviewed.event.openCount, 3)
  },
  'update-status-sql': (rows) => assert.equal(rows[0].status, 'UNDER_REVIEW'),
  'illegal-status': async ({ refusal }) => {
    assert.equal(refusal.code, 'VI001')
    assert.equal(refusal.message, 'illegal violation status change from UNDER_REVIEW to OPEN')
    assert.match(refusal.hint, /^Allowed: /)
    const v = await prisma.violationSample.findUniqueOrThrow({ where: { id: params.violationId } })
    assert.equal(v.status, ViolationStatus.UNDER_REVIEW, 'refused change left the row as it was')
  },
  'reviewer-transaction': ({ resolved }) => assert.equal(resolved.status, ViolationStatus.RESOLVED),
  'reviewer-transaction-sql': async () => {
    const v = await prisma.violationSample.findUniqueOrThrow({ where: { id: params.violationId } })
    assert.equal(v.status, ViolationStatus.OPEN)
  },
  'set-status-function': ({ dismissed }) => {
    assert.equal(dismissed.status, 'DISMISSED')
    D(dismissed.exceedanceRatio)
  },
  'set-status-function-sql': (rows) => assert.equal(rows[0].status, 'OPEN'),
  'bulk-status': async ({ bulk }) => {
    assert.equal(bulk.count, 4)
    const e = await prisma.violationEvent.findUniqueOrThrow({ where: { id: params.eventId } })
    assert.equal(e.dismissedCount, 4)
    assert.equal(e.dismissed, true)
  },
  history: ({ history }) => {
    assert.deepEqual(history.map((h: any) => `${h.fromStatus}>${h.toStatus}`), [
      'OPEN>UNDER_REVIEW', 'UNDER_REVIEW>RESOLVED', 'RESOLVED>OPEN', 'OPEN>DISMISSED', 'DISMISSED>OPEN', 'OPEN>DISMISSED',
    ])
    assert.equal(history[1].changedBy, params.reviewer)
    assert.equal(history[1].note, 'lab re-test confirmed the result')
    assert.equal(history[2].changedBy, 'alice@example.com')
    assert.equal(history[3].note, 'duplicate of the composite sample')
    assert.equal(history[0].changedBy, 'postgres')
  },
  'history-sql': (rows) => assert.equal(rows.length, 6),
  'record-violation': async ({ manual }) => {
    assert.equal(manual.esmrSampleId, null)
    assert.equal(manual.facilityId, HAND)
    assert.ok(D(manual.exceedanceRatio).equals(2.5))
    assert.equal(manual.severity, 'CRITICAL')
    const events = await prisma.violationEvent.findMany({ where: { facilityId: HAND, reportingYear: '2024' } })
    assert.equal(events.length, 1)
    assert.equal(events[0].count, 1)
  },
  'record-violation-sql': (rows) => {
    assert.equal(rows[0].severity, 'MODERATE')
    assert.equal(String(rows[0].exceedanceRatio), '1.8000')
  },
  // (3 by now: the violations entered by hand above made fac_hand a TSS facility of 2024)
  'anti-count-from-violations': async ({ slowFacilities }) => {
    assert.equal(slowFacilities.length, 3)
    assert.equal(await prisma.violationEvent.count({ where: { pollutant: 'TSS', reportingYear: '2024', count: { gt: 0 } } }), 3)
  },
  'anti-count-from-violations-sql': (rows) => assert.equal(Number(rows[0].facilities), 3),
  'anti-offset': ({ deepPage }) => assert.equal(deepPage.length, 0),
  'anti-offset-sql': (rows) => assert.equal(rows.length, 0),
}

describe(DOC, () => {
  const snippets: Snippet[] = extractSnippets(DOC)

  before(async () => {
    url = await createAppDatabase(DB)
    prisma = newPrisma(url)
    await loadFixtures(prisma)
    const event = await prisma.violationEvent.findFirstOrThrow({ where: { facilityId: FAC, pollutant: 'TSS', reportingYear: '2024' } })
    await prisma.alert.create({ data: { facilityId: FAC, violationEventId: event.id, kind: 'NEW_VIOLATION', message: 'TSS above the NAL' } })
    const violation = await prisma.violationSample.findUniqueOrThrow({
      where: { esmrSampleId_benchmarkId: { esmrSampleId: 's_tss_3', benchmarkId: TSS_ANNUAL } },
    })
    params = {
      facilityId: FAC, placeId: PLACE_UNLINKED, handFacilityId: HAND, year: '2024', pollutant: 'TSS',
      monthStart: today().monthStart, from: new Date('2024-01-01'), to: new Date('2025-01-01'),
      locationType: 'STORMWATER_MONITORING', eventId: event.id, violationId: violation.id,
      reviewer: 'inspector.lee@example.org', benchmarkId: TSS_ANNUAL, sampleId: 's_tss_1',
      afterDetectedAt: new Date(0), afterId: '',
    }
    assert.equal(OLD_SAMPLES.length, 60)
  })
  after(async () => {
    await prisma?.$disconnect()
    if (!process.env.KEEP_TEST_DATABASES) await dropDatabase(DB)
  })

  test('every snippet of the document has a check', () => {
    const missing = snippets.filter((s) => !checks[s.id]).map((s) => s.id)
    assert.deepEqual(missing, [])
    assert.ok(snippets.length >= 40, `only ${snippets.length} snippets found`)
  })

  for (const s of snippets) {
    test(`${s.lang} snippet=${s.id} (line ${s.line})`, async () => {
      let r: unknown
      if (s.lang === 'ts') {
        const mod = await import(snippetModulePath(s))
        r = await mod.default(prisma, params)
      } else {
        r = await runSqlSnippet(url, s, params as unknown as Record<string, unknown>)
      }
      results.set(s.id, r)
      await checks[s.id]?.(r)
    })
  }

  test('the aggregates still equal a recomputation (violations_check_aggregates)', async () => {
    const [r] = await sql(DB, 'SELECT * FROM violations_check_aggregates()')
    assert.deepEqual(r.rows, [])
  })
})
