// Axis ranges and ticks for the curves, as plain functions (the browser tests import them): round
// tick values (0.2, 0.25, 1, 2, 5, never 0.4472), and a robust range that a single spike cannot
// stretch until everything else is a flat line (the spike is clipped, and the range says so).

/** A round step (1, 2 or 5 times a power of ten) giving about `count` intervals over `span`. */
export function niceStep(span, count = 5) {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const unit = norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10;
  return unit * mag;
}

/** Round ticks covering [lo, hi]: {lo, hi, ticks} with lo and hi moved out to whole steps. */
export function niceAxis(lo, hi, count = 5) {
  if (!(hi > lo)) {
    const pad = Math.max(Math.abs(lo) * 0.1, 1e-3);
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, count);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks = [];
  for (let k = first; k <= last; k++) ticks.push(Number((k * step).toPrecision(12)));
  return { lo: ticks[0], hi: ticks[ticks.length - 1], ticks };
}

function quantile(sorted, q) {
  const i = (sorted.length - 1) * q;
  const a = Math.floor(i);
  const b = Math.min(sorted.length - 1, a + 1);
  return sorted[a] + (sorted[b] - sorted[a]) * (i - a);
}

/**
 * The range to show `values` in (nulls and non-finite values ignored): the 2nd to 98th
 * percentile, widened by a tenth, and out to the true extremes unless they stick out by more than
 * half the range again (a spike: clipped). Returns null for no data, else {lo, hi, ticks,
 * clippedAbove, clippedBelow, min, max}. `floor`: a lower end the range never goes below (0 for
 * distances).
 */
export function robustAxis(values, { floor = -Infinity, count = 5 } = {}) {
  const v = values.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const min = v[0];
  const max = v[v.length - 1];
  let lo = v.length >= 20 ? quantile(v, 0.02) : min;
  let hi = v.length >= 20 ? quantile(v, 0.98) : max;
  const pad = (hi - lo) * 0.1 || Math.max(Math.abs(hi) * 0.1, 1e-3);
  lo -= pad;
  hi += pad;
  const span = hi - lo;
  if (max <= hi + span * 0.5) hi = Math.max(hi, max);
  if (min >= lo - span * 0.5) lo = Math.min(lo, min);
  lo = Math.max(lo, floor);
  const axis = niceAxis(lo, hi, count);
  return { ...axis, clippedAbove: max > axis.hi, clippedBelow: min < axis.lo, min, max };
}

/** For a log axis: the positive values' range in powers of ten; null without positive values. */
export function logAxis(values) {
  const v = values.filter((x) => typeof x === "number" && Number.isFinite(x) && x > 0);
  if (!v.length) return null;
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return { lo: Math.floor(Math.log10(lo) + 1e-9), hi: Math.max(Math.ceil(Math.log10(hi) - 1e-9), Math.floor(Math.log10(lo)) + 1),
    dropped: values.some((x) => typeof x === "number" && Number.isFinite(x) && x <= 0) };
}

/** The whole run on the x axis: [first, last] iteration (log: in log10 units, from iteration 1). */
export function iterationRange(iterations, log) {
  const first = iterations.length ? iterations[0] : 0;
  const last = iterations.length ? iterations[iterations.length - 1] : 100;
  if (log) return [Math.log10(Math.max(1, first)), Math.log10(Math.max(10, last))];
  return [first, Math.max(last, first + 10)];
}

/** A short number for an axis note: 12.3, 0.0042, 1.2e+5. */
export function shortNumber(x) {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(1);
  return String(Number(x.toPrecision(3)));
}
