// Loss and metric series over iterations, per branch of the run's timeline. The server's `history`
// message (on connect, after a reload, an import or a new run) gives every branch's curves so far;
// each frame's `history` (the points recorded since the previous frame, so skipped frames leave no
// gaps) and latest `metrics` then extend the branch the frame comes from. Frames of another run
// (a reset or import the server already announced) add nothing.

const MAX_POINTS = 4000; // per series; past this every other point is dropped (old ones first)

export const LOSS_KEYS = ["d_loss", "g_loss", "d_real", "d_fake"];
const ORBIT_KEYS = ["theta", "psi", "theta2", "psi2"]; // the Dirac game's coordinates, when present

function emptySeries(keys) {
  return { iteration: [], ...Object.fromEntries(keys.map((k) => [k, []])) };
}

function newBranch(info) {
  return {
    id: info.id, label: info.label || "", parent: info.parent ?? null, fork: info.fork || 0,
    losses: emptySeries([...LOSS_KEYS, ...ORBIT_KEYS]), metrics: { iteration: [] }, lastLossIt: -1, lastMetricIt: -1,
  };
}

export class History {
  constructor() {
    this.clear();
  }

  clear(run = null) {
    this.run = run; // the run these curves belong to (null: take the first frame's)
    this.branch = 0; // the branch the run is on
    this.branches = new Map(); // id -> {id, label, parent, fork, losses, metrics, lastLossIt, lastMetricIt}
    this.version = 0; // bumped on change: views redraw only when it moved
  }

  /** The server's `history` message: every branch's curves, replacing what was here. */
  load(msg) {
    this.clear(msg.run);
    this.branch = msg.branch || 0;
    for (const info of msg.branches || []) {
      const b = newBranch(info);
      this.branches.set(b.id, b);
      const L = info.losses || { iteration: [] };
      L.iteration.forEach((it, i) => this.addLoss(b, it, Object.fromEntries(Object.keys(L).map((k) => [k, L[k][i]]))));
      const M = info.metrics || { iteration: [] };
      M.iteration.forEach((it, i) => this.addMetrics(b, it, Object.fromEntries(Object.keys(M).filter((k) => k !== "iteration").map((k) => [k, M[k][i]]))));
    }
    this.version++;
  }

  /** The timeline's branches (a `timeline` message): new ones start at their fork, dropped ones go. */
  setBranches(list, current) {
    const ids = new Set(list.map((b) => b.id));
    for (const id of [...this.branches.keys()]) if (!ids.has(id)) this.branches.delete(id);
    for (const info of list) {
      const known = this.branches.get(info.id);
      if (known) {
        known.label = info.label;
        continue;
      }
      const b = newBranch(info);
      // Its line joins its parent's: the parent's last point at or before the fork comes first.
      const p = this.branches.get(b.parent);
      if (p) {
        const i = lastAtOrBefore(p.losses.iteration, b.fork);
        if (i >= 0) this.addLoss(b, p.losses.iteration[i], pick(p.losses, i));
        const j = lastAtOrBefore(p.metrics.iteration, b.fork);
        if (j >= 0) this.addMetrics(b, p.metrics.iteration[j], pick(p.metrics, j));
      }
      this.branches.set(b.id, b);
    }
    this.branch = current;
    this.version++;
  }

  push(header) {
    if (typeof header.run === "number") {
      if (this.run === null) this.run = header.run;
      else if (header.run !== this.run) return; // a frame of the run before the last reset/import
    }
    const id = typeof header.branch === "number" ? header.branch : 0;
    let b = this.branches.get(id);
    if (!b) {
      b = newBranch({ id, label: id === 0 ? "original" : `branch ${id}` });
      this.branches.set(id, b);
    }
    this.branch = id;
    const it = header.iteration;
    for (const point of header.history || []) this.addLoss(b, point.iteration, point);
    if ((!header.history || !header.history.length) && header.losses && it > b.lastLossIt) this.addLoss(b, it, header.losses);
    // Metrics are computed every so often; metrics_iteration (when the server sends it) says at
    // which iteration, so a value repeated over several frames is recorded once, where it belongs.
    const m = header.metrics || {};
    const mit = typeof header.metrics_iteration === "number" ? header.metrics_iteration : it;
    if (Object.keys(m).length) this.addMetrics(b, mit, m);
  }

  addLoss(b, it, point) {
    if (it <= b.lastLossIt) return; // seen already (a replay retraces the same points)
    b.lastLossIt = it;
    const L = b.losses;
    L.iteration.push(it);
    for (const k of [...LOSS_KEYS, ...ORBIT_KEYS]) L[k].push(finite(point[k]));
    thin(L);
    this.version++;
  }

  addMetrics(b, it, values) {
    if (it <= b.lastMetricIt) return;
    b.lastMetricIt = it;
    const M = b.metrics;
    const n = M.iteration.length;
    M.iteration.push(it);
    for (const [k, v] of Object.entries(values)) {
      if (k === "iteration") continue;
      if (!M[k]) M[k] = new Array(n).fill(null);
      M[k].push(finite(v));
    }
    for (const k of Object.keys(M)) if (M[k].length === n) M[k].push(null);
    thin(M);
    this.version++;
  }

  /** Branch `id`'s curves from the start of the run: its ancestors' up to each fork, then its own. */
  lineage(id = this.branch) {
    const chain = [];
    for (let b = this.branches.get(id); b && chain.length < 64; b = this.branches.get(b.parent)) chain.unshift(b);
    const out = { losses: emptySeries([...LOSS_KEYS, ...ORBIT_KEYS]), metrics: { iteration: [] } };
    chain.forEach((b, i) => {
      const until = i + 1 < chain.length ? chain[i + 1].fork : Infinity;
      append(out.losses, b.losses, until);
      append(out.metrics, b.metrics, until);
    });
    return out;
  }

  /** The current branch's loss series from the start of the run (CSV export, tests). */
  get losses() {
    return this.lineage().losses;
  }

  get metrics() {
    return this.lineage().metrics;
  }

  /** CSV of the current branch's losses joined with its metrics by iteration. */
  toCsv() {
    const { losses, metrics } = this.lineage();
    const metricKeys = Object.keys(metrics).filter((k) => k !== "iteration");
    const byIt = new Map();
    losses.iteration.forEach((it, i) => byIt.set(it, { ...Object.fromEntries(LOSS_KEYS.map((k) => [k, losses[k][i]])) }));
    metrics.iteration.forEach((it, i) => {
      const row = byIt.get(it) || {};
      for (const k of metricKeys) row[k] = metrics[k][i];
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

function lastAtOrBefore(iterations, it) {
  let i = iterations.length - 1;
  while (i >= 0 && iterations[i] > it) i--;
  return i;
}

function pick(series, i) {
  return Object.fromEntries(Object.keys(series).map((k) => [k, series[k][i]]));
}

/** Append `from`'s points before `until` (all when Infinity) to `to`, keys aligned (missing: null). */
function append(to, from, until) {
  from.iteration.forEach((it, i) => {
    if (it >= until || (to.iteration.length && it <= to.iteration[to.iteration.length - 1])) return;
    to.iteration.push(it);
    const n = to.iteration.length;
    for (const k of Object.keys(from)) {
      if (k === "iteration") continue;
      if (!to[k]) to[k] = new Array(n - 1).fill(null);
      to[k].push(from[k][i]);
    }
    for (const k of Object.keys(to)) if (to[k].length < n) to[k].push(null);
  });
}
