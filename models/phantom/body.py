"""Body-part silhouettes as height fields, clothing, and scale calibration.

Each part returns a height field h(u, v) in work-resolution pixels (0 outside the
body). Heights give the silhouette (h > 0) and, through their gradient, the
surface normals used for 3-D shading. Scaling a part by k about the frame centre
sets how much of the frame the skin fills (the shooting distance).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fields import F32, grid, noise, smoothstep

PARTS = ("forearm", "leg", "trunk", "neck")
# typical real radius in mm, used to turn pixels into millimetres
RADIUS_MM = {"forearm": 35.0, "leg": 55.0, "trunk": 160.0, "neck": 55.0}


@dataclass
class BodyPlan:
    part: str
    angle: float            # body axis orientation in the frame (radians)
    offset: float           # axis offset across the frame, in units of the frame radius
    taper: float
    bulge: float            # knee / muscle bulge amplitude
    wobble_seed: int
    cloth: str | None       # None, "sleeve" or "collar"
    cloth_at: float         # position of the clothing edge along the axis
    cloth_side: int         # +1 / -1: which end is covered
    radius_mm: float


def plan(rng: np.random.Generator, part: str, allow_cloth: bool) -> BodyPlan:
    cloth = None
    if allow_cloth and rng.random() < 0.75:
        cloth = "collar" if part == "neck" else "sleeve"
    return BodyPlan(
        part=part, angle=float(rng.uniform(0, 2 * np.pi)), offset=float(rng.uniform(-0.25, 0.25)),
        taper=float(rng.uniform(-0.18, 0.18)), bulge=float(rng.uniform(0.0, 0.25)),
        wobble_seed=int(rng.integers(1 << 30)), cloth=cloth,
        cloth_at=float(rng.uniform(0.35, 0.8)), cloth_side=int(rng.choice([-1, 1])),
        radius_mm=RADIUS_MM[part] * float(rng.uniform(0.85, 1.15)),
    )


def _limb(u, v, R, p: BodyPlan, wob, thick: float):
    r = R * thick * (1 + p.taper * u / R + p.bulge * np.exp(-(u / (0.6 * R)) ** 2) + 0.04 * wob)
    r = np.maximum(r, F32(1.0))
    d = v - F32(p.offset * R)
    h = np.sqrt(np.maximum(r * r - d * d, 0))
    return h, r, d


def _trunk(u, v, R, p: BodyPlan, wob):
    # a big ellipsoid whose side edge crosses the frame
    a, b = 2.4 * R, 1.25 * R
    cu, cv = 0.0, F32((p.offset - 0.75) * R)
    q = ((u - cu) / a) ** 2 + ((v - cv) / b) ** 2 * (1 + 0.04 * wob)
    return F32(b) * np.sqrt(np.maximum(1 - q, 0)), None, None


def _neck(u, v, R, p: BodyPlan, wob):
    # a neck column along u under a larger head-like ellipsoid (jaw, cheek, ear side)
    rn = 0.5 * R * (1 + 0.03 * wob)
    dn = v - F32(p.offset * R)
    neck = np.sqrt(np.maximum(rn * rn - dn * dn, 0)) * smoothstep(-1.6 * R, -1.2 * R, u)
    hu, hv = -1.55 * R, p.offset * R
    q = ((u - hu) / (1.0 * R)) ** 2 + ((v - hv) / (0.8 * R)) ** 2
    head = F32(0.8 * R) * np.sqrt(np.maximum(1 - q, 0))
    return np.maximum(neck, head), None, None


def _head_hair(u, v, R, p: BodyPlan, wob, soft):
    """Scalp hair over the far part of the head (labelled background)."""
    hu, hv = -1.55 * R, p.offset * R
    q = ((u - hu) / (1.07 * R)) ** 2 + ((v - hv) / (0.87 * R)) ** 2
    return smoothstep(-soft, soft, (hu + 0.15 * R) - u + F32(0.12 * R) * wob) * smoothstep(1.0, 0.97, q)


def heights(p: BodyPlan, h: int, w: int, k: float, roll: float, wob=None):
    """Body height field, clothing alpha, clothing height and scalp-hair alpha at (h, w)."""
    R = 0.5 * min(h, w)
    u, v = grid(h, w, p.angle + roll, w / 2, h / 2)
    u, v = u / F32(k), v / F32(k)
    if wob is None:
        wob = wobble(p, h, w)
    if p.part in ("forearm", "leg"):
        hh, r, d = _limb(u, v, R, p, wob, 0.42 if p.part == "forearm" else 0.55)
    elif p.part == "trunk":
        hh, r, d = _trunk(u, v, R, p, wob)
    else:
        hh, r, d = _neck(u, v, R, p, wob)
    soft = max(1.0, 0.01 * R * k) / k
    hair = _head_hair(u, v, R, p, wob, soft) if p.part == "neck" else None
    cloth = np.zeros((h, w), F32)
    cloth_h = hh
    if p.cloth is not None:
        if p.cloth == "collar":
            along, edge = u, F32(0.35 * R) + F32(0.08 * R) * wob
        else:
            along, edge = u * p.cloth_side, F32(p.cloth_at * R) + F32(0.06 * R) * wob
        inside = smoothstep(-soft, soft, along - edge)
        if r is not None:  # sleeve: a loose tube slightly wider than the limb
            rc = r * F32(1.22)
            width = smoothstep(-soft, soft, rc - np.abs(d))
            cloth_h = np.sqrt(np.maximum(rc * rc - d * d, 0))
        else:
            width = np.maximum(smoothstep(-soft, soft, hh), smoothstep(0.0, 0.3 * R, along - edge))
            cloth_h = hh + F32(0.05 * R)
        cloth = inside * width
    return hh * F32(k), cloth, cloth_h * F32(k), hair


def wobble(p: BodyPlan, h: int, w: int):
    return noise(np.random.default_rng(p.wobble_seed), h, w, max(4, 0.5 * min(h, w)), 2)


def covered(cloth, hair):
    return cloth if hair is None else np.maximum(cloth, hair)


def skin_fraction(p: BodyPlan, h: int, w: int, k: float, roll: float, wob=None) -> float:
    hh, cloth, _, hair = heights(p, h, w, k, roll, wob)
    return float(((hh > 0) & (covered(cloth, hair) < 0.5)).mean())


def calibrate(p: BodyPlan, target: float, roll: float, h: int = 72, w: int = 96) -> float:
    """Body scale k giving about `target` of the frame as skin (bisection on a small grid)."""
    lo, hi = 0.15, 8.0
    wob = wobble(p, h, w)
    for _ in range(16):
        mid = (lo * hi) ** 0.5
        if skin_fraction(p, h, w, mid, roll, wob) < target:
            lo = mid
        else:
            hi = mid
    return (lo * hi) ** 0.5
