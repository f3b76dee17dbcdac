"""A neighbour's frame rate beside the most expensive session the budget accepts, on one session host,
counted per second of the host's CPU (time.thread_time): what a host with a core of its own would
give, whatever else loads this machine, and says whether issue 14's goal (>= 20 frames/s) is met.
The real-server test (tests/server/test_live_limits.py) asserts, through the sockets, only what
cannot flake on a loaded machine (the neighbour's frames never stop, its pongs come, it keeps a
share of the host); this measures the rate, the scheduling alone.

Drives a Host's round-robin loop in this thread (turns, then Host.settle), with sinks that take
every frame at once. Prints, for the neighbour alone and beside the attacker, frames and iterations
per CPU-second, the CPU time between two of the neighbour's frames (p50, p95, max: the stutter a
core of its own would show), and the ratio beside / alone.
Alone, the loop also spins while nothing is due, so its rate is the neighbour's fps cap over the
share of a core this process got; beside the attacker the host is never idle.
Usage: PYTHONPATH=. python bench/bench_fairness.py [--cpu-seconds S]
"""

from __future__ import annotations

import argparse
import time

import torch

from gan_core.engine.config import parse_config
from gan_core.engine.snapshot import SnapshotOptions
from gan_core.engine.trainer import Trainer
from server.sessions.channel import thread_pipe
from server.sessions.host import Host
from server.sessions.session import Session
from server.settings import Settings
from server.wire.protocol import Play, SetView
from tests.server.most_expensive import most_expensive

GOAL_FPS = 20.0  # issue 14: what a neighbour keeps beside the most expensive accepted session


class Taker:
    def __init__(self):
        self.frames = 0
        self.times: list[float] = []  # host CPU time at each frame

    def post(self, msg):
        pass

    def offer_frame(self, data):
        self.frames += 1
        self.times.append(time.thread_time())

    def frame_pending(self):
        return False


def run(attacker: tuple[dict, dict] | None, cpu_s: float) -> dict[str, float]:
    st = Settings(workers=0)
    _, back = thread_pipe()
    host = Host(back, st)
    sinks = {}
    plan = [("neighbour", {}, None)] + ([("attacker", attacker[0], attacker[1])] if attacker else [])
    for sid, cfg, view in plan:
        s = Session(Trainer(parse_config(cfg)), st, host.pacer, sid=sid)
        host.sessions[sid] = s
        sinks[sid] = Taker()
        s.attach(sinks[sid], view=SetView(type="set_view", **view, fps=60) if view else None)
        s.handle(Play(type="play"))
    start = time.thread_time()
    while time.thread_time() - start < cpu_s:
        for s in host.sessions.values():
            s.poll()
        host.settle()
    spent = time.thread_time() - start
    its = {sid: s.trainer.iteration / spent for sid, s in host.sessions.items()}
    gaps = sorted(b - a for a, b in zip(sinks["neighbour"].times[1:], sinks["neighbour"].times[2:], strict=False))
    out = {**{f"{sid} frames/s": sinks[sid].frames / spent for sid in sinks}, **{f"{k} it/s": v for k, v in its.items()}}
    if gaps:
        out.update({"gap p50 ms": 1000 * gaps[len(gaps) // 2], "gap p95 ms": 1000 * gaps[int(len(gaps) * 0.95)],
                    "gap max ms": 1000 * gaps[-1]})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpu-seconds", type=float, default=8.0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg, view, est = most_expensive(Settings(workers=0))
    print(f"attacker (estimated {est:.1f} ms a turn): {cfg} view {view}")
    SnapshotOptions(**view)
    results = {}
    for name, attacker in (("alone", None), ("beside the attacker", (cfg, view))):
        results[name] = out = run(attacker, args.cpu_seconds)
        print(f"{name:>20} (per CPU-second of the host): " + ", ".join(f"{k} {v:.1f}" for k, v in out.items()))
    a, b = results["alone"], results["beside the attacker"]
    fps = min(30.0, b["neighbour frames/s"])
    print(f"neighbour beside / alone: frames {b['neighbour frames/s'] / a['neighbour frames/s']:.2f}, "
          f"iterations {b['neighbour it/s'] / a['neighbour it/s']:.2f}; on a core of its own the neighbour gets "
          f"{fps:.0f} frames/s (its cap 30), waiting at most {b['gap max ms']:.0f} ms (p95 {b['gap p95 ms']:.0f} ms) "
          "between two frames")
    # Issue 14's goal is judged here, not in a test: a rate is a speed of the machine that runs it.
    print(f"goal (issue 14): a neighbour keeps >= {GOAL_FPS:g} frames/s beside the most expensive accepted session: "
          f"{'met' if fps >= GOAL_FPS else 'NOT met'} ({fps:.1f})")


if __name__ == "__main__":
    main()
