/** SGC card states (ESUP-SGC `Card.Etat`), in lifecycle order. */
export const CARD_STATES = [
  'NEW', 'RENEWED', 'REQUEST_CHECKED', 'REJECTED', 'CANCELED', 'IN_PRINT', 'PRINTED',
  'IN_ENCODE', 'ENCODED', 'ENABLED', 'DISABLED', 'CADUC', 'DESTROYED',
] as const
export type CardState = (typeof CARD_STATES)[number]

/** ESUP-SGC `Card.MotifDisable`. */
export const DISABLE_REASONS = ['LOST', 'THEFT', 'OUT_OF_ORDER'] as const
export type DisableReason = (typeof DISABLE_REASONS)[number]

export const ACADEMIC_LEVELS = ['BACHELOR', 'MASTER', 'DOCTORATE'] as const
export type AcademicLevel = (typeof ACADEMIC_LEVELS)[number]

/** States after which the card must not be usable downstream (an opposition at CROUS). */
export const OPPOSED_STATES: ReadonlySet<CardState> = new Set(['DISABLED', 'CADUC', 'DESTROYED'])
