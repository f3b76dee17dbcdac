"""What a run costs: floating-point operations, bytes moved and tensor operations launched, per
training iteration and per frame, from its config and view alone (nothing is built or run).

    w = workload(cfg)                      # the numbers the cost depends on
    iteration_cost(w) -> Cost              # one iteration: k_d D updates + k_g G updates (+ look-ahead)
    frame_cost(w, view) -> Cost            # one snapshot with SnapshotOptions `view`
    Cost.seconds() / Cost.ms()             # on the reference core (REFERENCE below)
    state_bytes(w)                         # parameters + gradients + optimizer moments held
    export_bytes(w) / transfer_cost(w)     # an export's size, and the work of making or reading one
    memory_bytes(w, view)                  # what a session holds at its peak, estimated
    contributors(w, view, measure)         # which knobs make it expensive, by how much

Counting rules (the tests check them against hand counts on small nets). A linear layer a -> b on
n rows costs 2nab FLOPs (a multiply and an add per weight and row), plus 2nb for the bias and the
activation; its bytes are 4 (float32) x (the weights ab + b, the input na, the output nb twice: written by
the layer, read and written by the activation). A backward pass costs twice its forward when it
also needs the weights' gradients, once when it only needs the input's. A gradient penalty (GP,
R1, DRAGAN) costs 3 x (a D forward + an input backward) on the batch: the pass itself, and the
double backward of the update. One look-ahead step of an unrolled D costs 3 x (a G forward, two
D forwards and D's weight backward): the step, then back through it. An optimizer step moves
4 bytes x P x (reads and writes per parameter: SGD 3, momentum 5, RMSprop 6, Adam 7).

A frame: G on the samples and the manifold grid, D on the surface grid and the real samples, D's
input gradient at the generated samples, the metrics (a distance pass samples x coverage
centres, and the sliced-W1 sort), D* (target density on the grid x components, and the
generator's KDE, grid x samples), the 1D density curves, and the frame's arrays written 3 times
(the frame, the pipe to the front, the socket).

Time is `flops / F + bytes / B + ops x O` with the reference core's F, B, O (REFERENCE): fitted
by `bench/bench_cost.py` on the 2-core development machine (one torch thread). It is an estimate
for admission, not a promise: the server's watchdog measures what an iteration really takes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

from gan_core.engine.snapshot import SnapshotOptions

FLOAT = 4  # bytes of a float32
OPT_TOUCHES = {"sgd": 3, "momentum": 5, "rmsprop": 6, "adam": 7}  # reads + writes per parameter
OPT_STATE = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adam": 2}  # moment tensors kept per parameter
OPT_OPS = {"sgd": 2, "momentum": 4, "rmsprop": 7, "adam": 10}  # kernels per parameter tensor
PENALTY_PASSES = 3  # a gradient penalty: its pass, and the double backward of the update
UNROLL_PASSES = 3  # a look-ahead step: the step, then back through it
FRAME_COPIES = 3  # a frame's arrays are written by the snapshot, the pipe and the socket
SLICED_PROJECTIONS = 64  # gan_core.engine.metrics' sliced W1 directions
FIXED_FRAME_OPS = 120  # a snapshot's fixed calls (cache look-ups, numpy and torch glue)
# numpy's float64 work (KDEs, metrics) runs ~8x slower per FLOP than torch's float32 matrix products:
# counted 8 times. Its log-density (logsumexp over components, float64) costs ~55 ns per grid point
# and component, and a sort ~2.5 ns per element and comparison level: counted as bytes moved.
F64 = 8.0
DENSITY_BYTES = 300.0
SORT_BYTES = 14.0
SESSION_BASE_BYTES = 24 * 2**20  # a session's Python objects, its history and frame caches
# An export (gan_core.engine.saved): torch.save of parameters and optimizer moments, base64 (4/3),
# next to its config and up to 2,000 history points (< 256 KiB). Making or reading one touches each
# byte of the file ~75 times (copy, zip and CRC, base64, JSON, load, checks: measured 11-15 ns a byte).
EXPORT_EXTRA_BYTES = 256 * 2**10
TRANSFER_TOUCHES = 75


@dataclass(frozen=True)
class Machine:
    flops_per_s: float
    bytes_per_s: float
    op_s: float  # fixed overhead of one tensor operation (the Python around a tiny kernel)


# The reference core. bench/bench_cost.py fitted 77 GFLOP/s, 7.3 GB/s and 6.9 us per operation on
# the 2-core development machine (one torch thread, CPU time; predictions 0.6-1.5x of measured over
# 28 iterations and frames); each is taken 1.5x slower here, so estimates err on the high side.
REFERENCE = Machine(flops_per_s=50e9, bytes_per_s=5e9, op_s=10e-6)


@dataclass(frozen=True)
class Cost:
    flops: float = 0.0
    bytes: float = 0.0
    ops: float = 0.0

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.flops + other.flops, self.bytes + other.bytes, self.ops + other.ops)

    def __mul__(self, k: float) -> Cost:
        return Cost(self.flops * k, self.bytes * k, self.ops * k)

    __rmul__ = __mul__

    def seconds(self, machine: Machine = REFERENCE) -> float:
        return self.flops / machine.flops_per_s + self.bytes / machine.bytes_per_s + self.ops * machine.op_s

    def ms(self, machine: Machine = REFERENCE) -> float:
        return 1000.0 * self.seconds(machine)


@dataclass(frozen=True)
class Workload:
    """Everything the cost depends on, read from a config (`workload`); plain numbers, so a knob can
    be set to its default without building a valid config (see `contributors`)."""

    dim: int = 2
    noise_dim: int = 2
    g_kind: str = "mlp"  # mlp | affine | point
    g_depth: int = 2
    g_width: int = 64
    g_batch_norm: bool = False
    g_dropout: bool = False
    d_kind: str = "mlp"  # mlp | linear
    d_depth: int = 2
    d_width: int = 64
    d_batch_norm: bool = False
    d_dropout: bool = False
    spectral_norm: bool = False
    minibatch: int = 0  # minibatch discrimination's kernels x values per kernel (0: off)
    batch: int = 256
    k_d: int = 1
    k_g: int = 1
    unroll: int = 0
    simultaneous: bool = False
    penalties: int = 0  # gradient penalty (+ wgan-gp's), R1, DRAGAN: how many are on
    consensus: bool = False
    historical: bool = False
    opt_g: str = "adam"
    opt_d: str = "adam"
    components: int = 8  # terms of the target's density (D*): mixture components, drawn points
    centers: int = 8  # coverage centres the metrics measure distances to
    has_density: bool = True


def _get(obj: Any, name: str, default: Any) -> Any:
    return getattr(obj, name, default) if obj is not None else default


def workload(cfg: Any) -> Workload:
    """The Workload of an ExperimentConfig (read by name, so a section without a field, such as an
    affine generator's width, simply has none)."""
    from gan_core.engine.config import target_dim  # the config module is the one owner of dims
    from gan_core.engine.targets import MAX_DRAWN_CENTERS

    t, g, d, r, o, tr = cfg.target, cfg.generator, cfg.discriminator, cfg.regularizers, cfg.objective, cfg.training
    name = t.name
    modes = _get(t, "modes", 1)
    means, points = _get(t, "means", None) or [], _get(t, "points", None) or []
    components = {"ring": modes, "grid": modes**2, "mixture-1d": len(means), "drawn": len(points)}.get(name, 1)
    centers = {"drawn": min(len(points), MAX_DRAWN_CENTERS), "moons": 16, "spiral": 12, "line": 8}.get(name, components)
    gp = (_get(r, "gradient_penalty", 0.0) > 0) + (o.name == "wgan-gp")
    return Workload(
        dim=target_dim(t), noise_dim=cfg.noise.dim,
        g_kind=g.kind, g_depth=_get(g, "depth", 0), g_width=_get(g, "width", 0),
        g_batch_norm=bool(_get(g, "batch_norm", False)), g_dropout=_get(g, "dropout", 0.0) > 0,
        d_kind=d.kind, d_depth=_get(d, "depth", 0), d_width=_get(d, "width", 0),
        d_batch_norm=bool(_get(d, "batch_norm", False)), d_dropout=_get(d, "dropout", 0.0) > 0,
        spectral_norm=bool(_get(d, "spectral_norm", False)),
        minibatch=_get(d, "minibatch_kernels", 0) * _get(d, "minibatch_kernel_dim", 0),
        batch=tr.batch_size, k_d=tr.k_d, k_g=tr.k_g, unroll=tr.unroll, simultaneous=tr.update == "simultaneous",
        penalties=int(gp) + (_get(r, "r1", 0.0) > 0) + (_get(r, "dragan", 0.0) > 0),
        consensus=_get(r, "consensus", 0.0) > 0, historical=_get(r, "historical_averaging", 0.0) > 0,
        opt_g=cfg.optimizer_g.name, opt_d=cfg.optimizer_d.name,
        components=components, centers=centers,
        has_density=name not in ("moons", "spiral", "line", "dirac"),
    )


# ---- networks ----------------------------------------------------------------------------------

def layers(w: Workload, net: str) -> tuple[tuple[int, int], ...]:
    """(fan_in, fan_out) of each linear layer of the generator ("g") or the discriminator ("d")."""
    if net == "g":
        if w.g_kind == "point":
            return ()
        if w.g_kind == "affine":
            return ((w.noise_dim, w.dim),)
        sizes = [w.noise_dim] + [w.g_width] * w.g_depth + [w.dim]
    else:
        if w.d_kind == "linear":
            return ((w.dim, 1),)
        sizes = [w.dim] + [w.d_width] * w.d_depth + [1]
    return tuple(zip(sizes[:-1], sizes[1:], strict=True))


def params(w: Workload, net: str) -> int:
    """Learnable numbers of a network (weights and biases; the point generator's dim)."""
    if net == "g" and w.g_kind == "point":
        return w.dim
    return sum(a * b + b for a, b in layers(w, net))


def forward(w: Workload, net: str, n: int) -> Cost:
    """One forward pass of a network over n rows."""
    if net == "g" and w.g_kind == "point":
        return Cost(0.0, FLOAT * n * w.dim, 3)
    ls = layers(w, net)
    hidden = ls[:-1]
    norm = w.g_batch_norm if net == "g" else w.d_batch_norm
    drop = w.g_dropout if net == "g" else w.d_dropout
    flops = sum(2 * n * a * b + 2 * n * b for a, b in ls)
    moved = FLOAT * sum(a * b + b + n * (a + 4 * b) for a, b in ls)
    ops = 3 * len(ls)  # the layer, its activation (the output layer: its squeeze) and autograd's node
    per_unit = sum(n * b for _, b in hidden)
    if norm:  # batch statistics, normalise, scale and shift
        flops, moved, ops = flops + 8 * per_unit, moved + 2 * FLOAT * per_unit, ops + 4 * len(hidden)
    if drop:  # a mask drawn per unit, then a multiply
        flops, moved, ops = flops + 4 * per_unit, moved + 2 * FLOAT * per_unit, ops + 4 * len(hidden)
    if net == "d" and w.minibatch:
        # Each row against a batch's rows (training: its own batch; a frame's surface: a reference
        # batch as large): a (n, batch, kernels x values) difference, its abs and its sum.
        pairs = n * w.batch * w.minibatch
        flops, moved, ops = flops + 4 * pairs, moved + 3 * FLOAT * pairs, ops + 6
    if net == "d" and w.spectral_norm:  # one power iteration per layer: two matrix-vector products
        flops += sum(4 * a * b for a, b in ls)
        moved += FLOAT * sum(2 * a * b for a, b in ls)
        ops += 8 * len(ls)
    return Cost(flops, moved, ops)


def backward(w: Workload, net: str, n: int, weights: bool = True) -> Cost:
    """Back through a network over n rows: twice its forward with the weights' gradients, once without."""
    return forward(w, net, n) * (2.0 if weights else 1.0)


def optimizer_step(w: Workload, net: str) -> Cost:
    p, name = params(w, net), (w.opt_g if net == "g" else w.opt_d)
    tensors = 2 * len(layers(w, net)) if not (net == "g" and w.g_kind == "point") else 1
    return Cost(3.0 * OPT_TOUCHES[name] * p, FLOAT * OPT_TOUCHES[name] * p, OPT_OPS[name] * tensors)


# ---- one iteration -------------------------------------------------------------------------------

def _batches(w: Workload, n: int) -> Cost:
    """Drawing n real samples (a component pick and a Gaussian) and n noise vectors."""
    return Cost(10.0 * n * (w.dim + w.noise_dim), FLOAT * 3 * n * (w.dim + w.noise_dim), 8)


def d_update(w: Workload) -> Cost:
    b = w.batch
    c = _batches(w, b) + forward(w, "g", b) + forward(w, "d", b) * 2 + backward(w, "d", 2 * b)
    c = c + (forward(w, "d", b) + backward(w, "d", b, weights=False)) * (PENALTY_PASSES * w.penalties)
    if w.historical:
        c = c + Cost(4.0 * params(w, "d"), FLOAT * 4 * params(w, "d"), 6)
    return c + optimizer_step(w, "d") + Cost(0, 0, 60)  # the loss, zero_grad, three .item(), autograd bookkeeping


def lookahead_step(w: Workload) -> Cost:
    b = w.batch
    step = _batches(w, b) + forward(w, "g", b) + forward(w, "d", b) * 2 + backward(w, "d", 2 * b)
    return (step + optimizer_step(w, "d")) * UNROLL_PASSES


def g_update(w: Workload) -> Cost:
    b = w.batch
    c = _batches(w, b) + forward(w, "g", b) + forward(w, "d", b) + backward(w, "d", b, weights=False)
    c = c + backward(w, "g", b) + lookahead_step(w) * w.unroll
    if w.historical:
        c = c + Cost(4.0 * params(w, "g"), FLOAT * 4 * params(w, "g"), 6)
    return c + optimizer_step(w, "g") + Cost(0, 0, 45)


def iteration_cost(w: Workload) -> Cost:
    """One training iteration (gan_core.engine.trainer.Trainer.step(1))."""
    if w.simultaneous or w.consensus:
        joint = d_update(w) + g_update(w)
        if w.consensus:  # gradients of both players' gradient norms: a double backward of the whole update
            joint = joint * 3
        n = max(w.k_d, w.k_g) if w.simultaneous else w.k_d + w.k_g
        return joint * n
    return d_update(w) * w.k_d + g_update(w) * w.k_g


# ---- one frame ------------------------------------------------------------------------------------

def grid_points(w: Workload, view: SnapshotOptions) -> int:
    return view.grid**2 if w.dim == 2 else view.grid


def frame_arrays_bytes(w: Workload, view: SnapshotOptions) -> int:
    """Bytes of a frame's arrays: samples (real, fake, gradients), the surface (and D*), the manifold."""
    s, g = view.samples, grid_points(w, view)
    n = s * w.dim * (2 + view.gradients)
    if view.surface:
        n += g * (1 + (view.optimal_d and w.has_density))
    if view.manifold:
        n += (view.manifold**2 if w.noise_dim >= 2 else view.manifold) * w.dim
    if view.density and w.dim == 1:
        n += 3 * view.grid
    return FLOAT * (n + view.grid * w.dim)  # and the grid's coordinates


def frame_cost(w: Workload, view: SnapshotOptions) -> Cost:
    """One frame with fresh surface and metrics (the most a frame computes)."""
    s, g = view.samples, grid_points(w, view)
    c = forward(w, "g", s)
    if view.manifold:
        c = c + forward(w, "g", view.manifold**2 if w.noise_dim >= 2 else view.manifold)
    if view.surface or view.metrics:
        c = c + forward(w, "d", (g if view.surface else 0) + s)
    c = c + forward(w, "d", s) + (backward(w, "d", s, weights=False) if view.gradients else Cost())
    if view.surface and view.optimal_d and w.has_density:
        c = c + Cost(0.0, DENSITY_BYTES * g * w.components, 12)  # log p_data: grid x components
        if w.dim == 2:  # separable KDE of p_g: two exp tables (grid side x samples), then their product
            c = c + Cost(F64 * (2.0 * g * s + 40.0 * view.grid * s), 8.0 * (g + 4 * view.grid * s), 12)
        else:
            c = c + Cost(F64 * 40.0 * g * s, 8.0 * 3 * g * s, 8)
    if view.density and w.dim == 1:  # two 1D KDE curves
        c = c + Cost(F64 * 2 * 40.0 * view.grid * s, 2 * 8.0 * 3 * view.grid * s, 16)
    if view.metrics:
        assign = Cost(F64 * 8.0 * s * w.centers * w.dim, 8.0 * 3 * s * w.centers, 20)
        proj = SLICED_PROJECTIONS if w.dim == 2 else 1
        sliced = Cost(F64 * 4.0 * proj * s, SORT_BYTES * proj * s * math.log2(max(s, 2)), 12)
        c = c + assign + sliced
    return c + Cost(0.0, FRAME_COPIES * frame_arrays_bytes(w, view), FIXED_FRAME_OPS)


# ---- memory ---------------------------------------------------------------------------------------

def state_bytes(w: Workload) -> int:
    """Parameters, their gradients and the optimizers' moments."""
    return sum(FLOAT * params(w, n) * (2 + OPT_STATE[w.opt_g if n == "g" else w.opt_d]) for n in ("g", "d"))


def file_bytes(w: Workload) -> int:
    """Bytes of the weights file: parameters and the optimizers' moments, and the historical averages
    (a copy of the parameters) when that penalty is on."""
    copies = {n: 1 + OPT_STATE[w.opt_g if n == "g" else w.opt_d] + w.historical for n in ("g", "d")}
    return sum(FLOAT * params(w, n) * copies[n] for n in ("g", "d"))


def export_bytes(w: Workload) -> int:
    """The most bytes an export with weights (as JSON text) can have."""
    return math.ceil(file_bytes(w) * 4 / 3) + EXPORT_EXTRA_BYTES


def transfer_cost(w: Workload) -> Cost:
    """Making an export, or reading one back: proportional to the weights file."""
    return Cost(0.0, float(TRANSFER_TOUCHES * file_bytes(w)), 400)


def largest_file_bytes(transfer_s: float, machine: Machine = REFERENCE) -> int:
    """The largest weights file whose transfer_cost fits in `transfer_s` seconds (inverse of transfer_cost)."""
    return max(0, int((transfer_s - 400 * machine.op_s) * machine.bytes_per_s / TRANSFER_TOUCHES))


def activations_bytes(w: Workload, net: str, n: int) -> int:
    return FLOAT * n * sum(a + 2 * b for a, b in layers(w, net))


def memory_bytes(w: Workload, view: SnapshotOptions) -> int:
    """What a session holds at its peak: its base, the state, one update's saved activations (a
    look-ahead keeps every step's), and a frame's inputs and arrays."""
    b = w.batch
    update = activations_bytes(w, "g", b) + 3 * activations_bytes(w, "d", b)
    update *= (1 + w.unroll) * (1 + (w.penalties > 0) + 2 * w.consensus)
    s, g = view.samples, grid_points(w, view)
    frame = activations_bytes(w, "d", g + s) + activations_bytes(w, "g", s) + 2 * frame_arrays_bytes(w, view)
    if view.optimal_d and w.has_density:
        frame += 8 * 3 * max(g * w.components, view.grid * s)
    return SESSION_BASE_BYTES + state_bytes(w) + max(update, frame)


# ---- what makes it expensive ----------------------------------------------------------------------

# Knobs a person sets, with the config path and the Workload field (or view option) they change.
CONFIG_KNOBS: tuple[tuple[str, str], ...] = (
    ("training.batch_size", "batch"), ("discriminator.width", "d_width"), ("discriminator.depth", "d_depth"),
    ("generator.width", "g_width"), ("generator.depth", "g_depth"), ("training.k_d", "k_d"),
    ("training.k_g", "k_g"), ("training.unroll", "unroll"), ("noise.dim", "noise_dim"),
    ("regularizers", "penalties"), ("regularizers.consensus", "consensus"),
    ("discriminator.spectral_norm", "spectral_norm"), ("target", "components"),
)
VIEW_KNOBS: tuple[str, ...] = ("samples", "grid", "manifold", "optimal_d", "gradients")


def contributors(w: Workload, view: SnapshotOptions, measure: Callable[[Workload, SnapshotOptions], float]
                 ) -> list[tuple[str, Any, float]]:
    """(path, value, factor) for each knob away from its default, most expensive first: `factor` is
    how many times `measure` drops when that knob alone goes back to its default."""
    base_w, base_v = Workload(), SnapshotOptions()
    total = measure(w, view)
    out = []
    for path, name in CONFIG_KNOBS:
        default = getattr(base_w, name)
        if getattr(w, name) != default:
            less = measure(replace(w, **{name: default}), view)
            value = getattr(w, name) if path != "target" else f"{w.components} components"
            out.append((path, value, total / less if less > 0 else math.inf))
    defaults = {f.name: f.default for f in fields(SnapshotOptions)}
    for name in VIEW_KNOBS:
        if getattr(view, name) != defaults[name]:
            less = measure(w, replace(view, **{name: getattr(base_v, name)}))
            out.append((name, getattr(view, name), total / less if less > 0 else math.inf))
    return sorted((c for c in out if c[2] > 1.05), key=lambda c: -c[2])
