// Which region a main view draws: the target's box and the generated samples together, so the
// action stays in view. The rule (fitWindow) is gan_core's (gan_core/engine/framing.py; its constants
// come from GET /api/schema's x-view.window); the Framer adds what a moving picture needs:
//   - it grows at once when the content leaves the window: the window drawn jumps just far enough
//     to hold it and eases on to a goal with room to move (GROW_ROOM),
//   - it shrinks (to the content plus SHRINK_ROOM) only after the content has stayed well inside
//     (under SHRINK_BELOW of the span) for SHRINK_AFTER_MS, so a breathing cloud does not make the
//     axes jitter; a window just grown holds its content at 1 / (1 + 2 GROW_ROOM) = 0.83 of its
//     span, above SHRINK_BELOW, so it does not shrink back unless the content itself narrows,
//   - it eases between windows (time constant EASE_MS) instead of jumping,
//   - it snaps (no easing) when the target changes or a run starts again,
//   - locked, it draws the given window and nothing else.
// Samples still outside (far outliers, or everything when locked) are counted per direction for the
// on-canvas arrows (offView, drawOffView).

const GROW_ROOM = 0.1; // a grown window adds this fraction of the content's span on each side
const SHRINK_ROOM = 0.03; // ... a shrunk one this much
const SHRINK_BELOW = 0.8; // content narrower than this fraction of the window counts as "well inside"
const SHRINK_AFTER_MS = 2000; // ... and must stay so this long before the window shrinks
const EASE_MS = 180; // time constant of the easing (63% of the way after this long)
const SETTLED = 1e-3; // easing stops within this fraction of the span

/** Quantile q of the finite values data[offset], data[offset + stride], ... (NaN without any). */
function quantiles(data, offset, stride, qs) {
  const vals = [];
  for (let i = offset; i < data.length; i += stride) if (Number.isFinite(data[i])) vals.push(data[i]);
  if (!vals.length) return qs.map(() => NaN);
  vals.sort((a, b) => a - b);
  // Linear interpolation between order statistics, as numpy.quantile's default.
  return qs.map((q) => {
    const pos = q * (vals.length - 1);
    const k = Math.floor(pos);
    return k + 1 < vals.length ? vals[k] + (pos - k) * (vals[k + 1] - vals[k]) : vals[k];
  });
}

/** gan_core.engine.framing.clamp_window: inside +-max_abs, each axis at least min_extent wide. */
export function clampWindow(w, rule) {
  const out = [];
  for (const [a0, b0] of [[w[0], w[1]], [w[2], w[3]]]) {
    let a = Math.max(-rule.max_abs, a0);
    let b = Math.min(rule.max_abs, b0);
    if (!(b - a >= rule.min_extent)) {
      const mid = Math.min(Math.max((a + b) / 2 || 0, -rule.max_abs + rule.min_extent), rule.max_abs - rule.min_extent);
      a = mid - rule.min_extent / 2;
      b = mid + rule.min_extent / 2;
    }
    out.push(a, b);
  }
  return out;
}

/** gan_core.engine.framing.fit_window: the target's box `bounds` joined with the generated samples
 * between their fit_quantile quantiles, padded, square in 2D; content wider than max_zoom_out x the
 * target is not chased (the target's padded box, and arrows to the samples outside). */
export function fitWindow(bounds, fake, dim, rule) {
  const tLo = [bounds[0], bounds[2]].slice(0, dim);
  const tHi = [bounds[1], bounds[3]].slice(0, dim);
  let lo = tLo.slice();
  let hi = tHi.slice();
  if (fake && fake.length) {
    for (let a = 0; a < dim; a++) {
      const [q0, q1] = quantiles(fake, a, dim, [rule.fit_quantile, 1 - rule.fit_quantile]);
      if (Number.isFinite(q0)) {
        lo[a] = Math.min(lo[a], q0);
        hi[a] = Math.max(hi[a], q1);
      }
    }
  }
  const cap = rule.max_zoom_out * Math.max(...tHi.map((v, a) => v - tLo[a]));
  if (lo.some((v, a) => hi[a] - v > cap)) {
    lo = tLo.slice();
    hi = tHi.slice();
  }
  for (let a = 0; a < dim; a++) {
    const pad = rule.fit_pad * (hi[a] - lo[a]);
    lo[a] -= pad;
    hi[a] += pad;
  }
  if (dim === 2) {
    const half = Math.max(hi[0] - lo[0], hi[1] - lo[1]) / 2;
    for (let a = 0; a < 2; a++) {
      const mid = (lo[a] + hi[a]) / 2;
      lo[a] = mid - half;
      hi[a] = mid + half;
    }
  }
  const out = [];
  for (let a = 0; a < dim; a++) out.push(lo[a], hi[a]);
  if (dim === 1) out.push(0, 1);
  return clampWindow(out, rule);
}

function contains(outer, inner, dim) {
  for (let a = 0; a < dim; a++) {
    if (inner[2 * a] < outer[2 * a] || inner[2 * a + 1] > outer[2 * a + 1]) return false;
  }
  return true;
}

function spanRatio(inner, outer, dim) {
  let r = 0;
  for (let a = 0; a < dim; a++) r = Math.max(r, (inner[2 * a + 1] - inner[2 * a]) / (outer[2 * a + 1] - outer[2 * a]));
  return r;
}

function widen(w, dim, rule, fraction) {
  const out = w.slice();
  for (let a = 0; a < dim; a++) {
    const room = fraction * (w[2 * a + 1] - w[2 * a]);
    out[2 * a] -= room;
    out[2 * a + 1] += room;
  }
  return clampWindow(out, rule);
}

/** The smallest window holding both a and b (square in 2D, as both are). */
function union(a, b, dim) {
  const out = a.slice();
  for (let i = 0; i < dim; i++) {
    out[2 * i] = Math.min(a[2 * i], b[2 * i]);
    out[2 * i + 1] = Math.max(a[2 * i + 1], b[2 * i + 1]);
  }
  if (dim === 2) {
    const half = Math.max(out[1] - out[0], out[3] - out[2]) / 2;
    for (let i = 0; i < 2; i++) {
      const mid = (out[2 * i] + out[2 * i + 1]) / 2;
      out[2 * i] = mid - half;
      out[2 * i + 1] = mid + half;
    }
  }
  return out;
}

const same = (a, b) => Boolean(a && b) && a.length === b.length && a.every((v, i) => v === b[i]);

export class Framer {
  /** rule: GET /api/schema's x-view.window (the fitting rule's constants and the window bounds). */
  constructor(rule) {
    this.rule = rule;
    this.goal = null; // the window being eased to (what the server is asked to compute over)
    this.shown = null; // the window drawn now
    this.bounds = null; // the target's box the goal was fitted for
    this.iteration = -1;
    this.wellInsideSince = null; // when the content last became "well inside" (ms), or null
    this.t = null; // time of the last step (ms)
    this.easing = false; // the shown window is still on its way to the goal
  }

  /** A new frame (header: bounds, iteration, rebuilt; fake: its generated samples); lock: a window
   * to draw instead of fitting, or null; now: performance.now(). Returns the goal window. */
  update(header, fake, dim, lock, now) {
    if (lock) {
      this.goal = lock.slice();
      this.shown = lock.slice();
      this.wellInsideSince = null;
      this.bounds = header.bounds;
      this.iteration = header.iteration;
      return this.goal;
    }
    const need = fitWindow(header.bounds, fake, dim, this.rule);
    const restart = !this.goal || !same(this.bounds, header.bounds) || header.iteration < this.iteration
      || this.goal.length !== need.length;
    this.bounds = header.bounds;
    this.iteration = header.iteration;
    if (restart) {
      this.goal = need;
      this.shown = need.slice();
      this.wellInsideSince = null;
    } else if (!contains(this.goal, need, dim)) {
      // At once: nothing may leave the picture. The window drawn jumps just far enough to hold the
      // content, then eases on to the goal's room.
      this.goal = widen(need, dim, this.rule, GROW_ROOM);
      this.shown = union(this.shown, need, dim);
      this.wellInsideSince = null;
    } else if (spanRatio(need, this.goal, dim) < SHRINK_BELOW) {
      if (this.wellInsideSince === null) this.wellInsideSince = now;
      else if (now - this.wellInsideSince >= SHRINK_AFTER_MS) {
        this.goal = widen(need, dim, this.rule, SHRINK_ROOM);
        this.wellInsideSince = null;
      }
    } else {
      this.wellInsideSince = null;
    }
    if (dim === 1) this.goal = [this.goal[0], this.goal[1], 0, 1];
    return this.goal;
  }

  /** Ease the shown window toward the goal; returns it. */
  step(now) {
    if (!this.goal) return null;
    const dt = this.t === null ? 0 : Math.max(0, now - this.t);
    this.t = now;
    const f = 1 - Math.exp(-dt / EASE_MS);
    const span = Math.max(this.goal[1] - this.goal[0], this.goal[3] - this.goal[2]);
    let settled = true;
    for (let i = 0; i < this.goal.length; i++) {
      const d = this.goal[i] - this.shown[i];
      if (Math.abs(d) > SETTLED * span) {
        this.shown[i] += d * f;
        settled = false;
      } else {
        this.shown[i] = this.goal[i];
      }
    }
    this.easing = !settled;
    return this.shown;
  }
}

/**
 * Samples of `data` (flat, `dim` per point) outside window `w`, by direction: a Map from "dx,dy"
 * (each -1, 0 or 1: left/below, inside, right/above) to {n, x, y}: the count and the mean position
 * of those samples clamped into the window (where their arrow sits). Non-finite samples are not
 * counted (they are nowhere).
 */
export function offView(data, dim, w) {
  const out = new Map();
  if (!data) return out;
  for (let i = 0; i + dim - 1 < data.length; i += dim) {
    const x = data[i];
    const y = dim === 2 ? data[i + 1] : 0;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const dx = x < w[0] ? -1 : x > w[1] ? 1 : 0;
    const dy = dim === 2 ? (y < w[2] ? -1 : y > w[3] ? 1 : 0) : 0;
    if (!dx && !dy) continue;
    const key = `${dx},${dy}`;
    let e = out.get(key);
    if (!e) out.set(key, (e = { dx, dy, n: 0, x: 0, y: 0 }));
    e.n++;
    e.x += Math.min(Math.max(x, w[0]), w[1]);
    e.y += dim === 2 ? Math.min(Math.max(y, w[2]), w[3]) : 0;
  }
  for (const e of out.values()) {
    e.x /= e.n;
    e.y /= e.n;
  }
  return out;
}

export function countOff(map) {
  let n = 0;
  for (const e of map.values()) n += e.n;
  return n;
}

/**
 * The on-canvas indicator: for each direction with samples outside, an arrow at the plot's edge
 * pointing their way, with the count ("37 generated", "5 real"); T: the view's transform; y1d: the
 * pixel row for a 1D view's arrows (null in 2D: arrows sit at the samples' clamped mean position).
 */
export function drawOffView(ctx, T, fakeOff, realOff, colors, y1d = null) {
  const keys = new Set([...fakeOff.keys(), ...realOff.keys()]);
  if (!keys.size) return;
  const { box } = T;
  ctx.save();
  ctx.font = "bold 12px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  for (const key of keys) {
    const f = fakeOff.get(key);
    const r = realOff.get(key);
    const e = f || r;
    const { dx, dy } = e;
    const parts = [];
    if (f) parts.push(`${f.n} generated`);
    if (r) parts.push(`${r.n} real`);
    const label = parts.join(", ");
    // The arrow's tip on the edge, its tail 22 px inside, the label beside the tail.
    let x = dx < 0 ? box.left + 3 : dx > 0 ? box.left + box.width - 3 : T.px(e.x);
    let y = y1d !== null ? y1d : dy > 0 ? box.top + 3 : dy < 0 ? box.top + box.height - 3 : T.py(e.y);
    x = Math.min(Math.max(x, box.left + 3), box.left + box.width - 3);
    y = Math.min(Math.max(y, box.top + 3), box.top + box.height - 3);
    const len = Math.hypot(dx, dy) || 1;
    const ux = dx / len;
    const uy = -dy / len; // screen y points down
    const tx = x - ux * 22;
    const ty = y - uy * 22;
    ctx.strokeStyle = f ? colors.offFake : colors.offReal;
    ctx.fillStyle = ctx.strokeStyle;
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.moveTo(tx, ty);
    ctx.lineTo(x, y);
    ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x - 9 * (ux * 0.87 - uy * 0.5), y - 9 * (uy * 0.87 + ux * 0.5));
    ctx.lineTo(x - 9 * (ux * 0.87 + uy * 0.5), y - 9 * (uy * 0.87 - ux * 0.5));
    ctx.closePath();
    ctx.fill();
    const wText = ctx.measureText(label).width;
    // Beside the tail, on the inside: left of it for arrows to the right, right of it otherwise.
    let lx = dx > 0 ? tx - 6 - wText : tx + 6;
    let ly = dy !== 0 && dx === 0 ? ty + (dy > 0 ? 10 : -10) : ty - 12;
    lx = Math.min(Math.max(lx, box.left + 2), box.left + box.width - wText - 2);
    ly = Math.min(Math.max(ly, box.top + 8), box.top + box.height - 8);
    ctx.fillStyle = "rgba(255,255,255,0.85)";
    ctx.fillRect(lx - 3, ly - 8, wText + 6, 16);
    ctx.fillStyle = "#111";
    ctx.fillText(label, lx, ly);
  }
  ctx.restore();
}

/** Samples to frame: `fake` (flat) and `also` (flat, another run's samples to keep in the picture: compare
 * mode frames A and B alike), joined; either may be null. */
export function framedSamples(fake, also) {
  if (!also || !also.length) return fake;
  if (!fake || !fake.length) return also;
  const out = new Float32Array(fake.length + also.length);
  out.set(fake);
  out.set(also, fake.length);
  return out;
}

/** The view state's lock (null, or [xmin, xmax] / [xmin, xmax, ymin, ymax]) as a window for a view
 * of `dim`, or null: a lock made in a view of the other dimension does not apply. */
export function lockFor(lock, dim) {
  if (!Array.isArray(lock) || lock.length !== 2 * dim) return null;
  return dim === 1 ? [lock[0], lock[1], 0, 1] : lock.slice();
}
