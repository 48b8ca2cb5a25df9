// measure.ts: the timings of docs/VIOLATION_QUERY_PATTERNS.md and the backfill
// estimate of docs/VIOLATION_SCHEMA_MIGRATION.md, on generated data.
//
//   PGHOST=... PGPORT=... PGUSER=... npx tsx measure.ts [samples=1200000] [facilities=3000]
//
// 1. A database made by the app's migrations (+ reference data).
// 2. data/generate_samples.sql with the detection trigger DISABLED: the
//    samples are "stored before the extension" (timed).
// 3. backfill.ts (batches of 10000) evaluates them (timed): the migration's
//    backfill estimate.
// 4. ANALYZE, then every snippet of the query-patterns document in order:
//    Prisma snippets timed end to end from Node (warm; median of 9 runs, one run
//    for the ones that change data); single-statement SQL snippets through
//    EXPLAIN (ANALYZE) (median server execution time of 9 runs) with the
//    indexes the plan uses.
// Prints a Markdown report. Not part of `make test` (it takes minutes); leaves
// the database violations_measure (MEASURE_DATABASE) for inspection.
import { spawnSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { createAppDatabase, newPrisma, prismaDir, psqlFile, sql } from './lib/db.ts'
import { bindSql, extractSnippets, snippetModulePath, writeSnippetModules } from './lib/snippets.ts'
import type { SnippetParams } from './lib/snippet-params.ts'

const samples = process.argv[2] ?? '1200000'
const facilities = process.argv[3] ?? '3000'
const DB = process.env.MEASURE_DATABASE ?? 'violations_measure'
const RUNS = 9
const MUTATING = /^(update-status|illegal-status|reviewer-transaction|set-status-function|bulk-status|record-violation)/

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(0))

function indexesOf(plan: any, out = new Set<string>()): Set<string> {
  if (plan['Index Name']) out.add(plan['Index Name'])
  for (const p of plan.Plans ?? []) indexesOf(p, out)
  return out
}
function scansOf(plan: any, out: string[] = []): string[] {
  if (/Seq Scan/.test(plan['Node Type'])) out.push(`Seq Scan on ${plan['Relation Name']}`)
  for (const p of plan.Plans ?? []) scansOf(p, out)
  return out
}

async function main() {
  const lines: string[] = []
  const log = (s = '') => { console.log(s); lines.push(s) }
  const t0 = Date.now()
  const url = await createAppDatabase(DB)
  await sql(DB, 'ALTER TABLE "ESMRSample" DISABLE TRIGGER violations_detect_insert')
  let t = Date.now()
  psqlFile(DB, 'data/generate_samples.sql', { samples, facilities })
  const loadSecs = (Date.now() - t) / 1000
  await sql(DB, 'ALTER TABLE "ESMRSample" ENABLE TRIGGER violations_detect_insert')

  t = Date.now()
  const bf = spawnSync(path.join(prismaDir, 'node_modules/.bin/tsx'), ['backfill.ts', '--interval', '10', '--check'], {
    cwd: prismaDir, env: { ...process.env, DATABASE_URL: url }, encoding: 'utf8',
  })
  const backfillSecs = (Date.now() - t) / 1000
  if (bf.status !== 0) throw new Error(`backfill failed: ${bf.stdout}${bf.stderr}`)
  await sql(DB, 'ANALYZE')
  const [counts] = await sql(DB, `SELECT (SELECT count(*) FROM "ESMRSample") AS samples,
    (SELECT count(*) FROM "ViolationSample") AS violations, (SELECT count(*) FROM "ViolationEvent") AS events,
    (SELECT count(*) FROM "ViolationMonthly") AS months, (SELECT count(*) FROM "Facility") AS facilities`)
  const c = counts.rows[0]

  log(`## Measured on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
    `PostgreSQL ${(await sql(DB, 'SHOW server_version'))[0].rows[0].server_version}, Node ${process.version}`)
  log(`data: ${c.samples} samples, ${c.violations} violations, ${c.events} events, ${c.months} monthly rows, ${c.facilities} facilities`)
  log(`generate_samples.sql with detection off: ${loadSecs.toFixed(1)} s; backfill.ts (batches of 10000): ${backfillSecs.toFixed(1)} s ` +
    `(${Math.round(Number(c.samples) / backfillSecs)} samples/s)`)
  log('```')
  log(bf.stdout.trim().split('\n').slice(-3).join('\n'))
  log('```')

  // The inputs, from the data: the linked facility with the most violations last year, etc.
  const year = String(new Date().getUTCFullYear() - 1)
  const q1 = async (text: string, v: unknown[] = []) => (await sql(DB, text, v))[0].rows[0]
  const fac = await q1(`SELECT "facilityId" FROM "ViolationEvent" WHERE "reportingYear" = $1 AND "facilityId" LIKE 'fac\\_%' AND "facilityId" NOT LIKE 'fac\\_manual%'
                        GROUP BY 1 ORDER BY sum("count") DESC LIMIT 1`, [year])
  const pol = await q1(`SELECT "pollutantKey" AS p FROM "ViolationSample" WHERE "facilityId" = $1 GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`, [fac.facilityId])
  const place = await q1(`SELECT "facilityPlaceId" FROM "ViolationEvent" WHERE "facilityId" IS NULL AND "reportingYear" = $1 GROUP BY 1 ORDER BY sum("count") DESC LIMIT 1`, [year])
  const ev = await q1(`SELECT "id" FROM "ViolationEvent" WHERE "facilityId" = $1 AND "pollutant" = $2 AND "reportingYear" = $3`, [fac.facilityId, pol.p, year])
  const vio = await q1(`SELECT "id", "esmrSampleId" FROM "ViolationSample" WHERE "eventId" = $1 AND "status" = 'OPEN' ORDER BY "detectedAt" LIMIT 1`, [ev.id])
  const loc = await q1(`SELECT l."locationType" FROM "ViolationSample" v JOIN "ESMRSample" s ON s."id" = v."esmrSampleId"
                        JOIN "ESMRLocation" l ON l."locationPlaceId" = s."locationPlaceId" WHERE v."facilityId" = $1 GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`, [fac.facilityId])
  const now = new Date()
  const params: SnippetParams = {
    facilityId: fac.facilityId, placeId: place.facilityPlaceId, handFacilityId: 'fac_manual_1', year, pollutant: pol.p,
    monthStart: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
    from: new Date(`${year}-01-01`), to: new Date(`${Number(year) + 1}-01-01`), locationType: loc.locationType,
    eventId: ev.id, violationId: vio.id, reviewer: 'measure@example.org', benchmarkId: 'TSS:NAL:MAXIMUM:ANNUAL_AVERAGE',
    sampleId: vio.esmrSampleId, afterDetectedAt: new Date(0), afterId: '',
  }
  log(`inputs: facilityId=${params.facilityId} placeId=${params.placeId} year=${year} pollutant=${params.pollutant} ` +
    `locationType=${params.locationType} monthStart=${params.monthStart.toISOString().slice(0, 10)}`)
  const [facCounts] = await sql(DB, `SELECT count(*) AS n, count(*) FILTER (WHERE "pollutantKey" = $2) AS p FROM "ViolationSample" WHERE "facilityId" = $1`, [params.facilityId, params.pollutant])
  log(`that facility: ${facCounts.rows[0].n} violations in all, ${facCounts.rows[0].p} of ${params.pollutant}`)
  log()
  log('| snippet | Prisma (Node, median) | SQL execution (EXPLAIN ANALYZE, median) | indexes used by the SQL plan |')
  log('|---|---|---|---|')

  writeSnippetModules()
  const prisma = newPrisma(url)
  const results = new Map<string, any>()
  const rows = new Map<string, string[]>()
  for (const s of extractSnippets('docs/VIOLATION_QUERY_PATTERNS.md')) {
    const base = s.id.replace(/-sql$/, '')
    const row = rows.get(base) ?? [base, '', '', '']
    rows.set(base, row)
    if (s.lang === 'ts') {
      const mod = await import(snippetModulePath(s))
      const runs = MUTATING.test(s.id) ? 1 : RUNS
      const times: number[] = []
      if (runs > 1) await mod.default(prisma, params) // warm
      for (let i = 0; i < runs; i++) {
        const t1 = performance.now()
        results.set(s.id, await mod.default(prisma, params))
        times.push(performance.now() - t1)
      }
      row[1] = `${ms(median(times))} ms${runs === 1 ? ' (1 run)' : ''}`
      if (s.id === 'keyset') {
        const last = results.get('keyset').last
        if (last) { params.afterDetectedAt = last.detectedAt; params.afterId = last.id }
      }
    } else {
      const text = bindSql(s.code, params as unknown as Record<string, unknown>).trim().replace(/;\s*$/, '')
      if (text.includes(';') || !/^(SELECT|WITH)/i.test(text)) {
        await sql(DB, bindSql(s.code, params as unknown as Record<string, unknown>))
        row[2] = '(statement run once, not timed)'
        continue
      }
      const times: number[] = []
      let plan: any
      for (let i = 0; i < RUNS; i++) {
        const [r] = await sql(DB, `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`)
        plan = r.rows[0]['QUERY PLAN'][0]
        times.push(plan['Execution Time'])
      }
      row[2] = `${ms(median(times))} ms`
      const idx = [...indexesOf(plan.Plan)]
      const seq = scansOf(plan.Plan)
      row[3] = [...idx.map((x) => `\`${x}\``), ...seq].join(', ') || '(none)'
    }
  }
  for (const r of rows.values()) log(`| ${r.join(' | ')} |`)
  await prisma.$disconnect()
  log()
  log(`whole run: ${((Date.now() - t0) / 1000).toFixed(0)} s`)
}

main().catch((e) => { console.error(e); process.exit(1) })
