/**
 * Passkeys (WebAuthn) with @simplewebauthn/server: the relying party is PUBLIC_URL's host. Each
 * ceremony's challenge is stored once, lives 5 minutes and is consumed by the first verify.
 */
import { and, eq, gt } from 'drizzle-orm'
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server'
import type { Db } from '../store/db'
import { authChallenges, passkeys, users } from '../store/schema'
import { newToken } from '../secrets'

const challengeLifetimeMs = 5 * 60_000

export interface RelyingParty {
  rpID: string
  origin: string
}

export const relyingPartyOf = (publicUrl: string): RelyingParty => {
  const url = new URL(publicUrl)
  return { rpID: url.hostname, origin: url.origin }
}

/** A ceremony that did not verify; the route answers passkey_failed without detail. */
export class PasskeyFailed extends Error {}

export interface PasskeyView {
  id: string
  name: string | null
  createdAt: string
  lastUsedAt: string | null
}

export const passkeyView = (p: typeof passkeys.$inferSelect): PasskeyView => ({
  id: p.id,
  name: p.name,
  createdAt: p.createdAt.toISOString(),
  lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
})

async function storeChallenge(db: Db, challenge: string, purpose: 'register' | 'sign_in', userId: string | null, now: Date): Promise<string> {
  const id = newToken(16)
  await db.insert(authChallenges).values({ id, challenge, purpose, userId, expiresAt: new Date(now.getTime() + challengeLifetimeMs) })
  return id
}

/** Takes the challenge out: a second verify with the same id finds nothing. */
async function consumeChallenge(db: Db, id: string, now: Date) {
  const [row] = await db.delete(authChallenges).where(and(eq(authChallenges.id, id), gt(authChallenges.expiresAt, now))).returning()
  if (!row) throw new PasskeyFailed('challenge unknown, used or expired')
  return row
}

export async function registrationOptions(
  db: Db,
  rp: RelyingParty,
  userId: string,
  now: Date,
): Promise<{ challengeId: string; options: PublicKeyCredentialCreationOptionsJSON }> {
  const [user] = await db.select().from(users).where(eq(users.id, userId))
  const existing = await db.select({ id: passkeys.id, transports: passkeys.transports }).from(passkeys).where(eq(passkeys.userId, userId))
  const options = await generateRegistrationOptions({
    rpName: 'Laddpunkt',
    rpID: rp.rpID,
    userName: user.email,
    userDisplayName: user.name ?? user.email,
    userID: new TextEncoder().encode(userId),
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports as AuthenticatorTransport[] })),
    // Discoverable, so that signing in needs no email first.
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
  })
  return { challengeId: await storeChallenge(db, options.challenge, 'register', userId, now), options }
}

export async function signInOptions(db: Db, rp: RelyingParty, now: Date): Promise<{ challengeId: string; options: PublicKeyCredentialRequestOptionsJSON }> {
  const options = await generateAuthenticationOptions({ rpID: rp.rpID, userVerification: 'preferred' })
  return { challengeId: await storeChallenge(db, options.challenge, 'sign_in', null, now), options }
}

export async function challengePurpose(db: Db, challengeId: string): Promise<'register' | 'sign_in' | null> {
  const [row] = await db.select({ purpose: authChallenges.purpose }).from(authChallenges).where(eq(authChallenges.id, challengeId))
  return row?.purpose ?? null
}

export async function verifyRegistration(
  db: Db,
  rp: RelyingParty,
  o: { challengeId: string; userId: string; response: unknown; name?: string; now: Date },
): Promise<PasskeyView> {
  const challenge = await consumeChallenge(db, o.challengeId, o.now)
  if (challenge.purpose !== 'register' || challenge.userId !== o.userId) throw new PasskeyFailed('challenge for another ceremony')
  const verification = await verifyRegistrationResponse({
    response: o.response as RegistrationResponseJSON,
    expectedChallenge: challenge.challenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.rpID,
    requireUserVerification: false,
  }).catch((error: Error) => {
    throw new PasskeyFailed(error.message)
  })
  if (!verification.verified) throw new PasskeyFailed('not verified')
  const { credential, credentialDeviceType, credentialBackedUp } = verification.registrationInfo
  const [row] = await db
    .insert(passkeys)
    .values({
      id: credential.id,
      userId: o.userId,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: credential.transports ?? [],
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
      name: o.name ?? null,
      createdAt: o.now,
    })
    .onConflictDoNothing()
    .returning()
  if (!row) throw new PasskeyFailed('credential already registered')
  return passkeyView(row)
}

/** Verifies a sign-in assertion; returns the user it belongs to. */
export async function verifySignIn(db: Db, rp: RelyingParty, o: { challengeId: string; response: unknown; now: Date }): Promise<string> {
  const challenge = await consumeChallenge(db, o.challengeId, o.now)
  if (challenge.purpose !== 'sign_in') throw new PasskeyFailed('challenge for another ceremony')
  const response = o.response as AuthenticationResponseJSON
  if (typeof response?.id !== 'string') throw new PasskeyFailed('no credential id')
  const [passkey] = await db.select().from(passkeys).where(eq(passkeys.id, response.id))
  if (!passkey) throw new PasskeyFailed('unknown credential')
  const verification = await verifyAuthenticationResponse({
    response,
    expectedChallenge: challenge.challenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.rpID,
    credential: {
      id: passkey.id,
      publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
      counter: passkey.counter,
      transports: passkey.transports as AuthenticatorTransport[],
    },
    requireUserVerification: false,
  }).catch((error: Error) => {
    throw new PasskeyFailed(error.message)
  })
  if (!verification.verified) throw new PasskeyFailed('not verified')
  await db
    .update(passkeys)
    .set({ counter: verification.authenticationInfo.newCounter, lastUsedAt: o.now })
    .where(eq(passkeys.id, passkey.id))
  return passkey.userId
}
