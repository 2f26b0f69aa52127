import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GeoFile, geoDataDir } from './geo-file.ts';

interface GeoipLite {
  lookup(ip: string): { country: string; region: string; city: string } | null;
}
// The reference: geoip-lite itself, on the same data files.
const geoip = createRequire(import.meta.url)('geoip-lite') as GeoipLite;
const file = new GeoFile();
afterAll(() => file.close());

function reference(ip: string) {
  const hit = geoip.lookup(ip);
  return hit && { country: hit.country, region: hit.region, city: hit.city };
}

/** Checks every address against geoip-lite; returns how many have a country (coverage). */
function sameAsGeoipLite(ips: string[]): number {
  let found = 0;
  for (const ip of ips) {
    const want = reference(ip);
    expect(file.lookup(ip), ip).toEqual(want);
    if (want?.country) found++;
  }
  return found;
}

let seed = 7;
const rand = () => {
  seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
  return seed;
};
const v4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const v6 = (hi: number, lo: number, tail: number) =>
  [hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff, tail & 0xffff, 0, 0, 1].map((g) => g.toString(16)).join(':');

/** Start and end addresses of `count` records spread over a table, with their neighbours. */
function boundaries(name: string, size: number, count: number, address: (buf: Buffer, o: number) => string[]): string[] {
  const path = join(geoDataDir(), name);
  const records = statSync(path).size / size;
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(size);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    readSync(fd, buf, 0, size, Math.floor((i * records) / count) * size);
    out.push(...address(buf, 0));
  }
  closeSync(fd);
  return out;
}

describe('GeoFile', () => {
  it('answers as geoip-lite for 100,000 random IPv4 addresses and the edges of 5,000 ranges', () => {
    const ips = Array.from({ length: 100_000 }, () => v4(rand()));
    ips.push(
      ...boundaries('geoip-city.dat', 24, 5_000, (b) => {
        const start = b.readUInt32BE(0);
        const end = b.readUInt32BE(4);
        return [start, end, start - 1, end + 1].filter((n) => n >= 0 && n <= 0xffffffff).map(v4);
      }),
    );
    ips.push('10.1.2.3', '172.16.0.1', '192.168.1.1', '127.0.0.1', '0.0.0.0', '255.255.255.255', '81.2.69.142', '8.8.8.8');
    expect(sameAsGeoipLite(ips)).toBeGreaterThan(50_000);
  });

  it('answers as geoip-lite for 30,000 IPv6 addresses and the edges of 3,000 ranges', () => {
    const ips = Array.from({ length: 30_000 }, () => v6(0x20000000 + (rand() % 0x10000000), rand(), rand()));
    ips.push(
      ...boundaries('geoip-city6.dat', 48, 3_000, (b) => [
        v6(b.readUInt32BE(0), b.readUInt32BE(4), 0),
        v6(b.readUInt32BE(16), b.readUInt32BE(20), 0xffff),
      ]),
    );
    ips.push('2001:4860:4860::8888', '2a00:1450:4001:80b::200e', '::1', 'fe80::1', '::ffff:81.2.69.142', '0:0:0:0:0:ffff:8.8.8.8');
    expect(sameAsGeoipLite(ips)).toBeGreaterThan(3_000);
  });

  it('returns null for what is not an address', () => {
    for (const ip of ['', 'localhost', '1.2.3', '1.2.3.256', '1:2:3', 'zz::1', '1::2::3']) expect(file.lookup(ip), ip).toBeNull();
  });

  it('stops answering while geoip-lite rewrites its files, and reads them again once they are still', () => {
    // The country-only tables (geoip-lite's fallback when the city files are missing): 14 MB to copy.
    const dir = mkdtempSync(join(tmpdir(), 'tally-geo-'));
    try {
      for (const f of ['geoip-country.dat', 'geoip-country6.dat']) copyFileSync(join(geoDataDir(), f), join(dir, f));
      let clock = 1_000_000;
      const geo = new GeoFile(dir, { now: () => clock, checkEveryMs: 0, settleMs: 60_000 });
      expect(geo.lookup('8.8.8.8')).toEqual({ country: 'US', region: '', city: '' });
      // updatedb writes in place: same inode, new mtime (and, mid-write, another size).
      const path = join(dir, 'geoip-country.dat');
      const data = readFileSync(path);
      writeFileSync(path, data.subarray(0, data.length / 2));
      utimesSync(path, new Date(clock), new Date(clock + 5_000));
      clock += 1;
      expect(geo.lookup('8.8.8.8')).toBeUndefined();
      writeFileSync(path, data);
      utimesSync(path, new Date(clock), new Date(clock + 10_000));
      clock += 30_000;
      expect(geo.lookup('8.8.8.8')).toBeUndefined(); // changed again: the minute starts over
      clock += 59_000;
      expect(geo.lookup('81.2.69.142')).toBeUndefined();
      clock += 2_000;
      expect(geo.lookup('81.2.69.142')).toEqual({ country: 'GB', region: '', city: '' });
      expect(geo.version).toBe(1);
      geo.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
