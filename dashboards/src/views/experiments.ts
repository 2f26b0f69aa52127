/** The Experiments view — a placeholder until its module is written (replace this file whole). */
import { placeholderView } from './placeholder.ts';

export const experimentsView = placeholderView('experiments', 'Experiments', 'GET /api/v1/sites/{siteId}/experiments/{key}/report');
