// Model overview: noise -> G -> samples -> D -> loss, with the current architecture and
// objective. In slow motion the stage being run is highlighted.

const STAGES = ["noise", "generator", "samples", "discriminator", "loss"];

function describeNet(net, kind) {
  if (!net) return "";
  if (net.kind === "affine") return "affine: x = A z + b";
  if (net.kind === "point") return "a single point θ";
  if (net.kind === "linear") return `linear: D(x) = ψ·x${net.bias ? " + c" : ""}`;
  const extras = [];
  if (kind === "d" && net.spectral_norm) extras.push("spectral norm");
  if (net.batch_norm) extras.push("batch norm");
  if (net.dropout > 0) extras.push(`dropout ${net.dropout}`);
  return `MLP ${net.depth}×${net.width} ${net.activation.replace(/_/g, " ")}${extras.length ? ", " + extras.join(", ") : ""}`;
}

export class ModelView {
  constructor(root) {
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
      const box = document.createElement("div");
      box.className = `model-box model-${stage}`;
      box.dataset.testid = `model-${stage}`;
      const title = document.createElement("strong");
      const detail = document.createElement("small");
      box.append(title, detail);
      root.append(box);
      this.boxes[stage] = { box, title, detail };
    }
  }

  update(config) {
    if (!config) return;
    const set = (stage, title, detail) => {
      this.boxes[stage].title.textContent = title;
      this.boxes[stage].detail.textContent = detail;
    };
    set("noise", "noise z", `${config.noise.dim}-d ${config.noise.distribution}`);
    set("generator", "G", describeNet(config.generator, "g"));
    set("samples", "samples", `${config.training.batch_size} real + fake, target ${config.target.name}`);
    set("discriminator", "D", describeNet(config.discriminator, "d"));
    const regs = Object.entries(config.regularizers || {}).filter(([k, v]) => v > 0 && k !== "instance_noise_anneal").map(([k]) => k.replace(/_/g, " "));
    const t = config.training;
    const steps = `k_D=${t.k_d}, k_G=${t.k_g}${t.unroll ? `, unroll ${t.unroll}` : ""}, ${t.update}`;
    set("loss", "loss", `${config.objective.name}; ${regs.length ? regs.join(", ") + "; " : ""}${steps}`);
  }

  /** Highlight the stages of one slow-motion phase (none: clear). */
  highlight(stages) {
    for (const s of STAGES) this.boxes[s].box.classList.toggle("active", Boolean(stages && stages.includes(s)));
  }
}
