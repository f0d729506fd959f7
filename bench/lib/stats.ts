/** Small statistics helpers; latencies are in milliseconds. */
export { seededRandom } from '../../test/support/random';

export interface Summary {
  count: number;
  min: number | undefined;
  p50: number | undefined;
  p90: number | undefined;
  p99: number | undefined;
  max: number | undefined;
}

/** The p-th percentile (0..100) of sorted values by the nearest-rank method, which never invents a value. */
function rank(sorted: Float64Array, p: number): number | undefined {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1];
}

export function percentile(values: readonly number[], p: number): number {
  return values.length === 0 ? NaN : (rank(Float64Array.from(values).sort(), p) ?? NaN);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function summarize(latencies: readonly number[]): Summary {
  const sorted = Float64Array.from(latencies).sort();
  return {
    count: sorted.length,
    min: sorted[0],
    p50: rank(sorted, 50),
    p90: rank(sorted, 90),
    p99: rank(sorted, 99),
    max: sorted[sorted.length - 1],
  };
}

/** Milliseconds, with as many digits as the value needs to be read at a glance. */
export function ms(value: number | null | undefined): string {
  if (value === undefined || value === null || Number.isNaN(value)) return 'n/a';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

export function ratio(value: number): string {
  return Number.isFinite(value) ? value.toFixed(value >= 0.1 ? 2 : 3) : 'n/a';
}

export function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function signedMb(bytes: number): string {
  const value = bytes / (1024 * 1024);
  return `${value >= 0 ? '+' : ''}${value.toFixed(2)} MB`;
}

/** A GitHub-flavoured Markdown table. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}
