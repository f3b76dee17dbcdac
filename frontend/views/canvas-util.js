// Shared drawing helpers for the canvas views: sizing, data->pixel transforms, axes, colour map.
import { COLORS } from "../palette.js";

// Diverging, colour-blind-safe map for D (ColorBrewer PuOr): purple = "looks generated" (D -> 0),
// near white = undecided (D = 0.5), orange = "looks real" (D -> 1).
const PUOR = [
  [45, 0, 75], [84, 39, 136], [128, 115, 172], [178, 171, 210], [216, 218, 235],
  [247, 247, 247],
  [254, 224, 182], [253, 184, 99], [224, 130, 20], [179, 88, 6], [127, 59, 8],
];

// The colours live in ../palette.js (the guide's legend names them too).
export { COLORS };

/** 256-entry RGBA lookup table for t in [0, 1] (t = 0.5 is the undecided white). */
export function divergingLut(alpha = 255) {
  const lut = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (PUOR.length - 1);
    const k = Math.min(Math.floor(t), PUOR.length - 2);
    const f = t - k;
    for (let c = 0; c < 3; c++) lut[i * 4 + c] = PUOR[k][c] * (1 - f) + PUOR[k + 1][c] * f;
    lut[i * 4 + 3] = alpha;
  }
  return lut;
}

export function lutCss(lut, t) {
  const i = Math.max(0, Math.min(255, Math.round(t * 255))) * 4;
  return `rgb(${lut[i]},${lut[i + 1]},${lut[i + 2]})`;
}

/** Match the canvas backing store to its CSS size (crisp on HiDPI). Returns {w, h} in CSS px. */
export function fitCanvas(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, canvas.clientWidth);
  const h = Math.max(1, canvas.clientHeight);
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, w, h };
}

/** Linear map from data box [x0,x1]x[y0,y1] to the pixel box {left, top, width, height}. */
export function makeTransform(box, x0, x1, y0, y1) {
  const sx = box.width / (x1 - x0 || 1);
  const sy = box.height / (y1 - y0 || 1);
  return {
    box, x0, x1, y0, y1, sx, sy,
    px: (x) => box.left + (x - x0) * sx,
    py: (y) => box.top + box.height - (y - y0) * sy,
    dx: (x) => x0 + (x - box.left) / sx,
    dy: (y) => y0 + (box.top + box.height - y) / sy,
  };
}

/** About `count` round tick values between lo and hi. */
export function ticks(lo, hi, count = 5) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const out = [];
  // Multiply, never accumulate: repeated += step drifts to ticks like -6e-17.
  for (let k = Math.ceil(lo / step); k * step <= hi + 1e-9 * span; k++) out.push(Number((k * step).toPrecision(10)));
  return out;
}

export function formatTick(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(3)));
}

/** Frame, grid lines and tick labels for transform T. */
export function drawAxes(ctx, T, { xLabel = "", yLabel = "", yTicks = true } = {}) {
  const { box } = T;
  ctx.save();
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = COLORS.axis;
  ctx.strokeStyle = COLORS.grid;
  ctx.lineWidth = 1;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const v of ticks(T.x0, T.x1, Math.max(3, Math.floor(box.width / 70)))) {
    const x = T.px(v);
    ctx.beginPath();
    ctx.moveTo(x, box.top);
    ctx.lineTo(x, box.top + box.height);
    ctx.stroke();
    ctx.fillText(formatTick(v), x, box.top + box.height + 3);
  }
  if (yTicks) {
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of ticks(T.y0, T.y1, Math.max(3, Math.floor(box.height / 60)))) {
      const y = T.py(v);
      ctx.beginPath();
      ctx.moveTo(box.left, y);
      ctx.lineTo(box.left + box.width, y);
      ctx.stroke();
      ctx.fillText(formatTick(v), box.left - 4, y);
    }
  }
  ctx.strokeStyle = "#999";
  ctx.strokeRect(box.left, box.top, box.width, box.height);
  if (xLabel) {
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(xLabel, box.left + box.width / 2, box.top + box.height + 30);
  }
  if (yLabel) {
    ctx.translate(box.left - 34, box.top + box.height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(yLabel, 0, 0);
  }
  ctx.restore();
}

/** Message in the middle of an empty view. */
export function drawEmpty(ctx, w, h, text) {
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = "#777";
  ctx.font = "14px system-ui, sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(text, w / 2, h / 2);
}
