/**
 * The client's address, as rate limits and access logs see it. Behind a reverse proxy the socket
 * address is the proxy's; the client's is in X-Forwarded-For, which anyone can write into. So the
 * header is read only through proxies we trust (TRUST_PROXY), from the right: each trusted proxy
 * appended the address it got the request from, and the first address not vouched for is the client.
 */
import { BlockList, isIP } from 'node:net'
import type { Context } from 'hono'
import { getConnInfo } from '@hono/node-server/conninfo'
import { createMiddleware } from 'hono/factory'

declare module 'hono' {
  interface ContextVariableMap {
    /** The client's address: the socket's, or X-Forwarded-For's through trusted proxies. */
    clientIp: string
  }
}

/** No proxy (the socket is the client), a number of proxy hops, or the proxies' addresses. */
export type TrustProxy = { kind: 'none' } | { kind: 'hops'; hops: number } | { kind: 'addresses'; list: BlockList; text: string }

/**
 * TRUST_PROXY: unset, "false" or "0": nobody; a number: that many proxies in front of us
 * ("1" for one load balancer); else a comma-separated list of addresses and CIDR ranges
 * ("10.0.0.0/8, 192.168.1.7, fd00::/8"). Throws on anything else.
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = value?.trim() ?? ''
  if (text === '' || text === 'false' || text === '0') return { kind: 'none' }
  if (/^\d+$/.test(text)) {
    const hops = Number(text)
    if (hops > 20) throw new Error('must be a hop count up to 20, or the proxies\' addresses')
    return { kind: 'hops', hops }
  }
  const list = new BlockList()
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const [address, prefix, extra] = entry.split('/')
    const family = isIP(address)
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix)
    if (!family || extra !== undefined || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32) || (prefix !== undefined && !/^\d+$/.test(prefix))) {
      throw new Error(`has "${entry}": expected a hop count, or IP addresses and CIDR ranges separated by commas`)
    }
    list.addSubnet(address, bits, family === 6 ? 'ipv6' : 'ipv4')
  }
  return { kind: 'addresses', list, text }
}

/** "::ffff:10.1.2.3" (IPv4 on a dual-stack socket) is 10.1.2.3. */
function normalize(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  return mapped ? mapped[1] : address
}

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address)
  return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4')
}

/** The client behind `socketAddress`, given the X-Forwarded-For header it sent. */
export function clientAddress(trust: TrustProxy, socketAddress: string, forwardedFor: string | undefined): string {
  const socket = normalize(socketAddress)
  if (trust.kind === 'none' || !forwardedFor) return socket
  // Nearest first: the socket, then what each proxy appended, right to left.
  const chain = [socket, ...forwardedFor.split(',').map((a) => normalize(a.trim())).reverse()]
  let client = socket
  for (let i = 1; i < chain.length; i++) {
    const vouched = trust.kind === 'hops' ? i <= trust.hops : isTrusted(trust.list, chain[i - 1])
    // An entry a trusted proxy wrote is an address; anything else means the chain is not to be believed further.
    if (!vouched || isIP(chain[i]) === 0) break
    client = chain[i]
  }
  return client
}

function socketAddressOf(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    return 'unknown' // app.request() without a socket
  }
}

/** Sets `c.var.clientIp` for everything after it. */
export const clientIp = (trust: TrustProxy) =>
  createMiddleware(async (c, next) => {
    c.set('clientIp', clientAddress(trust, socketAddressOf(c), c.req.header('x-forwarded-for')))
    await next()
  })
