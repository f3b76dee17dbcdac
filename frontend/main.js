// Boot: fetch the schema and presets, read the URL hash, build the page, connect; then wire the
// page's controls to App's actions. Page state lives in App (app.js), not here and not in the DOM:
// a handler passes what a person did (the event's value) to App, and App redraws.
import { App } from "./app.js";
import { readHash } from "./urlhash.js";
import { watchCode } from "./broadcast.js";
import { SHORTCUTS, installKeyboard } from "./keyboard.js";
import { DrawPad } from "./draw.js";
import { slowMotion } from "./slowmo.js";
import { exportConfig, exportCsv, exportExperiment, exportPng, readImport } from "./export.js";
import { forgetResumeToken } from "./resume.js";
import { wireMap } from "./mappanel.js";

const $ = (id) => document.getElementById(id);

async function getJson(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

async function boot() {
  let schema;
  let presets;
  let comparisons;
  try {
    [schema, presets, comparisons] = await Promise.all([getJson("api/schema"), getJson("api/presets"),
      getJson("api/comparisons")]);
  } catch (err) {
    $("error-text").textContent = `The lab could not load its settings from the server (${err.message}). Is toygan serve running?`;
    $("error-banner").hidden = false;
    return;
  }
  const initial = { ...readHash(window.location.hash, schema), watch: watchCode() };
  const app = new App({ schema, presets, comparisons, initial });
  window.__toygan = app; // for the browser tests and bench/bench_render.py
  wireTransport(app);
  wireView(app);
  wireIo(app);
  wireShare(app);
  wirePanels(app);
  wireMap(app);
  new DrawPad(
    { canvas: $("draw-canvas"), apply: $("draw-apply"), clear: $("draw-clear"), count: $("draw-count") },
    (points) => app.draw(points),
  );
  wireData(app);
  installKeyboard({ togglePlay: () => app.togglePlay(), step: () => app.step(), reset: () => app.reset(),
    help: () => app.setHelp(!app.helpOpen), close: (typing) => app.closeTop(typing) });
  // A link pasted into this tab's address bar: start over from it (not the session this tab had).
  window.addEventListener("hashchange", () => {
    forgetResumeToken();
    window.location.reload();
  });
  app.start();
}

function wireTransport(app) {
  $("play").addEventListener("click", () => app.play());
  $("pause").addEventListener("click", () => app.pause());
  $("step").addEventListener("click", () => app.step());
  $("step-d").addEventListener("click", () => app.step("d"));
  $("step-g").addEventListener("click", () => app.step("g"));
  $("reset").addEventListener("click", () => app.reset());
  $("status-reset").addEventListener("click", () => app.reset());
  $("status-reconnect").addEventListener("click", () => app.socket.reconnectNow());
  $("new-seed").addEventListener("click", () => {
    const seed = Math.floor(Math.random() * 1e6);
    app.configure({ seed });
    app.reset(seed);
  });
  $("preset").addEventListener("change", (e) => app.choosePreset(e.target.value));
  $("budget-continue").addEventListener("click", () => app.play());
  $("speed").addEventListener("change", (e) => app.setSpeed(e.target.value === "" ? null : Number(e.target.value)));
  $("slow-motion").addEventListener("click", () => slowMotion(app));
  $("share-class").addEventListener("click", () => app.classroom.togglePanel());
  $("mode-lab").addEventListener("click", () => app.compare.active && app.compare.stop());
  $("mode-compare").addEventListener("click", () => app.compare.active || app.compare.start(null));
}

function wireView(app) {
  $("main-view").addEventListener("change", (e) => app.setView({ main: e.target.value }));
  for (const box of document.querySelectorAll("[data-layer]")) {
    box.addEventListener("change", (e) => app.setView({ layers: { [box.dataset.layer]: e.target.checked } }));
  }
  $("logx").addEventListener("change", (e) => app.setView({ logx: e.target.checked }));
  $("lock-axes").addEventListener("change", (e) => app.setLock(e.target.checked));
  $("logy").addEventListener("change", (e) => app.setView({ logy: e.target.checked }));
}

function wireIo(app) {
  $("export-png").addEventListener("click", () => exportPng(app.mainElement(), app.caption()));
  $("export-record").addEventListener("click", () => app.toggleRecording());
  $("export-config").addEventListener("click", () => app.config && exportConfig(app.config));
  $("export-csv").addEventListener("click", () => exportCsv(app.history));
  $("export-experiment").addEventListener("click", () => app.requestExport((data) => exportExperiment(data)));
  $("import").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    e.target.value = ""; // the same file again must fire `change` again
    if (!file) return;
    try {
      const got = await readImport(file);
      if (got.kind === "experiment") app.importData(got.data);
      else app.configure(got.config);
    } catch (err) {
      app.status.error(err.message);
    }
  });
}

// Your own data: a CSV file is used as soon as it is read (and shown in the text box); pasted text
// when the button is pressed.
function wireData(app) {
  $("data-max-rows").textContent = app.ownData.limits.maxRows.toLocaleString("en");
  $("data-text").addEventListener("input", (e) => app.ownData.setText(e.target.value, ""));
  $("data-rescale").addEventListener("change", (e) => app.ownData.setRescale(e.target.checked));
  $("data-apply").addEventListener("click", () => app.ownData.use());
  $("data-file").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    e.target.value = ""; // the same file again must fire `change` again
    if (!file) return;
    const text = await file.text();
    $("data-text").value = text;
    app.ownData.setText(text, file.name);
    app.ownData.use();
  });
  app.paint("ownData");
}

// The page's own hideable parts, named for people (the form's sections use their schema titles).
const PAGE_PARTS = [["presets", "Preset menu"], ["draw", "Drawing pad"], ["data", "Your own data"],
  ["export", "Export buttons"], ["layers", "Layer switches"], ["timeline", "Timeline"], ["map", "Stability map"]];

// Classroom link: the same experiment, with chosen controls hidden (TensorFlow Playground style).
// One checkbox per form section, plus the page's own hideable parts.
function wireShare(app) {
  const options = $("share-options");
  const sections = [...app.form.sections].map(([key, s]) => [key, s.title]);
  for (const [key, text] of [...sections, ...PAGE_PARTS]) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.dataset.hideKey = key;
    box.dataset.testid = `hide-${key}`;
    box.addEventListener("change", (e) => app.shareHide(key, e.target.checked));
    label.append(box, ` ${text}`);
    options.append(label);
  }
  $("classroom-link").addEventListener("click", () => app.toggleShare());
  $("share-copy").addEventListener("click", async () => {
    $("share-url").select();
    try {
      await navigator.clipboard.writeText(app.shareUrl());
      app.status.notice("Classroom link copied.");
    } catch {
      app.status.notice("Select the link and copy it (the clipboard is not available here).");
    }
  });
}

// The help overlay (drawn from keyboard.js's SHORTCUTS), the guide, the settings drawer.
function wirePanels(app) {
  const keys = $("help-keys");
  for (const { keys: k, what } of SHORTCUTS) {
    const dt = document.createElement("dt");
    for (const name of k) {
      const kbd = document.createElement("kbd");
      kbd.textContent = name;
      dt.append(kbd);
    }
    const dd = document.createElement("dd");
    dd.textContent = what;
    keys.append(dt, dd);
  }
  $("help-open").addEventListener("click", () => app.setHelp(true));
  $("help-close").addEventListener("click", () => app.setHelp(false));
  $("help").addEventListener("click", (e) => {
    if (e.target === e.currentTarget) app.setHelp(false); // a click on the dimmed page around the card
  });
  $("help-guide").addEventListener("click", () => {
    app.setHelp(false);
    app.setGuide(true);
  });
  $("drawer-toggle").addEventListener("click", () => app.setDrawer(!app.drawerOpen));
  $("drawer-close").addEventListener("click", () => app.setDrawer(false));
  $("drawer-backdrop").addEventListener("click", () => app.setDrawer(false));
}

boot();
