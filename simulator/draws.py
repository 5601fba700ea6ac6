"""Each box's own random stream: a draw is a pure function of (run seed, box, purpose).

A box's inspection, its truck's hour, its trip times… never depend on what other boxes did before
it, nor on which measures are on: switching one measure changes only what that measure touches,
and two runs of the same seed pair box by box (the reconstruction's common random numbers).
SplitMix64 (Steele, Lea & Flood 2014) makes each stream's key; a Mersenne Twister per box would
cost ~2.5 KB of state for each of the ~100,000 boxes in port.
"""

from __future__ import annotations

import math
from statistics import NormalDist

MASK = (1 << 64) - 1
_NORMAL = NormalDist()


def mix(value: int) -> int:
    value = (value + 0x9E3779B97F4A7C15) & MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK
    return value ^ (value >> 31)


def stream_key(seed: int, kind: int, serial: int) -> int:
    """The key of one stream: a box (kind 1), a declaration (2), a call (3) of a seeded run."""
    return mix(mix(mix(seed & MASK) ^ kind) ^ serial)


def uniform01(key: int, purpose: int) -> float:
    """A uniform in [0, 1) for one purpose of one stream. CPython's tuple hash (xxHash's round,
    never randomized for ints) mixes the already mixed key with the purpose, 4× faster than a
    second SplitMix64 in Python: a day of the port takes a few million draws."""
    return (hash((key, purpose)) & MASK) * 5.421010862427522e-20


def uniform(key: int, purpose: int, low: float, high: float) -> float:
    return low + (high - low) * uniform01(key, purpose)


def lognormal(key: int, purpose: int, median: float, sigma: float, minimum: float = 0.0) -> float:
    """A lognormal by its median; at least `minimum` (ConFlowGen's dwell floors)."""
    u = min(max(uniform01(key, purpose), 1e-12), 1 - 1e-12)
    return max(minimum, median * math.exp(sigma * _NORMAL.inv_cdf(u)))


def median_of_mean(mean: float, sigma: float) -> float:
    """The median of a lognormal with this mean: sources give dwell means."""
    return mean / math.exp(sigma * sigma / 2)
