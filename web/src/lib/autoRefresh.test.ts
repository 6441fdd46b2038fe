import { renderHook } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useAutoRefresh } from './autoRefresh';

function setVisibility(state: 'visible' | 'hidden') {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
  document.dispatchEvent(new Event('visibilitychange'));
}

describe('useAutoRefresh', () => {
  afterEach(() => { vi.useRealTimers(); setVisibility('visible'); });

  it('ticks every interval while visible, pauses while hidden, ticks again on return', () => {
    vi.useFakeTimers();
    const onTick = vi.fn();
    const { unmount } = renderHook(() => useAutoRefresh(onTick, 1000));
    vi.advanceTimersByTime(3000);
    expect(onTick).toHaveBeenCalledTimes(3);
    setVisibility('hidden');
    vi.advanceTimersByTime(10_000);
    expect(onTick).toHaveBeenCalledTimes(3);
    setVisibility('visible');
    expect(onTick).toHaveBeenCalledTimes(4);
    vi.advanceTimersByTime(1000);
    expect(onTick).toHaveBeenCalledTimes(5);
    unmount();
    vi.advanceTimersByTime(5000);
    expect(onTick).toHaveBeenCalledTimes(5);
  });
});
