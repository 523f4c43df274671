/**
 * One line of a card's history: every event (applied or late), every downstream call, every fault,
 * every operator action. Kept in Redis beside the card; never holds personal data.
 */
export interface TimelineEntry {
  at: string
  type: 'event' | 'call' | 'fault' | 'sync' | 'attention' | 'replay' | 'dismiss' | 'resync'
  [field: string]: unknown
}

export function timelineEntry (type: TimelineEntry['type'], fields: Record<string, unknown>, nowMs = Date.now()): TimelineEntry {
  return { at: new Date(nowMs).toISOString(), type, ...fields }
}
