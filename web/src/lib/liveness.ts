// Whether a polled page is still live: the "Live" label of the license page turns into
// "Stale — last update 40 s ago" once the server has not answered for a few rounds, so a
// vendor never mistakes frozen numbers for current ones.

/** How many missed rounds make a polled view stale. */
export const STALE_AFTER_ROUNDS = 3;

/** What the live label shows. */
export interface Liveness {
  /** `live`: answered recently; `stale`: no answer for a while; `connecting`: no answer yet. */
  state: 'live' | 'stale' | 'connecting';
  /** The words of the label. */
  label: string;
}

/** Seconds as the label says them: "40 s", "3 min". */
function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min`;
}

/**
 * The label of a view polled every `pollMs`: live while the last answer (`lastOk`, ms) is
 * younger than `STALE_AFTER_ROUNDS` rounds and the last round did not fail; stale otherwise.
 */
export function liveness(lastOk: number | null, now: number, pollMs: number, failing: boolean): Liveness {
  if (lastOk === null) return failing ? { state: 'stale', label: 'Stale — no answer from the server yet' } : { state: 'connecting', label: 'Connecting…' };
  const age = now - lastOk;
  if (failing || age > pollMs * STALE_AFTER_ROUNDS) return { state: 'stale', label: `Stale — last update ${ago(age)} ago` };
  return { state: 'live', label: `Live · updated ${ago(age)} ago` };
}
