import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiError, fakeServer } from '../test/fakeServer';
import { api, ApiError, configureClient, fetchAll, needsCsrf, setCsrfToken, withQuery } from './client';
import { licenses } from './endpoints';

afterEach(() => {
  setCsrfToken(null);
  configureClient({});
});

describe('CSRF header', () => {
  it('is sent on every write method and never on reads', async () => {
    const { calls } = fakeServer({
      'GET /x': () => ({ body: {} }),
      'POST /x': () => ({ body: {} }),
      'PATCH /x': () => ({ body: {} }),
      'DELETE /x': () => ({ body: {} }),
      'PUT /x': () => ({ body: {} }),
    });
    setCsrfToken('tok-123');
    for (const method of ['GET', 'POST', 'PATCH', 'DELETE', 'PUT']) await api('/x', { method, body: method === 'GET' ? undefined : {} });
    expect(calls.map((c) => [c.method, c.headers['x-csrf-token']])).toEqual([
      ['GET', undefined], ['POST', 'tok-123'], ['PATCH', 'tok-123'], ['DELETE', 'tok-123'], ['PUT', 'tok-123'],
    ]);
  });

  it('classifies methods like the server', () => {
    expect(['GET', 'head', 'OPTIONS'].map(needsCsrf)).toEqual([false, false, false]);
    expect(['post', 'PATCH', 'DELETE'].map(needsCsrf)).toEqual([true, true, true]);
  });

  it('after csrf_failed fetches the current token and retries once with it', async () => {
    let attempts = 0;
    const { calls } = fakeServer({
      'POST /api/v1/tenants/t1/licenses/bulk': (req) => {
        attempts++;
        return req.headers['x-csrf-token'] === 'fresh' ? { body: { updated: 2 } } : apiError(403, 'csrf_failed');
      },
    });
    setCsrfToken('stale');
    configureClient({ refresh: async () => 'fresh' });
    await expect(licenses.bulkSetActive('t1', ['a', 'b'], false)).resolves.toEqual({ updated: 2 });
    expect(attempts).toBe(2);
    expect(calls[1].body).toEqual({ ids: ['a', 'b'], is_active: false });
  });

  it('gives up after one retry when the refreshed token is refused too', async () => {
    let attempts = 0;
    fakeServer({ 'DELETE /d': () => { attempts++; return apiError(403, 'csrf_failed'); } });
    setCsrfToken('stale');
    configureClient({ refresh: async () => 'also-stale' });
    await expect(api('/d', { method: 'DELETE' })).rejects.toMatchObject({ code: 'csrf_failed', status: 403 });
    expect(attempts).toBe(2);
  });

  it('sends JSON with a content type only when there is a body', async () => {
    const { calls } = fakeServer({ 'POST /a': () => ({ body: {} }), 'POST /b': () => ({ body: {} }) });
    await api('/a', { method: 'POST', body: { x: 1 } });
    await api('/b', { method: 'POST' });
    expect(calls[0].headers['content-type']).toBe('application/json');
    expect(calls[0].body).toEqual({ x: 1 });
    expect(calls[1].headers['content-type']).toBeUndefined();
  });
});

describe('errors', () => {
  it('become ApiError with the contract code, details, request id and Retry-After', async () => {
    fakeServer({ 'POST /login': () => ({ ...apiError(429, 'rate_limited', { scope: 'email' }), headers: { 'retry-after': '42', 'x-request-id': 'abc' } }) });
    const err = await api('/login', { method: 'POST', body: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 429, code: 'rate_limited', details: { scope: 'email' }, requestId: 'abc', retryAfter: 42 });
  });

  it('exposes field messages of a validation error', async () => {
    fakeServer({ 'POST /v': () => apiError(422, 'validation_error', { fields: { seats_total: 'must be at least 1' } }) });
    const err = (await api('/v', { method: 'POST', body: {} }).catch((e) => e)) as ApiError;
    expect(err.fieldErrors).toEqual({ seats_total: 'must be at least 1' });
  });

  it('copes with a body that is not the error shape', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' })));
    await expect(api('/x')).rejects.toMatchObject({ status: 502, code: 'http_502' });
  });

  it('turns a network failure into network_error', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch'); }));
    await expect(api('/x')).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });

  it('calls the unauthorized hook on 401 unless the call expects it', async () => {
    fakeServer({ 'GET /me': () => apiError(401, 'unauthorized') });
    const hook = vi.fn();
    configureClient({ unauthorized: hook });
    await expect(api('/me', { quiet401: true })).rejects.toMatchObject({ status: 401 });
    expect(hook).not.toHaveBeenCalled();
    await expect(api('/me')).rejects.toMatchObject({ status: 401 });
    expect(hook).toHaveBeenCalledTimes(1);
  });
});

describe('queries and pages', () => {
  it('leaves empty values out of the query string', () => {
    expect(withQuery('/l', { q: 'acme cad', state: '', cursor: null, limit: 200, x: undefined })).toBe('/l?q=acme+cad&limit=200');
    expect(withQuery('/l', {})).toBe('/l');
  });

  it('follows next_cursor until null and keeps the order', async () => {
    const pages: Record<string, { items: number[]; next_cursor: string | null }> = {
      '': { items: [1, 2], next_cursor: 'c1' },
      c1: { items: [3], next_cursor: 'c2' },
      c2: { items: [4, 5], next_cursor: null },
    };
    const { calls } = fakeServer({ 'GET /p': (req) => ({ body: pages[req.query.get('cursor') ?? ''] }) });
    const r = await fetchAll<number>('/p', { q: 'x' });
    expect(r).toEqual({ items: [1, 2, 3, 4, 5], truncated: false });
    expect(calls.map((c) => c.query.get('limit'))).toEqual(['200', '200', '200']);
    expect(calls.every((c) => c.query.get('q') === 'x')).toBe(true);
  });

  it('stops at the maximum and says so', async () => {
    fakeServer({ 'GET /p': () => ({ body: { items: [1, 2, 3], next_cursor: 'more' } }) });
    await expect(fetchAll<number>('/p', {}, 5)).resolves.toEqual({ items: [1, 2, 3, 1, 2], truncated: true });
  });

  it('sends license filters to the server', async () => {
    const { calls } = fakeServer({ 'GET /api/v1/tenants/t%201/licenses': () => ({ body: { items: [], next_cursor: null } }) });
    await licenses.listAll('t 1', { q: 'cad', state: 'suspended', expires_before: '2030-01-01T00:00:00.000Z' });
    expect(Object.fromEntries(calls[0].query)).toEqual({ q: 'cad', state: 'suspended', expires_before: '2030-01-01T00:00:00.000Z', limit: '200' });
  });
});
