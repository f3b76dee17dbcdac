// One labelled control per config field, built from its JSON schema: the label is the schema's
// `title` (words for people), the help text its `description`, the widget and ranges its `ui`
// hints. What a person did is read from each change event (input, never state read back from the
// DOM). Each field can show one message beside it: a refusal from the server (red) or a warning
// that the value is outside the schema's sensible range (amber). schema-form.js lays them out.
import { sensibleWarning } from "./field-messages.js";

// The data-testid contract (docs/architecture.md) for the fields tests and scripts reach for; every other
// field gets `field-<dotted.path>`.
const CONTRACT_TESTIDS = {
  "objective.name": "objective",
  "optimizer_d.lr": "lr-d",
  "optimizer_g.lr": "lr-g",
  "training.k_d": "k-d",
  "training.k_g": "k-g",
  "target.name": "target",
  seed: "seed",
};

const LOG_STEP = 0.01; // a log-slider's step in decades: 2.3% a notch, so a short drag is a small change

export function testidFor(path) {
  return CONTRACT_TESTIDS[path] || `field-${path}`;
}

/** The field's schema without its nullable wrapper: {prop, nullable}. */
function unwrap(prop) {
  if (!prop.anyOf) return { prop, nullable: false };
  const nonNull = prop.anyOf.filter((p) => p.type !== "null");
  return { prop: { ...prop, ...nonNull[0], anyOf: undefined }, nullable: nonNull.length < prop.anyOf.length };
}

function lowerBound(p) {
  return p.minimum ?? p.exclusiveMinimum;
}

/** A number as a person would type it; integers whole (a seed of 567891, never "5.68e+5"). */
export function formatNumber(v, integer = false) {
  if (typeof v !== "number" || !Number.isFinite(v)) return String(v ?? "");
  if (integer || Number.isInteger(v)) return String(v);
  if (Math.abs(v) < 1e-3) return v.toExponential(2).replace(/\.?0+e/, "e");
  return String(Math.round(v * 1e6) / 1e6);
}

/**
 * Build one field. onChange(path, value) is called when a person commits a change. Returns
 * {path, el, set(value, force), describe(text, title), message(kind, text), label, rebuild}.
 */
export function buildField(path, prop0, onChange) {
  const ui = prop0.ui || {};
  if (ui.widget === "hidden") return null;
  const { prop, nullable } = unwrap(prop0);
  const id = `f-${path.replace(/\./g, "-")}`;
  const wrap = document.createElement("div");
  wrap.className = "field";
  wrap.dataset.key = path;
  const label = document.createElement("label");
  label.htmlFor = id;
  const labelText = document.createElement("span");
  label.append(labelText);
  wrap.append(label);
  if (ui.rebuild) {
    // true, or a sentence saying when (the target's kind: "when the data's dimension changes").
    const mark = document.createElement("span");
    mark.className = "rebuild-mark";
    mark.textContent = "↻";
    const when = typeof ui.rebuild === "string" ? ` ${ui.rebuild}` : "";
    mark.title = `Changing this builds new networks${when} (training restarts)`;
    label.append(" ", mark);
  }
  const testid = testidFor(path);
  const integer = prop.type === "integer";
  let set;
  let widget = ui.widget || "number";
  if (prop.enum) widget = "select";
  if (prop.type === "boolean") widget = "checkbox";
  if (prop.type === "array") widget = "vector";
  const commit = (value) => onChange(path, value);

  if (widget === "select") {
    const select = document.createElement("select");
    select.id = id;
    select.dataset.testid = testid;
    for (const v of prop.enum) {
      const opt = document.createElement("option");
      opt.value = String(v);
      opt.textContent = String(v);
      select.append(opt);
    }
    const numeric = integer || prop.type === "number";
    select.addEventListener("change", (e) => commit(numeric ? Number(e.target.value) : e.target.value));
    set = (v) => {
      select.value = String(v);
    };
    wrap.append(select);
  } else if (widget === "checkbox") {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = id;
    box.dataset.testid = testid;
    box.addEventListener("change", (e) => commit(e.target.checked));
    set = (v) => {
      box.checked = Boolean(v);
    };
    wrap.classList.add("field-checkbox");
    label.before(box);
  } else if (widget === "vector") {
    const input = document.createElement("input");
    input.type = "text";
    input.id = id;
    input.dataset.testid = testid;
    input.placeholder = nullable ? "default" : "comma-separated numbers";
    // `editing`: typed into but not committed yet; the server's updates must not clobber that.
    let editing = false;
    input.addEventListener("input", () => {
      editing = true;
    });
    input.addEventListener("change", (e) => {
      editing = false;
      const text = e.target.value.trim();
      if (!text && nullable) return commit(null);
      // Send what was typed; the server names the field and the reason if it is wrong.
      commit(text.split(/[\s,]+/).filter(Boolean).map((t) => (Number.isNaN(Number(t)) ? t : Number(t))));
    });
    set = (v, force) => {
      if (force || !editing) input.value = Array.isArray(v) ? v.join(", ") : "";
    };
    wrap.classList.add("field-wide");
    wrap.append(input);
  } else {
    set = numberControl({ wrap, id, testid, prop, prop0, path, ui, widget, integer, commit });
  }
  const control = wrap.querySelector("[data-testid]");
  const help = document.createElement("span");
  help.className = "help";
  help.id = `${id}-help`;
  const msg = document.createElement("span");
  msg.className = "field-msg";
  msg.id = `${id}-msg`;
  msg.dataset.testid = `msg-${path}`;
  msg.setAttribute("role", "status");
  msg.hidden = true;
  control.setAttribute("aria-describedby", `${help.id} ${msg.id}`);
  wrap.append(msg, help);
  // A field several kinds share (the std of a ring and of a grid) says what it means for the kind shown.
  let shownLabel = "";
  const describe = (text, title) => {
    shownLabel = title || prop0.title || path;
    labelText.textContent = shownLabel;
    label.title = text;
    help.textContent = text;
    control.title = text;
  };
  describe(prop0.description || "", prop0.title);
  const message = (kind, text) => {
    msg.hidden = !text;
    msg.textContent = text || "";
    msg.dataset.kind = kind;
    wrap.classList.toggle("has-error", kind === "error" && Boolean(text));
  };
  const warnFor = (v) => sensibleWarning(v, ui.sensible);
  return { path, el: wrap, set, describe, message, warnFor, label: () => shownLabel,
    rebuild: Boolean(ui.rebuild) };
}

/** A number box (the exact value; carries the testid) and, for sliders, a range beside it. A
 * log-slider moves in log10 space between ui.min and ui.max in LOG_STEP notches. Returns set(). */
function numberControl({ wrap, id, testid, prop, prop0, path, ui, widget, integer, commit }) {
  const number = document.createElement("input");
  number.type = "number";
  number.id = id;
  number.dataset.testid = testid;
  number.step = integer ? "1" : "any";
  const lo = lowerBound(prop);
  if (lo !== undefined) number.min = String(lo);
  if (prop.maximum !== undefined) number.max = String(prop.maximum);
  const parse = (text) => {
    const n = Number(text);
    return text.trim() === "" || Number.isNaN(n) ? text : n;
  };
  let editing = false; // typed into but not committed: the server's updates must not clobber it
  number.addEventListener("input", () => {
    editing = true;
  });
  number.addEventListener("change", (e) => {
    editing = false;
    commit(parse(e.target.value));
  });
  let range = null;
  let dragging = false; // a slider being dragged: the server's updates must not move it under the pointer
  let toRange = (v) => v;
  let fromRange = (v) => v;
  if (widget === "slider" || widget === "log-slider") {
    range = document.createElement("input");
    range.type = "range";
    range.dataset.testid = `${testid}-slider`;
    range.setAttribute("aria-label", `${prop0.title || path} slider`);
    if (widget === "log-slider") {
      const max = ui.max ?? prop.maximum ?? 1;
      const min = ui.min ?? (lo > 0 ? lo : max * 1e-4);
      range.min = String(Math.log10(min));
      range.max = String(Math.log10(max));
      range.step = String(LOG_STEP);
      toRange = (v) => Math.log10(v);
      fromRange = (r) => {
        const v = 10 ** r;
        // Round to 2 significant digits so the slider yields values people would type.
        return integer ? Math.round(v) : Number(v.toPrecision(2));
      };
    } else {
      range.min = String(lo ?? 0);
      range.max = String(prop.maximum ?? 100);
      range.step = String(ui.step ?? (integer ? 1 : "any"));
    }
    range.addEventListener("input", (e) => {
      dragging = true;
      number.value = formatNumber(fromRange(Number(e.target.value)), integer);
    });
    range.addEventListener("change", (e) => {
      dragging = false;
      commit(fromRange(Number(e.target.value)));
    });
    wrap.classList.add("field-slider");
  }
  const row = document.createElement("div");
  row.className = "number-row";
  if (range) row.append(range);
  row.append(number);
  wrap.append(row);
  return (v, force) => {
    if (force || !editing) number.value = v == null ? "" : formatNumber(v, integer);
    if (range && typeof v === "number" && !dragging) range.value = String(toRange(v));
  };
}
