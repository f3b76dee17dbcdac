"""What one session may cost: the server's budget applied to gan_core.engine.cost's estimates.

A session's turn does at most one training iteration's worth beyond its quantum and one frame, so
`check` refuses a config or view whose iteration plus frame is estimated over `session_budget_ms`,
whose weights would take more than TRANSFER_TURNS turns' worth to export or import, or whose memory
does not fit what its host has left of `worker_memory_mb`. The error names the knobs that cost
most, how much each multiplies the cost, and the limit:

    training.batch_size 4096 x discriminator.width 512 x training.k_d 50 ...: one turn would need
    about 41,000 ms of compute, 820x the per-session budget of 50 ms (--session-budget-ms) ...

Every hello, configure, draw, preset, import and set_view passes here before it changes anything.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from gan_core.engine import cost
from gan_core.engine.config import ConfigError
from gan_core.engine.snapshot import SnapshotOptions

if TYPE_CHECKING:
    from server.settings import Settings

TRANSFER_TURNS = 4  # an export or import may take this many turns' budget (it is rare, and asked for)
JSON_ENVELOPE_BYTES = 64 * 1024  # {"type": "import", "data": ...} around an export, with room to spare
MB = 2**20


def turn_ms(w: cost.Workload, view: SnapshotOptions) -> float:
    """Estimated ms of a turn that trains one iteration and makes one frame."""
    return cost.iteration_cost(w).ms() + cost.frame_cost(w, view).ms()


def largest_export_bytes(settings: Settings) -> int:
    """The largest export (JSON text of its data) a session within the budget can make."""
    largest = cost.largest_file_bytes(TRANSFER_TURNS * settings.session_budget_ms / 1000)
    return math.ceil(largest * 4 / 3) + cost.EXPORT_EXTRA_BYTES


def import_limit(settings: Settings) -> int:
    """Bytes an import message may have: set, or just over the largest export the budget admits."""
    return settings.max_import_bytes or largest_export_bytes(settings) + JSON_ENVELOPE_BYTES


def ws_max_size(settings: Settings) -> int:
    """The websocket layer's own hard limit: above ours, so an oversized message gets our error reply."""
    return 2 * max(import_limit(settings), settings.max_message_bytes) + MB


def _factors(found: list[tuple[str, Any, float]]) -> tuple[str, str]:
    """('training.batch_size 4096 x ...', 'training.batch_size 4096 (x16), ...') for a message."""
    names = " x ".join(f"{p} {v}" for p, v, _ in found[:4]) + (" ..." if len(found) > 4 else "")
    each = ", ".join(f"{p} {v} (x{f:.3g})" for p, v, f in found[:6])
    return names, each


_CONFIG_PATHS = frozenset(p for p, _ in cost.CONFIG_KNOBS)


def _refuse(what: str, found: list[tuple[str, Any, float]], field_prefix: str,
            if_none: str = "even the defaults are over it: ask whoever runs the server to raise it") -> ConfigError:
    if not found:
        return ConfigError(f"{what}; {if_none}", None)
    names, each = _factors(found)
    field = found[0][0]
    return ConfigError(f"{names}: {what}. Each at its default would cost this many times less: {each}",
                       field_prefix + field if field in _CONFIG_PATHS else field)


def check(cfg: Any, view: SnapshotOptions, settings: Settings, others_bytes: int = 0,
          field_prefix: str = "") -> None:
    """Refuse (ConfigError naming the costliest knob) a config + view over this server's budget.

    `others_bytes`: memory the other sessions of the same host hold (estimated); `field_prefix`
    goes before a config path in the error's field (an import's "data.config.")."""
    w = cost.workload(cfg)
    budget = settings.session_budget_ms
    need = turn_ms(w, view)
    if need > budget:
        found = cost.contributors(w, view, turn_ms)
        raise _refuse(f"one turn (a training iteration and a frame) would need about {need:,.0f} ms of compute, "
                      f"{need / budget:.3g}x the per-session budget of {budget:g} ms (--session-budget-ms)",
                      found, field_prefix)
    transfer = cost.transfer_cost(w).ms()
    if transfer > TRANSFER_TURNS * budget:
        found = cost.contributors(w, view, lambda w, v: cost.transfer_cost(w).ms())
        raise _refuse(f"the networks' weights ({cost.file_bytes(w) / MB:.1f} MB) would take about {transfer:,.0f} ms "
                      f"to export or import, over the {TRANSFER_TURNS * budget:g} ms this server allows "
                      f"({TRANSFER_TURNS}x --session-budget-ms)", found, field_prefix)
    # Its timeline's checkpoints too: up to timeline_budget_mb, which the timeline itself keeps to.
    need_bytes = cost.memory_bytes(w, view) + settings.timeline_budget_bytes
    free = settings.worker_memory_mb * MB - others_bytes
    if need_bytes > free:
        found = cost.contributors(w, view, lambda w, v: float(cost.memory_bytes(w, v)))
        raise _refuse(f"this session would hold about {need_bytes / MB:,.0f} MB, and its worker has "
                      f"{max(free, 0) / MB:,.0f} MB left of its {settings.worker_memory_mb} MB (--worker-memory-mb)",
                      found, field_prefix, if_none="the server is full of sessions; try again soon")


def memory_bytes(cfg: Any, view: SnapshotOptions, settings: Settings) -> int:
    """What a session of this config and view holds, estimated, with its timeline's budget (its host's
    memory bookkeeping)."""
    return cost.memory_bytes(cost.workload(cfg), view) + settings.timeline_budget_bytes
