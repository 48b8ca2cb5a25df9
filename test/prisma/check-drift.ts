// Drift check: do the extension's models in schema.prisma match the database?
//
//   PGHOST=... PGPORT=... PGUSER=... npx tsx check-drift.ts      (from test/prisma)
//
// Makes a throwaway database with the app's tables (data/app_schema.sql) and
// CREATE EXTENSION violations, runs `prisma db pull --print` on it, and
// compares what introspection says about the extension's tables, enums and
// view (and about the relations of the app's models that point at them) with
// the shipped schema.prisma. Formatting, comments, field order and relation
// field names do not count; types, optionality, native types, defaults, ids,
// unique keys, indexes and foreign keys (referential actions included) do.
// A table, enum or view named Violation* that the database has and the shipped
// schema lacks (or the reverse) is drift too. Exits 0 when they match, 1 with a
// readable diff when they do not, 2 when the check itself could not run.
// DRIFT_SCHEMA=file compares another schema file (the tests use it to prove
// that a changed model is caught); DRIFT_DATABASE=name keeps that database.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { databaseUrl, dropDatabase, prismaCli, prismaDir, psqlFile, recreateDatabase, sql } from './lib/db.ts'
import { canonicalLines, parseBlocks, relationLinesTo, type Block } from './lib/prisma-schema.ts'
import { violationsEnums, violationsTables } from './prisma.config.ts'

const VIEWS = ['ViolationSkipSummary', 'ViolationComplianceReport']
const db = process.env.DRIFT_DATABASE ?? `violations_drift_${process.pid}`

function unifiedDiff(a: string[], b: string[]): string {
  // small LCS diff: fine for blocks of a few dozen lines
  const n = a.length, m = b.length
  const dp = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0))
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--)
    dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1])
  const out: string[] = []
  let i = 0, j = 0
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { out.push(`    ${a[i]}`); i++; j++ }
    else if (j < m && (i === n || dp[i][j + 1] >= dp[i + 1][j])) { out.push(`  + ${b[j]}`); j++ }
    else { out.push(`  - ${a[i]}`); i++ }
  }
  return out.join('\n')
}

async function introspect(): Promise<string> {
  await recreateDatabase(db)
  try {
    psqlFile(db, 'data/app_schema.sql')
    await sql(db, 'CREATE EXTENSION violations')
    const engine = process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? ''
    if (engine.endsWith('prisma-schema-engine-offline.mjs')) {
      // The offline stand-in for the schema engine (../shared/tools) panics
      // while introspecting CHECK constraints (wasm "unreachable"), and the CLI
      // then prints nothing and exits 0. Prisma schemas cannot express CHECK
      // constraints anyway (the native engine only adds a comment, which this
      // comparison ignores), so drop them from this throwaway copy.
      await sql(db, `
        DO $$ DECLARE c record; BEGIN
          FOR c IN SELECT conrelid::regclass AS t, conname FROM pg_constraint
                    WHERE contype = 'c' AND connamespace = 'public'::regnamespace LOOP
            EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.t, c.conname);
          END LOOP; END $$`)
      console.log('check-drift: offline schema engine in use: CHECK constraints dropped from the throwaway copy before introspection')
    }
    // Introspect from a bare schema (generator + datasource + the preview
    // features the shipped schema uses), so that nothing of the shipped
    // models leaks into what db pull prints.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'violations-drift-'))
    try {
      const bare = path.join(tmp, 'schema.prisma')
      writeFileSync(bare, [
        'generator client {',
        '  provider        = "prisma-client"',
        '  output          = "generated/prisma"',
        '  previewFeatures = ["views", "partialIndexes"]',
        '}',
        'datasource db {',
        '  provider = "postgresql"',
        '}',
        '',
      ].join('\n'))
      return prismaCli(['db', 'pull', '--print', '--schema', bare], databaseUrl(db))
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  } finally {
    if (!process.env.DRIFT_DATABASE) await dropDatabase(db)
  }
}

async function main(): Promise<number> {
  const shippedText = readFileSync(process.env.DRIFT_SCHEMA ?? path.join(prismaDir, 'schema.prisma'), 'utf8')
  const pulledText = await introspect()
  const shipped = parseBlocks(shippedText)
  const pulled = parseBlocks(pulledText)
  if (![...pulled.keys()].some((k) => k === 'model ViolationSample')) {
    // (the CLI exits 0 even when its engine crashed: never compare against nothing)
    console.error('check-drift: `prisma db pull --print` returned no ViolationSample model; its output was:\n' + pulledText)
    return 2
  }
  const modelNames = (blocks: Map<string, Block>) =>
    new Set([...blocks.values()].filter((b) => b.kind !== 'enum').map((b) => b.name))
  const shippedModels = modelNames(shipped)
  const pulledModels = modelNames(pulled)

  const expected = [
    ...violationsTables.map((t) => `model ${t}`),
    ...VIEWS.map((v) => `view ${v}`),
    ...violationsEnums.map((e) => `enum ${e}`),
  ]
  const problems: string[] = []
  let compared = 0

  // Every extension object the database has must be shipped, and the reverse.
  const isExtensionName = (key: string) => /^(model|view|enum) Violation/.test(key)
  for (const key of pulled.keys()) {
    if (isExtensionName(key) && !expected.includes(key)) problems.push(`${key}: in the database, not in schema.prisma (nor in prisma.config.ts's external lists)`)
  }
  for (const key of shipped.keys()) {
    if (isExtensionName(key) && !expected.includes(key)) problems.push(`${key}: in schema.prisma, not in prisma.config.ts's external lists`)
  }

  for (const key of expected) {
    const s = shipped.get(key)
    const p = pulled.get(key)
    if (!s || !p) {
      problems.push(`${key}: ${s ? 'missing from the database' : 'missing from schema.prisma'}`)
      continue
    }
    const a = canonicalLines(s, shippedModels)
    const b = canonicalLines(p, pulledModels)
    compared++
    if (a.join('\n') !== b.join('\n')) {
      problems.push(`${key} differs (- schema.prisma, + database):\n${unifiedDiff(a, b)}`)
    }
  }

  // The app's models: only their relations to the extension's models.
  const targets = new Set([...violationsTables, ...VIEWS])
  for (const [key, s] of shipped) {
    if (s.kind !== 'model' || targets.has(s.name)) continue
    const p = pulled.get(key)
    if (!p) { problems.push(`${key}: not in the database`); continue }
    const a = relationLinesTo(s, shippedModels, targets)
    const b = relationLinesTo(p, pulledModels, targets)
    compared++
    if (a.join('\n') !== b.join('\n')) {
      problems.push(`${key}, relations to the extension's models, differ (- schema.prisma, + database):\n${unifiedDiff(a, b)}`)
    }
  }

  if (problems.length) {
    console.error(`check-drift: schema.prisma does not match the extension (${problems.length} problem(s)):\n`)
    for (const p of problems) console.error(p + '\n')
    console.error('Fix schema.prisma (see `prisma db pull --print` of a database with the extension), or the extension.')
    return 1
  }
  console.log(`check-drift: ${compared} models/views/enums compared with introspection: no drift`)
  return 0
}

main().then((code) => process.exit(code), (e) => {
  console.error('check-drift: failed:', e?.stderr?.toString?.() || e?.message || e)
  process.exit(2)
})
