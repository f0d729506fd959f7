/**
 * The latency plot: one row per contender, on a log scale, for the back-to-back and the paced
 * runs. Drawn as SVG, then rendered to PNG by headless Chromium through playwright-core (a dev
 * dependency, as for the browser tests; MYPOS_CHROMIUM names another Chromium). Each row
 * shows every transaction as a faint dot, the middle half as a box, the median as a bar and the
 * 1st to 99th percentiles as whiskers.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ContenderReport, HeadlineResult } from '../sections/headline';
import type { Measured } from './package';
import { measuredLabel } from './report';
import { ms, percentile, seededRandom } from './stats';

/** The parts of the run's results the plot draws. */
export interface PlotInput {
  headline: Pick<HeadlineResult, 'contenders' | 'thinkMs' | 'defaultGuardMs'>;
  machine: { date: string; cpu: string; node: string; nodeRed: string; measured: Measured };
}

interface Row {
  key: string;
  label: string;
  samples: number[];
}

interface Panel {
  title: string;
  subtitle: string;
  rows: Row[];
}

interface Layout {
  x0: number;
  x1: number;
  width: number;
}

type Scale = (value: number) => number;

const PLOT_W = 590;
const ROW_H = 30;
/** Width of a label's character at 13 px, a little over DejaVu Sans's average, so labels fit. */
const CHAR_W = 7.4;
const MAX_DOTS = 700;
const CHROMIUM = process.env.MYPOS_CHROMIUM || '/usr/bin/chromium';
const loadOptional = createRequire(__filename) as <T>(id: string) => T;

const COLOURS: Readonly<Record<string, string>> = {
  floor: '#555555',
  'floor-durable': '#999999',
  client: '#1f5fa8',
  'client-guard0': '#5b9bd5',
  node: '#1b7f3b',
  'node-guard0': '#5cb85c',
  'node-guard0-shm': '#a3d9a5',
  'core-sit': '#c0392b',
  'core-time': '#e67e22',
};

/** panels: [{ title, subtitle, rows: [{ key, label, samples }] }]; returns the SVG text. */
function latencySvg(panels: Panel[], footer: string): string {
  const all = panels.flatMap((p) => p.rows.flatMap((r) => r.samples));
  const lo = 10 ** Math.floor(Math.log10(Math.max(1e-3, percentile(all, 0.1))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all)));
  // The labels' column is as wide as the longest label; the plot and the numbers follow it.
  const longest = Math.max(...panels.flatMap((p) => p.rows.map((r) => r.label.length)));
  const x0 = 20 + Math.max(310, Math.ceil(longest * CHAR_W)) + 10;
  const layout = { x0, x1: x0 + PLOT_W, width: x0 + PLOT_W + 170 };
  const x: Scale = (value) => x0 + ((Math.log10(Math.min(hi, Math.max(lo, value))) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * PLOT_W;
  const parts: string[] = [];
  let y = 44;
  parts.push(text(20, 28, 'Latency per pay transaction, simulator on 127.0.0.1 (log scale, ms)', { size: 19, weight: 'bold' }));
  for (const panel of panels) {
    y += 14;
    parts.push(text(20, y + 6, panel.title, { size: 15, weight: 'bold' }));
    y += 20;
    parts.push(text(20, y + 6, panel.subtitle, { size: 13, fill: '#444' }));
    parts.push(text(layout.x1 + 14, y + 6, 'p50 / p99 ms', { size: 13, weight: 'bold' }));
    y += 16;
    const top = y;
    y += panel.rows.length * ROW_H;
    parts.push(...axis(x, lo, hi, top, y, layout));
    panel.rows.forEach((row, index) => parts.push(...rowShapes(row, x, top + index * ROW_H + ROW_H / 2, index, layout)));
    y += 34;
  }
  parts.push(text(20, y + 4, 'dots: every transaction · box: middle half · bar: median · whiskers: 1st–99th percentile · right: p50 / p99', { size: 12, fill: '#444' }));
  parts.push(text(20, y + 22, footer, { size: 12, fill: '#444' }));
  const height = y + 36;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${height}" viewBox="0 0 ${layout.width} ${height}">
<rect width="${layout.width}" height="${height}" fill="#ffffff"/>
${parts.join('\n')}
</svg>`;
}

function axis(x: Scale, lo: number, hi: number, top: number, bottom: number, layout: Layout): string[] {
  const parts: string[] = [];
  for (let decade = lo; decade <= hi * 1.0001; decade *= 10) {
    for (const step of [1, 2, 5]) {
      const value = decade * step;
      if (value > hi * 1.0001) break;
      const px = x(value).toFixed(1);
      parts.push(`<line x1="${px}" y1="${top}" x2="${px}" y2="${bottom}" stroke="${step === 1 ? '#bbbbbb' : '#e4e4e4'}" stroke-width="1"/>`);
      parts.push(text(Number(px), bottom + 16, formatTick(value), { size: 12, anchor: 'middle', fill: '#333' }));
    }
  }
  parts.push(`<line x1="${layout.x0}" y1="${bottom}" x2="${layout.x1}" y2="${bottom}" stroke="#333" stroke-width="1"/>`);
  return parts;
}

function rowShapes(row: Row, x: Scale, cy: number, index: number, layout: Layout): string[] {
  const colour = COLOURS[row.key] ?? '#333333';
  const parts: string[] = [];
  if (index % 2 === 1) parts.push(`<rect x="0" y="${cy - ROW_H / 2}" width="${layout.width}" height="${ROW_H}" fill="#f6f6f6"/>`);
  parts.push(text(20, cy + 5, row.label, { size: 13 }));
  // Dots, thinned evenly to at most MAX_DOTS, with a fixed jitter so reruns draw alike.
  const stride = Math.max(1, Math.ceil(row.samples.length / MAX_DOTS));
  const jitter = seededRandom(index + 1);
  for (let i = 0; i < row.samples.length; i += stride) {
    parts.push(`<circle cx="${x(row.samples[i] ?? NaN).toFixed(1)}" cy="${(cy + (jitter() - 0.5) * 18).toFixed(1)}" r="1.7" fill="${colour}" fill-opacity="0.28"/>`);
  }
  const [p1, p25, p50, p75, p99] = [1, 25, 50, 75, 99].map((p) => percentile(row.samples, p)) as [number, number, number, number, number];
  parts.push(`<line x1="${x(p1).toFixed(1)}" y1="${cy}" x2="${x(p99).toFixed(1)}" y2="${cy}" stroke="${colour}" stroke-width="1.5"/>`);
  for (const end of [p1, p99]) parts.push(`<line x1="${x(end).toFixed(1)}" y1="${cy - 6}" x2="${x(end).toFixed(1)}" y2="${cy + 6}" stroke="${colour}" stroke-width="1.5"/>`);
  parts.push(
    `<rect x="${x(p25).toFixed(1)}" y="${cy - 8}" width="${Math.max(1, x(p75) - x(p25)).toFixed(1)}" height="16" fill="${colour}" fill-opacity="0.25" stroke="${colour}" stroke-width="1.5"/>`,
  );
  parts.push(`<line x1="${x(p50).toFixed(1)}" y1="${cy - 11}" x2="${x(p50).toFixed(1)}" y2="${cy + 11}" stroke="${colour}" stroke-width="3.5"/>`);
  parts.push(text(layout.x1 + 14, cy + 5, `${ms(p50)} / ${ms(p99)}`, { size: 13 }));
  return parts;
}

function formatTick(value: number): string {
  return value >= 1 ? String(Math.round(value)) : String(Number(value.toPrecision(1)));
}

function text(
  x: number,
  y: number,
  content: unknown,
  { size = 13, weight = 'normal', anchor = 'start', fill = '#111' }: { size?: number; weight?: string; anchor?: string; fill?: string } = {},
): string {
  const safe = String(content).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<text x="${x}" y="${y}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${size}" font-weight="${weight}" text-anchor="${anchor}" fill="${fill}">${safe}</text>`;
}

/** Renders the SVG to `pngPath` with headless Chromium; returns why not when it cannot. */
async function renderPng(svg: string, pngPath: string): Promise<string | undefined> {
  if (!fs.existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set MYPOS_CHROMIUM)`;
  let chromium: typeof import('playwright-core').chromium;
  try {
    // Loaded only when there is a Chromium to drive; a missing dev dependency is reported, not thrown.
    ({ chromium } = loadOptional<typeof import('playwright-core')>('playwright-core'));
  } catch {
    return 'playwright-core is not installed (npm install, with dev dependencies)';
  }
  const width = Number(/width="(\d+)"/.exec(svg)?.[1]);
  const height = Number(/height="(\d+)"/.exec(svg)?.[1]);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width, height } });
    await page.setContent(`<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0">${svg}</body></html>`);
    await page.screenshot({ path: pngPath, clip: { x: 0, y: 0, width, height } });
    return undefined;
  } finally {
    await browser.close();
  }
}

/** "2000 payments each" or "2000 payments each, 800 for the guarded rows". */
function counts(headline: PlotInput['headline']): string {
  const ns = [...new Set(headline.contenders.map((c) => c.txns))].sort((a, b) => b - a);
  return ns.length === 1 ? `${ns[0]} payments each` : `${ns[0]} payments each, ${ns.slice(1).join(' or ')} for the rows waiting out the guard`;
}

/**
 * Draws the headline's two runs into outDir/latency.png, or latency.svg when there is no
 * Chromium; returns the file written.
 */
export async function plotResults(results: PlotInput, outDir: string): Promise<string> {
  const { headline, machine: m } = results;
  const rows = (pick: (c: ContenderReport) => number[]): Row[] => headline.contenders.map((c) => ({ key: c.key, label: c.label, samples: pick(c) }));
  const footer = `${m.date.slice(0, 10)} · ${m.cpu} · Node ${m.node} · Node-RED ${m.nodeRed} · ${measuredLabel(m.measured)}`;
  const svg = latencySvg(
    [
      { title: 'Back to back: the next payment sent when the result arrives', subtitle: counts(headline), rows: rows((c) => c.samples) },
      {
        title: `Paced: a ${headline.thinkMs} ms pause before each payment`,
        subtitle: `the link idle longer than the ${headline.defaultGuardMs} ms answer guard, as between two customers; ${headline.contenders[0]?.paced.count ?? 0} payments each`,
        rows: rows((c) => c.pacedSamples),
      },
    ],
    footer,
  );
  const png = path.join(outDir, 'latency.png');
  const svgFile = path.join(outDir, 'latency.svg');
  const whyNot = await renderPng(svg, png);
  if (whyNot === undefined) {
    fs.rmSync(svgFile, { force: true }); // an older run's fallback
    return png;
  }
  process.stderr.write(`bench: cannot draw latency.png: ${whyNot}; wrote the plot as ${svgFile} instead\n`);
  fs.writeFileSync(svgFile, svg);
  return svgFile;
}
