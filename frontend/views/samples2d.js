// 2D main view on a <canvas>: D's value surface as a heatmap (ImageData, scaled up with
// smoothing), its D = 0.5 contour, real and generated samples, the generator's gradient arrows,
// the generator's transformation of a noise grid (manifold), the 2D Dirac game's path (the App's
// trail), and optionally D* as an inset. bench/bench_render.py measured this against Plotly.react.
// The plot frames the target and the generated samples (framing.js); samples still outside get an
// arrow with their count at the edge.
import { COLORS, divergingLut, drawAxes, drawEmpty, fitCanvas, makeTransform } from "./canvas-util.js";
import { countOff, drawOffView, framedSamples, Framer, lockFor, offView } from "./framing.js";
import { dStarLines2d, wrapWords } from "./dstar.js";
import { drawLegend, LEGEND_W, plotLayout } from "./legend2d.js";

const ARROW_FRACTION = 0.06; // the 95th-percentile arrow is this fraction of the plot width

export class Samples2DView {
  /** rule: GET /api/schema's x-view.window (the framing rule). */
  constructor(canvas, rule) {
    this.canvas = canvas;
    this.framer = new Framer(rule);
    this.fitted = null; // the frame, lock and other run's samples the framer last saw
    this.frameWindow = null; // the window drawn last: [xmin, xmax, ymin, ymax]
    this.offView = { fake: 0, real: 0 }; // samples outside it
    this.lut = divergingLut(255);
    this.surface = document.createElement("canvas"); // gx x gy image of D, upscaled on draw
    this.inset = document.createElement("canvas"); // the same for D*
    this.dStarNote = null; // what the D* legend said last ({drawn, title, lines, short}; null: D* not ticked)
  }

  /** trail: the App's PointTrail (the generator point's path), drawn when it has one. */
  render(frame, view, trail = null) {
    const { ctx, w, h } = fitCanvas(this.canvas);
    if (!frame || frame.header.dim !== 2) {
      drawEmpty(ctx, w, h, frame ? "This experiment is 1D: pick the 1D view" : "Waiting for the first frame…");
      return;
    }
    const { header, arrays } = frame;
    const layers = view.layers;
    const now = performance.now();
    // view.frameAlso: another run's samples the window must hold too (compare mode: one window for A and B).
    if (!this.fitted || this.fitted.frame !== frame || this.fitted.lock !== view.lock || this.fitted.also !== view.frameAlso) {
      this.fitted = { frame, lock: view.lock, also: view.frameAlso };
      this.framer.update(header, framedSamples(arrays.fake && arrays.fake.data, view.frameAlso), 2, lockFor(view.lock, 2), now);
    }
    const [xmin, xmax, ymin, ymax] = this.framer.step(now);
    // A square plot area with equal axis scales, so rings look round; the legend beside it, or under
    // it where the canvas is tall and narrow (legend2d.js).
    const { side, under } = plotLayout(w, h);
    const box = { left: 40, top: 8, width: side, height: side };
    const span = Math.max(xmax - xmin, ymax - ymin);
    const cx = (xmin + xmax) / 2;
    const cy = (ymin + ymax) / 2;
    const T = makeTransform(box, cx - span / 2, cx + span / 2, cy - span / 2, cy + span / 2);
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = "#fff";
    ctx.fillRect(box.left, box.top, box.width, box.height);
    ctx.save();
    ctx.beginPath();
    ctx.rect(box.left, box.top, box.width, box.height);
    ctx.clip();
    const range = surfaceRange(header, arrays.d_surface);
    if (layers.heatmap && arrays.d_surface) this.drawSurface(ctx, T, arrays, arrays.d_surface, range, this.surface);
    if (arrays.d_surface) drawContour(ctx, T, arrays, arrays.d_surface, range.mid, "rgba(0,0,0,0.55)", []);
    if (layers.dstar && arrays.d_optimal) drawContour(ctx, T, arrays, arrays.d_optimal, 0.5, COLORS.dStar, [5, 4]);
    if (layers.manifold && arrays.manifold) drawManifold(ctx, T, arrays.manifold);
    const path = trail && trail.xs.length > 1 ? trail : null;
    if (path) drawTrail(ctx, T, path);
    if (layers.arrows && arrays.fake_grad && arrays.fake) drawArrows(ctx, T, arrays.fake.data, arrays.fake_grad.data);
    if (layers.fake && arrays.fake) drawPoints(ctx, T, arrays.fake.data, COLORS.fake, COLORS.fakeStroke, 2.6);
    if (layers.real && arrays.real) {
      // Real data on top, rimmed: a clump of generated samples must not hide the data under it.
      drawPoints(ctx, T, arrays.real.data, COLORS.realRim, null, 3.1);
      drawPoints(ctx, T, arrays.real.data, COLORS.real, null, 2.2);
    }
    ctx.restore();
    const win = [T.x0, T.x1, T.y0, T.y1];
    this.frameWindow = win;
    const fakeOff = offView(layers.fake && arrays.fake ? arrays.fake.data : null, 2, win);
    const realOff = offView(layers.real && arrays.real ? arrays.real.data : null, 2, win);
    this.offView = { fake: countOff(fakeOff), real: countOff(realOff) };
    drawOffView(ctx, T, fakeOff, realOff, { offFake: COLORS.fakeStroke, offReal: COLORS.real });
    drawAxes(ctx, T);
    const legendBottom = drawLegend(ctx, this.lut, box, range, header.d_kind, layers, {
      optimal: Boolean(arrays.d_optimal), path: Boolean(path) }, under);
    // D* goes beside the plot, so it never hides samples, with words saying what it is or why none
    // is drawn (with the legend under the plot there is no room for the inset: the words go under the
    // legend, and D*'s contour on the plot stays).
    this.dStarNote = layers.dstar ? dStarLines2d(header, arrays.d_optimal) : null;
    if (this.dStarNote) this.drawDStar(ctx, T, arrays, w, h, legendBottom, this.dStarNote, under);
  }

  drawSurface(ctx, T, arrays, surf, range, target) {
    const [gy, gx] = surf.shape;
    if (target.width !== gx || target.height !== gy) {
      target.width = gx;
      target.height = gy;
    }
    const sctx = target.getContext("2d");
    const img = sctx.createImageData(gx, gy);
    const px = img.data;
    const lut = this.lut;
    const scale = 255 / (range.hi - range.lo || 1);
    const data = surf.data;
    for (let r = 0; r < gy; r++) {
      const row = (gy - 1 - r) * gx; // image rows run top-down; grid rows run up in y
      for (let c = 0; c < gx; c++) {
        const v = data[r * gx + c];
        const o = (row + c) * 4;
        if (!Number.isFinite(v)) {
          px[o + 3] = 0; // masked (D* where neither density is known): left empty, not painted black
          continue;
        }
        let i = Math.round((v - range.lo) * scale);
        i = (i < 0 ? 0 : i > 255 ? 255 : i) * 4;
        px[o] = lut[i];
        px[o + 1] = lut[i + 1];
        px[o + 2] = lut[i + 2];
        px[o + 3] = 170; // let the white page show through: points stay readable on top
      }
    }
    sctx.putImageData(img, 0, 0);
    const gxs = arrays.grid_x.data;
    const gys = arrays.grid_y.data;
    const hx = gx > 1 ? (gxs[gx - 1] - gxs[0]) / (gx - 1) / 2 : 0.5; // half a cell: grid values are centres
    const hy = gy > 1 ? (gys[gy - 1] - gys[0]) / (gy - 1) / 2 : 0.5;
    const x0 = T.px(gxs[0] - hx);
    const y0 = T.py(gys[gy - 1] + hy);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(target, x0, y0, T.px(gxs[gx - 1] + hx) - x0, T.py(gys[0] - hy) - y0);
  }

  /**
   * The D* inset (a heatmap of D* over the same window) with its title above and its lines below:
   * in a column of its own right of the legend where the canvas is wide enough, else under the
   * legend; with the legend `under` the plot, only the words, under it.
   */
  drawDStar(ctx, T, arrays, w, h, legendBottom, note, under) {
    const { box } = T;
    const besideLegend = box.left + box.width + 10 + LEGEND_W;
    const wide = !under && w - besideLegend - 4 >= 120;
    const left = under ? box.left : wide ? besideLegend : box.left + box.width + 10;
    const top = wide ? box.top : legendBottom;
    const width = Math.min(w - left - 4, under ? box.width : 200);
    if (width < 40) return;
    ctx.font = "11px system-ui, sans-serif";
    ctx.textAlign = "left";
    ctx.textBaseline = "bottom";
    ctx.fillStyle = COLORS.dStar;
    const room = (lines) => lines.flatMap((l) => wrapWords(ctx, l, width));
    const title = room([note.title]);
    let rows = room(note.lines);
    const drawn = note.drawn && !under;
    const inset = (n) => (drawn ? Math.min(width, h - top - 24 - 13 * (n + title.length - 1)) : 0);
    // Too little height for the inset and every line, or for the lines alone: the short words.
    if ((drawn && inset(rows.length) < 40) || (!drawn && top + 18 + 13 * (rows.length + title.length) > h)) {
      rows = room(note.short);
    }
    const s = inset(rows.length);
    title.forEach((row, i) => ctx.fillText(row, left, top + 14 + 13 * i));
    let y = top + 16 + 13 * (title.length - 1);
    if (drawn && s >= 40) {
      const ib = { left, top: y, width: s, height: s };
      const IT = makeTransform(ib, T.x0, T.x1, T.y0, T.y1);
      ctx.save();
      ctx.fillStyle = "#fff";
      ctx.fillRect(ib.left, ib.top, s, s);
      ctx.beginPath();
      ctx.rect(ib.left, ib.top, s, s);
      ctx.clip();
      this.drawSurface(ctx, IT, arrays, arrays.d_optimal, { lo: 0, hi: 1, mid: 0.5 }, this.inset);
      ctx.restore();
      ctx.strokeStyle = COLORS.dStar;
      ctx.strokeRect(ib.left, ib.top, s, s);
      y += s + 2;
    }
    ctx.fillStyle = "#333";
    for (const row of rows) {
      y += 13;
      if (y > h - 1) break;
      ctx.fillText(row, left, y);
    }
  }
}

/** Colour range: [0, 1] around 0.5 for probabilities; symmetric around 0 for a critic's scores. */
export function surfaceRange(header, surf) {
  if (header.d_kind !== "score" || !surf) return { lo: 0, hi: 1, mid: 0.5 };
  let m = 1e-6;
  for (const v of surf.data) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
  return { lo: -m, hi: m, mid: 0 };
}

function drawPoints(ctx, T, data, fill, stroke, r) {
  // One path for all points: hundreds of separate fill() calls would dominate the frame time.
  ctx.beginPath();
  for (let i = 0; i + 1 < data.length; i += 2) {
    const x = T.px(data[i]);
    const y = T.py(data[i + 1]);
    ctx.moveTo(x + r, y);
    ctx.arc(x, y, r, 0, 2 * Math.PI);
  }
  ctx.fillStyle = fill;
  ctx.fill();
  if (stroke) {
    ctx.strokeStyle = stroke;
    ctx.lineWidth = 1;
    ctx.stroke();
  }
}

function drawArrows(ctx, T, fake, grad) {
  const n = Math.min(fake.length, grad.length) / 2;
  const norms = new Float32Array(n);
  for (let i = 0; i < n; i++) norms[i] = Math.hypot(grad[2 * i], grad[2 * i + 1]);
  const sorted = Float32Array.from(norms).sort();
  const ref = sorted[Math.floor(0.95 * (n - 1))] || 0;
  if (!(ref > 0) || !Number.isFinite(ref)) return;
  const scale = (ARROW_FRACTION * T.box.width) / ref; // px per unit of gradient
  ctx.strokeStyle = COLORS.arrow;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let i = 0; i < n; i++) {
    const len = Math.min(norms[i] * scale, 2.5 * ARROW_FRACTION * T.box.width);
    if (!(len > 1)) continue;
    const x0 = T.px(fake[2 * i]);
    const y0 = T.py(fake[2 * i + 1]);
    const ux = grad[2 * i] / norms[i];
    const uy = -grad[2 * i + 1] / norms[i]; // screen y points down
    const x1 = x0 + ux * len;
    const y1 = y0 + uy * len;
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
    const head = Math.min(4, len * 0.4);
    ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - head * (ux * 0.88 - uy * 0.47), y1 - head * (uy * 0.88 + ux * 0.47));
    ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - head * (ux * 0.88 + uy * 0.47), y1 - head * (uy * 0.88 - ux * 0.47));
  }
  ctx.stroke();
}

function drawTrail(ctx, T, trail) {
  const n = trail.xs.length;
  const chunks = 8; // older stretches fade, so the direction of travel reads at a glance
  ctx.lineWidth = 1.5;
  for (let c = 0; c < chunks; c++) {
    const a = Math.floor((c * (n - 1)) / chunks);
    const b = Math.floor(((c + 1) * (n - 1)) / chunks);
    if (b <= a) continue;
    ctx.strokeStyle = `rgba(0, 114, 178, ${0.15 + (0.75 * (c + 1)) / chunks})`;
    ctx.beginPath();
    ctx.moveTo(T.px(trail.xs[a]), T.py(trail.ys[a]));
    for (let i = a + 1; i <= b; i++) ctx.lineTo(T.px(trail.xs[i]), T.py(trail.ys[i]));
    ctx.stroke();
  }
}

function drawManifold(ctx, T, manifold) {
  const [m1, m2, dim] = manifold.shape;
  if (dim !== 2) return;
  const d = manifold.data;
  const at = (i, j) => (i * m2 + j) * 2;
  ctx.strokeStyle = COLORS.manifold;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let i = 0; i < m1; i++) {
    for (let j = 0; j < m2; j++) {
      const o = at(i, j);
      if (j === 0) ctx.moveTo(T.px(d[o]), T.py(d[o + 1]));
      else ctx.lineTo(T.px(d[o]), T.py(d[o + 1]));
    }
  }
  if (m2 > 1) {
    for (let j = 0; j < m2; j++) {
      for (let i = 0; i < m1; i++) {
        const o = at(i, j);
        if (i === 0) ctx.moveTo(T.px(d[o]), T.py(d[o + 1]));
        else ctx.lineTo(T.px(d[o]), T.py(d[o + 1]));
      }
    }
  }
  ctx.stroke();
}

/** The `level` contour of a (gy, gx) surface by marching squares, as line segments. */
function drawContour(ctx, T, arrays, surf, level, color, dash) {
  const [gy, gx] = surf.shape;
  const v = surf.data;
  const xs = arrays.grid_x.data;
  const ys = arrays.grid_y.data;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5;
  ctx.setLineDash(dash);
  ctx.beginPath();
  const lerp = (p, q, va, vb) => p + (va / (va - vb)) * (q - p); // va, vb already minus level
  for (let r = 0; r + 1 < gy; r++) {
    for (let c = 0; c + 1 < gx; c++) {
      const a = v[r * gx + c] - level; // corners: a (c, r), b (c+1, r), d (c+1, r+1), e (c, r+1)
      const b = v[r * gx + c + 1] - level;
      const d = v[(r + 1) * gx + c + 1] - level;
      const e = v[(r + 1) * gx + c] - level;
      const pts = [];
      if ((a < 0) !== (b < 0)) pts.push([lerp(xs[c], xs[c + 1], a, b), ys[r]]);
      if ((b < 0) !== (d < 0)) pts.push([xs[c + 1], lerp(ys[r], ys[r + 1], b, d)]);
      if ((d < 0) !== (e < 0)) pts.push([lerp(xs[c + 1], xs[c], d, e), ys[r + 1]]);
      if ((e < 0) !== (a < 0)) pts.push([xs[c], lerp(ys[r + 1], ys[r], e, a)]);
      for (let k = 0; k + 1 < pts.length; k += 2) {
        ctx.moveTo(T.px(pts[k][0]), T.py(pts[k][1]));
        ctx.lineTo(T.px(pts[k + 1][0]), T.py(pts[k + 1][1]));
      }
    }
  }
  ctx.stroke();
  ctx.restore();
}
