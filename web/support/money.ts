/** "12,50", "12.5", "12" (major units, as an agent types them) → 1250 minor units; null when not an amount. */
export function parseMinor(typed: string, digits = 2): number | null {
  const cleaned = typed.trim().replace(/\s/g, '').replace(',', '.')
  const match = new RegExp(`^(\\d{1,9})(?:\\.(\\d{0,${digits}}))?$`).exec(cleaned)
  if (!match) return null
  const [, whole, fraction = ''] = match
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0')
}
