/** The Site search view — a placeholder until its module is written (replace this file whole). */
import { placeholderView } from './placeholder.ts';

export const searchView = placeholderView('search', 'Site search', 'GET /api/v1/sites/{siteId}/reports/search');
