// Loss and metric series over iterations, fed by each frame's `history` (the points recorded
// since the previous frame, so skipped frames leave no gaps) and its latest `metrics`.

const MAX_POINTS = 4000; // per series; past this every other point is dropped (old ones first)

export const LOSS_KEYS = ["d_loss", "g_loss", "d_real", "d_fake"];

export class History {
  constructor() {
    this.clear();
  }

  clear() {
    this.losses = { iteration: [], ...Object.fromEntries(LOSS_KEYS.map((k) => [k, []])) };
    this.metrics = { iteration: [] }; // key -> array, aligned with metrics.iteration
    this.lastLossIt = -1;
    this.lastMetricIt = -1;
    this.version = 0; // bumped on change: views redraw only when it moved
  }

  push(header) {
    const it = header.iteration;
    if (it < this.lastLossIt) this.clear(); // reset: time went back
    for (const point of header.history || []) {
      if (point.iteration <= this.lastLossIt) continue;
      this.lastLossIt = point.iteration;
      this.losses.iteration.push(point.iteration);
      for (const k of LOSS_KEYS) this.losses[k].push(finite(point[k]));
      this.version++;
    }
    if ((!header.history || !header.history.length) && header.losses && it > this.lastLossIt) {
      this.lastLossIt = it;
      this.losses.iteration.push(it);
      for (const k of LOSS_KEYS) this.losses[k].push(finite(header.losses[k]));
      this.version++;
    }
    // Metrics are computed every so often; metrics_iteration (when the server sends it) says at
    // which iteration, so a value repeated over several frames is recorded once, where it belongs.
    const m = header.metrics || {};
    const mit = typeof header.metrics_iteration === "number" ? header.metrics_iteration : it;
    if (Object.keys(m).length && mit > this.lastMetricIt) {
      this.lastMetricIt = mit;
      const n = this.metrics.iteration.length;
      this.metrics.iteration.push(mit);
      for (const [k, v] of Object.entries(m)) {
        if (!this.metrics[k]) this.metrics[k] = new Array(n).fill(null);
        this.metrics[k].push(finite(v));
      }
      for (const k of Object.keys(this.metrics)) if (this.metrics[k].length === n) this.metrics[k].push(null);
      this.version++;
    }
    thin(this.losses);
    thin(this.metrics);
  }

  /** CSV of losses joined with metrics by iteration. */
  toCsv() {
    const metricKeys = Object.keys(this.metrics).filter((k) => k !== "iteration");
    const byIt = new Map();
    this.losses.iteration.forEach((it, i) => byIt.set(it, { ...Object.fromEntries(LOSS_KEYS.map((k) => [k, this.losses[k][i]])) }));
    this.metrics.iteration.forEach((it, i) => {
      const row = byIt.get(it) || {};
      for (const k of metricKeys) row[k] = this.metrics[k][i];
      byIt.set(it, row);
    });
    const cols = ["iteration", ...LOSS_KEYS, ...metricKeys];
    const lines = [cols.join(",")];
    for (const it of [...byIt.keys()].sort((a, b) => a - b)) {
      const row = byIt.get(it);
      lines.push(cols.map((c) => (c === "iteration" ? it : (row[c] ?? ""))).join(","));
    }
    return lines.join("\n") + "\n";
  }
}

function finite(v) {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function thin(series) {
  if (series.iteration.length <= MAX_POINTS) return;
  for (const k of Object.keys(series)) series[k] = series[k].filter((_, i) => i % 2 === 0);
}
