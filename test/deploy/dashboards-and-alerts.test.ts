// The Grafana dashboard and the Prometheus rules the repository ships (helm/leocarte-gateway/files/) are
// checked against the gateway itself: they parse, every series they read is one a started gateway's
// prom-client registry exports (with its label names), and every alert links to a heading of the README.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { readmeAnchors } from '../helpers/readme-anchors.ts'
import { CHART, type K8sObject, renderChart } from '../helpers/helm.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { exportedName, selectors } from '../helpers/promql.ts'

const DASHBOARD = join(CHART, 'files', 'dashboards', 'leocarte-gateway.json')
const ALL_ON = join(CHART, 'ci', 'all-optional-values.yaml')
const RUNBOOK_BASE = 'https://git.example.fr/leocarte/gateway/-/blob/main/README.md'

/**
 * Series read that the gateway does not export, named one by one: Prometheus's own `up`, and
 * redis_exporter's memory metrics (the Redis memory alert and panel; the gateway does not read Redis's memory).
 */
const EXTERNAL = new Set(['up', 'redis_memory_used_bytes', 'redis_memory_max_bytes'])
/** Labels Prometheus or its service discovery adds to every scraped series. */
const TARGET_LABELS = new Set(['namespace', 'pod', 'instance', 'job', 'service', 'container', 'endpoint'])

interface Rule { alert?: string, record?: string, expr: string, annotations?: Record<string, string> }

const izlyEndpoint = 'http://127.0.0.1:9/izly'
const gateway = await startTestGateway(t, { izlyEndpoint })
/** Name → label names, from the real registry of a started gateway (API and workers). */
const exported = new Map(gateway.metrics.registry.getMetricsAsArray().map((metric) => [metric.name, (metric as unknown as { labelNames: string[] }).labelNames]))
const histograms = new Set((await gateway.metrics.registry.getMetricsAsJSON()).filter((metric) => ['histogram', 'summary'].includes(String(metric.type))).map((metric) => metric.name))

function rulesOf (objects: K8sObject[]): Rule[] {
  const rule = objects.find((object) => object.kind === 'PrometheusRule')
  if (rule === undefined) throw new Error('no PrometheusRule rendered')
  return (rule.spec.groups as Array<{ rules: Rule[] }>).flatMap((group) => group.rules)
}

/** The problems of one expression: series nobody exports, labels the metric does not have. */
function problems (expr: string, recorded: ReadonlySet<string>): string[] {
  const found: string[] = []
  for (const { metric, labels } of selectors(expr)) {
    if (EXTERNAL.has(metric) || recorded.has(metric)) continue
    const name = exportedName(metric, histograms)
    const labelNames = exported.get(name)
    if (labelNames === undefined) {
      found.push(`${metric} is not exported by the gateway`)
      continue
    }
    const own = new Set([...labelNames, ...(name !== metric && metric.endsWith('_bucket') ? ['le'] : [])])
    for (const label of labels) if (!TARGET_LABELS.has(label) && !own.has(label)) found.push(`${metric} has no label ${label}`)
  }
  return found
}

const renders = {
  'every optional part on': await renderChart({ valuesFiles: [ALL_ON] }),
  'a plain Prometheus (a job selector, a term-time expression of its own, no Redis alert)': await renderChart({
    set: ['metrics.prometheusRule.enabled=true', 'metrics.prometheusRule.selector=job="leocarte"', 'metrics.prometheusRule.redisMemory.enabled=false',
      'metrics.prometheusRule.noIntake.termTimeExpr=max(term_calendar_in_session)'],
  }),
}

t.test('the checks can fail: a misspelt metric, a label the metric lacks, an unknown function, a bare selector', async (t) => {
  t.same(problems('sum(rate(leocarte_intake_events_total{result="accepted"}[5m]))', new Set()), [], 'a right expression passes')
  t.same(problems('sum(rate(leocarte_intake_event_total[5m]))', new Set()), ['leocarte_intake_event_total is not exported by the gateway'])
  t.same(problems('max by (downstream) (leocarte_needs_attention{downstreem="izly"})', new Set()), ['leocarte_needs_attention has no label downstreem'])
  t.same(problems('histogram_quantile(0.99, sum by (le) (rate(leocarte_opposition_lag_seconds_bucket[5m])))', new Set()), [], 'a histogram\'s _bucket is its own name')
  t.same(problems('leocarte_queue_jobs_bucket', new Set()), ['leocarte_queue_jobs_bucket is not exported by the gateway'], 'a gauge has no _bucket')
  t.throws(() => selectors('rat(leocarte_intake_events_total[5m])'), /unknown function rat/)
  t.throws(() => selectors('{__name__="x"}'), /without a metric name/)
  t.same(selectors('a{x="}"} offset 1h and on () b[4h:5m] or vector(0) > bool 1e3'), [{ metric: 'a', labels: ['x'] }, { metric: 'b', labels: [] }])
})

t.test('the README anchors are computed as the forge computes them', async (t) => {
  const anchors = readmeAnchors('# Operating it\n## Personal data: where it is, and where it is not\n```\n# not a heading\n```\n#### `LeocarteNoIntake`\n## Operating it\n')
  t.same([...anchors], ['operating-it', 'personal-data-where-it-is-and-where-it-is-not', 'leocartenointake', 'operating-it-1'])
})

t.test('every rule reads only series the gateway exports, and every alert has a runbook entry in the README', async (t) => {
  const anchors = readmeAnchors()
  const rules = rulesOf(renders['every optional part on'])
  const recorded = new Set(rules.flatMap((rule) => rule.record === undefined ? [] : [rule.record]))
  const alerts = rules.filter((rule) => rule.alert !== undefined)
  t.ok(alerts.length >= 13, `${alerts.length} alerts`)
  t.ok(recorded.has('leocarte:term_time'), 'term time is a recording rule')
  for (const name of ['LeocarteOppositionPending', 'LeocarteAttentionGrowing', 'LeocarteBreakerOpen', 'LeocarteRedisMemoryHigh', 'LeocarteNoIntake']) {
    t.ok(alerts.some((rule) => rule.alert === name), `${name} is there`)
  }
  let series = 0
  for (const rule of rules) {
    series += selectors(rule.expr).length
    t.same(problems(rule.expr, recorded), [], `${rule.alert ?? rule.record ?? ''}: ${rule.expr}`)
  }
  t.ok(series >= rules.length, `${series} series read`)
  for (const rule of alerts) {
    const url = rule.annotations?.runbook_url ?? ''
    t.ok(url.startsWith(`${RUNBOOK_BASE}#`), `${rule.alert ?? ''}: runbook_url under runbookBaseUrl (${url})`)
    t.ok(anchors.has(url.split('#')[1] ?? ''), `${rule.alert ?? ''}: #${url.split('#')[1] ?? ''} is a heading of the README`)
  }
  t.match(rules.find((rule) => rule.alert === 'LeocarteOppositionPending'), { expr: /> 300$/ }, 'an opposition pending over 5 minutes')
  t.match(rules.find((rule) => rule.record === 'leocarte:term_time'), { expr: /day_of_week\(\) == 1 or .*day_of_week\(\) == 5\).*hour\(\) >= 6 < 17.*month\(\) == 12\)\) or vector\(0\)$/ })
})

t.test('the rules follow the values: selector, term-time expression, the Redis alert left out', async (t) => {
  const rules = rulesOf(renders['a plain Prometheus (a job selector, a term-time expression of its own, no Redis alert)'])
  t.notOk(rules.some((rule) => rule.alert === 'LeocarteRedisMemoryHigh'))
  t.equal(rules.find((rule) => rule.record === 'leocarte:term_time')?.expr, 'max(term_calendar_in_session)')
  for (const rule of rules.filter((rule) => rule.alert !== undefined)) {
    t.notMatch(rule.expr, /namespace=/, `${rule.alert ?? ''}: no namespace matcher`)
    t.match(rule.expr, /job="leocarte"/)
    t.match(rule.annotations?.runbook_url, /^README\.md#/, 'runbook links relative to the README by default')
  }
})

t.test('the dashboard parses, reads only series the gateway exports, and is shipped as it is by the chart', async (t) => {
  const text = readFileSync(DASHBOARD, 'utf8')
  const dashboard = JSON.parse(text) as { uid: string, panels: Array<{ type: string, title: string, targets?: Array<{ expr: string }> }>, templating: { list: Array<{ name: string, definition?: string }> } }
  t.equal(dashboard.uid, 'leocarte-gateway')
  const targets = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })))
  t.ok(targets.length >= 25, `${targets.length} queries`)
  const read = new Set<string>()
  for (const { panel, expr } of targets) {
    for (const { metric } of selectors(expr)) read.add(exportedName(metric, histograms))
    t.same(problems(expr, new Set()), [], `${panel}: ${expr}`)
  }
  for (const variable of dashboard.templating.list) {
    const labelValues = /^label_values\((\w+),\s*(\w+)\)$/.exec(variable.definition ?? '')
    if (variable.definition !== undefined) t.ok(labelValues !== null, `${variable.name}: label_values(metric, label)`)
    if (labelValues !== null) t.same(problems(labelValues[1] as string, new Set()), [], `${variable.name} reads ${labelValues[1] ?? ''}`)
  }
  // The sections the issue names are each on it.
  for (const metric of ['leocarte_intake_events_total', 'leocarte_queue_jobs', 'leocarte_oldest_pending_opposition_seconds', 'leocarte_opposition_lag_seconds',
    'leocarte_needs_attention', 'leocarte_breaker_open', 'leocarte_validity_requests_total', 'leocarte_http_request_duration_seconds', 'leocarte_metrics_redis_failed']) {
    t.ok(read.has(metric), `the dashboard shows ${metric}`)
  }
  const configMap = renders['every optional part on'].find((object) => object.kind === 'ConfigMap' && object.metadata.labels?.grafana_dashboard === '1')
  t.ok(configMap !== undefined, 'a ConfigMap labelled for the Grafana sidecar')
  t.equal(configMap?.data['leocarte-gateway.json'], text, 'holding the repository\'s JSON byte for byte')
  t.notOk((await renderChart()).some((object) => object.metadata.name.endsWith('-dashboard')), 'off by default')
})
