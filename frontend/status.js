// The status line: connecting / running / paused / diverged (with a reset button) / server
// full / disconnected - reconnecting; plus the notice when a change rebuilt the networks and
// the error banner for the server's (or this page's) error messages.

const LABELS = {
  connecting: "Connecting…",
  running: "Running",
  paused: "Paused",
  diverged: "Diverged",
  full: "Server full",
  reconnecting: "Disconnected — reconnecting…",
  closed: "Disconnected",
};

export class StatusBar {
  /** elements: {status, text, detail, resetButton, reconnectButton, notice, banner, bannerText, bannerClose} */
  constructor(el) {
    this.el = el;
    this.noticeTimer = null;
    el.bannerClose.addEventListener("click", () => this.clearError());
  }

  set(state, detail = "") {
    const { status, text } = this.el;
    status.dataset.state = state;
    text.textContent = LABELS[state] || state;
    this.el.detail.textContent = detail;
    this.el.resetButton.hidden = state !== "diverged";
    this.el.reconnectButton.hidden = !["closed", "full"].includes(state);
  }

  /** A short-lived notice, e.g. "Networks were reset". */
  notice(text, ms = 6000) {
    const n = this.el.notice;
    n.textContent = text;
    n.hidden = false;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => {
      n.hidden = true;
    }, ms);
  }

  error(message, field) {
    this.el.bannerText.textContent = field && !String(message).includes(field) ? `${field}: ${message}` : String(message);
    this.el.banner.hidden = false;
  }

  clearError() {
    this.el.banner.hidden = true;
    this.el.bannerText.textContent = "";
  }
}
