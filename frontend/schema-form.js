// The controls, built from GET /api/schema: the schema's panels (x-panels: data, networks, loss,
// optimisers, training) each hold their sections (one <details> per config section, titled and
// placed by the section's `title` and ui.panel), one labelled control per field (form-fields.js).
// Never a hand-kept second list: a field added to gan_core's config shows up here by itself, with
// the label and help text the schema gives it.
import { getPath } from "./urlhash.js";
import { buildField, testidFor } from "./form-fields.js";

export { testidFor };

function resolve(schema, node) {
  return node && node.$ref ? schema.$defs[node.$ref.split("/").pop()] : node;
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

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text) el.textContent = text;
  return el;
}

/**
 * Build the form into `root`. onChange(path, value) is called when a person commits a change.
 * `hidden`: the control keys a classroom link hides (section names or dotted paths; App's set).
 * A union section shows the fields of the kind its select names, and only those.
 * Returns {update(config, force), showErrors(map path -> text), fields: Map(path -> field),
 * sections: Map(key -> {el, title, panel})}.
 */
export function buildForm(root, schema, onChange, hidden = new Set()) {
  const fields = new Map();
  const sections = new Map();
  root.replaceChildren();
  const panels = new Map();
  for (const { key, title } of schema["x-panels"] || []) {
    const panel = element("section", "panel");
    panel.dataset.panel = key;
    panel.append(element("h2", "panel-title", title));
    panels.set(key, panel);
    root.append(panel);
  }
  const loose = []; // top-level scalar fields (seed) go into the section their ui.group names
  const unions = []; // {section, kindPath, order: Map(kind -> its field paths, in its own order)}
  for (const [key, prop] of Object.entries(schema.properties)) {
    const union = unionOf(schema, prop);
    const node = resolve(schema, prop);
    if (!union && !node.properties) {
      loose.push([key, prop]);
      continue;
    }
    const ui = prop.ui || {};
    const section = element("details", "section");
    section.dataset.key = key;
    section.open = Boolean(ui.open);
    const title = prop.title || node.title || key;
    const summary = element("summary", "", title);
    if (prop.description) summary.title = prop.description;
    section.append(summary);
    const entries = union
      ? unionFields(key, union)
      : Object.entries(node.properties).map(([name, p]) => ({ path: `${key}.${name}`, prop: p, kinds: null }));
    for (const { path, prop: p, kinds } of entries) {
      const field = buildField(path, p, onChange);
      if (!field) continue;
      field.kinds = kinds; // null: shown for every kind
      field.kindPath = union ? `${key}.${union.key}` : null;
      field.section = key;
      fields.set(field.path, field);
      section.append(field.el);
    }
    if (union) {
      const order = new Map(union.kinds.map((k) => [k, Object.keys(union.variants.get(k).properties).map((n) => `${key}.${n}`)]));
      unions.push({ section, kindPath: `${key}.${union.key}`, order, shown: null });
    }
    const panel = panels.has(ui.panel) ? ui.panel : null;
    sections.set(key, { el: section, title, panel });
    (panels.get(panel) || root).append(section);
  }
  for (const [key, prop] of loose) {
    const field = buildField(key, prop, onChange);
    if (!field) continue;
    field.section = (prop.ui && prop.ui.group) || "training";
    fields.set(key, field);
    const host = sections.get(field.section);
    (host ? host.el : root).append(field.el);
  }
  // A classroom link that hides every section of a panel hides the panel's heading too.
  for (const [key, panel] of panels) {
    const own = [...sections].filter(([, s]) => s.panel === key).map(([k]) => k);
    panel.hidden = own.length === 0 || own.every((k) => hidden.has(k));
    panel.dataset.sections = own.join(" ");
    if (!own.length) panels.delete(key);
  }
  let errors = new Map();

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
      field.shown = !(hidden.has(field.path) || hidden.has(field.section) || Boolean(field.kinds && !own));
      field.el.hidden = !field.shown;
      if (own) field.describe(own.description || "", own.title);
      const value = getPath(config, field.path);
      field.set(value, force);
      paintMessage(field, value);
    }
    lastConfig = config;
  }
  let lastConfig = null;

  function paintMessage(field, value) {
    const error = errors.get(field.path);
    if (error) field.message("error", error);
    else field.message("warning", field.warnFor(value));
  }

  /** Refusals to show beside their fields (path -> sentence); an empty map clears them. */
  function showErrors(map) {
    errors = new Map(map);
    for (const field of fields.values()) paintMessage(field, lastConfig ? getPath(lastConfig, field.path) : undefined);
  }

  /** Whether `path` has a visible field (an error about it can be shown beside it). */
  function shows(path) {
    const field = fields.get(path);
    return Boolean(field && field.shown);
  }
  return { update, showErrors, shows, fields, sections };
}
