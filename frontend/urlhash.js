// The URL hash holds the whole experiment, so a link reproduces it (TensorFlow Playground style):
//   #p=<preset>&seed=<n>&c=<config diff>&v=<view>&hide=<keys>
// c and v are base64url JSON; c holds only what differs from the schema's defaults, so links
// stay short. hide lists control keys (dotted config paths or section names) a classroom link
// hides.

export const DEFAULT_VIEW = Object.freeze({
  main: "auto", // "auto" picks from the target's dimension: "2d" | "1d" | "dirac"
  layers: Object.freeze({ real: true, fake: true, heatmap: true, arrows: true, manifold: false, dstar: false }),
  logx: false,
  renderer: "canvas", // "canvas" | "plotly" for the 2D main view (see bench/bench_render.py)
  samples: 512,
  grid: 64,
  fps: 30,
});

export function isPlainObject(x) {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

/** Defaults of every field the schema states one for (pydantic omits default_factory ones). */
export function schemaDefaults(schema) {
  const resolve = (node) => {
    if (node && node.$ref) return schema.$defs[node.$ref.split("/").pop()];
    return node;
  };
  const walk = (node) => {
    const out = {};
    for (const [key, prop0] of Object.entries(node.properties || {})) {
      const prop = resolve(prop0);
      if (prop.properties) out[key] = walk(prop);
      else if ("default" in prop) out[key] = prop.default;
    }
    return out;
  };
  return walk(schema);
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
 * Read the experiment from a hash string. Returns {config (partial, or null), preset, view,
 * hidden: Set, error (a readable message when the hash could not be read, else null)}.
 */
export function readHash(hash) {
  const params = new URLSearchParams((hash || "").replace(/^#/, ""));
  const out = { config: null, preset: params.get("p"), view: mergeView({}), hidden: new Set(), error: null };
  try {
    if (params.has("c")) out.config = b64urlDecode(params.get("c"));
    if (params.has("seed")) {
      const seed = Number(params.get("seed"));
      out.config = { ...(out.config || {}), seed: Number.isInteger(seed) ? seed : params.get("seed") };
    }
    if (params.has("v")) out.view = mergeView(b64urlDecode(params.get("v")));
  } catch (err) {
    out.error = `This link's experiment could not be read (${err.message}); the default experiment loaded instead.`;
    out.config = null;
  }
  for (const key of (params.get("hide") || "").split(",")) if (key) out.hidden.add(key);
  return out;
}

export function mergeView(v) {
  const view = { ...DEFAULT_VIEW, ...(isPlainObject(v) ? v : {}) };
  view.layers = { ...DEFAULT_VIEW.layers, ...(isPlainObject(v && v.layers) ? v.layers : {}) };
  return view;
}

/** Build the hash for an experiment (config is the full resolved config). */
export function buildHash({ config, defaults, preset, view, hidden }) {
  const params = new URLSearchParams();
  if (preset) params.set("p", preset);
  const diff = deepDiff(config, defaults);
  const seed = config.seed;
  delete diff.seed;
  params.set("seed", String(seed ?? 0));
  if (Object.keys(diff).length) params.set("c", b64urlEncode(diff));
  const viewDiff = deepDiff(view, DEFAULT_VIEW);
  if (Object.keys(viewDiff).length) params.set("v", b64urlEncode(viewDiff));
  if (hidden && hidden.size) params.set("hide", [...hidden].join(","));
  return "#" + params.toString();
}
