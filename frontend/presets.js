// Presets menu: GET /api/presets -> [{name, title, description, view, steps, speed, config}].
// The <select> (testid `preset`) has one option per preset, its value the preset's name; story.js
// tells the chosen preset's story.

export function fillPresetSelect(select, presets) {
  select.replaceChildren();
  const custom = document.createElement("option");
  custom.value = "";
  custom.textContent = "— custom experiment —";
  select.append(custom);
  for (const p of presets) {
    const opt = document.createElement("option");
    opt.value = p.name;
    opt.textContent = p.title || p.name;
    select.append(opt);
  }
}
