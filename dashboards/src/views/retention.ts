/** The Retention view — a placeholder until its module is written (replace this file whole). */
import { placeholderView } from './placeholder.ts';

export const retentionView = placeholderView('retention', 'Retention', 'GET /api/v1/sites/{siteId}/reports/retention');
