// The lab's one store and the glue between the socket, the form and the views. App owns all page
// state; the DOM is drawn from it (chrome.js, the views) and never read back. The frontend holds
// no training logic: it renders frames and sends what the person changed.
import { History } from "./history.js";
import { LabSocket, socketUrl } from "./socket.js";
import { buildForm } from "./schema-form.js";
import { buildHash, dottedPatch, schemaDefaults, viewDefaults } from "./urlhash.js";
import { OwnData } from "./owndata.js";
import { fillPresetSelect } from "./presets.js";
import { StatusBar } from "./status.js";
import { PAINTERS } from "./chrome.js";
import { guideDismissed } from "./guide.js";
import { PanelActions } from "./app-panels.js";
import { fieldError } from "./field-messages.js";
import { PointTrail } from "./views/trail.js";
import { Samples2DView } from "./views/samples2d.js";
import { Density1DView } from "./views/density1d.js";
import { DiracView } from "./views/dirac.js";
import { CurvesView } from "./views/curves.js";
import { ModelView } from "./views/model.js";
import { TimelineView } from "./views/timeline.js";
import { Rewind } from "./rewind.js";
import { forgetResumeToken, resumeToken, saveResumeToken } from "./resume.js";
import { StabilityMapView } from "./views/stability-map.js";
import { EXAMPLES, applySweepMessage, cellPatch, newSweep, representativeSeed, settingName, sweepRequest } from "./sweep.js";
import { buildMapPanel } from "./mappanel.js";
import { Classroom } from "./broadcast.js";
import { Compare } from "./compare.js";

const $ = (id) => document.getElementById(id);

export class App {
  constructor({ schema, presets, comparisons, initial }) {
    // What the server says once (GET /api/schema, /api/presets): defaults, bounds, target dims.
    this.schema = schema;
    this.defaults = schemaDefaults(schema);
    this.defaultView = viewDefaults(schema);
    this.targetDims = schema["x-target-dims"]; // target name -> 1 | 2 | name of its dimension field
    this.manifoldSide = schema["x-view"].manifold.default; // noise-grid side while that layer is on
    this.presets = presets;

    // ---- the store ----------------------------------------------------------------------------
    this.preset = initial.preset || null;
    // The config differs from the preset's (seed aside), as the server says: the preset's story
    // then describes the original, not what runs.
    this.modified = false;
    this.view = initial.view;
    this.hide = initial.hide; // controls hidden by the classroom link this page was opened from
    this.share = { open: false, hide: new Set() }; // the classroom link being made
    this.initialConfig = initial.config;
    this.config = null;
    this.running = false;
    this.iteration = 0;
    this.its = null; // iterations/s while running, from the server
    this.frame = null;
    this.history = new History();
    this.rewind = new Rewind(this); // the timeline: where the run is on it, the scrub, the branches
    this.trail = new PointTrail(); // the 2D Dirac game's generator path, fed by every frame
    this.recording = null; // stop() of the recording in progress, or null
    this.slowMotion = null; // the slow-motion stage shown ({text, boxes}), or null
    this.shownKind = null; // the main view on screen: "2d" | "1d" | "dirac"
    this.frameDirty = false;
    this.renderCount = 0; // frames drawn (bench/bench_render.py and the tests read it)
    this.frameCount = 0; // frames received
    this.pendingExport = false;
    this.wasFull = false;
    this.sentWindow = null; // the window the server was last asked to compute D over (set_view)
    this.ownData = new OwnData(this, OwnData.limitsFrom(schema)); // the CSV panel's state
    this.linkLength = 0; // characters of this experiment's link (a person's data can make it long)
    this.speed = null; // the session's iterations/s cap (null: none), as its status says
    this.budgetReached = false; // the last play stopped at the preset's step budget
    this.guideOpen = !guideDismissed(); // the first-steps guide (dismissed once per browser)
    this.helpOpen = false;
    this.drawerOpen = false; // the settings drawer (narrow screens)
    this.fieldErrors = new Map(); // config path -> the refusal shown beside its field
    this.lastEdit = null; // {path, sent}: the last change sent from a field
    this.lastAction = null; // what the page last asked for: a rebuild after "configure" gets a notice

    this.status = new StatusBar({
      status: $("status"), text: $("status-text"), detail: $("status-detail"),
      resetButton: $("status-reset"), reconnectButton: $("status-reconnect"), notice: $("notice"),
      banner: $("error-banner"), bannerText: $("error-text"), bannerClose: $("error-close"),
    });
    if (initial.error) this.status.error(initial.error);
    this.form = buildForm($("form"), schema, (path, value) => this.edit(path, value), this.hide);
    fillPresetSelect($("preset"), presets);
    const framing = schema["x-view"].window; // the rule both sample views frame their plots by
    this.views = {
      "2d": new Samples2DView($("canvas-2d"), framing),
      "1d": new Density1DView($("canvas-1d"), framing),
      dirac: new DiracView($("canvas-dirac")),
    };
    this.curves = new CurvesView($("view-losses"), $("view-metrics"));
    this.model = new ModelView($("model"), (section) => this.openSettings(section));
    this.timelineView = new TimelineView(this.rewind);
    this.sweep = newSweep(this.preset); // the Map panel: its form and the sweep the server runs for this page
    this.mapView = new StabilityMapView($("map-canvas"));
    buildMapPanel(presets);
    this.classroom = new Classroom(this, initial.watch || null); // sharing with a class, or watching one
    this.compare = new Compare(this, comparisons, initial.compare || null); // B beside A
    this.paint("classroom", "preset", "viewBar", "counter", "transport", "recording", "slowMotion", "map", "guide",
      "help", "drawer");
    // A cell that changed size is drawn again, paused too (the curves' cells shrink when the
    // timeline's text wraps, say, and plotly keeps the size it was drawn at).
    const resized = new ResizeObserver(() => this.requestRender());
    for (const id of ["view-samples", "view-losses"]) resized.observe($(id));

    this.socket = new LabSocket(socketUrl(), {
      onReady: (msg) => this.onReady(msg),
      onMessage: (msg) => this.onMessage(msg),
      onFrame: (frame) => this.onFrame(frame),
      onState: (state, detail) => this.onSocketState(state, detail),
      allow: (msg) => this.classroom.allows(msg),
    }, (resume) => this.helloFields(resume), initial.watch ? null : resumeToken()); // a viewer resumes nothing
  }

  start() {
    this.socket.connect();
  }

  /** Redraw the named parts of the page from the store (chrome.js). */
  paint(...parts) {
    for (const part of parts) PAINTERS[part](this);
  }

  /** A new session's experiment (with a resume token too: the server starts it if the token expired),
   * or the class this page watches. */
  helloFields() {
    const watch = this.classroom.helloFields();
    if (watch) return watch;
    const config = this.config || this.initialConfig;
    if (config) return { config };
    if (this.preset) return { preset: this.preset };
    return {};
  }

  // ---- server -> page ------------------------------------------------------------------------

  onReady(msg) {
    if (this.wasFull) this.status.clearError(); // "server full" no longer holds
    this.wasFull = false;
    const reloaded = this.config === null; // resumed on this page's first connection: a reload
    if (msg.preset) this.preset = msg.preset;
    this.sentWindow = null; // a fresh (or resumed) session computes over the target's box until told
    this.modified = Boolean(msg.modified);
    this.classroom.onReady(msg);
    this.compare.set(msg.compare || null);
    this.setConfig(msg.config, false);
    this.status.set("paused");
    if (this.classroom.role !== "viewer") this.sendView(); // a viewer sees the teacher's frames as they are
    this.compare.onReady(msg);
    saveResumeToken(msg.token); // the newest one: the server may issue a new token on every resume
    if (msg.resumed) {
      const at = typeof msg.iteration === "number" ? ` at iteration ${msg.iteration}` : "";
      this.status.notice(reloaded ? `Resumed after the reload: the same session goes on${at}, curves and timeline kept.`
        : `Reconnected: the same session goes on${at}.`);
    }
    if (this.sweep.state === "starting" || this.sweep.state === "running") {
      // A sweep belongs to its connection: the server stopped it when the socket dropped.
      this.sweep.state = "stopped";
      this.sweep.message = `The connection dropped, so the map stopped after ${this.sweep.done} of ${this.sweep.total} squares.`;
      this.paint("map");
    }
    // A link carries a preset's config, not its name, to the server: ask for the preset's speed here.
    const p = this.currentPreset();
    if (!msg.resumed && !msg.preset && p && p.speed != null) this.setSpeed(p.speed);
  }

  onMessage(msg) {
    if (applySweepMessage(this.sweep, msg, performance.now())) {
      this.paint("map");
      return;
    }
    if (msg.type === "error" && this.sweep.state === "starting") {
      // The sweep was refused (checked before anything runs): say why in the Map panel.
      this.sweep.state = "idle";
      const field = msg.field && !String(msg.message).startsWith(msg.field) ? `${msg.field}: ` : "";
      this.sweep.message = `${field}${msg.message}`;
      this.paint("map");
      return;
    }
    switch (msg.type) {
      case "status":
        this.running = msg.state === "running";
        this.status.set(msg.state, msg.state === "diverged" ? msg.message || "" : "");
        if (typeof msg.iteration === "number") this.iteration = msg.iteration;
        this.its = msg.its || null;
        this.rewind.onStatus(msg);
        if (msg.rebuilt) this.rebuiltNotice(msg.cause, msg.iteration);
        if ("speed" in msg) this.speed = msg.speed ?? null;
        if (msg.until_reached) this.budgetReached = true;
        this.paint("counter", "transport", "story");
        this.requestRender();
        break;
      case "config":
        // A new target makes the server forget the window: say it again once the page has framed it.
        this.sentWindow = null;
        this.ownData.accepted();
        if (msg.preset !== undefined) this.preset = msg.preset;
        this.modified = Boolean(msg.modified);
        this.compare.set(msg.compare || null);
        this.setConfig(msg.config, Boolean(msg.rebuilt), msg.cause, msg.iteration);
        break;
      case "history":
        this.onHistory(msg);
        break;
      case "timeline":
        this.rewind.onTimeline(msg);
        break;
      case "broadcast":
        this.classroom.onMessage(msg);
        break;
      case "notice":
        this.status.notice(msg.message || "");
        break;
      case "error":
        if (msg.field === "resume") forgetResumeToken(); // that session is gone; `ready` brings a new token
        this.rewind.onError();
        if (this.ownData.pending && String(msg.field || "").startsWith("target")) {
          this.ownData.refused(msg.message || "error"); // said beside the data panel, naming the row
          if (this.config) this.form.update(this.config, true);
          break;
        }
        if (!this.showFieldError(msg)) this.status.error(msg.message || "error", msg.field);
        this.classroom.onError(msg);
        if (!this.socket.ready && msg.field !== "resume" && (this.initialConfig || this.preset)) {
          // The link's experiment was refused (say, made with an older schema): say why, and
          // start the default experiment rather than leave an empty page.
          this.status.error(`${msg.message} — the default experiment loaded instead.`, msg.field);
          this.initialConfig = null;
          this.preset = null;
          this.socket.resendHello({});
        }
        if (this.config) this.form.update(this.config, true); // put the control back to what runs
        break;
      case "export":
        if (this.pendingExport) {
          this.pendingExport = false;
          this.onExport(msg.data);
        }
        break;
      default:
        break;
    }
  }

  onFrame(frame) {
    this.frameCount++;
    if (frame.header.slot === "B") {
      this.compare.onFrame(frame);
      this.requestRender();
      return;
    }
    this.frame = frame;
    const h = frame.header;
    this.history.push(h);
    this.views.dirac.push(h);
    this.trail.push(h);
    this.rewind.onFrame(h);
    this.iteration = h.iteration;
    if (typeof h.its === "number") this.its = h.state === "running" ? h.its : null;
    this.paint("counter");
    if (h.status === "diverged") this.status.set("diverged", h.status_message || "");
    this.requestRender();
  }

  onSocketState(state, detail) {
    if (state === "open") return; // `ready` sets the real state
    if (state === "full") this.wasFull = true;
    if (state === "reconnecting") this.status.set("reconnecting", detail.attempt ? `attempt ${detail.attempt}` : "");
    else if (state === "full") this.status.set("full", "Every seat on this server is taken; retrying every 10 s.");
    else if (state === "closed") this.status.set("closed", detail.reason || "");
    if (state === "closed") this.classroom.onClosed(detail.reason || "");
    else this.status.set(state);
    this.running = false;
    this.paint("counter", "transport");
  }

  setConfig(config, rebuilt, cause = "configure", iteration = 0) {
    const dimBefore = this.config && this.mainKind();
    this.config = config;
    this.showConfig(false);
    this.compare.paint(); // B's differences are against this A
    this.views.dirac.center = (config.target.mean && config.target.mean[0]) || 0;
    this.paint("preset", "map");
    this.writeHash();
    if (rebuilt) this.rebuiltNotice(cause, iteration);
    else if (cause === "switch_branch") this.status.notice(`Switched branch: back where it was left, iteration ${iteration}.`);
    if (dimBefore !== this.mainKind()) this.showMainView();
  }

  /** The form and the model diagram show the experiment being edited (B's while editing B). */
  showConfig(force) {
    if (!this.config) return;
    const shown = this.compare.formConfig(this.config);
    this.form.update(shown, force);
    this.model.update(shown);
  }

  rebuiltNotice(cause, iteration) {
    if (cause === "import") {
      // Not a restart: the saved run goes on where it was saved, with its curves.
      this.status.notice(`Imported: the saved experiment goes on from iteration ${iteration}, with its curves.`);
    } else if (this.lastAction === "configure") {
      // Only a settings change earns the restart notice: a preset or a reset restarts by design, and
      // a notice on a preset load would cover its story.
      this.status.notice(this.compare.active
        ? "That change built new networks: A and B both restarted from iteration 0."
        : "That change built new networks: training restarted from iteration 0.");
    }
    this.views.dirac.clear();
    this.trail.clear();
    this.compare.clearTraces();
  }

  /** The server's curves so far (on connect, after a reload, an import or any new run; a viewer's
   * when it joins): A's, or B's of a comparison (`slot`). */
  onHistory(msg) {
    const b = msg.slot === "B";
    const history = b ? this.compare.history : this.history;
    const dirac = b ? this.compare.views.dirac : this.views.dirac;
    const trail = b ? this.compare.trail : this.trail;
    history.load(msg);
    // The Dirac game's orbit and 2D trail start again from the curves' coordinates.
    dirac.clear();
    trail.clear();
    const L = history.losses;
    L.iteration.forEach((it, i) => {
      if (L.theta[i] !== null && L.psi[i] !== null) dirac.add(it, L.theta[i], L.psi[i]);
    });
    trail.seed(L.iteration, L.theta, L.theta2);
    this.requestRender();
  }

  /** A refusal of a field the form shows goes beside it, in plain words; false: not a form field. */
  showFieldError(msg) {
    if (!this.socket.ready || !this.config) return false;
    const got = fieldError(this.form, msg, this.config, this.lastEdit);
    if (got) this.fieldErrors.set(got.path, got.text);
    this.form.showErrors(this.fieldErrors);
    return Boolean(got);
  }

  // ---- page -> server ------------------------------------------------------------------------

  /** A person changed the field at `path`. */
  edit(path, value) {
    this.lastEdit = { path, sent: value };
    this.configure(dottedPatch(path, value));
  }

  configure(patch) {
    this.status.clearError();
    if (this.fieldErrors.size) {
      this.fieldErrors.clear();
      this.form.showErrors(this.fieldErrors);
    }
    this.lastAction = "configure";
    this.socket.send({ type: "configure", patch, ...this.compare.slotField() });
  }

  /** Play; a preset's run pauses at its step budget (the server stops exactly there). */
  play() {
    const p = this.currentPreset();
    const until = p && this.iteration < p.steps ? p.steps : null;
    this.budgetReached = false;
    this.paint("story");
    this.socket.send(until ? { type: "play", until } : { type: "play" });
  }

  setSpeed(its) {
    this.speed = its;
    this.paint("story");
    this.socket.send({ type: "speed", its });
  }

  pause() {
    this.socket.send({ type: "pause" });
  }

  togglePlay() {
    if (this.running) this.pause();
    else this.play();
  }

  step(part = "iteration") {
    this.socket.send(part === "iteration" ? { type: "step", n: 1 } : { type: "step", n: 1, part });
  }

  reset(seed) {
    if (!this.classroom.allows({ type: "reset" })) return; // a viewer's curves stay: nothing was reset
    this.lastAction = "reset";
    this.budgetReached = false;
    this.clearTraces();
    this.socket.send(seed === undefined ? { type: "reset" } : { type: "reset", seed });
  }

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
  }

  draw(points) {
    this.preset = null;
    this.lastAction = "configure"; // a new target, like any settings change
    this.modified = false;
    this.socket.send({ type: "draw", points });
  }

  /** A person's own data as the target (target: a `data` target config; owndata.js builds it). */
  useData(target) {
    this.preset = null; // the server forgets it too: a preset is about its own target
    this.clearTraces();
    this.configure({ target });
  }

  requestExport(onExport) {
    this.pendingExport = true;
    this.onExport = onExport;
    this.socket.send({ type: "export", weights: true });
  }

  importData(data) {
    if (!this.classroom.allows({ type: "import" })) return;
    this.lastAction = "import";
    this.clearTraces();
    this.socket.send({ type: "import", data });
  }

  /** What frames should carry: only what the visible layers draw (the server computes less). */
  sendView() {
    const v = this.view;
    this.socket.send({
      type: "set_view", samples: v.samples, grid: v.grid, fps: v.fps, density: true,
      manifold: v.layers.manifold ? this.manifoldSide : 0, gradients: v.layers.arrows, optimal_d: v.layers.dstar,
    });
  }

  setView(patch) {
    this.view = { ...this.view, ...patch, layers: { ...this.view.layers, ...(patch.layers || {}) } };
    this.sendView();
    this.writeHash();
    this.paint("viewBar");
    this.showMainView();
  }

  // ---- the Map panel (sweep.js has the rules) ------------------------------------------------

  toggleMap(open = !this.sweep.open) {
    this.sweep.open = open;
    if (open && !this.sweep.axes.length && this.preset) this.sweep.form.preset = this.preset;
    this.paint("map");
    this.requestRender(); // the main view changed width
  }

  sweepForm(patch) {
    Object.assign(this.sweep.form, patch);
    this.sweep.message = "";
    this.paint("map");
  }

  sweepFormAxis(i, { path, values }) {
    const f = this.sweep.form;
    if (path !== undefined) f.paths = f.paths.map((x, k) => (k === i ? path : x));
    if (values !== undefined) f.values = f.values.map((x, k) => (k === i ? values : x));
    this.sweepForm({});
  }

  sweepExample(name) {
    const e = EXAMPLES[name];
    this.sweepForm({ preset: e.preset, paths: [...e.paths], values: [...e.values], seeds: e.seeds, steps: e.steps });
  }

  startSweep() {
    let msg;
    try {
      msg = sweepRequest(this.sweep.form);
    } catch (err) {
      this.sweep.message = err.message;
      this.paint("map");
      return;
    }
    this.sweep.state = "starting";
    this.sweep.message = "";
    this.socket.send(msg);
    this.paint("map");
  }

  cancelSweep() {
    this.socket.send(this.sweep.id ? { type: "sweep_cancel", id: this.sweep.id } : { type: "sweep_cancel" });
  }

  hoverCell(index) {
    if (index === this.sweep.hover) return;
    this.sweep.hover = index;
    this.paint("map");
  }

  /** Open a finished square's run in the lab: its preset, its settings and the seed that ended like the square. */
  openCell(index) {
    const cell = this.sweep.cells[index];
    if (!cell) {
      this.status.notice("That square is still training.");
      return;
    }
    const seed = representativeSeed(cell);
    this.clearTraces();
    this.preset = this.sweep.preset;
    this.paint("preset");
    this.socket.send({ type: "preset", name: this.sweep.preset });
    this.socket.send({ type: "configure", patch: cellPatch(cell, seed) });
    this.socket.send({ type: "reset", seed });
    this.socket.send({ type: "play" });
    const what = Object.entries(cell.params).map(([k, v]) => `${settingName(k)} = ${v}`).join(", ");
    this.status.notice(`In the lab now: ${what}, seed ${seed} (${cell.outcome} on the map).`);
  }

  // ---- rendering -----------------------------------------------------------------------------

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
  }

  /** Whether the target is a Dirac point: its metrics are a distance to equilibrium, not modes. */
  isDirac() {
    return Boolean(this.config && this.config.target && this.config.target.name === "dirac");
  }

  /** The chosen preset's listing entry, or null. */
  presetEntry() {
    return this.presets.find((p) => p.name === this.preset) || null;
  }

  /** 1 or 2: the data dimension of target `t`, as the server's x-target-dims states it. */
  targetDim(t) {
    const dim = this.targetDims[t.name];
    return typeof dim === "string" ? t[dim] : dim;
  }

  showMainView() {
    this.shownKind = this.mainKind();
    this.paint("mainView");
    this.requestRender();
  }

  /** The main view's canvas (PNG export and recording take it). */
  mainElement() {
    return this.views[this.mainKind()].canvas;
  }

  requestRender() {
    if (this.frameDirty) return;
    this.frameDirty = true;
    requestAnimationFrame(() => {
      this.frameDirty = false;
      this.render(this.frame);
    });
  }

  render(frame) {
    const kind = this.mainKind();
    if (kind !== this.shownKind) {
      this.shownKind = kind; // "auto" follows the frames' dimension
      this.paint("mainView");
      this.compare.paint();
    }
    const view = this.views[kind];
    view.render(frame, this.view, this.trail);
    this.compare.render(kind);
    if (frame) this.renderCount++;
    if (view.framer && frame) this.followWindow(view.framer);
    // The timeline first: its text may wrap to another line and shrink the curves' cells, which
    // plotly then draws at their new size (not the old one, cut off at the bottom).
    this.timelineView.render(this.history);
    if (this.compare.active) this.compare.curves.update(this.history, this.compare.history, this.view.logx);
    else this.curves.update(this.history, this.view, this.rewind.marked, this.isDirac());
  }

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
  }

  /** Lock the axes at the window drawn now (a teacher's fixed frame; it goes into links), or fit. */
  setLock(on) {
    const view = this.views[this.mainKind()];
    const win = on && view.frameWindow;
    if (on && !win) return; // nothing drawn yet to lock
    // 4 significant digits: the frame a person saw, in a short link.
    const round = (v) => Number(v.toPrecision(4));
    this.setView({ lock: win ? (this.mainKind() === "1d" ? win.slice(0, 2) : win.slice(0, 4)).map(round) : null });
  }

  // ---- page state ----------------------------------------------------------------------------

  /** What a reset, a preset or an import starts afresh: the Dirac orbit and the 2D trail (the
   * curves come from the server's `history` message for the new run). */
  clearTraces() {
    this.views.dirac.clear();
    this.trail.clear();
    this.compare.clearTraces();
  }

  currentPreset() {
    return this.presets.find((p) => p.name === this.preset) || null;
  }

  writeHash() {
    if (!this.config || this.classroom.role === "viewer") return; // a viewer's address is the watch link
    const hash = buildHash({ config: this.config, defaults: this.defaults, defaultView: this.defaultView,
      preset: this.preset, view: this.view, hide: this.hide, compare: this.compare.hashPart(this.config) });
    if (hash !== window.location.hash) history.replaceState(null, "", hash);
    this.linkLength = window.location.href.split("#")[0].length + hash.length;
    this.paint("link");
    if (this.share.open) this.paint("share"); // the link being made follows the experiment
  }
}

// The page's panels (guide, help, drawer, classroom link, recording, slow motion): App's methods
// too, kept in their own module (app-panels.js).
Object.assign(App.prototype, PanelActions);
