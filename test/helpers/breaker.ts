import type { Gateway } from '../../src/app/gateway.ts'
import type { DownstreamName } from '../../src/domain/downstream.ts'

/** Whether the downstream's breaker is open, as /metrics reports it. */
export async function breakerOpen (gateway: Pick<Gateway, 'app'>, downstream: DownstreamName): Promise<boolean> {
  const metrics = await gateway.app.inject({ method: 'GET', url: '/metrics' })
  return new RegExp(`leocarte_breaker_open\\{downstream="${downstream}"\\} 1`).test(metrics.body)
}
