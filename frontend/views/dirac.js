// Dirac-GAN view: the generator's point theta against the discriminator's weight psi, as a
// trajectory in (theta, psi) space. Alternating steps circle the equilibrium (0, 0),
// simultaneous ones spiral out, R1 spirals in: the oscillation becomes a picture.
import { COLORS, drawAxes, drawEmpty, fitCanvas, makeTransform } from "./canvas-util.js";
import { wrapWords } from "./dstar.js";

const MAX_POINTS = 20000; // trajectory points kept; older halves are thinned
// What the D* layer means here: a point target has no density, so there is no D* curve to draw;
// the optimum is the equilibrium itself, where psi = 0 and D = 1/2 everywhere.
export const DIRAC_D_STAR = "no D* curve: the target is a point (no density); at the equilibrium ψ = 0, D = ½";

export class DiracView {
  constructor(canvas) {
    this.canvas = canvas;
    this.center = 0; // theta at the equilibrium: the target point (psi* = 0); set from the config
    this.clear();
  }

  clear() {
    this.iterations = [];
    this.theta = [];
    this.psi = [];
    this.lastIteration = -1;
  }

  /**
   * Record (theta, psi); called for every frame, drawn or not. The frame's `orbit` has them for
   * every iteration since the previous frame, however many that was (frames come every ~10-100
   * iterations, and sampling the orbit at frames would alias it into a star); the frame's own
   * `dirac` adds where it is now.
   */
  push(header) {
    const d = header.dirac;
    if (!d || d.length < 2) return;
    if (header.iteration < this.lastIteration) this.truncate(header.iteration); // a reset or a seek went back
    const o = header.orbit;
    if (o && Array.isArray(o.theta) && Array.isArray(o.psi)) {
      for (let i = 0; i < o.theta.length; i++) this.add(o.from + i, o.theta[i], o.psi[i]);
    }
    this.add(header.iteration, d[0], d[d.length / 2]); // (theta..., psi...): the first of each
  }

  /** Keep the orbit up to `iteration` (the timeline went back: play retraces the rest). */
  truncate(iteration) {
    let n = this.iterations.length;
    while (n > 0 && this.iterations[n - 1] > iteration) n--;
    this.iterations.length = n;
    this.theta.length = n;
    this.psi.length = n;
    this.lastIteration = n ? this.iterations[n - 1] : -1;
  }

  add(iteration, theta, psi) {
    if (iteration <= this.lastIteration || typeof theta !== "number" || typeof psi !== "number") return;
    this.lastIteration = iteration;
    this.iterations.push(iteration);
    this.theta.push(theta);
    this.psi.push(psi);
    if (this.theta.length > MAX_POINTS) {
      const even = (_, i) => i % 2 === 0;
      this.iterations = this.iterations.filter(even);
      this.theta = this.theta.filter(even);
      this.psi = this.psi.filter(even);
    }
  }

  /** view: the App's view options; with the D* layer ticked the plot says why there is no D* curve. */
  render(frame, view = null) {
    const { ctx, w, h } = fitCanvas(this.canvas);
    if (!frame || !frame.header.dirac) {
      drawEmpty(ctx, w, h, frame ? "Not a Dirac game: pick the Dirac preset" : "Waiting for the first frame…");
      return;
    }
    const side = Math.max(50, Math.min(w - 60, h - 50));
    const box = { left: 50, top: 10, width: side, height: side };
    const c = this.center;
    let m = 0.5;
    for (let i = 0; i < this.theta.length; i++) m = Math.max(m, Math.abs(this.theta[i] - c), Math.abs(this.psi[i]));
    m = Number.isFinite(m) ? m * 1.15 : 1;
    const T = makeTransform(box, c - m, c + m, -m, m);
    ctx.clearRect(0, 0, w, h);
    drawAxes(ctx, T, { xLabel: "θ (generator's point)", yLabel: "ψ (discriminator's weight)" });
    ctx.save();
    ctx.beginPath();
    ctx.rect(box.left, box.top, box.width, box.height);
    ctx.clip();
    const n = this.theta.length;
    // Older segments fade: the direction of travel stays readable after many turns.
    const chunks = 8;
    for (let c = 0; c < chunks; c++) {
      const a = Math.floor((c * (n - 1)) / chunks);
      const b = Math.floor(((c + 1) * (n - 1)) / chunks);
      if (b <= a) continue;
      ctx.strokeStyle = `rgba(0, 114, 178, ${0.2 + (0.8 * (c + 1)) / chunks})`;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(T.px(this.theta[a]), T.py(this.psi[a]));
      for (let i = a + 1; i <= b; i++) ctx.lineTo(T.px(this.theta[i]), T.py(this.psi[i]));
      ctx.stroke();
    }
    ctx.fillStyle = COLORS.dStar;
    ctx.beginPath();
    ctx.arc(T.px(c), T.py(0), 5, 0, 2 * Math.PI);
    ctx.fill();
    if (n) {
      ctx.fillStyle = COLORS.dCurve;
      ctx.beginPath();
      ctx.arc(T.px(this.theta[n - 1]), T.py(this.psi[n - 1]), 5, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.restore();
    ctx.font = "12px system-ui, sans-serif";
    ctx.fillStyle = "#333";
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    const last = frame.header.dirac;
    const dist = frame.header.metrics && frame.header.metrics.distance_to_equilibrium;
    ctx.fillText(`θ = ${fmt(last[0])}, ψ = ${fmt(last[last.length / 2])}`, box.left + 6, box.top + 4);
    if (dist !== undefined) ctx.fillText(`distance to equilibrium ${fmt(dist)}`, box.left + 6, box.top + 20);
    ctx.fillStyle = COLORS.dStar;
    ctx.fillText(`● equilibrium (${fmt(c)}, 0)`, box.left + 6, box.top + box.height - 34);
    ctx.fillStyle = COLORS.dCurve;
    ctx.fillText("● now", box.left + 6, box.top + box.height - 18);
    if (view && view.layers && view.layers.dstar) {
      ctx.fillStyle = COLORS.dStar;
      wrapWords(ctx, DIRAC_D_STAR, box.width - 12).forEach((row, i) => ctx.fillText(row, box.left + 6, box.top + 36 + 15 * i));
    }
  }
}

function fmt(v) {
  return typeof v === "number" ? Number(v.toPrecision(3)).toString() : "–";
}
