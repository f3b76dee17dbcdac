// The 2D view's legend: D's colour bar (its "real" and "fake" ends and the undecided level drawn on
// the plot as a contour) and one row per mark the picture shows. Beside the plot where the canvas
// is wide enough; under it where the canvas is tall and narrow (an A/B pane on a laptop or a
// projector), where the plot then takes the canvas's whole width.
import { COLORS, lutCss } from "./canvas-util.js";

export const LEGEND_W = 84; // px reserved right of the plot for the legend beside it
const BESIDE_H = 36; // px reserved under the plot beside-wise: the x axis' tick labels, a margin
const UNDER_H = 84; // px under the plot when the legend goes there: tick labels, the bar, two rows of marks
const AXIS_W = 48; // px for the y axis' tick labels (left) and a margin (right)
const UNDER_GAIN = 1.15; // under only where the plot grows by this factor at least: beside is the usual place
const FONT = "11px system-ui, sans-serif";

/** The plot's square side (px) in a w x h canvas, and whether the legend goes under it. */
export function plotLayout(w, h) {
  const beside = Math.min(w - LEGEND_W - 44, h - BESIDE_H);
  const under = Math.min(w - AXIS_W, h - UNDER_H);
  return under > beside * UNDER_GAIN ? { side: Math.max(50, under), under: true } : { side: Math.max(50, beside), under: false };
}

/** The marks the picture shows, each [draw its symbol at (x, y), its name]. has: {optimal, path}. */
function marks(ctx, kind, layers, has) {
  const out = [];
  if (layers.real) out.push([(a, b) => dot(ctx, a, b, 3, COLORS.real, null), "real"]);
  if (layers.fake) out.push([(a, b) => dot(ctx, a, b, 3.2, COLORS.fake, COLORS.fakeStroke), "fake"]);
  if (layers.arrows) out.push([(a, b) => arrowSeg(ctx, a - 6, b, a + 6, b), "G grad"]);
  if (layers.manifold) out.push([(a, b) => line(ctx, a - 7, b, a + 7, b, COLORS.manifold, []), "G(z grid)"]);
  out.push([(a, b) => line(ctx, a - 7, b, a + 7, b, "rgba(0,0,0,0.55)", []), kind === "probability" ? "D = ½" : "critic = 0"]);
  if (has.path) out.push([(a, b) => line(ctx, a - 7, b, a + 7, b, COLORS.fakeDensity, []), "G's path"]);
  if (layers.dstar && has.optimal) out.push([(a, b) => line(ctx, a - 7, b, a + 7, b, COLORS.dStar, [3, 2]), "D* = ½"]);
  return out;
}

/** Draw the legend for the plot in `box` (beside it, or `under` it); returns the y (px) below it. */
export function drawLegend(ctx, lut, box, range, kind, layers, has, under) {
  ctx.font = FONT;
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  const label = (v) => (kind === "probability" ? String(v) : Number(v.toPrecision(2)).toString());
  const title = kind === "probability" ? "D(x)" : "critic";
  const midText = kind === "probability" ? "0.5" : label(range.mid);
  const midAt = (range.mid - range.lo) / (range.hi - range.lo || 1); // 0 at the fake end, 1 at the real end
  const rows = marks(ctx, kind, layers, has);
  return under ? legendUnder(ctx, lut, box, range, { title, label, midText, midAt }, rows)
    : legendBeside(ctx, lut, box, range, { title, label, midText, midAt }, rows);
}

function legendBeside(ctx, lut, box, range, t, rows) {
  const x = box.left + box.width + 14;
  const top = box.top + 22;
  ctx.fillStyle = "#333";
  ctx.fillText(t.title, x - 2, box.top + 8);
  const barH = Math.min(180, box.height * 0.5);
  for (let i = 0; i < barH; i++) {
    ctx.fillStyle = lutCss(lut, 1 - i / (barH - 1));
    ctx.fillRect(x, top + i, 14, 1);
  }
  ctx.strokeStyle = "#999";
  ctx.strokeRect(x, top, 14, barH);
  ctx.fillStyle = "#333";
  ctx.fillText(`${t.label(range.hi)} real`, x + 18, top);
  ctx.fillText(`${t.label(range.lo)} fake`, x + 18, top + barH);
  const midY = top + barH * (1 - t.midAt);
  ctx.fillRect(x - 3, midY, 20, 1.5);
  ctx.fillText(t.midText, x + 18, midY);
  let y = top + barH + 22;
  for (const [sym, text] of rows) {
    sym(x + 7, y);
    ctx.fillStyle = "#333";
    ctx.fillText(text, x + 18, y);
    y += 17;
  }
  return y;
}

/** Under the plot: "D(x) 0 fake [bar] 1 real" on one line, the marks flowing on the lines below. */
function legendUnder(ctx, lut, box, range, t, rows) {
  let y = box.top + box.height + 30; // under the x axis' tick labels
  let x = box.left;
  ctx.fillStyle = "#333";
  ctx.fillText(t.title, x, y);
  x += ctx.measureText(t.title).width + 10;
  const fake = `${t.label(range.lo)} fake`;
  ctx.fillText(fake, x, y);
  x += ctx.measureText(fake).width + 6;
  const barW = Math.max(60, Math.min(180, box.width * 0.4));
  for (let i = 0; i < barW; i++) {
    ctx.fillStyle = lutCss(lut, i / (barW - 1));
    ctx.fillRect(x + i, y - 6, 1, 12);
  }
  ctx.strokeStyle = "#999";
  ctx.strokeRect(x, y - 6, barW, 12);
  ctx.fillStyle = "#333";
  ctx.fillRect(x + barW * t.midAt - 0.75, y - 9, 1.5, 18); // the undecided level
  ctx.fillText(`${t.label(range.hi)} real`, x + barW + 6, y);
  y += 20;
  x = box.left;
  for (const [sym, text] of rows) {
    const width = 18 + ctx.measureText(text).width + 14;
    if (x > box.left && x + width > box.left + box.width) {
      x = box.left;
      y += 17;
    }
    sym(x + 7, y);
    ctx.fillStyle = "#333";
    ctx.fillText(text, x + 18, y);
    x += width;
  }
  return y + 10;
}

function dot(ctx, x, y, r, fill, stroke) {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fillStyle = fill;
  ctx.fill();
  if (stroke) {
    ctx.strokeStyle = stroke;
    ctx.lineWidth = 1.2;
    ctx.stroke();
  }
}

function line(ctx, x0, y0, x1, y1, color, dash) {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5;
  ctx.setLineDash(dash);
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
  ctx.restore();
}

function arrowSeg(ctx, x0, y0, x1, y1) {
  ctx.strokeStyle = COLORS.arrow;
  ctx.lineWidth = 1.2;
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  const a = Math.atan2(y1 - y0, x1 - x0);
  ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - 4 * Math.cos(a - 0.5), y1 - 4 * Math.sin(a - 0.5));
  ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - 4 * Math.cos(a + 0.5), y1 - 4 * Math.sin(a + 0.5));
  ctx.stroke();
}
