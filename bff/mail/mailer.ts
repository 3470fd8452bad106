/**
 * Outgoing mail: through SMTP when SMTP_URL is set, else into the `outbox` table, which the app
 * shows in development so a newcomer can read sign-in codes without a mail server.
 */
import nodemailer from 'nodemailer'
import type { Db } from '../store/db'
import { outbox } from '../store/schema'

export interface Mail {
  to: string
  subject: string
  text: string
  /** Files sent along (a receipt PDF); the development outbox keeps only their names in the text. */
  attachments?: { filename: string; content: Buffer; contentType: string }[]
}

export interface Mailer {
  readonly kind: 'smtp' | 'outbox'
  send(mail: Mail): Promise<void>
}

export function createMailer(opts: { smtpUrl?: string; from: string; db: Db }): Mailer {
  if (opts.smtpUrl) {
    const transport = nodemailer.createTransport(opts.smtpUrl)
    return {
      kind: 'smtp',
      send: async (mail) => {
        await transport.sendMail({ from: opts.from, ...mail })
      },
    }
  }
  return {
    kind: 'outbox',
    send: async (mail) => {
      const { attachments, ...rest } = mail
      const names = attachments?.map((a) => a.filename).join(', ')
      await opts.db.insert(outbox).values({ ...rest, text: names ? `${rest.text}\n\nAttached: ${names}` : rest.text })
    },
  }
}
