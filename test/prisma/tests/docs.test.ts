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
import { Prisma, ViolationEraLevel, ViolationSeverity, ViolationStatus, type PrismaClient } from '../generated/prisma/client.ts'

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
/** The permit year (July-June) of today, where the fixtures' s_now_1 falls; after 2024 (the fixtures' last year). */
function permitYearNow(): number {
  const { date } = today()
  const y = date.getUTCMonth() >= 6 ? date.getUTCFullYear() : date.getUTCFullYear() - 1
  assert.ok(y > 2024, `the checks below expect today's permit year after 2024, not ${y}`)
  return y
}

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
  // Permit compliance (1.2), permit years July-June. fac_acme (eSMR 1001), TSS: 2021 and 2022 (the 60
  // weekly 150 mg/L), 2023 (120, 250, 450: 273.33), today's year (220) exceeded; 2024 (150 and a
  // non-detect counted 0: 75) not. COPPER 2023 (0.04 mg/L against 0.0332) exceeded; PH 2024 counted,
  // not exceeded (one result below 6.0); zinc in NTU not counted. Bay Metal (1002) TSS 2023 (300).
  'compliance-levels': ({ elevated, why }) => {
    assert.deepEqual(elevated.map((s: any) => [s.facilityPlaceId, s.pollutantKey, s.level, s.level1Year, s.level2Year]), [
      [1001, 'TSS', ViolationEraLevel.LEVEL_2, 2022, 2023],
      [1001, 'COPPER', ViolationEraLevel.LEVEL_1, 2024, null],
      [PLACE_UNLINKED, 'TSS', ViolationEraLevel.LEVEL_1, 2024, null],
    ])
    assert.deepEqual(elevated[0].exceededYears, [2021, 2022, 2023, permitYearNow()])
    assert.equal(elevated[0].facilityId, FAC)
    assert.equal(elevated[2].facilityId, null)
    assert.deepEqual(why.map((c: any) => [c.facilityPlaceId, c.pollutantKey, c.permitYear]), [
      [1001, 'COPPER', 2023], [1001, 'TSS', 2021], [1001, 'TSS', 2022], [1001, 'TSS', 2023], [1001, 'TSS', permitYearNow()],
      [PLACE_UNLINKED, 'TSS', 2023],
    ])
    const cu = why[0]
    assert.ok(D(cu.average).equals('0.04'))
    assert.ok(D(cu.annualNal).equals('0.0332'))
    assert.equal(cu.units, 'mg/L')
    assert.deepEqual([cu.annualExceeded, cu.instantExceeded, cu.exceeded], [true, false, true])
  },
  'compliance-levels-sql': (rows) => {
    assert.deepEqual(rows.map((r: any) => [r.facilityPlaceId, r.pollutantKey, r.level, r.reportingYear]), [
      [1001, 'TSS', 'LEVEL_2', '2021-2022'], [1001, 'TSS', 'LEVEL_2', '2022-2023'], [1001, 'TSS', 'LEVEL_2', '2023-2024'],
      [1001, 'TSS', 'LEVEL_2', `${permitYearNow()}-${permitYearNow() + 1}`],
      [1001, 'COPPER', 'LEVEL_1', '2023-2024'], [PLACE_UNLINKED, 'TSS', 'LEVEL_1', '2023-2024'],
    ])
    assert.equal(rows[0].name, 'Acme Plating Inc.')
    assert.equal(rows[5].name, null)
  },
  'compliance-years': ({ years }) => {
    assert.deepEqual(years.map((c: any) => [c.reportingYear, c.resultCount, c.nonDetectCount, c.average.toString(), c.instantCount, c.annualExceeded, c.eraLevel]), [
      ['2021-2022', 26, 0, '150', 0, true, ViolationEraLevel.LEVEL_1],
      ['2022-2023', 34, 0, '150', 0, true, ViolationEraLevel.LEVEL_2],
      ['2023-2024', 3, 0, '273.333333', 1, true, ViolationEraLevel.LEVEL_2],
      ['2024-2025', 2, 1, '75', 0, false, ViolationEraLevel.LEVEL_2],
      [`${permitYearNow()}-${permitYearNow() + 1}`, 1, 0, '220', 0, true, ViolationEraLevel.LEVEL_2],
    ])
    for (const c of years) {
      D(c.average); D(c.resultSum); D(c.annualNal)
      assert.equal(c.facilityId, FAC)
    }
  },
  'compliance-years-sql': (rows) => {
    assert.deepEqual(rows.map((r: any) => [r.reportingYear, r.average, r.eraLevel]), [
      ['2021-2022', '150.000000', 'LEVEL_1'], ['2022-2023', '150.000000', 'LEVEL_2'], ['2023-2024', '273.333333', 'LEVEL_2'],
      ['2024-2025', '75.000000', 'LEVEL_2'], [`${permitYearNow()}-${permitYearNow() + 1}`, '220.000000', 'LEVEL_2'],
    ])
  },
  // fac_acme's 2024 violations: NAL 6 (TSS 4 of which 2 CRITICAL, COPPER 1, PH 1) on 5 samples, CMC 1, CCC 1
  'compliance-report': ({ report }) => {
    assert.deepEqual(report.map((r: any) => [r.benchmarkType, r.violationCount, r.sampleCount, r.openCount, r.criticalCount, D(r.maxRatio).toString(), r.worstPollutant]), [
      ['CCC', 1, 1, 1, 1, '4.4444', 'COPPER'],
      ['CMC', 1, 1, 1, 1, '3.0769', 'COPPER'],
      ['NAL', 6, 5, 6, 2, '4.5', 'TSS'],
    ])
    const nal = report[2]
    assert.equal(nal.worstDetectedAt.toISOString().slice(0, 10), '2024-06-10')
    assert.ok(D(nal.worstMeasuredValue).equals(450))
    assert.ok(D(nal.worstBenchmarkValue).equals(100))
    assert.equal(nal.worstUnits, 'mg/L')
    assert.equal(nal.facilityPlaceId, 1001)
  },
  'compliance-report-sql': (rows) => {
    assert.deepEqual(rows.map((r: any) => [r.benchmarkType, r.violationCount, r.maxRatio, r.worstPollutant]), [
      ['CCC', 1, '4.4444', 'COPPER'], ['CMC', 1, '3.0769', 'COPPER'], ['NAL', 6, '4.5000', 'TSS'],
    ])
  },
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
