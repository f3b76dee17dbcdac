// The timeline under the curves: a slider over the iterations of the branch the run is on (drag
// to see the experiment as it was; let go for that exact iteration), its checkpoints as ticks and
// other branches' forks as marks, a line that says where the run is and what play will do, and
// one button per branch to switch to it. Drawn from App's store (rewind.js, history.js); what a
// person does goes to the Rewind controller.
import { branchName } from "./curves.js";

const $ = (id) => document.getElementById(id);

export class TimelineView {
  /** rewind: the Rewind controller (frontend/rewind.js). */
  constructor(rewind) {
    this.rewind = rewind;
    this.slider = $("timeline-slider");
    this.ticks = $("timeline-ticks");
    this.text = $("timeline-text");
    this.note = $("timeline-note");
    this.latest = $("timeline-latest");
    this.branches = $("timeline-branches");
    this.drawnBranches = "";
    this.slider.addEventListener("input", (e) => rewind.drag(Number(e.target.value)));
    this.slider.addEventListener("change", (e) => rewind.release(Number(e.target.value)));
    this.latest.addEventListener("click", () => rewind.latest());
  }

  render(history) {
    const r = this.rewind;
    const info = r.info;
    const start = info ? info.start : 0;
    const extent = info ? Math.max(info.extent, start) : 0;
    this.slider.min = String(start);
    this.slider.max = String(extent);
    this.slider.disabled = !r.enabled || extent <= start;
    // While dragging the thumb belongs to the hand; otherwise it shows where the run is.
    if (r.scrub === null) this.slider.value = String(Math.min(r.iteration, extent));
    this.text.textContent = this.describe(r, extent);
    this.note.textContent = r.note;
    this.latest.hidden = !r.rewound && r.replayTo === null;
    this.drawTicks(info, start, extent, history);
    this.drawBranches(info);
  }

  describe(r, extent) {
    if (!r.info) return "";
    if (!r.enabled) return "timeline off";
    if (r.replayTo !== null) return `replaying to ${r.replayTo}…`;
    const at = r.scrub ?? r.iteration;
    if (r.scrub !== null || r.rewound) {
      return `iteration ${at} of ${extent}: ▶ goes on from here; change a setting first to branch`;
    }
    return `iteration ${at}: the newest (drag back to see the past)`;
  }

  drawTicks(info, start, extent, history) {
    const c = this.ticks;
    const w = c.clientWidth;
    const h = c.clientHeight;
    if (!w || !h) return;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    if (!info || extent <= start) return;
    // The range input's thumb travels over its width less about one thumb (~14 px).
    const pad = 7;
    const x = (it) => pad + ((it - start) / (extent - start)) * (w - 2 * pad);
    ctx.fillStyle = "#8a8a8a";
    for (const it of info.checkpoints || []) {
      if (it >= start && it <= extent) ctx.fillRect(Math.round(x(it)), 1, 1, h - 4);
    }
    // Where branches leave the run (this one's own fork too): a small triangle in the marker colour.
    ctx.fillStyle = "#c2185b";
    for (const b of history.branches.values()) {
      if (b.parent === null || b.fork < start || b.fork > extent) continue;
      const bx = x(b.fork);
      ctx.beginPath();
      ctx.moveTo(bx - 4, h);
      ctx.lineTo(bx + 4, h);
      ctx.lineTo(bx, h - 6);
      ctx.fill();
    }
  }

  drawBranches(info) {
    const list = info ? info.branches || [] : [];
    const key = JSON.stringify([list.map((b) => [b.id, b.label]), info && info.branch]);
    if (key === this.drawnBranches) return;
    this.drawnBranches = key;
    this.branches.replaceChildren();
    this.branches.hidden = list.length < 2;
    for (const b of list) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.testid = `branch-${b.id}`;
      const current = b.id === info.branch;
      button.classList.toggle("active", current);
      button.setAttribute("aria-pressed", String(current));
      const name = branchName(b);
      button.textContent = b.parent === null ? name : `${name}: ${b.label}`;
      button.title = current ? `${name}: the run is on it` : `Switch to ${name}, where it was left (iteration ${b.extent})`;
      button.addEventListener("click", () => this.rewind.switchTo(b.id));
      this.branches.append(button);
    }
  }
}
