import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const README = fileURLToPath(new URL('../../README.md', import.meta.url))

/**
 * The anchors GitHub (and GitLab) give the README's headings: lower case, punctuation dropped (letters
 * of any script, digits, `-` and `_` kept), spaces to `-`, a repeated one suffixed -1, -2… Headings inside
 * fenced code blocks are not headings.
 */
export function readmeAnchors (text = readFileSync(README, 'utf8')): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  let fenced = false
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced
    if (fenced) continue
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (heading === null) continue
    const slug = (heading[1] as string)
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}_\- ]/gu, '')
      .replace(/ /g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    anchors.add(count === 0 ? slug : `${slug}-${count}`)
  }
  return anchors
}
