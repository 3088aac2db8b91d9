// The mask painter of the label page: one class per pixel (0 background, 1 skin, 2 lesion),
// drawn in colour on a canvas over the photo; sent as a PNG whose red channel is the class.
//
// Nothing painted is lost: Save is refused until the starting mask has loaded (an empty mask
// must never replace an earlier label); strokes made while it loads are kept over it; every
// stroke is kept as a draft in this browser (localStorage) until the server confirms the save,
// so an expired session or a refused form costs nothing: the draft comes back on the page.
(function () {
  "use strict";
  const canvas = document.getElementById("paint");
  if (!canvas) return;
  const W = canvas.width, H = canvas.height;
  const ctx = canvas.getContext("2d");
  let classes = new Uint8Array(W * H);
  const touched = new Uint8Array(W * H);  // painted before the starting mask arrived
  const COLOURS = [[0, 0, 0, 0], [30, 136, 229, 70], [229, 57, 53, 150]];
  const view = ctx.createImageData(W, H);
  const $ = (id) => document.getElementById(id);
  const brush = $("brush"), status = $("mask-status"), stage = $("stage"), viewport = $("viewport");
  const preview = $("brush-preview");
  const TOOLS = { lesion: (v) => 2, eraser: (v) => (v === 2 ? 1 : v), skin: (v) => (v === 2 ? 2 : 1), background: (v) => 0 };
  const KEYS = { l: "lesion", e: "eraser", s: "skin", b: "background" };
  const DRAFT = "adai-label-draft:" + canvas.dataset.staff + ":" + canvas.dataset.photo;
  let ready = false;

  function tool() { return document.querySelector("input[name=tool]:checked").value; }
  function say(text) { status.textContent = text; status.hidden = !text; }

  function render(x0, y0, x1, y1) {
    x0 = Math.max(0, x0); y0 = Math.max(0, y0); x1 = Math.min(W, x1); y1 = Math.min(H, y1);
    if (x1 <= x0 || y1 <= y0) return;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * W + x;
        view.data.set(COLOURS[classes[i]], i * 4);
      }
    }
    ctx.putImageData(view, 0, 0, x0, y0, x1 - x0, y1 - y0);
  }

  // --- loading masks (the start, a reset, a draft) ------------------------------------------
  function decode(blobOrUrl) {
    return new Promise(function (resolve, reject) {
      const source = new Image();
      source.onload = function () {
        const off = document.createElement("canvas");
        off.width = W; off.height = H;
        const o = off.getContext("2d");
        o.drawImage(source, 0, 0, W, H);
        const data = o.getImageData(0, 0, W, H).data, out = new Uint8Array(W * H);
        for (let i = 0; i < W * H; i++) out[i] = Math.min(2, data[i * 4]);
        resolve(out);
      };
      source.onerror = reject;
      source.src = typeof blobOrUrl === "string" ? blobOrUrl : URL.createObjectURL(blobOrUrl);
    });
  }

  function fetchMask(url) {
    // fetch, not <img>: a sign-in page (expired session) or an error must never pass for a mask.
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok || response.headers.get("Content-Type") !== "image/png") throw new Error("not a mask");
      const empty = response.headers.get("X-Model-Mask") === "none";
      return response.blob().then(decode).then((loaded) => ({ loaded: loaded, empty: empty }));
    });
  }

  function start() {
    say(status.dataset.loading);
    $("retry").hidden = true;
    fetchMask(canvas.dataset.start).then(function (got) {
      for (let i = 0; i < W * H; i++) if (!touched[i]) classes[i] = got.loaded[i];
      render(0, 0, W, H);
      ready = true;
      canvas.dataset.ready = "1";
      say(got.empty ? status.dataset.empty : "");
      restoreDraft();
    }).catch(function () {
      say(status.dataset.failed);
      $("retry").hidden = false;
      canvas.dataset.ready = "failed";
    });
  }
  $("retry").addEventListener("click", start);

  // --- the draft in this browser ---------------------------------------------------------------
  function classesUrl() {
    const off = document.createElement("canvas");
    off.width = W; off.height = H;
    const o = off.getContext("2d"), out = o.createImageData(W, H);
    for (let i = 0; i < W * H; i++) { out.data[i * 4] = classes[i]; out.data[i * 4 + 3] = 255; }
    o.putImageData(out, 0, 0);
    return off.toDataURL("image/png");
  }

  function diagnosis() {
    const chosen = document.querySelector("input[name=diagnosis]:checked");
    return chosen ? chosen.value : null;
  }

  function keepDraft() {
    if (!ready) return;  // strokes made meanwhile are kept in `touched` and land in the first draft
    try {
      localStorage.setItem(DRAFT, JSON.stringify({ mask: classesUrl(), diagnosis: diagnosis(), at: Date.now() }));
    } catch (e) { /* storage full or off: the page still works, without a draft */ }
  }

  function restoreDraft() {
    if (canvas.dataset.saved) { localStorage.removeItem(DRAFT); return; }  // the server has it
    let draft = null;
    try { draft = JSON.parse(localStorage.getItem(DRAFT) || "null"); } catch (e) { draft = null; }
    if (!draft) return;
    if (draft.diagnosis) {
      const radio = document.querySelector(`input[name=diagnosis][value="${CSS.escape(draft.diagnosis)}"]`);
      if (radio) radio.checked = true;
    }
    decode(draft.mask).then(function (loaded) {
      remember();
      classes = loaded;
      render(0, 0, W, H);
      $("draft-restored").hidden = false;
      canvas.dataset.draft = "restored";
    });
  }
  document.querySelectorAll("input[name=diagnosis]").forEach((radio) => radio.addEventListener("change", keepDraft));

  // --- undo and redo ---------------------------------------------------------------------------
  const undone = [], done = [];
  function buttons() { $("undo").disabled = !done.length; $("redo").disabled = !undone.length; }
  function remember() { done.push(classes.slice()); if (done.length > 30) done.shift(); undone.length = 0; buttons(); }
  function swap(from, to) {
    if (!from.length) return;
    to.push(classes.slice());
    classes = from.pop();
    render(0, 0, W, H);
    buttons();
    keepDraft();
  }
  const undo = () => swap(done, undone), redo = () => swap(undone, done);
  $("undo").addEventListener("click", undo);
  $("redo").addEventListener("click", redo);

  // --- painting --------------------------------------------------------------------------------
  function dab(cx, cy) {
    const r = parseInt(brush.value, 10) / 2, change = TOOLS[tool()];
    const x0 = Math.floor(cx - r), x1 = Math.ceil(cx + r), y0 = Math.floor(cy - r), y1 = Math.ceil(cy + r);
    for (let y = Math.max(0, y0); y < Math.min(H, y1); y++) {
      for (let x = Math.max(0, x0); x < Math.min(W, x1); x++) {
        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) {
          const i = y * W + x;
          classes[i] = change(classes[i]);
          if (!ready) touched[i] = 1;
        }
      }
    }
    render(x0, y0, x1 + 1, y1 + 1);
  }

  function at(event) {
    const box = canvas.getBoundingClientRect();  // includes the zoom's transform
    return [(event.clientX - box.left) * W / box.width, (event.clientY - box.top) * H / box.height];
  }

  // --- zoom and pan ----------------------------------------------------------------------------
  let zoom = 1, panX = 0, panY = 0, panning = null, spaceHeld = false;
  function place() {
    const vw = viewport.clientWidth, vh = viewport.clientHeight;
    panX = Math.min(0, Math.max(vw - vw * zoom, panX));
    panY = Math.min(0, Math.max(vh - vh * zoom, panY));
    stage.style.transform = `translate(${panX}px, ${panY}px) scale(${zoom})`;
    canvas.dataset.zoom = zoom.toFixed(2);
  }
  function zoomAt(factor, clientX, clientY) {
    const box = viewport.getBoundingClientRect();
    const px = clientX === undefined ? box.width / 2 : clientX - box.left;
    const py = clientY === undefined ? box.height / 2 : clientY - box.top;
    const next = Math.min(8, Math.max(1, zoom * factor));
    panX = px - (px - panX) * next / zoom;  // the point under the pointer stays put
    panY = py - (py - panY) * next / zoom;
    zoom = next;
    place();
  }
  viewport.addEventListener("wheel", function (event) {
    event.preventDefault();
    zoomAt(event.deltaY < 0 ? 1.25 : 0.8, event.clientX, event.clientY);
  }, { passive: false });
  $("zoom-in").addEventListener("click", () => zoomAt(1.5));
  $("zoom-out").addEventListener("click", () => zoomAt(1 / 1.5));
  $("zoom-fit").addEventListener("click", () => { zoom = 1; panX = panY = 0; place(); });

  // --- pointer: paint, or pan with Space held or the middle button ------------------------------
  let last = null;
  canvas.addEventListener("pointerdown", function (event) {
    canvas.setPointerCapture(event.pointerId);
    event.preventDefault();
    if (spaceHeld || event.button === 1) { panning = [event.clientX - panX, event.clientY - panY]; return; }
    remember();
    last = at(event);
    dab(last[0], last[1]);
  });
  canvas.addEventListener("pointermove", function (event) {
    showPreview(event);
    if (panning) { panX = event.clientX - panning[0]; panY = event.clientY - panning[1]; place(); return; }
    if (!last) return;
    const next = at(event), step = Math.max(1, parseInt(brush.value, 10) / 4);
    const n = Math.ceil(Math.hypot(next[0] - last[0], next[1] - last[1]) / step);
    for (let k = 1; k <= n; k++) dab(last[0] + (next[0] - last[0]) * k / n, last[1] + (next[1] - last[1]) * k / n);
    last = next;
  });
  ["pointerup", "pointercancel"].forEach((name) => canvas.addEventListener(name, function () {
    if (last) keepDraft();
    last = null; panning = null;
  }));
  canvas.addEventListener("pointerleave", () => { preview.hidden = true; });

  function showPreview(event) {
    // The brush's real size on the photo, drawn where the pointer is (in the stage's own pixels).
    const [x, y] = at(event), scale = stage.offsetWidth / W, size = parseInt(brush.value, 10) * scale;
    preview.style.width = preview.style.height = size + "px";
    preview.style.left = x * scale + "px";
    preview.style.top = y * scale + "px";
    preview.hidden = false;
  }

  // --- the mask's look --------------------------------------------------------------------------
  const opacity = $("opacity"), hide = $("hide-mask");
  function look() { canvas.style.opacity = opacity.value / 100; canvas.classList.toggle("hidden-mask", hide.checked); }
  opacity.addEventListener("input", look);
  hide.addEventListener("change", look);

  document.addEventListener("keydown", function (event) {
    if (event.target.tagName === "INPUT" && event.target.type !== "radio" && event.target.type !== "checkbox") return;
    const key = event.key.toLowerCase();
    if ((event.ctrlKey || event.metaKey) && key === "z") { event.preventDefault(); (event.shiftKey ? redo : undo)(); return; }
    if ((event.ctrlKey || event.metaKey) && key === "y") { event.preventDefault(); redo(); return; }
    if (event.key === " ") { spaceHeld = true; event.preventDefault(); return; }
    const chosen = KEYS[key];
    if (chosen) document.querySelector(`input[name=tool][value=${chosen}]`).checked = true;
    if (key === "h") { hide.checked = !hide.checked; look(); }
    if (event.key === "[") brush.value = Math.max(2, parseInt(brush.value, 10) - 4);
    if (event.key === "]") brush.value = Math.min(80, parseInt(brush.value, 10) + 4);
  });
  document.addEventListener("keyup", (event) => { if (event.key === " ") spaceHeld = false; });

  $("reset").addEventListener("click", function () {
    if (!window.confirm(this.dataset.confirm)) return;
    fetchMask(this.dataset.model).then(function (got) {
      remember();
      classes = got.loaded;
      render(0, 0, W, H);
      keepDraft();
    }).catch(() => say(status.dataset.failed));
  });

  $("label-form").addEventListener("submit", function (event) {
    if (!ready) {  // an unloaded start would save an empty mask over the earlier label
      event.preventDefault();
      say(status.dataset.notReady);
      return;
    }
    keepDraft();  // until the server says it has it (the saved page), in case the session ended
    $("mask").value = classesUrl();
  });

  look();
  start();
})();
