/**
 * The funnel builder: steps (a page glob, an event with props, a paid order) added, removed and
 * reordered with buttons (keyboard reachable, each labelled with its step), the window, the order
 * mode and the unit. It edits a plain definition; the funnels view puts the definition in the
 * fragment (`def=` JSON) so a built funnel can be bookmarked before it is saved.
 */
import type { FunnelDefinition, FunnelStep } from '../../../src/reports/funnel/schema.ts';
import { h } from '../render.ts';

export const DEFAULT_DEFINITION: FunnelDefinition = {
  steps: [{ type: 'pageview', path: '/**' }, { type: 'pageview', path: '/products/*' }, { type: 'order' }],
  window_seconds: 604_800,
  order: 'ordered',
  unit: 'visitor',
};

const WINDOW_UNITS = [['60', 'minutes'], ['3600', 'hours'], ['86400', 'days']] as const;
const ORDERS = [['ordered', 'In order (other activity between allowed)'], ['strict', 'Strictly in a row'], ['unordered', 'In any order']] as const;
const UNITS = [['visitor', 'Visitors'], ['session', 'Sessions']] as const;

/** Reads `def=` from the fragment; anything malformed is the default funnel. */
export function parseDefinition(raw: string | null): FunnelDefinition {
  if (!raw) return structuredClone(DEFAULT_DEFINITION);
  try {
    const d = JSON.parse(raw) as Partial<FunnelDefinition>;
    if (!Array.isArray(d.steps) || d.steps.length < 1) throw new Error('no steps');
    return { ...DEFAULT_DEFINITION, ...d, steps: d.steps };
  } catch {
    return structuredClone(DEFAULT_DEFINITION);
  }
}

/** `k=v, k2=3` → props (numbers and booleans as JSON values, as the API compares them). */
export function parseProps(text: string): Record<string, string | number | boolean> | undefined {
  const props: Record<string, string | number | boolean> = {};
  for (const part of text.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const key = part.slice(0, i).trim();
    const raw = part.slice(i + 1).trim();
    props[key] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) && !/^".*"$/.test(raw) ? Number(raw) : raw.replace(/^"(.*)"$/, '$1');
  }
  return Object.keys(props).length ? props : undefined;
}

export function propsText(props: Record<string, unknown> | undefined): string {
  return Object.entries(props ?? {}).map(([k, v]) => `${k}=${typeof v === 'string' && Number.isFinite(Number(v)) ? `"${v}"` : String(v)}`).join(', ');
}

export function stepText(s: FunnelStep): string {
  if (s.label) return s.label;
  if (s.type === 'pageview') return `Page ${s.path}`;
  if (s.type === 'event') return `Event ${s.name}${s.props ? ` (${propsText(s.props)})` : ''}`;
  return 'Paid order';
}

function option(value: string, text: string) {
  return h('option', { value }, text);
}

/** The builder form; `onChange` gets each edited definition (the caller redraws), `onRun` the submitted one. */
export function funnelBuilder(def: FunnelDefinition, onRun: (d: FunnelDefinition) => void): HTMLFormElement {
  const form = h('form', { class: 'funnel-builder', 'aria-label': 'Build a funnel', novalidate: '' });
  const list = h('ol', { class: 'steps' });
  const draw = () => {
    list.replaceChildren(...def.steps.map((step, i) => stepRow(step, i)));
    addButton.disabled = def.steps.length >= 10;
  };
  const stepRow = (step: FunnelStep, i: number): HTMLElement => {
    const n = i + 1;
    const type = h('select', { 'aria-label': `Step ${n} type`, 'data-field': 'type' }, option('pageview', 'Page'), option('event', 'Event'), option('order', 'Paid order'));
    type.value = step.type;
    type.addEventListener('change', () => {
      def.steps[i] = type.value === 'pageview' ? { type: 'pageview', path: '/**' } : type.value === 'event' ? { type: 'event', name: '' } : { type: 'order' };
      draw();
    });
    const fields: HTMLElement[] = [];
    if (step.type === 'pageview') {
      const path = h('input', { type: 'text', value: step.path, 'aria-label': `Step ${n} page path (* within a segment, ** across)`, 'data-field': 'path', placeholder: '/products/*' });
      path.addEventListener('input', () => { (def.steps[i] as { path: string }).path = path.value; });
      fields.push(path);
    } else if (step.type === 'event') {
      const name = h('input', { type: 'text', value: step.name, 'aria-label': `Step ${n} event name`, 'data-field': 'name', placeholder: 'add_to_cart' });
      name.addEventListener('input', () => { (def.steps[i] as { name: string }).name = name.value; });
      const props = h('input', { type: 'text', value: propsText(step.props), 'aria-label': `Step ${n} event props (k=v, comma separated)`, 'data-field': 'props', placeholder: 'plan=pro' });
      props.addEventListener('input', () => {
        const s = def.steps[i] as { props?: Record<string, string | number | boolean> };
        const parsed = parseProps(props.value);
        if (parsed) s.props = parsed;
        else delete s.props;
      });
      fields.push(name, props);
    }
    const move = (to: number) => {
      const [s] = def.steps.splice(i, 1);
      def.steps.splice(to, 0, s!);
      draw();
      (list.children[to]?.querySelector(`[data-field=type]`) as HTMLElement | null)?.focus();
    };
    const button = (text: string, label: string, disabled: boolean, action: () => void) => {
      const b = h('button', { type: 'button', class: 'secondary small', 'aria-label': label }, text);
      b.disabled = disabled;
      b.addEventListener('click', action);
      return b;
    };
    return h('li', { class: 'step', 'data-step': String(i) }, h('span', { class: 'step-n' }, `${n}.`), type, ...fields,
      button('↑', `Move step ${n} up`, i === 0, () => move(i - 1)),
      button('↓', `Move step ${n} down`, i === def.steps.length - 1, () => move(i + 1)),
      button('✕', `Remove step ${n}`, def.steps.length <= 2, () => { def.steps.splice(i, 1); draw(); }));
  };
  const addButton = h('button', { type: 'button', class: 'secondary' }, 'Add step');
  addButton.addEventListener('click', () => { def.steps.push({ type: 'pageview', path: '/**' }); draw(); });

  const unitSeconds = [...WINDOW_UNITS].reverse().find(([s]) => def.window_seconds % Number(s) === 0)?.[0] ?? '60';
  const windowValue = h('input', { type: 'number', min: '1', id: 'funnel-window', value: String(def.window_seconds / Number(unitSeconds)), 'data-field': 'window' });
  const windowUnit = h('select', { 'aria-label': 'Window unit', 'data-field': 'window-unit' }, ...WINDOW_UNITS.map(([v, t]) => option(v, t)));
  windowUnit.value = unitSeconds;
  const order = h('select', { id: 'funnel-order', 'data-field': 'order' }, ...ORDERS.map(([v, t]) => option(v, t)));
  order.value = def.order;
  const unit = h('select', { id: 'funnel-unit', 'data-field': 'unit' }, ...UNITS.map(([v, t]) => option(v, t)));
  unit.value = def.unit;
  form.append(
    list,
    h('div', { class: 'field-row' },
      addButton,
      h('div', { class: 'field inline' }, h('label', { for: 'funnel-window' }, 'Within'), windowValue, windowUnit),
      h('div', { class: 'field inline' }, h('label', { for: 'funnel-order' }, 'Steps'), order),
      h('div', { class: 'field inline' }, h('label', { for: 'funnel-unit' }, 'Count'), unit),
      h('button', { type: 'submit' }, 'Show funnel')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    def.window_seconds = Math.max(1, Math.round(Number(windowValue.value) * Number(windowUnit.value)));
    def.order = order.value as FunnelDefinition['order'];
    def.unit = unit.value as FunnelDefinition['unit'];
    onRun(structuredClone(def));
  });
  draw();
  return form;
}
