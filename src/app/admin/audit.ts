import type { FastifyRequest } from 'fastify'

/**
 * The operator a request was authenticated as (set by the admin API's hook). A WeakMap rather than a
 * request decoration: nothing outside the admin plugin sees or sets it.
 */
const operators = new WeakMap<FastifyRequest, string>()

export function setOperator (request: FastifyRequest, name: string): void {
  operators.set(request, name)
}

export function operatorName (request: FastifyRequest): string {
  const name = operators.get(request)
  // Unreachable behind the admin hook; an action must never be recorded without its operator.
  if (name === undefined) throw new Error('admin action without an authenticated operator')
  return name
}

/**
 * One audit line per admin action: who did what to which card or filter. Card ids, downstreams, fault
 * codes and counts only: never an eppn, a name or a free-text reason (that goes to the timeline, masked).
 */
export function audit (request: FastifyRequest, action: string, fields: Record<string, string | number | boolean | undefined>): void {
  request.log.info({ audit: true, operator: operatorName(request), action, ...fields }, `admin ${action}`)
}
