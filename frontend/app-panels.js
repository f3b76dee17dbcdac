// App's methods for the page's panels: the first-steps guide, the help overlay, the settings
// drawer (narrow screens), the model strip's way into the settings, the classroom link, the PNG
// caption, the recording and the slow-motion stage. Mixed into App's prototype (app.js): `this`
// is the App, the one store; these change its state and repaint (chrome.js).
import { buildHash } from "./urlhash.js";
import { rememberGuide } from "./guide.js";
import { startRecording } from "./export.js";

const $ = (id) => document.getElementById(id);
const DRAWER_MAX_PX = 1100; // lab.css: at this width and below the settings are a drawer

export const PanelActions = {
  setGuide(open) {
    this.guideOpen = open;
    rememberGuide(!open);
    this.paint("guide");
  },

  setHelp(open) {
    this.helpOpen = open;
    this.paint("help");
    if (open) $("help-close").focus();
  },

  setDrawer(open) {
    this.drawerOpen = open;
    this.paint("drawer");
  },

  /** Escape: close the topmost of help, drawer, guide; false when nothing was open. An Escape
   * typed into a field (`typing`) leaves the guide alone: dismissing it is for good. */
  closeTop(typing = false) {
    if (this.helpOpen) this.setHelp(false);
    else if (this.drawerOpen) this.setDrawer(false);
    else if (this.guideOpen && !typing) this.setGuide(false);
    else return false;
    return true;
  },

  /** Open the settings of `section` (a box of the model strip was clicked): unfold, show, focus. */
  openSettings(section) {
    const s = this.form.sections.get(section);
    if (!s || this.hide.has(section)) return;
    if (window.innerWidth <= DRAWER_MAX_PX) this.setDrawer(true); // the settings are a drawer there
    s.el.open = true;
    s.el.scrollIntoView({ block: "nearest" });
    const control = s.el.querySelector(".field:not([hidden]) select, .field:not([hidden]) input");
    if (control) control.focus({ preventScroll: true });
    s.el.classList.remove("flash");
    requestAnimationFrame(() => s.el.classList.add("flash"));
  },

  /** Whether a classroom link hid every settings section and the drawing pad. */
  controlsAllHidden() {
    return [...this.form.sections.keys(), "draw"].every((k) => this.hide.has(k));
  },

  toggleShare() {
    this.share.open = !this.share.open;
    this.paint("share");
  },

  /** Hide (or show) control `key` in the classroom link being made. */
  shareHide(key, hide) {
    if (hide) this.share.hide.add(key);
    else this.share.hide.delete(key);
    this.paint("share");
  },

  shareUrl() {
    const hash = buildHash({ config: this.config || {}, defaults: this.defaults, defaultView: this.defaultView,
      preset: this.preset, view: this.view, hide: this.share.hide, compare: this.compare.hashPart(this.config || {}) });
    return window.location.href.split("#")[0] + hash;
  },

  /** What a picture of the main view says it shows: "Mode collapse on the ring — iteration 812". */
  caption() {
    const p = this.currentPreset();
    return `${p ? p.title : "ToyGAN Lab: own experiment"} — iteration ${this.iteration}`;
  },

  /** Start recording the main view, or stop and download what was recorded. */
  async toggleRecording() {
    const stop = this.recording;
    if (stop) {
      this.recording = null;
      this.paint("recording");
      await stop();
      return;
    }
    try {
      this.recording = startRecording(this.mainElement(), this.view.fps);
      this.paint("recording");
    } catch (err) {
      this.status.error(err.message);
    }
  },

  /** Show one slow-motion stage ({text, boxes}) or none (null). */
  setSlowMotion(stage) {
    this.slowMotion = stage;
    this.paint("slowMotion");
  },
};
