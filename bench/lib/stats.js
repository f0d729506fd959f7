'use strict';
/** Small statistics helpers; latencies are in milliseconds. */
const { seededRandom } = require('../../test/support/random');

/** The p-th percentile (0..100) of sorted values by the nearest-rank method, which never invents a value. */
function rank(sorted, p) {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1];
}

function percentile(values, p) {
  return values.length === 0 ? NaN : rank(Float64Array.from(values).sort(), p);
}

function median(values) {
  return percentile(values, 50);
}

function summarize(latencies) {
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
function ms(value) {
  if (value === undefined || value === null || Number.isNaN(value)) return 'n/a';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

function ratio(value) {
  return Number.isFinite(value) ? value.toFixed(value >= 0.1 ? 2 : 3) : 'n/a';
}

function mb(bytes) {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function signedMb(bytes) {
  const value = bytes / (1024 * 1024);
  return `${value >= 0 ? '+' : ''}${value.toFixed(2)} MB`;
}

/** A GitHub-flavoured Markdown table. */
function table(headers, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

module.exports = { percentile, median, summarize, ms, ratio, mb, signedMb, table, seededRandom };
