// App's methods for drawing: which main view shows (2D, 1D, Dirac), one redraw per animation
// frame, the A/B panes and the curves, and asking the server for D over the window the view is
// framing. Mixed into App's prototype (app.js): `this` is the App, the one store.

export const Rendering = {
  mainKind() {
    if (this.view.main !== "auto") return this.view.main;
    const h = this.frame && this.frame.header;
    if (h) {
      // The preset's own view where the frame can show it (a 1D Dirac game may prefer densities).
      const p = this.presets.find((x) => x.name === this.preset);
      const fits = { dirac: Boolean(h.dirac), "1d": h.dim === 1, "2d": h.dim === 2 };
      if (p && fits[p.view]) return p.view;
      return h.dirac ? "dirac" : h.dim === 1 ? "1d" : "2d";
    }
    const t = this.config && this.config.target;
    if (!t) return "2d";
    if (t.name === "dirac") return "dirac";
    return this.targetDim(t) === 1 ? "1d" : "2d";
  },

  /** Whether the target is a Dirac point: its metrics are a distance to equilibrium, not modes. */
  isDirac() {
    return Boolean(this.config && this.config.target && this.config.target.name === "dirac");
  },

  /** The chosen preset's listing entry, or null. */
  presetEntry() {
    return this.presets.find((p) => p.name === this.preset) || null;
  },

  /** 1 or 2: the data dimension of target `t`, as the server's x-target-dims states it. */
  targetDim(t) {
    const dim = this.targetDims[t.name];
    return typeof dim === "string" ? t[dim] : dim;
  },

  showMainView() {
    this.shownKind = this.mainKind();
    this.paint("mainView");
    this.requestRender();
  },

  /** The main view's canvas (PNG export and recording take it). */
  mainElement() {
    return this.views[this.mainKind()].canvas;
  },

  requestRender() {
    if (this.frameDirty) return;
    this.frameDirty = true;
    requestAnimationFrame(() => {
      this.frameDirty = false;
      this.render(this.frame);
    });
  },

  render(frame) {
    const kind = this.mainKind();
    if (kind !== this.shownKind) {
      this.shownKind = kind; // "auto" follows the frames' dimension
      this.paint("mainView");
      this.compare.paint();
    }
    const view = this.views[kind];
    // Comparing, A's window holds B's samples too, and B's pane draws A's window: the two runs on the
    // same axes, and the one D surface window the server computes covers both panes.
    view.render(frame, this.compare.active ? { ...this.view, frameAlso: this.compare.samples(kind) } : this.view, this.trail);
    this.compare.render(kind);
    if (frame) this.renderCount++;
    if (view.framer && frame) this.followWindow(view.framer);
    // The timeline first: its text may wrap to another line and shrink the curves' cells, which
    // plotly then draws at their new size (not the old one, cut off at the bottom).
    this.timelineView.render(this.history);
    if (this.compare.active) this.compare.curves.update(this.history, this.compare.history, this.view.logx, this.isDirac());
    else this.curves.update(this.history, this.view, this.rewind.marked, this.isDirac());
  },

  /** After a draw: ask the server for D over the window the view is heading to, once per new one,
   * and keep drawing while the view eases between windows. */
  followWindow(framer) {
    const goal = framer.goal;
    const sent = this.sentWindow;
    // A viewer's page shows D over the teacher's window: it has no say in what the frames carry.
    if (goal && this.classroom.role !== "viewer" && !(sent && goal.every((v, i) => v === sent[i]))) {
      this.sentWindow = goal.slice();
      this.socket.send({ type: "set_view", window: goal });
    }
    if (framer.easing) this.requestRender();
  },
};
