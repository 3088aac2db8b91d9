"""Small float32 field helpers: noise, resizing, blurring, smoothstep.

Everything here uses numpy and Pillow only (scipy is not available at run time);
Pillow's resize is the fast path for noise and large blurs.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

F32 = np.float32


def resize(a: np.ndarray, w: int, h: int, resample=Image.BILINEAR) -> np.ndarray:
    """Resize a 2-D float32 field to (h, w)."""
    if a.shape == (h, w):
        return a
    return np.asarray(Image.fromarray(np.ascontiguousarray(a, dtype=F32), "F").resize((w, h), resample))


def resize_rgb(a: np.ndarray, w: int, h: int, resample=Image.BILINEAR) -> np.ndarray:
    return np.dstack([resize(a[..., c], w, h, resample) for c in range(a.shape[2])])


def noise(rng: np.random.Generator, h: int, w: int, scale: float, octaves: int = 1,
          persistence: float = 0.5) -> np.ndarray:
    """Smooth value noise with features of about `scale` px, roughly unit variance."""
    out = np.zeros((h, w), F32)
    amp, s, total = 1.0, float(scale), 0.0
    for _ in range(octaves):
        if s < 1.0:
            break
        gh, gw = max(2, int(h / s) + 2), max(2, int(w / s) + 2)
        grid = rng.standard_normal((gh, gw)).astype(F32)
        out += F32(amp) * resize(grid, w, h, Image.BICUBIC)
        total += amp * amp
        amp *= persistence
        s /= 2.0
    return out / F32(max(np.sqrt(total), 1e-6) * 0.8)


def blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Approximate Gaussian blur: binomial passes for small sigma, down/up-sampling for large."""
    if sigma < 0.4:
        return a
    if sigma <= 2.5:
        out = a
        for _ in range(max(1, int(round(2 * sigma * sigma)))):
            out = binomial(out)
        return out
    h, w = a.shape
    f = sigma * 0.9
    small = resize(a, max(2, int(w / f)), max(2, int(h / f)), Image.BOX)
    return binomial(resize(small, w, h, Image.BILINEAR))


def binomial(a: np.ndarray) -> np.ndarray:
    """One separable [1 2 1]/4 pass (variance 0.5 px^2) with edge replication."""
    p = np.pad(a, 1, mode="edge")
    v = (p[:-2] + 2 * p[1:-1] + p[2:]) * F32(0.25)
    return (v[:, :-2] + 2 * v[:, 1:-1] + v[:, 2:]) * F32(0.25)


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - F32(e0)) / F32(e1 - e0), 0, 1)
    return t * t * (3 - 2 * t)


def erode(m: np.ndarray, steps: int) -> np.ndarray:
    """Binary erosion by a 3x3 cross, `steps` times (edges count as outside)."""
    m = m.copy()
    for _ in range(steps):
        e = m.copy()
        e[1:] &= m[:-1]
        e[:-1] &= m[1:]
        e[:, 1:] &= m[:, :-1]
        e[:, :-1] &= m[:, 1:]
        e[0] = e[-1] = False
        e[:, 0] = e[:, -1] = False
        m = e
    return m


def shift(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Translate a 2-D array by whole pixels, replicating edges."""
    h, w = a.shape[:2]
    ys = np.clip(np.arange(h) - dy, 0, h - 1)
    xs = np.clip(np.arange(w) - dx, 0, w - 1)
    return a[ys][:, xs]


def grid(h: int, w: int, angle: float, cx: float, cy: float):
    """Rotated coordinates (u along `angle`, v across) centred on (cx, cy)."""
    y = np.arange(h, dtype=F32)[:, None] - F32(cy)
    x = np.arange(w, dtype=F32)[None, :] - F32(cx)
    c, s = F32(np.cos(angle)), F32(np.sin(angle))
    return x * c + y * s, -x * s + y * c
