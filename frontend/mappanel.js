// The Map panel around the stability map: its form, progress, legend and hover box, drawn from
// app.sweep (paintMap, write-only), and its controls wired to App's actions (wireMap: each handler
// passes what the person did to App). sweep.js holds the rules, views/stability-map.js the map.
import { OUTCOMES, SETTING_NAMES, WAITING, currentPosition, describeCell, progressText } from "./sweep.js";

const $ = (id) => document.getElementById(id);
const TIP_WIDTH = 240; // px, as .map-tooltip's width in lab.css

/** Build the panel's fixed parts once: the preset menu, the path suggestions, the legend's outcomes. */
export function buildMapPanel(presets) {
  const select = $("map-preset");
  for (const p of presets) {
    const opt = document.createElement("option");
    opt.value = p.name;
    opt.textContent = p.title ? `${p.name}: ${p.title}` : p.name;
    select.append(opt);
  }
  for (const [path, name] of Object.entries(SETTING_NAMES)) {
    const opt = document.createElement("option");
    opt.value = path;
    opt.label = name;
    $("map-paths").append(opt);
  }
  const legend = $("map-legend");
  for (const o of [...OUTCOMES, { ...WAITING, letter: "", name: "waiting" }]) {
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = "map-swatch";
    swatch.style.background = o.color;
    swatch.textContent = o.letter;
    const words = document.createElement("span");
    words.textContent = o.words;
    item.append(swatch, words);
    item.dataset.outcome = o.name;
    legend.append(item);
  }
  const here = document.createElement("li");
  here.id = "map-here";
  here.dataset.testid = "map-here";
  const ring = document.createElement("span");
  ring.className = "map-swatch map-ring";
  here.append(ring, document.createElement("span"));
  legend.append(here);
}

export function wireMap(app) {
  $("map-toggle").addEventListener("click", () => app.toggleMap());
  $("map-close").addEventListener("click", () => app.toggleMap(false));
  $("map-preset").addEventListener("change", (e) => app.sweepForm({ preset: e.target.value }));
  for (const i of [0, 1]) {
    $(`map-path-${i}`).addEventListener("input", (e) => app.sweepFormAxis(i, { path: e.target.value }));
    $(`map-values-${i}`).addEventListener("input", (e) => app.sweepFormAxis(i, { values: e.target.value }));
  }
  // change, not input: a number being typed ("" on the way from 3 to 5) is not yet a number
  $("map-seeds").addEventListener("change", (e) => app.sweepForm({ seeds: Number(e.target.value) || 1 }));
  $("map-steps").addEventListener("change", (e) => app.sweepForm({ steps: Number(e.target.value) || null }));
  $("map-example-dirac").addEventListener("click", () => app.sweepExample("dirac"));
  $("map-example-ring").addEventListener("click", () => app.sweepExample("ring"));
  $("map-form").addEventListener("submit", (e) => {
    e.preventDefault();
    app.startSweep();
  });
  $("map-cancel").addEventListener("click", () => app.cancelSweep());
  const canvas = $("map-canvas");
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return app.mapView.cellAt(e.clientX - r.left, e.clientY - r.top);
  };
  canvas.addEventListener("pointermove", (e) => app.hoverCell(at(e)));
  canvas.addEventListener("pointerleave", () => app.hoverCell(null));
  canvas.addEventListener("pointerup", (e) => {
    const index = at(e);
    if (index === null) return;
    // A finger has no hover: its first tap on a square shows the square's box, the second opens it.
    if (e.pointerType !== "mouse" && app.sweep.hover !== index) app.hoverCell(index);
    else app.openCell(index);
  });
  new ResizeObserver(() => app.sweep.open && app.paint("map")).observe(canvas);
}

export function paintMap(app) {
  const s = app.sweep;
  const f = s.form;
  $("map-panel").hidden = !s.open;
  document.querySelector(".layout").classList.toggle("map-open", s.open);
  $("map-toggle").classList.toggle("active", s.open);
  if (!s.open) return;
  $("map-preset").value = f.preset;
  for (const i of [0, 1]) {
    $(`map-path-${i}`).value = f.paths[i];
    $(`map-values-${i}`).value = f.values[i];
  }
  $("map-seeds").value = String(f.seeds);
  $("map-steps").value = f.steps ? String(f.steps) : "";
  const busy = s.state === "starting" || s.state === "running";
  $("map-run").disabled = busy;
  $("map-cancel").hidden = !busy;
  $("map-bar").hidden = s.state === "idle";
  $("map-bar").max = Math.max(1, s.total);
  $("map-bar").value = s.done;
  $("map-progress").textContent = progressText(s, performance.now());
  $("map-message").textContent = s.state === "idle" ? s.message : "";
  $("map-message").hidden = !(s.state === "idle" && s.message);

  const here = currentPosition(s, app.config);
  app.mapView.render(s, here);
  $("map-here").hidden = !here;
  if (here) {
    $("map-here").lastChild.textContent = here.col === null
      ? `the lab's run (${here.values.join(", ")}) is off this map`
      : `the run in the lab now (${here.values.join(", ")})`;
  }
  const tip = $("map-tooltip");
  const centre = s.hover !== null ? app.mapView.cellCenter(s.hover) : null;
  tip.hidden = !centre;
  if (centre) {
    tip.replaceChildren(...describeCell(s, s.hover).map((line, k) => {
      const div = document.createElement("div");
      div.textContent = line;
      if (k === 0 || (s.axes.length === 2 && k === 1)) div.className = "map-tip-setting";
      return div;
    }));
    const { cell, nrow, y0 } = app.mapView.layout;
    const stage = $("map-canvas").clientWidth;
    const width = TIP_WIDTH;
    // Beside the square where a side has room; else (a phone) under it, or over it in the lower half.
    const right = centre.x + cell / 2 + 6;
    const left = centre.x - cell / 2 - 6 - width;
    if (right + width <= stage || left >= 0) {
      tip.style.left = `${right + width <= stage ? right : left}px`;
      tip.style.top = `${Math.max(0, centre.y - cell / 2)}px`;
      tip.style.bottom = "";
    } else {
      tip.style.left = `${Math.min(Math.max(0, centre.x - width / 2), Math.max(0, stage - width))}px`;
      const lower = centre.y > y0 + (nrow * cell) / 2;
      tip.style.top = lower ? "" : `${centre.y + cell / 2 + 4}px`;
      tip.style.bottom = lower ? `${$("map-canvas").clientHeight - (centre.y - cell / 2) + 4}px` : "";
    }
  }
}
