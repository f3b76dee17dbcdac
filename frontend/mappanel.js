// The Map panel around the stability map: its form, progress, legend and hover box, drawn from
// app.sweep (paintMap, write-only), and its controls wired to App's actions (wireMap: each handler
// passes what the person did to App). sweep.js holds the rules, views/stability-map.js the map.
import {
  LAB, OUTCOMES, SETTING_NAMES, WAITING, currentPosition, describeCell, metricName, metricNames, progressText,
  shadeText,
} from "./sweep.js";

const $ = (id) => document.getElementById(id);
const TIP_WIDTH = 240; // px, as .map-tooltip's width in lab.css

/** Build the panel's fixed parts once: the preset menu, the path suggestions, the legend's outcomes. */
export function buildMapPanel(presets) {
  const select = $("map-preset");
  const lab = document.createElement("option");
  lab.value = LAB;
  lab.textContent = "this experiment, as it is in the lab now (your edits too)";
  select.append(lab);
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
  $("map-this").addEventListener("click", () => app.sweepForm({ preset: LAB }));
  $("map-shade").addEventListener("change", (e) => app.shadeMap(e.target.value));
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
  // A finger hovers nothing (its taps choose, below) and leaves the screen after every tap: only a
  // mouse (or pen) moving over the map or leaving it changes the box.
  canvas.addEventListener("pointermove", (e) => e.pointerType !== "touch" && app.hoverCell(at(e)));
  canvas.addEventListener("pointerleave", (e) => e.pointerType !== "touch" && app.hoverCell(null));
  canvas.addEventListener("pointerup", (e) => {
    const index = at(e);
    if (index === null) return;
    // A finger has no hover: its first tap on a square shows the square's box, the second opens it.
    if (e.pointerType !== "mouse" && app.sweep.hover !== index) {
      app.hoverCell(index);
      $("map-tooltip").scrollIntoView({ block: "nearest" }); // under the map on a phone: bring it on screen
    } else app.openCell(index);
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

  paintShade(s);
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
    const { cell } = app.mapView.layout;
    const stage = $("map-canvas").clientWidth;
    const width = TIP_WIDTH;
    // Beside the square where a side has room; else (a phone) under the map, in the panel's flow, so
    // it covers no square and never leaves the screen (the tap that showed it scrolls it into view).
    const right = centre.x + cell / 2 + 6;
    const left = centre.x - cell / 2 - 6 - width;
    const beside = right + width <= stage || left >= 0;
    tip.classList.toggle("map-tip-below", !beside);
    if (beside) {
      tip.style.left = `${right + width <= stage ? right : left}px`;
      tip.style.top = `${Math.max(0, centre.y - cell / 2)}px`;
    } else {
      tip.style.left = "";
      tip.style.top = "";
    }
  }
}

/** The shade menu (none, then every metric the cells carry) and its legend. */
function paintShade(s) {
  const select = $("map-shade");
  const keys = metricNames(s);
  if (s.shade && !keys.includes(s.shade)) keys.push(s.shade); // chosen before this map had it
  const want = ["", ...keys].join("|");
  if (select.dataset.keys !== want) {
    select.replaceChildren(...["", ...keys].map((k) => {
      const opt = document.createElement("option");
      opt.value = k;
      opt.textContent = k ? metricName(k) : "nothing (the outcome's colour only)";
      return opt;
    }));
    select.dataset.keys = want;
  }
  select.value = s.shade;
  const words = shadeText(s);
  $("map-shade-legend").hidden = !words;
  $("map-shade-legend").lastElementChild.textContent = words;
}
