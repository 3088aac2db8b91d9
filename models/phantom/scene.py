"""Cluttered backgrounds: walls, fabric, wood furniture, bedding, floors, plus
distractor objects, some of them skin-coloured (all labelled background)."""
from __future__ import annotations

import numpy as np

from .fields import F32, grid, noise, smoothstep
from .skin import base_colour, srgb_to_linear

PALETTE = [  # sRGB colours of everyday surfaces
    (235, 232, 225), (214, 208, 196), (200, 205, 210), (180, 190, 205), (120, 140, 170),
    (60, 70, 90), (150, 160, 140), (90, 110, 90), (220, 200, 170), (190, 150, 120),
    (160, 60, 60), (230, 190, 200), (245, 240, 230), (70, 60, 55), (40, 40, 45),
    (200, 180, 140), (130, 100, 80), (240, 220, 150),
]


def _colour(rng):
    c = np.asarray(PALETTE[int(rng.integers(len(PALETTE)))], F32) / 255
    c = np.clip(c * rng.uniform(0.85, 1.1, 3), 0, 1)
    return srgb_to_linear(c)


def plaster(rng, h, w, ppm):
    c = _colour(rng)
    grad = noise(rng, h, w, max(h, w), 1)
    fine = noise(rng, h, w, max(1.5, 0.8 * ppm), 2)
    return c * (1 + F32(0.08) * grad + F32(0.03) * fine)[..., None]


def wood(rng, h, w, ppm):
    dark = srgb_to_linear(np.asarray([rng.uniform(70, 140), rng.uniform(40, 90), rng.uniform(20, 50)], F32) / 255)
    light = dark * F32(rng.uniform(1.4, 2.0))
    u, v = grid(h, w, rng.uniform(0, np.pi), 0, 0)
    warp = noise(rng, h, w, max(8.0, 0.15 * max(h, w)), 3)
    freq = F32(rng.uniform(0.5, 1.5) / max(1.0, ppm))
    rings = 0.5 + 0.5 * np.sin((v * freq + warp * 3) * F32(2 * np.pi))
    streak = noise(rng, h, w, max(2.0, ppm * 0.5), 1) * F32(0.1)
    t = np.clip(rings ** 3 + streak, 0, 1)[..., None]
    planks = (np.mod(v / F32(max(20.0, 80 * ppm)), 1.0) < 0.01)[..., None]
    return (dark * t + light * (1 - t)) * np.where(planks, F32(0.5), F32(1.0))


def fabric(rng, h, w, ppm):
    c1, c2 = _colour(rng), _colour(rng)
    u, v = grid(h, w, rng.uniform(0, np.pi), 0, 0)
    style = rng.integers(4)
    period = F32(max(6.0, rng.uniform(6, 30) * ppm))
    if style == 0:    # stripes
        t = (np.mod(u / period, 1.0) < 0.5).astype(F32)
    elif style == 1:  # checks
        t = ((np.mod(u / period, 1.0) < 0.5) ^ (np.mod(v / period, 1.0) < 0.5)).astype(F32)
    elif style == 2:  # dots / small print
        t = smoothstep(0.7, 0.9, np.sin(u * F32(np.pi) / period) * np.sin(v * F32(np.pi) / period))
    else:             # plain
        t = np.zeros((h, w), F32)
    t = t * F32(rng.uniform(0.25, 0.8))  # printed patterns are rarely full contrast
    col = c1 * (1 - t[..., None]) + c2 * t[..., None]
    # folds: ridged noise as shading, creases darker
    folds = 1 - np.abs(noise(rng, h, w, max(h, w) * rng.uniform(0.12, 0.35), 3))
    shade = F32(0.55) + F32(0.55) * smoothstep(-0.6, 1.0, folds)
    weave = F32(1) + F32(0.05) * np.sin(u * F32(2.5)) * np.sin(v * F32(2.5))
    return col * (shade * weave)[..., None]


def tiles(rng, h, w, ppm):
    c = _colour(rng)
    u, v = grid(h, w, rng.uniform(-0.1, 0.1), 0, 0)
    p = F32(max(12.0, rng.uniform(50, 150) * ppm))
    grout = (np.minimum(np.mod(u, p), np.mod(v, p)) < max(1.0, 0.03 * p))
    return c * np.where(grout, F32(0.6), F32(1.0))[..., None] * (1 + F32(0.04) * noise(rng, h, w, 6, 2))[..., None]


MATERIALS = {"plaster": plaster, "wood": wood, "fabric": fabric, "bedding": fabric, "tiles": tiles}


def background(rng, h: int, w: int, ppm: float, tone: int):
    """Work-resolution background (h, w, 3) linear RGB and a list of object names."""
    names = list(MATERIALS)
    first = names[int(rng.integers(len(names)))]
    img = MATERIALS[first](rng, h, w, ppm)
    used = [first]
    # a second surface meeting along an edge (wall/table, bed/wall ...)
    if rng.random() < 0.7:
        second = names[int(rng.integers(len(names)))]
        other = MATERIALS[second](rng, h, w, ppm)
        u, v = grid(h, w, rng.uniform(-0.6, 0.6) + rng.choice([0, np.pi / 2]), w * rng.uniform(0.2, 0.8), h * rng.uniform(0.2, 0.8))
        edge = smoothstep(-1.5, 1.5, v + F32(3) * noise(rng, h, w, max(h, w) / 3, 1))[..., None]
        img = img * (1 - edge) + other * edge * F32(rng.uniform(0.6, 1.0))
        used.append(second)
    for _ in range(int(rng.integers(1, 5))):
        img, name = _object(rng, img, ppm, tone)
        used.append(name)
    # room light falloff
    img *= (F32(0.75) + F32(0.3) * smoothstep(-1.5, 1.5, noise(rng, h, w, max(h, w), 1)))[..., None]
    return img, used


def _object(rng, img, ppm, tone):
    """A shaded rounded shape: cushion, cup, box, towel; sometimes skin-coloured."""
    h, w = img.shape[:2]
    skinlike = rng.random() < 0.45
    if skinlike:  # a peach towel, cardboard, a wooden toy, bread: close to some skin tone
        t = int(np.clip(tone + rng.integers(-2, 3), 1, 10))
        col = base_colour(rng, t)
        name = "skin-coloured object"
    else:
        col = _colour(rng)
        name = "object"
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    u, v = grid(h, w, rng.uniform(0, np.pi), cx, cy)
    a = rng.uniform(0.08, 0.4) * max(h, w)
    b = a * rng.uniform(0.3, 1.0)
    p = rng.uniform(2, 6)  # superellipse: from ellipse to rounded box
    q = (np.abs(u / F32(a)) ** p + np.abs(v / F32(b)) ** p) ** F32(1 / p)
    q = q * (1 + F32(0.03) * noise(rng, h, w, max(4.0, a / 3), 1))
    alpha = smoothstep(1.0, 0.97, q)[..., None]
    # shading: lit from a side, darker at the rim
    lx, ly = np.cos(rng.uniform(0, 2 * np.pi)), np.sin(rng.uniform(0, 2 * np.pi))
    shade = F32(0.8) + F32(0.25) * (u / F32(a) * F32(lx) + v / F32(b) * F32(ly)) - F32(0.25) * q ** 4
    tex = 1 + F32(0.06) * noise(rng, h, w, max(1.5, ppm), 3) + F32(0.08) * noise(rng, h, w, max(4.0, a / 2), 1)
    obj = col * (shade * tex)[..., None]
    # soft contact shadow under the object
    sh = smoothstep(1.25, 0.9, q)[..., None] * F32(0.35)
    img = img * (1 - sh)
    return img * (1 - alpha) + obj * alpha, name
