import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => (i + 256).toString(16).slice(1));
/** Random bytes drawn 4 KB at a time: one getrandom call per 409 ids instead of one per id. */
const pool = Buffer.alloc(4096);
let offset = pool.length;

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Event ids are
 * keys of the idempotency index (ingest_dedup's primary key) for as long as retries and spool
 * replays can come back; time-ordered keys land at the right edge of that B-tree, where random
 * version 4 keys touch a random leaf page each — and, after every checkpoint, log that whole page
 * to the WAL again on its first change.
 */
export function uuidv7(now = Date.now()): string {
  if (offset + 10 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const r = pool;
  const o = offset;
  offset += 10;
  const hi = Math.floor(now / 0x1000000); // top 24 bits of the 48-bit timestamp
  const lo = now % 0x1000000;
  return (
    HEX[(hi >>> 16) & 255]! + HEX[(hi >>> 8) & 255]! + HEX[hi & 255]! + HEX[(lo >>> 16) & 255]! + '-' +
    HEX[(lo >>> 8) & 255]! + HEX[lo & 255]! + '-' +
    HEX[0x70 | (r[o]! & 15)]! + HEX[r[o + 1]!]! + '-' +
    HEX[0x80 | (r[o + 2]! & 63)]! + HEX[r[o + 3]!]! + '-' +
    HEX[r[o + 4]!]! + HEX[r[o + 5]!]! + HEX[r[o + 6]!]! + HEX[r[o + 7]!]! + HEX[r[o + 8]!]! + HEX[r[o + 9]!]!
  );
}
