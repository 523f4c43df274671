import type { IzlyRightHolder, IzlyWork } from '../../domain/izly-plan.ts'
import { planRightHolder, type RightHolderPlan, rightHolderFaultBlocksCard } from '../../domain/right-holder-plan.ts'
import { DownstreamError } from '../errors.ts'
import type { SyncContext } from '../types.ts'
import type { IzlyPort } from './port.ts'

type Enable = Extract<IzlyWork, { kind: 'enable' }>

/**
 * The right-holder step of an enablement, on either transport: read the holder at CROUS under each of
 * its keys, let the domain plan (SPEC §5 rules) say what to write, write it. Returns the key the card
 * calls use. A 406 on a write is recorded and does not stop the card; a failed key patch is recorded
 * and the card goes on under the key CROUS has (as ESUP-SGC does). The timeline gets operation names,
 * key positions and field names only: no identifier (an INE) and no value.
 */
export async function syncRightHolder (port: IzlyPort, work: Enable, context: SyncContext): Promise<string> {
  const wanted: IzlyRightHolder = { ...work.rightHolder, identifier: work.identifier }
  const plan = planRightHolder(wanted, await lookUp(port, work.holderKeys, context))
  if (plan.kind === 'sync') return await applySync(port, plan, context)
  const created = await write(async () => await port.createRightHolder(plan.rightHolder, context), 'CreateRightHolder', context)
  if (created !== 'already-exists') return work.identifier
  // -11: CROUS has the holder after all (created meanwhile, or under a key it answers no GET for).
  const existing = await port.getRightHolder(work.identifier, context)
  await context.record({ operation: 'GetRightHolder', holderKey: 1, result: existing === null ? 'unknown' : 'found', after: 'already-exists' })
  const again = existing === null ? undefined : planRightHolder(wanted, existing.rightHolder)
  if (again?.kind !== 'sync') {
    throw new DownstreamError({ downstream: 'izly', code: '-11', message: 'Izly CreateRightHolder failed: code -11 (right holder already exists), yet it cannot be read under its key', transient: false, httpStatus: 422 })
  }
  return await applySync(port, again, context)
}

/** The holder as CROUS answers it under the first of `keys` it knows; null when none. */
async function lookUp (port: IzlyPort, keys: string[], context: SyncContext): Promise<IzlyRightHolder | null> {
  for (const [index, key] of keys.entries()) {
    const status = await port.getRightHolder(key, context)
    await context.record({ operation: 'GetRightHolder', holderKey: index + 1, result: status === null ? 'unknown' : 'found' })
    if (status !== null) return status.rightHolder
  }
  return null
}

async function applySync (port: IzlyPort, plan: Extract<RightHolderPlan, { kind: 'sync' }>, context: SyncContext): Promise<string> {
  let identifier = plan.identifier
  if (plan.patch !== undefined) {
    const { patch } = plan
    try {
      await port.patchIdentifier(patch, context)
      await context.record({ operation: 'PatchIdentifier', result: 'patched' })
    } catch (error) {
      if (!(error instanceof DownstreamError) || error.transient) throw error
      // As ESUP-SGC: a refused key change is logged; the holder keeps the key CROUS has.
      await context.record({ operation: 'PatchIdentifier', result: 'refused', code: error.code, message: error.message })
      identifier = patch.currentIdentifier
    }
  }
  if (plan.update !== undefined) {
    const rightHolder = { ...plan.update.rightHolder, identifier }
    await write(async () => { await port.updateRightHolder(rightHolder, context); return 'updated' }, 'UpdateRightHolder', context, plan.update.fields)
  } else {
    await context.record({ operation: 'RightHolder', result: 'in-line', ...(plan.kept.length === 0 ? {} : { kept: plan.kept }) })
  }
  return identifier
}

/** A right-holder write; a refusal that does not block the card (406) is recorded and passed. */
async function write<T extends string> (run: () => Promise<T>, operation: string, context: SyncContext, fields?: string[]): Promise<T | 'refused'> {
  try {
    const result = await run()
    await context.record({ operation, result, ...(fields === undefined ? {} : { fields }) })
    return result
  } catch (error) {
    if (!(error instanceof DownstreamError) || error.transient || rightHolderFaultBlocksCard(error.httpStatus)) throw error
    await context.record({ operation, result: 'refused-card-goes-on', code: error.code, message: error.message })
    return 'refused'
  }
}
