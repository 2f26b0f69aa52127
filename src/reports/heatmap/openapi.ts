import type { OpenApiPaths } from '../../http/openapi-types.ts';
import { errors, int, q, reportParameters, security } from '../common/openapi.ts';

const range = reportParameters.filter((p) => ['siteId', 'from', 'to', 'tz'].includes(p.name));
const device = (description: string) => q('device', { type: 'string', enum: ['desktop', 'tablet', 'mobile'] }, description);

const heatmapSchema = {
  type: 'object',
  properties: {
    url: { type: 'string', description: 'the page compared: scheme, lower-case host and path of `url` (query and fragment dropped)' },
    device: { type: 'string' },
    kind: { type: 'string' },
    cell: { ...int, description: 'cell size in CSS px (16)' },
    total: { ...int, description: 'points of that page, device and kind in the range' },
    points: {
      type: 'array',
      description: 'every cell with a point, top to bottom then left to right',
      items: { type: 'object', properties: { x: { ...int, description: 'floor(x/16)*16' }, y: { ...int, description: 'floor(y/16)*16' }, count: int } },
    },
    scroll: {
      type: 'array',
      description: 'depth 10, 20 … 100: visitors whose max scroll depth on that page and device in the range reached at least it (any kind)',
      items: { type: 'object', properties: { depth: int, visitors: int } },
    },
    selectors: {
      type: 'array',
      description: 'with selector=1: the most clicked element selectors (the tracker\'s `sel`) of that kind, `limit` rows',
      items: { type: 'object', properties: { selector: { type: 'string' }, count: int } },
    },
  },
};

const pageRow = {
  type: 'object',
  properties: {
    url: { type: 'string', description: 'https://host/path, to pass back as `url`' },
    host: { type: 'string' }, path: { type: 'string' },
    clicks: int, rage: int, dead: int, points: { ...int, description: 'click + rage + dead' },
  },
};

export const heatmapOpenApi: OpenApiPaths = {
  '/api/v1/sites/{siteId}/reports/heatmap': {
    get: {
      summary: 'Heatmap of one page: points per 16 px document cell for a device and kind, and the scroll-depth distribution (contract §4.3)',
      security,
      parameters: [
        ...range,
        { name: 'url', in: 'query', required: true, schema: { type: 'string' }, description: 'absolute http(s) URL of the page; host compared case-insensitively, path exactly, query and fragment ignored' },
        device('device type stored from the user agent; default desktop'),
        q('kind', { type: 'string', enum: ['click', 'rage', 'dead'] }, 'default click'),
        q('selector', { type: 'string', enum: ['1', '0'] }, '1: add `selectors`'),
        q('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 10 }, 'rows of `selectors`'),
      ],
      responses: { 200: { description: 'heatmap', content: { 'application/json': { schema: heatmapSchema } } }, ...errors },
    },
  },
  '/api/v1/sites/{siteId}/reports/heatmap/pages': {
    get: {
      summary: 'Pages with heatmap data in the range and their click, rage and dead counts, most clicked first',
      security,
      parameters: [...range, device('only this device type; default all'), q('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, 'rows')],
      responses: { 200: { description: 'pages', content: { 'application/json': { schema: { type: 'object', properties: { pages: { type: 'array', items: pageRow } } } } } }, ...errors },
    },
  },
};
