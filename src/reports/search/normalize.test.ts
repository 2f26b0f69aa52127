import { describe, expect, it } from 'vitest';
import { clickPosition, normalizeQuery, resultCount, urlSearchQuery } from './normalize.ts';

describe('normalizeQuery (contract §4.6)', () => {
  it('lowercases Unicode: é and É are the same, composed or decomposed', () => {
    expect(normalizeQuery('CAFÉ')).toBe('café');
    expect(normalizeQuery('Cafe\u0301')).toBe('café');
    expect(normalizeQuery('café')).toBe(normalizeQuery('CAFE\u0301'));
    expect(normalizeQuery('ÄPFEL Straße')).toBe('äpfel straße');
    expect(normalizeQuery('ΣΟΦΙΑ')).toBe('σοφια');
  });

  it('trims, collapses inner whitespace (tabs, NBSP, newlines)', () => {
    expect(normalizeQuery('  red   dress ')).toBe('red dress');
    expect(normalizeQuery('red\t\u00a0\ndress')).toBe('red dress');
    expect(normalizeQuery('Red Dress')).toBe(normalizeQuery(' red  DRESS'));
  });

  it('strips leading and trailing punctuation, keeps inner punctuation', () => {
    expect(normalizeQuery('¿shoes?')).toBe('shoes');
    expect(normalizeQuery('"red  dress".')).toBe('red dress');
    expect(normalizeQuery('- t-shirt !')).toBe('t-shirt');
    expect(normalizeQuery('«chaussures»')).toBe('chaussures');
    expect(normalizeQuery('$100')).toBe('$100'); // $ is a symbol (\p{S}), not punctuation
  });

  it('an empty result or a non-text value is no query', () => {
    expect(normalizeQuery('  ?! ')).toBeNull();
    expect(normalizeQuery('')).toBeNull();
    expect(normalizeQuery(undefined)).toBeNull();
    expect(normalizeQuery(true)).toBeNull();
    expect(normalizeQuery(42)).toBe('42');
  });

  it('is idempotent', () => {
    for (const s of ['  ¿Café  DE\u0301JÀ? ', 'İstanbul', '...a..b...', 'x\u200by']) {
      const once = normalizeQuery(s);
      expect(normalizeQuery(once)).toBe(once);
    }
  });
});

describe('results, position, URL parameters', () => {
  it('results: a non-negative integer, else unknown', () => {
    expect(resultCount(0)).toBe(0);
    expect(resultCount(12)).toBe(12);
    expect(resultCount('3')).toBe(3);
    expect(resultCount(-1)).toBeNull();
    expect(resultCount(1.5)).toBeNull();
    expect(resultCount(undefined)).toBeNull();
    expect(resultCount('many')).toBeNull();
  });

  it('position: a finite number', () => {
    expect(clickPosition(2)).toBe(2);
    expect(clickPosition('4')).toBe(4);
    expect(clickPosition('')).toBeNull();
    expect(clickPosition('x')).toBeNull();
  });

  it('takes the first listed parameter with a value', () => {
    expect(urlSearchQuery('https://shop.test/search?q=Red+Dress', ['q', 's'])).toBe('red dress');
    expect(urlSearchQuery('https://shop.test/?s=%C3%89T%C3%89&q=', ['q', 's'])).toBe('été');
    expect(urlSearchQuery('https://shop.test/?q=&q=hat', ['q'])).toBe('hat');
    expect(urlSearchQuery('https://shop.test/?query=x', ['q'])).toBeNull();
    expect(urlSearchQuery('https://shop.test/?q=x', [])).toBeNull();
    expect(urlSearchQuery('https://shop.test/?q=%20%3F', ['q'])).toBeNull();
    expect(urlSearchQuery('not a url', ['q'])).toBeNull();
  });
});
