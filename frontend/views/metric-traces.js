// What the metrics chart plots, as plotly traces: pure, no DOM. Both mode-capture rules
// (gan_core.engine.metrics: the published ">= 1 high-quality sample nearest the mode" and the
// lab's strict share), the high-quality and off-mode shares, and the JS divergence between the
// real and generated densities (js_grid, nats; bounded by ln 2, so it shares the 0..1 axis), all
// on the left axis; distances on the right. A Dirac game has one point for a target: its mode
// lines and densities mean nothing, so only its distance to the equilibrium is drawn.

export const LN2 = Math.log(2);

// Legend names (the browser tests read them).
export const METRIC_LABELS = Object.freeze({
  modes: "modes (≥ 1 sample)",
  modesStrict: "modes (strict)",
  highQuality: "high quality",
  offMode: "off-mode",
  js: "JS (nats, ≤ ln 2)",
  sampleDistance: "sample distance",
  equilibrium: "distance to equilibrium",
});

function line(x, y, name, color, { dash = "solid", ...extra } = {}) {
  return { x, y, name, type: "scatter", mode: "lines", line: { color, width: 1.5, dash }, ...extra };
}

/** Fraction of the target's modes, with the count on hover. */
function modeShare(M, key, name, color, dash) {
  const frac = M[key].map((v, i) => (v == null || !M.modes_total[i] ? null : v / M.modes_total[i]));
  return line(M.iteration, frac, name, color, {
    dash, customdata: M[key].map((v, i) => [v, M.modes_total[i]]),
    hovertemplate: `${name}: %{customdata[0]} of %{customdata[1]}<extra></extra>`,
  });
}

/**
 * Traces for metric series M (History.metrics: key -> array aligned with M.iteration).
 * dirac: the target is a Dirac point (mode lines, shares and JS left out).
 */
export function metricTraces(M, { dirac = false } = {}) {
  const traces = [];
  if (!dirac) {
    if (M.modes_captured && M.modes_total) traces.push(modeShare(M, "modes_captured", METRIC_LABELS.modes, "#b35806", "solid"));
    if (M.modes_captured_strict && M.modes_total) {
      traces.push(modeShare(M, "modes_captured_strict", METRIC_LABELS.modesStrict, "#b35806", "dot"));
    }
    if (M.high_quality_fraction) traces.push(line(M.iteration, M.high_quality_fraction, METRIC_LABELS.highQuality, "#542788"));
    if (M.off_mode_fraction) {
      traces.push(line(M.iteration, M.off_mode_fraction, METRIC_LABELS.offMode, "#998ec3", { dash: "dot" }));
    }
    if (M.js_grid) traces.push(line(M.iteration, M.js_grid, METRIC_LABELS.js, "#d6604d", { dash: "dash" }));
    if (M.sample_distance) traces.push(line(M.iteration, M.sample_distance, METRIC_LABELS.sampleDistance, "#009e73", { yaxis: "y2" }));
  }
  if (M.distance_to_equilibrium) {
    traces.push(line(M.iteration, M.distance_to_equilibrium, METRIC_LABELS.equilibrium, "#cc79a7", { yaxis: dirac ? "y" : "y2" }));
  }
  return traces;
}

/** The chart's y axes for metricTraces(M, {dirac}): shares and JS on 0..1, distances from 0. */
export function metricAxes({ dirac = false } = {}) {
  if (dirac) return { yaxis: { title: { text: "distance" }, rangemode: "tozero", automargin: true } };
  return {
    yaxis: { title: { text: "share · JS (nats)" }, range: [0, 1.05], automargin: true },
    yaxis2: { title: { text: "distance" }, overlaying: "y", side: "right", automargin: true, showgrid: false, rangemode: "tozero" },
  };
}
