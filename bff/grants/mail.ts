/** The mail a driver gets when an owner grants them access: where, on what terms, and how to start. */
import { eq } from 'drizzle-orm'
import type { Db } from '../store/db'
import { sites, users } from '../store/schema'
import type { Mailer } from '../mail/mailer'
import { mailLanguage, mailTexts } from '../mail/texts'
import { formatKwh, formatLocale, formatPrice } from '../../web/format'
import type { GrantRow } from './service'

type SiteRow = typeof sites.$inferSelect

/** In the driver's language when they have used the app, else in the site's country's. */
export async function mailGrant(db: Db, mailer: Mailer, o: { grant: GrantRow; site: SiteRow; publicUrl: string }): Promise<void> {
  const { grant, site } = o
  if (!grant.email) return
  const [user] = grant.userId ? await db.select({ locale: users.locale }).from(users).where(eq(users.id, grant.userId)) : []
  const language = mailLanguage(user?.locale, site.country)
  const words = mailTexts[language].granted
  const money = (minor: number) => formatPrice(minor, site.currency, language)
  const override = grant.tariffOverride
  const energyPrice = override?.kind === 'tariff' ? override.components.find((c) => c.type === 'energy') : undefined
  const price =
    override?.kind === 'free' ? words.free : energyPrice ? words.privatePrice(`${money(energyPrice.price)}/kWh`) : words.sitePrice
  const next = grant.chargerId ? `/c/${encodeURIComponent(grant.chargerId)}` : '/account'
  const until = grant.validUntil
    ? new Intl.DateTimeFormat(formatLocale[language], { dateStyle: 'long', timeZone: site.timezone }).format(grant.validUntil)
    : null
  const text = [
    words.intro(site.name, grant.chargerId ? words.charger(grant.chargerId) : words.wholeSite),
    price,
    grant.capEnergyWh !== null ? words.capEnergy(`${formatKwh(grant.capEnergyWh, language)} kWh`) : null,
    grant.capAmount !== null ? words.capAmount(money(grant.capAmount)) : null,
    until ? words.until(until) : null,
    '',
    words.howTo,
    words.signIn(`${o.publicUrl}/sign-in?next=${encodeURIComponent(next)}`),
  ].filter((line): line is string => line !== null)
  await mailer.send({ to: grant.email, subject: words.subject(site.name), text: text.join('\n') })
}
