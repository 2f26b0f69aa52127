/** The Funnels view — a placeholder until its module is written (replace this file whole). */
import { placeholderView } from './placeholder.ts';

export const funnelsView = placeholderView('funnels', 'Funnels', 'POST /api/v1/sites/{siteId}/reports/funnel');
