/**
 * `@sumidata/sdk` — sends events, logs and sessions to `POST /sdk/ingest`.
 *
 * ```ts
 * import { Sumidata } from '@sumidata/sdk';
 * const sumi = new Sumidata({ projectId: 'proj_…' });
 * sumi.identify('user_7e2a9c');
 * sumi.track('purchase', { orderId: 'ord_1', totalAmount: 49.9, currency: 'USD', plan: 'pro' });
 * ```
 *
 * Items are queued (in `localStorage` in a browser, so they survive reloads and offline
 * periods) and sent in batches of `batchSize` or every `flushInterval` ms, each with a
 * `messageId` (the server stores an item at most once per id, so every resend is safe)
 * and the batch's `sentAt` (the server corrects client clock skew with it).
 */

/** The conversion fields that are columns of the event row, not part of `payload`. */
export const CONVERSION_FIELDS = ['orderId', 'totalAmount', 'currency', 'productId', 'utmSource', 'utmMedium', 'utmCampaign'] as const;
export type ConversionField = (typeof CONVERSION_FIELDS)[number];

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface SumidataOptions {
  /** The public project id (`proj_…`). */
  projectId: string;
  /** Base URL of the ingest host. Default: `SUMIDATA_BASE_URL` (Node), else `https://api.sumidata.io`. */
  baseUrl?: string;
  /** Items per request (default 20, at most 500). */
  batchSize?: number;
  /** Longest time an item waits before it is sent, ms (default 5000). */
  flushInterval?: number;
  /** Attempts of a batch before it waits for the next flush (default 5); items are never dropped for transport errors. */
  maxRetries?: number;
  /** Where the queue and the device/session ids live. Default: `localStorage` when available, else memory. */
  storage?: KeyValueStorage | null;
  /** Item origin (`sdk` default, `backend`, `import`). */
  source?: 'sdk' | 'backend' | 'import';
  /** Capture a session (UTM, referrer, landing page, platform, browser) — default true in a browser. */
  captureSession?: boolean;
  /** Minutes of inactivity that end a session (default 30). */
  sessionTimeoutMinutes?: number;
  /** Called with each item the server rejected (it is not retried). */
  onRejected?: (rejection: Rejection) => void;
  /** Called when a whole batch is refused (400/401/413) or a transport error happens. */
  onError?: (error: Error) => void;
  /** A `fetch` implementation (default: the global one). */
  fetch?: typeof fetch;
}

/** The subset of the Web Storage API the SDK uses. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface Rejection {
  kind: 'event' | 'log' | 'session';
  item: Record<string, unknown>;
  code: string;
  field?: string;
  message?: string;
}

/** Answer of one flush (events and logs; the session is not counted). */
export interface FlushResult {
  sent: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Items still queued (offline, or a transport error). */
  pending: number;
}

interface QueuedItem {
  kind: 'event' | 'log';
  body: Record<string, unknown> & { messageId: string };
}

interface SessionState {
  id: string;
  deviceId: string;
  lastActivity: number;
  /** The session object, until the server has it. */
  pending: Record<string, unknown> | null;
}

interface ItemResult {
  index: number;
  status: 'accepted' | 'duplicate' | 'rejected';
  id?: string;
  code?: string;
  field?: string;
  message?: string;
}

interface IngestResponse {
  accepted: number;
  duplicates: number;
  rejected: number;
  events?: ItemResult[];
  logs?: ItemResult[];
  session?: ItemResult | { status: string; code?: string; field?: string; message?: string } | null;
}

const DEFAULT_BASE_URL = 'https://api.sumidata.io';
const MAX_BATCH = 500;

function env(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return p?.env?.[name] || undefined;
}

/** RFC 4122 v4 UUID (crypto.randomUUID where available). */
export function uuid(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  const b = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

class MemoryStorage implements KeyValueStorage {
  private m = new Map<string, string>();
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
}

function defaultStorage(): KeyValueStorage {
  try {
    const ls = (globalThis as { localStorage?: KeyValueStorage }).localStorage;
    if (ls) {
      ls.setItem('sumidata:probe', '1');
      ls.removeItem('sumidata:probe');
      return ls;
    }
  } catch {
    // Storage disabled (private mode, sandboxed iframe): memory only.
  }
  return new MemoryStorage();
}

const w = () => (typeof window !== 'undefined' ? window : undefined);

/** Browser and OS names from the user agent (coarse, as the Partner API's `browser`/`platform`). */
export function describeUserAgent(ua: string): { browser?: string; platform?: string } {
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /OPR\//.test(ua)
      ? 'Opera'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /(Chrome|Chromium|HeadlessChrome)\//.test(ua)
          ? 'Chrome'
          : /Safari\//.test(ua)
            ? 'Safari'
            : undefined;
  const platform = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad|iPod/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X|Macintosh/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : undefined;
  return { browser, platform };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Sumidata {
  readonly projectId: string;
  readonly baseUrl: string;
  private readonly opts: Required<Pick<SumidataOptions, 'batchSize' | 'flushInterval' | 'maxRetries' | 'source' | 'sessionTimeoutMinutes'>> & SumidataOptions;
  private readonly storage: KeyValueStorage;
  private readonly fetchImpl: typeof fetch;
  private queue: QueuedItem[] = [];
  private externalUserId: string | undefined;
  private session: SessionState | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<FlushResult> | null = null;
  private readonly detach: Array<() => void> = [];
  private readonly keys: { queue: string; session: string; device: string; user: string };

  constructor(options: SumidataOptions) {
    if (!options?.projectId) throw new Error('@sumidata/sdk: projectId is required');
    this.projectId = options.projectId;
    this.baseUrl = (options.baseUrl ?? env('SUMIDATA_BASE_URL') ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.opts = {
      batchSize: Math.min(MAX_BATCH, Math.max(1, options.batchSize ?? 20)),
      flushInterval: options.flushInterval ?? 5000,
      maxRetries: options.maxRetries ?? 5,
      source: options.source ?? 'sdk',
      sessionTimeoutMinutes: options.sessionTimeoutMinutes ?? 30,
      ...options,
    };
    this.storage = options.storage === undefined ? defaultStorage() : (options.storage ?? new MemoryStorage());
    const f = options.fetch ?? (globalThis.fetch as typeof fetch | undefined);
    if (!f) throw new Error('@sumidata/sdk needs fetch (Node 18+ or a browser), or the `fetch` option');
    this.fetchImpl = f.bind(globalThis);
    const ns = `sumidata:${this.projectId}`;
    this.keys = { queue: `${ns}:queue`, session: `${ns}:session`, device: 'sumidata:device', user: `${ns}:user` };
    this.queue = this.load<QueuedItem[]>(this.keys.queue) ?? [];
    this.externalUserId = this.storage.getItem(this.keys.user) ?? undefined;
    const win = w();
    if (win && (options.captureSession ?? true)) this.touchSession();
    if (win) this.attachBrowserHooks(win);
    if (this.queue.length) this.schedule();
  }

  /** Ties the following events, logs and the session to your user id. */
  identify(externalUserId: string): void {
    this.externalUserId = externalUserId;
    this.storage.setItem(this.keys.user, externalUserId);
    if (this.session?.pending) this.session.pending.externalUserId = externalUserId;
    this.saveSession();
  }

  /** Queues an event. Conversion fields (`orderId`, `totalAmount`, `currency`, `productId`, `utm*`) become columns; the rest is `payload`. */
  track(name: string, payload: Record<string, unknown> = {}, options: { timestamp?: Date | string; messageId?: string } = {}): string {
    const body: Record<string, unknown> & { messageId: string } = {
      name,
      messageId: options.messageId ?? uuid(),
      timestamp: toIso(options.timestamp),
    };
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(payload)) {
      if ((CONVERSION_FIELDS as readonly string[]).includes(k)) body[k] = v;
      else rest[k] = v;
    }
    if (Object.keys(rest).length) body.payload = rest;
    this.decorate(body, true);
    this.enqueue({ kind: 'event', body });
    return body.messageId;
  }

  /** Queues a log line. */
  log(level: LogLevel, message: string, options: { timestamp?: Date | string; messageId?: string } = {}): string {
    const body: Record<string, unknown> & { messageId: string } = {
      level,
      message,
      messageId: options.messageId ?? uuid(),
      timestamp: toIso(options.timestamp),
    };
    this.decorate(body, false);
    this.enqueue({ kind: 'log', body });
    return body.messageId;
  }

  /** Items waiting to be sent. */
  get pending(): number {
    return this.queue.length;
  }

  /** The current session id (browser), if any. */
  get sessionId(): string | undefined {
    return this.session?.id;
  }

  /** Sends everything queued now (batch after batch). Resolves when the queue is empty or cannot be sent now. */
  flush(): Promise<FlushResult> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    this.clearTimer();
    this.flushing = this.drain().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /** Stops timers and listeners after a last flush. */
  async shutdown(): Promise<FlushResult> {
    const r = await this.flush();
    this.clearTimer();
    for (const d of this.detach.splice(0)) d();
    return r;
  }

  // ---- internals ----

  private decorate(body: Record<string, unknown>, isEvent: boolean): void {
    const win = w();
    if (this.session) {
      this.touchSession();
      body.sessionId = this.session.id;
    }
    if (win) body.url = win.location.href;
    if (isEvent) {
      if (this.externalUserId) body.externalUserId = this.externalUserId;
      if (win) Object.assign(body, describeUserAgent(win.navigator.userAgent));
      const utm = this.session?.pending ?? null;
      for (const k of ['utmSource', 'utmMedium', 'utmCampaign'] as const) {
        if (body[k] === undefined && utm && utm[k] !== undefined) body[k] = utm[k];
      }
    }
  }

  private enqueue(item: QueuedItem): void {
    this.queue.push(item);
    this.saveQueue();
    if (this.queue.length >= this.opts.batchSize) void this.flush();
    else this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.opts.flushInterval);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private online(): boolean {
    const nav = (globalThis as { navigator?: { onLine?: boolean } }).navigator;
    return nav?.onLine !== false;
  }

  private async drain(): Promise<FlushResult> {
    const total: FlushResult = { sent: 0, accepted: 0, duplicates: 0, rejected: 0, pending: this.queue.length };
    let batchSize = this.opts.batchSize;
    while ((this.queue.length || this.session?.pending) && this.online()) {
      const batch = this.queue.slice(0, batchSize);
      const outcome = await this.send(batch);
      if (outcome === 'too-large' && batchSize > 1) {
        batchSize = Math.max(1, Math.floor(batchSize / 2));
        continue;
      }
      if (outcome === 'retry-later') break;
      if (outcome !== 'too-large' && outcome !== 'dropped') {
        // Counted from the per-item answers of events and logs (the server's totals include the session).
        for (const r of [...(outcome.events ?? []), ...(outcome.logs ?? [])]) {
          if (r.status === 'accepted') total.accepted++;
          else if (r.status === 'duplicate') total.duplicates++;
          else total.rejected++;
        }
      }
      total.sent += batch.length;
      // The batch is settled (stored, duplicate, rejected or refused whole): drop exactly those items.
      const sentIds = new Set(batch.map((i) => i.body.messageId));
      this.queue = this.queue.filter((i) => !sentIds.has(i.body.messageId));
      this.saveQueue();
    }
    total.pending = this.queue.length;
    if (this.queue.length) this.schedule();
    return total;
  }

  /** One batch, with retries on transport errors, 429 and 5xx. */
  private async send(batch: QueuedItem[]): Promise<IngestResponse | 'too-large' | 'dropped' | 'retry-later'> {
    const body = this.body(batch);
    for (let attempt = 0; attempt <= this.opts.maxRetries; attempt++) {
      if (!this.online()) return 'retry-later';
      let res: Response;
      try {
        res = await this.fetchImpl(`${this.baseUrl}/sdk/ingest`, {
          method: 'POST',
          // text/plain keeps a cross-origin send a "simple" request (no preflight); the API reads JSON either way.
          headers: { 'content-type': 'text/plain;charset=UTF-8' },
          body: JSON.stringify({ ...body, sentAt: new Date().toISOString() }),
          keepalive: true,
        });
      } catch (err) {
        this.opts.onError?.(err instanceof Error ? err : new Error(String(err)));
        await sleep(backoff(attempt));
        continue;
      }
      if (res.ok) {
        const answer = (await res.json()) as IngestResponse;
        this.settle(batch, answer);
        return answer;
      }
      const text = await res.text().catch(() => '');
      if (res.status === 413) return 'too-large';
      if (res.status === 429 || res.status >= 500) {
        const after = Number(res.headers.get('retry-after'));
        await sleep(Number.isFinite(after) && after > 0 ? Math.min(after, 60) * 1000 : backoff(attempt));
        continue;
      }
      // 400/401: the batch itself is refused (bad project id, malformed): resending cannot help.
      this.opts.onError?.(new Error(`POST /sdk/ingest: ${res.status} ${text.slice(0, 300)}`));
      if (this.session) this.session.pending = null;
      return 'dropped';
    }
    return 'retry-later';
  }

  private body(batch: QueuedItem[]): Record<string, unknown> {
    const body: Record<string, unknown> = {
      projectId: this.projectId,
      source: this.opts.source,
      events: batch.filter((i) => i.kind === 'event').map((i) => i.body),
      logs: batch.filter((i) => i.kind === 'log').map((i) => i.body),
    };
    if (this.session?.pending) body.session = this.session.pending;
    return body;
  }

  /** Honours the per-item answers: rejected items are reported (and not resent). */
  private settle(batch: QueuedItem[], answer: IngestResponse): void {
    const report = (kind: 'event' | 'log', items: QueuedItem[], results: ItemResult[] | undefined) => {
      for (const r of results ?? []) {
        if (r.status === 'rejected') {
          this.opts.onRejected?.({ kind, item: items[r.index]?.body ?? {}, code: r.code ?? 'rejected', field: r.field, message: r.message });
        }
      }
    };
    report('event', batch.filter((i) => i.kind === 'event'), answer.events);
    report('log', batch.filter((i) => i.kind === 'log'), answer.logs);
    if (this.session?.pending && answer.session) {
      const s = answer.session as ItemResult;
      if (s.status === 'rejected') {
        this.opts.onRejected?.({ kind: 'session', item: this.session.pending, code: s.code ?? 'rejected', field: s.field, message: s.message });
      }
      this.session.pending = null;
      this.saveSession();
    }
  }

  /** Starts or continues the browser session (new after `sessionTimeoutMinutes` without activity). */
  private touchSession(): void {
    const win = w();
    if (!win) return;
    const now = Date.now();
    const saved = this.session ?? this.load<SessionState>(this.keys.session);
    if (saved && now - saved.lastActivity < this.opts.sessionTimeoutMinutes * 60_000) {
      this.session = { ...saved, lastActivity: now };
    } else {
      let deviceId = this.storage.getItem(this.keys.device);
      if (!deviceId) {
        deviceId = uuid();
        this.storage.setItem(this.keys.device, deviceId);
      }
      const params = new URLSearchParams(win.location.search);
      const pick = (k: string) => params.get(k) || undefined;
      const id = uuid();
      this.session = {
        id,
        deviceId,
        lastActivity: now,
        pending: strip({
          id,
          deviceId,
          externalUserId: this.externalUserId,
          ...describeUserAgent(win.navigator.userAgent),
          utmSource: pick('utm_source'),
          utmMedium: pick('utm_medium'),
          utmCampaign: pick('utm_campaign'),
          referrer: win.document?.referrer || undefined,
          landingPage: win.location.href,
          startedAt: new Date(now).toISOString(),
          source: this.opts.source,
        }),
      };
    }
    this.saveSession();
  }

  private attachBrowserHooks(win: Window): void {
    const onOnline = () => void this.flush();
    const onHide = () => this.beacon();
    const onVisibility = () => {
      if (win.document.visibilityState === 'hidden') this.beacon();
    };
    win.addEventListener('online', onOnline);
    win.addEventListener('pagehide', onHide);
    win.document.addEventListener('visibilitychange', onVisibility);
    this.detach.push(
      () => win.removeEventListener('online', onOnline),
      () => win.removeEventListener('pagehide', onHide),
      () => win.document.removeEventListener('visibilitychange', onVisibility),
    );
  }

  /**
   * On page hide: hands the queue to `navigator.sendBeacon`, which outlives the page. The items
   * stay queued (the beacon's answer cannot be read): if they arrived, the next page's flush gets
   * `duplicate` for them (same messageIds), so nothing is stored twice and nothing is lost.
   */
  private beacon(): void {
    const nav = (globalThis as { navigator?: Navigator }).navigator;
    if (!nav?.sendBeacon || !this.queue.length || !this.online()) return;
    const batch = this.queue.slice(0, MAX_BATCH);
    const payload = JSON.stringify({ ...this.body(batch), sentAt: new Date().toISOString() });
    if (payload.length > 60_000) return; // beacons are limited to ~64 KB; the queue stays for the next page
    nav.sendBeacon(`${this.baseUrl}/sdk/ingest`, new Blob([payload], { type: 'text/plain;charset=UTF-8' }));
  }

  private load<T>(key: string): T | null {
    try {
      const raw = this.storage.getItem(key);
      return raw ? (JSON.parse(raw) as T) : null;
    } catch {
      return null;
    }
  }

  private saveQueue(): void {
    try {
      // Bounded: beyond 5 000 items the oldest are dropped rather than filling the storage quota.
      if (this.queue.length > 5000) this.queue = this.queue.slice(-5000);
      this.storage.setItem(this.keys.queue, JSON.stringify(this.queue));
    } catch {
      // Quota exceeded: the queue still lives in memory.
    }
  }

  private saveSession(): void {
    if (!this.session) return;
    try {
      this.storage.setItem(this.keys.session, JSON.stringify(this.session));
    } catch {
      // ignore (memory keeps it)
    }
  }
}

function toIso(t: Date | string | undefined): string {
  if (t === undefined) return new Date().toISOString();
  return typeof t === 'string' ? t : t.toISOString();
}

function strip<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/** 0.5 s, 1 s, 2 s … up to 30 s, with jitter. */
function backoff(attempt: number): number {
  const cap = Math.min(30_000, 500 * 2 ** attempt);
  return cap / 2 + Math.random() * (cap / 2);
}

export default Sumidata;
