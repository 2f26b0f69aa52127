/** The Errors view — a placeholder until its module is written (replace this file whole). */
import { placeholderView } from './placeholder.ts';

export const errorsView = placeholderView('errors', 'Errors', 'GET /api/v1/sites/{siteId}/errors');
