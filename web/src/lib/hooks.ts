// Data-loading hooks shared by the pages.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Page } from '../api/types';

/** The state of a load: its data, error and whether it is running. */
export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  setData: (d: T | undefined) => void;
}

/** Runs `fn` when `deps` change (and on `reload`); a stale answer never overwrites a newer one. */
export function useAsync<T>(fn: () => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    let live = true;
    setLoading(true);
    fnRef.current().then(
      (d) => { if (live) { setData(d); setError(null); setLoading(false); } },
      (e) => { if (live) { setError(e); setLoading(false); } },
    );
    return () => { live = false; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, setData };
}

/**
 * Calls `fn` now and then `intervalMs` after each answer (never two at once), while
 * `enabled`; skips rounds while the tab is hidden. Returns the time of the last success.
 */
export function usePoll(fn: () => Promise<unknown>, intervalMs: number, enabled = true, deps: unknown[] = []): { lastOk: number | null; error: unknown } {
  const [lastOk, setLastOk] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const round = async () => {
      if (typeof document !== 'undefined' && document.visibilityState === 'hidden') {
        timer = setTimeout(round, intervalMs);
        return;
      }
      try {
        await fnRef.current();
        if (live) { setLastOk(Date.now()); setError(null); }
      } catch (e) {
        if (live) setError(e);
      }
      if (live) timer = setTimeout(round, intervalMs);
    };
    void round();
    return () => { live = false; if (timer) clearTimeout(timer); };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [enabled, intervalMs, ...deps]);
  return { lastOk, error };
}

/** A value that follows `value` after it stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return v;
}

/** One page of a cursor-paged listing, with the way back (the cursors of the pages before). */
export interface CursorPages<T> extends AsyncState<Page<T>> {
  /** 1 for the first page. */
  pageNo: number;
  hasOlder: boolean;
  hasNewer: boolean;
  older: () => void;
  newer: () => void;
}

/**
 * Shows a cursor-paged listing one page at a time: `older` follows `next_cursor`, `newer`
 * goes back to the page before. A change of `deps` (the filters) starts again at page 1.
 */
export function useCursorPages<T>(load: (cursor: string | null) => Promise<Page<T>>, deps: unknown[]): CursorPages<T> {
  const [stack, setStack] = useState<(string | null)[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const key = JSON.stringify(deps);
  const [seenKey, setSeenKey] = useState(key);
  if (seenKey !== key) {
    // Filters changed: back to the first page (state set during render, before the load runs).
    setSeenKey(key);
    setStack([]);
    setCursor(null);
  }
  const state = useAsync(() => load(cursor), [key, cursor]);
  const next = state.data?.next_cursor ?? null;
  return {
    ...state,
    pageNo: stack.length + 1,
    hasOlder: next !== null && !state.loading,
    hasNewer: stack.length > 0,
    older: () => { if (next === null) return; setStack((s) => [...s, cursor]); setCursor(next); },
    newer: () => { if (stack.length === 0) return; setCursor(stack[stack.length - 1]); setStack((s) => s.slice(0, -1)); },
  };
}
