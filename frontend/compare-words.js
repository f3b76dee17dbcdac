// What B changes against A, in words, with the form's own labels (the schema's titles and section
// names): "unroll 5 instead of 0", "generator network mlp instead of affine". Pure: no DOM.
// The words a difference is said in, per config section (the schema's own titles are the panels').
const SECTION_TITLES = {
  target: "Target", objective: "Objective", optimizer_d: "Discriminator optimizer", optimizer_g: "Generator optimizer",
  training: "Training", regularizers: "Regularizers", generator: "Generator network",
  discriminator: "Discriminator network", noise: "Noise (z)",
};

// Sections whose fields read well alone (their titles say what they are).
const PLAIN_SECTIONS = new Set(["training"]);

function resolve(schema, node) {
  return node && node.$ref ? schema.$defs[node.$ref.split("/").pop()] : node;
}

/** A title as words in a sentence: "Batch Size" -> "batch size", "K D" stays "K D". */
function words(title) {
  return String(title).split(" ").map((w) => (w.length > 1 ? w.toLowerCase() : w)).join(" ");
}

function same(x, y) {
  return JSON.stringify(x ?? null) === JSON.stringify(y ?? null);
}

export function formatValue(v) {
  if (v === null || v === undefined) return "none";
  if (typeof v === "boolean") return v ? "on" : "off";
  if (typeof v === "number") {
    if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(1).replace(/\.0e/, "e");
    return String(Math.round(v * 1e6) / 1e6);
  }
  if (Array.isArray(v)) return `[${v.map(formatValue).join(", ")}]`;
  return String(v);
}

function sentence(label, a, b) {
  return `${label} ${formatValue(b)} instead of ${formatValue(a)}`;
}

/**
 * Every setting on which config `b` differs from `a`, as phrases without the "B: " (schema: GET
 * /api/schema). A section of another kind says the kind, then the fields both kinds have that differ.
 */
export function differences(schema, a, b) {
  const out = [];
  for (const [key, prop] of Object.entries(schema.properties || {})) {
    const node = resolve(schema, prop);
    const union = prop.discriminator || null;
    if (!union && !node.properties) {
      if (!same(a[key], b[key])) out.push(sentence(words(prop.title || node.title || key), a[key], b[key]));
      continue;
    }
    const sa = a[key] || {};
    const sb = b[key] || {};
    const section = words(SECTION_TITLES[key] || node.title || key);
    const label = (name, p) => (PLAIN_SECTIONS.has(key) ? words(p.title || name) : `${section} ${words(p.title || name)}`);
    let model = node;
    let shared = null; // a union's fields both kinds have (when the kinds differ)
    if (union) {
      const tag = union.propertyName;
      const modelA = resolve(schema, { $ref: union.mapping[sa[tag]] });
      const modelB = resolve(schema, { $ref: union.mapping[sb[tag]] });
      if (sa[tag] !== sb[tag]) {
        shared = new Set(Object.keys((modelA && modelA.properties) || {}));
        // B's kind's own fields, where they are not that kind's defaults: "wgan-gp (gp weight 0.1)".
        const own = Object.entries((modelB && modelB.properties) || {})
          .filter(([name, p]) => name !== tag && !shared.has(name) && !same(sb[name], p.default))
          .map(([name, p]) => `${words(p.title || name)} ${formatValue(sb[name])}`);
        const kind = own.length ? `${sb[tag]} (${own.join(", ")})` : sb[tag];
        out.push(`${section} ${kind} instead of ${formatValue(sa[tag])}`);
      }
      model = modelB || modelA;
      if (!model) continue;
      for (const [name, p] of Object.entries(model.properties || {})) {
        if (name === tag || (shared && !shared.has(name))) continue;
        if (!same(sa[name], sb[name])) out.push(sentence(label(name, p), sa[name], sb[name]));
      }
      continue;
    }
    for (const [name, p] of Object.entries(model.properties || {})) {
      if (!same(sa[name], sb[name])) out.push(sentence(label(name, p), sa[name], sb[name]));
    }
  }
  return out;
}
