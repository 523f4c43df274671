import { readFileSync } from 'node:fs'
import addFormatsModule from 'ajv-formats'
import { type Document, OpenAPIBackend } from 'openapi-backend'
import { parse as parseYaml } from 'yaml'
import { ESC_OPENAPI_PATH } from '../../src/downstream/esc/paths.ts'

let api: Promise<OpenAPIBackend> | undefined

/** openapi/esc-router-v2.yaml in a request validator of its own (openapi-backend), built once. */
export async function escDocumentValidator (): Promise<OpenAPIBackend> {
  api ??= new OpenAPIBackend({
    definition: parseYaml(readFileSync(ESC_OPENAPI_PATH, 'utf8')) as Document,
    strict: true,
    customizeAjv: (ajv) => { addFormatsModule.default(ajv, ['date']); return ajv },
  }).init()
  return await api
}

/** The operation a sent request is, and every way it breaks the document (none when valid). */
export async function validateAgainstDocument (request: { method: string, path: string, headers: Record<string, string>, body: string | undefined }, basePath: string): Promise<{ operationId: string, errors: string[] }> {
  const validator = await escDocumentValidator()
  const input = {
    method: request.method,
    path: request.path.slice(basePath.length),
    headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value])),
    ...(request.body === undefined ? {} : { body: request.body }),
  }
  const operation = validator.router.matchOperation(input)
  if (operation === undefined) return { operationId: 'none', errors: [`no operation of the document is ${request.method} ${input.path}`] }
  const result = validator.validateRequest(input, operation)
  return { operationId: operation.operationId ?? '?', errors: (result.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`) }
}
