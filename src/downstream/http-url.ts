/** An absolute http(s) URL, or a TypeError naming the option (`what`, e.g. `Izly client: endpoint`). */
export function httpUrl (value: string, what: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new TypeError(`${what} must be an absolute http(s) URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`${what} must be an http(s) URL`)
  return url
}
