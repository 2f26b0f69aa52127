import type { OpenApiPaths } from '../http/openapi-types.ts';
import { discountsOpenApi } from './discounts/openapi.ts';
import { errorsOpenApi } from './errors/openapi.ts';
import { experimentReportOpenApi } from './experiment/openapi.ts';
import { exportOpenApi } from './export/openapi.ts';
import { funnelOpenApi } from './funnel/openapi.ts';
import { heatmapOpenApi } from './heatmap/openapi.ts';
import { overviewOpenApi } from './overview/openapi.ts';
import { productsOpenApi } from './products/openapi.ts';
import { realtimeOpenApi } from './realtime/openapi.ts';
import { retentionOpenApi } from './retention/openapi.ts';
import { revenueOpenApi } from './revenue/openapi.ts';
import { searchOpenApi } from './search/openapi.ts';
import { vitalsOpenApi } from './vitals/openapi.ts';

/** Every report's OpenAPI fragment, merged into /openapi.json by src/http/openapi.ts. */
export const reportsOpenApi: OpenApiPaths = {
  ...overviewOpenApi,
  ...realtimeOpenApi,
  ...exportOpenApi,
  ...revenueOpenApi,
  ...errorsOpenApi,
  ...productsOpenApi,
  ...retentionOpenApi,
  ...heatmapOpenApi,
  ...vitalsOpenApi,
  ...funnelOpenApi,
  ...experimentReportOpenApi,
  ...discountsOpenApi,
  ...searchOpenApi,
};
