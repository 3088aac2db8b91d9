// Every workspace page: what the pages once did with inline style attributes, which the
// Content-Security-Policy (style-src 'self') no longer runs. A .stage with data-w/data-h keeps
// the photo's shape; .fit-height also keeps the whole photo within the screen's height.
(function () {
  "use strict";
  document.querySelectorAll(".stage[data-w][data-h]").forEach(function (stage) {
    const w = Number(stage.dataset.w), h = Number(stage.dataset.h);
    stage.style.aspectRatio = w + " / " + h;
    if (stage.classList.contains("fit-height")) stage.style.maxWidth = "calc(78vh * " + (w / h).toFixed(4) + ")";
  });
})();
