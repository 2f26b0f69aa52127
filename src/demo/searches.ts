import type { Rng } from './prng.ts';
import type { Product } from './world.ts';

/**
 * The demo store's site search (contract §4.6): what a visit searches for, how many results the
 * store found, and whether the shopper clicked one. Queries for a product are typed in varied
 * case and spacing (the report groups them by normalized form); a few queries the catalogue has
 * no answer for give zero-result searches; some searches send no result count (unknown). A
 * visit that goes on to buy searched for its product more often, so search-led orders exist.
 */
export const ZERO_RESULT_QUERIES = ['gift card', 'bluetooth speaker', 'xmas jumper', 'size guide', 'returns'];

export interface PlannedSearchEvent {
  offsetMs: number;
  name: 'search' | 'search_click';
  props: Record<string, string | number>;
}

function typed(rng: Rng, text: string): string {
  const roll = rng.next();
  if (roll < 0.4) return text.toLowerCase();
  if (roll < 0.55) return `  ${text.toUpperCase()} `;
  if (roll < 0.7) return text.replace(/ /g, '  ');
  if (roll < 0.8) return `${text}?`;
  return text;
}

/** The search events of one visit (offsets after its first pageview), or none. */
export function planSearch(rng: Rng, product: Product | undefined, bought: boolean): PlannedSearchEvent[] {
  if (!rng.chance(bought ? 0.45 : 0.18)) return [];
  const out: PlannedSearchEvent[] = [];
  const at = rng.int(3_000, 20_000);
  if (product && rng.chance(bought ? 0.9 : 0.7)) {
    const q = typed(rng, rng.chance(0.8) ? product.name : product.category);
    const results = rng.int(1, 24);
    out.push({ offsetMs: at, name: 'search', props: rng.chance(0.1) ? { q } : { q, results } });
    if (rng.chance(bought ? 0.8 : 0.45)) {
      out.push({ offsetMs: at + rng.int(2_000, 15_000), name: 'search_click', props: { q, position: Math.min(results, 1 + Math.floor(rng.next() * rng.next() * 6)), product_id: product.id } });
    }
  } else {
    out.push({ offsetMs: at, name: 'search', props: { q: typed(rng, rng.pick(ZERO_RESULT_QUERIES)), results: 0 } });
  }
  return out;
}
