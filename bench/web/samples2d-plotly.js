// The 2D main view drawn with Plotly.react (heatmap + scattergl), kept so bench/bench_render.py
// can measure it against the page's canvas renderer on the same frames. Not part of the page:
// bench_render.py routes <lab>/bench/* to bench/web/, so the imports below reach the lab's own
// modules (one level up from /bench/ is the lab's root). The canvas view is the page's because it
// measured faster.
import { COLORS, divergingLut, lutCss } from "../static/views/canvas-util.js";
import { surfaceRange } from "../static/views/samples2d.js";

const STOPS = 11; // colour-scale stops sampled from the page's map (its 11 ColorBrewer colours)

/** Plotly colorscale form of the page's D colour map. */
function plotlyColorscale() {
  const lut = divergingLut(255);
  return Array.from({ length: STOPS }, (_, i) => [i / (STOPS - 1), lutCss(lut, i / (STOPS - 1))]);
}

function hasWebGL() {
  try {
    return Boolean(document.createElement("canvas").getContext("webgl"));
  } catch {
    return false;
  }
}

export class Samples2DPlotlyView {
  constructor(div) {
    this.div = div;
    this.scatter = null; // "scattergl" where WebGL works, else SVG "scatter" (headless --disable-gpu)
  }

  render(frame, view) {
    if (!frame || frame.header.dim !== 2 || typeof window.Plotly === "undefined") return;
    const { header, arrays } = frame;
    if (!this.scatter) this.scatter = hasWebGL() ? "scattergl" : "scatter";
    const [gy, gx] = arrays.d_surface.shape;
    const z = [];
    for (let r = 0; r < gy; r++) z.push(arrays.d_surface.data.subarray(r * gx, (r + 1) * gx));
    const range = surfaceRange(header, arrays.d_surface);
    const xy = (a) => {
      const n = a.length / 2;
      const x = new Float32Array(n);
      const y = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        x[i] = a[2 * i];
        y[i] = a[2 * i + 1];
      }
      return [x, y];
    };
    const traces = [];
    if (view.layers.heatmap) {
      traces.push({ type: "heatmap", x: arrays.grid_x.data, y: arrays.grid_y.data, z, zmin: range.lo, zmax: range.hi,
        colorscale: plotlyColorscale(), opacity: 0.67, colorbar: { title: { text: "D" }, len: 0.6 } });
    }
    if (view.layers.real) {
      const [x, y] = xy(arrays.real.data);
      traces.push({ type: this.scatter, mode: "markers", x, y, name: "real", marker: { size: 4, color: COLORS.real } });
    }
    if (view.layers.arrows && arrays.fake_grad) {
      const f = arrays.fake.data;
      const g = arrays.fake_grad.data;
      const n = f.length / 2;
      const x = new Float32Array(3 * n);
      const y = new Float32Array(3 * n);
      for (let i = 0; i < n; i++) {
        x[3 * i] = f[2 * i];
        y[3 * i] = f[2 * i + 1];
        x[3 * i + 1] = f[2 * i] + 0.1 * g[2 * i];
        y[3 * i + 1] = f[2 * i + 1] + 0.1 * g[2 * i + 1];
        x[3 * i + 2] = NaN; // break between segments
        y[3 * i + 2] = NaN;
      }
      traces.push({ type: this.scatter, mode: "lines", x, y, name: "G grad", line: { color: COLORS.arrow, width: 1 } });
    }
    if (view.layers.fake) {
      const [x, y] = xy(arrays.fake.data);
      traces.push({ type: this.scatter, mode: "markers", x, y, name: "fake",
        marker: { size: 5, color: COLORS.fake, line: { color: COLORS.fakeStroke, width: 1 } } });
    }
    const [xmin, xmax, ymin, ymax] = header.bounds;
    window.Plotly.react(this.div, traces, {
      margin: { l: 36, r: 10, t: 10, b: 30 },
      xaxis: { range: [xmin, xmax] },
      yaxis: { range: [ymin, ymax], scaleanchor: "x" },
      showlegend: false,
      uirevision: "keep",
    }, { displayModeBar: false });
  }
}
