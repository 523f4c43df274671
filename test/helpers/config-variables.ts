import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const SRC = fileURLToPath(new URL('../../src/', import.meta.url))

function files (dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : []
  })
}

/**
 * Every environment variable the gateway reads, found in its source rather than kept in a second list:
 * configuration reads go through a reader (`read('NAME')`, `integer(read, 'NAME', …)`, `oneOf(read, 'NAME', …)`),
 * anything else through `process.env.NAME`. Each may also be given as `<NAME>_FILE`.
 */
export function recognisedVariables (): Set<string> {
  const names = new Set<string>()
  const patterns = [/\bread\(\s*'([A-Z][A-Z0-9_]*)'/g, /\(\s*read\s*,\s*'([A-Z][A-Z0-9_]*)'/g, /\bprocess\.env\.([A-Z][A-Z0-9_]*)/g, /\bprocess\.env\[\s*'([A-Z][A-Z0-9_]*)'\s*\]/g]
  for (const file of files(SRC)) {
    const text = readFileSync(file, 'utf8')
    for (const pattern of patterns) for (const match of text.matchAll(pattern)) names.add(match[1] as string)
  }
  return names
}

/** Whether the gateway reads `name`, directly or as the file form `<NAME>_FILE` of a variable it reads. */
export function isRecognised (name: string, known = recognisedVariables()): boolean {
  return known.has(name) || (name.endsWith('_FILE') && known.has(name.slice(0, -'_FILE'.length)))
}
