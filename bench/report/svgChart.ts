// A ChartSpec drawn as a self-contained SVG of grouped vertical bars. Self-contained because
// latest.md embeds the files as images: an <img> SVG cannot load fonts or stylesheets, so only
// generic font families and inline attributes are used. The output depends on nothing but the
// spec (no ids, dates or randomness), so re-rendering an unchanged result gives an unchanged file
// and the diff of bench/results stays readable.
import type { ChartSpec } from '../benchResult.ts';

const WIDTH = 720;
const HEIGHT = 360;
const PLOT = { left: 72, right: WIDTH - 16, top: 64, bottom: HEIGHT - 40 };
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

// Ours in one strong blue family, references in greys and muted tones, so that in every chart
// the eye finds our bars first and each reference stays distinguishable from the others.
const OURS_COLOURS = ['#1d4ed8', '#3b82f6', '#1e3a8a', '#60a5fa', '#2563eb'];
const REFERENCE_COLOURS = ['#6b7280', '#b6b6b6', '#a8875a', '#7c8c6e', '#4b5563', '#9c8aa5'];

type Scale = { ticks: number[]; y(value: number): number; baseline: number; drawable(value: number | null): value is number };

export function renderChartSvg(chart: ChartSpec): string {
  const values = chart.series.flatMap((s) => chart.categories.map((_, i) => finiteOrNull(s.values[i])));
  const scale = chart.logScale ? logScale(values) : linearScale(values);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" ${FONT} font-size="15" font-weight="bold" fill="#111827">${escapeXml(chart.title)}</text>`,
    ...legend(chart),
    ...yAxis(chart, scale),
    ...bars(chart, scale),
  ];
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** 0.42, 3.1, 57, 12.3k, 4.5M: short enough to sit above a bar. */
export function compactNumber(value: number): string {
  const sign = value < 0 ? '-' : '';
  const magnitude = Math.abs(value);
  if (magnitude === 0) return '0';
  if (magnitude < 1) return sign + trimZeros(magnitude.toPrecision(2));
  for (const [divisor, suffix] of [[1, ''], [1e3, 'k'], [1e6, 'M'], [1e9, 'G']] as const) {
    const scaled = magnitude / divisor;
    const text = scaled < 10 || (divisor > 1 && scaled < 100) ? trimZeros(scaled.toFixed(1)) : String(Math.round(scaled));
    // 999.7 rounds to "1000": that belongs to the next suffix.
    if (Number(text) < 1000 || suffix === 'G') return sign + text + suffix;
  }
  return sign + String(magnitude);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function legend(chart: ChartSpec): string[] {
  const parts: string[] = [];
  let x = PLOT.left;
  let y = 36;
  chart.series.forEach((series, index) => {
    // No font metrics without a browser: an average glyph width keeps entries apart.
    const entryWidth = 17 + series.name.length * 7 + 20;
    if (x > PLOT.left && x + entryWidth > PLOT.right) {
      x = PLOT.left;
      y += 16;
    }
    parts.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${seriesColour(chart, index)}"/>`);
    parts.push(`<text x="${x + 17}" y="${y + 10}" ${FONT} font-size="12" fill="#374151">${escapeXml(series.name)}</text>`);
    x += entryWidth;
  });
  return parts;
}

function yAxis(chart: ChartSpec, scale: Scale): string[] {
  const parts: string[] = [];
  for (const tick of scale.ticks) {
    const y = round(scale.y(tick));
    parts.push(`<line x1="${PLOT.left}" y1="${y}" x2="${PLOT.right}" y2="${y}" stroke="#e5e7eb" stroke-width="1"/>`);
    parts.push(`<text x="${PLOT.left - 6}" y="${round(y + 4)}" text-anchor="end" ${FONT} font-size="11" fill="#4b5563">${escapeXml(tickLabel(tick))}</text>`);
  }
  parts.push(`<line x1="${PLOT.left}" y1="${PLOT.top}" x2="${PLOT.left}" y2="${PLOT.bottom}" stroke="#6b7280" stroke-width="1"/>`);
  const baseline = round(scale.baseline);
  parts.push(`<line x1="${PLOT.left}" y1="${baseline}" x2="${PLOT.right}" y2="${baseline}" stroke="#6b7280" stroke-width="1"/>`);
  const unit = `${chart.unit}${chart.logScale ? ' (log scale)' : ''}`;
  const middle = round((PLOT.top + PLOT.bottom) / 2);
  parts.push(`<text x="18" y="${middle}" transform="rotate(-90 18 ${middle})" text-anchor="middle" ${FONT} font-size="12" fill="#374151">${escapeXml(unit)}</text>`);
  return parts;
}

function bars(chart: ChartSpec, scale: Scale): string[] {
  const parts: string[] = [];
  const groupCount = Math.max(chart.categories.length, 1);
  const groupWidth = (PLOT.right - PLOT.left) / groupCount;
  const barCount = Math.max(chart.series.length, 1);
  const barWidth = Math.min(48, (groupWidth * 0.8) / barCount);
  const labelSize = barWidth < 24 ? 9 : 11;
  chart.categories.forEach((category, c) => {
    const centre = PLOT.left + groupWidth * (c + 0.5);
    const first = centre - (barWidth * chart.series.length) / 2;
    parts.push(`<text x="${round(centre)}" y="${PLOT.bottom + 18}" text-anchor="middle" ${FONT} font-size="12" fill="#111827">${escapeXml(category)}</text>`);
    chart.series.forEach((series, s) => {
      const value = finiteOrNull(series.values[c]);
      const x = first + barWidth * s;
      const labelX = round(x + barWidth / 2);
      if (!scale.drawable(value)) {
        parts.push(`<text x="${labelX}" y="${round(scale.baseline - 4)}" text-anchor="middle" ${FONT} font-size="${labelSize}" fill="#9ca3af">n/a</text>`);
        return;
      }
      const top = Math.min(scale.y(value), scale.baseline);
      const height = Math.abs(scale.baseline - scale.y(value));
      parts.push(`<rect x="${round(x + 1)}" y="${round(top)}" width="${round(Math.max(barWidth - 2, 1))}" height="${round(height)}" fill="${seriesColour(chart, s)}"/>`);
      const labelY = value < 0 ? scale.y(value) + labelSize + 2 : top - 4;
      parts.push(`<text x="${labelX}" y="${round(labelY)}" text-anchor="middle" ${FONT} font-size="${labelSize}" fill="#111827">${escapeXml(compactNumber(value))}</text>`);
    });
  });
  return parts;
}

function seriesColour(chart: ChartSpec, index: number): string {
  const subject = chart.series[index]?.subject ?? 'reference';
  const palette = subject === 'ours' ? OURS_COLOURS : REFERENCE_COLOURS;
  const rank = chart.series.slice(0, index).filter((s) => s.subject === subject).length;
  return palette[rank % palette.length] ?? '#000000';
}

function linearScale(values: (number | null)[]): Scale {
  const present = values.filter((v): v is number => v !== null);
  const low = Math.min(0, ...present);
  const high = Math.max(0, ...present);
  const ticks = niceTicks(low, high === low ? low + 1 : high);
  const bottom = ticks[0] ?? 0;
  const top = ticks[ticks.length - 1] ?? 1;
  const y = (value: number) => PLOT.bottom - ((value - bottom) / (top - bottom)) * (PLOT.bottom - PLOT.top);
  return { ticks, y, baseline: y(0), drawable: (value): value is number => value !== null };
}

// Decades, because a log axis with 2–5–10 ticks reads as linear at a glance.
function logScale(values: (number | null)[]): Scale {
  const positive = values.filter((v): v is number => v !== null && v > 0);
  let low = positive.length ? Math.floor(Math.log10(Math.min(...positive))) : 0;
  let high = positive.length ? Math.ceil(Math.log10(Math.max(...positive))) : 1;
  if (high === low) high = low + 1;
  if (high - low > 12) low = high - 12;
  const ticks: number[] = [];
  for (let exponent = low; exponent <= high; exponent++) ticks.push(Number(`1e${exponent}`));
  const y = (value: number) => PLOT.bottom - ((Math.log10(value) - low) / (high - low)) * (PLOT.bottom - PLOT.top);
  return { ticks, y: (value) => Math.min(PLOT.bottom, y(value)), baseline: PLOT.bottom, drawable: (value): value is number => value !== null && value > 0 };
}

// Steps of 1, 2, 2.5 or 5 × 10^k, the smallest giving at most five intervals: for a range from
// zero that is always 4–6 ticks, since consecutive steps differ by at most a factor of two.
function niceTicks(low: number, high: number): number[] {
  const rough = (high - low) / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * power >= rough * (1 - 1e-9)) ?? 10) * power;
  const ticks: number[] = [];
  for (let i = Math.floor(low / step + 1e-9); i <= Math.ceil(high / step - 1e-9); i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

// Axis labels must be exact (1.25, not 1.3), unlike the compact labels above the bars.
function tickLabel(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 1e9) return `${trimZeros((value / 1e9).toPrecision(6))}G`;
  if (magnitude >= 1e6) return `${trimZeros((value / 1e6).toPrecision(6))}M`;
  if (magnitude >= 1e3) return `${trimZeros((value / 1e3).toPrecision(6))}k`;
  return String(Number(value.toPrecision(6)));
}

function trimZeros(text: string): string {
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
}

function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
