import { describe, expect, it } from 'vitest';
import { liveness } from './liveness';

describe('liveness', () => {
  const now = 1_000_000;
  it('is live while the server answers', () => {
    expect(liveness(now - 1500, now, 2000, false)).toEqual({ state: 'live', label: 'Live · updated 1 s ago' });
  });
  it('goes stale after three missed rounds, or as soon as a round fails', () => {
    expect(liveness(now - 40_000, now, 2000, false)).toEqual({ state: 'stale', label: 'Stale — last update 40 s ago' });
    expect(liveness(now - 2500, now, 2000, true).state).toBe('stale');
    expect(liveness(now - 300_000, now, 2000, true).label).toBe('Stale — last update 5 min ago');
  });
  it('says connecting before the first answer, stale if that first round failed', () => {
    expect(liveness(null, now, 2000, false).state).toBe('connecting');
    expect(liveness(null, now, 2000, true).state).toBe('stale');
  });
});
