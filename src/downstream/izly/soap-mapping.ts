import type { IzlyRightHolder, IzlySmartCard } from '../../domain/izly-plan.ts'

/**
 * RightHolder and SmartCard to and from the objects node-soap writes and reads, shared by the client
 * and the simulator. node-soap writes elements in key order, not in the schema's, so the writers
 * list them in the order of the WSDL's xs:sequence, which strict stacks (JAX-WS, .NET) enforce.
 */

export function writeRightHolder (rightHolder: IzlyRightHolder): Record<string, unknown> {
  return definedOnly({
    identifier: rightHolder.identifier,
    firstName: rightHolder.firstName,
    lastName: rightHolder.lastName,
    email: rightHolder.email,
    dueDate: rightHolder.dueDate,
    idCompanyRate: rightHolder.idCompanyRate,
    idRate: rightHolder.idRate,
    birthDate: rightHolder.birthDate,
    ine: rightHolder.ine,
    rneOrgCode: rightHolder.rneOrgCode,
  })
}

export function writeSmartCard (smartCard: IzlySmartCard): Record<string, unknown> {
  return definedOnly({
    uid: smartCard.uid,
    rid: smartCard.rid,
    idZdc: smartCard.idZdc,
    idTransmitter: smartCard.idTransmitter,
    idMapping: smartCard.idMapping,
    zdcCreationDate: smartCard.zdcCreationDate,
    pixSs: smartCard.pixSs,
    pixNn: smartCard.pixNn,
    appl: smartCard.appl,
  })
}

export function readRightHolder (value: unknown): IzlyRightHolder {
  const fields = objectOf(value)
  return definedOnly({
    identifier: textOf(fields.identifier) ?? '',
    firstName: textOf(fields.firstName),
    lastName: textOf(fields.lastName),
    email: textOf(fields.email),
    dueDate: textOf(fields.dueDate),
    idCompanyRate: numberOf(fields.idCompanyRate),
    idRate: numberOf(fields.idRate),
    birthDate: textOf(fields.birthDate),
    ine: textOf(fields.ine),
    rneOrgCode: textOf(fields.rneOrgCode),
  }) as unknown as IzlyRightHolder
}

export function readSmartCard (value: unknown): IzlySmartCard {
  const fields = objectOf(value)
  return definedOnly({
    uid: textOf(fields.uid) ?? '',
    rid: textOf(fields.rid),
    idZdc: textOf(fields.idZdc) ?? '',
    idTransmitter: numberOf(fields.idTransmitter) ?? 0,
    idMapping: numberOf(fields.idMapping) ?? 0,
    zdcCreationDate: textOf(fields.zdcCreationDate) ?? '',
    pixSs: textOf(fields.pixSs),
    pixNn: textOf(fields.pixNn),
    appl: textOf(fields.appl),
  }) as unknown as IzlySmartCard
}

export function definedOnly (fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))
}

export function objectOf (value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? value as Record<string, unknown> : {}
}

/** node-soap gives schema-typed values as numbers or booleans, others as strings, attributed ones as {$value}. */
export function textOf (value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value !== null && typeof value === 'object' && '$value' in value) return textOf((value as { $value: unknown }).$value)
  return undefined
}

function numberOf (value: unknown): number | undefined {
  const text = textOf(value)
  if (text === undefined || text.trim() === '') return undefined
  const number = Number(text)
  return Number.isFinite(number) ? number : undefined
}
