import { randomBytes } from 'node:crypto'

/**
 * Persons and cards as the ESC Router V2 keeps them, with the rules esc-router.md §3–§5 records. Every
 * refusal throws an EscRouterAnswer. Codes the real router is known to send (`ER-0019`, `ER-0002`,
 * `SE-0000`) are used where it sends them; where no source records its code, the simulator's own
 * starts with `SIM-`, so that nobody takes it for a router code.
 */
export class EscRouterAnswer extends Error {
  readonly status: number
  readonly code: string

  constructor (status: number, code: string, message: string) {
    super(message)
    this.name = 'EscRouterAnswer'
    this.status = status
    this.code = code
  }
}

/** The organisation the caller's token belongs to: its PIC, or undefined to act for any organisation. */
export type Caller = string | undefined

export interface SimulatedEnrolment {
  organisationIdentifier: string
  academicLevel?: string
  email?: string
  fullName?: string
}

export interface SimulatedPerson {
  /** As first registered; looked up case-insensitively. */
  identifier: string
  enrolments: SimulatedEnrolment[]
}

export interface SimulatedCard {
  cardNumber: string
  cardStatusType: string
  cardType: string
  issuedAt: string
  expiresAt: string
  issuerIdentifier: string
  personIdentifier: string
  displayName?: string
  processorIdentifier?: string
}

export interface EscStateDump {
  persons: SimulatedPerson[]
  cards: SimulatedCard[]
}

type Json = Record<string, unknown>

/** The router caps every page at 10 items whatever `size` asks (esc-router.md §2.1, measured). */
export const MAX_PAGE_SIZE = 10
/** Above this many, generate-escn answers 500 rather than 400 (esc-router.md §5, measured). */
export const MAX_GENERATED_ESCNS = 100

export class EscRouterState {
  /** By lower-cased ESI: the SCHAC attribute compares case-insensitively. */
  readonly persons = new Map<string, SimulatedPerson>()
  /** By ESCN (lower case). */
  readonly cards = new Map<string, SimulatedCard>()
  readonly now: () => number

  constructor (now: () => number = Date.now) {
    this.now = now
  }

  reset (): void {
    this.persons.clear()
    this.cards.clear()
  }

  /** POST /persons: a new person, or this organisation's enrolment added to another's person. */
  createPerson (caller: Caller, body: Json): Json {
    const identifier = String(body.identifier)
    const enrolments = enrolmentsOf(body)
    refuseOtherOrganisation(caller, enrolments.map((enrolment) => enrolment.organisationIdentifier))
    const existing = this.persons.get(key(identifier))
    if (existing !== undefined) {
      if (enrolments.some((enrolment) => hasEnrolment(existing, enrolment.organisationIdentifier))) {
        throw new EscRouterAnswer(409, 'ER-0019', 'User already exists for this organisation')
      }
      existing.enrolments.push(...enrolments)
      return personView(existing)
    }
    const person: SimulatedPerson = { identifier, enrolments }
    this.persons.set(key(identifier), person)
    return personView(person)
  }

  getPerson (caller: Caller, esi: string): Json {
    return personView(this.ownPerson(caller, esi))
  }

  /** PUT /persons/{esi}: replaces this organisation's enrolment; the ESI itself cannot change. */
  updatePerson (caller: Caller, esi: string, body: Json): Json {
    const person = this.ownPerson(caller, esi)
    if (key(String(body.identifier)) !== key(esi)) throw new EscRouterAnswer(400, 'SIM-ESI-IMMUTABLE', 'The identifier cannot be modified')
    const enrolments = enrolmentsOf(body)
    refuseOtherOrganisation(caller, enrolments.map((enrolment) => enrolment.organisationIdentifier))
    const replaced = new Set(enrolments.map((enrolment) => enrolment.organisationIdentifier))
    person.enrolments = [...person.enrolments.filter((enrolment) => !replaced.has(enrolment.organisationIdentifier)), ...enrolments]
    return personView(person)
  }

  /**
   * DELETE /persons/{esi}: the person and their cards (Polito documents it as deleting "all student's
   * cards"); only this organisation's enrolment when another holds one too.
   */
  deletePerson (caller: Caller, esi: string): void {
    const person = this.ownPerson(caller, esi)
    for (const [escn, card] of this.cards) {
      if (key(card.personIdentifier) === key(esi) && (caller === undefined || card.issuerIdentifier === caller)) this.cards.delete(escn)
    }
    person.enrolments = caller === undefined ? [] : person.enrolments.filter((enrolment) => enrolment.organisationIdentifier !== caller)
    if (person.enrolments.length === 0) this.persons.delete(key(esi))
  }

  listPersons (caller: Caller, page: number, size: number): Json {
    const mine = [...this.persons.values()].filter((person) => caller === undefined || hasEnrolment(person, caller))
    return paged(mine.map(personView), page, size)
  }

  /** POST /cards: the person must exist first; an omitted cardNumber is minted. */
  createCard (caller: Caller, body: Json): Json {
    const card = this.cardOf(caller, body, typeof body.cardNumber === 'string' && body.cardNumber !== '' ? body.cardNumber : this.mint(0, String(body.issuerIdentifier)))
    if (this.cards.has(key(card.cardNumber))) throw new EscRouterAnswer(409, 'ER-0002', 'Card already exists')
    this.cards.set(key(card.cardNumber), card)
    return this.cardView(card)
  }

  getCard (caller: Caller, escn: string): Json {
    return this.cardView(this.ownCard(caller, escn))
  }

  /** PUT /cards/{escn}: a full replacement (an expired card is revived with a new expiresAt). */
  updateCard (caller: Caller, escn: string, body: Json): Json {
    const held = this.ownCard(caller, escn)
    const card = this.cardOf(caller, body, held.cardNumber)
    this.cards.set(key(held.cardNumber), card)
    return this.cardView(card)
  }

  /** DELETE /cards/{escn}: the router marks the card deleted; it is gone from every answer. */
  deleteCard (caller: Caller, escn: string): void {
    this.ownCard(caller, escn)
    this.cards.delete(key(escn))
  }

  listCards (caller: Caller, page: number, size: number): Json {
    const mine = [...this.cards.values()].filter((card) => caller === undefined || card.issuerIdentifier === caller)
    return paged(mine.map((card) => this.cardView(card)), page, size)
  }

  /** GET /cards/{escn}/status: public; EXPIRED once expiresAt has passed, whatever the status. */
  status (escn: string): Json {
    const card = this.cards.get(key(escn))
    if (card === undefined) throw notFound('Card not found')
    return {
      cardNumber: card.cardNumber,
      ...(card.displayName === undefined ? {} : { displayName: card.displayName }),
      issuedAt: card.issuedAt,
      expiresAt: card.expiresAt,
      issuerIdentifier: card.issuerIdentifier,
      issuerName: `Organisation ${card.issuerIdentifier}`,
      status: this.statusOf(card),
    }
  }

  generateEscns (prefix: number, pic: string, count: number): string[] {
    if (count > MAX_GENERATED_ESCNS) throw new EscRouterAnswer(500, 'SIM-INTERNAL', 'Unexpected error')
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > 999) throw new EscRouterAnswer(400, 'SIM-BAD-REQUEST', 'prefix must be 0 to 999')
    if (!/^[0-9]{9}$/.test(pic)) throw new EscRouterAnswer(400, 'SIM-BAD-REQUEST', 'pic must be 9 digits')
    return Array.from({ length: Math.max(count, 0) }, () => this.mint(prefix, pic))
  }

  /** A person registered by another organisation, for drills of `SE-0000`. */
  seedPerson (esi: string, organisationIdentifier: string): SimulatedPerson {
    const person: SimulatedPerson = { identifier: esi, enrolments: [{ organisationIdentifier }] }
    this.persons.set(key(esi), person)
    return structuredClone(person)
  }

  dump (): EscStateDump {
    return structuredClone({ persons: [...this.persons.values()], cards: [...this.cards.values()] })
  }

  statusOf (card: SimulatedCard): 'ACTIVE' | 'INACTIVE' | 'EXPIRED' {
    const today = new Date(this.now()).toISOString().slice(0, 10)
    return card.expiresAt < today ? 'EXPIRED' : card.cardStatusType as 'ACTIVE' | 'INACTIVE'
  }

  private ownPerson (caller: Caller, esi: string): SimulatedPerson {
    const person = this.persons.get(key(esi))
    if (person === undefined) throw notFound('Person not found')
    if (caller !== undefined && !hasEnrolment(person, caller)) throw accessDenied()
    return person
  }

  private ownCard (caller: Caller, escn: string): SimulatedCard {
    const card = this.cards.get(key(escn))
    if (card === undefined) throw notFound('Card not found')
    if (caller !== undefined && card.issuerIdentifier !== caller) throw accessDenied()
    return card
  }

  private cardOf (caller: Caller, body: Json, cardNumber: string): SimulatedCard {
    const issuer = String(body.issuerIdentifier)
    refuseOtherOrganisation(caller, [issuer])
    const personIdentifier = String(body.personIdentifier)
    const person = this.persons.get(key(personIdentifier))
    if (person === undefined) throw new EscRouterAnswer(400, 'SIM-PERSON-UNKNOWN', 'The person must be registered before the card')
    const card: SimulatedCard = {
      cardNumber,
      cardStatusType: String(body.cardStatusType),
      cardType: String(body.cardType),
      issuedAt: String(body.issuedAt),
      expiresAt: String(body.expiresAt),
      issuerIdentifier: issuer,
      personIdentifier: person.identifier,
    }
    if (typeof body.displayName === 'string') card.displayName = body.displayName
    if (typeof body.processorIdentifier === 'string') card.processorIdentifier = body.processorIdentifier
    return card
  }

  private cardView (card: SimulatedCard): Json {
    return {
      cardNumber: card.cardNumber,
      cardStatusType: codeView(this.statusOf(card)),
      cardType: codeView(card.cardType),
      ...(card.displayName === undefined ? {} : { displayName: card.displayName }),
      issuedAt: card.issuedAt,
      expiresAt: card.expiresAt,
      hasOwnerAuthorization: true,
      issuer: { identifier: card.issuerIdentifier },
      ...(card.processorIdentifier === undefined ? {} : { processor: { identifier: card.processorIdentifier } }),
      person: { identifier: card.personIdentifier },
    }
  }

  /** A version-1 UUID whose node is the prefix and the PIC as decimal digits (esc-router.md §4.3). */
  private mint (prefix: number, pic: string): string {
    for (;;) {
      const hex = randomBytes(10).toString('hex')
      // Version nibble 1; clock sequence with the RFC 4122 variant bits 10 (first hex digit 8 to b).
      const clockSequence = (0x8 | (parseInt(hex.charAt(15), 16) & 0x3)).toString(16) + hex.slice(16, 19)
      const escn = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-1${hex.slice(12, 15)}-${clockSequence}-${String(prefix).padStart(3, '0')}${pic}`
      if (!this.cards.has(escn)) return escn
    }
  }
}

function key (identifier: string): string {
  return identifier.toLowerCase()
}

function hasEnrolment (person: SimulatedPerson, organisation: string): boolean {
  return person.enrolments.some((enrolment) => enrolment.organisationIdentifier === organisation)
}

/** The caller's token is not authorised for another organisation's PIC (esc-router.md §1, §5). */
function refuseOtherOrganisation (caller: Caller, organisations: string[]): void {
  if (caller !== undefined && organisations.some((organisation) => organisation !== caller)) throw accessDenied()
}

/** Known fields only, from either captured person shape: the router ignores what it does not know. */
function enrolmentsOf (body: Json): SimulatedEnrolment[] {
  const views = Array.isArray(body.personOrganisationUpdateViews) ? body.personOrganisationUpdateViews as Json[] : []
  if (views.length === 0) throw new EscRouterAnswer(400, 'SIM-BAD-REQUEST', 'personOrganisationUpdateViews needs the organisation')
  return views.map((view) => {
    const enrolment: SimulatedEnrolment = { organisationIdentifier: String(view.organisationIdentifier) }
    for (const field of ['academicLevel', 'email', 'fullName'] as const) {
      if (typeof view[field] === 'string') enrolment[field] = view[field]
    }
    // SPEC-A put the name on the person: still accepted.
    if (enrolment.fullName === undefined && typeof body.fullName === 'string') enrolment.fullName = body.fullName
    return enrolment
  })
}

function personView (person: SimulatedPerson): Json {
  return {
    identifier: person.identifier,
    identifierCode: codeView('ESI'),
    organisationCount: person.enrolments.length,
    organisations: person.enrolments.map((enrolment) => ({
      ...(enrolment.academicLevel === undefined ? {} : { academicLevel: codeView(enrolment.academicLevel) }),
      ...(enrolment.email === undefined ? {} : { contactPoint: { email: enrolment.email } }),
      ...(enrolment.fullName === undefined ? {} : { fullName: enrolment.fullName }),
      hasPicture: false,
      organisation: { identifier: enrolment.organisationIdentifier },
    })),
  }
}

function paged (items: Json[], page: number, size: number): Json {
  const pageSize = Math.min(Math.max(size, 1), MAX_PAGE_SIZE)
  const content = items.slice(page * pageSize, (page + 1) * pageSize)
  return {
    content,
    empty: content.length === 0,
    links: [],
    page: { number: page, size: pageSize, totalElements: items.length, totalPages: Math.ceil(items.length / pageSize) },
  }
}

function codeView (value: string): { key: string, label: string } {
  return { key: value, label: value }
}

function notFound (message: string): EscRouterAnswer {
  return new EscRouterAnswer(404, 'SIM-NOT-FOUND', message)
}

function accessDenied (): EscRouterAnswer {
  return new EscRouterAnswer(403, 'SE-0000', 'Access denied')
}
