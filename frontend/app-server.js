// App's methods for what the server says (socket.js calls them): the session ready, its messages
// (status, config, curves, timeline, notices, refusals), the frames, the connection's state. Mixed
// into App's prototype (app.js): `this` is the App, the one store; these change its state and
// repaint (chrome.js, the views). A refusal of a form field goes beside that field.
import { forgetResumeToken, saveResumeToken } from "./resume.js";
import { applySweepMessage } from "./sweep.js";
import { fieldError } from "./field-messages.js";

export const ServerEvents = {
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
    if (!msg.resumed && (this.sweep.state === "starting" || this.sweep.state === "running")) {
      // A sweep belongs to the session (a resumed one sends it again); this is a new session: it is gone.
      this.sweep.state = "stopped";
      this.sweep.message = `The connection dropped, so the map stopped after ${this.sweep.done} of ${this.sweep.total} squares.`;
      this.paint("map");
    }
    // A link carries a preset's config, not its name, to the server: ask for the preset's speed here.
    const p = this.currentPreset();
    if (!msg.resumed && !msg.preset && p && p.speed != null) this.setSpeed(p.speed);
  },

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
  },

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
  },

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
  },

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
  },

  /** The form and the model diagram show the experiment being edited (B's while editing B). */
  showConfig(force) {
    if (!this.config) return;
    const shown = this.compare.formConfig(this.config);
    this.form.update(shown, force);
    this.model.update(shown);
  },

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
  },

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
  },

  /** A refusal of a field the form shows goes beside it, in plain words; false: not a form field. */
  showFieldError(msg) {
    if (!this.socket.ready || !this.config) return false;
    const got = fieldError(this.form, msg, this.config, this.lastEdit);
    if (got) this.fieldErrors.set(got.path, got.text);
    this.form.showErrors(this.fieldErrors);
    return Boolean(got);
  },
};
