// A scripted stand-in for `fetch` in unit tests: routes by method and path, records every
// request (with headers and parsed body) so tests can assert what the client sent.
import { vi } from 'vitest';

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}

type Handler = (req: Recorded) => { status?: number; body?: unknown; headers?: Record<string, string> } | Promise<{ status?: number; body?: unknown; headers?: Record<string, string> }>;

export function fakeServer(routes: Record<string, Handler>) {
  const calls: Recorded[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://localhost');
    const method = (init.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((init.headers ?? {}) as Record<string, string>)) headers[k.toLowerCase()] = v;
    const req: Recorded = { method, path: url.pathname, query: url.searchParams, headers, body: init.body ? JSON.parse(String(init.body)) : undefined };
    calls.push(req);
    const handler = routes[`${method} ${url.pathname}`];
    if (!handler) return json(404, { error: { code: 'not_found', message: `no route ${method} ${url.pathname}`, details: {}, request_id: 'test' } });
    const r = await handler(req);
    return json(r.status ?? 200, r.body, r.headers);
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, fetchMock };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'x-request-id': 'req-1', ...headers },
  });
}

export function apiError(status: number, code: string, details: Record<string, unknown> = {}) {
  return { status, body: { error: { code, message: `${code} happened`, details, request_id: 'req-1' } } };
}
