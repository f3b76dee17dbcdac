// Compare mode (docs/protocol.md, "Compare"): two experiments side by side, A and B, with the same
// target and seed, trained in lock-step by the server under one Play/Step/Reset. This module holds
// B's side of the page (its frames, curves, views), the comparison bar (the built-in comparisons,
// which experiment the form edits, B's differences in words, the comparison's story) and the panes'
// labels; A stays App's own. Its state is part of App's store (app.compare); the DOM is drawn from it.
import { History } from "./history.js";
import { el } from "./dom.js";
import { differences } from "./compare-words.js";
import { deepDiff } from "./urlhash.js";
import { PointTrail } from "./views/trail.js";
import { Samples2DView } from "./views/samples2d.js";
import { Density1DView } from "./views/density1d.js";
import { DiracView } from "./views/dirac.js";
import { CompareCurves } from "./views/curves-ab.js";

const $ = (id) => document.getElementById(id);
const CUSTOM_STORY = "A is your experiment and B a copy of it with the changes listed above: the same data, the same "
  + "seed, the same steps. Pick “Edit B” and change one setting to see what it does; a change that builds new "
  + "networks restarts both, so they stay comparable iteration by iteration.";

export class Compare {
  /** comparisons: GET /api/comparisons; initial: the URL hash's {patch, name} (asked for once ready), or null. */
  constructor(app, comparisons, initial) {
    this.app = app;
    this.list = comparisons || [];
    this.initial = initial;
    this.info = null; // the server's: {b: B's config, name} while comparing
    this.edit = "A"; // which experiment the form shows and changes
    this.frame = null; // B's newest frame
    this.history = new History();
    this.trail = new PointTrail();
    this.build();
    this.paint();
  }

  get active() {
    return this.info !== null;
  }

  build() {
    this.select = el("select", { testid: "comparison", "aria-label": "Comparison" },
      el("option", { value: "" }, "This experiment against a copy"));
    for (const c of this.list) this.select.append(el("option", { value: c.name }, c.title));
    this.select.addEventListener("change", (e) => this.start(e.target.value || null));
    this.editA = el("button", { type: "button", testid: "edit-a", title: "The form shows and changes A" }, "Edit A");
    this.editB = el("button", { type: "button", testid: "edit-b", title: "The form shows and changes B" }, "Edit B");
    this.editA.addEventListener("click", () => this.setEdit("A"));
    this.editB.addEventListener("click", () => this.setEdit("B"));
    this.diffList = el("ul", { class: "compare-diff", testid: "compare-diff" });
    this.story = el("p", { class: "compare-story", testid: "compare-story" });
    this.bar = el("div", { class: "compare-bar", testid: "compare-bar" },
      el("div", { class: "compare-row" }, this.select, el("div", { class: "seg", role: "group", "aria-label": "Edit" },
        this.editA, this.editB)), this.diffList);
    const main = $("view-samples");
    main.parentElement.querySelector(".view-bar").after(this.bar);
    // The panes: A is the page's own view; B is built here with the same three canvases.
    this.labelA = el("div", { class: "pane-label", testid: "pane-label-a" });
    main.append(this.labelA);
    this.labelB = el("div", { class: "pane-label", testid: "pane-label-b" });
    const canvases = { "2d": el("canvas", { testid: "view-2d-b", "aria-label": "B: samples and discriminator" }),
      "1d": el("canvas", { testid: "view-1d-b", "aria-label": "B: densities and D(x)" }),
      dirac: el("canvas", { testid: "view-dirac-b", "aria-label": "B: Dirac game trajectory" }) };
    this.paneB = el("div", { class: "view-samples pane-b", id: "view-samples-b", testid: "view-samples-b" },
      ...Object.values(canvases), this.labelB);
    this.panes = el("div", { class: "compare-panes", testid: "compare-panes" });
    main.before(this.panes);
    this.panes.append(main, this.paneB);
    this.panes.after(this.story);
    this.canvases = canvases;
    const framing = this.app.schema["x-view"].window; // (B's views draw A's window: render)
    this.views = { "2d": new Samples2DView(canvases["2d"], framing), "1d": new Density1DView(canvases["1d"], framing),
      dirac: new DiracView(canvases.dirac) };
    new ResizeObserver(() => this.app.requestRender()).observe(this.paneB);
    this.curves = new CompareCurves($("view-losses"), $("view-metrics"));
  }

  // ---- the server ---------------------------------------------------------------------------------

  /** The session is ready: ask for the comparison the page's address holds (once). */
  onReady(msg) {
    const want = this.initial;
    this.initial = null;
    if (want && msg.role !== "viewer" && !msg.resumed && !msg.compare) {
      this.app.socket.send({ type: "compare", patch: want.patch || {}, ...(want.name ? { name: want.name } : {}) });
    }
  }

  /** `ready` / `config`: the comparison as the server has it ({b, name}, or null). */
  set(info) {
    const was = this.active;
    this.info = info || null;
    if (!this.info) {
      this.edit = "A";
      this.frame = null;
      this.history.clear();
      this.trail.clear();
      if (was) this.app.curves.drawnVersion = -1; // the single run's charts come back
    } else if (!was) {
      this.curves.invalidate();
    }
    this.views.dirac.center = this.app.views.dirac.center;
    this.paint();
  }

  onFrame(frame) {
    if (!this.active) return; // a B frame sent before the comparison ended
    this.frame = frame;
    this.history.push(frame.header);
    this.views.dirac.push(frame.header);
    this.trail.push(frame.header);
  }

  /** Restarted runs (a reset, a rebuild) start B's traces afresh, as A's. */
  clearTraces() {
    this.history.clear();
    this.views.dirac.clear();
    this.trail.clear();
  }

  // ---- actions ------------------------------------------------------------------------------------

  /** Compare: a built-in comparison by name, or (null) this experiment against a copy of itself. */
  start(name) {
    if (!this.app.classroom.allows({ type: "compare" })) return;
    this.app.clearTraces();
    this.app.socket.send(name ? { type: "compare", name } : { type: "compare" });
  }

  stop() {
    this.app.socket.send({ type: "compare", stop: true });
  }

  setEdit(slot) {
    this.edit = this.active ? slot : "A";
    this.app.showConfig(true);
    this.paint();
  }

  /** The config the form shows: B's while editing B. */
  formConfig(config) {
    return this.active && this.edit === "B" ? this.info.b : config;
  }

  /** What a `configure` adds: the slot being edited. */
  slotField() {
    return this.active && this.edit === "B" ? { slot: "B" } : {};
  }

  /** What the URL hash keeps of the comparison: B as a patch over A, and its name. */
  hashPart(configA) {
    return this.active ? { patch: deepDiff(this.info.b, configA), name: this.info.name } : null;
  }

  // ---- drawing ------------------------------------------------------------------------------------

  render(kind) {
    if (!this.active) return;
    // A's window, as drawn now (it eases, and it was fitted to both runs' samples: App.render).
    const framer = this.app.views[kind].framer;
    const win = framer && framer.shown;
    const lock = win ? (kind === "1d" ? win.slice(0, 2) : win.slice()) : this.app.view.lock;
    this.views[kind].render(this.frame, { ...this.app.view, lock }, this.trail);
  }

  /** B's generated samples (flat) for A's window to hold, or null (none yet, or another view). */
  samples(kind) {
    const f = this.frame;
    const dim = kind === "1d" ? 1 : 2;
    return f && f.header.dim === dim && f.arrays.fake ? f.arrays.fake.data : null;
  }

  paint() {
    const app = this.app;
    const on = this.active;
    document.querySelector(".main-view").classList.toggle("comparing", on);
    this.bar.hidden = !on;
    this.paneB.hidden = !on;
    this.story.hidden = !on;
    $("preset-description").hidden = on;
    for (const [id, active] of [["mode-lab", !on], ["mode-compare", on]]) {
      const b = $(id);
      if (b) b.classList.toggle("active", active);
    }
    const kind = app.shownKind || "2d";
    for (const [k, c] of Object.entries(this.canvases)) c.hidden = k !== kind;
    this.labelA.hidden = !on;
    if (!on) return;
    const c = this.list.find((x) => x.name === this.info.name) || null;
    this.labelA.textContent = `A · ${c ? c.a : app.preset || "your experiment"}`;
    this.labelB.textContent = `B · ${c ? c.b : "your copy, changed"}`;
    this.select.value = c ? c.name : "";
    this.editA.classList.toggle("active", this.edit === "A");
    this.editB.classList.toggle("active", this.edit === "B");
    const said = app.config ? differences(app.schema, app.config, this.info.b) : [];
    this.diffList.replaceChildren(...(said.length ? said.map((s) => el("li", {}, `B: ${s}`))
      : [el("li", { class: "muted" }, "B is an exact copy of A: pick “Edit B” and change one setting.")]));
    this.story.textContent = c ? c.story : CUSTOM_STORY;
  }
}
