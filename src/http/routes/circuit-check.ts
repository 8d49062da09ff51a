import type { ResiliencePolicy } from '../../ai/resilience.js';
import type { ReadinessCheck } from './health.js';

/**
 * `/readyz`'s AI entry: the circuit breaker's state. An open circuit is `degraded`, not `error` — the instance
 * still answers (with EXTERNAL_SERVICE_ERROR_MSG, menus, pickups) and the breaker probes the service by itself.
 */
export function circuitCheck(policy: ResiliencePolicy): ReadinessCheck {
  return {
    name: 'ai-service',
    check: async () => {
      const { circuit, inFlight, queued } = policy.state();
      const detail = `circuit ${circuit}; ${inFlight} calls in flight, ${queued} queued`;
      return circuit === 'closed' ? { status: 'ok', detail } : { status: 'degraded', detail };
    },
  };
}
