// The controls, built from GET /api/schema: one <details> per config section, one labelled
// control per field, widget/bounds/enums/descriptions from the schema and its `ui` hints.
// Never a hand-kept second list: a field added to gan_core/config.py shows up here by itself.
import { getPath } from "./urlhash.js";

// The data-testid contract (DESIGN.md) for the fields tests and scripts reach for; every other
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

export const SECTION_TITLES = {
  target: "Target",
  objective: "Objective",
  optimizer_d: "Discriminator optimizer",
  optimizer_g: "Generator optimizer",
  training: "Training",
  regularizers: "Regularizers",
  generator: "Generator network",
  discriminator: "Discriminator network",
  noise: "Noise (z)",
};
const OPEN_SECTIONS = new Set(["target", "objective", "optimizer_d", "optimizer_g", "training"]);

export function testidFor(path) {
  return CONTRACT_TESTIDS[path] || `field-${path}`;
}

function resolve(schema, node) {
  return node && node.$ref ? schema.$defs[node.$ref.split("/").pop()] : node;
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

function formatNumber(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return String(v ?? "");
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(2).replace(/\.?0+e/, "e");
  return String(Math.round(v * 1e6) / 1e6);
}

/** A union section (the target, the networks, the objective, the optimizers): its discriminator
 * key, its kinds in order, and each kind's model schema. Null for a plain section or field. */
function unionOf(schema, node) {
  if (!node.oneOf || !node.discriminator) return null;
  const variants = Object.entries(node.discriminator.mapping).map(([kind, ref]) => [kind, resolve(schema, { $ref: ref })]);
  return { key: node.discriminator.propertyName, kinds: variants.map(([k]) => k), variants: new Map(variants) };
}

/** The fields of a union section: its kind select first, then each field any kind has, once, with
 * the kinds that have it ({path, prop, kinds: Map(kind -> that kind's field schema)}). */
function unionFields(section, union) {
  const first = union.variants.get(union.kinds[0]).properties[union.key];
  const select = { ...first, const: undefined, default: undefined, enum: union.kinds };
  const out = new Map([[union.key, { prop: select, kinds: null }]]);
  for (const [kind, model] of union.variants) {
    for (const [name, prop] of Object.entries(model.properties)) {
      if (name === union.key) continue;
      if (!out.has(name)) out.set(name, { prop, kinds: new Map() });
      out.get(name).kinds.set(kind, prop);
    }
  }
  return [...out].map(([name, f]) => ({ path: `${section}.${name}`, ...f }));
}

/**
 * Build the form into `root`. onChange(path, value) is called when a person commits a change.
 * A union section shows the fields of the kind its select names, and only those.
 * Returns {update(config), fields: Map(path -> field)}.
 */
export function buildForm(root, schema, onChange) {
  const fields = new Map();
  root.replaceChildren();
  // Sections in a teaching order (what a person changes most first), then anything new.
  const order = Object.keys(SECTION_TITLES);
  const keys = Object.keys(schema.properties).sort(
    (a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99),
  );
  const loose = []; // top-level scalar fields (seed, device) go into the section their ui.group names
  const unions = []; // {section, kindPath, order: Map(kind -> its field paths, in its own order)}
  for (const key of keys) {
    const union = unionOf(schema, schema.properties[key]);
    const node = resolve(schema, schema.properties[key]);
    if (!union && !node.properties) {
      loose.push([key, node]);
      continue;
    }
    const section = document.createElement("details");
    section.className = "section";
    section.dataset.key = key;
    section.open = OPEN_SECTIONS.has(key);
    const summary = document.createElement("summary");
    summary.textContent = SECTION_TITLES[key] || node.title || key;
    section.append(summary);
    const entries = union
      ? unionFields(key, union)
      : Object.entries(node.properties).map(([name, prop]) => ({ path: `${key}.${name}`, prop, kinds: null }));
    for (const { path, prop, kinds } of entries) {
      const field = buildField(path, prop, onChange);
      if (field) {
        field.kinds = kinds; // null: shown for every kind
        field.kindPath = union ? `${key}.${union.key}` : null;
        fields.set(field.path, field);
        section.append(field.el);
      }
    }
    if (union) {
      const order = new Map(union.kinds.map((k) => [k, Object.keys(union.variants.get(k).properties).map((n) => `${key}.${n}`)]));
      unions.push({ section, kindPath: `${key}.${union.key}`, order, shown: null });
    }
    root.append(section);
  }
  for (const [key, prop0] of loose) {
    const field = buildField(key, prop0, onChange);
    if (!field) continue;
    fields.set(key, field);
    const group = (prop0.ui && prop0.ui.group) || "training";
    const host = root.querySelector(`details[data-key="${group}"]`) || root;
    host.append(field.el);
  }

  /** Show `config` in the controls; `force` also overwrites the control being edited (after an error). */
  function update(config, force = false) {
    for (const u of unions) {
      // The kind's fields in the kind's own order (a ring: modes, radius, std).
      const kind = getPath(config, u.kindPath);
      if (kind === u.shown) continue;
      u.shown = kind;
      for (const path of u.order.get(kind) || []) if (fields.has(path)) u.section.append(fields.get(path).el);
    }
    for (const field of fields.values()) {
      const own = field.kinds && field.kinds.get(getPath(config, field.kindPath));
      field.el.hidden = field.el.classList.contains("classroom-hidden") || Boolean(field.kinds && !own);
      if (own) field.describe(own.description || "");
      field.set(getPath(config, field.path), force);
    }
  }
  return { update, fields };
}

function buildField(path, prop0, onChange) {
  const ui = prop0.ui || {};
  if (ui.widget === "hidden") return null;
  const { prop, nullable } = unwrap(prop0);
  const id = `f-${path.replace(/\./g, "-")}`;
  const wrap = document.createElement("div");
  wrap.className = "field";
  wrap.dataset.key = path;
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = prop0.title || path;
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
  const help = document.createElement("span");
  help.className = "help";
  help.id = `${id}-help`;
  const testid = testidFor(path);
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
    const numeric = prop.type === "integer" || prop.type === "number";
    select.addEventListener("change", () => commit(numeric ? Number(select.value) : select.value));
    set = (v) => {
      select.value = String(v);
    };
    wrap.append(select);
  } else if (widget === "checkbox") {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = id;
    box.dataset.testid = testid;
    box.addEventListener("change", () => commit(box.checked));
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
    input.addEventListener("change", () => {
      editing = false;
      const text = input.value.trim();
      if (!text && nullable) return commit(null);
      // Send what was typed; the server names the field and the reason if it is wrong.
      commit(text.split(/[\s,]+/).filter(Boolean).map((t) => (Number.isNaN(Number(t)) ? t : Number(t))));
    });
    set = (v, force) => {
      if (force || !editing) input.value = Array.isArray(v) ? v.join(", ") : "";
    };
    wrap.append(input);
  } else {
    // number, slider, log-slider: a number box (the exact value; carries the testid) and, for
    // sliders, a range beside it. A log-slider moves in log10 space.
    const number = document.createElement("input");
    number.type = "number";
    number.id = id;
    number.dataset.testid = testid;
    number.step = prop.type === "integer" ? "1" : "any";
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
    number.addEventListener("change", () => {
      editing = false;
      commit(parse(number.value));
    });
    let range = null;
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
        range.step = "0.01";
        toRange = (v) => Math.log10(v);
        const integer = prop.type === "integer";
        fromRange = (r) => {
          const v = 10 ** r;
          // Round to 2 significant digits so the slider yields values people would type.
          return integer ? Math.round(v) : Number(v.toPrecision(2));
        };
      } else {
        range.min = String(lo ?? 0);
        range.max = String(prop.maximum ?? 100);
        range.step = String(ui.step ?? (prop.type === "integer" ? 1 : "any"));
      }
      range.addEventListener("input", () => {
        number.value = formatNumber(fromRange(Number(range.value)));
      });
      range.addEventListener("change", () => commit(fromRange(Number(range.value))));
    }
    set = (v, force) => {
      if (force || !editing) number.value = v == null ? "" : formatNumber(v);
      if (range && typeof v === "number" && document.activeElement !== range) range.value = String(toRange(v));
    };
    const row = document.createElement("div");
    row.className = "number-row";
    if (range) row.append(range);
    row.append(number);
    wrap.append(row);
  }
  const control = wrap.querySelector("[data-testid]");
  control.setAttribute("aria-describedby", help.id);
  wrap.append(help);
  // A field several kinds share (the std of a ring and of a grid) says what it means for the kind shown.
  const describe = (text) => {
    label.title = text;
    help.textContent = text;
    control.title = text;
  };
  describe(prop0.description || "");
  return { path, el: wrap, set, describe, rebuild: Boolean(ui.rebuild) };
}
