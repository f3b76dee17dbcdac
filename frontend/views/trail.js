// The path of the 2D Dirac game's generator point (theta, theta2), one point per iteration from
// the frames' history: the oscillation is seen as the point circling the target.

const MAX_POINTS = 20000; // past this every other point is dropped

export class PointTrail {
  constructor() {
    this.clear();
  }

  clear() {
    this.xs = [];
    this.ys = [];
    this.last = -1;
  }

  push(header) {
    if (header.iteration < this.last) this.clear(); // a reset went back in time
    if (!header.dirac || header.dim !== 2) {
      if (this.xs.length) this.clear();
      return;
    }
    for (const p of header.history || []) {
      if (typeof p.theta2 !== "number" || p.iteration <= this.last) continue;
      this.last = p.iteration;
      this.xs.push(p.theta);
      this.ys.push(p.theta2);
    }
    if (this.xs.length > MAX_POINTS) {
      this.xs = this.xs.filter((_, i) => i % 2 === 0);
      this.ys = this.ys.filter((_, i) => i % 2 === 0);
    }
  }
}
