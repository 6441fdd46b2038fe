import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { BarChart, LineChart, RankBars } from './Charts';
import { gaugeState } from './SeatsGauge';

const times = [0, 1, 2, 3].map((h) => Date.UTC(2026, 0, 1, h));

describe('charts', () => {
  it('draws one path per series and a bar per non-zero bucket', () => {
    const { container } = render(<>
      <LineChart title="seats" bucket="hour" times={times} series={[
        { name: 'Peak', values: [0, 2, 3, 1], className: 'series-1' },
        { name: 'Average', values: [0, 1, 2, 1], className: 'series-2' },
      ]} />
      <BarChart testId="bars" title="denials" name="Denials" bucket="hour" times={times} values={[0, 4, 0, 1]} />
    </>);
    expect(container.querySelectorAll('path.chart-line')).toHaveLength(2);
    expect(screen.getByTestId('bars').querySelectorAll('rect.chart-bar')).toHaveLength(2);
  });

  it('tells the values of the bucket under the pointer', () => {
    render(<BarChart testId="bars" title="denials" name="Denials" bucket="hour" times={times} values={[0, 4, 0, 1]} />);
    const svg = screen.getByTestId('bars').querySelector('svg')!;
    svg.getBoundingClientRect = () => ({ left: 0, top: 0, width: 720, height: 240, right: 720, bottom: 240, x: 0, y: 0, toJSON: () => ({}) });
    const overlay = svg.querySelector('rect[fill="transparent"]')!;
    // The plot spans x 40..708 over 4 buckets of 167 px: x = 300 is the second bucket.
    fireEvent.pointerMove(overlay, { clientX: 300, clientY: 100 });
    expect(screen.getByTestId('bars').textContent).toContain('Denials: 4');
  });

  it('ranks items by value', () => {
    render(<RankBars unit="seats" items={[{ label: 'A', value: 4 }, { label: 'B', value: 2 }]} />);
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['A4 seats', 'B2 seats']);
    cleanup();
    render(<RankBars unit="seats" items={[{ label: 'C', value: 1 }]} />);
    expect(screen.getByRole('listitem').textContent).toBe('C1 seat');
  });

  it('colours the gauge by how full the license is', () => {
    expect(gaugeState(0, 10)).toEqual({ fraction: 0, tone: 'ok' });
    expect(gaugeState(8, 10)).toEqual({ fraction: 0.8, tone: 'warn' });
    expect(gaugeState(10, 10).tone).toBe('bad');
    expect(gaugeState(12, 10)).toEqual({ fraction: 1, tone: 'bad' });
  });
});
