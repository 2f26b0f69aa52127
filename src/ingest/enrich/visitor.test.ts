import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cookielessVisitorId, shortHash } from './visitor.ts';

describe('cookielessVisitorId', () => {
  it('is HMAC-SHA256(salt, site NUL ip NUL ua), 96 bits in base64url', () => {
    const salt = randomBytes(32);
    const id = cookielessVisitorId(salt, '7', '198.51.100.4', 'Mozilla/5.0');
    expect(id).toBe(createHmac('sha256', salt).update('7\u0000198.51.100.4\u0000Mozilla/5.0').digest('base64url').slice(0, 16));
    expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(cookielessVisitorId(randomBytes(32), '7', '198.51.100.4', 'Mozilla/5.0')).not.toBe(id); // another day's salt
  });
});

describe('shortHash', () => {
  it('is the same on every instance: the first 96 bits of SHA-256 in base64url', () => {
    expect(shortHash('1:v1:0')).toBe(createHash('sha256').update('1:v1:0').digest('base64url').slice(0, 16));
  });
});
