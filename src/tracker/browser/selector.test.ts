import { describe, expect, it } from 'vitest';
import { cssSelector, MAX_SELECTOR, type SelectorNode } from './selector.ts';

/** A tiny DOM: el('html', {}, el('body', {}, el('main', {id: 'x'}, ...))) built leaf-last. */
function chain(...specs: { tag: string; id?: string; cls?: string }[]): SelectorNode {
  let parent: SelectorNode | null = null;
  for (const s of specs) {
    const node: SelectorNode = {
      id: s.id ?? '',
      tagName: s.tag.toUpperCase(),
      getAttribute: (n) => (n === 'class' ? (s.cls ?? null) : null),
      parentElement: parent,
    };
    parent = node;
  }
  return parent!;
}

describe('cssSelector', () => {
  it('stops at the nearest id', () => {
    expect(cssSelector(chain({ tag: 'html' }, { tag: 'body' }, { tag: 'div', id: 'checkout' }, { tag: 'button', cls: 'btn primary big' }))).toBe(
      '#checkout>button.btn.primary',
    );
    expect(cssSelector(chain({ tag: 'body' }, { tag: 'button', id: 'buy' }))).toBe('#buy');
  });

  it('builds a tag.class chain up to body', () => {
    expect(cssSelector(chain({ tag: 'html' }, { tag: 'body' }, { tag: 'main' }, { tag: 'ul', cls: 'items' }, { tag: 'li' }, { tag: 'a', cls: 'link' }))).toBe(
      'body>main>ul.items>li>a.link',
    );
  });

  it('skips ids and classes that are not plain identifiers (generated or Tailwind)', () => {
    expect(cssSelector(chain({ tag: 'body' }, { tag: 'div', id: '12:ab', cls: 'w-1/2 hover:bg-red card' }, { tag: 'span' }))).toBe('body>div.card>span');
  });

  it(`stays within ${MAX_SELECTOR} characters, keeping the part nearest the target`, () => {
    const deep = chain({ tag: 'body' }, ...Array.from({ length: 30 }, () => ({ tag: 'section', cls: 'wrapper-container' })), { tag: 'button', cls: 'add' });
    const s = cssSelector(deep);
    expect(s.length).toBeLessThanOrEqual(MAX_SELECTOR);
    expect(s.endsWith('section.wrapper-container>button.add')).toBe(true);
    const long = chain({ tag: 'body' }, { tag: 'div', cls: `${'a'.repeat(150)}` });
    expect(cssSelector(long).length).toBe(MAX_SELECTOR);
  });

  it('handles SVG elements (class read by attribute)', () => {
    expect(cssSelector(chain({ tag: 'body' }, { tag: 'svg', cls: 'icon' }, { tag: 'path' }))).toBe('body>svg.icon>path');
  });
});
