// The stability map: one square per cell of a sweep, coloured by how its runs ended, with a letter
// (readable without colour) and, with several seeds, how many agree; with a metric chosen, each
// square's shade says its value (pale = low, deep = high; striped: no value). Squares still training stay
// grey and fill in as the server posts them. A ring marks where the lab's current run sits; the
// square under the pointer gets an outline. Rows are the first setting (top to bottom, as
// `toygan sweep` prints them), columns the second.
import { fitCanvas, drawEmpty } from "./canvas-util.js";
import { OUTCOME, WAITING, formatValue, mapShape, settingName, shadeColor, shadeScale } from "../sweep.js";

const MAX_CELL = 84; // px: a 3x3 map stays a map, not three posters
const DARK_INK = new Set(["oscillating", "collapsed", "stalled"]); // light squares take dark letters
const FONT = "system-ui, sans-serif";

export class StabilityMapView {
  constructor(canvas) {
    this.canvas = canvas;
    this.layout = null; // the last drawing's geometry, for cellAt()
  }

  /** Draw `sweep` (app.sweep); `here` is currentPosition() or null; `hover` a cell index or null. */
  render(sweep, here) {
    const { ctx, w, h } = fitCanvas(this.canvas);
    this.layout = null;
    if (!sweep.axes.length) {
      drawEmpty(ctx, w, h, "Choose settings and press “Draw the map”.");
      return;
    }
    const { rows, cols } = mapShape(sweep.axes);
    const nrow = rows ? rows.values.length : 1;
    const ncol = cols.values.length;
    ctx.font = `12px ${FONT}`;
    const rowLabels = rows ? rows.values.map(formatValue) : [];
    const labelW = rows ? Math.max(...rowLabels.map((t) => ctx.measureText(t).width)) : 0;
    const left = rows ? labelW + 30 : 8; // row labels, and the rotated title left of them
    const bottom = 40; // column labels, then the title
    const cell = Math.max(8, Math.min(MAX_CELL, (w - left - 8) / ncol, (h - bottom - 6) / nrow));
    const gridW = cell * ncol;
    const x0 = left + Math.max(0, (w - left - 8 - gridW) / 2);
    const y0 = 4;
    this.layout = { x0, y0, cell, nrow, ncol };
    ctx.clearRect(0, 0, w, h);
    const shade = shadeScale(sweep, sweep.shade);

    for (let i = 0; i < nrow * ncol; i++) {
      const r = Math.floor(i / ncol);
      const c = i % ncol;
      const x = x0 + c * cell;
      const y = y0 + r * cell;
      const got = sweep.cells[i];
      const o = got ? OUTCOME[got.outcome] : null;
      const level = got && shade ? shade.level(got.metrics[sweep.shade]) : null;
      ctx.fillStyle = o ? shadeColor(o.color, level) : WAITING.color;
      ctx.fillRect(x + 1, y + 1, cell - 2, cell - 2);
      if (got && shade && level === null) this.stripes(x, y, cell);
      if (!got || cell < 14) continue;
      const ink = DARK_INK.has(got.outcome) || (level !== null && level < 0.5) ? "#1d1d1f" : "#ffffff";
      ctx.fillStyle = ink;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      const several = got.outcomes.length > 1 && cell >= 36;
      ctx.font = `600 ${Math.round(Math.min(20, cell * 0.36))}px ${FONT}`;
      ctx.fillText(o.letter, x + cell / 2, y + cell / 2 - (several ? cell * 0.12 : 0));
      if (several) {
        const agree = got.outcomes.filter((k) => k === got.outcome).length;
        ctx.font = `${Math.round(Math.min(12, cell * 0.2))}px ${FONT}`;
        ctx.fillText(`${agree}/${got.outcomes.length}`, x + cell / 2, y + cell * 0.74);
      }
    }

    if (sweep.hover !== null && sweep.hover < nrow * ncol) {
      const r = Math.floor(sweep.hover / ncol);
      const c = sweep.hover % ncol;
      ctx.strokeStyle = "#1d1d1f";
      ctx.lineWidth = 2.5;
      ctx.strokeRect(x0 + c * cell + 1.5, y0 + r * cell + 1.5, cell - 3, cell - 3);
    }
    if (here && here.col !== null) {
      // A double ring (white inside black) shows on every colour.
      const cx = x0 + (here.col + 0.5) * cell;
      const cy = y0 + (here.row + 0.5) * cell;
      const rad = Math.max(5, cell * 0.36);
      ctx.lineWidth = 4;
      ctx.strokeStyle = "#ffffff";
      ctx.beginPath();
      ctx.arc(cx, cy, rad, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#1d1d1f";
      ctx.stroke();
    }

    ctx.fillStyle = "#333";
    ctx.font = `12px ${FONT}`;
    ctx.textBaseline = "middle";
    ctx.textAlign = "right";
    rowLabels.forEach((t, r) => ctx.fillText(t, x0 - 5, y0 + (r + 0.5) * cell));
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const every = Math.max(1, Math.ceil(ncol / Math.max(1, Math.floor(gridW / 44)))); // labels need ~44 px
    cols.values.forEach((v, c) => {
      if (c % every === 0) ctx.fillText(formatValue(v), x0 + (c + 0.5) * cell, y0 + nrow * cell + 4);
    });
    ctx.font = `600 12px ${FONT}`;
    ctx.fillText(`${settingName(cols.path)} →`, x0 + gridW / 2, y0 + nrow * cell + 21);
    if (rows) {
      ctx.save();
      ctx.translate(x0 - labelW - 18, y0 + (nrow * cell) / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textBaseline = "middle";
      ctx.fillText(`← ${settingName(rows.path)}`, 0, 0);
      ctx.restore();
    }
  }

  /** White diagonal stripes over square (x, y): shaded by a metric this cell has no value of. */
  stripes(x, y, cell) {
    const ctx = this.canvas.getContext("2d");
    ctx.save();
    ctx.beginPath();
    ctx.rect(x + 1, y + 1, cell - 2, cell - 2);
    ctx.clip();
    ctx.strokeStyle = "rgba(255, 255, 255, 0.6)";
    ctx.lineWidth = 2;
    for (let d = -cell; d < cell; d += 8) {
      ctx.beginPath();
      ctx.moveTo(x + d, y + cell);
      ctx.lineTo(x + d + cell, y);
      ctx.stroke();
    }
    ctx.restore();
  }

  /** The cell index at canvas point (x, y) in CSS pixels, or null. */
  cellAt(x, y) {
    const L = this.layout;
    if (!L) return null;
    const c = Math.floor((x - L.x0) / L.cell);
    const r = Math.floor((y - L.y0) / L.cell);
    if (c < 0 || r < 0 || c >= L.ncol || r >= L.nrow) return null;
    return r * L.ncol + c;
  }

  /** The CSS-pixel centre of cell `index` (tests click it; the tooltip sits beside it). */
  cellCenter(index) {
    const L = this.layout;
    if (!L) return null;
    return { x: L.x0 + ((index % L.ncol) + 0.5) * L.cell, y: L.y0 + (Math.floor(index / L.ncol) + 0.5) * L.cell };
  }
}
