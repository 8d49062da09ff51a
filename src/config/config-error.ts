/**
 * Thrown by `loadConfig` / `ensureDirectories` when the configuration cannot be used. It carries every problem
 * found, not just the first, so an operator fixes the whole `.env` in one go.
 *
 * Contract: each entry of `problems` is one line that starts with the variable's name and says what is expected
 * (`PORT: expected an integer from 1 to 65535, got "abc"`). A problem never contains a secret's value, so the
 * whole error — message included — is safe to print.
 */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    const count = problems.length;
    super(`Invalid configuration (${count} ${count === 1 ? 'problem' : 'problems'}): ${problems.join('; ')}`);
    this.name = 'ConfigError';
    this.problems = [...problems];
  }
}
