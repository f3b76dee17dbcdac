// Boot: fetch the schema and presets, read the URL hash, build the page, connect.
import { App } from "./app.js";
import { readHash, buildHash } from "./urlhash.js";
import { installKeyboard } from "./keyboard.js";
import { DrawPad } from "./draw.js";
import { exportConfig, exportCsv, exportExperiment, exportPng, readImport, startRecording } from "./export.js";

const $ = (id) => document.getElementById(id);

async function getJson(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

async function boot() {
  let schema;
  let presets;
  try {
    [schema, presets] = await Promise.all([getJson("api/schema"), getJson("api/presets")]);
  } catch (err) {
    $("error-text").textContent = `The lab could not load its settings from the server (${err.message}). Is toygan serve running?`;
    $("error-banner").hidden = false;
    return;
  }
  const initial = readHash(window.location.hash);
  const app = new App({ schema, presets, initial });
  window.__toygan = app; // for the browser tests and bench/bench_render.py
  wireTransport(app);
  wireView(app);
  wireIo(app);
  wireShare(app, schema);
  applyClassroom(initial.hidden);
  new DrawPad(
    { canvas: $("draw-canvas"), apply: $("draw-apply"), clear: $("draw-clear"), count: $("draw-count") },
    (points) => app.draw(points),
  );
  installKeyboard({ togglePlay: () => app.togglePlay(), step: () => app.step(), reset: () => app.reset() });
  // A link pasted into this tab's address bar: start over from it.
  window.addEventListener("hashchange", () => window.location.reload());
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
  $("slow-motion").addEventListener("click", () => slowMotion(app));
}

// One iteration in slow motion, for teaching: the stages run one at a time, highlighted.
const SLOW_STAGES = [
  { text: "1. Sample: noise z goes through G; a batch of real samples is drawn", boxes: ["noise", "generator", "samples"] },
  { text: "2. D update: D learns to tell real from generated", boxes: ["samples", "discriminator", "loss"], part: "d" },
  { text: "3. G update: G moves its samples along D's gradient (the arrows)", boxes: ["generator", "loss"], part: "g" },
];
const SLOW_STAGE_MS = 1200;

async function slowMotion(app) {
  const stage = $("slowmo-stage");
  const button = $("slow-motion");
  button.disabled = true;
  app.pause();
  for (const s of SLOW_STAGES) {
    stage.textContent = s.text;
    stage.hidden = false;
    app.model.highlight(s.boxes);
    if (s.part) app.step(s.part);
    await new Promise((r) => setTimeout(r, SLOW_STAGE_MS));
  }
  app.model.highlight(null);
  stage.hidden = true;
  button.disabled = false;
}

function wireView(app) {
  $("main-view").value = app.view.main;
  $("main-view").addEventListener("change", (e) => app.setView({ main: e.target.value }));
  for (const box of document.querySelectorAll("[data-layer]")) {
    box.checked = Boolean(app.view.layers[box.dataset.layer]);
    box.addEventListener("change", () => app.setView({ layers: { [box.dataset.layer]: box.checked } }));
  }
  $("logx").checked = app.view.logx;
  $("logx").addEventListener("change", (e) => app.setView({ logx: e.target.checked }));
}

function wireIo(app) {
  $("export-png").addEventListener("click", () => exportPng(app.mainElement()));
  let stopRecording = null;
  $("export-record").addEventListener("click", async () => {
    const button = $("export-record");
    if (stopRecording) {
      const stop = stopRecording;
      stopRecording = null;
      button.classList.remove("active");
      button.textContent = "● Rec";
      await stop();
      return;
    }
    try {
      stopRecording = startRecording(app.mainElement());
      button.classList.add("active");
      button.textContent = "■ Stop";
    } catch (err) {
      app.status.error(err.message);
    }
  });
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

// Classroom link: the same experiment, with chosen controls hidden (TensorFlow Playground style).
function wireShare(app, schema) {
  const panel = $("share-panel");
  const options = $("share-options");
  const keys = [...Object.keys(schema.properties).filter((k) => document.querySelector(`details[data-key="${k}"]`)),
    "presets", "draw", "export", "layers"];
  for (const key of keys) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = key;
    box.dataset.testid = `hide-${key}`;
    box.addEventListener("change", refresh);
    label.append(box, ` ${key.replace(/_/g, " ")}`);
    options.append(label);
  }
  function refresh() {
    const hidden = new Set([...options.querySelectorAll("input:checked")].map((b) => b.value));
    const hash = buildHash({ config: app.config || {}, defaults: app.defaults, preset: app.preset, view: app.view, hidden });
    $("share-url").value = window.location.href.split("#")[0] + hash;
  }
  $("classroom-link").addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    refresh();
  });
  $("share-copy").addEventListener("click", async () => {
    refresh();
    $("share-url").select();
    try {
      await navigator.clipboard.writeText($("share-url").value);
      app.status.notice("Classroom link copied.");
    } catch {
      app.status.notice("Select the link and copy it (the clipboard is not available here).");
    }
  });
}

function applyClassroom(hidden) {
  for (const key of hidden) {
    for (const el of document.querySelectorAll(`[data-key="${CSS.escape(key)}"]`)) {
      el.classList.add("classroom-hidden");
      el.hidden = true;
    }
  }
}

boot();
