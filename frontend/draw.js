// Draw-your-own target: a person draws strokes (mouse, pen or touch, via pointer events) on a
// square canvas that spans DOMAIN in data units; the points are sent as {type: "draw", points}.
import { drawAxes, fitCanvas, makeTransform } from "./views/canvas-util.js";

const DOMAIN = 4; // the canvas shows [-4, 4]^2: the ring (radius 2) and the 5x5 grid (+-4) fit
const SPACING = 0.04; // data units between recorded points along a stroke
const MAX_POINTS = 5000; // the protocol's limit for `draw`

export class DrawPad {
  /** elements: {canvas, apply, clear, count}; send(points) delivers the drawing. */
  constructor(elements, send) {
    this.el = elements;
    this.send = send;
    this.points = [];
    this.down = false;
    this.T = null;
    const c = elements.canvas;
    c.style.touchAction = "none"; // the finger draws; it must not scroll the page
    c.addEventListener("pointerdown", (e) => {
      this.down = true;
      try {
        c.setPointerCapture(e.pointerId); // keep the stroke when the finger leaves the pad
      } catch {
        // synthetic or already-ended pointers cannot be captured; drawing works without it
      }
      this.add(e, true);
    });
    c.addEventListener("pointermove", (e) => {
      if (this.down) this.add(e, false);
    });
    const up = () => {
      this.down = false;
    };
    c.addEventListener("pointerup", up);
    c.addEventListener("pointercancel", up);
    elements.clear.addEventListener("click", () => {
      this.points = [];
      this.render();
    });
    elements.apply.addEventListener("click", () => {
      if (this.points.length) this.send(this.points.map(([x, y]) => [round(x), round(y)]));
    });
    new ResizeObserver(() => this.render()).observe(c);
  }

  add(e, force) {
    if (!this.T || this.points.length >= MAX_POINTS) return;
    const rect = this.el.canvas.getBoundingClientRect();
    const x = this.T.dx(e.clientX - rect.left);
    const y = this.T.dy(e.clientY - rect.top);
    if (Math.abs(x) > DOMAIN || Math.abs(y) > DOMAIN) return;
    const last = this.points[this.points.length - 1];
    if (!force && last && Math.hypot(x - last[0], y - last[1]) < SPACING) return;
    this.points.push([x, y]);
    this.render();
  }

  render() {
    const { ctx, w, h } = fitCanvas(this.el.canvas);
    const side = Math.max(40, Math.min(w - 36, h - 24));
    const box = { left: 30, top: 4, width: side, height: side };
    this.T = makeTransform(box, -DOMAIN, DOMAIN, -DOMAIN, DOMAIN);
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = "#fff";
    ctx.fillRect(box.left, box.top, side, side);
    drawAxes(ctx, this.T);
    ctx.fillStyle = "#111";
    ctx.beginPath();
    for (const [x, y] of this.points) {
      ctx.moveTo(this.T.px(x) + 2, this.T.py(y));
      ctx.arc(this.T.px(x), this.T.py(y), 2, 0, 2 * Math.PI);
    }
    ctx.fill();
    this.el.count.textContent = `${this.points.length} points`;
    this.el.apply.disabled = this.points.length === 0;
  }
}

function round(v) {
  return Math.round(v * 1000) / 1000; // mm-level precision in data units keeps the message small
}
