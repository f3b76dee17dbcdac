// App's methods for the Map panel (the stability map): its form, starting and stopping a sweep,
// hovering and opening a square. sweep.js has the rules; mappanel.js draws the panel. Mixed into
// App's prototype (app.js): `this` is the App, the one store.
import { EXAMPLES, LAB, cellConfig, cellPatch, representativeSeed, settingName, sweepRequest } from "./sweep.js";

export const MapActions = {
  toggleMap(open = !this.sweep.open) {
    this.sweep.open = open;
    // Before any map: start from the lab's experiment (the preset itself while it is unedited).
    if (open && !this.sweep.axes.length) this.sweep.form.preset = this.preset && !this.modified ? this.preset : LAB;
    // The server starts its sweep workers now, while the person picks the settings: they import torch
    // (3-20 s), and a map asked for after that gets its first square in about a second and a half.
    if (open && this.classroom.role !== "viewer") this.socket.send({ type: "sweep_prepare" });
    this.paint("map");
    this.requestRender(); // the main view changed width
  },

  sweepForm(patch) {
    Object.assign(this.sweep.form, patch);
    this.sweep.message = "";
    this.paint("map");
  },

  sweepFormAxis(i, { path, values }) {
    const f = this.sweep.form;
    if (path !== undefined) f.paths = f.paths.map((x, k) => (k === i ? path : x));
    if (values !== undefined) f.values = f.values.map((x, k) => (k === i ? values : x));
    this.sweepForm({});
  },

  sweepExample(name) {
    const e = EXAMPLES[name];
    this.sweepForm({ preset: e.preset, paths: [...e.paths], values: [...e.values], seeds: e.seeds, steps: e.steps });
  },

  startSweep() {
    let msg;
    try {
      msg = sweepRequest(this.sweep.form, { config: this.config, preset: this.preset });
    } catch (err) {
      this.sweep.message = err.message;
      this.paint("map");
      return;
    }
    this.sweep.state = "starting";
    this.sweep.message = "";
    this.socket.send(msg);
    this.paint("map");
  },

  cancelSweep() {
    this.socket.send(this.sweep.id ? { type: "sweep_cancel", id: this.sweep.id } : { type: "sweep_cancel" });
  },

  shadeMap(metric) {
    this.sweep.shade = metric;
    this.paint("map");
  },

  hoverCell(index) {
    if (index === this.sweep.hover) return;
    this.sweep.hover = index;
    this.paint("map");
  },

  /** Open a finished square's run in the lab: its preset (or the edited experiment the map started from),
   * its settings and the seed that ended like the square. */
  openCell(index) {
    const cell = this.sweep.cells[index];
    if (!cell) {
      this.status.notice("That square is still training.");
      return;
    }
    const seed = representativeSeed(cell);
    this.clearTraces();
    if (this.sweep.preset) {
      this.preset = this.sweep.preset;
      this.paint("preset");
      this.socket.send({ type: "preset", name: this.sweep.preset });
    }
    // A map of the lab's own experiment: its whole base config, not the preset's, with the square's settings.
    const patch = this.sweep.base ? cellConfig(this.sweep.base, cell, seed) : cellPatch(cell, seed);
    this.socket.send({ type: "configure", patch });
    this.socket.send({ type: "reset", seed });
    this.socket.send({ type: "play" });
    const what = Object.entries(cell.params).map(([k, v]) => `${settingName(k)} = ${v}`).join(", ");
    this.status.notice(`In the lab now: ${what}, seed ${seed} (${cell.outcome} on the map).`);
  },
};
