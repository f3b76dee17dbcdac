// Loss and metric curves (plotly, redrawn at most every THROTTLE_MS: curves change slowly and
// plotly costs milliseconds per redraw that the main view needs more). Axes are set here, not by
// plotly's autorange: round ticks (chart-scale.js), one zero line, a robust y range that clips a
// spike (and says so on the chart), log y on request, and x always the whole run, log or not.
// The branch the run is on is drawn whole and solid; the timeline's other branches dashed beside
// it, one legend entry each ("original", "branch 2"), so a branch is seen against the run it left.
// A dotted line marks the iteration shown when it is not the newest (the timeline went back):
// moved at most every MARK_MS.
import { iterationRange, logAxis, robustAxis, shortNumber } from "../chart-scale.js";
import { metricAxes, metricTraces } from "./metric-traces.js";

const THROTTLE_MS = 500;
const MARK_MS = 80;
const SMOOTHING = 0.1; // EMA weight of the newest point in the loss curves
const FONT_FAMILY = "system-ui, sans-serif";
const PROJECTOR_PX = 1600; // lab.css: from this width the page's type grows, and so does the charts'

const FRACTION_TICKS = [0, 0.25, 0.5, 0.75, 1];

export function ema(values, alpha) {
  const out = new Array(values.length);
  let acc = null;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v == null) {
      out[i] = null;
      continue;
    }
    acc = acc == null ? v : acc + alpha * (v - acc);
    out[i] = acc;
  }
  return out;
}

/** A y axis for `values`: robust and linear, or log (positive values only). {axis, note}. */
function valueAxis(values, log, title, extra = {}) {
  const base = { title: { text: title }, automargin: true, fixedrange: true, ...extra };
  if (log) {
    const r = logAxis(values);
    if (!r) return { axis: { ...base, type: "log" }, note: "log y: no positive values to show" };
    return { axis: { ...base, type: "log", range: [r.lo, r.hi], dtick: r.hi - r.lo > 3 ? 1 : "D2" },
      note: r.dropped ? "log y: values ≤ 0 left out" : "" };
  }
  const r = robustAxis(values, { floor: extra.rangemode === "tozero" ? 0 : -Infinity });
  if (!r) return { axis: { ...base, range: [0, 1] }, note: "" };
  const notes = [];
  if (r.clippedAbove) notes.push(`▲ a spike up to ${shortNumber(r.max)} is cut off`);
  if (r.clippedBelow) notes.push(`▼ a dip down to ${shortNumber(r.min)} is cut off`);
  // One line each: side by side they ran past a laptop's narrow chart (a test measures the box).
  return { axis: { ...base, type: "linear", range: [r.lo, r.hi], tickmode: "array", tickvals: r.ticks },
    note: notes.join("<br>"), clipped: r.clippedAbove || r.clippedBelow };
}

function noteAnnotation(text) {
  return { text, xref: "paper", yref: "paper", x: 0.01, y: 0.99, xanchor: "left", yanchor: "top", align: "left", showarrow: false,
    font: { size: 10, color: "#8a3b00" }, bgcolor: "rgba(255,255,255,0.85)" };
}

/** [first, last] iteration over the branch shown and the others (each a series of iterations). */
function runSpan(series) {
  const firsts = series.filter((s) => s.length).map((s) => s[0]);
  const lasts = series.filter((s) => s.length).map((s) => s[s.length - 1]);
  return firsts.length ? [Math.min(...firsts), Math.max(...lasts)] : [];
}

export class CurvesView {
  constructor(lossDiv, metricDiv) {
    this.lossDiv = lossDiv;
    this.metricDiv = metricDiv;
    this.lastDraw = 0;
    this.drawnKey = null;
    this.pending = null;
    this.asked = null; // [history, view, dirac] of the last update() the pending timer will draw
    this.clipped = { loss: false, metric: false }; // whether a spike is cut off (tests read it)
    this.notes = new Map(); // div -> its chart's notes (kept when the marker moves)
    this.marked = null; // the iteration marked (null: none)
    this.markTimer = null;
    this.drawn = false;
    // A resized cell needs a redraw even when no new data came (say, paused).
    new ResizeObserver(() => {
      this.drawnKey = null;
    }).observe(lossDiv);
  }

  available() {
    return typeof window.Plotly !== "undefined";
  }

  /** Ask for a redraw; it happens now or within THROTTLE_MS. view: {logx, logy}; `mark`: the
   * iteration to mark, or null; `dirac`: the target is a Dirac point (no modes or densities to plot,
   * only a distance). */
  update(history, view, mark = null, dirac = false) {
    if (!this.available()) {
      this.lossDiv.textContent = "Curves need plotly.js (served at vendor/plotly.min.js), which did not load.";
      return;
    }
    this.mark(mark);
    const key = `${history.version}|${view.logx}|${view.logy}|${dirac}`;
    if (key === this.drawnKey) return;
    const wait = THROTTLE_MS - (performance.now() - this.lastDraw);
    if (wait > 0) {
      // The timer draws what was asked for last, not first: a preset switched within the wait (a
      // Dirac game after a density target) must not be drawn with the old target's traces, which a
      // paused session would then show until its next frame.
      this.asked = [history, view, dirac];
      if (!this.pending) this.pending = setTimeout(() => {
        this.pending = null;
        this.update(this.asked[0], this.asked[1], this.marked, this.asked[2]);
      }, wait);
      return;
    }
    this.lastDraw = performance.now();
    this.drawnKey = key;
    this.draw(history, Boolean(view.logx), Boolean(view.logy), dirac);
  }

  /** Move the marker line (cheap: shapes and notes only, no redraw of the traces). */
  mark(iteration) {
    if (iteration === this.marked) return;
    this.marked = iteration;
    if (!this.drawn || this.markTimer) return;
    this.markTimer = setTimeout(() => {
      this.markTimer = null;
      for (const div of [this.lossDiv, this.metricDiv]) {
        window.Plotly.relayout(div, markLayout(this.marked, this.notes.get(div) || []));
      }
    }, MARK_MS);
  }

  draw(history, logx, logy, dirac) {
    const { losses: raw, metrics: M } = history.lineage();
    const many = history.branches.size > 1;
    const here = history.branches.get(history.branch);
    // With branches, the solid lines say whose they are (shorter names keep the legend on two rows).
    const suffix = many && here ? ` · ${branchName(here)}` : "";
    const name = (long, short) => (suffix ? `${short}${suffix}` : long);
    const others = many ? [...history.branches.values()].filter((b) => b.id !== history.branch) : [];
    // Per-iteration losses are noisy (one minibatch each); a short EMA shows the trend.
    const L = { iteration: raw.iteration };
    for (const k of ["d_loss", "g_loss", "d_real", "d_fake"]) L[k] = ema(raw[k], SMOOTHING);
    const ghostLoss = others.map((b) => [b, ema(b.losses.d_loss, SMOOTHING), ema(b.losses.g_loss, SMOOTHING)]);
    const empty = !L.d_loss.some((v) => v != null) && !L.g_loss.some((v) => v != null);
    const big = window.innerWidth >= PROJECTOR_PX;
    const font = { family: FONT_FAMILY, size: big ? 13 : 11 };
    // x: the whole run, every branch's iterations included.
    const xaxis = (its, otherIts) => ({ title: { text: "iteration" }, type: logx ? "log" : "linear", automargin: true,
      range: iterationRange(runSpan([its, ...otherIts]), logx), zeroline: false, fixedrange: true });
    // Size from the container now: the grid row may have changed since the first draw.
    const size = (div) => ({ width: div.clientWidth || undefined, height: div.clientHeight || undefined });
    const layout = (div, extra, notes) => {
      this.notes.set(div, notes.filter(Boolean));
      return {
        margin: { l: 48, r: 48, t: 40, b: 34 },
        font,
        // Above the plot area, never over the curves.
        legend: { orientation: "h", x: 0, y: 1.0, yanchor: "bottom", font: { size: big ? 12 : 10 } },
        ...size(div),
        // The series arrays grow in place; plotly only re-reads them when this changes.
        datarevision: history.version,
        ...markLayout(this.marked, this.notes.get(div)),
        ...extra,
      };
    };
    const line = (x, y, name, color, extra = {}) => ({ x, y, name, type: "scatter", mode: "lines", line: { color, width: 1.5 }, ...extra });
    // Another branch: its curves dashed and paler, under one legend entry named for it.
    const ghost = (b, x, ys) => ys.map(([y, color], i) => line(x, y, branchName(b), color, {
      legendgroup: `branch-${b.id}`, showlegend: i === 0, opacity: 0.6, line: { color, width: 1.5, dash: "dash" },
    }));
    const config = { displayModeBar: false, responsive: true };

    const loss = valueAxis([...L.d_loss, ...L.g_loss, ...ghostLoss.flatMap(([, d, g]) => [...d, ...g])], logy, "loss",
      { zeroline: true, zerolinecolor: "#999" });
    const meanD = valueAxis([...L.d_real, ...L.d_fake], false, "mean D", { overlaying: "y", side: "right", showgrid: false, zeroline: false });
    this.clipped.loss = Boolean(loss.clipped);
    window.Plotly.react(this.lossDiv, [
      ...ghostLoss.flatMap(([b, d, g]) => ghost(b, b.losses.iteration, [[d, "#b35806"], [g, "#0072b2"]])),
      line(L.iteration, L.d_loss, name("D loss (EMA)", "D loss"), "#b35806"),
      line(L.iteration, L.g_loss, name("G loss (EMA)", "G loss"), "#0072b2"),
      line(L.iteration, L.d_real, suffix ? "D(real)" : "mean D(real)", "#111", { yaxis: "y2", line: { dash: "dot", color: "#111", width: 1.2 } }),
      line(L.iteration, L.d_fake, suffix ? "D(fake)" : "mean D(fake)", "#56b4e9", { yaxis: "y2", line: { dash: "dot", color: "#56b4e9", width: 1.2 } }),
    ], layout(this.lossDiv, { xaxis: xaxis(L.iteration, others.map((b) => b.losses.iteration)), yaxis: loss.axis, yaxis2: meanD.axis },
      [empty ? "Press ▶ Play: the losses appear here" : loss.note]), config);

    const traces = [];
    for (const b of others) {
      const f = dirac ? null : modesFraction(b.metrics);
      if (f) traces.push(...ghost(b, b.metrics.iteration, [[f, "#b35806"], [b.metrics.high_quality_fraction || [], "#542788"]]));
    }
    // The branch shown (views/metric-traces.js): both mode rules, the shares, the JS divergence and
    // distances; a Dirac game only its distance to the equilibrium.
    for (const t of metricTraces(M, { dirac })) traces.push(suffix ? { ...t, name: `${t.name}${suffix}` } : t);
    const distances = [...(dirac ? [] : M.sample_distance || []), ...(M.distance_to_equilibrium || [])];
    const dist = valueAxis(distances, logy, "distance", dirac ? { zeroline: false, rangemode: "tozero" }
      : { overlaying: "y", side: "right", showgrid: false, zeroline: false, rangemode: "tozero" });
    this.clipped.metric = Boolean(dist.clipped);
    const shares = metricAxes({ dirac }).yaxis;
    const axes = dirac ? { yaxis: dist.axis } : {
      yaxis: { ...shares, tickmode: "array", tickvals: FRACTION_TICKS, fixedrange: true, zeroline: false },
      yaxis2: dist.axis,
    };
    // showlegend: plotly hides the legend of a one-trace chart, and the Dirac game's one line must still
    // say what it is ("distance to equilibrium": the axis only says "distance").
    window.Plotly.react(this.metricDiv, traces, layout(this.metricDiv, { xaxis: xaxis(M.iteration, others.map((b) => b.metrics.iteration)), ...axes, showlegend: true },
      [M.iteration.length ? dist.note : "Metrics appear every half second of training"]), config);
    this.drawn = true;
  }
}

/** "original" for the run's first branch, "branch N" for the others. */
export function branchName(b) {
  return b.parent === null || b.id === 0 ? "original" : `branch ${b.id}`;
}

function modesFraction(M) {
  if (!M.modes_captured || !M.modes_total) return null;
  return M.modes_captured.map((v, i) => (v == null || !M.modes_total[i] ? null : v / M.modes_total[i]));
}

/** The layout's marker at `iteration` (a dotted vertical line, labelled; none for null) and the
 * chart's notes: both are annotations, so a moved marker must carry the notes along. */
function markLayout(iteration, notes) {
  const annotations = notes.map(noteAnnotation);
  if (iteration == null) return { shapes: [], annotations };
  return {
    shapes: [{ type: "line", x0: iteration, x1: iteration, yref: "paper", y0: 0, y1: 1, line: { color: "#c2185b", width: 1.5, dash: "dot" } }],
    annotations: [...annotations, { x: iteration, y: 1, yref: "paper", yanchor: "top", xanchor: "left", text: ` ${iteration}`, showarrow: false, font: { size: 10, color: "#c2185b" } }],
  };
}
