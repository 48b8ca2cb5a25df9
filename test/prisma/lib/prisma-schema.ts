// A small reader of Prisma schema text, enough to compare the models that
// introspection (`prisma db pull --print`) gives with the shipped ones:
// comments, formatting, field order and relation field names do not count;
// types, optionality, native types, defaults, ids, uniques, indexes and the
// foreign keys (with Prisma's default referential actions filled in) do.

export type BlockKind = 'model' | 'view' | 'enum'
export interface Block {
  kind: BlockKind
  name: string
  lines: string[] // one field / value / @@attribute per entry, comments removed
}

/** Removes // and /// comments that are not inside a string. */
function stripComment(line: string): string {
  let inStr = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (c === '\\' && inStr) { i++; continue }
    if (c === '"') inStr = !inStr
    else if (!inStr && c === '/' && line[i + 1] === '/') return line.slice(0, i)
  }
  return line
}

export function parseBlocks(text: string): Map<string, Block> {
  const blocks = new Map<string, Block>()
  let cur: Block | undefined
  for (const raw of text.split('\n')) {
    const line = stripComment(raw).trim()
    if (!line) continue
    const open = /^(model|view|enum|generator|datasource)\s+(\w+)\s*\{$/.exec(line)
    if (open) {
      cur = { kind: open[1] as BlockKind, name: open[2], lines: [] }
      if (open[1] === 'model' || open[1] === 'view' || open[1] === 'enum') blocks.set(`${open[1]} ${open[2]}`, cur)
      continue
    }
    if (line === '}') { cur = undefined; continue }
    cur?.lines.push(line)
  }
  return blocks
}

/** Splits "@id @default(x(\"a b\")) @db.Decimal(40, 4)" into its top-level attributes. */
function splitAttributes(s: string): string[] {
  const out: string[] = []
  let depth = 0
  let inStr = false
  let start = -1
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (inStr) {
      if (c === '\\') i++
      else if (c === '"') inStr = false
      continue
    }
    if (c === '"') inStr = true
    else if (c === '(' || c === '[') depth++
    else if (c === ')' || c === ']') depth--
    else if (c === '@' && depth === 0 && s[i + 1] !== '@') {
      if (start >= 0) out.push(s.slice(start, i).trim())
      start = i
    }
  }
  if (start >= 0) out.push(s.slice(start).trim())
  return out
}

/** The arguments of "@relation(fields: [a], references: [b], onDelete: Cascade)" as a map. */
function relationArgs(attr: string): Map<string, string> {
  const m = new Map<string, string>()
  const inner = attr.replace(/^@relation\(/, '').replace(/\)$/, '')
  const re = /(\w+)\s*:\s*(\[[^\]]*\]|"[^"]*"|\w+)/g
  let x: RegExpExecArray | null
  while ((x = re.exec(inner))) m.set(x[1], x[2].replace(/\s+/g, ''))
  return m
}

/**
 * The canonical lines of one block. `models` holds the names of every model
 * (and view) of the same schema, to tell relation fields from scalar ones.
 * Relation fields lose their names: `relation Target? fields=[..] ...` for the
 * side that holds the foreign key, `backrelation Target[]` for the other.
 */
export function canonicalLines(block: Block, models: Set<string>): string[] {
  if (block.kind === 'enum') {
    return block.lines.map((l) => l.replace(/\s+/g, ' '))
  }
  const out: string[] = []
  for (const line of block.lines) {
    if (line.startsWith('@@')) {
      out.push(line.replace(/\s+/g, ' ').replace(/\[\s+/g, '[').replace(/\s+\]/g, ']').replace(/,\s*/g, ', '))
      continue
    }
    const m = /^(\w+)\s+(\w+)(\[\]|\?)?\s*(.*)$/.exec(line)
    if (!m) { out.push(`?? ${line}`); continue }
    const [, name, type, mod = '', rest] = m
    const attrs = splitAttributes(rest)
    if (models.has(type)) {
      const rel = attrs.find((a) => a.startsWith('@relation'))
      const args = rel ? relationArgs(rel) : new Map<string, string>()
      if (args.has('fields')) {
        const optional = mod === '?'
        const onDelete = args.get('onDelete') ?? (optional ? 'SetNull' : 'Restrict')
        const onUpdate = args.get('onUpdate') ?? 'Cascade'
        const map = args.has('map') ? ` map=${args.get('map')}` : ''
        out.push(`relation ${type}${mod} fields=${args.get('fields')} references=${args.get('references')} onDelete=${onDelete} onUpdate=${onUpdate}${map}`)
      } else {
        out.push(`backrelation ${type}${mod}`)
      }
      continue
    }
    out.push([`${name} ${type}${mod}`, ...attrs.map((a) => a.replace(/,\s*/g, ', ')).sort()].join(' '))
  }
  return out.sort()
}

/** Relation lines (named by target) of an app model that point at one of `targets`. */
export function relationLinesTo(block: Block, models: Set<string>, targets: Set<string>): string[] {
  return canonicalLines(block, models).filter((l) => {
    const m = /^(?:back)?relation (\w+)/.exec(l)
    return m !== null && targets.has(m[1])
  })
}
