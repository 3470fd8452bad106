// Writes the PWA icons (a white lightning bolt on the brand green) as real PNGs into public/icons/.
// Only Node built-ins: PNG = signature + IHDR + IDAT (zlib-deflated scanlines) + IEND.
import { deflateSync } from 'node:zlib'
import { mkdirSync, writeFileSync } from 'node:fs'

const background = [0x0b, 0x6e, 0x4f]
const glyph = [0xff, 0xff, 0xff]

// The bolt as a polygon in a 0..1 box.
const bolt = [
  [0.58, 0.04], [0.18, 0.56], [0.46, 0.56], [0.38, 0.96], [0.82, 0.40], [0.53, 0.40], [0.66, 0.04],
]

function inside([x, y], polygon) {
  let hit = false
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]
    const [xj, yj] = polygon[j]
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit
  }
  return hit
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes) {
  let c = 0xffffffff
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** `glyphScale` shrinks the bolt: maskable icons keep it inside the 80 % safe zone. */
function icon(size, glyphScale) {
  const samples = 4 // supersampling per axis for smooth edges
  const rows = []
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3)
    for (let x = 0; x < size; x++) {
      let hits = 0
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const u = ((x + (sx + 0.5) / samples) / size - 0.5) / glyphScale + 0.5
          const v = ((y + (sy + 0.5) / samples) / size - 0.5) / glyphScale + 0.5
          if (inside([u, v], bolt)) hits++
        }
      }
      const a = hits / (samples * samples)
      for (let c = 0; c < 3; c++) row[1 + x * 3 + c] = Math.round(background[c] * (1 - a) + glyph[c] * a)
    }
    rows.push(row)
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header[8] = 8 // bit depth
  header[9] = 2 // truecolour RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

const out = new URL('../public/icons/', import.meta.url)
mkdirSync(out, { recursive: true })
const icons = [
  ['icon-192.png', 192, 0.8],
  ['icon-512.png', 512, 0.8],
  ['icon-maskable-512.png', 512, 0.6],
  ['apple-touch-icon-180.png', 180, 0.7],
]
for (const [name, size, scale] of icons) writeFileSync(new URL(name, out), icon(size, scale))
console.log(`wrote ${icons.length} icons to ${out.pathname}`)
