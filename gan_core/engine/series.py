"""A thinned series of history points (dicts with an `iteration`), bounded however long the run.

Points are kept at least `stride` iterations apart; when more than `cap` are kept, the stride
doubles and every other point goes, so a series holds between cap/2 and cap points over the whole
run (evenly spaced in iterations), plus the newest point, always (the curve reaches where the run is).
"""

from __future__ import annotations

from typing import Any

Point = dict[str, Any]


class Series:
    def __init__(self, cap: int, points: list[Point] | None = None):
        self.cap = max(2, int(cap))
        self.stride = 1
        self.points: list[Point] = []
        self.newest: Point | None = None
        for p in points or ():
            self.add(p)

    def add(self, point: Point) -> None:
        self.newest = point
        if self.points and point["iteration"] - self.points[-1]["iteration"] < self.stride:
            return
        self.points.append(point)
        if len(self.points) > self.cap:
            self.stride *= 2
            kept: list[Point] = []
            for p in self.points:
                if not kept or p["iteration"] - kept[-1]["iteration"] >= self.stride:
                    kept.append(p)
            self.points = kept

    def upto(self, iteration: int) -> list[Point]:
        """The points at or before `iteration` (the newest point too, when it is)."""
        out = [p for p in self.points if p["iteration"] <= iteration]
        n = self.newest
        if n is not None and n["iteration"] <= iteration and (not out or n["iteration"] > out[-1]["iteration"]):
            out.append(n)
        return out

    def all(self) -> list[Point]:
        n = self.newest
        if n is not None and (not self.points or n["iteration"] > self.points[-1]["iteration"]):
            return [*self.points, n]
        return list(self.points)

    @property
    def last_iteration(self) -> int:
        return -1 if self.newest is None else int(self.newest["iteration"])
