// Model overview: noise -> G -> samples -> D -> loss, each box a way into its settings (a click
// opens that section of the form) showing its key setting. In slow motion the stage being run is
// highlighted.

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
  return `MLP ${net.depth}×${net.width}`;
}

/** All of a network's settings, for the box's tooltip. */
function describeNet(net, kind) {
  if (!net || net.kind !== "mlp") return keyOfNet(net);
  const extras = [];
  if (kind === "d" && net.spectral_norm) extras.push("spectral norm");
  if (net.batch_norm) extras.push("batch norm");
  if (net.dropout > 0) extras.push(`dropout ${net.dropout}`);
  return `MLP: ${net.depth} hidden layers of ${net.width}, ${net.activation.replace(/_/g, " ")}${extras.length ? ", " + extras.join(", ") : ""}`;
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
      box.append(title, detail);
      root.append(box);
      this.boxes[stage] = { box, title, detail };
    }
  }

  update(config) {
    if (!config) return;
    const set = (stage, title, detail, full) => {
      const b = this.boxes[stage];
      b.title.textContent = title;
      b.detail.textContent = detail;
      b.box.title = `${full || detail}. Click for its settings.`;
    };
    const n = config.noise;
    set("noise", "noise z", `${n.dim}-d ${n.distribution}`, `${n.dim} random numbers per sample, ${n.distribution}`);
    set("generator", "G", keyOfNet(config.generator), describeNet(config.generator, "g"));
    const t = config.training;
    set("samples", "samples", targetWords(config.target), `target ${config.target.name}; batches of ${t.batch_size} real and ${t.batch_size} generated`);
    set("discriminator", "D", keyOfNet(config.discriminator), describeNet(config.discriminator, "d"));
    const regs = Object.entries(config.regularizers || {}).filter(([k, v]) => v > 0 && k !== "instance_noise_anneal").map(([k]) => k.replace(/_/g, " "));
    const steps = `${t.k_d} D step${t.k_d > 1 ? "s" : ""} per G step${t.k_g > 1 ? ` (${t.k_g} G steps)` : ""}${t.unroll ? `, unroll ${t.unroll}` : ""}, ${t.update}`;
    set("loss", "loss", config.objective.name, `${config.objective.name}${regs.length ? "; " + regs.join(", ") : ""}; ${steps}`);
  }

  /** Highlight the stages of one slow-motion phase (none: clear). */
  highlight(stages) {
    for (const s of STAGES) this.boxes[s].box.classList.toggle("active", Boolean(stages && stages.includes(s)));
  }
}
