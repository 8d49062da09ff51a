/**
 * What the WeChat API client needs from access-token management. The manager in this folder implements it;
 * tests and tools may supply their own.
 *
 * Contract:
 * - `getToken()` resolves to a token that was valid when cached (refreshed ahead of expiry); concurrent
 *   callers share one fetch (single-flight in the process, a lock across instances).
 * - `refreshAfterInvalid(token)` is called once when WeChat answered 40001/40014/42001 for a call made with
 *   `token`. It drops `token` only if the store still holds it (another caller may already have replaced it),
 *   and resolves to the token to retry with. The client retries at most once; a second failure is surfaced.
 */
export interface AccessTokenProvider {
  getToken(): Promise<string>;
  refreshAfterInvalid(token: string): Promise<string>;
}
