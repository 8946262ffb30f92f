/* The player's timeline: frame and step arithmetic, no DOM.
 *
 * Frames [0, F) are the forward pass (data.forward), [F, last] the backward one (data.frames:
 * frame F is "before backward", F + 1 + i shows pass.steps[i]).
 */
(function (root, factory) { // node's require (the unit tests), or the page's script
  if (typeof module === "object" && module.exports) module.exports = factory();
  else (root.agxPlayer = root.agxPlayer || {}).timeline = factory();
})(typeof globalThis !== "undefined" ? globalThis : this, function () {
  "use strict";

  /* The timeline of a player's data: frames, F, last, and the functions below as methods. */
  function create(data) {
    var forward = (data && data.forward) || [];
    var frames = forward.concat((data && data.frames) || []);
    var t = { frames: frames, F: forward.length, last: frames.length - 1 };
    Object.keys(METHODS).forEach(function (name) {
      t[name] = function (a, b) { return METHODS[name](t, a, b); };
    });
    return t;
  }

  function clamp(t, k) { return Math.max(0, Math.min(t.last, k)); }

  function isForward(t, k) { return k < t.F; }

  /* The pass.steps index frame k shows: -1 before backward and on every forward frame. */
  function stepOf(t, k) {
    var f = t.frames[k];
    return f && f.step !== null && f.step !== undefined ? f.step : -1;
  }

  /* The frame a player opens on for data.start (a pass.steps index; -1 or none: before). */
  function startFrame(t, start) {
    var step = start === undefined || start === null ? -1 : start;
    var found = 0;
    t.frames.forEach(function (f, k) { if (f.step === step) found = k; });
    return found;
  }

  function counterText(t, k) {
    return k < t.F ? "forward " + k + " / " + (t.F - 1) : "step " + (k - t.F) + " / " + (t.last - t.F);
  }

  /* Moving from frame `from` to `to` repaints only what changes when it is one step on
   * within the same pass (play, →); any other move redraws from the pass's first frame. */
  function isIncremental(t, from, to) { return to === from + 1 && to !== t.F; }

  /* The frames painted as done before frame k is painted as current: the pass's earlier ones. */
  function doneBefore(t, k) {
    var out = [];
    for (var i = k < t.F ? 0 : t.F; i < k; i++) out.push(i);
    return out;
  }

  var METHODS = { clamp: clamp, isForward: isForward, stepOf: stepOf, startFrame: startFrame,
                  counterText: counterText, isIncremental: isIncremental, doneBefore: doneBefore };

  return { create: create, clamp: clamp, isForward: isForward, stepOf: stepOf,
           startFrame: startFrame, counterText: counterText, isIncremental: isIncremental,
           doneBefore: doneBefore };
});
