/**
 * `GET /healthz` (liveness: the process answers) and `GET /readyz` (readiness: every dependency the instance
 * needs is usable). Readiness checks are registered by the parts that own a dependency (Redis now; the access
 * token and the AI circuit as they arrive) and run concurrently, each bounded by a timeout. Details never carry
 * secrets: checks report states and operator hints, not configuration values.
 */
import type { FastifyInstance } from 'fastify';

/**
 * `error`: the instance cannot serve (503). `degraded`: it serves, but part of it fails and an operator should
 * look (200, overall status `degraded`). `not-configured`: the dependency is off by configuration.
 */
export type CheckStatus = 'ok' | 'degraded' | 'error' | 'not-configured';

export interface CheckOutcome {
  status: CheckStatus;
  /** A short operator-facing explanation, e.g. why it failed. */
  detail?: string;
}

export interface ReadinessCheck {
  name: string;
  check: () => Promise<CheckOutcome>;
}

export interface HealthRouteOptions {
  checks: ReadinessCheck[];
  /** How long one check may take before it counts as failed. */
  checkTimeoutMs?: number;
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, { status: 'error', detail: `no answer within ${timeoutMs} ms` });
  });
  try {
    return await Promise.race([check.check(), timeout]);
  } catch (error) {
    return { status: 'error', detail: error instanceof Error ? error.message : 'check failed' };
  } finally {
    clearTimeout(timer);
  }
}

export async function healthRoutes(app: FastifyInstance, options: HealthRouteOptions): Promise<void> {
  const timeoutMs = options.checkTimeoutMs ?? 2000;
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const outcomes = await Promise.all(options.checks.map((check) => runCheck(check, timeoutMs)));
    const checks = Object.fromEntries(options.checks.map((check, index) => [check.name, outcomes[index]]));
    const ready = outcomes.every((outcome) => outcome.status !== 'error');
    const degraded = outcomes.some((outcome) => outcome.status === 'degraded');
    return reply.code(ready ? 200 : 503).send({ status: ready ? (degraded ? 'degraded' : 'ok') : 'unavailable', checks });
  });
}
