import type { OpenAPIBackend } from 'openapi-backend'
import { loadApiCrousDocument } from '../../src/simulators/izly/rest-api.ts'

let api: Promise<OpenAPIBackend> | undefined

/** The operation a sent request is in openapi/api-crous-v1.yaml, and every way it breaks the document (none when valid). */
export async function validateApiCrousRequest (request: { method: string, path: string, headers: Record<string, string>, body: string | undefined }): Promise<{ operationId: string, errors: string[] }> {
  api ??= loadApiCrousDocument()
  const validator = await api
  const input = {
    method: request.method,
    path: request.path,
    headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value])),
    ...(request.body === undefined ? {} : { body: request.body }),
  }
  const operation = validator.router.matchOperation(input)
  if (operation === undefined) return { operationId: 'none', errors: [`no operation of the document is ${request.method} ${request.path}`] }
  const result = validator.validateRequest(input, operation)
  return { operationId: operation.operationId ?? '?', errors: (result.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`) }
}
