/**
 * OpenAPI 3.1 paths of one area: `{ "/collect": { post: {...} } }`. A leaf module: every area's
 * fragment imports this type, and src/http/openapi.ts imports the fragments.
 */
export type OpenApiPaths = Record<string, Record<string, unknown>>;
