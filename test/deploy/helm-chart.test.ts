// The Helm chart, rendered by a real helm (v4) and checked: lint, every object valid against the
// Kubernetes (and KEDA, prometheus-operator) schemas with the default values and with every optional part
// on, every variable it sets read by the gateway, every probe a route the gateway serves in that role.
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1'
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'
import { Deployment } from 'kubernetes-models/apps/v1'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2'
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1'
import t from 'tap'
import { startGateway } from '../../src/app/gateway.ts'
import { loadConfig } from '../../src/config/load.ts'
import { DOWNSTREAMS, LANES } from '../../src/domain/downstream.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { queueName } from '../../src/queue/lanes.ts'
import { buildKeys } from '../../src/registry/keys.ts'
import { isRecognised, recognisedVariables } from '../helpers/config-variables.ts'
import { testEnv } from '../helpers/gateway.ts'
import { CHART, helm, type K8sObject, renderChart } from '../helpers/helm.ts'
import { deleteKeys, REDIS_URL, TEST_PSEUDONYM_KEY, uniquePrefix } from '../helpers/redis.ts'

const ALL_ON = join(CHART, 'ci', 'all-optional-values.yaml')

/** The model class of every kind the chart may render; an unknown kind fails the test. */
const MODELS: Record<string, new (data: any) => { validate: () => void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
}

const renders = {
  default: await renderChart(),
  'all optional parts on': await renderChart({ valuesFiles: [ALL_ON] }),
}

const ofKind = (objects: K8sObject[], kind: string): K8sObject[] => objects.filter((object) => object.kind === kind)
const deployments = (objects: K8sObject[]): K8sObject[] => ofKind(objects, 'Deployment')
const container = (deployment: K8sObject): any => deployment.spec.template.spec.containers[0]
/** The gateway's environment ConfigMap (the Grafana dashboard's, when on, is another). */
const envConfigMap = (objects: K8sObject[]): K8sObject | undefined => ofKind(objects, 'ConfigMap').find((object) => !object.metadata.name.endsWith('-dashboard'))
const configMap = (objects: K8sObject[]): Record<string, string> => (envConfigMap(objects)?.data ?? {}) as Record<string, string>
const roleOf = (deployment: K8sObject): string => container(deployment).env.find((entry: { name: string }) => entry.name === 'GATEWAY_ROLE').value

t.test('helm lint passes with the default values and with every optional part on', async (t) => {
  t.match((await helm('lint', '--strict', CHART)).stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/)
  t.match((await helm('lint', '--strict', CHART, '-f', ALL_ON)).stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/)
})

for (const [name, objects] of Object.entries(renders)) {
  t.test(`${name}: every rendered object is valid against its schema`, async (t) => {
    t.ok(objects.length > 0)
    for (const object of objects) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`]
      if (Model === undefined) {
        t.fail(`no schema for ${object.apiVersion} ${object.kind}`)
        continue
      }
      t.doesNotThrow(() => new Model(object).validate(), `${object.kind} ${object.metadata.name}`)
    }
  })

  t.test(`${name}: every variable the chart sets is one the gateway reads`, async (t) => {
    const known = recognisedVariables()
    const set = new Set(Object.keys(configMap(objects)))
    for (const deployment of deployments(objects)) {
      for (const entry of container(deployment).env as Array<{ name: string }>) set.add(entry.name)
      t.same(container(deployment).envFrom, [{ configMapRef: { name: envConfigMap(objects)?.metadata.name } }], 'the chart\'s ConfigMap, nothing else, as environment')
    }
    t.ok(set.size > 10)
    for (const variable of set) t.ok(isRecognised(variable, known), `${variable} is read by the gateway`)
    for (const [key, value] of Object.entries(configMap(objects))) {
      if (/PASSWORD|SECRET|TOKEN|KEYS|USERS|^REDIS_URL$/.test(key)) t.match({ key, value }, { key: /_FILE$/, value: /^\/var\/run\/secrets\// }, `${key}: a file from the Secret, never a value`)
    }
  })

  t.test(`${name}: probes, grace period, security`, async (t) => {
    const config = configMap(objects)
    t.same(deployments(objects).map(roleOf).sort(), ['api', 'worker'])
    for (const deployment of deployments(objects)) {
      const pod = deployment.spec.template.spec
      const main = container(deployment)
      const label = roleOf(deployment)
      t.equal(pod.terminationGracePeriodSeconds, Number(config.SHUTDOWN_TIMEOUT_MS) / 1000 + 5, `${label}: the grace period follows SHUTDOWN_TIMEOUT_MS`)
      t.ok(Number(config.SHUTDOWN_DELAY_MS) < Number(config.SHUTDOWN_TIMEOUT_MS))
      const metricsPort = config.METRICS_PORT === undefined ? [] : [{ name: 'metrics', containerPort: Number(config.METRICS_PORT), protocol: 'TCP' }]
      t.same(main.ports, [{ name: 'http', containerPort: Number(config.PORT), protocol: 'TCP' }, ...metricsPort], `${label}: the port is PORT (and METRICS_PORT when set)`)
      t.equal(main.livenessProbe.httpGet.path, '/health/live', `${label}: liveness never depends on Redis`)
      t.equal(main.readinessProbe.httpGet.path, '/health/ready')
      t.ok(main.startupProbe.httpGet.path, 'a startup probe')
      t.equal(pod.automountServiceAccountToken, false)
      t.match(pod.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } })
      t.match(main.securityContext, { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } })
      t.ok(main.volumeMounts.some((mount: { mountPath: string }) => mount.mountPath === '/tmp'), 'a writable /tmp')
      t.ok(pod.volumes.some((volume: { name: string, emptyDir?: unknown }) => volume.name === 'tmp' && volume.emptyDir !== undefined))
      t.ok(pod.topologySpreadConstraints.length >= 1, 'spread over nodes')
      t.ok(main.resources.requests.cpu !== undefined && main.resources.limits.memory !== undefined, 'resources')
      t.match(deployment.spec.template.metadata.annotations, { 'checksum/config': /^[0-9a-f]{64}$/ })
    }
    t.equal(ofKind(objects, 'ServiceAccount')[0]?.automountServiceAccountToken, false)
    t.equal(ofKind(objects, 'PodDisruptionBudget').length, 2, 'a PodDisruptionBudget for each Deployment')
  })

  t.test(`${name}: every selector and reference finds its target`, async (t) => {
    const pods = deployments(objects).map((deployment) => ({ name: deployment.metadata.name, labels: deployment.spec.template.metadata.labels as Record<string, string> }))
    const selects = (selector: Record<string, string>): string[] => pods.filter(({ labels }) => Object.entries(selector).every(([key, value]) => labels[key] === value)).map(({ name }) => name)
    for (const deployment of deployments(objects)) t.same(selects(deployment.spec.selector.matchLabels), [deployment.metadata.name], `${deployment.metadata.name} selects its own pods`)
    for (const service of ofKind(objects, 'Service')) t.equal(selects(service.spec.selector).length, 1, `Service ${service.metadata.name} selects one Deployment's pods`)
    for (const budget of ofKind(objects, 'PodDisruptionBudget')) t.equal(selects(budget.spec.selector.matchLabels).length, 1, `PDB ${budget.metadata.name}`)
    for (const policy of ofKind(objects, 'NetworkPolicy')) t.equal(selects(policy.spec.podSelector.matchLabels).length, 1, `NetworkPolicy ${policy.metadata.name}`)
    const names = new Set(deployments(objects).map((deployment) => deployment.metadata.name))
    for (const hpa of ofKind(objects, 'HorizontalPodAutoscaler')) t.ok(names.has(hpa.spec.scaleTargetRef.name), 'the HPA scales a Deployment of the chart')
    for (const scaled of ofKind(objects, 'ScaledObject')) t.ok(names.has(scaled.spec.scaleTargetRef.name), 'the ScaledObject scales a Deployment of the chart')
    const services = new Set(ofKind(objects, 'Service').map((service) => service.metadata.name))
    for (const ingress of ofKind(objects, 'Ingress')) {
      for (const rule of ingress.spec.rules) for (const path of rule.http.paths) t.ok(services.has(path.backend.service.name), 'the Ingress routes to the API Service')
    }
    for (const monitor of ofKind(objects, 'ServiceMonitor')) {
      const monitored = ofKind(objects, 'Service').filter((service) => Object.entries(monitor.spec.selector.matchLabels as Record<string, string>).every(([key, value]) => service.metadata.labels?.[key] === value))
      t.equal(monitored.length, 2, 'the ServiceMonitor finds the API and the worker Services')
      for (const endpoint of monitor.spec.endpoints as Array<{ port: string, bearerTokenSecret?: { name: string, key: string } }>) {
        for (const service of monitored) t.ok(service.spec.ports.some((port: { name: string }) => port.name === endpoint.port), `Service ${service.metadata.name} has the port ${endpoint.port} the ServiceMonitor scrapes`)
        if (endpoint.bearerTokenSecret !== undefined) {
          const secrets = deployments(objects).flatMap((deployment) => (deployment.spec.template.spec.volumes as Array<{ secret?: { secretName: string, items?: Array<{ key: string }> } }>).flatMap((volume) => volume.secret === undefined ? [] : [volume.secret]))
          t.ok(secrets.some((secret) => secret.secretName === endpoint.bearerTokenSecret?.name && (secret.items === undefined || secret.items.some(({ key }) => key === endpoint.bearerTokenSecret?.key))), 'the ServiceMonitor sends the METRICS_TOKEN the pods read')
        }
      }
    }
  })
}

t.test('optional parts are off by default and on when asked', async (t) => {
  const kinds = (objects: K8sObject[]): string[] => [...new Set(objects.map((object) => object.kind))].sort()
  t.same(kinds(renders.default), ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service', 'ServiceAccount'])
  t.same(kinds(renders['all optional parts on']), ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'NetworkPolicy', 'PodDisruptionBudget', 'PrometheusRule', 'ScaledObject', 'Service', 'ServiceAccount', 'ServiceMonitor', 'TriggerAuthentication'])
  const all = renders['all optional parts on']
  for (const deployment of deployments(all)) t.notOk('replicas' in deployment.spec, `${deployment.metadata.name}: its autoscaler owns the replica count`)
})

t.test('the checksum annotation changes with the configuration, so pods roll', async (t) => {
  const checksum = (objects: K8sObject[]): string | undefined => deployments(objects)[0]?.spec.template.metadata.annotations['checksum/config']
  const changed = await renderChart({ set: ['env.LOG_LEVEL=debug'] })
  t.not(checksum(changed), checksum(renders.default))
  t.equal(checksum(await renderChart()), checksum(renders.default), 'and only with it')
})

t.test('values that cannot work are refused at render time, saying why', async (t) => {
  await t.rejects(renderChart({ set: ['redis.sentinels={a:26379}', 'redis.sentinelName=x'] }), { message: /remove REDIS_URL from secrets\.keys/ })
  await t.rejects(renderChart({ set: ['shutdown.delaySeconds=30'] }), { message: /delaySeconds must be less than/ })
})

t.test('KEDA watches the wait lists BullMQ really fills', async (t) => {
  const scaled = ofKind(renders['all optional parts on'], 'ScaledObject')[0] as K8sObject
  const urlMode = ofKind(await renderChart({ set: ['worker.keda.enabled=true', 'worker.keda.redisAddress=redis:6379'] }), 'ScaledObject')[0] as K8sObject
  const expected = DOWNSTREAMS.flatMap((downstream) => LANES.map((lane) => queueName(downstream, lane))).sort()
  for (const object of [scaled, urlMode]) {
    const lists = (object.spec.triggers as Array<{ metadata: { listName: string } }>).map((trigger) => trigger.metadata.listName)
    t.same(lists.map((list) => list.split(':')[2]).sort(), expected, 'one trigger per sync queue')
    t.ok(lists.every((list) => list.startsWith(`${buildKeys('leo', TEST_PSEUDONYM_KEY).bullPrefix()}:`)), 'under the gateway\'s BullMQ prefix')
  }
  t.equal(urlMode.spec.triggers[0].type, 'redis')
  t.equal(scaled.spec.triggers[0].type, 'redis-sentinel')

  // A job waiting in a real queue is in the list the trigger names (with the prefix swapped for a test one).
  const prefix = uniquePrefix()
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null })
  t.teardown(async () => { await deleteKeys(redis, prefix); redis.disconnect() })
  const listName = (urlMode.spec.triggers[0].metadata.listName as string).replace(/^leo:/, `${prefix}:`)
  const queue = new Queue(listName.split(':')[2] as string, { connection: redis, prefix: buildKeys(prefix, TEST_PSEUDONYM_KEY).bullPrefix() })
  t.teardown(async () => await queue.close())
  await queue.add('sync', { cardId: 'c-1' }, { jobId: 'card-c-1' })
  t.equal(await redis.llen(listName), 1, `${listName} holds the waiting job`)
})

t.test('with metrics.port, /metrics is served on METRICS_PORT and no longer on PORT, in both roles', async (t) => {
  const objects = renders['all optional parts on']
  const config = configMap(objects)
  t.equal(config.METRICS_PORT, '9464')
  for (const role of ['api', 'worker'] as const) {
    const gatewayConfig = loadConfig(testEnv({ izlyEndpoint: 'http://127.0.0.1:9/izly', prefix: uniquePrefix(), role, extra: { PORT: '0', METRICS_PORT: '0' } }))
    const gateway = await startGateway({ config: gatewayConfig, logger: createLogger('silent'), listen: true })
    t.teardown(async () => await gateway.close())
    t.equal((await fetch(`${gateway.url ?? ''}/metrics`)).status, 404, `${role}: not on PORT`)
    t.equal((await fetch(`${gateway.url ?? ''}/health/ready`)).status, 200, `${role}: the probes stay on PORT`)
    t.ok(gateway.metricsUrl, `${role}: a listener of its own`)
    t.equal((await fetch(`${gateway.metricsUrl ?? ''}/metrics`)).status, 200, `${role}: /metrics on METRICS_PORT`)
  }
})

t.test('every probe and the metrics path are routes the gateway serves in that role', async (t) => {
  const objects = renders.default
  for (const deployment of deployments(objects)) {
    const role = roleOf(deployment)
    const main = container(deployment)
    const config = loadConfig(testEnv({ izlyEndpoint: 'http://127.0.0.1:9/izly', prefix: uniquePrefix(), role, extra: { PORT: '0' } }))
    const gateway = await startGateway({ config, logger: createLogger('silent'), listen: true })
    t.teardown(async () => await gateway.close())
    const paths = [main.startupProbe, main.livenessProbe, main.readinessProbe].map((probe: { httpGet: { path: string, port: string } }) => {
      t.equal(probe.httpGet.port, 'http', `${role}: probes use the named port`)
      return probe.httpGet.path
    })
    for (const path of [...paths, '/metrics']) {
      t.equal((await fetch(`${gateway.url ?? ''}${path}`)).status, 200, `${role}: GET ${path}`)
    }
    if (role === 'worker') t.equal((await fetch(`${gateway.url ?? ''}/sgc/v1/card-events`, { method: 'POST' })).status, 404, 'a worker serves no API')
  }
})

