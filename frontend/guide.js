// The first-steps guide (GAN Lab style): press Play, what the picture shows (a legend that reads as
// sentences, for the view on screen), where the presets are. Shown on a first visit, dismissed
// with "Got it" and remembered in localStorage; the help overlay ("?") brings it back.
import { COLOR_WORDS as W } from "./palette.js";

const STORAGE_KEY = "toygan.guide.dismissed";

/** Whether this browser dismissed the guide before (storage may be off: then show it). */
export function guideDismissed() {
  try {
    return window.localStorage.getItem(STORAGE_KEY) === "1";
  } catch {
    return false;
  }
}

export function rememberGuide(dismissed) {
  try {
    if (dismissed) window.localStorage.setItem(STORAGE_KEY, "1");
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // private mode: the guide shows again next time, which is harmless
  }
}

/** What the picture of main view `kind` ("2d" | "1d" | "dirac") shows, in sentences. */
export function legendSentences(kind) {
  if (kind === "1d") {
    return `The ${W.realDensity} is the real data, the ${W.fakeDensity} what G makes (ticks below: single samples). `
      + `The ${W.dCurve} is D: near 1 where it says "real", near 0 where it says "fake".`;
  }
  if (kind === "dirac") {
    return "The real data is one point, G is a point θ, D a slope ψ. The blue path is the game over time "
      + "(θ across, ψ up); it should end on the purple dot, the equilibrium.";
  }
  return `The ${W.real} are real data, the ${W.fake} G's samples. The background is D's verdict: ${W.dHigh} `
    + `says "real", ${W.dLow} "fake", the grey line "can't tell". Arrows: where each blue dot is pushed next.`;
}

/** Fill the guide's element for main view `kind`; onDismiss() when "Got it" is pressed. */
export function fillGuide(root, kind, onDismiss) {
  root.replaceChildren();
  const head = document.createElement("div");
  head.className = "guide-head";
  const title = document.createElement("h2");
  title.textContent = "First steps";
  const close = document.createElement("button");
  close.type = "button";
  close.dataset.testid = "guide-dismiss";
  close.textContent = "Got it";
  close.addEventListener("click", onDismiss);
  head.append(title, close);
  const steps = document.createElement("ol");
  steps.className = "guide-steps";
  const item = (heading, ...lines) => {
    const li = document.createElement("li");
    const strong = document.createElement("strong");
    strong.textContent = heading;
    li.append(strong);
    for (const line of lines) {
      const p = document.createElement("p");
      p.textContent = line;
      li.append(p);
    }
    steps.append(li);
  };
  item("Press ▶ Play", "or the space bar. G learns to imitate the real data; D learns to tell real from fake.");
  item("Watch", legendSentences(kind));
  item("Pick a story", "The Preset menu at the top: mode collapse, mode averaging, oscillation and their cures, "
    + "each saying what to watch. Press ? for the keys.");
  root.append(head, steps);
}
