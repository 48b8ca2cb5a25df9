#!/usr/bin/env -S npx tsx
// backfill.ts: evaluates the eSMR samples that were stored before the
// violations extension was installed, from the app's side, through Prisma.
// It replaces the seed's scripts/compute-violations.ts: detection itself now
// runs in the database (on every insert, and here on the stored samples).
//
//   DATABASE_URL=postgresql://... npx tsx backfill.ts [options]
//
//   --batch-size N     samples per batch, each batch its own COMMIT (default 10000)
//   --restart          scan every sample again, even after a finished run
//   --interval S       seconds between progress lines (default 2)
//   --notices          also print the procedure's own NOTICE lines
//   --check            afterwards, compare the aggregates with a recomputation
//   --database-url U   instead of DATABASE_URL
//
// What it does: `CALL violations_backfill(batch_size => N)` through
// prisma.$executeRaw, on a connection of its own (the procedure COMMITs after
// every batch, so it must not run inside prisma.$transaction); while it runs, a
// second connection reads the one "ViolationBackfill" row every few seconds
// and prints samples done / total, violations found, rate and ETA.
//
// It is resumable and idempotent: stopped (Ctrl-C, a crash, a lost
// connection), it keeps every committed batch and the next run resumes after
// the last one; a finished run is not repeated unless --restart.
//
// Exit codes: 0 done (or already finished); 1 the backfill failed in the
// database (the message names the SQLSTATE); 2 bad arguments; 3 cannot reach
// the database or the extension is not installed; 4 --check found the
// aggregates differing from a recomputation; 130 interrupted (Ctrl-C: the
// running batch is cancelled, the committed ones stay).
import { parseArgs } from 'node:util'
import pg from 'pg'
import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient } from './generated/prisma/client.ts'

interface Progress {
  samplesDone: bigint
  violationsFound: bigint
  totalSamples: bigint | null
  startedAt: Date | null
  updatedAt: Date | null
  finishedAt: Date | null
}

class UsageError extends Error {}

/** The PostgreSQL error behind an error thrown by Prisma Client. */
function pgCause(e: unknown): { code?: string; message?: string; detail?: string; hint?: string } | undefined {
  const c = (e as any)?.meta?.driverAdapterError?.cause
  return c ? { code: c.originalCode ?? c.code, message: c.originalMessage ?? c.message, detail: c.detail, hint: c.hint } : undefined
}

function describe(e: unknown): string {
  const c = pgCause(e)
  if (c?.code) {
    return `SQLSTATE ${c.code}: ${c.message}` + (c.detail ? `\n  detail: ${c.detail}` : '') + (c.hint ? `\n  hint: ${c.hint}` : '')
  }
  return (e as Error)?.message ?? String(e)
}

function options(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'batch-size': { type: 'string', default: '10000' },
      restart: { type: 'boolean', default: false },
      interval: { type: 'string', default: '2' },
      notices: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      'database-url': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
  const batchSize = Number(values['batch-size'])
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 2147483647) {
    throw new UsageError(`--batch-size must be a positive integer, not "${values['batch-size']}"`)
  }
  const interval = Number(values.interval)
  if (!(interval > 0)) throw new UsageError(`--interval must be a positive number of seconds, not "${values.interval}"`)
  const url = values['database-url'] ?? process.env.DATABASE_URL
  if (!values.help && !url) throw new UsageError('no database: set DATABASE_URL or pass --database-url')
  return { batchSize, restart: values.restart!, interval, notices: values.notices!, check: values.check!, url: url ?? '', help: values.help! }
}

function fmtDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60)
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
}

function progressLine(p: Progress, t0: number, done0: bigint): string {
  const done = Number(p.samplesDone)
  const total = p.totalSamples === null ? undefined : Number(p.totalSamples)
  const elapsed = (Date.now() - t0) / 1000
  const rate = elapsed > 0 ? (done - Number(done0)) / elapsed : 0
  const pct = total ? ` (${((100 * done) / Math.max(total, 1)).toFixed(1)} %)` : ''
  const eta = total && rate > 0 && total > done ? `, ETA ${fmtDuration((total - done) / rate)}` : ''
  return `backfill: ${done.toLocaleString('en-US')} of ${total?.toLocaleString('en-US') ?? '?'} samples${pct}, ` +
    `${Number(p.violationsFound).toLocaleString('en-US')} violations, ${Math.round(rate).toLocaleString('en-US')} samples/s${eta}`
}

export async function main(argv: string[]): Promise<number> {
  let opts: ReturnType<typeof options>
  try {
    opts = options(argv)
  } catch (e) {
    console.error(`backfill: ${(e as Error).message}\nusage: npx tsx backfill.ts [--batch-size N] [--restart] [--interval S] [--notices] [--check] [--database-url URL]`)
    return 2
  }
  if (opts.help) {
    console.log('usage: npx tsx backfill.ts [--batch-size N] [--restart] [--interval S] [--notices] [--check] [--database-url URL]')
    return 0
  }

  // The CALL gets a pool of one connection, so that the backend pid read
  // first is the one that runs it (Ctrl-C cancels that backend).
  const pool = new pg.Pool({ connectionString: opts.url, max: 1 })
  if (opts.notices) pool.on('connect', (c) => c.on('notice', (n) => console.log(`notice: ${n.message}`)))
  const worker = new PrismaClient({ adapter: new PrismaPg(pool) })
  const monitor = new PrismaClient({ adapter: new PrismaPg({ connectionString: opts.url, max: 1 }) })
  let timer: NodeJS.Timeout | undefined
  let interrupted = false
  let backendPid: number | undefined
  const onSigint = () => {
    interrupted = true
    console.error('\nbackfill: interrupted: cancelling the running batch (committed batches are kept; run again to resume)')
    if (backendPid !== undefined) monitor.$queryRaw`SELECT pg_cancel_backend(${backendPid}::integer)`.catch(() => {})
  }
  try {
    try {
      const [{ pid }] = await worker.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`
      backendPid = pid
      const [{ installed }] = await worker.$queryRaw<{ installed: boolean }[]>`
        SELECT to_regprocedure('violations_backfill(integer, boolean)') IS NOT NULL AS installed`
      if (!installed) {
        console.error('backfill: the violations extension is not installed in this database (run `npx prisma migrate deploy` first)')
        return 3
      }
    } catch (e) {
      console.error(`backfill: cannot query the database: ${describe(e)}`)
      return 3
    }

    const before = await monitor.violationBackfill.findUnique({ where: { id: true } })
    const done0 = opts.restart || !before?.startedAt || before.finishedAt ? 0n : before.samplesDone
    if (before?.finishedAt && !opts.restart) {
      console.log(`backfill: already finished at ${before.finishedAt.toISOString()} ` +
        `(${before.samplesDone} samples, ${before.violationsFound} violations); --restart scans again`)
    } else if (done0 > 0n) {
      console.log(`backfill: resuming after sample ${before?.lastSampleId} (${before?.samplesDone} of ${before?.totalSamples} done)`)
    } else {
      console.log(`backfill: starting, batches of ${opts.batchSize}`)
    }

    const t0 = Date.now()
    let last = ''
    const poll = async () => {
      try {
        const p = await monitor.violationBackfill.findUnique({ where: { id: true } })
        if (p?.startedAt && !p.finishedAt) {
          const line = progressLine(p, t0, done0)
          if (line !== last) console.log(line)
          last = line
        }
      } catch { /* a failed poll is not a failed backfill */ }
    }
    timer = setInterval(poll, opts.interval * 1000)
    process.once('SIGINT', onSigint)

    try {
      await worker.$executeRaw`CALL violations_backfill(batch_size => ${opts.batchSize}::integer, restart => ${opts.restart})`
    } catch (e) {
      const code = pgCause(e)?.code
      if (interrupted) {
        console.error('backfill: stopped; the next run resumes after the last committed batch')
        return 130
      }
      console.error(`backfill failed: ${describe(e)}`)
      if (code === '2D000') console.error('  (the procedure COMMITs per batch: it cannot run inside a transaction)')
      console.error('Committed batches are kept; fix the cause and run again to resume.')
      return 1
    } finally {
      clearInterval(timer)
      process.removeListener('SIGINT', onSigint)
    }

    const p = await monitor.violationBackfill.findUniqueOrThrow({ where: { id: true } })
    const secs = (Date.now() - t0) / 1000
    console.log(`backfill: finished: ${p.samplesDone} samples read, ${p.violationsFound} violations found ` +
      `(run started ${p.startedAt?.toISOString()}, finished ${p.finishedAt?.toISOString()}; this call ${secs.toFixed(1)} s)`)

    if (opts.check) {
      const drift = await monitor.$queryRaw<{ aggregate: string; key: string }[]>`
        SELECT aggregate, key FROM violations_check_aggregates()`
      if (drift.length) {
        console.error(`backfill: ${drift.length} aggregate row(s) differ from a recomputation, e.g. ${drift[0].aggregate} ${drift[0].key}`)
        return 4
      }
      console.log('backfill: aggregates equal a recomputation from "ViolationSample"')
    }
    return 0
  } finally {
    clearInterval(timer)
    await worker.$disconnect().catch(() => {})
    await monitor.$disconnect().catch(() => {})
    await pool.end().catch(() => {})
  }
}

// Run as a command (not when imported by a test).
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
    console.error(`backfill: ${describe(e)}`)
    process.exit(1)
  })
}
