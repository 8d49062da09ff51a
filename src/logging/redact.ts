/**
 * The last line of defence against leaking secrets: text-level redaction that runs on every serialized log
 * line (see `create-logger.ts`) and on anything else that leaves the process with free text in it (error
 * responses, `/readyz` details). Structured redaction of well-known keys happens earlier, in pino's `redact`;
 * this catches what slips through — a token inside an error message or stack, a URL with `access_token=…`.
 */

/** What every hidden value is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Secrets that WeChat or the AI service can only ever receive in a URL or a JSON body, so their *values* are not
 * known in advance (access tokens are fetched at run time): hidden wherever they appear as `name=value` or
 * `"name":"value"`. The names are those ending in `token` or `secret`, plus API keys.
 */
const SECRET_NAME = String.raw`[A-Za-z_]*(?:token|secret)|api_?key`;
const QUERY_PARAMETER = new RegExp(String.raw`\b(${SECRET_NAME})=([^&\s"'\\#<>]+)`, 'gi');
// Inside a serialized log line an embedded JSON document is escaped once more, hence the optional backslashes.
const JSON_PROPERTY = new RegExp(String.raw`\b(${SECRET_NAME})(\\*"\s*:\s*\\*")([^"\\]+)`, 'gi');
const BEARER_CREDENTIAL = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
// `redis://user:password@host` and the like.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"\\]*:)[^\s@/"\\]+@/gi;

/** 43 characters of base64 alphabet: the shape of a WeChat EncodingAESKey. */
const ENCODING_AES_KEY = /^[A-Za-z0-9+/]{43}$/;

/**
 * Every textual form under which a secret could show up: the value itself, its JSON-escaped form (a log line
 * is JSON), and — for an EncodingAESKey — the 32-byte key it decodes to (hex in both cases, base64, base64url,
 * and the `[1,2,…]` byte list that JSON gives for a Buffer) and the 16-byte IV derived from it.
 */
export function expandSecrets(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  const addForm = (form: string): void => {
    if (form.length === 0) return;
    forms.add(form);
    const jsonEscaped = JSON.stringify(form).slice(1, -1);
    if (jsonEscaped !== form) forms.add(jsonEscaped);
  };
  for (const secret of secrets) {
    addForm(secret);
    if (!ENCODING_AES_KEY.test(secret)) continue;
    const key = Buffer.from(`${secret}=`, 'base64');
    if (key.length !== 32) continue;
    for (const bytes of [key, key.subarray(0, 16)]) {
      const hex = bytes.toString('hex');
      addForm(hex);
      addForm(hex.toUpperCase());
      addForm(bytes.toString('base64'));
      addForm(bytes.toString('base64').replace(/=+$/, ''));
      addForm(bytes.toString('base64url'));
      addForm(bytes.join(','));
    }
  }
  return [...forms];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Hides known secret values and secret-looking parameters; reusable for many texts. */
export interface Redactor {
  redact(text: string): string;
  /** Adds a value learnt at run time (e.g. a freshly fetched access token). */
  addSecret(secret: string): void;
}

export function createRedactor(secrets: readonly string[]): Redactor {
  const known = new Set(secrets.filter((secret) => secret.length > 0));
  let literalPattern: RegExp | undefined;
  const compile = (): void => {
    // Longest first, so a secret that contains another one is hidden whole.
    const forms = expandSecrets([...known]).sort((first, second) => second.length - first.length);
    literalPattern = forms.length > 0 ? new RegExp(forms.map(escapeRegExp).join('|'), 'g') : undefined;
  };
  compile();
  return {
    redact(text: string): string {
      let result = literalPattern ? text.replace(literalPattern, REDACTED) : text;
      result = result
        .replace(QUERY_PARAMETER, `$1=${REDACTED}`)
        .replace(JSON_PROPERTY, `$1$2${REDACTED}`)
        .replace(BEARER_CREDENTIAL, `$1${REDACTED}`)
        .replace(URL_PASSWORD, `$1${REDACTED}@`);
      return result;
    },
    addSecret(secret: string): void {
      if (secret.length === 0 || known.has(secret)) return;
      known.add(secret);
      compile();
    },
  };
}

/**
 * Returns `text` with every secret value (and derived form, see `expandSecrets`) and every secret-looking
 * parameter (`access_token=…`, `"secret":"…"`, `Bearer …`, URL passwords) replaced by `[REDACTED]`.
 * For repeated use with the same secrets, build one `createRedactor` instead.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return createRedactor(secrets).redact(text);
}
