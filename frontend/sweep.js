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
  };
}

/** The `sweep` message for the form, or throws an Error saying what to fix. */
export function sweepRequest(form) {
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
  const msg = { type: "sweep", preset: form.preset, grid, seeds: form.seeds };
  if (form.steps) msg.steps = form.steps;
  return msg;
}

/** Apply one server message to the sweep state; returns true when it was a sweep message. */
export function applySweepMessage(sweep, msg, now) {
  if (msg.type === "sweep_started") {
    Object.assign(sweep, { state: "running", message: "", id: msg.id, preset: msg.preset, steps: msg.steps,
      seeds: msg.seeds, axes: msg.axes, total: msg.cells, done: 0, cells: new Array(msg.cells).fill(null),
      startedAt: now, finishedAt: 0, firstAt: 0, hover: null });
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
  if (cell.reasons && cell.reasons.length) lines.push(`why (seed ${representativeSeed(cell)}): ${cell.reasons[representativeSeed(cell)]}`);
  lines.push(`click: watch seed ${representativeSeed(cell)} in the lab`);
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
