/**
 * Access tokens as WeChat hands them out. Two independent issuers, as in WeChat:
 * - `stable_token`: normal mode returns the current token while it is valid (with its remaining lifetime);
 *   `force_refresh` issues a new one and leaves the previous one valid for a 5-minute grace period.
 * - classic `/cgi-bin/token`: every call issues a new token and invalidates the previous classic one.
 * A token past its lifetime answers 42001; an unknown, replaced or revoked one answers 40001.
 */
import { randomBytes } from 'node:crypto';

export const FORCE_REFRESH_GRACE_MS = 5 * 60_000;

export type TokenCheck = 'valid' | 'missing' | 'invalid' | 'expired';

interface IssuedToken {
  expiresAt: number;
  /** Earlier than `expiresAt` once replaced (end of the grace period, or now for a classic token). */
  validUntil: number;
}

export class FakeTokens {
  /** Every token issued, in order (tests check that none of them leaks). */
  readonly issued: string[] = [];
  private readonly tokens = new Map<string, IssuedToken>();
  private stableToken: string | undefined;
  private classicToken: string | undefined;

  constructor(private readonly ttlMs: number) {}

  stable(forceRefresh: boolean): { token: string; expiresInSeconds: number } {
    const now = Date.now();
    const current = this.stableToken === undefined ? undefined : this.tokens.get(this.stableToken);
    if (!forceRefresh && this.stableToken !== undefined && current && current.validUntil > now) {
      return { token: this.stableToken, expiresInSeconds: Math.max(1, Math.ceil((current.validUntil - now) / 1000)) };
    }
    if (current) current.validUntil = Math.min(current.validUntil, now + FORCE_REFRESH_GRACE_MS);
    this.stableToken = this.issue(now);
    return { token: this.stableToken, expiresInSeconds: Math.ceil(this.ttlMs / 1000) };
  }

  classic(): { token: string; expiresInSeconds: number } {
    const now = Date.now();
    const previous = this.classicToken === undefined ? undefined : this.tokens.get(this.classicToken);
    if (previous) previous.validUntil = Math.min(previous.validUntil, now);
    this.classicToken = this.issue(now);
    return { token: this.classicToken, expiresInSeconds: Math.ceil(this.ttlMs / 1000) };
  }

  check(token: string | null | undefined): TokenCheck {
    if (!token) return 'missing';
    const issued = this.tokens.get(token);
    if (!issued) return 'invalid';
    const now = Date.now();
    if (issued.validUntil > now) return 'valid';
    return issued.expiresAt <= now && issued.validUntil === issued.expiresAt ? 'expired' : 'invalid';
  }

  /** Makes every token issued so far invalid (40001), as if the secret had been reset. */
  revokeAll(): void {
    const now = Date.now();
    for (const token of this.tokens.values()) token.validUntil = Math.min(token.validUntil, now - 1);
  }

  private issue(now: number): string {
    const token = randomBytes(96).toString('base64url');
    this.tokens.set(token, { expiresAt: now + this.ttlMs, validUntil: now + this.ttlMs });
    this.issued.push(token);
    return token;
  }
}
