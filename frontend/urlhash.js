// The URL hash holds the whole experiment, so a link reproduces it (TensorFlow Playground style):
//   #p=<preset>&seed=<n>&c=<config diff>&cv=<schema version>&v=<view diff>&hide=<keys>&b=<B patch>&cmp=<name>
// c and v are base64url JSON; c holds only what differs from the schema's defaults (a section of
// another kind: from that kind's), v only what differs from the view's defaults, so links stay
// short; cv is the config schema's version c was written for (absent: 1, links from before it
// existed). hide lists control keys (dotted config paths or section names) a classroom link hides.
// b (base64url JSON) is a comparison's B as a patch over A's config, cmp its built-in name if any.

// How the page draws (its own choices). The numbers a frame carries (samples, grid, fps) are the
// server's: their defaults and bounds come from GET /api/schema's `x-view` (viewDefaults).
const PAGE_VIEW = Object.freeze({
  main: "auto", // "auto" picks from the target's dimension: "2d" | "1d" | "dirac"
  layers: Object.freeze({ real: true, fake: true, heatmap: true, arrows: true, manifold: false, dstar: false }),
  logx: false,
  // Locked axes: the window a teacher fixed ([xmin, xmax] in the 1D view, [xmin, xmax, ymin, ymax] in
  // the 2D one), or null: the views frame the target and the generated samples themselves.
  lock: null,
  logy: false,
});
const MAIN_VIEWS = ["auto", "2d", "1d", "dirac"];
// Characters a link may have and still be shared: RFC 9110 asks servers for at least 8,000, and
// mail and chat tools cut or refuse longer ones. A longer one still works in its own tab.
export const LINK_LIMIT = 8000;
const SERVER_VIEW_KEYS = ["samples", "grid", "fps"]; // named as in x-view and the set_view message

/** The view a page starts with: the page's drawing choices plus x-view's defaults. */
export function viewDefaults(schema) {
  const xview = schema["x-view"];
  const out = { ...PAGE_VIEW, layers: { ...PAGE_VIEW.layers } };
  for (const key of SERVER_VIEW_KEYS) out[key] = xview[key].default;
  return out;
}

export function isPlainObject(x) {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

/**
 * Defaults of every field the schema states one for. A section that is a union of kinds (a `oneOf`
 * with a `discriminator`: the target, the networks, the objective, the optimizers) states its
 * default kind's values. Two more things ride along, not enumerable, for buildHash: `kinds`
 * (each union section's key and every kind's own defaults) and `schemaVersion`.
 */
export function schemaDefaults(schema) {
  const resolve = (node) => {
    if (node && node.$ref) return schema.$defs[node.$ref.split("/").pop()];
    return node;
  };
  const walk = (node) => {
    const out = {};
    for (const [key, prop0] of Object.entries(node.properties || {})) {
      const prop = resolve(prop0);
      if ("default" in prop0) out[key] = structuredClone(prop0.default);
      else if (prop.properties) out[key] = walk(prop);
      else if ("default" in prop) out[key] = prop.default;
    }
    return out;
  };
  const defaults = walk(schema);
  const kinds = {};
  for (const [section, prop] of Object.entries(schema.properties || {})) {
    const d = prop.discriminator;
    if (!d) continue;
    const byKind = {};
    for (const [kind, ref] of Object.entries(d.mapping)) {
      byKind[kind] = walk(resolve({ $ref: ref }));
      delete byKind[kind][d.propertyName]; // a link names a kind other than the default one
    }
    kinds[section] = { key: d.propertyName, defaults: byKind };
  }
  Object.defineProperty(defaults, "kinds", { value: kinds, enumerable: false });
  Object.defineProperty(defaults, "schemaVersion", { value: schema["x-schema-version"] ?? 1, enumerable: false });
  return defaults;
}

/** What of `cfg` differs from `base` (recursively; arrays compare whole). */
export function deepDiff(cfg, base) {
  const out = {};
  for (const [k, v] of Object.entries(cfg || {})) {
    const b = base ? base[k] : undefined;
    if (isPlainObject(v) && isPlainObject(b)) {
      const d = deepDiff(v, b);
      if (Object.keys(d).length) out[k] = d;
    } else if (JSON.stringify(v) !== JSON.stringify(b)) {
      out[k] = v;
    }
  }
  return out;
}

export function deepMerge(base, patch) {
  const out = structuredClone(base || {});
  for (const [k, v] of Object.entries(patch || {})) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k], v) : structuredClone(v);
  }
  return out;
}

export function getPath(obj, path) {
  return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

/** dottedPatch("objective.name", "hinge") -> {objective: {name: "hinge"}} */
export function dottedPatch(path, value) {
  return path.split(".").reduceRight((inner, key) => ({ [key]: inner }), value);
}

function b64urlEncode(obj) {
  const bytes = new TextEncoder().encode(JSON.stringify(obj));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function b64urlDecode(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "===".slice((b64.length + 3) % 4));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
}

/**
 * Read the experiment from a hash string (schema: GET /api/schema, for the view's defaults and
 * bounds). Returns {config (partial, or null), preset, view, hide (a Set of control keys), error
 * (a readable message when the hash could not be read, else null)}.
 */
export function readHash(hash, schema) {
  const params = new URLSearchParams((hash || "").replace(/^#/, ""));
  const out = { config: null, preset: params.get("p"), view: viewDefaults(schema), hide: new Set(), error: null,
    compare: null };
  try {
    if (params.has("c")) {
      out.config = b64urlDecode(params.get("c"));
      // The schema version the diff was written for (links from before `cv` existed are version 1);
      // the server reads older versions through gan_core's upgrade_config.
      if (isPlainObject(out.config)) out.config.schema_version = Number(params.get("cv") || 1);
    }
    if (params.has("seed")) {
      const seed = Number(params.get("seed"));
      out.config = { ...(out.config || {}), seed: Number.isInteger(seed) ? seed : params.get("seed") };
    }
    if (params.has("b")) {
      const patch = b64urlDecode(params.get("b"));
      out.compare = { patch: isPlainObject(patch) ? patch : {}, name: params.get("cmp") || null };
    }
    if (params.has("v")) {
      const { view, problems } = mergeView(b64urlDecode(params.get("v")), schema);
      out.view = view;
      if (problems.length) out.error = `This link's view: ${problems.join("; ")}.`;
    }
  } catch (err) {
    out.error = `This link's experiment could not be read (${err.message}); the default experiment loaded instead.`;
    out.config = null;
  }
  for (const key of (params.get("hide") || "").split(",")) if (key) out.hide.add(key);
  return out;
}

/**
 * A link's view over the defaults: only the options this page knows (an old link's extra keys
 * drop out), numbers inside x-view's bounds. Returns {view, problems: [readable reasons]}.
 */
export function mergeView(v, schema) {
  const given = isPlainObject(v) ? v : {};
  const view = viewDefaults(schema);
  const problems = [];
  if (MAIN_VIEWS.includes(given.main)) view.main = given.main;
  if (typeof given.logx === "boolean") view.logx = given.logx;
  if ("lock" in given && given.lock !== null) {
    const why = lockProblem(given.lock, schema["x-view"].window);
    if (why) problems.push(`lock ${JSON.stringify(given.lock)} ${why}, so the axes fit the data`);
    else view.lock = given.lock.slice();
  }
  if (typeof given.logy === "boolean") view.logy = given.logy;
  for (const [key, on] of Object.entries(isPlainObject(given.layers) ? given.layers : {})) {
    if (key in view.layers && typeof on === "boolean") view.layers[key] = on;
  }
  for (const key of SERVER_VIEW_KEYS) {
    if (!(key in given)) continue;
    const { minimum, maximum } = schema["x-view"][key];
    const x = given[key];
    if (typeof x === "number" && x >= minimum && x <= maximum) view[key] = x;
    else problems.push(`${key} ${JSON.stringify(x)} is outside ${minimum}..${maximum}, so ${view[key]} is used`);
  }
  return { view, problems };
}

/** Why `lock` is not a window the views can draw (null when it is): 2 or 4 finite numbers within
 * the server's window bounds (rule: x-view.window), each axis increasing by at least min_extent. */
export function lockProblem(lock, rule) {
  if (!Array.isArray(lock) || (lock.length !== 2 && lock.length !== 4)) return "is not [xmin, xmax] or [xmin, xmax, ymin, ymax]";
  if (!lock.every((v) => typeof v === "number" && Number.isFinite(v) && Math.abs(v) <= rule.max_abs)) {
    return `must hold finite numbers within ±${rule.max_abs}`;
  }
  for (let i = 0; i < lock.length; i += 2) if (!(lock[i + 1] - lock[i] >= rule.min_extent)) return "is empty or reversed";
  return null;
}

/** The hash of an experiment (config: the full resolved config; defaults: schemaDefaults(schema);
 * defaultView: viewDefaults(schema)). */
export function buildHash({ config, defaults, defaultView, preset, view, hide, compare = null }) {
  const params = new URLSearchParams();
  if (preset) params.set("p", preset);
  // A section of another kind than the default is diffed against that kind's own defaults: the
  // server fills what a link leaves out from the kind it names (a grid's 5 modes, not the ring's 8).
  const base = { ...defaults };
  for (const [section, { key, defaults: byKind }] of Object.entries(defaults.kinds || {})) {
    const kind = config[section] && config[section][key];
    if (kind !== undefined && kind !== (defaults[section] || {})[key] && byKind[kind]) base[section] = byKind[kind];
  }
  const diff = deepDiff(config, base);
  const seed = config.seed;
  delete diff.seed;
  params.set("seed", String(seed ?? 0));
  if (Object.keys(diff).length) {
    params.set("c", b64urlEncode(diff));
    params.set("cv", String(defaults.schemaVersion ?? 1));
  }
  const viewDiff = deepDiff(view, defaultView);
  if (Object.keys(viewDiff).length) params.set("v", b64urlEncode(viewDiff));
  if (hide && hide.size) params.set("hide", [...hide].join(","));
  if (compare) {
    params.set("b", b64urlEncode(compare.patch || {}));
    if (compare.name) params.set("cmp", compare.name);
  }
  return "#" + params.toString();
}
