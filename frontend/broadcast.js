// The classroom on the page (docs/protocol.md, "Broadcast"): the teacher's "Share with class" panel
// (join code, link, QR code drawn here with no network, number of viewers) and a viewer's read-only
// lab (labelled, every control that would change the experiment off, "make my own copy" = fork).
// State lives here, owned by App (app.classroom); the DOM is drawn from it, never read back.
import { drawQr } from "./qr.js";
import { el } from "./dom.js";

const $ = (id) => document.getElementById(id);
const ALLOWED_FOR_VIEWERS = new Set(["ping", "fork"]); // what a viewer's page may send once it watches

/** The join code in this page's address (?watch=CODE), or null. */
export function watchCode(loc = window.location) {
  const code = new URLSearchParams(loc.search).get("watch");
  return code && code.trim() ? code.trim() : null;
}

/** The viewer link for `code`, on the host and path this page was opened on. */
export function joinUrl(code, loc = window.location) {
  return `${loc.origin}${loc.pathname}?watch=${encodeURIComponent(code)}`;
}

/** Whether students' machines cannot reach `hostname` (it names the machine they sit at). */
export function isLoopback(hostname) {
  const h = hostname.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\./.test(h);
}

export class Classroom {
  /** app: the App; watch: the code this page was opened to watch (null: the page owns its lab). */
  constructor(app, watch) {
    this.app = app;
    this.watch = watch;
    this.role = watch ? "viewer" : "owner"; // until `ready` says
    this.share = null; // the owner's broadcast: {code, url, viewers} while it is on
    this.panelOpen = false;
    this.stream = watch ? "connecting" : null; // a viewer's stream: live | waiting | ended
    this.streamMessage = "";
    this.forking = false;
    this.qrUrl = null;
    this.build();
    this.paint();
  }

  build() {
    this.panel = el("section", { class: "class-panel", testid: "class-panel", role: "dialog",
      "aria-label": "Share this lab with the class" });
    this.panel.hidden = true;
    const close = el("button", { type: "button", class: "class-close", "aria-label": "Close" }, "×");
    close.addEventListener("click", () => this.togglePanel(false));
    this.codeText = el("div", { class: "class-code", testid: "class-code" });
    this.qr = el("canvas", { class: "class-qr", testid: "class-qr", "aria-label": "QR code of the link" });
    this.urlText = el("input", { type: "text", readonly: "", testid: "class-url", "aria-label": "Viewer link" });
    const copy = el("button", { type: "button", testid: "class-copy" }, "Copy link");
    copy.addEventListener("click", () => this.copyLink());
    this.viewersText = el("p", { class: "class-viewers", testid: "class-viewers", "aria-live": "polite" });
    this.hint = el("p", { class: "class-hint", testid: "class-hint" });
    const stop = el("button", { type: "button", testid: "class-stop" }, "Stop sharing");
    stop.addEventListener("click", () => this.app.socket.send({ type: "broadcast", stop: true }));
    this.panel.append(
      el("div", { class: "class-head" }, el("strong", {}, "Share with the class"), close),
      el("p", { class: "small muted" }, "Students open the link or scan the code and watch this lab live, read-only."),
      this.codeText, this.qr, el("div", { class: "class-link" }, this.urlText, copy), this.viewersText, this.hint, stop);
    document.body.append(this.panel);

    this.banner = el("div", { class: "viewer-banner", testid: "viewer-banner", role: "status" });
    this.bannerText = el("span", { testid: "viewer-text" });
    this.forkButton = el("button", { type: "button", testid: "fork", class: "primary" }, "Make my own copy");
    this.forkButton.addEventListener("click", () => this.fork());
    this.ownLab = el("a", { href: window.location.pathname, testid: "own-lab" }, "Open my own lab");
    this.banner.append(el("span", { class: "viewer-badge" }, "Watching"), this.bannerText, this.forkButton, this.ownLab);
    $("error-banner").before(this.banner);
  }

  // ---- the socket -------------------------------------------------------------------------------

  /** The hello fields of a fresh session: a viewer asks to watch its code. */
  helloFields() {
    return this.role === "viewer" && this.watch ? { watch: this.watch } : null;
  }

  /** Whether the page may send `msg` (a viewer sends nothing that would change the experiment). */
  allows(msg) {
    if (this.role !== "viewer" || ALLOWED_FOR_VIEWERS.has(msg.type)) return true;
    this.app.status.notice("You are watching the teacher's lab: make your own copy to change it.");
    return false;
  }

  onReady(msg) {
    const wasViewer = this.role === "viewer";
    this.role = msg.role === "viewer" ? "viewer" : "owner";
    if (this.role === "viewer") {
      this.stream = "live";
      this.streamMessage = "";
    } else if (wasViewer) {
      // The fork: this page owns a copy now; its address no longer watches (a reload keeps the copy's
      // experiment through the hash App writes).
      this.forking = false;
      this.watch = null;
      this.stream = null;
      window.history.replaceState(null, "", window.location.pathname + window.location.hash);
      this.app.status.notice("This is your own copy, from where the class was: change anything.");
    }
    this.paint();
    this.app.paint("guide"); // a viewer's page has none; an own copy may
  }

  onMessage(msg) {
    if (this.role === "viewer") {
      this.stream = msg.state || this.stream;
      this.streamMessage = msg.message || "";
      if (msg.state === "waiting") this.app.status.set("paused", "the teacher's lab is away");
    } else {
      this.share = msg.state === "ended" || !msg.code ? null : { code: msg.code, url: msg.url, viewers: msg.viewers };
      if (!this.share) this.panelOpen = false;
    }
    this.paint();
  }

  onError(msg) {
    if (msg.field === "watch") {
      this.stream = "unknown";
      this.streamMessage = `No class is sharing the code ${this.watch} now (it may have ended).`;
      this.paint();
    }
    if (this.forking) {
      this.forking = false;
      this.paint();
    }
  }

  onClosed(reason) {
    if (this.role === "viewer" && this.stream !== "ended" && reason === "broadcast ended") {
      this.stream = "ended";
      this.paint();
    }
  }

  // ---- actions ------------------------------------------------------------------------------------

  togglePanel(open = !this.panelOpen) {
    this.panelOpen = open;
    if (open && !this.share) this.app.socket.send({ type: "broadcast" });
    this.paint();
  }

  fork() {
    this.forking = true;
    this.app.socket.send({ type: "fork" });
    this.paint();
  }

  async copyLink() {
    if (!this.share) return;
    try {
      await navigator.clipboard.writeText(joinUrl(this.share.code));
      this.app.status.notice("Viewer link copied.");
    } catch {
      this.urlText.select();
      this.app.status.notice("Select the link and copy it (the clipboard is not available here).");
    }
  }

  // ---- drawing ------------------------------------------------------------------------------------

  paint() {
    const viewer = this.role === "viewer";
    document.body.classList.toggle("viewer-mode", viewer);
    for (const id of ["form", "draw-section", "preset", "import"]) {
      const node = $(id);
      if (node) node.inert = viewer;
    }
    const button = $("share-class");
    if (button) {
      button.hidden = viewer;
      button.classList.toggle("active", Boolean(this.share));
      button.textContent = this.share ? `Sharing · ${this.share.viewers} watching` : "Share with class";
    }
    this.banner.hidden = !viewer;
    if (viewer) {
      const code = this.watch ? ` (code ${this.watch.toUpperCase()})` : "";
      const texts = {
        connecting: `Joining the teacher's lab${code}…`,
        live: `the teacher's lab${code}, read-only: it changes when the teacher changes it.`,
        waiting: this.streamMessage || "The teacher's lab is away; this page goes on when it is back.",
        ended: `${this.streamMessage || "The broadcast ended."} Make your own lab to go on.`,
        unknown: this.streamMessage,
      };
      this.bannerText.textContent = texts[this.stream] || "";
      this.banner.dataset.state = this.stream;
      this.forkButton.hidden = !["live", "waiting"].includes(this.stream);
      this.forkButton.disabled = this.forking;
      this.forkButton.textContent = this.forking ? "Copying…" : "Make my own copy";
      this.ownLab.hidden = !["ended", "unknown"].includes(this.stream);
    }
    const open = this.panelOpen && !viewer;
    this.panel.hidden = !open;
    if (!open) return;
    const s = this.share;
    this.codeText.textContent = s ? s.code : "Starting…";
    const url = s ? joinUrl(s.code) : "";
    this.urlText.value = url;
    this.qr.hidden = !s;
    if (s && this.qrUrl !== url) {
      drawQr(this.qr, url, 5);
      this.qrUrl = url; // drawn once per link
    }
    this.viewersText.textContent = s ? `${s.viewers} ${s.viewers === 1 ? "student" : "students"} watching` : "";
    this.hint.hidden = !isLoopback(window.location.hostname);
    this.hint.textContent = "Students cannot open 127.0.0.1 or localhost (to them it means their own computer): "
      + "start the lab with toygan serve --host 0.0.0.0, open it at this machine's network address, and share again.";
  }
}
