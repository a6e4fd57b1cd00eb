/**
 * The transport: one `fetch` per attempt, retries with backoff that honours
 * `Retry-After`, an `Idempotency-Key` on every POST/PATCH (the caller's, or one
 * generated before the first attempt and kept across retries), per-attempt
 * timeouts, typed errors, and the rate-limit state of the last response.
 */
import { APIConnectionError, APITimeoutError, errorFor, parseRetryAfter } from './errors.js';

export interface ClientOptions {
  /** API key (`copt_live_…`). */
  apiKey?: string;
  /** Default: `SUMERU_BASE_URL` from the environment, else `https://api.sumeru.systems`. */
  baseUrl?: string;
  /** Per-attempt timeout in milliseconds (default 60 000). */
  timeout?: number;
  /** Retries after the first attempt on 429, 5xx and connection errors (default 2). */
  maxRetries?: number;
  /** Longest `Retry-After` (seconds) waited for before giving up with the 429 (default 60). */
  maxRetryAfter?: number;
  /** A `fetch` implementation (default: the global one). */
  fetch?: typeof fetch;
  /** Extra headers on every request. */
  defaultHeaders?: Record<string, string>;
}

/** Rate-limit state read from the last response's headers. */
export interface RateLimitInfo {
  /** `X-RateLimit-Limit`. */
  limit: number;
  /** `X-RateLimit-Remaining`. */
  remaining: number;
  /** `X-RateLimit-Reset`: when the window resets, epoch seconds. */
  reset: number;
  /** `RateLimit-Policy` (IETF draft), when sent. */
  policy?: string;
}

export interface RequestOptions {
  /** `Idempotency-Key` for POST/PATCH (default: generated and kept across retries). */
  idempotencyKey?: string;
  /** Overrides the client's timeout for this call (ms). */
  timeout?: number;
  /** Overrides the client's retries for this call. */
  maxRetries?: number;
  /** Aborts the call. */
  signal?: AbortSignal;
  /** Extra headers. */
  headers?: Record<string, string>;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export const DEFAULT_BASE_URL = 'https://api.sumeru.systems';
export const VERSION = '0.1.0';

/** What a successful call returns to the resource layer. */
export interface RawResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

function envVar(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = proc?.env?.[name];
  return v === '' ? undefined : v;
}

function randomKey(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return `sdk_${c.randomUUID()}`;
  return `sdk_${Date.now().toString(36)}${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });

export class Transport {
  readonly baseUrl: string;
  readonly timeout: number;
  readonly maxRetries: number;
  readonly maxRetryAfter: number;
  /** Rate-limit state of the last response that carried it. */
  lastRateLimit: RateLimitInfo | undefined;
  /** `X-Request-Id` of the last response. */
  lastRequestId: string | undefined;
  private readonly apiKey: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly defaultHeaders: Record<string, string>;

  constructor(opts: ClientOptions = {}) {
    this.apiKey = opts.apiKey ?? envVar('SUMERU_API_KEY');
    this.baseUrl = (opts.baseUrl ?? envVar('SUMERU_BASE_URL') ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.timeout = opts.timeout ?? 60_000;
    this.maxRetries = opts.maxRetries ?? 2;
    this.maxRetryAfter = opts.maxRetryAfter ?? 60;
    const f = opts.fetch ?? (globalThis.fetch as typeof fetch | undefined);
    if (!f) throw new Error('@sumeru/sdk needs fetch (Node 18+ or a browser), or the `fetch` option');
    this.fetchImpl = f.bind(globalThis);
    this.defaultHeaders = opts.defaultHeaders ?? {};
  }

  url(path: string, query?: Query): string {
    let u = this.baseUrl + path;
    if (query) {
      const parts: string[] = [];
      for (const [k, v] of Object.entries(query)) {
        if (v === undefined || v === null) continue;
        // Brackets stay readable (`filter[status]=…`); values are encoded.
        parts.push(`${encodeURIComponent(k).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${encodeURIComponent(String(v))}`);
      }
      if (parts.length) u += (u.includes('?') ? '&' : '?') + parts.join('&');
    }
    return u;
  }

  async request<T>(method: string, path: string, init: { query?: Query; body?: unknown } & RequestOptions = {}): Promise<RawResponse<T>> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': `sumeru-sdk-node/${VERSION}`,
      ...this.defaultHeaders,
      ...init.headers,
    };
    if (typeof (globalThis as { window?: unknown }).window !== 'undefined') delete headers['user-agent'];
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    let body: string | undefined;
    if (init.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.body);
    }
    if (method === 'POST' || method === 'PATCH') {
      headers['idempotency-key'] = init.idempotencyKey ?? randomKey();
    }
    const url = this.url(path, init.query);
    const maxRetries = init.maxRetries ?? this.maxRetries;
    const timeout = init.timeout ?? this.timeout;

    for (let attempt = 0; ; attempt++) {
      const retriesLeft = maxRetries - attempt;
      const ctl = new AbortController();
      const onAbort = () => ctl.abort(init.signal?.reason);
      init.signal?.addEventListener('abort', onAbort, { once: true });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        ctl.abort();
      }, timeout);
      let res: Response;
      try {
        res = await this.fetchImpl(url, { method, headers, body, signal: ctl.signal });
      } catch (err) {
        clearTimeout(timer);
        init.signal?.removeEventListener('abort', onAbort);
        if (init.signal?.aborted) throw err;
        const e = timedOut
          ? new APITimeoutError(`${method} ${path}: no answer within ${timeout} ms`, err)
          : new APIConnectionError(`${method} ${path}: ${(err as Error)?.message ?? err}`, err);
        if (retriesLeft > 0) {
          await sleep(backoff(attempt), init.signal);
          continue;
        }
        throw e;
      }
      let text: string;
      try {
        text = await res.text();
      } catch (err) {
        clearTimeout(timer);
        init.signal?.removeEventListener('abort', onAbort);
        if (retriesLeft > 0 && !init.signal?.aborted) {
          await sleep(backoff(attempt), init.signal);
          continue;
        }
        throw timedOut
          ? new APITimeoutError(`${method} ${path}: body not read within ${timeout} ms`, err)
          : new APIConnectionError(`${method} ${path}: ${(err as Error)?.message ?? err}`, err);
      }
      clearTimeout(timer);
      init.signal?.removeEventListener('abort', onAbort);
      this.record(res.headers);
      let parsed: unknown = undefined;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      if (res.ok) return { status: res.status, headers: res.headers, body: parsed as T };
      const retryable = res.status === 429 || res.status >= 500;
      if (retryable && retriesLeft > 0) {
        const after = parseRetryAfter(res.headers.get('retry-after'));
        if (after === undefined || after <= this.maxRetryAfter) {
          await sleep(after !== undefined ? after * 1000 : backoff(attempt), init.signal);
          continue;
        }
      }
      throw errorFor(res.status, parsed, res.headers);
    }
  }

  private record(h: Headers): void {
    this.lastRequestId = h.get('x-request-id') ?? undefined;
    const limit = h.get('x-ratelimit-limit');
    if (limit === null) return;
    this.lastRateLimit = {
      limit: Number(limit),
      remaining: Number(h.get('x-ratelimit-remaining') ?? NaN),
      reset: Number(h.get('x-ratelimit-reset') ?? NaN),
      policy: h.get('ratelimit-policy') ?? undefined,
    };
  }
}

/** Exponential backoff with full jitter: 0.5 s, 1 s, 2 s … capped at 8 s. */
function backoff(attempt: number): number {
  const cap = Math.min(8000, 500 * 2 ** attempt);
  return cap / 2 + Math.random() * (cap / 2);
}
