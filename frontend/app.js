// The lab's state and the glue between the socket, the form and the views. The frontend holds
// no training logic: it renders frames and sends what the person changed.
import { History } from "./history.js";
import { LabSocket, socketUrl } from "./socket.js";
import { buildForm } from "./schema-form.js";
import { buildHash, dottedPatch, schemaDefaults } from "./urlhash.js";
import { describePreset, fillPresetSelect } from "./presets.js";
import { StatusBar } from "./status.js";
import { Samples2DView } from "./views/samples2d.js";
import { Samples2DPlotlyView } from "./views/samples2d-plotly.js";
import { Density1DView } from "./views/density1d.js";
import { DiracView } from "./views/dirac.js";
import { CurvesView } from "./views/curves.js";
import { ModelView } from "./views/model.js";
import { decodeFrame } from "./frame.js";

const $ = (id) => document.getElementById(id);

export class App {
  constructor({ schema, presets, initial }) {
    this.schema = schema;
    this.defaults = schemaDefaults(schema);
    this.presets = presets;
    this.preset = initial.preset || null;
    this.view = initial.view;
    this.hidden = initial.hidden;
    this.initialConfig = initial.config;
    this.config = null;
    this.running = false;
    this.frame = null;
    this.frameDirty = false;
    this.renderCount = 0; // frames drawn (bench/bench_render.py and the tests read it)
    this.frameCount = 0; // frames received
    this.history = new History();
    this.pendingExport = false;
    this.wasFull = false;

    this.status = new StatusBar({
      status: $("status"), text: $("status-text"), detail: $("status-detail"),
      resetButton: $("status-reset"), reconnectButton: $("status-reconnect"), notice: $("notice"),
      banner: $("error-banner"), bannerText: $("error-text"), bannerClose: $("error-close"),
    });
    if (initial.error) this.status.error(initial.error);
    this.form = buildForm($("form"), schema, (path, value) => this.configure(dottedPatch(path, value)));
    fillPresetSelect($("preset"), presets);
    this.views = {
      "2d": new Samples2DView($("canvas-2d")),
      "2d-plotly": new Samples2DPlotlyView($("plotly-2d")),
      "1d": new Density1DView($("canvas-1d")),
      dirac: new DiracView($("canvas-dirac")),
    };
    this.curves = new CurvesView($("view-losses"), $("view-metrics"));
    this.model = new ModelView($("model"));
    this.showPresetDescription();
    new ResizeObserver(() => this.requestRender()).observe($("view-samples"));

    this.socket = new LabSocket(socketUrl(), {
      onReady: (msg) => this.onReady(msg),
      onMessage: (msg) => this.onMessage(msg),
      onFrame: (frame) => this.onFrame(frame),
      onState: (state, detail) => this.onSocketState(state, detail),
    }, (resume) => this.helloFields(resume));
  }

  start() {
    this.socket.connect();
  }

  helloFields(resume) {
    if (resume) return { config: this.config || undefined };
    if (this.initialConfig) return { config: this.initialConfig };
    if (this.preset) return { preset: this.preset };
    return {};
  }

  // ---- server -> page ------------------------------------------------------------------------

  onReady(msg) {
    if (this.wasFull) this.status.clearError(); // "server full" no longer holds
    this.wasFull = false;
    if (msg.preset) this.preset = msg.preset;
    this.setConfig(msg.config, false);
    this.status.set("paused");
    this.sendView();
    if (msg.resumed) this.status.notice("Reconnected: the same session goes on.");
  }

  onMessage(msg) {
    switch (msg.type) {
      case "status":
        this.running = msg.state === "running";
        this.status.set(msg.state, msg.state === "diverged" ? msg.message || "" : "");
        if (typeof msg.iteration === "number") $("iteration").textContent = String(msg.iteration);
        $("its").textContent = this.running && msg.its ? `${Math.round(msg.its)} it/s` : "";
        if (msg.rebuilt) this.rebuiltNotice();
        this.syncTransport();
        break;
      case "config":
        if (msg.preset !== undefined) this.preset = msg.preset;
        this.setConfig(msg.config, Boolean(msg.rebuilt));
        break;
      case "notice":
        this.status.notice(msg.message || "");
        break;
      case "error":
        this.status.error(msg.message || "error", msg.field);
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
    this.frame = frame;
    const h = frame.header;
    this.history.push(h);
    this.views.dirac.push(h);
    this.views["2d"].trail.push(h);
    $("iteration").textContent = String(h.iteration);
    if (typeof h.its === "number") $("its").textContent = h.state === "running" ? `${Math.round(h.its)} it/s` : "";
    if (h.status === "diverged") this.status.set("diverged", h.status_message || "");
    this.requestRender();
  }

  onSocketState(state, detail) {
    if (state === "open") return; // `ready` sets the real state
    if (state === "full") this.wasFull = true;
    if (state === "reconnecting") this.status.set("reconnecting", detail.attempt ? `attempt ${detail.attempt}` : "");
    else if (state === "full") this.status.set("full", "Every seat on this server is taken; retrying every 10 s.");
    else if (state === "closed") this.status.set("closed", detail.reason || "");
    else this.status.set(state);
    this.running = false;
    this.syncTransport();
  }

  setConfig(config, rebuilt) {
    const dimBefore = this.config && this.mainKind();
    this.config = config;
    this.form.update(config);
    this.model.update(config);
    this.views.dirac.center = (config.target.mean && config.target.mean[0]) || 0;
    $("preset").value = this.preset || "";
    this.showPresetDescription();
    this.writeHash();
    if (rebuilt) this.rebuiltNotice();
    if (dimBefore !== this.mainKind()) this.showMainView();
  }

  rebuiltNotice() {
    this.status.notice("That change built new networks: training restarted from iteration 0.");
    this.views.dirac.clear();
  }

  // ---- page -> server ------------------------------------------------------------------------

  configure(patch) {
    this.status.clearError();
    this.socket.send({ type: "configure", patch });
  }

  play() {
    this.socket.send({ type: "play" });
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
    this.history.clear();
    this.views.dirac.clear();
    this.socket.send(seed === undefined ? { type: "reset" } : { type: "reset", seed });
  }

  choosePreset(name) {
    this.preset = name || null;
    this.showPresetDescription();
    if (name) {
      this.history.clear();
      this.views.dirac.clear();
      this.socket.send({ type: "preset", name });
    }
    this.writeHash();
  }

  draw(points) {
    this.preset = null;
    this.socket.send({ type: "draw", points });
  }

  requestExport(onExport) {
    this.pendingExport = true;
    this.onExport = onExport;
    this.socket.send({ type: "export", weights: true });
  }

  importData(data) {
    this.history.clear();
    this.views.dirac.clear();
    this.socket.send({ type: "import", data });
  }

  /** What frames should carry: only what the visible layers draw (the server computes less). */
  sendView() {
    const v = this.view;
    this.socket.send({
      type: "set_view", samples: v.samples, grid: v.grid, fps: v.fps, density: true,
      manifold: v.layers.manifold ? 20 : 0, gradients: v.layers.arrows, optimal_d: v.layers.dstar,
    });
  }

  setView(patch) {
    this.view = { ...this.view, ...patch, layers: { ...this.view.layers, ...(patch.layers || {}) } };
    this.sendView();
    this.writeHash();
    this.showMainView();
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
    return ["gaussian-1d", "mixture-1d", "uniform-1d"].includes(t.name) ? "1d" : "2d";
  }

  showMainView() {
    const kind = this.mainKind();
    const plotly = kind === "2d" && this.view.renderer === "plotly";
    $("canvas-2d").hidden = kind !== "2d" || plotly;
    $("plotly-2d").hidden = !plotly;
    $("canvas-1d").hidden = kind !== "1d";
    $("canvas-dirac").hidden = kind !== "dirac";
    this.requestRender();
  }

  mainElement() {
    const kind = this.mainKind();
    if (kind === "2d" && this.view.renderer === "plotly") return $("plotly-2d");
    return $({ "2d": "canvas-2d", "1d": "canvas-1d", dirac: "canvas-dirac" }[kind]);
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
    const el = this.mainElement();
    if (el.hidden) this.showMainView();
    const key = kind === "2d" && this.view.renderer === "plotly" ? "2d-plotly" : kind;
    this.views[key].render(frame, this.view);
    if (frame) this.renderCount++;
    this.curves.update(this.history, this.view.logx);
  }

  /**
   * Decode and draw `n` copies of a binary frame, one per animation frame (bench/bench_render.py).
   * Resolves to {fps, msPerRender}: fps counts drawn frames per wall-clock second (capped by the
   * display's animation rate), msPerRender is the decode + draw time alone.
   */
  benchRender(buffer, n, renderer = "canvas") {
    this.setView({ renderer });
    const view = this.views[renderer === "plotly" ? "2d-plotly" : "2d"];
    let busy = 0;
    return new Promise((resolve) => {
      let i = 0;
      let started = 0;
      const tick = () => {
        const t0 = performance.now();
        if (i === 0) started = t0;
        const frame = decodeFrame(buffer.slice(0));
        frame.header.iteration = i;
        view.render(frame, this.view);
        this.renderCount++;
        busy += performance.now() - t0;
        if (++i < n) requestAnimationFrame(tick);
        else resolve({ fps: ((n - 1) * 1000) / (performance.now() - started), msPerRender: busy / n });
      };
      requestAnimationFrame(tick);
    });
  }

  // ---- misc ----------------------------------------------------------------------------------

  showPresetDescription() {
    const p = this.presets.find((x) => x.name === this.preset);
    $("preset-description").textContent = describePreset(p);
  }

  syncTransport() {
    $("play").classList.toggle("active", this.running);
    $("pause").classList.toggle("active", !this.running);
  }

  writeHash() {
    if (!this.config) return;
    const hash = buildHash({ config: this.config, defaults: this.defaults, preset: this.preset, view: this.view, hidden: this.hidden });
    if (hash !== window.location.hash) history.replaceState(null, "", hash);
  }
}
