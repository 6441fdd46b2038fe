// A page that refreshes on its own: a timer that ticks every `intervalMs` while the tab is
// visible, stops while it is hidden, and ticks once as soon as the tab is shown again (so
// a vendor coming back never reads old numbers).
import { useEffect, useRef } from 'react';

/** Whether the document is hidden right now (false outside a browser). */
function hidden(): boolean {
  return typeof document !== 'undefined' && document.visibilityState === 'hidden';
}

/**
 * Calls `onTick` every `intervalMs` while the tab is visible, and once when it becomes
 * visible again after being hidden. Nothing runs while the tab is hidden.
 */
export function useAutoRefresh(onTick: () => void, intervalMs: number, enabled = true): void {
  const tick = useRef(onTick);
  tick.current = onTick;
  useEffect(() => {
    if (!enabled || !(intervalMs > 0)) return;
    let timer: ReturnType<typeof setInterval> | undefined;
    const start = () => { if (timer === undefined) timer = setInterval(() => tick.current(), intervalMs); };
    const stop = () => { if (timer !== undefined) { clearInterval(timer); timer = undefined; } };
    const onVisibility = () => {
      if (hidden()) stop();
      else { tick.current(); start(); }
    };
    if (!hidden()) start();
    document.addEventListener('visibilitychange', onVisibility);
    return () => { stop(); document.removeEventListener('visibilitychange', onVisibility); };
  }, [intervalMs, enabled]);
}
