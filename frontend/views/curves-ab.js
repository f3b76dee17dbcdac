// A comparison's curves: A and B overlaid in one loss chart and one metric chart, one legend each
// (A solid, B dashed, the same colour per quantity), redrawn at most every THROTTLE_MS like the
// single run's curves (views/curves.js).
import { ema } from "./curves.js";

const THROTTLE_MS = 500;
const SMOOTHING = 0.1;
const FONT = { family: "system-ui, sans-serif", size: 11 };
const SIDES = [["A", "solid", 1.8], ["B", "dash", 1.8]];

function line(x, y, name, color, dash, width, extra = {}) {
  return { x, y, name, type: "scatter", mode: "lines", line: { color, dash, width }, ...extra };
}

export class CompareCurves {
  constructor(lossDiv, metricDiv) {
    this.lossDiv = lossDiv;
    this.metricDiv = metricDiv;
    this.lastDraw = 0;
    this.drawn = null;
    this.pending = null;
    this.asked = null;
  }

  /** Draw next time, even without new data (the single run's charts were shown meanwhile). */
  invalidate() {
    this.drawn = null;
  }

  /** `dirac`: the target is a Dirac point (no modes or sample shares: only the distance to the
   * equilibrium means something, as in the single run's chart). */
  update(a, b, logx, dirac = false) {
    if (typeof window.Plotly === "undefined") return;
    const key = `${a.version}/${b.version}/${logx}/${dirac}`;
    if (key === this.drawn) return;
    const wait = THROTTLE_MS - (performance.now() - this.lastDraw);
    if (wait > 0) {
      this.asked = [a, b, logx, dirac]; // the timer draws the last asked-for state (as CurvesView)
      if (!this.pending) this.pending = setTimeout(() => {
        this.pending = null;
        this.update(...this.asked);
      }, wait);
      return;
    }
    this.lastDraw = performance.now();
    this.drawn = key;
    this.draw({ A: a, B: b }, logx, dirac);
  }

  draw(runs, logx, dirac) {
    const layout = (div, extra) => ({
      margin: { l: 44, r: 44, t: 40, b: 34 }, font: FONT,
      width: div.clientWidth || undefined, height: div.clientHeight || undefined,
      legend: { orientation: "h", x: 0, y: 1.0, yanchor: "bottom", font: { size: 10 } },
      xaxis: { title: { text: "iteration" }, type: logx ? "log" : "linear", automargin: true },
      uirevision: "compare", datarevision: `${runs.A.version}/${runs.B.version}`, ...extra,
    });
    const losses = [];
    const metrics = [];
    for (const [side, dash, width] of SIDES) {
      const L = runs[side].losses;
      losses.push(line(L.iteration, ema(L.d_loss, SMOOTHING), `${side} D loss`, "#b35806", dash, width));
      losses.push(line(L.iteration, ema(L.g_loss, SMOOTHING), `${side} G loss`, "#0072b2", dash, width));
      const M = runs[side].metrics;
      if (M.modes_captured && M.modes_total && !dirac) {
        const frac = M.modes_captured.map((v, i) => (v == null || !M.modes_total[i] ? null : v / M.modes_total[i]));
        metrics.push(line(M.iteration, frac, `${side} modes`, "#b35806", dash, width));
      }
      if (M.high_quality_fraction && !dirac) {
        metrics.push(line(M.iteration, M.high_quality_fraction, `${side} high-quality`, "#542788", dash, width));
      }
      if (M.sample_distance && !dirac) {
        metrics.push(line(M.iteration, M.sample_distance, `${side} distance`, "#009e73", dash, width, { yaxis: "y2" }));
      }
      if (M.distance_to_equilibrium) {
        metrics.push(line(M.iteration, M.distance_to_equilibrium, `${side} to equilibrium`, "#cc79a7", dash,
          width, dirac ? {} : { yaxis: "y2" }));
      }
    }
    const config = { displayModeBar: false, responsive: true };
    window.Plotly.react(this.lossDiv, losses, layout(this.lossDiv, { yaxis: { title: { text: "loss (EMA)" }, automargin: true } }),
      config);
    window.Plotly.react(this.metricDiv, metrics, layout(this.metricDiv, dirac
      ? { yaxis: { title: { text: "distance to equilibrium" }, automargin: true, rangemode: "tozero" } }
      : {
        yaxis: { title: { text: "fraction" }, range: [0, 1.05], automargin: true },
        yaxis2: { title: { text: "distance" }, overlaying: "y", side: "right", automargin: true, showgrid: false, rangemode: "tozero" },
      }), config);
  }
}
