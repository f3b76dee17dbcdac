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
    this.its = [];
    this.last = -1;
  }

  push(header) {
    if (header.iteration < this.last) this.truncate(header.iteration); // a reset or a seek went back
    if (!header.dirac || header.dim !== 2) {
      if (this.xs.length) this.clear();
      return;
    }
    for (const p of header.history || []) this.add(p.iteration, p.theta, p.theta2);
  }

  /** The path from the server's curves (a reloaded page): iterations and the point's coordinates. */
  seed(iterations, xs, ys) {
    iterations.forEach((it, i) => this.add(it, xs[i], ys[i]));
  }

  add(iteration, x, y) {
    if (typeof x !== "number" || typeof y !== "number" || iteration <= this.last) return;
    this.last = iteration;
    this.its.push(iteration);
    this.xs.push(x);
    this.ys.push(y);
    if (this.xs.length > MAX_POINTS) {
      const even = (_, i) => i % 2 === 0;
      this.xs = this.xs.filter(even);
      this.ys = this.ys.filter(even);
      this.its = this.its.filter(even);
    }
  }

  truncate(iteration) {
    let n = this.its.length;
    while (n > 0 && this.its[n - 1] > iteration) n--;
    this.its.length = n;
    this.xs.length = n;
    this.ys.length = n;
    this.last = n ? this.its[n - 1] : -1;
  }
}
