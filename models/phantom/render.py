"""Compose one phantom phone photo with its mask: body, skin, lesion, scene, camera."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from . import body, camera, lesions, realbg, scene, skin
from .fields import F32, blur, erode, noise, resize, resize_rgb, shift, smoothstep

LABELS = ("AD", "IM", "HI", "MF")
HEALTHY, NO_SKIN = "healthy", "background"
# photos without any lesion: skin and background only, or background only (mask all 0)
NO_LESION_LABELS = (HEALTHY, NO_SKIN)
ALL_LABELS = LABELS + NO_LESION_LABELS
# body sites: lesion photos, and healthy photos (faces and hands more often: common false alarms)
PART_WEIGHTS = {
    "lesion": {"forearm": 0.2, "leg": 0.18, "trunk": 0.18, "neck": 0.12, "face": 0.16, "hand": 0.16},
    "healthy": {"forearm": 0.22, "leg": 0.12, "trunk": 0.08, "neck": 0.08, "face": 0.25, "hand": 0.25},
}
REAL_BACKGROUND_SHARE = 0.5   # photos whose scene is cut from a real train photo
DISTANCES = ("close", "medium", "long")
# fractions of the whole frame that each stratum guarantees (skin counts lesion too)
STRATA = {
    "close": {"skin": (0.70, 1.00), "lesion": (0.30, 0.70)},
    "medium": {"skin": (0.35, 0.85), "lesion": (0.05, 0.25)},
    "long": {"skin": (0.20, 0.50), "lesion": (0.01, 0.05)},
}
# what we aim for inside those ranges (margins absorb rounding at full resolution)
TARGETS = {
    "close": {"skin": (0.84, 0.98), "lesion": (0.34, 0.64)},
    "medium": {"skin": (0.45, 0.78), "lesion": (0.07, 0.20)},
    "long": {"skin": (0.24, 0.46), "lesion": (0.013, 0.042)},
}
NOMINAL_RADIUS = {"forearm": 0.42, "leg": 0.55, "trunk": 1.25, "neck": 0.55, "face": 0.46, "hand": 0.36}


class PhantomRenderError(RuntimeError):
    """A sample could not be made to honour its distance stratum."""


@dataclass
class Sample:
    image: np.ndarray          # (H, W, 3) uint8, decoded from `jpeg`
    mask: np.ndarray           # (H, W) uint8: 0 background, 1 skin, 2 lesion
    label: str
    meta: dict = field(default_factory=dict)
    jpeg: bytes = b""          # the bytes a phone would send


def default_label(seed: int) -> str:
    return LABELS[seed % len(LABELS)]


def default_distance(seed: int) -> str:
    return DISTANCES[(seed // len(LABELS)) % len(DISTANCES)]


def render(seed: int, label: str | None = None, distance: str | None = None, *,
           tone: int | None = None) -> Sample:
    """Deterministic phantom photo for `seed`; label/distance default to a balanced
    cycle over seeds, tone (Monk 1-10) to a draw from the seed."""
    label = label or default_label(seed)
    distance = distance or default_distance(seed)
    if label not in ALL_LABELS or distance not in DISTANCES:
        raise ValueError(f"unknown label {label!r} or distance {distance!r}")
    rng = np.random.default_rng([seed, 7919])
    tone = int(tone) if tone is not None else _draw_tone(seed)
    if label == NO_SKIN:
        return _scene_only(rng, seed, distance, tone)
    for attempt in range(6):
        sample = _attempt(rng, seed, label, distance, tone, allow_cloth=attempt < 3)
        if sample is not None:
            return sample
    raise PhantomRenderError(f"seed {seed}: could not honour the {distance} stratum")


def _draw_tone(seed: int) -> int:
    """Monk tone 1-10 drawn uniformly from the seed."""
    return int(np.random.default_rng([seed, 104729]).integers(1, 11))


def _size(rng):
    short = int(rng.integers(256, 337)) * 2
    long = min(1024, int(round(short * rng.choice([1.0, 4 / 3, 4 / 3, 1.5]) / 2)) * 2)
    return (long, short) if rng.random() < 0.6 else (short, long)


def _in(x, lo_hi):
    return lo_hi[0] <= x <= lo_hi[1]


def _part(rng, label):
    weights = PART_WEIGHTS["healthy" if label == HEALTHY else "lesion"]
    names = list(weights)
    p = np.asarray([weights[n] for n in names])
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def _scene(rng, h, w, ppm, tone):
    """Work-resolution scene: a crop of a real train photo (about half) or a procedural room."""
    if rng.random() < REAL_BACKGROUND_SHARE:
        bg, name = realbg.crop(rng, h, w)
        if bg is not None:
            return bg, [f"real:{name}"]
    return scene.background(rng, h, w, ppm, tone)


def _scene_only(rng, seed, distance, tone):
    """A photo with no skin at all: a real-photo crop or a procedural scene; mask all 0."""
    H, W = _size(rng)
    h, w = H // 2, W // 2
    ppm = float(rng.uniform(0.3, 3.0))
    bg_w, objects = _scene(rng, h, w, ppm, tone)
    bg_w = np.dstack([blur(bg_w[..., c], rng.uniform(0.0, 1.2)) for c in range(3)])
    cam = camera.plan(rng)
    rgb = camera.expose(resize_rgb(bg_w, W, H), cam)
    data = camera.jpeg(camera.develop(rgb, cam, rng), cam.quality)
    meta = {
        "seed": int(seed), "label": NO_SKIN, "distance": distance, "tone": tone,
        "fitzpatrick": skin.FITZPATRICK[tone - 1], "body_part": None, "clothing": None,
        "background": objects, "boxes": [], "jpeg_quality": cam.quality, "width": W, "height": H,
        "rotation_deg": 0.0, "skin_fraction": 0.0, "lesion_fraction": 0.0,
        "px_per_mm": round(ppm, 3), "defocus_px": round(cam.defocus, 2), "motion_px": cam.motion,
    }
    return Sample(image=camera.decode(data), mask=np.zeros((H, W), np.uint8), label=NO_SKIN,
                  meta=meta, jpeg=data)


def _attempt(rng, seed, label, distance, tone, allow_cloth):
    H, W = _size(rng)
    h, w = H // 2, W // 2
    healthy = label == HEALTHY
    part = _part(rng, label)
    roll = float(rng.uniform(-0.5, 0.5)) if part != "face" else float(rng.normal(0, 0.15))
    bp = body.plan(rng, part, allow_cloth and distance != "close" or rng.random() < 0.3)
    if part == "face":  # upright-ish: chin towards the bottom of the frame
        bp.angle = float(np.pi / 2 + rng.normal(0, 0.2))
    t = TARGETS[distance]
    skin_target = float(rng.uniform(*t["skin"]))
    k = body.calibrate(bp, skin_target, roll, max(24, H // 8), max(24, W // 8))
    hh, cloth_only, cloth_h, scalp = body.heights(bp, h, w, k, roll)
    cloth = body.covered(cloth_only, scalp)
    if not _in(float(((hh > 0) & (cloth < 0.5)).mean()), STRATA[distance]["skin"]):
        return None
    r_full = 2 * NOMINAL_RADIUS[part] * 0.5 * min(h, w) * k
    ppm = float(r_full / bp.radius_mm)

    # ---- geometry at work resolution
    allowed = erode((hh > 0) & (cloth < 0.02), 3)
    feats_w = body.features(bp, h, w, k, roll)
    landmarks = sum(feats_w.values()) if feats_w else None
    if landmarks is not None:  # eyes, lips, brows, nostrils, nails are never lesion
        allowed &= ~_dilate(landmarks > 0.02, 3)
    if healthy:
        field_w = pid_w = None
        thr = 0.0
    else:
        lesion_target = float(rng.uniform(*t["lesion"]))
        lesion_target = min(lesion_target, 0.92 * float(allowed.mean()))
        if lesion_target < STRATA[distance]["lesion"][0] * 1.1:
            return None
        field_w, pid_w = lesions.shape_field(rng, label, allowed, lesion_target, bp.angle + roll)
        thr = lesions.threshold_for(field_w, lesion_target)

    # ---- full resolution masks
    edge = max(0.6, 0.004 * r_full)
    body_a = resize(smoothstep(0.0, edge * 4, hh), W, H)
    cloth_a = resize(cloth, W, H)
    skin_m = (body_a > 0.5) & (cloth_a < 0.5)
    if healthy:
        field_f = np.full((H, W), F32(-10.0))
        lesion_m = np.zeros((H, W), bool)
    else:
        field_f = resize(field_w, W, H)
        allowed_f = np.asarray(Image.fromarray(allowed).resize((W, H), Image.NEAREST))
        lesion_m = (field_f >= thr) & allowed_f & erode(skin_m, 2)
    mask = np.zeros((H, W), np.uint8)
    mask[skin_m] = 1
    mask[lesion_m] = 2
    skin_frac, lesion_frac = float(skin_m.mean()), float(lesion_m.mean())
    if not _in(skin_frac, STRATA[distance]["skin"]):
        return None
    if not healthy and not _in(lesion_frac, STRATA[distance]["lesion"]):
        return None

    # ---- light and shading
    az = rng.uniform(0, 2 * np.pi)
    el = rng.uniform(0.35, 1.2)
    light = np.array([np.cos(az) * np.cos(el), np.sin(az) * np.cos(el), np.sin(el)], F32)
    shade_w, spec_w = _shade(hh, light, rng)
    shade = resize(shade_w, W, H)
    spec = resize(spec_w, W, H)

    # ---- skin surfaces and lesion painting
    alb, bump, base = skin.albedo(rng, tone, H, W, ppm)
    axis = bp.angle + roll
    # healthy-skin detail before the lesion is painted over it: veins, scars, sheen
    if part in ("forearm", "hand", "leg", "trunk", "neck") and rng.random() < 0.7:
        vs = resize(skin.veins(rng, h, w, ppm / 2, axis, rng.uniform(0.3, 1.0) * (1.2 - tone / 10)), W, H)
        alb *= (1 - vs[..., None] * np.array([0.22, 0.12, -0.02], F32))
    if rng.random() < 0.25:
        sc = skin.scars(rng, H, W, ppm, skin_m)
        if sc is not None:
            alb += (sc * F32(0.6))[..., None] * (base * np.array([1.15, 1.0, 1.02], F32) - alb)
            bump += sc * F32(0.4)
    gloss_w = F32(rng.uniform(0.05, 0.25)) * (1 + F32(0.6) * noise(rng, h, w, max(4.0, 0.15 * min(h, w)), 1))
    gloss = np.clip(resize(gloss_w, W, H), 0, 0.6)
    feats = {n: resize(a, W, H) for n, a in feats_w.items()}
    _paint_landmarks(rng, part, feats, alb, bump, gloss, base, tone)
    canvas = lesions.Canvas(alb, bump, gloss, lesion_m, field_f, thr, ppm, tone)
    if not healthy:
        lesions.PAINTERS[label](canvas, rng)
    clear = skin_m & (field_f < thr - 0.25)
    if landmarks is not None:
        clear &= np.asarray(Image.fromarray(~_dilate(landmarks > 0.02, 2)).resize((W, H), Image.NEAREST))
    spots = skin.draw_spots(rng, H, W, ppm, tone, clear & erode(skin_m, 3))
    for name, a, factor in spots:
        canvas.albedo *= 1 - a[..., None] * (1 - factor)
        if name == "mole":
            canvas.bump += a * F32(1.5)
    relief = _relief(canvas.bump, light, strength=0.18)
    skin_rgb = canvas.albedo * (shade * relief)[..., None] + (spec * canvas.gloss)[..., None] * F32(0.6)
    # body hair: skin in the mask (never lesion), coarse terminal and fine vellus by site
    hp = skin.hair_plan(rng, part, tone)
    terminal, vellus = skin.draw_hair(rng, H, W, ppm, axis, hp, skin_m)
    if vellus is not None:
        light_hair = np.clip(base * F32(1.15) + F32(0.05), 0, 1)
        skin_rgb += (vellus * F32(0.5))[..., None] * (light_hair * shade[..., None] - skin_rgb)
    if terminal is not None:
        skin_rgb += (terminal * F32(0.9))[..., None] * (hp["colour"] * (0.6 + 0.6 * shade[..., None]) - skin_rgb)

    # ---- clothing, background, shadows
    bg_w, objects = _scene(rng, h, w, ppm / 2, tone)
    sdx, sdy = -light[0] / max(light[2], 0.3), -light[1] / max(light[2], 0.3)
    body_w = smoothstep(0.0, 1.0, hh)
    off = 0.04 * min(h, w)
    cast = blur(shift(body_w, int(sdy * off), int(sdx * off)), 0.02 * min(h, w) + 1)
    bg_w = bg_w * (1 - F32(0.45) * cast)[..., None]
    # the phone focuses on the skin: the background is softer, most in close-ups
    bg_sigma = {"close": 3.0, "medium": 1.2, "long": 0.6}[distance] * rng.uniform(0.6, 1.4)
    bg_w = np.dstack([blur(bg_w[..., c], bg_sigma) for c in range(3)])
    bg = resize_rgb(bg_w, W, H)
    img = bg + body_a[..., None] * (skin_rgb - bg)
    if cloth_only.max() > 0:
        cl_shade, _ = _shade(cloth_h, light, rng)
        cl_w = scene.fabric(rng, h, w, ppm / 2) * cl_shade[..., None]
        img = _cover(img, cloth_only, cl_w, sdx, sdy, off, W, H)
    if scalp is not None:
        img = _cover(img, scalp, _scalp_hair(rng, hh, light, bp.angle + roll, tone), sdx, sdy, off, W, H)

    # ---- camera
    cam = camera.plan(rng)
    rgb = camera.expose(img, cam)
    data = camera.jpeg(camera.develop(rgb, cam, rng), cam.quality)
    image = camera.decode(data)
    boxes = [] if healthy else _boxes(
        lesion_m, np.asarray(Image.fromarray(pid_w.astype(np.uint8)).resize((W, H), Image.NEAREST)))
    meta = {
        "seed": int(seed), "label": label, "distance": distance, "tone": tone,
        "fitzpatrick": skin.FITZPATRICK[tone - 1], "body_part": part,
        "clothing": bp.cloth, "background": objects, "boxes": boxes,
        "jpeg_quality": cam.quality, "width": W, "height": H,
        "rotation_deg": round(float(np.degrees(roll)), 1),
        "skin_fraction": round(skin_frac, 4), "lesion_fraction": round(lesion_frac, 4),
        "px_per_mm": round(ppm, 3), "defocus_px": round(cam.defocus, 2), "motion_px": cam.motion,
    }
    return Sample(image=image, mask=mask, label=label, meta=meta, jpeg=data)


def _dilate(m, steps):
    return ~erode(~m, steps)


def _paint_landmarks(rng, part, f, alb, bump, gloss, base, tone):
    """Eyes, brows, lips, nostrils (face); knuckle creases, knuckles and nails (hand)."""
    def mix(alpha, colour, amount=1.0):
        alb[...] += (alpha * F32(amount))[..., None] * (np.asarray(colour, F32) - alb)
    if part == "face":
        hair_c = np.array([0.02, 0.015, 0.01], F32) if tone > 3 or rng.random() < 0.6 else np.array([0.15, 0.09, 0.04], F32)
        iris_c = [0.03, 0.015, 0.008] if tone > 4 or rng.random() < 0.5 else [0.06, 0.1, 0.14]
        mix(f["eye"], [0.32, 0.29, 0.27], 0.85)
        mix(f["iris"], iris_c, 0.95)
        rim = np.clip(f["eye"] * (1 - f["eye"]) * 4, 0, 1)  # lashes and lid line
        mix(rim, hair_c, 0.8)
        bump -= f["eye"] * F32(0.5)
        gloss[...] = np.maximum(gloss, f["eye"] * F32(0.5))
        mix(f["brow"], hair_c, 0.75)
        lip = np.clip(base * np.array([1.0, 0.55, 0.6], F32) * F32(0.85), 0, 1)
        mix(f["lips"], lip, 0.8)
        mix(f["lip_line"], lip * F32(0.4), 0.8)
        gloss[...] = np.maximum(gloss, f["lips"] * F32(0.3))
        mix(f["nostril"], base * F32(0.2), 0.9)
    elif part == "hand":
        mix(f["crease"], base * np.array([0.7, 0.6, 0.6], F32), 0.6)
        bump -= f["crease"] * F32(1.2)
        mix(f["knuckle"], base * np.array([1.0, 0.88, 0.88], F32), 0.4)
        nail_c = np.clip(base * np.array([1.1, 0.85, 0.85], F32) + F32(0.06), 0, 1)
        mix(f["nail"], nail_c, 0.7)
        gloss[...] = np.maximum(gloss, f["nail"] * F32(0.6))


def _cover(img, alpha_w, colour_w, sdx, sdy, off, W, H):
    """Lay clothing or hair (work res) over the full-res image, with its cast shadow."""
    h, w = alpha_w.shape
    cast = blur(shift(alpha_w, int(sdy * off * 0.5), int(sdx * off * 0.5)), 0.01 * min(h, w) + 1)
    img = img * (1 - F32(0.4) * resize(cast * (1 - alpha_w), W, H))[..., None]
    return img + resize(alpha_w, W, H)[..., None] * (resize_rgb(colour_w, W, H) - img)


def _scalp_hair(rng, hh, light, axis, tone):
    """Dark strands with a sheen band, following the head's curvature."""
    h, w = hh.shape
    from .fields import grid
    u, v = grid(h, w, axis + rng.normal(0, 0.2), w / 2, h / 2)
    strands = noise(rng, h, w, 2.0, 1) * F32(0.5) + np.sin(v * F32(1.7) + noise(rng, h, w, 20, 2) * F32(4)) * F32(0.5)
    shade, spec = _shade(hh, light, rng)
    base = np.array([0.035, 0.025, 0.02], F32) if rng.random() < 0.8 else np.array([0.2, 0.12, 0.06], F32)
    return base * (shade * (1 + F32(0.35) * strands))[..., None] + (spec * F32(0.25))[..., None]


def _shade(hh, light, rng):
    """Wrapped-Lambert diffuse and Blinn specular from the height field's normals."""
    gy, gx = np.gradient(hh)
    gx, gy = np.clip(gx, -6, 6), np.clip(gy, -6, 6)
    inv = 1 / np.sqrt(gx * gx + gy * gy + 1)
    nx, ny, nz = -gx * inv, -gy * inv, inv
    ndl = nx * light[0] + ny * light[1] + nz * light[2]
    wrap = F32(0.35)
    diffuse = np.clip((ndl + wrap) / (1 + wrap), 0, 1)
    ambient = F32(rng.uniform(0.25, 0.45))
    shade = ambient + (1 - ambient) * diffuse
    half = light + np.array([0, 0, 1], F32)
    half /= np.linalg.norm(half)
    ndh = np.clip(nx * half[0] + ny * half[1] + nz * half[2], 0, 1)
    spec = ndh ** F32(rng.uniform(12, 40))
    return shade.astype(F32), spec.astype(F32)


def _relief(bump, light, strength):
    """Fine relief lighting from the bump map (pores, lines, crusts, vesicles)."""
    gx = np.zeros_like(bump)
    gy = np.zeros_like(bump)
    gx[:, 1:-1] = bump[:, 2:] - bump[:, :-2]
    gy[1:-1] = bump[2:] - bump[:-2]
    return np.clip(1 + F32(strength) * (gx * light[0] + gy * light[1]) / max(light[2], 0.3), 0.5, 1.5)


def _boxes(lesion, pid):
    out = []
    for i in np.unique(pid[lesion]):
        ys, xs = np.nonzero(lesion & (pid == i))
        if len(xs):
            out.append([int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1])
    return out
