"""Per-class lesion shape fields and painting, following shared/CLINICAL.md.

A lesion is made in two steps:
1. `shape_field` builds a work-resolution field whose top-N pixels (inside the
   allowed, eroded skin) become the lesion mask; N is set by the distance stratum.
2. `PAINTERS[label]` alters skin albedo, relief (bump) and gloss at full resolution,
   drawing only inside the mask except for AD's faint ill-defined erythema tail.

Mask rule (kept the same for every class, so a segmenter can learn it): the mask
is the visibly affected area — AD: erythema above half strength; IM: crusts,
erosions, pustules and their red rim; HI: the whole cluster region with its
eczematous base; MF: the sharply bordered patch or ring.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from .fields import F32, blur, grid, noise, smoothstep
from .skin import crease_lines, srgb_to_linear

OUTSIDE = F32(-10.0)


@dataclass
class Canvas:
    """Full-resolution surfaces the painters modify in place."""
    albedo: np.ndarray   # (H, W, 3) linear RGB
    bump: np.ndarray     # (H, W) relief height, arbitrary units
    gloss: np.ndarray    # (H, W) specular strength 0..1
    mask: np.ndarray     # (H, W) bool lesion mask
    field: np.ndarray    # (H, W) shape field, threshold at `thr`
    thr: float
    ppm: float           # pixels per millimetre
    tone: int


# ---------------------------------------------------------------- shape fields

def angular_warp(rng, u, v, amp: float, harmonics: int) -> np.ndarray:
    """Border wobble as a function of angle only, so every patch stays star-shaped
    (one piece, no stray islands) however large the top-N threshold makes it."""
    theta = np.arctan2(v, u)
    out = np.zeros(u.shape, F32)
    for k in range(2, harmonics + 1):
        out += F32(rng.normal(0, 1) / k ** 0.8) * np.cos(F32(k) * theta + F32(rng.uniform(0, 2 * np.pi)))
    return out * F32(amp / 1.3)


def _patch(u, v, a, b, warp, kind, arc_from, arc_span):
    d = np.sqrt((u / F32(a)) ** 2 + (v / F32(b)) ** 2) * (1 + warp)
    if kind == "ring":
        return 1 - np.abs(d - F32(0.75)) * F32(2.2)
    if kind == "arc":
        ring = 1 - np.abs(d - F32(0.75)) * F32(2.2)
        ang = np.mod(np.arctan2(v, u) - F32(arc_from), F32(2 * np.pi))
        return ring - F32(1.5) * smoothstep(arc_span, arc_span + 0.4, ang)
    return 1 - d


SHAPE_STYLE = {
    # label: (patches range, aspect range, border warp amplitude, warp scale factor, kinds)
    "AD": ((1, 2), (1.2, 2.6), 0.30, 6, ("blob",)),
    "IM": ((1, 3), (1.0, 1.6), 0.25, 8, ("blob",)),
    "HI": ((1, 2), (1.0, 1.8), 0.35, 12, ("blob",)),
    "MF": ((1, 3), (1.0, 2.0), 0.25, 5, ("blob", "blob", "ring", "arc")),
}


def shape_field(rng, label: str, allowed: np.ndarray, target: float, axis: float):
    """Field (work res) and patch index; the lesion is its top `target` fraction of the frame."""
    h, w = allowed.shape
    (pmin, pmax), (amin, amax), warp_amp, warp_scale, kinds = SHAPE_STYLE[label]
    n = int(rng.integers(pmin, pmax + 1))
    ys, xs = np.nonzero(allowed)
    # prefer points away from the skin edge: sample from a more eroded core when possible
    area = target * h * w
    weights = rng.dirichlet(np.full(n, 2.0)) if n > 1 else np.ones(1)
    weights = np.sort(weights)[::-1]
    first = int(rng.integers(len(ys)))
    cy0, cx0 = ys[first], xs[first]
    field = np.full((h, w), OUTSIDE, F32)
    pid = np.zeros((h, w), np.int16)
    for i in range(n):
        if i == 0:
            cy, cx = cy0, cx0
        else:  # satellites nearby, on skin
            near = np.hypot(ys - cy0, xs - cx0) < 2.2 * np.sqrt(area / np.pi) + 4
            j = int(rng.choice(np.flatnonzero(near))) if near.any() else int(rng.integers(len(ys)))
            cy, cx = ys[j], xs[j]
        aspect = rng.uniform(amin, amax)
        r = np.sqrt(area * weights[i] / np.pi) / 0.6
        a, b = r * np.sqrt(aspect), r / np.sqrt(aspect)
        ang = axis + rng.normal(0, 0.4) if label == "AD" else rng.uniform(0, np.pi)
        u, v = grid(h, w, ang, cx, cy)
        kind = kinds[int(rng.integers(len(kinds)))]
        wn = angular_warp(rng, u, v, warp_amp, warp_scale)
        wn += noise(rng, h, w, max(3.0, 0.15 * r), 1) * F32(0.03)
        f = _patch(u, v, a, b, wn, kind, rng.uniform(0, 2 * np.pi), rng.uniform(2.5, 4.5))
        f = f + F32(0.15 * (weights[i] - weights[0]))
        better = f > field
        field = np.where(better, f, field)
        pid = np.where(better, np.int16(i), pid)
    field = np.where(allowed, field, OUTSIDE)
    return field, pid


def threshold_for(field: np.ndarray, fraction: float) -> float:
    n = int(round(fraction * field.size))
    flat = field.ravel()
    n = max(1, min(n, int((flat > OUTSIDE).sum())))
    return float(np.partition(flat, flat.size - n)[flat.size - n])


# ---------------------------------------------------------------- colour helpers

def _lin(rgb255):
    return srgb_to_linear(np.asarray(rgb255, F32) / 255)


def erythema(c: Canvas, e: np.ndarray, strength: float):
    """Haemoglobin-like absorption: green and blue drop. Multiplicative, so the
    same inflammation shows less on darker skin, as in life."""
    k = np.array([0.10, 1.25, 0.95], F32) * F32(strength)
    c.albedo *= np.exp(-e[..., None] * k)
    if c.tone >= 6:  # inflamed dark skin turns violaceous / darker rather than red
        c.albedo *= (1 - F32(0.18 * (c.tone - 5) / 5) * e)[..., None]


def mix(c: Canvas, alpha: np.ndarray, colour):
    colour = np.asarray(colour, F32)
    c.albedo += alpha[..., None] * (colour - c.albedo)


def fine_scale(c: Canvas, rng, where: np.ndarray, amount: float, size_mm: float = 0.5):
    """Greyish-white flakes, denser in patches; on dark skin this reads as ashy scale."""
    h, w = where.shape
    patchy = smoothstep(-0.5, 1.0, noise(rng, h, w, max(4.0, 6 * c.ppm), 1))
    fl = smoothstep(0.6, 1.9, noise(rng, h, w, max(1.2, size_mm * c.ppm), 2))
    a = fl * patchy * where * F32(amount * 0.7)
    mix(c, a, _lin([200, 192, 184]))
    c.bump += a * F32(0.8)


def _sample_points(rng, m: np.ndarray, n: int, step: int = 2):
    ys, xs = np.nonzero(m[::step, ::step])
    if len(ys) == 0 or n <= 0:
        return np.zeros(0), np.zeros(0)
    i = rng.integers(0, len(ys), n)
    return xs[i] * step + rng.uniform(0, step, n), ys[i] * step + rng.uniform(0, step, n)


def _layer(h, w):
    im = Image.new("L", (w, h), 0)
    return im, ImageDraw.Draw(im)


def _alpha(im, soften=0.5):
    return blur(np.asarray(im, F32) / 255, soften)


# ---------------------------------------------------------------- painters

def paint_ad(c: Canvas, rng):
    """Ill-defined erythema, lichenified accentuated lines, excoriations, scale."""
    h, w = c.mask.shape
    spread = F32(rng.uniform(0.2, 0.35))
    inten = smoothstep(c.thr - spread, c.thr + spread, c.field)  # 0.5 at the mask border
    mot = F32(0.65) + F32(0.35) * np.tanh(noise(rng, h, w, max(3.0, 3 * c.ppm), 3))
    e = inten * mot
    erythema(c, e, rng.uniform(0.45, 0.9))
    lich = crease_lines(rng, h, w, spacing=max(3.0, rng.uniform(1.8, 3.5) * c.ppm), warp=c.ppm * 3)
    li = lich * e * F32(rng.uniform(0.5, 1.0))
    c.bump -= F32(1.8) * li
    c.albedo *= (1 - F32(0.22) * li)[..., None]
    fine_scale(c, rng, e * c.mask, rng.uniform(0.25, 0.6), 0.4)
    # excoriations: groups of short parallel scratches with tiny blood crusts
    im, d = _layer(h, w)
    n = int(rng.integers(3, 14))
    xs, ys = _sample_points(rng, c.mask, n)
    base_ang = rng.uniform(0, np.pi)
    width = max(1, int(round(rng.uniform(0.4, 0.9) * c.ppm)))
    for x, y in zip(xs, ys):
        for _ in range(int(rng.integers(1, 4))):
            L = rng.uniform(5, 22) * c.ppm
            a = base_ang + rng.normal(0, 0.15)
            ox, oy = rng.normal(0, 2.5 * c.ppm, 2)
            x0, y0 = x + ox, y + oy
            d.line([(x0, y0), (x0 + np.cos(a) * L, y0 + np.sin(a) * L)],
                   fill=int(rng.uniform(140, 240)), width=width)
    ex = _alpha(im, 0.6) * c.mask
    erythema(c, blur(ex, 1.5 + 0.5 * c.ppm) * F32(1.5), 0.9)  # red halo along each scratch
    c.albedo *= 1 - (ex * F32(0.75))[..., None] * (1 - np.array([0.55, 0.18, 0.15], F32))
    c.bump -= ex * F32(0.5)


def paint_im(c: Canvas, rng):
    """Honey-coloured crusts on erosions, pustules, red rim."""
    h, w = c.mask.shape
    inside = smoothstep(c.thr - 0.04, c.thr + 0.12, c.field) * c.mask
    erythema(c, inside * F32(rng.uniform(0.6, 1.0)), 0.8)
    core = smoothstep(c.thr + 0.05, c.thr + 0.35, c.field) * c.mask
    # moist erosions
    er = smoothstep(0.0, 0.8, noise(rng, h, w, max(3.0, 2.5 * c.ppm), 2)) * core
    mix(c, er * F32(0.7), _lin([190, 70, 60]))
    c.gloss += er * F32(0.8)
    c.bump -= er * F32(0.4)
    # honey crusts: lumpy, yellow-brown, darker edges
    cn = noise(rng, h, w, max(3.0, rng.uniform(5, 10) * c.ppm), 2)
    crust = smoothstep(-0.2, 0.4, cn * F32(0.6) + F32(2.0) * (core - F32(0.45))) * c.mask
    lumps = noise(rng, h, w, max(1.5, 0.8 * c.ppm), 3)
    honey = _lin([int(rng.uniform(180, 210)), int(rng.uniform(115, 145)), int(rng.uniform(25, 55))])
    brown = _lin([120, 70, 25])
    tint = smoothstep(-1.8, 1.2, lumps)[..., None]
    col = honey * tint + brown * (1 - tint)
    ca = crust * F32(0.92)
    c.albedo += ca[..., None] * (col - c.albedo)
    c.bump += crust * (F32(2.0) + F32(1.6) * lumps)
    c.gloss += crust * F32(0.6)
    # pustules near the border: white-yellow domes with a red halo
    im_p, dp = _layer(h, w)
    im_h, dh = _layer(h, w)
    ring = c.mask & (c.field < c.thr + 0.12)
    xs, ys = _sample_points(rng, ring, int(rng.integers(0, 7)))
    for x, y in zip(xs, ys):
        r = max(1.0, rng.uniform(0.7, 1.6) * c.ppm)
        dh.ellipse([x - 2 * r, y - 2 * r, x + 2 * r, y + 2 * r], fill=200)
        dp.ellipse([x - r, y - r, x + r, y + r], fill=255)
    halo = _alpha(im_h, 1.5) * c.mask
    pus = _alpha(im_p, max(0.6, 0.3 * c.ppm)) * c.mask
    erythema(c, halo, 0.8)
    mix(c, pus * F32(0.7), _lin([235, 220, 165]))
    c.bump += pus * F32(2.0)
    c.gloss += pus * F32(0.6)


def paint_hi(c: Canvas, rng):
    """Eczematous base with clusters of monomorphic 1-3 mm punched-out erosions,
    vesicles and crusts."""
    h, w = c.mask.shape
    base = smoothstep(c.thr - 0.03, c.thr + 0.2, c.field) * c.mask
    erythema(c, base * F32(rng.uniform(0.5, 0.85)), 0.8)
    fine_scale(c, rng, base, rng.uniform(0.15, 0.4), 0.4)
    diam = rng.uniform(1.3, 2.8)  # monomorphic: one size per patient, small jitter
    spacing = diam * rng.uniform(1.3, 2.2)
    n = int(c.mask.sum() / (spacing * c.ppm) ** 2)
    n = int(np.clip(n, 8, 900))
    # grape-like groups of 3-9 lesions around group centres, kept inside the mask
    groups = max(1, n // int(rng.integers(3, 10)))
    gx, gy = _sample_points(rng, c.mask, groups)
    pick = rng.integers(0, groups, n)
    xs = gx[pick] + rng.normal(0, 1.2 * spacing * c.ppm, n)
    ys = gy[pick] + rng.normal(0, 1.2 * spacing * c.ppm, n)
    ok = (xs >= 0) & (ys >= 0) & (xs < w) & (ys < h)
    xs, ys = xs[ok], ys[ok]
    ok = c.mask[ys.astype(int), xs.astype(int)]
    xs, ys = xs[ok], ys[ok]
    im_e, de = _layer(h, w)   # erosion floor
    im_r, dr = _layer(h, w)   # raised rim
    im_v, dv = _layer(h, w)   # intact vesicles
    im_c, dc = _layer(h, w)   # crusts
    for x, y in zip(xs, ys):
        r = max(0.8, diam * rng.uniform(0.85, 1.15) * c.ppm / 2)
        kind = rng.random()
        if kind < 0.2:
            dv.ellipse([x - r, y - r, x + r, y + r], fill=255)
            dr.ellipse([x - 1.4 * r, y - 1.4 * r, x + 1.4 * r, y + 1.4 * r], fill=140)
        else:
            dr.ellipse([x - 1.35 * r, y - 1.35 * r, x + 1.35 * r, y + 1.35 * r], fill=200)
            de.ellipse([x - r, y - r, x + r, y + r], fill=255)
            if kind > 0.65:
                cr = r * rng.uniform(0.5, 0.95)
                ox, oy = rng.normal(0, 0.2 * r, 2)
                dc.ellipse([x + ox - cr, y + oy - cr, x + ox + cr, y + oy + cr], fill=255)
    soft = max(0.5, 0.12 * c.ppm)
    rim = _alpha(im_r, soft) * c.mask
    ero = _alpha(im_e, soft) * c.mask
    ves = _alpha(im_v, max(0.6, 0.3 * c.ppm)) * c.mask
    cru = _alpha(im_c, soft) * c.mask
    erythema(c, rim, 1.0)
    mix(c, ero * F32(0.85), _lin([165, 45, 40]))
    c.bump += rim * F32(0.6) - ero * F32(1.6)
    c.gloss += ero * F32(0.7)
    c.albedo *= (1 + ves * F32(0.45))[..., None]  # tense translucent roof: paler, not white
    c.bump += ves * F32(2.0)
    c.gloss += ves * F32(0.45)
    lumps = noise(rng, h, w, max(1.2, 0.4 * c.ppm), 1)
    mix(c, cru * F32(0.9), _lin([110, 50, 25]) * (1 + F32(0.15) * lumps[..., None]))
    c.bump += cru * F32(1.0)


def paint_mf(c: Canvas, rng):
    """Sharply bordered salmon to red-brown patches/thin plaques, fine scale."""
    h, w = c.mask.shape
    sharp = smoothstep(c.thr - 0.005, c.thr + 0.03, c.field) * c.mask
    var = F32(0.85) + F32(0.15) * np.tanh(noise(rng, h, w, max(3.0, 4 * c.ppm), 2))
    t = rng.random()
    salmon = np.array([1.0, 0.60, 0.56], F32)
    redbrown = np.array([0.78, 0.48, 0.38], F32)
    tint = salmon * F32(1 - t) + redbrown * F32(t)
    amount = F32(rng.uniform(0.65, 0.95)) * sharp * var
    c.albedo *= 1 - amount[..., None] * (1 - tint)
    if c.tone >= 6:  # on dark skin MF often shows as darker (or paler) grey-brown patches
        pig = F32(rng.choice([0.6, 1.45]))
        c.albedo *= (1 + (pig - 1) * amount)[..., None]
    c.bump += sharp * F32(rng.uniform(0.2, 0.8))  # thin plaque
    fine_scale(c, rng, sharp, rng.uniform(0.2, 0.45), 0.3)
    wr = crease_lines(rng, h, w, spacing=max(2.5, 0.7 * c.ppm), warp=c.ppm)
    c.bump -= wr * sharp * F32(0.6)


PAINTERS = {"AD": paint_ad, "IM": paint_im, "HI": paint_hi, "MF": paint_mf}
