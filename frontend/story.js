// The story under the main view: the preset's title, its step budget and speed, what to watch
// (the whole text, never in a scroll box), and, once the budget is reached, the notice that says
// so with a "Continue" button. A custom experiment gets a line on where to begin instead.

export const SPEEDS = [null, 2000, 1000, 500, 200, 100, 60, 30, 10, 3]; // the speed menu, it/s (null: max)

export function speedLabel(its) {
  return its == null ? "max" : `${its} it/s`;
}

/** The speed menu's options: SPEEDS plus the current cap when it is another number. */
export function fillSpeedSelect(select, current) {
  const values = SPEEDS.includes(current) ? SPEEDS : [...SPEEDS, current].sort((a, b) => (b ?? 1e9) - (a ?? 1e9));
  select.replaceChildren();
  for (const v of values) {
    const opt = document.createElement("option");
    opt.value = v == null ? "" : String(v);
    opt.textContent = speedLabel(v);
    select.append(opt);
  }
  select.value = current == null ? "" : String(current);
}

/** {title, meta, text} of the story for `preset` (an /api/presets entry, or null) at `speed`. */
export function storyOf(preset, speed) {
  if (!preset) {
    return {
      title: "Your own experiment",
      meta: "",
      text: "Change any setting (or click a box of the model strip) and watch what it does; press ▶ Play to train. "
        + "The Preset menu at the top has guided stories: mode collapse, mode averaging, oscillation and their cures.",
    };
  }
  // A fixed line (no live counter in it): the story must not reflow while it plays.
  const parts = [`Budget: ${preset.steps.toLocaleString("en")} iterations`];
  parts.push(speed == null ? "full speed" : `plays at ${speed} it/s`);
  return { title: preset.title || preset.name, meta: parts.join(" · "), text: preset.description || "" };
}

/** The notice once a play stopped at the budget. */
export function budgetText(steps) {
  return `Paused at iteration ${steps.toLocaleString("en")}: this story's budget, where its claims are checked. Go on to see what happens next.`;
}
