import type { OpenApiPaths } from '../http/openapi.ts';

/** OpenAPI paths of the reports endpoints (merged into /openapi.json). */
export const reportsOpenApi: OpenApiPaths = {};
