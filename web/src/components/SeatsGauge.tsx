// A half-circle gauge of seats in use, coloured by how full the license is.

/** The fill fraction (capped at 1) and the tone of a seats gauge. */
export function gaugeState(used: number, total: number): { fraction: number; tone: 'ok' | 'warn' | 'bad' } {
  const fraction = total > 0 ? Math.min(1, used / total) : used > 0 ? 1 : 0;
  const tone = used >= total && total >= 0 && used > 0 ? 'bad' : fraction >= 0.8 ? 'warn' : 'ok';
  return { fraction, tone };
}

export function SeatsGauge({ used, total }: { used: number; total: number }) {
  const { fraction, tone } = gaugeState(used, total);
  const r = 80;
  const len = Math.PI * r;
  return (
    <figure className="gauge" aria-label={`${used} of ${total} seats in use`} data-testid="seats-gauge">
      <svg viewBox="0 0 200 115" role="img">
        <path d="M20,100 A80,80 0 0 1 180,100" className="gauge-track" />
        <path
          d="M20,100 A80,80 0 0 1 180,100"
          className={`gauge-fill gauge-${tone}`}
          strokeDasharray={`${(fraction * len).toFixed(2)} ${len.toFixed(2)}`}
        />
        <text x="100" y="88" textAnchor="middle" className="gauge-value">{used}/{total}</text>
        <text x="100" y="108" textAnchor="middle" className="gauge-label">seats in use</text>
      </svg>
    </figure>
  );
}
