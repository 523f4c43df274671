/**
 * A downstream's own error text, fit for logs and the timeline: what looks like an ESI, an e-mail, an
 * INE or a date is masked (names cannot be told apart, hence our own words wherever we have them).
 */
export function maskPersonalData (text: string): string {
  return text
    .replace(/urn:schac:personalUniqueCode:\S*/gi, '<esi>')
    .replace(/[^\s@]+@[^\s@]+/g, '<e-mail>')
    .replace(/\b\d{9,10}[A-Za-z]{1,2}\b/g, '<ine>')
    .replace(/\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}\/\d{1,2}\/\d{4}\b/g, '<date>')
    .slice(0, 160)
}
