/** The Discount codes view — a placeholder until its module is written (replace this file whole). */
import { placeholderView } from './placeholder.ts';

export const discountsView = placeholderView('discounts', 'Discount codes', 'GET /api/v1/sites/{siteId}/reports/discounts');
