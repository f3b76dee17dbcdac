// App's methods for what a person asks of the server: edits, play/pause/step/reset, a preset, a
// drawing, their own data, export and import, and what the frames should carry (the view's
// layers, the axes' lock). Mixed into App's prototype (app.js): `this` is the App, the one store.
import { dottedPatch } from "./urlhash.js";

export const Actions = {
  /** A person changed the field at `path`. */
  edit(path, value) {
    this.lastEdit = { path, sent: value };
    this.configure(dottedPatch(path, value));
  },

  configure(patch) {
    this.status.clearError();
    if (this.fieldErrors.size) {
      this.fieldErrors.clear();
      this.form.showErrors(this.fieldErrors);
    }
    this.lastAction = "configure";
    this.socket.send({ type: "configure", patch, ...this.compare.slotField() });
  },

  /** Play; a preset's run pauses at its step budget (the server stops exactly there). */
  play() {
    const p = this.currentPreset();
    const until = p && this.iteration < p.steps ? p.steps : null;
    this.budgetReached = false;
    this.paint("story");
    this.socket.send(until ? { type: "play", until } : { type: "play" });
  },

  setSpeed(its) {
    this.speed = its;
    this.paint("story");
    this.socket.send({ type: "speed", its });
  },

  pause() {
    this.socket.send({ type: "pause" });
  },

  togglePlay() {
    if (this.running) this.pause();
    else this.play();
  },

  step(part = "iteration") {
    this.socket.send(part === "iteration" ? { type: "step", n: 1 } : { type: "step", n: 1, part });
  },

  reset(seed) {
    if (!this.classroom.allows({ type: "reset" })) return; // a viewer's curves stay: nothing was reset
    this.lastAction = "reset";
    this.budgetReached = false;
    this.clearTraces();
    this.socket.send(seed === undefined ? { type: "reset" } : { type: "reset", seed });
  },

  choosePreset(name) {
    if (!this.classroom.allows({ type: "preset" })) return;
    this.preset = name || null;
    this.lastAction = "preset";
    this.budgetReached = false;
    this.modified = false;
    this.paint("preset");
    if (name) {
      this.clearTraces();
      this.socket.send({ type: "preset", name });
      // Still playing: the new run plays on to its own budget (the server forgot the old one's).
      const p = this.currentPreset();
      if (this.running && p) this.socket.send({ type: "play", until: p.steps });
    }
    this.writeHash();
  },

  draw(points) {
    this.preset = null;
    this.lastAction = "configure"; // a new target, like any settings change
    this.modified = false;
    this.socket.send({ type: "draw", points });
  },

  /** A person's own data as the target (target: a `data` target config; owndata.js builds it). */
  useData(target) {
    this.preset = null; // the server forgets it too: a preset is about its own target
    this.clearTraces();
    this.configure({ target });
  },

  requestExport(onExport) {
    this.pendingExport = true;
    this.onExport = onExport;
    this.socket.send({ type: "export", weights: true });
  },

  importData(data) {
    if (!this.classroom.allows({ type: "import" })) return;
    this.lastAction = "import";
    this.clearTraces();
    this.socket.send({ type: "import", data });
  },

  /** What frames should carry: only what the visible layers draw (the server computes less). */
  sendView() {
    const v = this.view;
    this.socket.send({
      type: "set_view", samples: v.samples, grid: v.grid, fps: v.fps, density: true,
      manifold: v.layers.manifold ? this.manifoldSide : 0, gradients: v.layers.arrows, optimal_d: v.layers.dstar,
    });
  },

  setView(patch) {
    this.view = { ...this.view, ...patch, layers: { ...this.view.layers, ...(patch.layers || {}) } };
    this.sendView();
    this.writeHash();
    this.paint("viewBar");
    this.showMainView();
  },

  /** Lock the axes at the window drawn now (a teacher's fixed frame; it goes into links), or fit. */
  setLock(on) {
    const view = this.views[this.mainKind()];
    const win = on && view.frameWindow;
    if (on && !win) return; // nothing drawn yet to lock
    // 4 significant digits: the frame a person saw, in a short link.
    const round = (v) => Number(v.toPrecision(4));
    this.setView({ lock: win ? (this.mainKind() === "1d" ? win.slice(0, 2) : win.slice(0, 4)).map(round) : null });
  },
};
