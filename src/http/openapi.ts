import { Hono } from 'hono';
import { commerceOpenApi } from '../commerce/openapi.ts';
import { experimentsOpenApi } from '../experiments/openapi.ts';
import { ingestOpenApi } from '../ingest/openapi.ts';
import { jobsOpenApi } from '../jobs/openapi.ts';
import { reportsOpenApi } from '../reports/openapi.ts';
import { trackerOpenApi } from '../tracker/openapi.ts';
import type { OpenApiPaths } from './openapi-types.ts';
import { statsOpenApi } from './stats-openapi.ts';
import { siteOpenApi } from '../sites/site-openapi.ts';
import { tokenOpenApi } from '../sites/token-openapi.ts';
import { privacyOpenApi } from '../privacy/openapi.ts';
import { shareLinkOpenApi } from '../dashboard/share-link-openapi.ts';

const opsOpenApi: OpenApiPaths = {
  '/healthz': { get: { summary: 'Liveness: 200 while the process runs', responses: { 200: { description: 'alive' } } } },
  '/readyz': {
    get: {
      summary: 'Readiness: 200 only when the database is reachable and migrated',
      responses: { 200: { description: 'ready' }, 503: { description: 'not ready (Retry-After)' } },
    },
  },
  '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format' } } } },
};

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'Tally', version: '0.1.0', description: 'Analytics ingestion and reporting for online stores. See docs/api.md.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'tly_<siteId>_<secret>, scope read|write|admin' } },
    },
    paths: { ...opsOpenApi, ...ingestOpenApi, ...trackerOpenApi, ...commerceOpenApi, ...reportsOpenApi, ...experimentsOpenApi, ...jobsOpenApi, ...statsOpenApi, ...tokenOpenApi, ...privacyOpenApi, ...siteOpenApi, ...shareLinkOpenApi },
  };
}

export function openApiRoutes(): Hono {
  const app = new Hono();
  const doc = openApiDocument();
  app.get('/openapi.json', (c) => c.json(doc));
  return app;
}
