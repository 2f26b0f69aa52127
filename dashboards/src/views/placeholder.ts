/**
 * A view whose module is still to be written: its title, one honest sentence, and the API it will
 * show (so a reader can get the numbers now). Each stub file (funnels.ts, retention.ts, …) is
 * replaced whole by the view's real module; the registry (index.ts) does not change.
 */
import { h } from '../render.ts';
import { panel } from '../ui.ts';
import type { View } from './context.ts';
import type { ViewName } from '../state.ts';

export function placeholderView(name: ViewName, title: string, api: string): View {
  return {
    name,
    title,
    render(_ctx, root) {
      const p = panel(title, name);
      p.body.append(
        h('p', { class: 'state placeholder' }, 'This view is being built.'),
        h('p', { class: 'help' }, 'Its numbers are already available from the API: ', h('code', {}, api), ' (see /openapi.json).'),
      );
      root.append(p.section);
      return Promise.resolve();
    },
  };
}
