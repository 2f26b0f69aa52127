import type { OpenApiPaths } from '../http/openapi-types.ts';
import { errors, q, security } from '../reports/common/openapi.ts';

export const jobsOpenApi: OpenApiPaths = {
  '/api/v1/admin/jobs': {
    get: {
      summary: 'Scheduled jobs and their recent runs (admin token of any site)',
      security,
      parameters: [q('job', { type: 'string' }, 'only this job'), q('limit', { type: 'integer', default: 100 }, 'runs')],
      responses: { 200: { description: '{jobs: [...state], runs: [{id, job, instance, startedAt, finishedAt, rows, error, detail}]}' }, 401: errors[401], 403: { description: 'not an admin token' } },
    },
  },
};
