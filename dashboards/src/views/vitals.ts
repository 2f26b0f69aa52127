/** The Web vitals view — a placeholder until its module is written (replace this file whole). */
import { placeholderView } from './placeholder.ts';

export const vitalsView = placeholderView('vitals', 'Web vitals', 'GET /api/v1/sites/{siteId}/reports/vitals');
