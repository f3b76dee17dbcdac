// The page around the plots, drawn from App's store: the iteration counter, the transport
// buttons, the preset menu and its story, the guide, the help overlay, the settings drawer, the
// speed menu, the view bar, the classroom-link panel, the recording button, the slow-motion
// stage, which main view shows, your own data's panel, a link too long to share and the controls a
// classroom link hides. Write-only: nothing here reads state back from the DOM. App.paint(part)
// calls these by name.
import { budgetText, fillSpeedSelect, storyOf } from "./story.js";
import { fillGuide } from "./guide.js";
import { LINK_LIMIT } from "./urlhash.js";
import { paintMap } from "./mappanel.js";

const $ = (id) => document.getElementById(id);

/** The wait a preset's full run still needs at the rate this page measures ("" when none). */
export function presetWait(app) {
  const entry = app.presetEntry();
  if (!entry || !entry.steps || !app.running || !app.its || app.iteration >= entry.steps) return "";
  const minutes = (entry.steps - app.iteration) / app.its / 60;
  const left = minutes < 1 ? "< 1 min" : `≈ ${Math.round(minutes)} min`; // at the measured it/s
  // Short: it sits beside the preset's budget, on a phone too.
  return `${entry.steps.toLocaleString("en")} its: ${left} left`;
}

/** Whether the first-steps guide shows: not on a student's page watching a class (it cannot press
 * Play, and the teacher says what to watch). */
function guideShown(app) {
  return app.guideOpen && app.classroom.role !== "viewer";
}

export const PAINTERS = Object.freeze({
  counter(app) {
    $("iteration").textContent = String(app.iteration);
    $("its").textContent = app.running && app.its ? `${Math.round(app.its)} it/s` : "";
    $("preset-wait").textContent = presetWait(app);
  },

  transport(app) {
    // Paused, Play is the button to press (filled: a first-time visitor sees where to start);
    // playing, it shows that it is on. Pause is never the loud one.
    const play = $("play");
    play.classList.toggle("cta", !app.running);
    play.classList.toggle("on", app.running);
    play.setAttribute("aria-pressed", String(app.running));
    $("pause").setAttribute("aria-pressed", String(!app.running));
  },

  preset(app) {
    $("preset").value = app.preset || "";
    PAINTERS.story(app);
  },

  story(app) {
    const preset = app.currentPreset();
    const story = storyOf(preset, app.speed);
    // With no preset the guide says what this would (where to start): one of them is enough.
    $("story").hidden = !preset && guideShown(app);
    $("story-title").textContent = story.title;
    $("story-meta").textContent = story.meta;
    // An edited preset: its story describes the original run, so it reads as a quotation.
    const modified = Boolean(preset && app.modified);
    const note = $("preset-modified");
    note.hidden = !modified;
    note.textContent = modified ? `Modified from “${preset.title}”: the text below describes that preset, not this run.` : "";
    $("preset-description").textContent = story.text;
    $("preset-description").classList.toggle("original", modified);
    $("budget-notice").hidden = !(app.budgetReached && preset);
    $("budget-text").textContent = preset ? budgetText(preset.steps) : "";
    fillSpeedSelect($("speed"), app.speed);
  },

  guide(app) {
    const root = $("guide");
    root.hidden = !guideShown(app);
    if (guideShown(app)) fillGuide(root, app.shownKind || app.mainKind(), () => app.setGuide(false));
    PAINTERS.story(app);
  },

  help(app) {
    $("help").hidden = !app.helpOpen;
  },

  drawer(app) {
    document.body.classList.toggle("drawer-open", app.drawerOpen);
    $("drawer-toggle").setAttribute("aria-expanded", String(app.drawerOpen));
    $("drawer-backdrop").hidden = !app.drawerOpen;
  },

  viewBar(app) {
    $("main-view").value = app.view.main;
    for (const box of document.querySelectorAll("[data-layer]")) {
      box.checked = Boolean(app.view.layers[box.dataset.layer]);
    }
    $("logx").checked = app.view.logx;
    $("lock-axes").checked = Boolean(app.view.lock);
    $("logy").checked = app.view.logy;
  },

  mainView(app) {
    $("canvas-2d").hidden = app.shownKind !== "2d";
    $("canvas-1d").hidden = app.shownKind !== "1d";
    $("canvas-dirac").hidden = app.shownKind !== "dirac";
    if (guideShown(app)) PAINTERS.guide(app); // its legend follows the view on screen
  },

  share(app) {
    $("share-panel").hidden = !app.share.open;
    for (const box of document.querySelectorAll("#share-options input[data-hide-key]")) {
      box.checked = app.share.hide.has(box.dataset.hideKey);
    }
    $("share-url").value = app.share.open ? app.shareUrl() : "";
  },

  recording(app) {
    const button = $("export-record");
    button.classList.toggle("active", Boolean(app.recording));
    button.textContent = app.recording ? "■ Stop" : "● Rec";
  },

  slowMotion(app) {
    const stage = $("slowmo-stage");
    stage.hidden = !app.slowMotion;
    stage.textContent = app.slowMotion ? app.slowMotion.text : "";
    $("slow-motion").disabled = Boolean(app.slowMotion);
    app.model.highlight(app.slowMotion && app.slowMotion.boxes);
  },

  ownData(app) {
    const d = app.ownData;
    $("data-rescale").checked = d.rescale;
    const err = $("data-error");
    err.hidden = !d.problems.length;
    err.replaceChildren(...d.problems.map((p) => Object.assign(document.createElement("li"), { textContent: p })));
    $("data-summary").textContent = d.summary;
  },

  // A link past LINK_LIMIT characters (a person's data): said beside the data panel and the
  // classroom link, with the way that works (a saved experiment).
  link(app) {
    const long = app.linkLength > LINK_LIMIT;
    const text = long
      ? `This experiment's link is ${app.linkLength.toLocaleString("en")} characters long (its data), too long to share: `
        + `links over ${LINK_LIMIT.toLocaleString("en")} characters break in e-mail, chat and many servers. `
        + "Share it as a file with “Save experiment” (Import opens it); this tab keeps it."
      : "";
    for (const id of ["data-link", "share-note"]) {
      $(id).hidden = !long;
      $(id).textContent = text;
    }
  },

  map(app) {
    paintMap(app);
  },

  // What a classroom link hides (the form hides its own fields from the same set). A student view
  // with every control hidden keeps no empty column: the layout drops the settings column.
  classroom(app) {
    for (const key of app.hide) {
      for (const el of document.querySelectorAll(`[data-key="${CSS.escape(key)}"]`)) {
        el.classList.add("classroom-hidden");
        el.hidden = true;
      }
    }
    const empty = app.controlsAllHidden();
    $("layout").classList.toggle("no-controls", empty);
    $("drawer-toggle").hidden = empty;
  },
});
