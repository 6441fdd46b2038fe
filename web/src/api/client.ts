// The one place the dashboard talks HTTP. Every call sends the session cookie; every write
// (a method other than GET/HEAD/OPTIONS) carries the session's CSRF token in `x-csrf-token`.
// Errors come back as `ApiError` with the contract's stable `code`.

/** An error answer of the server, or a network failure (`code` `network_error`). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  readonly requestId: string | null;
  /** Seconds to wait, from a `Retry-After` header (429, 503). */
  retryAfter: number | null = null;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}, requestId: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }

  /** Per-field messages of a `validation_error`, else an empty object. */
  get fieldErrors(): Record<string, string> {
    const f = this.details.fields;
    return f && typeof f === 'object' ? (f as Record<string, string>) : {};
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a request with this method must carry the CSRF token. */
export function needsCsrf(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;
let refreshCsrf: (() => Promise<string | null>) | null = null;

/** Remembers the CSRF token of the current session (from sign-in, setup or `me`). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** The CSRF token writes will send. */
export function getCsrfToken(): string | null {
  return csrfToken;
}

/**
 * Hooks the auth layer into the client: `unauthorized` runs when a call gets `401` (the
 * session ended), `refresh` fetches the session's current CSRF token after a `csrf_failed`.
 */
export function configureClient(hooks: { unauthorized?: () => void; refresh?: () => Promise<string | null> }): void {
  onUnauthorized = hooks.unauthorized ?? null;
  refreshCsrf = hooks.refresh ?? null;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | boolean | null | undefined>;
  /** Do not call the unauthorized hook on 401 (sign-in forms expect 401 as an answer). */
  quiet401?: boolean;
  signal?: AbortSignal;
}

/** Builds `path?query`, leaving out empty values. */
export function withQuery(path: string, query?: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function errorFrom(res: Response): Promise<ApiError> {
  const err = await errorBody(res);
  const retry = Number.parseInt(res.headers.get('retry-after') ?? '', 10);
  if (Number.isFinite(retry)) err.retryAfter = retry;
  return err;
}

async function errorBody(res: Response): Promise<ApiError> {
  const requestId = res.headers.get('x-request-id');
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON: a proxy error page, say */
  }
  const e = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error;
  if (e && typeof e.code === 'string') {
    return new ApiError(res.status, e.code, e.message ?? e.code, e.details ?? {}, requestId);
  }
  return new ApiError(res.status, `http_${res.status}`, `The server answered ${res.status} ${res.statusText}`.trim(), {}, requestId);
}

async function send(path: string, opts: RequestOptions, csrf: string | null): Promise<Response> {
  const method = (opts.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (needsCsrf(method) && csrf) headers['x-csrf-token'] = csrf;
  try {
    return await fetch(withQuery(path, opts.query), {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as Error)?.name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', 'The server cannot be reached. Check your connection and try again.');
  }
}

/** Calls the API and returns the parsed JSON body; throws `ApiError` on any error answer. */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = (opts.method ?? 'GET').toUpperCase();
  let res = await send(path, opts, csrfToken);
  if (!res.ok) {
    let err = await errorFrom(res);
    // A stale CSRF token (the session was renewed in another tab): fetch the current one, retry once.
    if (err.code === 'csrf_failed' && needsCsrf(method) && refreshCsrf) {
      const fresh = await refreshCsrf();
      if (fresh) {
        csrfToken = fresh;
        res = await send(path, opts, fresh);
        if (res.ok) return parse<T>(res);
        err = await errorFrom(res);
      }
    }
    if (err.status === 401 && !opts.quiet401 && onUnauthorized) onUnauthorized();
    throw err;
  }
  return parse<T>(res);
}

async function parse<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Follows `next_cursor` until the end (or `max` items) and returns every item. */
export async function fetchAll<T>(
  path: string,
  query: RequestOptions['query'] = {},
  max = 10000,
): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: T[]; next_cursor: string | null } = await api(path, { query: { ...query, limit: 200, cursor } });
    items.push(...page.items);
    cursor = page.next_cursor;
    if (items.length >= max) return { items: items.slice(0, max), truncated: cursor !== null || items.length > max };
  } while (cursor);
  return { items, truncated: false };
}
