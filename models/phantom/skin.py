"""Skin colour (Monk 10-tone scale) and texture: mottling, pores, fine lines, hair,
freckles and moles. Freckles and moles are deliberate non-lesion distractors."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from .fields import F32, blur, noise, smoothstep

# Monk Skin Tone scale swatches (sRGB hex), tone 1 (lightest) .. 10 (darkest)
MONK_HEX = ("f6ede4", "f3e7db", "f7ead0", "eadaba", "d7bd96",
            "a07e56", "825c43", "604134", "3a312a", "292420")
# a rough Fitzpatrick correspondence for the metadata
FITZPATRICK = ("I", "I", "II", "III", "III", "IV", "V", "V", "VI", "VI")


def srgb_to_linear(c):
    c = np.asarray(c, F32)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4).astype(F32)


def monk_linear(tone: int) -> np.ndarray:
    h = MONK_HEX[tone - 1]
    return srgb_to_linear([int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)])


def base_colour(rng: np.random.Generator, tone: int) -> np.ndarray:
    """Monk swatch with a living-skin undertone: a little pinker/warmer, jittered."""
    c = monk_linear(tone)
    # swatches are flat paint; photographed living skin is less bright and more saturated
    lum = F32(c.mean())
    boost = rng.uniform(1.3, 1.7) * (1 - (tone - 1) / 9) + rng.uniform(0.95, 1.1) * (tone - 1) / 9
    c = lum + (c - lum) * F32(boost)
    c = c * F32(0.62 + 0.25 * (tone - 1) / 9)
    pink = F32(rng.uniform(0.06, 0.2)) * (1.0 - (tone - 1) / 10)
    c = c * np.array([1.0 + pink * 0.2, 1.0 - pink, 1.0 - pink * 1.1], F32)
    c = c * F32(rng.uniform(0.88, 1.08)) * rng.uniform(0.96, 1.04, 3).astype(F32)
    return np.clip(c, 0.003, 0.95).astype(F32)


def albedo(rng: np.random.Generator, tone: int, h: int, w: int, ppm: float):
    """Skin albedo (h, w, 3) linear RGB and a bump field (h, w) for relief shading.

    ppm: pixels per millimetre at full resolution, sets texture scale.
    """
    base = base_colour(rng, tone)
    mott = noise(rng, h, w, max(6.0, 12 * ppm), 3)
    red = noise(rng, h, w, max(6.0, 20 * ppm), 2)
    a = np.empty((h, w, 3), F32)
    a[...] = base
    a *= (1 + F32(0.06) * mott)[..., None]
    # uneven blood flow: a faint pink blotchiness
    blot = F32(0.05) * np.clip(red, 0, None)
    a[..., 1] *= 1 - blot
    a[..., 2] *= 1 - blot * F32(0.8)

    bump = np.zeros((h, w), F32)
    # pores: sparse dark pits about 0.15 mm apart-ish
    if ppm > 1.2:
        pn = noise(rng, h, w, max(1.3, 0.45 * ppm), 1)
        pores = smoothstep(1.1, 2.1, pn)
        bump -= F32(0.9) * pores
        a *= (1 - F32(0.14) * pores)[..., None]
    # fine crossing skin lines (relief only, visible through lighting)
    lines = crease_lines(rng, h, w, spacing=max(3.0, rng.uniform(0.8, 1.6) * ppm), warp=ppm * 2)
    bump -= F32(0.6) * lines
    a *= (1 - F32(0.05) * lines)[..., None]
    return a, bump, base


def crease_lines(rng, h, w, spacing: float, warp: float, n_dirs: int = 2) -> np.ndarray:
    """Thin crossing line pattern in [0, 1] (1 on a line)."""
    y = np.arange(h, dtype=F32)[:, None]
    x = np.arange(w, dtype=F32)[None, :]
    out = np.zeros((h, w), F32)
    base_angle = rng.uniform(0, np.pi)
    for i in range(n_dirs):
        ang = base_angle + i * np.pi / n_dirs + rng.uniform(-0.3, 0.3)
        c, s = F32(np.cos(ang)), F32(np.sin(ang))
        wn = noise(rng, h, w, max(4.0, spacing * 4), 2) * F32(max(1.0, warp) / spacing)
        ph = (x * c + y * s) / F32(spacing) + wn * F32(0.35)
        tri = np.abs(ph - np.round(ph))  # 0 on the line, 0.5 in between
        strength = smoothstep(-0.6, 0.8, noise(rng, h, w, max(8.0, spacing * 8), 1))
        out = np.maximum(out, (1 - smoothstep(0.0, 0.14, tri)) * strength)
    return out


# body hair by site: (terminal density, vellus density, length mm) -- density is hairs per cm^2
HAIR_SITES = {"forearm": (14, 30, (5, 14)), "leg": (16, 25, (6, 16)), "trunk": (4, 30, (4, 12)),
              "neck": (2, 30, (2, 6)), "face": (0, 40, (1, 3)), "hand": (3, 20, (3, 8))}


def hair_plan(rng, part: str, tone: int):
    """How hairy this person's skin is at `part`: terminal (coarse, dark) and vellus (fine, light)."""
    terminal, vellus, length = HAIR_SITES[part]
    hairy = rng.random()
    dark = tone > 4 or rng.random() < 0.55
    colour = (np.array([0.02, 0.014, 0.01], F32) if dark else
              np.array(rng.choice([[0.16, 0.1, 0.05], [0.35, 0.25, 0.12], [0.12, 0.05, 0.02]]), F32))
    return {"terminal": terminal * hairy ** 1.5 * rng.uniform(0.3, 1.6), "vellus": vellus * rng.uniform(0.3, 1.0),
            "length": length, "colour": colour}


def draw_hair(rng, h: int, w: int, ppm: float, axis: float, plan: dict, allowed: np.ndarray):
    """Alpha layers (terminal, vellus) of hairs lying roughly along the body axis, or None.

    Hairs are drawn on the skin only and stay skin in the mask."""
    ys, xs = np.nonzero(allowed[::4, ::4])
    if len(ys) == 0 or ppm < 0.25:
        return None, None
    area_cm2 = len(ys) * 16 / (ppm * 10) ** 2
    out = []
    for kind in ("terminal", "vellus"):
        n = int(plan[kind] * area_cm2 * (1.0 if kind == "terminal" else 0.5))
        cap = 2500 if kind == "terminal" else 1500
        n = min(n, cap)
        if kind == "vellus" and ppm < 2.5:
            n = 0  # too fine to see at this distance
        if n == 0:
            out.append(None)
            continue
        layer = Image.new("L", (w, h), 0)
        d = ImageDraw.Draw(layer)
        pick = rng.integers(0, len(ys), n)
        lo, hi = plan["length"]
        length = rng.uniform(lo, hi, n) * ppm * (1.0 if kind == "terminal" else 0.4)
        ang = axis + rng.normal(0, 0.3, n) + F32(np.pi) * (rng.random() < 0.05)
        width = max(1, int(round(0.07 * ppm))) if kind == "terminal" else 1
        px = xs[pick] * 4 + rng.uniform(0, 4, n)
        py = ys[pick] * 4 + rng.uniform(0, 4, n)
        bend = rng.normal(0, 0.25, n)
        level = rng.uniform(120, 230, n) if kind == "terminal" else rng.uniform(40, 90, n)
        for i in range(n):
            pts = [(px[i], py[i])]
            for j in range(1, 4):
                t = length[i] * j / 3
                a2 = ang[i] + bend[i] * j
                pts.append((px[i] + np.cos(a2) * t, py[i] + np.sin(a2) * t))
            d.line(pts, fill=int(level[i]), width=width)
        out.append(blur(np.asarray(layer, F32) / 255, 0.45) * allowed)
    return out[0], out[1]


def veins(rng, h: int, w: int, ppm: float, axis: float, strength: float) -> np.ndarray:
    """Branching bluish vein pattern (0..1) along the body axis, soft as seen through skin."""
    from .fields import grid
    u, v = grid(h, w, axis, w / 2, h / 2)
    scale = max(8.0, 25 * ppm)
    warp = noise(rng, h, w, scale * 2, 2) * F32(scale * 0.6)
    n = noise(rng, h, w, scale, 2)
    along = np.sin((v + warp) / F32(scale * 1.2)) * F32(0.6) + n * F32(0.6)
    line = smoothstep(0.22, 0.0, np.abs(along)) * smoothstep(-0.3, 0.6, noise(rng, h, w, scale * 3, 1))
    return blur(line, max(0.5, 0.8 * ppm)) * F32(strength)


def scars(rng, h: int, w: int, ppm: float, allowed: np.ndarray) -> np.ndarray | None:
    """A few healed scars: short pale or slightly pink streaks (alpha 0..1), skin in the mask."""
    ys, xs = np.nonzero(allowed[::4, ::4])
    n = int(rng.integers(1, 3))
    if len(ys) == 0:
        return None
    layer = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(layer)
    for _ in range(n):
        i = int(rng.integers(len(ys)))
        x0, y0 = xs[i] * 4, ys[i] * 4
        ang, length = rng.uniform(0, np.pi), rng.uniform(8, 40) * ppm
        d.line([(x0, y0), (x0 + np.cos(ang) * length, y0 + np.sin(ang) * length)],
               fill=int(rng.uniform(120, 220)), width=max(1, int(rng.uniform(0.7, 2.5) * ppm)))
    return blur(np.asarray(layer, F32) / 255, max(0.5, 0.4 * ppm)) * allowed


def draw_spots(rng, h: int, w: int, ppm: float, tone: int, allowed: np.ndarray):
    """Freckles (clusters of faint small spots) and moles (few dark, sharp, raised).

    Returns [(name, alpha, albedo factor)]."""
    ys, xs = np.nonzero(allowed[::4, ::4])
    out = []
    if len(ys) == 0:
        return out
    freckled = tone <= 5 and rng.random() < 0.5
    kinds = []
    if freckled:
        kinds.append(("freckle", int(rng.integers(30, 200)), (0.6, 1.8), np.array([0.78, 0.62, 0.50], F32), 0.8))
    kinds.append(("mole", int(rng.integers(0, 5)), (1.5, 4.5), np.array([0.30, 0.22, 0.18], F32), 1.0))
    for name, n, size_mm, colour, strength in kinds:
        if n == 0:
            continue
        layer = Image.new("L", (w, h), 0)
        d = ImageDraw.Draw(layer)
        if name == "freckle":  # clustered around a few centres
            centres = rng.integers(0, len(ys), 3)
            idx = centres[rng.integers(0, 3, n)]
            cx = xs[idx] * 4 + rng.normal(0, 25 * ppm, n)
            cy = ys[idx] * 4 + rng.normal(0, 25 * ppm, n)
        else:
            idx = rng.integers(0, len(ys), n)
            cx, cy = xs[idx] * 4 + 2.0, ys[idx] * 4 + 2.0
        for i in range(n):
            r = max(0.7, rng.uniform(*size_mm) * ppm / 2)
            e = rng.uniform(0.8, 1.2)
            d.ellipse([cx[i] - r * e, cy[i] - r / e, cx[i] + r * e, cy[i] + r / e],
                      fill=int(255 * rng.uniform(0.5, 1.0) * strength))
        alpha = blur(np.asarray(layer, F32) / 255, 0.6 if name == "mole" else 1.2) * allowed
        out.append((name, alpha, colour))
    return out
