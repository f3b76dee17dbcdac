// The lab's one store and the glue between the socket, the form and the views. App owns all page
// state; the DOM is drawn from it (chrome.js, the views) and never read back. The frontend holds
// no training logic: it renders frames and sends what the person changed. This module is the
// store itself (its state, the views it owns, the link); its methods live by concern in the
// app-*.js modules mixed in at the bottom.
import { History } from "./history.js";
import { LabSocket, socketUrl } from "./socket.js";
import { buildForm } from "./schema-form.js";
import { buildHash, schemaDefaults, viewDefaults } from "./urlhash.js";
import { OwnData } from "./owndata.js";
import { fillPresetSelect } from "./presets.js";
import { StatusBar } from "./status.js";
import { PAINTERS } from "./chrome.js";
import { guideDismissed } from "./guide.js";
import { PanelActions } from "./app-panels.js";
import { ServerEvents } from "./app-server.js";
import { Actions } from "./app-actions.js";
import { MapActions } from "./app-map.js";
import { Rendering } from "./app-render.js";
import { PointTrail } from "./views/trail.js";
import { Samples2DView } from "./views/samples2d.js";
import { Density1DView } from "./views/density1d.js";
import { DiracView } from "./views/dirac.js";
import { CurvesView } from "./views/curves.js";
import { ModelView } from "./views/model.js";
import { TimelineView } from "./views/timeline.js";
import { Rewind } from "./rewind.js";
import { resumeToken } from "./resume.js";
import { StabilityMapView } from "./views/stability-map.js";
import { newSweep } from "./sweep.js";
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

// App's methods by concern, each in its own module: what the server says (app-server.js), what a
// person asks of it (app-actions.js), the Map panel (app-map.js), drawing (app-render.js) and the
// page's panels: guide, help, drawer, classroom link, recording, slow motion (app-panels.js).
Object.assign(App.prototype, ServerEvents, Actions, MapActions, Rendering, PanelActions);
