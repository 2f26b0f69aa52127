import type { OpenApiPaths } from '../http/openapi.ts';

/** OpenAPI paths of the commerce endpoints (merged into /openapi.json). */
export const commerceOpenApi: OpenApiPaths = {};
