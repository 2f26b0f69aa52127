import type { OpenApiPaths } from '../http/openapi.ts';

/** OpenAPI paths of the ingest endpoints (merged into /openapi.json). */
export const ingestOpenApi: OpenApiPaths = {};
