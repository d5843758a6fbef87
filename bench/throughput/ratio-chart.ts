/**
 * The chart beside BENCHMARKS.md: one bar per scenario, Lamina's throughput as a ratio of its
 * baseline's, with the goal drawn across. Plain SVG (no charting dependency for one picture).
 */
export interface RatioBar {
  label: string;
  ratio: number;
  goal: number;
}

export function ratioChartSvg(title: string, bars: readonly RatioBar[]): string {
  const width = 760;
  const barHeight = 34;
  const left = 260;
  const top = 48;
  const plot = width - left - 60;
  const max = Math.max(1, ...bars.map((b) => b.ratio), ...bars.map((b) => b.goal)) * 1.1;
  const x = (v: number) => left + (v / max) * plot;
  const height = top + bars.length * barHeight + 40;
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const rows = bars.map((b, i) => {
    const y = top + i * barHeight;
    const met = b.ratio >= b.goal;
    return [
      `<text x="${left - 8}" y="${y + 21}" text-anchor="end" font-size="13">${escape(b.label)}</text>`,
      `<rect x="${left}" y="${y + 6}" width="${Math.max(1, x(b.ratio) - left).toFixed(1)}" height="${barHeight - 12}" fill="${met ? '#2e7d32' : '#c62828'}"/>`,
      `<text x="${(x(b.ratio) + 6).toFixed(1)}" y="${y + 21}" font-size="12">${b.ratio.toFixed(2)}×</text>`,
      `<line x1="${x(b.goal).toFixed(1)}" x2="${x(b.goal).toFixed(1)}" y1="${y + 2}" y2="${y + barHeight - 2}" stroke="#000" stroke-width="2" stroke-dasharray="4 3"/>`,
    ].join('\n');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${width / 2}" y="26" text-anchor="middle" font-size="16" font-weight="bold">${escape(title)}</text>`,
    ...rows,
    `<line x1="${x(1).toFixed(1)}" x2="${x(1).toFixed(1)}" y1="${top}" y2="${top + bars.length * barHeight}" stroke="#888"/>`,
    `<text x="${x(1).toFixed(1)}" y="${top + bars.length * barHeight + 16}" text-anchor="middle" font-size="11">1× (baseline)</text>`,
    `<text x="${left}" y="${height - 8}" font-size="11">green: goal met; red: missed; dashed line: the goal</text>`,
    '</svg>',
    '',
  ].join('\n');
}
