/**
 * `GET /metrics`: this instance's metrics in Prometheus' text format (see metrics/metrics.ts for the families).
 * With `ADMIN_TOKEN` set it needs `Authorization: Bearer <ADMIN_TOKEN>` (or Basic auth with the token as the
 * password, Prometheus' `basic_auth`), else 401; without it, it is open — put it behind the reverse proxy then.
 * The output carries no secret: label values are bounded sets (types, routes, errcodes, provider and model names).
 */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics/metrics.js';
import { bearerTokenGuard } from '../admin/bearer-token-guard.js';

export interface MetricsRouteOptions {
  metrics: Metrics;
  /** `ADMIN_TOKEN`; absent = open. */
  token?: string;
}

export async function metricsRoutes(app: FastifyInstance, options: MetricsRouteOptions): Promise<void> {
  const { registry } = options.metrics;
  app.get('/metrics', {
    ...(options.token ? { onRequest: bearerTokenGuard(options.token, { basic: true }) } : {}),
    handler: async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  });
}
