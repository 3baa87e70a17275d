import { afterEach, describe, expect, it, vi } from 'vitest';

const makeRequest = vi.fn();
vi.mock('@jupyterlab/services', () => ({
  ServerConnection: { makeRequest: (...args: unknown[]) => makeRequest(...args), makeSettings: () => ({}) }
}));

import { requestAPI } from '../src/api';

const settings = { baseUrl: 'http://localhost:8888/' } as any;

/** A fetch that answers only when aborted (a hung server). */
function hangingRequest(_url: string, init: RequestInit): Promise<Response> {
  return new Promise((_resolve, reject) => {
    init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
  });
}

afterEach(() => {
  makeRequest.mockReset();
  vi.useRealTimers();
});

describe('requestAPI', () => {
  it('gives up on a read the server never answers, so the poller can try again', async () => {
    vi.useFakeTimers();
    makeRequest.mockImplementation(hangingRequest);
    const pending = requestAPI('runs?limit=50', {}, settings, 1000);
    const outcome = expect(pending).rejects.toMatchObject({ code: 'TIMEOUT', status: 0 });
    await vi.advanceTimersByTimeAsync(999);
    expect(makeRequest).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    await outcome;
  });

  it('lets writes wait and answers normally when the server does', async () => {
    makeRequest.mockImplementation(async (_url: string, init: RequestInit) => {
      expect(init.signal).toBeUndefined(); // a POST gets no read timeout
      return new Response(JSON.stringify({ ok: true }), { status: 200 });
    });
    await expect(requestAPI('runs', { method: 'POST', body: '{}' }, settings)).resolves.toEqual({ ok: true });
    makeRequest.mockImplementation(async (_url: string, init: RequestInit) => {
      expect(init.signal).toBeDefined();
      return new Response(JSON.stringify({ code: 'NOT_FOUND', message: 'no run' }), { status: 404 });
    });
    await expect(requestAPI('runs/x', {}, settings)).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it('reports an unreachable server as NETWORK, not as a timeout', async () => {
    makeRequest.mockRejectedValue(new TypeError('Failed to fetch'));
    await expect(requestAPI('runs', {}, settings)).rejects.toMatchObject({ code: 'NETWORK' });
  });
});
