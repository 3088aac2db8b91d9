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

PARTS = ("forearm", "leg", "trunk", "neck", "face", "hand")
# typical real radius in mm, used to turn pixels into millimetres
RADIUS_MM = {"forearm": 35.0, "leg": 55.0, "trunk": 160.0, "neck": 55.0, "face": 75.0, "hand": 42.0}


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
    if allow_cloth and part not in ("face", "hand") and rng.random() < 0.75:
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


# the face's oval (semi-axes in units of R along u = chin direction, and across)
FACE_A, FACE_B = 0.62, 0.46


def _face(u, v, R, p: BodyPlan, wob):
    """An oval face (chin towards +u) on a neck, with a nose ridge and brow/cheek relief."""
    a, b = FACE_A * R, FACE_B * R * (1 + 0.03 * wob)
    fu, fv = u / F32(a), (v - F32(p.offset * R)) / b
    q = fu * fu + fv * fv
    head = F32(b) * np.sqrt(np.maximum(1 - q, 0))
    nose = F32(0.09 * R) * np.exp(-((fu - 0.12) / 0.2) ** 2 - (fv / 0.1) ** 2)
    sockets = F32(0.03 * R) * (np.exp(-((fu + 0.1) / 0.1) ** 2 - ((np.abs(fv) - 0.38) / 0.16) ** 2))
    head = np.where(q < 1, head + nose - sockets, 0)
    rn = 0.32 * R
    dn = v - F32(p.offset * R)
    neck = np.sqrt(np.maximum(rn * rn - dn * dn, 0)) * smoothstep(0.6 * a, 0.8 * a, u) * F32(0.8)
    return np.maximum(head, neck).astype(F32), None, None


def _face_hair(u, v, R, p: BodyPlan, wob, soft):
    """Scalp hair: a cap over the forehead line and a little volume around the top of the oval."""
    a, b = FACE_A * R, FACE_B * R
    fu, fv = u / F32(a), (v - F32(p.offset * R)) / F32(b)
    line = F32(-0.42) + F32(0.3) * fv * fv + F32(0.05) * wob   # hairline, lower at the temples
    cap = smoothstep(-soft / a, soft / a, line - fu)
    q = (fu / 1.12) ** 2 + (fv / 1.12) ** 2
    outer = smoothstep(1.0, 0.97, q) * smoothstep(0.1, -0.1, fu)  # volume above and beside the head
    return np.maximum(cap * smoothstep(1.05, 1.0, q), outer * smoothstep(0.95, 1.0, fu * fu + fv * fv))


def face_features(u, v, R, p: BodyPlan, k: float):
    """Alphas of eyes, irises, brows, lips and nostrils (all skin in the mask, never lesion)."""
    u, v = u / F32(k), v / F32(k)
    a, b = FACE_A * R, FACE_B * R
    fu, fv = u / F32(a), (v - F32(p.offset * R)) / F32(b)
    av = np.abs(fv)
    eye = smoothstep(1.0, 0.7, ((fu + 0.1) / 0.05) ** 2 + ((av - 0.38) / 0.14) ** 2)
    iris = smoothstep(1.0, 0.6, ((fu + 0.1) / 0.055) ** 2 + ((av - 0.38) / 0.06) ** 2) * eye
    brow_c = -0.26 + 0.25 * (av - 0.38) ** 2
    brow = smoothstep(1.0, 0.5, ((fu - F32(brow_c)) / 0.035) ** 2 + ((av - 0.38) / 0.22) ** 2)
    lips = smoothstep(1.0, 0.6, ((fu - 0.5) / 0.07) ** 2 + (fv / 0.27) ** 2)
    lip_line = smoothstep(1.0, 0.3, ((fu - 0.5) / 0.012) ** 2 + (fv / 0.25) ** 2)
    nostril = smoothstep(1.0, 0.5, ((fu - 0.3) / 0.03) ** 2 + ((av - 0.08) / 0.045) ** 2)
    return {"eye": eye, "iris": iris, "brow": brow, "lips": lips, "lip_line": lip_line, "nostril": nostril}


HAND_FINGERS = ((-0.27, 0.40), (-0.09, 0.47), (0.09, 0.45), (0.26, 0.36))  # (across, length) in R


def _capsule(u, v, u0, v0, length, rad, angle=0.0):
    c, s = np.cos(angle), np.sin(angle)
    du, dv = u - F32(u0), v - F32(v0)
    t = du * F32(c) + dv * F32(s)
    d = -du * F32(s) + dv * F32(c)
    tc = np.clip(t, 0, length)
    dist2 = (t - tc) ** 2 + d * d
    return np.sqrt(np.maximum(F32(rad * rad) - dist2, 0)), t, d


def _hand(u, v, R, p: BodyPlan, wob):
    """Back of a hand (fingers towards +u) with a wrist running out of the frame."""
    v = v - F32(p.offset * R)
    pu, pv = (u + F32(0.12 * R)) / F32(0.34 * R), v / F32(0.36 * R)
    q = np.abs(pu) ** 3 + np.abs(pv) ** 3
    palm = F32(0.16 * R) * np.sqrt(np.maximum(1 - q, 0))
    wrist = np.sqrt(np.maximum(F32((0.27 * R) ** 2) - v * v, 0)) * F32(0.6) * smoothstep(-0.1 * R, -0.35 * R, u)
    h = np.maximum(palm, wrist)
    spread = p.bulge * 0.6
    for i, (fv, fl) in enumerate(HAND_FINGERS):
        hh, _, _ = _capsule(u, v, 0.16 * R, fv * R, fl * R, 0.085 * R, angle=(i - 1.5) * spread * 0.15)
        h = np.maximum(h, hh)
    th, _, _ = _capsule(u, v, -0.2 * R, -0.3 * R * (1 if p.cloth_side > 0 else -1), 0.34 * R, 0.095 * R,
                        angle=-0.9 * (1 if p.cloth_side > 0 else -1))
    h = np.maximum(h, th)
    return (h * (1 + F32(0.02) * wob)).astype(F32), None, None


def hand_features(u, v, R, p: BodyPlan, k: float):
    """Alphas of knuckle creases (across the finger joints) and nails (at the tips)."""
    u, v = u / F32(k), v / F32(k) - F32(p.offset * R)
    crease = np.zeros(u.shape, F32)
    nail = np.zeros(u.shape, F32)
    knuckle = np.zeros(u.shape, F32)
    spread = p.bulge * 0.6
    for i, (fv, fl) in enumerate(HAND_FINGERS):
        hh, t, d = _capsule(u, v, 0.16 * R, fv * R, fl * R, 0.085 * R, angle=(i - 1.5) * spread * 0.15)
        inside = (hh > 0).astype(F32)
        L = fl * R
        for j in (0.36, 0.68):
            band = np.exp(-((t - F32(j * L)) / F32(0.012 * R)) ** 2) * smoothstep(0.075 * R, 0.03 * R, np.abs(d))
            crease = np.maximum(crease, band * inside)
        knuckle = np.maximum(knuckle, np.exp(-(t / F32(0.05 * R)) ** 2 - (d / F32(0.06 * R)) ** 2) * inside)
        nail = np.maximum(nail, smoothstep(0.74 * L, 0.8 * L, t) * smoothstep(0.06 * R, 0.045 * R, np.abs(d))
                          * smoothstep(L + 0.06 * R, L + 0.03 * R, t) * inside)
    return {"crease": crease, "nail": nail, "knuckle": knuckle}


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
    elif p.part == "face":
        hh, r, d = _face(u, v, R, p, wob)
    elif p.part == "hand":
        hh, r, d = _hand(u, v, R, p, wob)
    else:
        hh, r, d = _neck(u, v, R, p, wob)
    soft = max(1.0, 0.01 * R * k) / k
    hair = (_head_hair(u, v, R, p, wob, soft) if p.part == "neck"
            else _face_hair(u, v, R, p, wob, soft) if p.part == "face" else None)
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


def features(p: BodyPlan, h: int, w: int, k: float, roll: float) -> dict:
    """Face or hand landmarks as alphas at (h, w); empty for other parts."""
    if p.part not in ("face", "hand"):
        return {}
    R = 0.5 * min(h, w)
    u, v = grid(h, w, p.angle + roll, w / 2, h / 2)
    return (face_features if p.part == "face" else hand_features)(u, v, R, p, k)


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
