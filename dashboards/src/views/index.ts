/**
 * The registry of views: one module per view, in navigation order (state.ts VIEW_NAMES). A view's
 * author edits only their own module; this file changes only when a view is added to §9.
 */
import type { ViewName } from '../state.ts';
import { VIEW_NAMES } from '../state.ts';
import type { View } from './context.ts';
import { discountsView } from './discounts.ts';
import { errorsView } from './errors.ts';
import { experimentsView } from './experiments.ts';
import { funnelsView } from './funnels.ts';
import { heatmapsView } from './heatmaps.ts';
import { overviewView } from './overview.ts';
import { productsView } from './products.ts';
import { realtimeView } from './realtime.ts';
import { retentionView } from './retention.ts';
import { revenueView } from './revenue.ts';
import { searchView } from './search.ts';
import { vitalsView } from './vitals.ts';

export type { View, ViewContext } from './context.ts';

export const VIEWS: Record<ViewName, View> = {
  overview: overviewView,
  revenue: revenueView,
  products: productsView,
  funnels: funnelsView,
  retention: retentionView,
  experiments: experimentsView,
  heatmaps: heatmapsView,
  errors: errorsView,
  vitals: vitalsView,
  search: searchView,
  discounts: discountsView,
  realtime: realtimeView,
};

/** In navigation order. */
export const VIEW_LIST: View[] = VIEW_NAMES.map((name) => VIEWS[name]);
