// The Map panel's state and its rules (no DOM): the sweep form, the sweep the server runs for this
// page (docs/protocol.md: sweep_started, sweep_cell, sweep_done), where the lab's run sits on the
// map, and the words a student reads. App owns one of these (app.sweep); views/stability-map.js
// draws it, mappanel.js draws the panel around it.

// Outcome -> colour (Okabe-Ito: told apart with the common colour-vision deficiencies), the letter
// drawn in the square (readable without colour, as in `toygan sweep`), and what it means in words.
export const OUTCOMES = Object.freeze([
  { name: "converged", letter: "C", color: "#009e73", words: "settles: learns the target and stays there" },
  { name: "oscillating", letter: "O", color: "#e69f00", words: "circles: keeps chasing the target, never settles" },
  { name: "collapsed", letter: "X", color: "#cc79a7", words: "collapses: covers too few of the target's modes" },
  { name: "stalled", letter: "S", color: "#56b4e9", words: "gets stuck: G stops learning (its gradient vanishes)" },
  { name: "diverged", letter: "D", color: "#d55e00", words: "blows up: the numbers run away" },
]);
export const WAITING = { color: "#e4e4e0", words: "still training" };
export const OUTCOME = Object.freeze(Object.fromEntries(OUTCOMES.map((o) => [o.name, o])));

// Settings people sweep most, with a name a student reads; any other dotted config path works too.
export const SETTING_NAMES = Object.freeze({
  "optimizer_d.lr": "D's learning rate",
  "optimizer_g.lr": "G's learning rate",
  "regularizers.r1": "R1 penalty γ",
  "regularizers.gradient_penalty": "gradient penalty λ",
  "regularizers.label_smoothing": "label smoothing",
  "regularizers.instance_noise": "instance noise",
  "training.k_d": "D steps per G step",
  "training.unroll": "unrolled steps",
  "training.batch_size": "batch size",
  "generator.width": "G's width",
  "discriminator.width": "D's width",
});

// One click fills the form with a map worth showing in a lecture (docs/sweeps.md has both).
export const EXAMPLES = Object.freeze({
  dirac: { preset: "dirac-r1", paths: ["regularizers.r1", "optimizer_d.lr"],
    values: ["0,0.1,0.3,1,3", "log:0.01:1:5"], seeds: 1, steps: 500 },
  ring: { preset: "ring-collapse", paths: ["optimizer_d.lr", "optimizer_g.lr"],
    values: ["log:1e-4:1e-2:5", "log:1e-4:1e-2:5"], seeds: 2, steps: 1000 },
});

// The form's "preset" that means the lab's experiment as it is now (a preset edited, or the person's own).
export const LAB = "@lab";

// Metrics a student reads by name when shading the map; any other metric a cell carries is offered by
// its own name. "low" says what a pale square means for it.
export const METRIC_NAMES = Object.freeze({
  distance_to_equilibrium: "distance to the equilibrium",
  sample_distance: "distance to the target",
  distance_ratio: "distance / distance at the start",
  modes_reached: "modes reached",
  modes_captured: "modes captured",
  high_quality_fraction: "share of good samples",
  grad_norm_g: "G's gradient size",
  motion: "motion at the end",
  seconds: "seconds per run",
});
const PALE = 0.72; // how far towards white the lowest value is drawn (0: not at all, 1: white)

export function metricName(key) {
  return METRIC_NAMES[key] || key.replaceAll("_", " ");
}

export function settingName(path) {
  return SETTING_NAMES[path] || path;
}

export function newSweep(preset) {
  return {
    open: false,
    form: { preset: preset || "dirac-r1", paths: ["", ""], values: ["", ""], seeds: 3, steps: null },
    state: "idle", // idle | starting | running | done | stopped | failed
    message: "", // why it stopped or was refused, in words
    id: null, preset: null, steps: 0, seeds: 0, axes: [], total: 0, done: 0,
    cells: [], // by cell index: the server's cell ({params, outcome, outcomes, reasons, metrics}) or null
    startedAt: 0, finishedAt: 0, firstAt: 0, // when the first cell came (the pace is timed from there)
    hover: null, // the cell index under the pointer, or null
    shade: "", // the metric that shades each square ("" none: the outcome's colour alone)
    base: null, // the config every cell started from, when the map is of the lab's own experiment
  };
}

/** The `sweep` message for the form, or throws an Error saying what to fix. With the form's preset
 * LAB, every cell starts from `lab` ({config, preset}: the lab's experiment now, preset its origin). */
export function sweepRequest(form, lab = null) {
  const grid = [];
  for (let i = 0; i < 2; i++) {
    const path = form.paths[i].trim();
    const values = form.values[i].trim();
    if (!path && !values) continue;
    if (!path) throw new Error(`setting ${i + 1}: choose which setting the values are for`);
    if (!values) throw new Error(`setting ${i + 1}: give its values (like 0,0.1,1 or log:0.001:0.1:5)`);
    grid.push(`${path}=${values}`);
  }
  if (!grid.length) throw new Error("choose at least one setting to vary");
  let msg = { type: "sweep", preset: form.preset, grid, seeds: form.seeds };
  if (form.preset === LAB) {
    if (!lab || !lab.config) throw new Error("the lab has no experiment yet: wait for it to start");
    msg = { ...msg, preset: lab.preset || null, config: lab.config };
  }
  if (form.steps) msg.steps = form.steps;
  return msg;
}

/** Apply one server message to the sweep state; returns true when it was a sweep message. */
export function applySweepMessage(sweep, msg, now) {
  if (msg.type === "sweep_started") {
    Object.assign(sweep, { state: "running", message: "", id: msg.id, preset: msg.preset, steps: msg.steps,
      seeds: msg.seeds, axes: msg.axes, total: msg.cells, done: 0, cells: new Array(msg.cells).fill(null),
      startedAt: now - 1000 * (msg.elapsed || 0), finishedAt: 0, firstAt: 0, hover: null, base: msg.config || null });
    // Sent again after a reload (the sweep went on on the server): show it, and the form that asked for it.
    if (msg.resumed) {
      sweep.open = true;
      const paths = msg.axes.map((a) => a.path);
      const values = msg.axes.map((a) => a.values.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(","));
      sweep.form = { ...sweep.form, preset: msg.config ? LAB : msg.preset, paths: [paths[0], paths[1] || ""],
        values: [values[0], values[1] || ""], seeds: msg.seeds, steps: msg.steps };
    }
    return true;
  }
  if (msg.id !== sweep.id) return msg.type === "sweep_cell" || msg.type === "sweep_done"; // an old sweep's
  if (msg.type === "sweep_cell") {
    sweep.cells[msg.cell.index] = msg.cell;
    sweep.done = msg.done;
    if (!sweep.firstAt) sweep.firstAt = now;
    return true;
  }
  if (msg.type === "sweep_done") {
    sweep.finishedAt = now;
    if (msg.error) {
      sweep.state = "failed";
      sweep.message = `The map stopped: ${msg.error}`;
    } else if (msg.cancelled) {
      sweep.state = "stopped";
      sweep.message = `Stopped after ${msg.done} of ${msg.total} squares.`;
    } else {
      sweep.state = "done";
    }
    return true;
  }
  return false;
}

/** Rows and columns of the map: rows = the first axis, columns = the second (one row for one axis). */
export function mapShape(axes) {
  if (axes.length === 2) return { rows: axes[0], cols: axes[1] };
  return { rows: null, cols: axes[0] };
}

export function formatValue(v) {
  if (typeof v !== "number") return typeof v === "string" ? v : JSON.stringify(v);
  if (v === 0 || (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4)) return String(Number(v.toPrecision(3)));
  return v.toExponential(1).replace(".0e", "e").replace("e-", "e−").replace("e+", "e");
}

function valueAt(config, path) {
  return path.split(".").reduce((o, k) => (o && typeof o === "object" ? o[k] : undefined), config);
}

/** Fractional position (0 = first value, n-1 = last) of `v` among numeric axis values, or null:
 * exact values land on their square; values between two land between them (in log where the axis is
 * all positive, as log: axes are); outside the axis, or not a number, null. */
export function axisPosition(values, v) {
  const exact = values.findIndex((x) => x === v || (typeof x === "number" && typeof v === "number"
    && Math.abs(x - v) <= 1e-9 * Math.max(Math.abs(x), Math.abs(v))));
  if (exact >= 0) return exact;
  if (typeof v !== "number" || !values.every((x) => typeof x === "number")) return null;
  const log = values.every((x) => x > 0) && v > 0;
  const f = (x) => (log ? Math.log(x) : x);
  for (let i = 0; i + 1 < values.length; i++) {
    const a = f(values[i]);
    const b = f(values[i + 1]);
    const t = (f(v) - a) / (b - a);
    if (t >= 0 && t <= 1) return i + t;
  }
  return null;
}

/** Where the lab's current run sits on the map: {row, col, values} or null when it is off the map. */
export function currentPosition(sweep, config) {
  if (!config || !sweep.axes.length) return null;
  const { rows, cols } = mapShape(sweep.axes);
  const col = axisPosition(cols.values, valueAt(config, cols.path));
  const row = rows ? axisPosition(rows.values, valueAt(config, rows.path)) : 0;
  const values = sweep.axes.map((a) => `${settingName(a.path)} = ${formatValue(valueAt(config, a.path))}`);
  if (col === null || row === null) return { row: null, col: null, values };
  return { row, col, values };
}

/** The seed to open for a cell: the first whose run ended like the cell's outcome (the majority). */
export function representativeSeed(cell) {
  const i = cell.outcomes.indexOf(cell.outcome);
  return i >= 0 ? i : 0;
}

/** The configure patch (nested, as the form sends it) that turns the preset into this cell's run. */
export function cellPatch(cell, seed) {
  const patch = { seed };
  for (const [path, value] of Object.entries(cell.params)) {
    const keys = path.split(".");
    let node = patch;
    for (const k of keys.slice(0, -1)) node = node[k] = node[k] || {};
    node[keys[keys.length - 1]] = value;
  }
  return patch;
}

/** The whole config of a cell's run on a map of the lab's own experiment: the base with the cell's
 * settings and the seed (sent as one configure: every field given, nothing left from the lab's now). */
export function cellConfig(base, cell, seed) {
  const config = structuredClone(base);
  const patch = cellPatch(cell, seed);
  const merge = (into, from) => {
    for (const [k, v] of Object.entries(from)) {
      if (v && typeof v === "object" && !Array.isArray(v) && into[k] && typeof into[k] === "object") merge(into[k], v);
      else into[k] = v;
    }
  };
  merge(config, patch);
  return config;
}

function fmtMetric(x) {
  return typeof x === "number" ? formatValue(x) : "n/a"; // 4.6e18 for a run that blew up, not 19 digits
}

/** A cell's hover text, as lines: its settings, the outcome in words, each seed, a few measures. */
export function describeCell(sweep, index) {
  const { rows, cols } = mapShape(sweep.axes);
  const ncol = cols.values.length;
  const r = Math.floor(index / ncol);
  const c = index % ncol;
  const lines = [];
  if (rows) lines.push(`${settingName(rows.path)} = ${formatValue(rows.values[r])}`);
  lines.push(`${settingName(cols.path)} = ${formatValue(cols.values[c])}`);
  const cell = sweep.cells[index];
  if (!cell) {
    lines.push("still training…");
    return lines;
  }
  const o = OUTCOME[cell.outcome];
  const agree = cell.outcomes.filter((x) => x === cell.outcome).length;
  lines.push(`${o.words} (${o.name})`);
  if (cell.outcomes.length > 1) lines.push(`${agree} of ${cell.outcomes.length} seeds: ${cell.outcomes.join(", ")}`);
  const m = cell.metrics;
  const dist = m.distance_to_equilibrium ?? m.sample_distance;
  const measures = [`distance to target ${fmtMetric(dist)}`];
  if (m.modes_total >= 2) measures.push(`modes reached ${fmtMetric(m.modes_reached)} of ${m.modes_total}`);
  lines.push(measures.join(" · "));
  if (sweep.shade && !["distance_to_equilibrium", "sample_distance", "modes_reached"].includes(sweep.shade)) {
    lines.push(`${metricName(sweep.shade)} ${fmtMetric(m[sweep.shade])} (the shade)`);
  }
  if (cell.reasons && cell.reasons.length) lines.push(`why (seed ${representativeSeed(cell)}): ${cell.reasons[representativeSeed(cell)]}`);
  lines.push(`click (on a phone, tap again): watch seed ${representativeSeed(cell)} in the lab`);
  return lines;
}

function seconds(s) {
  return s < 90 ? `${Math.max(1, Math.round(s))} s` : `${Math.round(s / 60)} min`;
}

/** The progress line: how far, and about how long is left (from the pace so far). */
export function progressText(sweep, now) {
  if (sweep.state === "starting") return "Starting…";
  if (sweep.state === "idle") return "";
  if (sweep.state === "stopped" || sweep.state === "failed") return sweep.message;
  const elapsed = ((sweep.finishedAt || now) - sweep.startedAt) / 1000;
  if (sweep.state === "done") return `Done: ${sweep.total} squares (${sweep.total * sweep.seeds} runs) in ${seconds(elapsed)}.`;
  const head = `${sweep.done} of ${sweep.total} squares`;
  if (!sweep.done) return `${head} · training ${sweep.total * sweep.seeds} runs of ${sweep.steps} steps…`;
  // The pace from the first square on: before it the workers may still have been starting.
  const since = (now - sweep.firstAt) / 1000;
  if (sweep.done < 2 || since <= 0) return `${head} · working out how long the rest takes…`;
  return `${head} · about ${seconds((since / (sweep.done - 1)) * (sweep.total - sweep.done))} left`;
}

const NOT_A_SHADE = new Set(["iterations", "modes_total", "ref"]); // the same for every run of a map, or bookkeeping

/** The metrics worth a shade on this map, for the menu: those that differ between its finished cells
 * (a number in at least two), the ones with a name a student reads first. */
export function metricNames(sweep) {
  const seen = new Map();
  for (const c of sweep.cells) {
    if (!c) continue;
    for (const [k, v] of Object.entries(c.metrics)) {
      if (typeof v !== "number" || !Number.isFinite(v) || NOT_A_SHADE.has(k)) continue;
      if (!seen.has(k)) seen.set(k, new Set());
      seen.get(k).add(v);
    }
  }
  const keys = [...seen].filter(([, vals]) => vals.size > 1).map(([k]) => k);
  const named = Object.keys(METRIC_NAMES).filter((k) => keys.includes(k));
  return [...named, ...keys.filter((k) => !(k in METRIC_NAMES)).sort()];
}

/** How `metric` shades the map: {lo, hi, log, level(value) -> 0..1 or null}, or null when no cell has
 * it. The scale is logarithmic where every value is positive and they span 100x or more (a distance
 * from 1e-3 to 10), else linear; all values equal: every square at the deepest shade. */
export function shadeScale(sweep, metric) {
  if (!metric) return null;
  const vals = sweep.cells.filter(Boolean).map((c) => c.metrics[metric])
    .filter((v) => typeof v === "number" && Number.isFinite(v));
  if (!vals.length) return null;
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  const log = lo > 0 && hi / lo >= 100;
  const f = (x) => (log ? Math.log(x) : x);
  const level = (v) => {
    if (typeof v !== "number" || !Number.isFinite(v)) return null;
    if (hi === lo) return 1;
    return Math.min(1, Math.max(0, (f(v) - f(lo)) / (f(hi) - f(lo))));
  };
  return { lo, hi, log, level };
}

/** The square's colour: the outcome's colour, paler towards white as `level` goes from 1 (high: the
 * colour itself) to 0 (low); null (no shade, or no value): the colour itself. */
export function shadeColor(hex, level) {
  if (level === null || level === undefined) return hex;
  const mix = PALE * (1 - level);
  const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `#${rgb.map((c) => Math.round(c + (255 - c) * mix).toString(16).padStart(2, "0")).join("")}`;
}

/** Dark or white letters, whichever reads better on `hex` (WCAG relative luminance). */
export function inkOn(hex) {
  const lin = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  return (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) ? "#1d1d1f" : "#ffffff";
}

/** The shade legend's words for `metric` on this map, or "" when the map is not shaded. */
export function shadeText(sweep) {
  const sc = shadeScale(sweep, sweep.shade);
  if (!sc) return "";
  const scale = sc.log ? ", log scale" : "";
  return `Shade: ${metricName(sweep.shade)}. Pale = low (${formatValue(sc.lo)}), deep = high (${formatValue(sc.hi)})${scale}; no value: striped.`;
}
