/** What `cssSelector` needs of an element (Element satisfies it; unit tests pass plain objects). */
export interface SelectorNode {
  id: string;
  tagName: string;
  getAttribute(name: string): string | null;
  parentElement: SelectorNode | null;
}

export const MAX_SELECTOR = 100;
const IDENT = /^[A-Za-z_-][\w-]*$/;

/**
 * A short CSS selector for a heatmap point: the nearest id (`#checkout`), else a `tag.class`
 * chain of up to two classes per level (`main>div.card>button.buy`), at most ~100 chars.
 * Generated class names that are not plain identifiers (Tailwind's `w-1/2`, `hover:x`) are skipped.
 */
export function cssSelector(start: SelectorNode): string {
  let out = '';
  for (let el: SelectorNode | null = start; el; el = el.parentElement) {
    let part: string;
    if (el.id && IDENT.test(el.id)) part = `#${el.id}`;
    else {
      part = el.tagName.toLowerCase();
      const classes = (el.getAttribute('class') ?? '').split(/\s+/).filter((c) => IDENT.test(c));
      if (classes.length) part += `.${classes.slice(0, 2).join('.')}`;
    }
    const next = out ? `${part}>${out}` : part;
    if (next.length > MAX_SELECTOR) return out || next.slice(0, MAX_SELECTOR);
    out = next;
    if (part[0] === '#' || part === 'body' || part === 'html') break;
  }
  return out;
}
