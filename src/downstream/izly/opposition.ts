/**
 * Whether a card is opposed, from the dates a GetSmartCard answer carries: cancelled, and not
 * revalidated since (izly-crous.md §3.6).
 */
export function isOpposed (cancelDate: string | undefined, revalidationDate: string | undefined): boolean {
  if (cancelDate === undefined) return false
  if (revalidationDate === undefined) return true
  return Date.parse(revalidationDate) < Date.parse(cancelDate)
}
