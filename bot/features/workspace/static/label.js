// The mask painter of the label page: one class per pixel (0 background, 1 skin, 2 lesion),
// drawn in colour on a canvas over the photo; sent as a PNG whose red channel is the class.
(function () {
  "use strict";
  const canvas = document.getElementById("paint");
  if (!canvas) return;
  const W = canvas.width, H = canvas.height;
  const ctx = canvas.getContext("2d");
  const classes = new Uint8Array(W * H);
  const COLOURS = [[0, 0, 0, 0], [30, 136, 229, 70], [229, 57, 53, 150]];
  const view = ctx.createImageData(W, H);
  const brush = document.getElementById("brush");
  const TOOLS = { lesion: (v) => 2, eraser: (v) => (v === 2 ? 1 : v), skin: (v) => (v === 2 ? 2 : 1), background: (v) => 0 };
  const KEYS = { l: "lesion", e: "eraser", s: "skin", b: "background" };

  function tool() { return document.querySelector("input[name=tool]:checked").value; }

  function render(x0, y0, x1, y1) {
    x0 = Math.max(0, x0); y0 = Math.max(0, y0); x1 = Math.min(W, x1); y1 = Math.min(H, y1);
    if (x1 <= x0 || y1 <= y0) return;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * W + x, c = COLOURS[classes[i]];
        view.data.set(c, i * 4);
      }
    }
    ctx.putImageData(view, 0, 0, x0, y0, x1 - x0, y1 - y0);
  }

  function load(url) {
    const source = new Image();
    source.onload = function () {
      const off = document.createElement("canvas");
      off.width = W; off.height = H;
      const o = off.getContext("2d");
      o.drawImage(source, 0, 0, W, H);
      const data = o.getImageData(0, 0, W, H).data;
      for (let i = 0; i < W * H; i++) classes[i] = Math.min(2, data[i * 4]);
      render(0, 0, W, H);
      canvas.dataset.ready = "1";
    };
    source.src = url;
  }

  function dab(cx, cy) {
    const r = parseInt(brush.value, 10) / 2, change = TOOLS[tool()];
    const x0 = Math.floor(cx - r), x1 = Math.ceil(cx + r), y0 = Math.floor(cy - r), y1 = Math.ceil(cy + r);
    for (let y = Math.max(0, y0); y < Math.min(H, y1); y++) {
      for (let x = Math.max(0, x0); x < Math.min(W, x1); x++) {
        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) classes[y * W + x] = change(classes[y * W + x]);
      }
    }
    render(x0, y0, x1 + 1, y1 + 1);
  }

  function at(event) {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * W / box.width, (event.clientY - box.top) * H / box.height];
  }

  let last = null;
  canvas.addEventListener("pointerdown", function (event) {
    canvas.setPointerCapture(event.pointerId);
    last = at(event);
    dab(last[0], last[1]);
    event.preventDefault();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!last) return;
    const next = at(event), step = Math.max(1, parseInt(brush.value, 10) / 4);
    const n = Math.ceil(Math.hypot(next[0] - last[0], next[1] - last[1]) / step);
    for (let k = 1; k <= n; k++) dab(last[0] + (next[0] - last[0]) * k / n, last[1] + (next[1] - last[1]) * k / n);
    last = next;
  });
  ["pointerup", "pointercancel"].forEach((name) => canvas.addEventListener(name, () => { last = null; }));

  document.addEventListener("keydown", function (event) {
    if (event.target.tagName === "INPUT" && event.target.type !== "radio") return;
    const chosen = KEYS[event.key.toLowerCase()];
    if (chosen) document.querySelector(`input[name=tool][value=${chosen}]`).checked = true;
    if (event.key === "[") brush.value = Math.max(2, parseInt(brush.value, 10) - 4);
    if (event.key === "]") brush.value = Math.min(80, parseInt(brush.value, 10) + 4);
  });

  document.getElementById("reset").addEventListener("click", function () { load(this.dataset.model); });

  document.getElementById("label-form").addEventListener("submit", function () {
    const off = document.createElement("canvas");
    off.width = W; off.height = H;
    const o = off.getContext("2d"), out = o.createImageData(W, H);
    for (let i = 0; i < W * H; i++) { out.data[i * 4] = classes[i]; out.data[i * 4 + 3] = 255; }
    o.putImageData(out, 0, 0);
    document.getElementById("mask").value = off.toDataURL("image/png");
  });

  load(canvas.dataset.start);
})();
