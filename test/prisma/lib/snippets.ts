// The code blocks of docs/VIOLATION_QUERY_PATTERNS.md and
// docs/VIOLATION_SCHEMA_MIGRATION.md, so that the tests run them exactly as
// written. A block takes part when its info string names it:
//
//   ```ts snippet=facility-summary        Prisma Client code; `prisma` and the
//                                          page's inputs (facilityId, year, ...:
//                                          SnippetParams) are in scope
//   ```sql snippet=facility-summary-sql   SQL for psql, inputs as psql variables
//                                          (:'facilityId'), run with those values
//
// `npx tsx lib/snippets.ts` writes each ts block into .snippets/<doc>/<id>.ts
// (an async function returning the block's top-level consts) so that
// `tsc --noEmit` type-checks them with the rest; the tests import those files.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

const here = path.dirname(fileURLToPath(import.meta.url))
export const prismaDir = path.resolve(here, '..')
export const repoRoot = path.resolve(prismaDir, '../..')
export const snippetDir = path.join(prismaDir, '.snippets')
export const DOCS = ['docs/VIOLATION_QUERY_PATTERNS.md', 'docs/VIOLATION_SCHEMA_MIGRATION.md']

export interface Snippet {
  doc: string // e.g. docs/VIOLATION_QUERY_PATTERNS.md
  id: string
  lang: 'ts' | 'sql'
  code: string
  line: number // 1-based line of the opening fence
}

export function extractSnippets(doc: string): Snippet[] {
  const text = readFileSync(path.join(repoRoot, doc), 'utf8')
  const lines = text.split('\n')
  const out: Snippet[] = []
  for (let i = 0; i < lines.length; i++) {
    // (a fence may be indented, inside a list item: the indentation is not code)
    const m = /^( *)```(ts|sql)\s+(.*)$/.exec(lines[i])
    if (!m) continue
    const indent = m[1].length
    const id = /(?:^|\s)snippet=([\w-]+)/.exec(m[3])?.[1]
    const start = i
    const body: string[] = []
    for (i++; i < lines.length && !lines[i].trimStart().startsWith('```'); i++) body.push(lines[i].slice(Math.min(indent, lines[i].search(/\S|$/))))
    if (!id) continue
    if (out.some((s) => s.id === id)) throw new Error(`${doc}:${start + 1}: duplicate snippet id ${id}`)
    out.push({ doc, id, lang: m[2] as 'ts' | 'sql', code: body.join('\n'), line: start + 1 })
  }
  return out
}

export function allSnippets(): Snippet[] {
  return DOCS.flatMap(extractSnippets)
}

export function snippetModulePath(s: Snippet): string {
  return path.join(snippetDir, path.basename(s.doc, '.md'), `${s.id}.ts`)
}

/** The module that wraps one ts snippet. */
function tsModule(s: Snippet): string {
  const imports: string[] = []
  const body: string[] = []
  for (const l of s.code.split('\n')) {
    if (/^import\s/.test(l)) {
      // the docs import the app's generated client as '../generated/prisma/client'
      imports.push(l.replace(/(['"])[^'"]*generated\/prisma\/client(?:\.ts|\.js)?\1/, "'../../generated/prisma/client.ts'"))
    } else body.push(l)
  }
  // top-level declarations: `const x =`, `let x: T`, `const [a, b] =`, `const { a, b: c } =`
  const names = body.flatMap((l) => {
    const m = /^(?:const|let)\s+(?:(\w+)\s*[=:]|\[([^\]]+)\]\s*=|\{([^}]+)\}\s*=)/.exec(l)
    if (!m) return []
    if (m[1]) return [m[1]]
    return (m[2] ?? m[3]).split(',').map((p) => p.trim().replace(/^\.\.\./, '').split(/\s*[:=]\s*/).pop()!).filter(Boolean)
  })
  return [
    `// Generated from ${s.doc}:${s.line} (snippet=${s.id}) by lib/snippets.ts: do not edit.`,
    ...imports,
    `import type { PrismaClient as SnippetClient } from '../../generated/prisma/client.ts'`,
    `import type { SnippetParams } from '../../lib/snippet-params.ts'`,
    '',
    `export default async function run(prisma: SnippetClient, params: SnippetParams) {`,
    `  const { ${PARAM_NAMES.join(', ')} } = params`,
    `  {`,
    ...body.map((l) => (l ? '    ' + l : l)),
    `    return { ${names.join(', ')} }`,
    `  }`,
    `}`,
    '',
  ].join('\n')
}

export const PARAM_NAMES = [
  'facilityId', 'placeId', 'handFacilityId', 'year', 'pollutant', 'monthStart', 'from', 'to',
  'locationType', 'eventId', 'violationId', 'reviewer', 'benchmarkId', 'sampleId',
  'afterDetectedAt', 'afterId',
] as const

export function writeSnippetModules(): number {
  rmSync(snippetDir, { recursive: true, force: true })
  let n = 0
  for (const s of allSnippets().filter((x) => x.lang === 'ts')) {
    const file = snippetModulePath(s)
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, tsModule(s))
    n++
  }
  return n
}

/** A psql-style literal of an input value. */
function literal(v: unknown): string {
  if (v instanceof Date) {
    const iso = v.toISOString()
    return `'${iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso}'`
  }
  if (typeof v === 'number' || typeof v === 'bigint') return `'${v}'`
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`
  throw new Error(`no SQL literal for ${String(v)}`)
}

/** The SQL of a snippet with its psql variables (:'name') replaced by the inputs' values. */
export function bindSql(code: string, params: Record<string, unknown>): string {
  return code.replace(/:'(\w+)'/g, (_, name: string) => {
    if (!(name in params) || params[name] === undefined) throw new Error(`SQL snippet needs :'${name}'`)
    return literal(params[name])
  })
}

/** Runs an SQL snippet (one or more statements) as psql would; returns the last result's rows. */
export async function runSqlSnippet(url: string, s: Snippet, params: Record<string, unknown>): Promise<any[]> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    const r = await c.query(bindSql(s.code, params))
    const last = Array.isArray(r) ? r[r.length - 1] : r
    return last.rows
  } finally {
    await c.end()
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const n = writeSnippetModules()
  console.log(`snippets: ${n} Prisma snippets written to ${path.relative(process.cwd(), snippetDir) || '.'}`)
}
