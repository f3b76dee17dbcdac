// Model overview: noise -> G -> samples -> D -> loss, each box a way into its settings (a click
// opens that section of the form) showing its key setting and, on a line of its own, the
// stabilizers in effect in the part they act on (stabilizers(config)). In slow motion the stage
// being run is highlighted.

const STAGES = ["noise", "generator", "samples", "discriminator", "loss"];
// The form section each box opens, and what its button says to a screen reader.
const SECTION = { noise: "noise", generator: "generator", samples: "target", discriminator: "discriminator", loss: "objective" };
const NAMES = { noise: "noise z", generator: "generator G", samples: "the data", discriminator: "discriminator D", loss: "the loss" };

/** The key setting of a network, short enough for a box: "MLP 2×64", "a line", "a point θ". */
function keyOfNet(net) {
  if (!net) return "";
  if (net.kind === "affine") return "a line: A z + b";
  if (net.kind === "point") return "a point θ";
  if (net.kind === "linear") return "a slope: ψ·x";
  if (net.kind === "autoencoder") return `auto-encoder ${net.depth}×${net.width}, code ${net.code}`;
  return `MLP ${net.depth}×${net.width}`;
}

/** All of a network's settings, for the box's tooltip (its stabilizers are on the box's own line). */
function describeNet(net) {
  if (!net) return "";
  const act = net.activation ? net.activation.replace(/_/g, " ") : "";
  if (net.kind === "autoencoder") {
    return `auto-encoder (EBGAN): ${net.depth} hidden layers of ${net.width} each side, a code of ${net.code}, ${act}; its energy is the reconstruction error`;
  }
  if (net.kind !== "mlp") return keyOfNet(net);
  return `MLP: ${net.depth} hidden layers of ${net.width}, ${act}`;
}

/**
 * The stabilizers in effect, by the box of the strip they act on: {noise, generator, samples,
 * discriminator, loss}, each a list of short names with their setting. G's and D's layers on the
 * networks; instance noise on the samples D sees; penalties, smoothed labels, feature matching,
 * EBGAN's margin and pull-away and the look-ahead on the loss (they change what is minimised).
 */
export function stabilizers(config) {
  const out = { noise: [], generator: [], samples: [], discriminator: [], loss: [] };
  if (!config) return out;
  const g = config.generator || {};
  const d = config.discriminator || {};
  const o = config.objective || {};
  const r = config.regularizers || {};
  const t = config.training || {};
  if (g.virtual_batch_norm) out.generator.push(`virtual batch norm (reference ${g.vbn_reference})`);
  if (g.batch_norm) out.generator.push("batch norm");
  if (g.dropout > 0) out.generator.push(`dropout ${g.dropout}`);
  if (r.instance_noise > 0) {
    const fade = r.instance_noise_anneal > 0 ? `, fading over ${r.instance_noise_anneal} its` : "";
    out.samples.push(`instance noise std ${r.instance_noise}${fade}`);
  }
  if (d.kind === "autoencoder") out.discriminator.push("EBGAN energy");
  if (d.spectral_norm) out.discriminator.push("spectral norm");
  if (d.minibatch_kernels > 0) out.discriminator.push(`minibatch discrimination (${d.minibatch_kernels} kernels)`);
  if (d.batch_norm) out.discriminator.push("batch norm");
  if (d.dropout > 0) out.discriminator.push(`dropout ${d.dropout}`);
  if (o.name === "wasserstein") out.discriminator.push(`weight clip ±${o.clip}`);
  if (r.weight_clip > 0) out.discriminator.push(`weight clip ±${r.weight_clip}`);
  if (o.name === "wgan-gp" && o.gp_weight > 0) out.loss.push(`gradient penalty λ ${o.gp_weight}`);
  if (r.gradient_penalty > 0) out.loss.push(`gradient penalty ${r.gradient_penalty}`);
  if (r.r1 > 0) out.loss.push(`R1 γ ${r.r1}`);
  if (r.dragan > 0) out.loss.push(`DRAGAN ${r.dragan}`);
  if (r.label_smoothing > 0) out.loss.push(`label smoothing ε ${r.label_smoothing}`);
  if (r.feature_matching > 0) out.loss.push(`feature matching ${r.feature_matching}`);
  if (o.name === "ebgan") out.loss.push(`margin m ${o.margin}`);
  if (o.name === "ebgan" && o.pull_away > 0) out.loss.push(`pull-away ${o.pull_away}`);
  if (r.consensus > 0) out.loss.push(`consensus ${r.consensus}`);
  if (r.historical_averaging > 0) out.loss.push(`historical averaging ${r.historical_averaging}`);
  if (t.unroll > 0) out.loss.push(`unrolled ${t.unroll} D steps`);
  return out;
}

function targetWords(t) {
  if (t.name === "ring" || t.name === "grid") return `${t.name} of ${t.name === "grid" ? t.modes * t.modes : t.modes}`;
  return t.name.replace(/-/g, " ");
}

export class ModelView {
  /** onOpen(section): a box was clicked; open that section of the settings. */
  constructor(root, onOpen = () => {}) {
    this.root = root;
    root.classList.add("model-diagram");
    root.replaceChildren();
    this.boxes = {};
    for (const [i, stage] of STAGES.entries()) {
      if (i) {
        const arrow = document.createElement("span");
        arrow.className = "model-arrow";
        arrow.textContent = "→";
        arrow.setAttribute("aria-hidden", "true");
        root.append(arrow);
      }
      const box = document.createElement("button");
      box.type = "button";
      box.className = `model-box model-${stage}`;
      box.dataset.testid = `model-${stage}`;
      box.dataset.section = SECTION[stage];
      box.setAttribute("aria-label", `Settings of ${NAMES[stage]}`);
      box.addEventListener("click", () => onOpen(SECTION[stage]));
      const title = document.createElement("strong");
      const detail = document.createElement("small");
      const extras = document.createElement("small");
      extras.className = "model-extras";
      extras.dataset.testid = `model-${stage}-extras`;
      box.append(title, detail, extras);
      root.append(box);
      this.boxes[stage] = { box, title, detail, extras };
    }
  }

  update(config) {
    if (!config) return;
    const extra = stabilizers(config);
    const set = (stage, title, detail, full) => {
      const b = this.boxes[stage];
      b.title.textContent = title;
      b.detail.textContent = detail;
      b.extras.textContent = extra[stage].map((e) => `+ ${e}`).join("\n");
      b.extras.hidden = extra[stage].length === 0;
      b.box.classList.toggle("has-extras", extra[stage].length > 0); // wider: its lines need the room
      const more = extra[stage].length ? `; ${extra[stage].join(", ")}` : "";
      b.box.title = `${full || detail}${more}. Click for its settings.`;
    };
    const n = config.noise;
    set("noise", "noise z", `${n.dim}-d ${n.distribution}`, `${n.dim} random numbers per sample, ${n.distribution}`);
    set("generator", "G", keyOfNet(config.generator), describeNet(config.generator));
    const t = config.training;
    set("samples", "samples", targetWords(config.target), `target ${config.target.name}; batches of ${t.batch_size} real and ${t.batch_size} generated`);
    set("discriminator", "D", keyOfNet(config.discriminator), describeNet(config.discriminator));
    const steps = `${t.k_d} D step${t.k_d > 1 ? "s" : ""} per G step${t.k_g > 1 ? ` (${t.k_g} G steps)` : ""}, ${t.update}`;
    set("loss", "loss", config.objective.name, `${config.objective.name}; ${steps}`);
  }

  /** Highlight the stages of one slow-motion phase (none: clear). */
  highlight(stages) {
    for (const s of STAGES) this.boxes[s].box.classList.toggle("active", Boolean(stages && stages.includes(s)));
  }
}
