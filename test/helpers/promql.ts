/**
 * Enough of PromQL to find the series an expression reads: a tokenizer that skips strings, comments,
 * ranges and subqueries (`[5m]`, `[4h:1m]`, `[$__rate_interval]`), numbers and durations, operators,
 * the label lists of `by`/`without`/`on`/`ignoring`/`group_left`/`group_right`, and tells functions (a
 * name before `(`) from metric names. A function it does not know is an error rather than a guess, so a
 * misspelt `rat(` is caught as surely as a misspelt metric.
 */
export interface Selector {
  metric: string
  /** Label names of the selector's matchers (`{downstream="izly", queue=~"…"}`). */
  labels: string[]
}

const FUNCTIONS = new Set([
  'abs', 'absent', 'absent_over_time', 'ceil', 'changes', 'clamp', 'clamp_max', 'clamp_min', 'day_of_month', 'day_of_week',
  'day_of_year', 'days_in_month', 'delta', 'deriv', 'exp', 'floor', 'histogram_quantile', 'histogram_count', 'histogram_sum',
  'histogram_fraction', 'holt_winters', 'hour', 'idelta', 'increase', 'irate', 'label_join', 'label_replace', 'ln', 'log2',
  'log10', 'minute', 'month', 'predict_linear', 'rate', 'resets', 'round', 'scalar', 'sgn', 'sort', 'sort_desc', 'sqrt',
  'time', 'timestamp', 'vector', 'year', 'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time',
  'count_over_time', 'quantile_over_time', 'stddev_over_time', 'stdvar_over_time', 'last_over_time', 'present_over_time',
  // aggregation operators
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile',
])
/** Followed by a parenthesised list of label names, which are not series. */
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right'])
const KEYWORDS = new Set(['bool', 'offset', 'and', 'or', 'unless', 'atan2', 'inf', 'nan', 'Inf', 'NaN'])

export function selectors (expr: string): Selector[] {
  const found: Selector[] = []
  let i = 0
  const peek = (): string => {
    let j = i
    while (j < expr.length && /\s/.test(expr[j] as string)) j++
    return expr[j] ?? ''
  }
  const skipPast = (open: string, close: string): void => {
    // i is at `open`; strings inside are skipped as a whole.
    let depth = 0
    while (i < expr.length) {
      const c = expr[i] as string
      if (c === '"' || c === "'" || c === '`') { skipString(); continue }
      if (c === open) depth++
      if (c === close && --depth === 0) { i++; return }
      i++
    }
    throw new Error(`unbalanced ${open} in ${expr}`)
  }
  const skipString = (): void => {
    const quote = expr[i]
    i++
    while (i < expr.length && expr[i] !== quote) i += expr[i] === '\\' ? 2 : 1
    if (i >= expr.length) throw new Error(`unterminated string in ${expr}`)
    i++
  }
  const identifier = (): string => {
    const match = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i))
    i += match?.[0].length ?? 0
    return match?.[0] ?? ''
  }
  const matchers = (): string[] => {
    // i is at `{`.
    const labels: string[] = []
    i++
    while (i < expr.length) {
      while (/[\s,]/.test(expr[i] ?? '')) i++
      if (expr[i] === '}') { i++; return labels }
      const label = identifier()
      if (label === '') throw new Error(`a label name expected at ${i} in ${expr}`)
      labels.push(label)
      while (/\s/.test(expr[i] ?? '')) i++
      const op = /^(=~|!~|!=|=)/.exec(expr.slice(i))
      if (op === null) throw new Error(`a matcher operator expected after ${label} in ${expr}`)
      i += op[0].length
      while (/\s/.test(expr[i] ?? '')) i++
      if (!['"', "'", '`'].includes(expr[i] ?? '')) throw new Error(`a quoted value expected after ${label}${op[0]} in ${expr}`)
      skipString()
    }
    throw new Error(`unbalanced { in ${expr}`)
  }

  while (i < expr.length) {
    const c = expr[i] as string
    if (/\s/.test(c)) { i++; continue }
    if (c === '#') { while (i < expr.length && expr[i] !== '\n') i++; continue }
    if (c === '"' || c === "'" || c === '`') { skipString(); continue }
    if (c === '[') { skipPast('[', ']'); continue }
    if (c === '{') throw new Error(`a selector without a metric name in ${expr}`)
    if (/[0-9.]/.test(c)) { while (/[0-9a-zA-Z.]/.test(expr[i] ?? '')) i++; continue }
    if (c === '$') { i++; identifier(); continue }
    if (/[a-zA-Z_:]/.test(c)) {
      const name = identifier()
      if (LABEL_LIST_KEYWORDS.has(name)) {
        if (peek() === '(') { while (expr[i] !== '(') i++; skipPast('(', ')') }
        continue
      }
      if (KEYWORDS.has(name)) continue
      // `sum by (le) (…)`: an aggregation with its grouping first.
      const grouped = /^\s*(by|without)\s*\(/.test(expr.slice(i))
      if (peek() === '(' || (grouped && FUNCTIONS.has(name))) {
        if (!FUNCTIONS.has(name)) throw new Error(`unknown function ${name}() in ${expr}`)
        continue
      }
      const selector: Selector = { metric: name, labels: [] }
      if (peek() === '{') { while (expr[i] !== '{') i++; selector.labels = matchers() }
      found.push(selector)
      continue
    }
    i++
  }
  return found
}

/** What a series name is exported as: a histogram's _bucket, _sum and _count are its own name. */
export function exportedName (series: string, histograms: ReadonlySet<string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (series.endsWith(suffix) && histograms.has(series.slice(0, -suffix.length))) return series.slice(0, -suffix.length)
  }
  return series
}
