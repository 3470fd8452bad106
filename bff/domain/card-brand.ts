/** Card networks as people write them: the provider's 'visa' is "Visa" on a receipt. */
const names: Record<string, string> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'American Express',
  american_express: 'American Express',
  discover: 'Discover',
  diners: 'Diners Club',
  jcb: 'JCB',
  unionpay: 'UnionPay',
  cartes_bancaires: 'Cartes Bancaires',
  eftpos_au: 'eftpos',
  interac: 'Interac',
}

export function cardBrandName(brand: string): string {
  const key = brand.trim().toLowerCase()
  if (names[key]) return names[key]
  if (key === '' || key === 'unknown') return ''
  return key.replace(/_/g, ' ').replace(/^\p{L}/u, (c) => c.toUpperCase())
}

/** "Visa ···· 4242": the brand and the last four, as receipts and the payment block show a card. */
export const cardLabel = (card: { brand: string; last4: string }) => `${cardBrandName(card.brand)} ···· ${card.last4}`.trim()
