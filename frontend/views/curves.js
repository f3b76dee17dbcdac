// Loss and metric curves (plotly, redrawn at most every THROTTLE_MS: curves change slowly and
// plotly costs milliseconds per redraw that the main view needs more). The branch the run is on is
// drawn whole and solid; the timeline's other branches dashed beside it, one legend entry each
// ("original", "branch 2"), so a branch is seen against the run it left. A dotted line marks the
// iteration shown when it is not the newest (the timeline went back): moved at most every MARK_MS.
import { metricAxes, metricTraces } from "./metric-traces.js";

const THROTTLE_MS = 500;
const MARK_MS = 80;

const SMOOTHING = 0.1; // EMA weight of the newest point in the loss curves

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

const FONT = { family: "system-ui, sans-serif", size: 11 };

export class CurvesView {
  constructor(lossDiv, metricDiv) {
    this.lossDiv = lossDiv;
    this.metricDiv = metricDiv;
    this.lastDraw = 0;
    this.drawnVersion = -1;
    this.drawnLog = null;
    this.drawnDirac = null;
    this.pending = null;
    this.marked = null; // the iteration marked (null: none)
    this.markTimer = null;
    this.drawn = false;
    // A resized cell needs a redraw even when no new data came (say, paused).
    new ResizeObserver(() => {
      this.drawnVersion = -1;
    }).observe(lossDiv);
  }

  available() {
    return typeof window.Plotly !== "undefined";
  }

  /**
   * Ask for a redraw; it happens now or within THROTTLE_MS. `mark`: the iteration to mark, or null;
   * `dirac`: the target is a Dirac point (no modes or densities to plot, only a distance).
   */
  update(history, logx, mark = null, dirac = false) {
    if (!this.available()) {
      this.lossDiv.textContent = "Curves need plotly.js (served at vendor/plotly.min.js), which did not load.";
      return;
    }
    this.mark(mark);
    if (history.version === this.drawnVersion && logx === this.drawnLog && dirac === this.drawnDirac) return;
    const wait = THROTTLE_MS - (performance.now() - this.lastDraw);
    if (wait > 0) {
      if (!this.pending) this.pending = setTimeout(() => {
        this.pending = null;
        this.update(history, logx, this.marked, dirac);
      }, wait);
      return;
    }
    this.lastDraw = performance.now();
    this.drawnVersion = history.version;
    this.drawnLog = logx;
    this.drawnDirac = dirac;
    this.draw(history, logx, dirac);
  }

  /** Move the marker line (cheap: shapes only, no redraw of the traces). */
  mark(iteration) {
    if (iteration === this.marked) return;
    this.marked = iteration;
    if (!this.drawn || this.markTimer) return;
    this.markTimer = setTimeout(() => {
      this.markTimer = null;
      for (const div of [this.lossDiv, this.metricDiv]) window.Plotly.relayout(div, markLayout(this.marked));
    }, MARK_MS);
  }

  draw(history, logx, dirac) {
    const { losses: raw, metrics: M } = history.lineage();
    const many = history.branches.size > 1;
    const here = history.branches.get(history.branch);
    // With branches, the solid lines say whose they are (shorter names keep the legend on two rows).
    const suffix = many && here ? ` · ${branchName(here)}` : "";
    const name = (long, short) => (suffix ? `${short}${suffix}` : long);
    // Per-iteration losses are noisy (one minibatch each); a short EMA shows the trend.
    const L = { iteration: raw.iteration };
    for (const k of ["d_loss", "g_loss", "d_real", "d_fake"]) L[k] = ema(raw[k], SMOOTHING);
    const xaxis = { title: { text: "iteration" }, type: logx ? "log" : "linear", automargin: true };
    // Size from the container now: the grid row may have changed since the first draw.
    const size = (div) => ({ width: div.clientWidth || undefined, height: div.clientHeight || undefined });
    const layout = (extra) => ({
      margin: { l: 44, r: 44, t: 40, b: 34 },
      font: FONT,
      // Above the plot area, never over the curves.
      legend: { orientation: "h", x: 0, y: 1.0, yanchor: "bottom", font: { size: 10 } },
      xaxis,
      uirevision: "keep", // keep a person's zoom across updates
      // The series arrays grow in place; plotly only re-reads them when this changes.
      datarevision: history.version,
      ...markLayout(this.marked),
      ...extra,
    });
    const line = (x, y, name, color, extra = {}) => ({ x, y, name, type: "scatter", mode: "lines", line: { color, width: 1.5 }, ...extra });
    const others = many ? [...history.branches.values()].filter((b) => b.id !== history.branch) : [];
    // Another branch: its D and G loss dashed and paler, under one legend entry named for it.
    const ghost = (b, x, ys) => ys.map(([y, color], i) => line(x, y, branchName(b), color, {
      legendgroup: `branch-${b.id}`, showlegend: i === 0, opacity: 0.6, line: { color, width: 1.5, dash: "dash" },
    }));
    window.Plotly.react(this.lossDiv, [
      ...others.flatMap((b) => ghost(b, b.losses.iteration,
        [[ema(b.losses.d_loss, SMOOTHING), "#b35806"], [ema(b.losses.g_loss, SMOOTHING), "#0072b2"]])),
      line(L.iteration, L.d_loss, name("D loss (EMA)", "D loss"), "#b35806"),
      line(L.iteration, L.g_loss, name("G loss (EMA)", "G loss"), "#0072b2"),
      line(L.iteration, L.d_real, suffix ? "D(real)" : "mean D(real)", "#111", { yaxis: "y2", line: { dash: "dot", color: "#111", width: 1.2 } }),
      line(L.iteration, L.d_fake, suffix ? "D(fake)" : "mean D(fake)", "#0072b2", { yaxis: "y2", line: { dash: "dot", color: "#56b4e9", width: 1.2 } }),
    ], layout({
      ...size(this.lossDiv),
      yaxis: { title: { text: "loss" }, automargin: true },
      yaxis2: { title: { text: "mean D" }, overlaying: "y", side: "right", automargin: true, showgrid: false },
    }), { displayModeBar: false, responsive: true });

    const traces = [];
    for (const b of others) {
      const f = dirac ? null : modesFraction(b.metrics);
      if (f) traces.push(...ghost(b, b.metrics.iteration, [[f, "#b35806"], [b.metrics.high_quality_fraction || [], "#542788"]]));
    }
    // The branch shown (views/metric-traces.js): both mode rules, the shares, the JS divergence and
    // distances; a Dirac game only its distance to the equilibrium.
    for (const t of metricTraces(M, { dirac })) traces.push(suffix ? { ...t, name: `${t.name}${suffix}` } : t);
    window.Plotly.react(this.metricDiv, traces, layout({
      ...size(this.metricDiv),
      ...metricAxes({ dirac }),
    }), { displayModeBar: false, responsive: true });
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

/** The layout's marker at `iteration` (a dotted vertical line, labelled), or none. */
function markLayout(iteration) {
  if (iteration == null) return { shapes: [], annotations: [] };
  return {
    shapes: [{ type: "line", x0: iteration, x1: iteration, yref: "paper", y0: 0, y1: 1, line: { color: "#c2185b", width: 1.5, dash: "dot" } }],
    annotations: [{ x: iteration, y: 1, yref: "paper", yanchor: "top", xanchor: "left", text: ` ${iteration}`, showarrow: false, font: { size: 10, color: "#c2185b" } }],
  };
}
