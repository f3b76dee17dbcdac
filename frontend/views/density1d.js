// 1D main view: real and generated densities (KDE curves from the frame), the discriminator's
// curve D(x) and the optimal D*(x) on the same x axis, real/fake samples as rug marks.
// The x axis frames the target and the generated samples (framing.js); samples still outside get
// an arrow with their count at the edge.
import { COLORS, drawAxes, drawEmpty, fitCanvas, makeTransform } from "./canvas-util.js";
import { countOff, drawOffView, framedSamples, Framer, lockFor, offView } from "./framing.js";
import { dStarLegend } from "./dstar.js";
import { surfaceRange } from "./samples2d.js";

export class Density1DView {
  /** rule: GET /api/schema's x-view.window (the framing rule). */
  constructor(canvas, rule) {
    this.canvas = canvas;
    this.yMax = 1; // density axis top, eased so the plot does not jump every frame
    this.framer = new Framer(rule);
    this.fitted = null; // the frame, lock and other run's samples the framer last saw
    this.frameWindow = null; // the window drawn last: [xmin, xmax, 0, 1]
    this.offView = { fake: 0, real: 0 }; // samples outside it
  }

  render(frame, view) {
    const { ctx, w, h } = fitCanvas(this.canvas);
    if (!frame || frame.header.dim !== 1) {
      drawEmpty(ctx, w, h, frame ? "This experiment is 2D: pick the 2D view" : "Waiting for the first frame…");
      return;
    }
    const { header, arrays } = frame;
    const now = performance.now();
    const lock = lockFor(view.lock, 1);
    // view.frameAlso: another run's samples the window must hold too (compare mode: one window for A and B).
    if (!this.fitted || this.fitted.frame !== frame || this.fitted.lock !== view.lock || this.fitted.also !== view.frameAlso) {
      this.fitted = { frame, lock: view.lock, also: view.frameAlso };
      this.framer.update(header, framedSamples(arrays.fake && arrays.fake.data, view.frameAlso), 1, lock, now);
    }
    const win = this.framer.step(now);
    this.frameWindow = win.slice();
    const [xmin, xmax] = win;
    const layers = view.layers;
    const items = [
      ["real density", "#333", []],
      ["generated density", COLORS.fakeDensity, []],
      [header.d_kind === "score" ? "critic D(x)" : "D(x)", COLORS.dCurve, []],
    ];
    if (layers.dstar) items.push(dStarLegend(header, arrays.d_optimal));
    const width = Math.max(50, w - 46 - 48);
    // The legend wraps on a narrow screen; the plot starts below its rows.
    const rows = legendRows(ctx, items, width);
    const boxTop = 12 + 15 * rows.length;
    const box = { left: 46, top: boxTop, width, height: Math.max(50, h - boxTop - 42) };
    let top = 1e-6;
    for (const name of ["density_real", "density_fake"]) {
      if (arrays[name]) for (const v of arrays[name].data) if (Number.isFinite(v) && v > top) top = v;
    }
    this.yMax = top > this.yMax || top < this.yMax * 0.6 ? top * 1.1 : this.yMax;
    const T = makeTransform(box, xmin, xmax, 0, this.yMax);
    ctx.clearRect(0, 0, w, h);
    drawAxes(ctx, T, { xLabel: "x", yLabel: "density" });
    const range = surfaceRange(header, arrays.d_surface);
    // D lives on its own axis (right): [0, 1] for probabilities, the critic's range otherwise.
    const DT = makeTransform(box, xmin, xmax, range.lo, range.hi);
    ctx.save();
    ctx.beginPath();
    ctx.rect(box.left, box.top, box.width, box.height);
    ctx.clip();
    if (arrays.density_x) {
      const xs = arrays.density_x.data;
      if (layers.real && arrays.density_real) area(ctx, T, xs, arrays.density_real.data, COLORS.realDensity, "#333");
      if (layers.fake && arrays.density_fake) curve(ctx, T, xs, arrays.density_fake.data, COLORS.fakeDensity, [], 2.5);
    }
    if (layers.heatmap && arrays.d_surface) {
      const mid = DT.py(range.mid);
      ctx.strokeStyle = "rgba(0,0,0,0.25)";
      ctx.setLineDash([2, 3]);
      ctx.beginPath();
      ctx.moveTo(box.left, mid);
      ctx.lineTo(box.left + box.width, mid);
      ctx.stroke();
      ctx.setLineDash([]);
      curve(ctx, DT, arrays.grid_x.data, arrays.d_surface.data, COLORS.dCurve, [], 2);
    }
    if (layers.dstar && arrays.d_optimal) curve(ctx, DT, arrays.grid_x.data, arrays.d_optimal.data, COLORS.dStar, [6, 4], 2);
    if (layers.real && arrays.real) rug(ctx, T, arrays.real.data, box.top + box.height - 1, -6, "rgba(0,0,0,0.35)");
    if (layers.fake && arrays.fake) rug(ctx, T, arrays.fake.data, box.top + box.height - 8, -6, "rgba(0,114,178,0.45)");
    ctx.restore();
    const fakeOff = offView(layers.fake && arrays.fake ? arrays.fake.data : null, 1, win);
    const realOff = offView(layers.real && arrays.real ? arrays.real.data : null, 1, win);
    this.offView = { fake: countOff(fakeOff), real: countOff(realOff) };
    drawOffView(ctx, T, fakeOff, realOff, { offFake: COLORS.fakeDensity, offReal: "#333" }, box.top + box.height - 34);
    // Right axis for D.
    ctx.fillStyle = COLORS.dCurve;
    ctx.font = "11px system-ui, sans-serif";
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    for (const v of [range.lo, range.mid, range.hi]) {
      ctx.fillText(Number(v.toPrecision(2)).toString(), box.left + box.width + 4, DT.py(v));
    }
    legend(ctx, box, rows);
  }
}

function path(ctx, T, xs, ys) {
  let started = false;
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(ys[i])) {
      started = false;
      continue;
    }
    if (!started) ctx.moveTo(T.px(xs[i]), T.py(ys[i]));
    else ctx.lineTo(T.px(xs[i]), T.py(ys[i]));
    started = true;
  }
}

function curve(ctx, T, xs, ys, color, dash, width) {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.setLineDash(dash);
  ctx.beginPath();
  path(ctx, T, xs, ys);
  ctx.stroke();
  ctx.restore();
}

function area(ctx, T, xs, ys, fill, stroke) {
  ctx.beginPath();
  ctx.moveTo(T.px(xs[0]), T.py(0));
  for (let i = 0; i < xs.length; i++) ctx.lineTo(T.px(xs[i]), T.py(Number.isFinite(ys[i]) ? ys[i] : 0));
  ctx.lineTo(T.px(xs[xs.length - 1]), T.py(0));
  ctx.fillStyle = fill;
  ctx.fill();
  curve(ctx, T, xs, ys, stroke, [], 1.5);
}

function rug(ctx, T, data, y, len, color) {
  ctx.strokeStyle = color;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let i = 0; i < data.length; i++) {
    const x = T.px(data[i]);
    ctx.moveTo(x, y);
    ctx.lineTo(x, y + len);
  }
  ctx.stroke();
}

const LEGEND_FONT = "11px system-ui, sans-serif";

/** items split into rows that fit `width` pixels (each row: [[text, color, dash], ...]). */
function legendRows(ctx, items, width) {
  ctx.font = LEGEND_FONT;
  const rows = [[]];
  let used = 0;
  for (const item of items) {
    const w = 30 + ctx.measureText(item[0]).width;
    if (used + w > width && rows[rows.length - 1].length) {
      rows.push([]);
      used = 0;
    }
    rows[rows.length - 1].push(item);
    used += w;
  }
  return rows;
}

function legend(ctx, box, rows) {
  rows.forEach((row, i) => legendRow(ctx, box.left, box.top - 13 - 15 * (rows.length - 1 - i), row));
}

function legendRow(ctx, x0, y, items) {
  ctx.font = LEGEND_FONT;
  ctx.textBaseline = "middle";
  ctx.textAlign = "left";
  let x = x0;
  for (const [text, color, dash] of items) {
    ctx.save();
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.setLineDash(dash);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 18, y);
    ctx.stroke();
    ctx.restore();
    ctx.fillStyle = "#333";
    ctx.fillText(text, x + 22, y);
    x += 30 + ctx.measureText(text).width;
  }
}
