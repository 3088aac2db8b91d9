// The photo viewer (issue 21): a patient's photo beside the model's overlay, zoomed and panned
// together, so a place on the skin is the same place on the overlay. Wheel, double-click or
// +/− zoom about a point, a drag pans, 0 fits; on the patient's page the viewer opens in a
// dialog over the page (the link stays the viewer's own page, for a new tab or no script).
(function () {
  "use strict";
  const MIN = 1, MAX = 8, STEP = 1.25, PAN = 40;

  function setup(root) {
    const frames = Array.from(root.querySelectorAll(".frame"));
    const images = Array.from(root.querySelectorAll("img.zoomable"));
    const level = root.querySelector(".zoom-level");
    const state = { s: 1, x: 0, y: 0 };

    function size() {
      const frame = frames.find(function (f) { return f.clientWidth > 0; }) || frames[0];
      return { w: frame.clientWidth, h: frame.clientHeight };
    }
    function apply() {
      const box = size();  // the picture always covers its frame: no panning off into nothing
      state.x = Math.min(0, Math.max(box.w - box.w * state.s, state.x));
      state.y = Math.min(0, Math.max(box.h - box.h * state.s, state.y));
      const transform = "translate(" + state.x + "px, " + state.y + "px) scale(" + state.s + ")";
      images.forEach(function (image) { image.style.transform = transform; });
      level.textContent = level.dataset.template.replace("{p}", String(Math.round(state.s * 100)));
      root.dataset.zoom = state.s.toFixed(3);
    }
    function zoomAt(factor, cx, cy) {
      const s = Math.min(MAX, Math.max(MIN, state.s * factor)), k = s / state.s;
      state.x = cx - (cx - state.x) * k;
      state.y = cy - (cy - state.y) * k;
      state.s = s;
      apply();
    }
    function zoomCentre(factor) { const box = size(); zoomAt(factor, box.w / 2, box.h / 2); }
    function fit() { state.s = 1; state.x = 0; state.y = 0; apply(); }
    function shape() {  // each frame takes its picture's shape: the same width, so the photo and
      // the overlay's photo part (above its caption band) share one scale and one origin
      images.forEach(function (image, i) {
        if (image.naturalWidth) frames[i].style.aspectRatio = image.naturalWidth + " / " + image.naturalHeight;
      });
      apply();
    }

    root.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        const how = button.dataset.zoom;
        if (how === "fit") fit(); else zoomCentre(how === "in" ? STEP : 1 / STEP);
      });
    });
    frames.forEach(function (frame) {
      let drag = null;
      function at(event) { const r = frame.getBoundingClientRect(); return [event.clientX - r.left, event.clientY - r.top]; }
      frame.addEventListener("wheel", function (event) {
        event.preventDefault();
        const p = at(event);
        zoomAt(event.deltaY < 0 ? STEP : 1 / STEP, p[0], p[1]);
      }, { passive: false });
      frame.addEventListener("dblclick", function (event) { const p = at(event); zoomAt(2, p[0], p[1]); });
      frame.addEventListener("pointerdown", function (event) {
        drag = { x: event.clientX, y: event.clientY, sx: state.x, sy: state.y };
        frame.setPointerCapture(event.pointerId);
        frame.classList.add("dragging");
      });
      frame.addEventListener("pointermove", function (event) {
        if (!drag) return;
        state.x = drag.sx + event.clientX - drag.x;
        state.y = drag.sy + event.clientY - drag.y;
        apply();
      });
      function end() { drag = null; frame.classList.remove("dragging"); }
      frame.addEventListener("pointerup", end);
      frame.addEventListener("pointercancel", end);
      frame.addEventListener("keydown", function (event) {
        const moves = { ArrowLeft: [PAN, 0], ArrowRight: [-PAN, 0], ArrowUp: [0, PAN], ArrowDown: [0, -PAN] };
        if (event.key === "+" || event.key === "=") zoomCentre(STEP);
        else if (event.key === "-") zoomCentre(1 / STEP);
        else if (event.key === "0") fit();
        else if (moves[event.key]) { state.x += moves[event.key][0]; state.y += moves[event.key][1]; apply(); }
        else return;
        event.preventDefault();
      });
    });
    images.forEach(function (image) { image.addEventListener("load", shape); });
    window.addEventListener("resize", apply);
    shape();

    return {
      show: function (photoUrl, overlayUrl) {
        images[0].src = photoUrl;
        images[1].src = overlayUrl || "";
        root.querySelector(".overlay-pane").hidden = !overlayUrl;
        fit();
      },
      fit: fit,
    };
  }

  const viewers = Array.from(document.querySelectorAll("[data-viewer]")).map(setup);
  const dialog = document.getElementById("viewer-dialog");
  if (!dialog) return;
  const inDialog = viewers[Array.from(document.querySelectorAll("[data-viewer]")).indexOf(dialog.querySelector("[data-viewer]"))];
  document.querySelectorAll("a.view-photo").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;  // a new tab: the page
      event.preventDefault();
      document.getElementById("viewer-title").textContent = link.dataset.title;
      document.getElementById("viewer-page").href = link.href;
      dialog.showModal();
      inDialog.show(link.dataset.photo, link.dataset.overlay);
    });
  });
  dialog.querySelector("[data-close]").addEventListener("click", function () { dialog.close(); });
})();
