// The timeline's part of the store (App owns one): where the run is on its timeline, what the
// server said about it (extent, checkpoints, branches, the last seek), and the scrub in progress;
// and the messages that move the run along it (docs/protocol.md: seek, switch_branch).
//
// Dragging the timeline sends `seek {exact: false}` at most every SCRUB_MS (the nearest earlier
// checkpoint, restored at once: a frame each); releasing it sends `seek {exact: true}` (the server
// replays from the checkpoint to the very iteration). Play then goes on from there: the original
// run, retraced (a rewind); a changed setting first makes a branch, drawn beside the original.

const SCRUB_MS = 60; // ~16 seeks/s while dragging: about what a server frame costs, no queue

export class Rewind {
  constructor(app) {
    this.app = app;
    this.info = null; // the last `timeline` message, its extent and branch kept current by frames
    this.iteration = 0; // where the run is
    this.scrub = null; // the iteration being dragged to, or null
    this.replayTo = null; // an exact seek's replay in progress (its target), or null
    // An exact seek sent whose answer has not come yet (its iteration), or null. Until it comes,
    // answers to the drag's earlier preview seeks (same socket, so they come first) must not read
    // as "the seek is done": the run is still on its way to this iteration.
    this.awaiting = null;
    this.note = ""; // what the last seek got, in words ("no checkpoint at 812: ...")
    this.lastSent = -Infinity;
    this.timer = null;
  }

  // ---- server -> store ---------------------------------------------------------------------

  onTimeline(msg) {
    if (this.awaiting !== null && msg.seek && msg.seek.asked_exact) this.awaiting = null;
    const before = this.info;
    if (before && msg.run === before.run && msg.branch !== before.branch
        && !(before.branches || []).some((b) => b.id === msg.branch)) {
      const b = (msg.branches || []).find((x) => x.id === msg.branch);
      this.app.status.notice(`A new branch: ${b ? b.label : ""}. The original run is kept: switch back to it under the curves.`);
    }
    this.info = msg;
    this.iteration = msg.iteration;
    this.replayTo = this.awaiting ?? msg.replay_to ?? null;
    this.note = (msg.seek && msg.seek.message) || (msg.enabled ? "" : msg.note || "");
    this.app.history.setBranches(msg.branches || [], msg.branch);
    this.app.requestRender();
  }

  onStatus(msg) {
    this.replayTo = this.awaiting ?? msg.replay_to ?? null;
    if (typeof msg.iteration === "number") this.iteration = msg.iteration;
  }

  onFrame(h) {
    this.iteration = h.iteration;
    const info = this.info;
    if (info && h.run === info.run && typeof h.extent === "number") {
      info.extent = h.extent;
      info.branch = h.branch;
      if (typeof h.start === "number") info.start = h.start;
    }
  }

  // ---- what the views read -----------------------------------------------------------------

  get enabled() {
    return Boolean(this.info && this.info.enabled);
  }

  /** Whether the run shows a past iteration of its branch (play goes on from there). */
  get rewound() {
    return Boolean(this.info) && this.iteration < this.info.extent;
  }

  /** The iteration the curves mark: the one dragged to, or the one shown when it is a past one. */
  get marked() {
    if (this.scrub !== null) return this.scrub;
    return this.rewound || this.replayTo !== null ? this.iteration : null;
  }

  // ---- page -> server ----------------------------------------------------------------------

  /** The timeline is being dragged to `iteration`: show its nearest checkpoint (throttled). */
  drag(iteration) {
    this.scrub = iteration;
    this.app.requestRender();
    const wait = SCRUB_MS - (performance.now() - this.lastSent);
    if (wait <= 0) this.sendScrub();
    else if (!this.timer) this.timer = setTimeout(() => this.sendScrub(), wait);
  }

  sendScrub() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.scrub === null) return;
    this.lastSent = performance.now();
    this.app.socket.send({ type: "seek", iteration: this.scrub, exact: false });
  }

  /** Let go at `iteration`: the exact iteration (the server replays to it from its checkpoint). */
  release(iteration) {
    clearTimeout(this.timer);
    this.timer = null;
    this.scrub = null;
    this.seek(iteration);
  }

  seek(iteration, exact = true) {
    if (exact) this.awaiting = this.replayTo = iteration;
    this.app.socket.send({ type: "seek", iteration, exact });
    this.app.requestRender();
  }

  /** Back to the newest iteration of this branch. */
  latest() {
    if (this.info) this.seek(this.info.extent);
  }

  /** The server refused a message: an exact seek still awaited will get no answer. */
  onError() {
    if (this.awaiting === null) return;
    this.awaiting = this.replayTo = null;
    this.app.requestRender();
  }

  switchTo(branch) {
    this.app.socket.send({ type: "switch_branch", branch });
  }
}
