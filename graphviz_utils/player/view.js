/* The player's view: zoom, pan and fit of the picture inside its stage.
 *
 * The SVG fills the canvas (preserveAspectRatio meet), so the identity view shows the whole
 * graph fitted into the stage; zoom and pan are a CSS transform of the canvas. The maths
 * (pure functions, unit-tested with node --test) comes first, then attach(), the DOM part.
 */
(function (root, factory) { // node's require (the unit tests), or the page's script
  if (typeof module === "object" && module.exports) module.exports = factory();
  else (root.agxPlayer = root.agxPlayer || {}).view = factory();
})(typeof globalThis !== "undefined" ? globalThis : this, function () {
  "use strict";

  var MIN_SCALE = 0.2;
  var MAX_SCALE = 40;
  var EPS = 1; // px: a view within a pixel of the fit still shows the whole graph

  var FIT = Object.freeze({ x: 0, y: 0, s: 1 });

  /* How much the fitted picture is scaled from its natural size in a box. */
  function fitScale(natural, box) {
    if (!(natural.w > 0 && natural.h > 0 && box.w > 0 && box.h > 0)) return 1;
    return Math.min(box.w / natural.w, box.h / natural.h);
  }

  /* Where the whole graph sits in the stage at the fit (identity view): centred, meet. */
  function fittedRect(natural, box) {
    var f = fitScale(natural, box);
    var w = natural.w * f, h = natural.h * f;
    return { x: (box.w - w) / 2, y: (box.h - h) / 2, w: w, h: h };
  }

  /* The graph's rectangle in the stage under a view. */
  function shownRect(view, natural, box) {
    var r = fittedRect(natural, box);
    return { x: view.x + view.s * r.x, y: view.y + view.s * r.y, w: view.s * r.w, h: view.s * r.h };
  }

  /* True when every part of the graph is inside the stage under this view. */
  function showsWhole(view, natural, box) {
    var r = shownRect(view, natural, box);
    return r.x >= -EPS && r.y >= -EPS && r.x + r.w <= box.w + EPS && r.y + r.h <= box.h + EPS;
  }

  /* Zoom by `factor` around the stage point (px, py), which stays where it is. */
  function zoomAt(view, px, py, factor) {
    var s = Math.max(MIN_SCALE, Math.min(MAX_SCALE, view.s * factor));
    return { x: px - (px - view.x) * s / view.s, y: py - (py - view.y) * s / view.s, s: s };
  }

  /* A view at scale s with the canvas point (cx, cy) (identity coordinates) at the centre. */
  function centreOn(box, cx, cy, s) {
    return { x: box.w / 2 - s * cx, y: box.h / 2 - s * cy, s: s };
  }

  /* The zoom that makes text of fontPx (natural size) at least readPx high on screen, given
   * the fit's scale; 1 (the fit) when the fit already reads that well. */
  function readableScale(fontPx, fitted, readPx) {
    var shown = fontPx * fitted;
    if (!(shown > 0) || shown >= readPx) return 1;
    return Math.min(MAX_SCALE, readPx / shown);
  }

  /* The stage's height: the graph's height at the stage's width, no more than maxScale times
   * its natural size, no taller than `avail` (the room the window leaves), and no shorter
   * than minHeight (a wide, flat graph still gets a player, centred in it). */
  function stageHeight(natural, width, avail, maxScale, minHeight) {
    var scale = Math.min(width / natural.w, maxScale);
    var h = natural.h * scale;
    var low = Math.min(minHeight, avail);
    return Math.round(Math.max(low, Math.min(h, avail)));
  }

  /* The DOM part: wheel zoom around the pointer, drag to pan, and the state of the view.
   * onChange(view, whole) runs after every change (the player shows a note when part of
   * the graph is out of view). */
  function attach(stage, canvas, natural, onChange) {
    var view = { x: 0, y: 0, s: 1 };
    function box() { return { w: stage.clientWidth, h: stage.clientHeight }; }
    function set(v) {
      view = { x: v.x, y: v.y, s: v.s };
      canvas.style.transform = "translate(" + view.x + "px," + view.y + "px) scale(" + view.s + ")";
      if (onChange) onChange(view, showsWhole(view, natural, box()));
    }
    var api = {
      manual: false, // the user zoomed or panned since the last fit
      get: function () { return view; },
      set: set,
      box: box,
      fit: function () { api.manual = false; set(FIT); },
      fitted: function () { return fitScale(natural, box()); },
      whole: function () { return showsWhole(view, natural, box()); },
      /* Centre an element of the canvas at scale s (identity-coordinates of its centre). */
      centre: function (target, s) {
        var r = target.getBoundingClientRect(), st = stage.getBoundingClientRect();
        var cx = (r.left + r.width / 2 - st.left - view.x) / view.s;
        var cy = (r.top + r.height / 2 - st.top - view.y) / view.s;
        set(centreOn(box(), cx, cy, s));
      },
      refresh: function () { set(view); },
    };
    stage.addEventListener("wheel", function (e) {
      e.preventDefault();
      api.manual = true;
      var r = stage.getBoundingClientRect();
      set(zoomAt(view, e.clientX - r.left, e.clientY - r.top, Math.exp(-e.deltaY * 0.0015)));
    }, { passive: false });
    var drag = null;
    stage.addEventListener("pointerdown", function (e) {
      if (e.target && e.target.closest && e.target.closest("button")) return;
      drag = { x: e.clientX - view.x, y: e.clientY - view.y };
      if (stage.setPointerCapture) stage.setPointerCapture(e.pointerId);
      stage.classList.add("agx-dragging");
    });
    stage.addEventListener("pointermove", function (e) {
      if (!drag) return;
      var x = e.clientX - drag.x, y = e.clientY - drag.y;
      if (Math.abs(x - view.x) + Math.abs(y - view.y) > 3) api.manual = true;
      set({ x: x, y: y, s: view.s });
    });
    function endDrag() { drag = null; stage.classList.remove("agx-dragging"); }
    stage.addEventListener("pointerup", endDrag);
    stage.addEventListener("pointercancel", endDrag);
    return api;
  }

  return { FIT: FIT, MIN_SCALE: MIN_SCALE, MAX_SCALE: MAX_SCALE, fitScale: fitScale,
           fittedRect: fittedRect, shownRect: shownRect, showsWhole: showsWhole, zoomAt: zoomAt,
           centreOn: centreOn, readableScale: readableScale, stageHeight: stageHeight,
           attach: attach };
});
