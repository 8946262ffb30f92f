/* The player's controls: the toolbar (buttons, speed, counter, the keys' hint) and the keys.
 *
 * Keys work while the player has focus; with pageKeys, the step keys (← → space, and the
 * PageUp/PageDown a presenter's clicker sends) work anywhere on the page except where a
 * person types (an editor, a text field, a select).
 */
(function (root, factory) { // node's require (the unit tests), or the page's script
  if (typeof module === "object" && module.exports) module.exports = factory();
  else (root.agxPlayer = root.agxPlayer || {}).controls = factory();
})(typeof globalThis !== "undefined" ? globalThis : this, function () {
  "use strict";

  var SPEEDS = [0.5, 1, 2, 4];

  // Our own 24×24 icons: symbol fonts are missing on many machines (Chromium showed tofu).
  var FILLED = {
    first: "M4 5h2.5v14H4zM13 5v14L6.5 12zM20.5 5v14L14 12z",
    prev: "M15 5v14L6.5 12zM16.5 5H19v14h-2.5z",
    play: "M7 4.5v15L19.5 12z",
    pause: "M6 5h4.5v14H6zM13.5 5H18v14h-4.5z",
    next: "M9 5v14l8.5-7zM5 5h2.5v14H5z",
    last: "M3.5 5v14l6.5-7zM11 5v14l6.5-7zM17.5 5H20v14h-2.5z",
  };
  var STROKED = {
    fit: "M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5M9 12h6M12 9v6",
    follow: "M12 3v4M12 17v4M3 12h4M17 12h4M12 8a4 4 0 1 0 0 8a4 4 0 1 0 0-8z",
    fullscreen: "M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5",
  };

  /* What a key does in the player (focused), or null. */
  var PLAYER_KEYS = {
    ArrowRight: "next", PageDown: "next", ArrowLeft: "prev", PageUp: "prev",
    " ": "toggle", Spacebar: "toggle", Home: "first", End: "last",
    "0": "fit", f: "fullscreen",
  };
  /* The keys that work from anywhere on the page: stepping, and 0 for the whole graph. */
  var PAGE_KEYS = { ArrowRight: "next", PageDown: "next", ArrowLeft: "prev", PageUp: "prev",
                    " ": "toggle", Spacebar: "toggle", "0": "fit" };

  function keyAction(e, pageWide) {
    if (e.altKey || e.ctrlKey || e.metaKey) return null;
    var table = pageWide ? PAGE_KEYS : PLAYER_KEYS;
    return Object.prototype.hasOwnProperty.call(table, e.key) ? table[e.key] : null;
  }

  /* Whether a key pressed with `target` focused belongs to it: typing, a select, a slider,
   * a button's own space. Anything else on the page leaves the step keys to the player. */
  function ownsKey(target, key) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toUpperCase();
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (target.isContentEditable) return true;
    if (tag === "INPUT") {
      var type = (target.type || "text").toLowerCase();
      return ["checkbox", "button", "submit", "reset", "image", "color", "file"].indexOf(type) < 0;
    }
    var role = target.getAttribute && target.getAttribute("role");
    if (["slider", "textbox", "combobox", "listbox", "option", "menu", "menuitem", "tab",
         "radio", "spinbutton", "searchbox"].indexOf(role) >= 0) return true;
    if ((tag === "BUTTON" || tag === "A" || tag === "SUMMARY" || role === "button") &&
        (key === " " || key === "Spacebar")) return true;
    return !!(target.closest && target.closest(".ace_editor, .cm-editor, .monaco-editor"));
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function icon(name) {
    var paint = (typeof globalThis !== "undefined" ? globalThis : window).agxPlayer.paint;
    var svg = paint.svgEl("svg", { viewBox: "0 0 24 24", width: "20", height: "20",
                                   "aria-hidden": "true", focusable: "false", "class": "agx-icon" });
    var stroked = STROKED[name] !== undefined;
    svg.appendChild(paint.svgEl("path", stroked
      ? { d: STROKED[name], fill: "none", stroke: "currentColor", "stroke-width": "2.2",
          "stroke-linecap": "round", "stroke-linejoin": "round" }
      : { d: FILLED[name], fill: "currentColor" }));
    return svg;
  }

  /* The toolbar in `player`, wired to `on` (first, prev, toggle, next, last, fit, follow,
   * fullscreen, speed); keys on the player, and on the page when pageKeys. */
  function create(player, on, pageKeys) {
    var bar = el("div", { "class": "agx-bar", role: "toolbar" });
    function button(role, title) {
      var b = el("button", { type: "button", "data-role": role, title: title, "aria-label": title });
      b.appendChild(icon(role));
      bar.appendChild(b);
      return b;
    }
    var bFirst = button("first", "First (Home)");
    var bPrev = button("prev", "Step back (← or PageUp)");
    var bPlay = button("play", "Play (space)");
    var bNext = button("next", "Step forward (→ or PageDown)");
    var bLast = button("last", "Last (End)");
    var speed = el("select", { "data-role": "speed", title: "Speed", "aria-label": "Speed" });
    SPEEDS.forEach(function (s) {
      var o = el("option", { value: String(s) }, s + "×");
      if (s === 1) o.selected = true;
      speed.appendChild(o);
    });
    bar.appendChild(speed);
    var counter = el("span", { "class": "agx-counter", "data-role": "counter", "aria-live": "polite" });
    bar.appendChild(counter);
    var hint = el("span", { "class": "agx-keys", "data-role": "keys" });
    var hints = pageKeys ? ["Keys: ← → step · space play · 0 whole graph", "Keys: ← → space"]
                         : ["Click, then ← → step · space play", "Click, then ← → space"];
    bar.appendChild(hint);
    var bFollow = button("follow", "Follow the active node");
    bFollow.setAttribute("aria-pressed", "false");
    var bFit = button("fit", "Show the whole graph (0)");
    var bFull = button("fullscreen", "Full screen (f)");

    bFirst.addEventListener("click", on.first);
    bPrev.addEventListener("click", on.prev);
    bPlay.addEventListener("click", on.toggle);
    bNext.addEventListener("click", on.next);
    bLast.addEventListener("click", on.last);
    bFit.addEventListener("click", on.fit);
    bFollow.addEventListener("click", on.follow);
    bFull.addEventListener("click", on.fullscreen);
    speed.addEventListener("change", on.speed);

    function run(action, e) {
      if (!action) return;
      on[action]();
      e.preventDefault();
      e.stopPropagation();
    }
    // Keys belong to this player while it has focus (two players on a page keep their own).
    player.addEventListener("keydown", function (e) {
      if (e.target && e.target.tagName === "SELECT") return;
      run(keyAction(e, false), e);
    });
    player.addEventListener("mousedown", function (e) {
      if (e.target && e.target.tagName !== "SELECT") player.focus({ preventScroll: true });
    });
    function onPage(e) {
      if (e.defaultPrevented || !player.isConnected) return;
      var target = e.composedPath ? e.composedPath()[0] : e.target;
      if (player.contains(target) || ownsKey(target, e.key)) return;
      run(keyAction(e, true), e);
    }
    if (pageKeys) document.addEventListener("keydown", onPage);

    function setPlayIcon(name, title) {
      bPlay.replaceChildren(icon(name));
      bPlay.setAttribute("title", title);
      bPlay.setAttribute("aria-label", title);
    }
    return {
      bar: bar,
      counter: counter,
      rate: function () { return parseFloat(speed.value) || 1; },
      playing: function (on) {
        if (on) setPlayIcon("pause", "Pause (space)"); else setPlayIcon("play", "Play (space)");
      },
      ends: function (atFirst, atLast) {
        bFirst.disabled = bPrev.disabled = atFirst;
        bNext.disabled = bLast.disabled = atLast;
      },
      hint: function (long) { hint.textContent = hints[long ? 0 : 1]; },
      following: function (on) { bFollow.setAttribute("aria-pressed", on ? "true" : "false"); },
      detach: function () { document.removeEventListener("keydown", onPage); },
    };
  }

  return { create: create, keyAction: keyAction, ownsKey: ownsKey, SPEEDS: SPEEDS };
});
