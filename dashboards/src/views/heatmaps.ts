/** The Heatmaps view — a placeholder until its module is written (replace this file whole). */
import { placeholderView } from './placeholder.ts';

export const heatmapsView = placeholderView('heatmaps', 'Heatmaps', 'GET /api/v1/sites/{siteId}/reports/heatmap');
