// The drift check catches drift: check-drift.ts on a copy of schema.prisma with
// changes that the database does not have must fail and name each of them.
// (run.sh runs check-drift.ts on the shipped schema itself.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { prismaDir } from '../lib/db.ts'

function mutate(text: string, from: string | RegExp, to: string): string {
  const out = text.replace(from, to)
  assert.notEqual(out, text, `mutation did not apply: ${from}`)
  return out
}

test('check-drift.ts fails with a readable diff when schema.prisma and the extension differ', () => {
  let s = readFileSync(path.join(prismaDir, 'schema.prisma'), 'utf8')
  // a referential action, an index, a native type, a whole model, a relation of an app model
  s = mutate(s, 'sample          ESMRSample?        @relation(fields: [esmrSampleId], references: [id], onDelete: Cascade)',
    'sample          ESMRSample?        @relation(fields: [esmrSampleId], references: [id], onDelete: SetNull)')
  s = mutate(s, '  @@index([status, severity, detectedAt])\n', '')
  s = mutate(s, 'exceedanceRatio Decimal            @db.Decimal(40, 4)', 'exceedanceRatio Decimal            @db.Decimal(8, 2)')
  s = mutate(s, /\/\/\/ Progress of CALL violations_backfill\(\)[\s\S]*?\nmodel ViolationBackfill \{[\s\S]*?\n\}\n/, '')
  const dir = mkdtempSync(path.join(os.tmpdir(), 'violations-drift-test-'))
  try {
    const file = path.join(dir, 'schema.prisma')
    writeFileSync(file, s)
    const r = spawnSync(path.join(prismaDir, 'node_modules/.bin/tsx'), ['check-drift.ts'], {
      cwd: prismaDir, env: { ...process.env, DRIFT_SCHEMA: file }, encoding: 'utf8',
    })
    assert.equal(r.status, 1, r.stdout + r.stderr)
    const err = r.stderr
    assert.match(err, /schema.prisma does not match the extension \(2 problem\(s\)\)/)
    assert.match(err, /model ViolationBackfill: missing from schema.prisma/)
    assert.match(err, /model ViolationSample differs \(- schema.prisma, \+ database\)/)
    assert.match(err, /  - relation ESMRSample\? fields=\[esmrSampleId\] references=\[id\] onDelete=SetNull onUpdate=Cascade/)
    assert.match(err, /  \+ relation ESMRSample\? fields=\[esmrSampleId\] references=\[id\] onDelete=Cascade onUpdate=Cascade/)
    assert.match(err, /  \+ @@index\(\[status, severity, detectedAt\]\)/)
    assert.match(err, /  - exceedanceRatio Decimal @db.Decimal\(8, 2\)/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
