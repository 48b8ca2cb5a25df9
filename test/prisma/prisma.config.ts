// Prisma CLI configuration for the app's schema with the violations extension.
//
// The extension's tables, enums (and view) are created and changed by
// `CREATE EXTENSION violations`, not by Prisma Migrate: they are declared
// external below, so `prisma migrate dev/diff/deploy` never creates, alters
// or drops them, while Prisma Client reads and writes them as usual models.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'prisma/config'

const here = path.dirname(fileURLToPath(import.meta.url))

// These machines cannot download Prisma's native schema engine: use the
// offline stand-in from ../shared/tools only when nobody chose an engine and
// the stand-in exists next to the repository. Anyone with network access
// gets the native engine as usual.
const offlineEngine = path.resolve(here, '../../../shared/tools/prisma-schema-engine-offline.mjs')
if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY && existsSync(offlineEngine)) {
  process.env.PRISMA_SCHEMA_ENGINE_BINARY = offlineEngine
}

/** Everything `CREATE EXTENSION violations` creates in the app's schema. */
export const violationsTables = [
  'ViolationSample',
  'ViolationEvent',
  'ViolationMonthly',
  'ViolationSettings',
  'ViolationSeverityBand',
  'ViolationStatusHistory',
  'ViolationSkip',
  'ViolationBackfill',
  'ViolationCompliance',
  'ViolationEraStatus',
]
export const violationsEnums = ['ViolationStatus', 'ViolationSeverity', 'ViolationEraLevel', 'ViolationNonDetect']
const schemaName = process.env.VIOLATIONS_SCHEMA ?? 'public'

export default defineConfig({
  experimental: { externalTables: true },
  schema: path.join(here, 'schema.prisma'),
  migrations: {
    path: path.join(here, 'migrations'),
    // The shadow database replays the migrations, and *_violations_extension
    // creates the external tables there (CREATE EXTENSION). Without an init
    // script Prisma would instead create them from this schema before the
    // first migration, and 0_init's CREATE TABLE "ViolationEvent" would clash.
    initShadowDb: 'SELECT 1;',
  },
  tables: { external: violationsTables.map((t) => `${schemaName}.${t}`) },
  enums: { external: violationsEnums.map((e) => `${schemaName}.${e}`) },
  datasource: {
    url: process.env.DATABASE_URL,
    shadowDatabaseUrl: process.env.SHADOW_DATABASE_URL,
  },
})
