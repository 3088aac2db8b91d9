"""Phone-camera look: light colour and exposure, vignetting, defocus and motion
blur, sensor noise, tone curve, sharpening and JPEG."""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from .fields import F32, noise, resize, shift


@dataclass
class CameraPlan:
    light_rgb: tuple
    exposure: float
    vignette: float
    gradient: tuple      # uneven light: (strength, angle) of a linear falloff across the frame
    defocus: float       # Gaussian sigma in full-res px
    motion: int          # motion blur length in px (0 = none)
    motion_angle: float
    noise: float         # luminance noise std in 8-bit units
    chroma: float
    sharpen: bool
    quality: int


def plan(rng: np.random.Generator) -> CameraPlan:
    kelvin = rng.uniform(0, 1)  # 0 warm tungsten .. 1 cool daylight/shade
    warm = np.array([1.0, 0.82, 0.60])
    cool = np.array([0.90, 0.97, 1.08])
    light = warm * (1 - kelvin) + cool * kelvin
    light = light / light.max() * rng.uniform(0.95, 1.05, 3)
    # a colour cast of up to +-15 %: warm/cool and green/magenta (fluorescent, foliage, screens)
    cast = 1 + rng.uniform(-0.15, 0.15) * np.array([1.0, 0.0, -1.0]) + rng.uniform(-0.15, 0.15) * np.array([-0.5, 1.0, -0.5])
    light = light * cast / (light * cast).max()
    blur_kind = rng.random()
    return CameraPlan(
        light_rgb=tuple(float(x) for x in light), exposure=float(rng.uniform(0.75, 1.35)),
        vignette=float(rng.uniform(0.0, 0.35)),
        gradient=(float(rng.uniform(0.0, 0.35)), float(rng.uniform(0, 2 * np.pi))),
        defocus=float(rng.uniform(0.0, 2.2) if blur_kind < 0.45 else rng.uniform(0, 0.6)),
        motion=int(rng.integers(2, 9)) if blur_kind > 0.8 else 0,
        motion_angle=float(rng.uniform(0, np.pi)),
        noise=float(rng.uniform(1.0, 6.0)), chroma=float(rng.uniform(0.5, 3.0)),
        sharpen=bool(rng.random() < 0.5), quality=int(rng.integers(50, 96)),
    )


def expose(img: np.ndarray, cam: CameraPlan) -> np.ndarray:
    """Linear RGB scene -> display-referred float sRGB 0..1 with a mild S-curve."""
    h, w = img.shape[:2]
    y = np.linspace(-1, 1, h, dtype=F32)[:, None]
    x = np.linspace(-1, 1, w, dtype=F32)[None, :]
    vig = 1 - F32(cam.vignette) * (x * x + y * y) * F32(0.5)
    g, ang = cam.gradient
    vig = vig * (1 + F32(g) * (x * F32(np.cos(ang)) + y * F32(np.sin(ang))) * F32(0.5))
    out = img * (np.asarray(cam.light_rgb, F32) * F32(cam.exposure)) * vig[..., None]
    if cam.motion:
        acc = out.copy()
        dx, dy = np.cos(cam.motion_angle), np.sin(cam.motion_angle)
        for i in range(1, cam.motion):
            t = i - cam.motion / 2
            acc += shift(out, int(round(dy * t)), int(round(dx * t)))
        out = acc / F32(cam.motion)
    out = np.clip(out, 0, None)
    out = out / (1 + out * F32(0.25))  # gentle highlight roll-off
    out = np.power(out * F32(1.25), F32(1 / 2.2))
    return np.clip(out * (1 + F32(0.08) * (out - F32(0.5))), 0, 1)


def develop(rgb: np.ndarray, cam: CameraPlan, rng: np.random.Generator) -> Image.Image:
    """Blur, noise, sharpen on an 8-bit image, as a phone pipeline would."""
    h, w = rgb.shape[:2]
    im = Image.fromarray((rgb * 255 + 0.5).astype(np.uint8))
    if cam.defocus > 0.4:
        im = im.filter(ImageFilter.GaussianBlur(cam.defocus))
    a = np.asarray(im, F32)
    lum = rng.standard_normal((h, w), dtype=F32) * F32(cam.noise)
    shot = np.sqrt(np.maximum(a.mean(axis=2), 1) / 128)  # brighter = more shot noise
    a = a + (lum * shot)[..., None]
    for c in range(3):
        a[..., c] += noise(rng, h, w, 3.0, 1) * F32(cam.chroma)
    im = Image.fromarray(np.clip(a + 0.5, 0, 255).astype(np.uint8))
    if cam.sharpen:
        im = im.filter(ImageFilter.UnsharpMask(radius=1.5, percent=60, threshold=2))
    return im


def jpeg(im: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
