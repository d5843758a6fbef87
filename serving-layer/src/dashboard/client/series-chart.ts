/** The time-series chart: one uPlot line of the chosen measure, in UTC, as wide as its card. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatNumber } from './format.js';

const HEIGHT = 280;

/** Tick labels in UTC, 24 h: the time, with the date under the first tick and under midnights; dates alone for day steps. */
function timeTicks(_u: uPlot, splits: number[], _axis: number, _space: number, increment: number): string[] {
  return splits.map((seconds, i) => {
    const iso = new Date(seconds * 1000).toISOString();
    const [day, time] = [iso.slice(0, 10), iso.slice(11, 16)];
    if (increment >= 86_400) return day;
    return i === 0 || time === '00:00' ? `${time}\n${day}` : time;
  });
}

export class SeriesChart {
  private plot: uPlot | undefined;
  private label = '';

  constructor(private readonly host: HTMLElement) {
    new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: HEIGHT })).observe(host);
  }

  private width(): number {
    return Math.max(200, this.host.clientWidth);
  }

  show(label: string, data: [number[], (number | null)[]]): void {
    if (this.plot && label === this.label) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.label = label;
    this.plot = new uPlot(
      {
        width: this.width(),
        height: HEIGHT,
        tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
        scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
        series: [{ label: 'UTC' }, { label, stroke: '#2563eb', fill: 'rgba(37, 99, 235, 0.12)', width: 2, value: (_u, v) => formatNumber(v) }],
        axes: [{ values: timeTicks }, { values: (_u, splits) => splits.map((v) => formatNumber(v)), size: 70 }],
      },
      data,
      this.host,
    );
  }
}
