// Loss and metric curves (plotly, redrawn at most every THROTTLE_MS: curves change slowly and
// plotly costs milliseconds per redraw that the main view needs more).
const THROTTLE_MS = 500;

const SMOOTHING = 0.1; // EMA weight of the newest point in the loss curves

function ema(values, alpha) {
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
    this.pending = null;
    // A resized cell needs a redraw even when no new data came (say, paused).
    new ResizeObserver(() => {
      this.drawnVersion = -1;
    }).observe(lossDiv);
  }

  available() {
    return typeof window.Plotly !== "undefined";
  }

  /** Ask for a redraw; it happens now or within THROTTLE_MS. */
  update(history, logx) {
    if (!this.available()) {
      this.lossDiv.textContent = "Curves need plotly.js (served at vendor/plotly.min.js), which did not load.";
      return;
    }
    if (history.version === this.drawnVersion && logx === this.drawnLog) return;
    const wait = THROTTLE_MS - (performance.now() - this.lastDraw);
    if (wait > 0) {
      if (!this.pending) this.pending = setTimeout(() => {
        this.pending = null;
        this.update(history, logx);
      }, wait);
      return;
    }
    this.lastDraw = performance.now();
    this.drawnVersion = history.version;
    this.drawnLog = logx;
    this.draw(history, logx);
  }

  draw(history, logx) {
    const raw = history.losses;
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
      ...extra,
    });
    const line = (x, y, name, color, extra = {}) => ({ x, y, name, type: "scatter", mode: "lines", line: { color, width: 1.5 }, ...extra });
    window.Plotly.react(this.lossDiv, [
      line(L.iteration, L.d_loss, "D loss (EMA)", "#b35806"),
      line(L.iteration, L.g_loss, "G loss (EMA)", "#0072b2"),
      line(L.iteration, L.d_real, "mean D(real)", "#111", { yaxis: "y2", line: { dash: "dot", color: "#111", width: 1.2 } }),
      line(L.iteration, L.d_fake, "mean D(fake)", "#0072b2", { yaxis: "y2", line: { dash: "dot", color: "#56b4e9", width: 1.2 } }),
    ], layout({
      ...size(this.lossDiv),
      yaxis: { title: { text: "loss" }, automargin: true },
      yaxis2: { title: { text: "mean D" }, overlaying: "y", side: "right", automargin: true, showgrid: false },
    }), { displayModeBar: false, responsive: true });

    const M = history.metrics;
    const traces = [];
    if (M.modes_captured && M.modes_total) {
      const frac = M.modes_captured.map((v, i) => (v == null || !M.modes_total[i] ? null : v / M.modes_total[i]));
      traces.push(line(M.iteration, frac, "modes captured (fraction)", "#b35806", { customdata: M.modes_captured, hovertemplate: "%{customdata} modes<extra></extra>" }));
    }
    if (M.high_quality_fraction) traces.push(line(M.iteration, M.high_quality_fraction, "high-quality fraction", "#542788"));
    if (M.sample_distance) traces.push(line(M.iteration, M.sample_distance, "sample distance", "#009e73", { yaxis: "y2" }));
    if (M.distance_to_equilibrium) traces.push(line(M.iteration, M.distance_to_equilibrium, "distance to equilibrium", "#cc79a7", { yaxis: "y2" }));
    window.Plotly.react(this.metricDiv, traces, layout({
      ...size(this.metricDiv),
      yaxis: { title: { text: "fraction" }, range: [0, 1.05], automargin: true },
      yaxis2: { title: { text: "distance" }, overlaying: "y", side: "right", automargin: true, showgrid: false, rangemode: "tozero" },
    }), { displayModeBar: false, responsive: true });
  }
}
