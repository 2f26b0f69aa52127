import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** What geoip-lite's lookup gives for an IP, the fields Tally keeps. */
export interface GeoHit {
  country: string;
  /** Subdivision code without the country ("ENG", "CA"), '' when unknown. */
  region: string;
  city: string;
}

/** geoip-lite's data folder: GEODATADIR as geoip-lite itself reads it, else the package's data/. */
export function geoDataDir(): string {
  if (process.env.GEODATADIR) return process.env.GEODATADIR;
  return join(dirname(createRequire(import.meta.url).resolve('geoip-lite/package.json')), 'data');
}

/** Records per block of the in-memory index: a lookup reads one block (3 KB for IPv4). */
const BLOCK = 128;
const NO_LOCATION = 0xffffffff;
/** geoip-lite's location record: country 2, region 3, metro 4, eu 1, timezone 32, city 46 bytes. */
const LOCATION_SIZE = 88;
const PRIVATE_V4: [number, number][] = [
  [0x0a000000, 0x0affffff],
  [0xac100000, 0xac1fffff],
  [0xc0a80000, 0xc0a8ffff],
];

function cString(buf: Buffer, start: number, end: number): string {
  const nul = buf.indexOf(0, start);
  return buf.toString('utf8', start, nul === -1 || nul > end ? end : nul);
}

/**
 * One of geoip-lite's range tables (geoip-city.dat, geoip-city6.dat, or the country-only files),
 * read from its file on demand instead of held in memory. Records are sorted, non-overlapping
 * ranges: [start, end, location id | country code, …]; for IPv6 only the first 64 bits of an
 * address are compared, as geoip-lite does. The first start address of every BLOCK records stays
 * in memory (~180 KB for both tables), so a lookup is a binary search there, one read of one block
 * and a binary search in it.
 */
class RangeTable {
  private readonly fd: number;
  private readonly records: number;
  /** Start address of the first record of each block: its high 32 bits, and for IPv6 the next 32. */
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array | undefined;
  /** The block the last `find` read. */
  readonly block: Buffer;

  constructor(
    path: string,
    readonly recordSize: number,
    private readonly v6: boolean,
  ) {
    this.fd = openSync(path, 'r');
    const size = fstatSync(this.fd).size;
    if (size === 0 || size % recordSize !== 0) throw new Error(`${path}: not a geoip-lite table of ${recordSize}-byte records`);
    this.records = size / recordSize;
    const blocks = Math.ceil(this.records / BLOCK);
    this.hi = new Uint32Array(blocks);
    this.lo = v6 ? new Uint32Array(blocks) : undefined;
    this.block = Buffer.alloc(BLOCK * recordSize);
    // Index built in 1 MB reads: the table itself never becomes resident in this process.
    const chunkRecords = BLOCK * Math.floor((1 << 20) / (BLOCK * recordSize));
    const chunk = Buffer.alloc(chunkRecords * recordSize);
    for (let first = 0; first < this.records; first += chunkRecords) {
      const n = Math.min(chunkRecords, this.records - first);
      readSync(this.fd, chunk, 0, n * recordSize, first * recordSize);
      for (let r = 0; r < n; r += BLOCK) {
        const b = (first + r) / BLOCK;
        this.hi[b] = chunk.readUInt32BE(r * recordSize);
        if (this.lo) this.lo[b] = chunk.readUInt32BE(r * recordSize + 4);
      }
    }
  }

  /** Compares a record's or block's start (hi, lo) with the address (ahi, alo). */
  private static before(hi: number, lo: number, ahi: number, alo: number): boolean {
    return hi < ahi || (hi === ahi && lo <= alo);
  }

  /**
   * The record whose range holds the address, read into `this.block` — its offset there — or -1.
   * The buffer is reused: read the record before the next lookup.
   */
  find(ahi: number, alo: number): number {
    let lo = 0;
    let hi = this.hi.length - 1;
    if (!RangeTable.before(this.hi[0]!, this.lo?.[0] ?? 0, ahi, alo)) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (RangeTable.before(this.hi[mid]!, this.lo?.[mid] ?? 0, ahi, alo)) lo = mid;
      else hi = mid - 1;
    }
    const first = lo * BLOCK;
    const n = Math.min(BLOCK, this.records - first);
    readSync(this.fd, this.block, 0, n * this.recordSize, first * this.recordSize);
    const size = this.recordSize;
    const half = this.v6 ? 16 : 4;
    // Last record of the block whose start is ≤ the address (the block's first one is).
    let a = 0;
    let b = n - 1;
    while (a < b) {
      const mid = (a + b + 1) >>> 1;
      const o = mid * size;
      if (RangeTable.before(this.block.readUInt32BE(o), this.v6 ? this.block.readUInt32BE(o + 4) : 0, ahi, alo)) a = mid;
      else b = mid - 1;
    }
    const o = a * size;
    const endHi = this.block.readUInt32BE(o + half);
    const endLo = this.v6 ? this.block.readUInt32BE(o + half + 4) : 0;
    return RangeTable.before(ahi, alo, endHi, endLo) ? o : -1;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** 32-bit halves of an IPv6 address's first 64 bits, or undefined when it does not parse. */
function v6Prefix(ip: string): [number, number] | undefined {
  const halves = ip.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  if (tail.length && tail[tail.length - 1]!.includes('.')) return undefined; // v4-in-v6 tails: no prefix use
  const groups = halves.length === 2 ? [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail] : head;
  if (groups.length !== 8) return undefined;
  const g = groups.slice(0, 4).map((x) => (/^[0-9a-f]{1,4}$/i.test(x) ? parseInt(x, 16) : NaN));
  if (g.some(Number.isNaN)) return undefined;
  return [((g[0]! << 16) | g[1]!) >>> 0, ((g[2]! << 16) | g[3]!) >>> 0];
}

function v4Number(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/** One opening of the data files: the city tables, or geoip-lite's country-only fallback. */
class GeoTables {
  private readonly v4: RangeTable;
  private readonly v6: RangeTable;
  private readonly names: number | undefined;
  private readonly location = Buffer.alloc(LOCATION_SIZE);

  constructor(dir: string) {
    const city = (file: string, size: number, v6: boolean) => new RangeTable(join(dir, file), size, v6);
    try {
      this.names = openSync(join(dir, 'geoip-city-names.dat'), 'r');
      this.v4 = city('geoip-city.dat', 24, false);
      this.v6 = city('geoip-city6.dat', 48, true);
    } catch (error) {
      // geoip-lite's own fallback: the country-only tables (10- and 34-byte records).
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (this.names !== undefined) closeSync(this.names);
      this.names = undefined;
      this.v4 = city('geoip-country.dat', 10, false);
      this.v6 = city('geoip-country6.dat', 34, true);
    }
  }

  lookup(ip: string): GeoHit | null {
    if (ip.includes(':')) {
      const mapped = /^(?:::|0:0:0:0:0:)ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
      if (mapped) return this.lookup(mapped[1]!);
      const prefix = v6Prefix(ip);
      return prefix ? this.hit(this.v6, prefix[0], prefix[1], 32) : null;
    }
    const n = v4Number(ip);
    if (n === undefined) return null;
    for (const [from, to] of PRIVATE_V4) if (n >= from && n <= to) return null;
    return this.hit(this.v4, n, 0, 8);
  }

  /** Decodes the record `find` located; `after` is the offset of its location id (or country). */
  private hit(table: RangeTable, hi: number, lo: number, after: number): GeoHit | null {
    const o = table.find(hi, lo);
    if (o < 0) return null;
    const block = table.block;
    if (this.names === undefined) return { country: cString(block, o + after, o + after + 2), region: '', city: '' };
    const locId = block.readUInt32BE(o + after);
    if (locId === NO_LOCATION) return { country: '', region: '', city: '' };
    readSync(this.names, this.location, 0, LOCATION_SIZE, locId * LOCATION_SIZE);
    const l = this.location;
    return { country: cString(l, 0, 2), region: cString(l, 2, 5), city: cString(l, 42, LOCATION_SIZE) };
  }

  close(): void {
    this.v4.close();
    this.v6.close();
    if (this.names !== undefined) closeSync(this.names);
  }
}

const DATA_FILES = ['geoip-city-names.dat', 'geoip-city.dat', 'geoip-city6.dat', 'geoip-country.dat', 'geoip-country6.dat'];

export interface GeoFileOptions {
  /** How often (at most) a lookup checks the data files for an update. */
  checkEveryMs?: number;
  /** How long the files must stay unchanged after an update before they are read again. */
  settleMs?: number;
  now?: () => number;
}

/**
 * geoip-lite's lookups on geoip-lite's data files, without loading them: geoip-lite reads its
 * 146 MB of tables into Buffers of every process that requires it, which was a third of the
 * server's peak RSS (`npm run bench:ingest`). Here each lookup reads one 3–6 KB block and one
 * 88-byte location record with pread; the kernel's page cache keeps the hot pages, shared by
 * every Tally process on the host and reclaimable under memory pressure. The IP LRU in geo.ts
 * sits in front, so a visitor costs these reads once. Answers match geoip-lite's (geo-file.test.ts).
 *
 * geoip-lite's `updatedb` rewrites the files in place. A process that kept them open would then
 * read new blocks through an index of the old ones, so at most once a second a lookup compares
 * the files' size, mtime and inode with those it opened. After a change it answers `undefined`
 * (no geo; not to be cached) until the files have been still for `settleMs` — geoip-lite's own
 * watcher waits a minute too — and then opens them again and bumps `version`.
 */
export class GeoFile {
  private tables: GeoTables;
  private stamp: string;
  private checkedAt = 0;
  private changedAt = 0;
  private stale = false;
  /** Incremented on every reload: callers drop answers they cached from the old data. */
  version = 0;
  private readonly checkEveryMs: number;
  private readonly settleMs: number;
  private readonly now: () => number;

  constructor(
    private readonly dir = geoDataDir(),
    options: GeoFileOptions = {},
  ) {
    this.checkEveryMs = options.checkEveryMs ?? 1000;
    this.settleMs = options.settleMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.stamp = this.currentStamp();
    this.tables = new GeoTables(dir);
    this.checkedAt = this.now();
  }

  private currentStamp(): string {
    return DATA_FILES.map((f) => {
      try {
        const st = statSync(join(this.dir, f));
        return `${st.ino}:${st.size}:${st.mtimeMs}`;
      } catch {
        return '-';
      }
    }).join(' ');
  }

  /** The IP's country, region and city; null when unknown; undefined while the data is being updated. */
  lookup(ip: string): GeoHit | null | undefined {
    const now = this.now();
    if (now - this.checkedAt >= this.checkEveryMs) {
      this.checkedAt = now;
      const stamp = this.currentStamp();
      if (stamp !== this.stamp) {
        this.stamp = stamp;
        this.changedAt = now;
        this.stale = true;
      } else if (this.stale && now - this.changedAt >= this.settleMs) {
        const fresh = new GeoTables(this.dir);
        this.tables.close();
        this.tables = fresh;
        this.stale = false;
        this.version++;
      }
    }
    return this.stale ? undefined : this.tables.lookup(ip);
  }

  close(): void {
    this.tables.close();
  }
}
