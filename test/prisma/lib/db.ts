// Connections for the Prisma tests and commands: URLs from libpq's variables,
// throwaway databases made the way the app makes its database (its Prisma
// migrations), and the SQLSTATE of an error that Prisma surfaces.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient } from '../generated/prisma/client.ts'

export const prismaDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const repoRoot = path.resolve(prismaDir, '../..')

/**
 * A postgresql:// URL for database `db` from PGHOST/PGPORT/PGUSER/PGPASSWORD
 * (PGHOST may be a Unix-socket directory, as test/cluster.sh makes it).
 */
export function databaseUrl(db: string): string {
  const host = process.env.PGHOST ?? 'localhost'
  const port = process.env.PGPORT ?? '5432'
  const user = encodeURIComponent(process.env.PGUSER ?? 'postgres')
  const pass = process.env.PGPASSWORD ? ':' + encodeURIComponent(process.env.PGPASSWORD) : ''
  if (host.startsWith('/')) {
    return `postgresql://${user}${pass}@localhost/${encodeURIComponent(db)}?host=${encodeURIComponent(host)}&port=${port}`
  }
  return `postgresql://${user}${pass}@${host}:${port}/${encodeURIComponent(db)}`
}

export function newPrisma(url: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) })
}

/** Runs one SQL text (several statements allowed) on database `db` as the admin role. */
export async function sql(db: string, text: string, values?: unknown[]): Promise<pg.QueryResult[]> {
  const c = new pg.Client({ connectionString: databaseUrl(db) })
  await c.connect()
  try {
    const r = await c.query(text, values as any[])
    return Array.isArray(r) ? r : [r]
  } finally {
    await c.end()
  }
}

export async function recreateDatabase(db: string): Promise<void> {
  const q = '"' + db.replace(/"/g, '""') + '"'
  await sql('postgres', `DROP DATABASE IF EXISTS ${q} WITH (FORCE)`)
  await sql('postgres', `CREATE DATABASE ${q}`)
}

export async function dropDatabase(db: string): Promise<void> {
  await sql('postgres', `DROP DATABASE IF EXISTS "${db.replace(/"/g, '""')}" WITH (FORCE)`)
}

/** Runs the Prisma CLI from test/prisma (so prisma.config.ts applies) against `url`. */
export function prismaCli(args: string[], url: string, env: Record<string, string> = {}): string {
  return execFileSync(path.join(prismaDir, 'node_modules/.bin/prisma'), args, {
    cwd: prismaDir,
    env: { ...process.env, DATABASE_URL: url, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** psql -f FILE on database `db`, from the repository's top directory (data/*.sql use relative paths). */
export function psqlFile(db: string, file: string, vars: Record<string, string> = {}): void {
  const v = Object.entries(vars).flatMap(([k, val]) => ['-v', `${k}=${val}`])
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...v, '-d', databaseUrl(db), '-f', file], {
    cwd: repoRoot,
    env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
}

/**
 * The app's database as the app makes it: `prisma migrate deploy` (0_init, the
 * app's own tables, then *_violations_extension, CREATE EXTENSION) and the
 * reference data (26 pollutants, 53 benchmarks, 45 eSMR parameters).
 */
export async function createAppDatabase(db: string): Promise<string> {
  await recreateDatabase(db)
  const url = databaseUrl(db)
  prismaCli(['migrate', 'deploy'], url)
  psqlFile(db, 'data/load_reference.sql')
  return url
}

/** The PostgreSQL error behind an error that Prisma Client threw (any query API). */
export function pgError(e: unknown): { code?: string; message?: string; detail?: string; hint?: string } | undefined {
  const cause = (e as any)?.meta?.driverAdapterError?.cause ?? (e as any)?.cause
  if (!cause) return undefined
  return { code: cause.originalCode ?? cause.code, message: cause.originalMessage ?? cause.message, detail: cause.detail, hint: cause.hint }
}

/** SQLSTATE of a database error surfaced by Prisma Client, e.g. 'VI001' for an illegal status change. */
export function sqlState(e: unknown): string | undefined {
  return pgError(e)?.code
}

/**
 * Whether the Prisma CLI runs on the offline stand-in for its schema engine
 * (../shared/tools): chosen by PRISMA_SCHEMA_ENGINE_BINARY, or by
 * prisma.config.ts when that is unset and the file exists.
 */
export function offlineEngineInUse(): boolean {
  const chosen = process.env.PRISMA_SCHEMA_ENGINE_BINARY
  if (chosen) return chosen.endsWith('prisma-schema-engine-offline.mjs')
  return existsSync(path.resolve(repoRoot, '../shared/tools/prisma-schema-engine-offline.mjs'))
}
