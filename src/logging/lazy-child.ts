/**
 * A child logger that is only made when something is logged through it. pino serialises (and redacts) a
 * child's bindings when the child is made; per message that was a measurable share of an AI answer's cost,
 * for a logger that at the usual levels rarely writes anything.
 *
 * Calls at a level the parent does not log are dropped without making the child; everything else (a call at an
 * enabled level, `child`, `level`, any other property) makes it once and goes to it.
 */
import type { Logger } from 'pino';

const LEVEL_METHODS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);

function noop(): void {}

export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  let child: Logger | undefined;
  const real = (): Logger => (child ??= parent.child(bindings));
  return new Proxy({} as Logger, {
    get(_target, property) {
      if (child === undefined && typeof property === 'string' && LEVEL_METHODS.has(property) && !parent.isLevelEnabled(property)) return noop;
      const logger = real();
      const value: unknown = Reflect.get(logger, property, logger);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(logger) : value;
    },
    set(_target, property, value) {
      return Reflect.set(real(), property, value);
    },
    has(_target, property) {
      return Reflect.has(real(), property);
    },
  });
}
