/* Autograd Explorer's backward-pass player: our own code, no dependency, no network.
 *
 * mountPlayer(root, data, onStep) draws data.svg (the one Graphviz layout) once into root
 * (an Element or a ShadowRoot), then only restyles it: nodes never move. It puts together
 * the modules in player/ (loaded before this file): timeline (frame and step arithmetic),
 * paint (restyling the SVG, the token), controls (toolbar and keys) and view (zoom, pan, fit).
 *
 * data is graphviz_utils.player_data(...); data.start is a pass.steps index (-1: before
 * backward), data.autoplay starts playing, data.focus focuses the player (a standalone page),
 * data.page_keys lets the step keys work anywhere on the page but in a text field.
 * data.forward (frames, may be empty) is played first: values flow forward, op values appear.
 * data.caption: "always" (default), "playing" (hidden while paused on a backward step, when
 * a step card beside the player explains it) or "never"; full screen always shows it.
 * onStep(i) gets the pass.steps index shown (-1: before backward, and every forward frame);
 * while playing it is called once, when play stops, so playing never talks to a server.
 * The picture opens fitted whole into the player and is fitted again whenever the player's
 * size changes; following the active node is the person's choice (the ◎ button).
 */
(function () {
  "use strict";

  var STEP_MS = 1400; // one step at 1× speed
  var MAX_TEXT_PX = 40; // a small graph is fitted no bigger than this text height
  var MIN_STAGE_PX = 360; // a flat graph still gets a player this tall (when the window allows)
  var TINY_PX = 5; // text this small in the fit cannot be read: the player offers Follow
  var CAPTION_LINES = 6; // the caption's room at most, in lines (it scrolls past that)

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function mountPlayer(root, data, onStep) {
    var P = (typeof globalThis !== "undefined" ? globalThis : window).agxPlayer;
    var style = data.style || {};
    var tl = P.timeline.create(data);
    var frames = tl.frames, F = tl.F, last = tl.last;

    var player = el("div", { "class": "agx-player", tabindex: "0", "data-role": "player",
                             "data-theme": data.theme || "light" });
    // The chrome around the picture takes the picture's colours (a dark slide stays dark).
    if (style.background) player.style.setProperty("--agx-bg", style.background);
    if (style.text) player.style.setProperty("--agx-text", style.text);
    if (style.muted) player.style.setProperty("--agx-muted", style.muted);

    var index = 0, reported = null, timer = null, following = false;
    var controls = P.controls.create(player, {
      first: function () { pause(); show(0); },
      prev: function () { pause(); show(index - 1); },
      toggle: function () { if (timer) pause(); else play(); },
      next: function () { pause(); show(index + 1); },
      last: function () { pause(); show(last); },
      fit: fit,
      follow: function () { setFollowing(!following); },
      fullscreen: fullscreen,
      speed: function () { if (timer) play(); },
    }, !!data.page_keys);
    var stage = el("div", { "class": "agx-stage", "data-role": "stage" });
    stage.style.overflow = "hidden"; // even without player.css, a zoomed picture stays inside
    var canvas = el("div", { "class": "agx-canvas" });
    canvas.innerHTML = data.svg || "";
    stage.appendChild(canvas);
    // Whenever part of the graph is out of view, the player says so, and how to see it all.
    var note = el("button", { type: "button", "class": "agx-note", "data-role": "view-note",
                              hidden: "" });
    stage.appendChild(note);
    var band = el("div", { "class": "agx-band" });
    var caption = el("div", { "class": "agx-caption", "data-role": "caption" });
    var pausedHint = el("div", { "class": "agx-caption agx-paused", "data-role": "paused-hint" },
                        "Paused: the step card explains this step. Space plays on.");
    pausedHint.hidden = true;
    band.appendChild(caption);
    band.appendChild(pausedHint);
    player.appendChild(controls.bar);
    player.appendChild(stage);
    player.appendChild(band);
    root.appendChild(player);

    var svg = canvas.querySelector("svg");
    var natural = { w: 400, h: 300 };
    if (svg) {
      natural.w = parseFloat(svg.getAttribute("width")) * 4 / 3 || 400; // Graphviz sizes in pt
      natural.h = parseFloat(svg.getAttribute("height")) * 4 / 3 || 300;
      svg.removeAttribute("width");
      svg.removeAttribute("height");
      svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    }
    var painter = P.paint.create(svg, data, tl, controls.rate);
    var fontPx = painter.fontSize * 4 / 3;
    // A whole graph whose text is a speck says how to read it: Follow the active node.
    var tiny = false;
    var view = P.view.attach(stage, canvas, natural, function (v, whole) {
      tiny = whole && fontPx * P.view.fitScale(natural, view ? view.box() : natural) * v.s < TINY_PX;
      note.hidden = whole && (!tiny || following);
      note.textContent = !whole
        ? (following ? "Following the active node: part of the graph is out of view. "
                     : "Part of the graph is out of view. ") + "Show it all (0)"
        : "Too small to read whole: follow the active node ◎";
      player.toggleAttribute("data-partial", !whole);
    });
    note.addEventListener("click", function () { if (tiny) setFollowing(true); else fit(); });

    function show(k, animate) {
      k = tl.clamp(k);
      painter.clear();
      // One step forward (play, →) only restyles what changes: smooth on big graphs too.
      if (tl.isIncremental(index, k) && player.hasAttribute("data-frame")) {
        painter.paintFrame(index, false);
        painter.paintFrame(k, true);
      } else {
        painter.redraw(k);
      }
      index = k;
      if (following) follow();
      painter.animate(k, animate !== false);
      var cur = frames[k] || {};
      controls.counter.textContent = tl.counterText(k);
      caption.textContent = cur.caption || "";
      controls.ends(k === 0, k === last);
      player.setAttribute("data-frame", String(k));
      player.setAttribute("data-step", String(tl.stepOf(k)));
      player.setAttribute("data-pass", tl.isForward(k) ? "forward" : "backward");
      showCaption();
      if (!timer) report();
    }
    // The step card beside an app's player explains a paused backward step better; it has
    // nothing on forward frames, and full screen hides it, so the caption shows then. The
    // caption's band keeps its height either way: the picture never jumps when play starts.
    function showCaption() {
      var mode = data.caption || "always";
      var on = mode === "always" || (mode === "playing" && (timer !== null || tl.isForward(index) || !!isFull()));
      caption.hidden = !on;
      pausedHint.hidden = on || mode === "never";
      band.hidden = mode === "never" && !isFull();
    }
    function report() {
      if (reported !== null && reported !== index && onStep) onStep(tl.stepOf(index));
      reported = index;
    }

    function pause() {
      var was = timer !== null;
      if (timer) clearInterval(timer);
      timer = null;
      controls.playing(false);
      player.classList.remove("agx-playing");
      showCaption();
      if (was) report();
    }
    function play() {
      pause();
      controls.playing(true);
      player.classList.add("agx-playing");
      timer = setInterval(function () {
        if (index >= last) pause(); else show(index + 1);
      }, STEP_MS / controls.rate());
      if (index >= last) show(0); // after the timer exists: a restart reports nothing yet
      showCaption();
    }

    // The whole graph, fitted: what the player opens with, what 0 and a resize come back to.
    function fit() {
      setFollowing(false);
      view.fit();
    }
    function setFollowing(on) {
      following = on;
      controls.following(on);
      if (on) follow(); else view.fit();
    }
    // Following centres the active node, zoomed in (only when the fit is smaller) to the
    // picture's natural size.
    function follow() {
      // A frame with no active node (before a pass) looks at the node that runs next.
      var target = painter.byId((frames[index] || {}).node || (frames[index + 1] || {}).node);
      if (!target || !stage.clientWidth) return;
      var s = P.view.readableScale(fontPx, view.fitted(), fontPx);
      if (s === 1) view.fit(); else view.centre(target, s);
    }

    function isFull() { return document.fullscreenElement && player.matches(":fullscreen"); }
    function fullscreen() {
      if (isFull()) document.exitFullscreen();
      else if (player.requestFullscreen) player.requestFullscreen().catch(function () {});
    }

    // The caption's band is as tall as the longest caption needs, wrapped at this width.
    function bandHeight(width) {
      if (band.hidden) return 0;
      var chars = Math.max(20, Math.floor((width - 24) / 8.2)); // 15 px text
      var lines = 1;
      frames.forEach(function (f) {
        var n = 0;
        (f.caption || "").split("\n").forEach(function (l) { n += Math.max(1, Math.ceil(l.length / chars)); });
        lines = Math.max(lines, n);
      });
      return Math.round(Math.min(CAPTION_LINES, lines) * 15 * 1.35 + 18);
    }
    // The stage takes the room the window leaves below the player's top (the whole window
    // when the player starts further down, as on a phone), fitted to the graph's shape.
    var sized = null;
    function size() {
      var winH = window.innerHeight || 800;
      var width = stage.clientWidth || natural.w;
      // The keys' hint goes where the toolbar has room for it on one row.
      var room = player.clientWidth;
      player.classList.toggle("agx-narrow", room < 640);
      controls.hint(room >= 900);
      band.style.height = bandHeight(width) + "px";
      var chrome = controls.bar.offsetHeight + band.offsetHeight + 2;
      var h;
      if (isFull()) {
        h = winH - chrome;
      } else {
        var top = player.getBoundingClientRect().top + (window.scrollY || 0);
        var room = winH - (top >= 0 && top < winH * 0.6 ? top : 0) - chrome - 16;
        var avail = Math.max(160, room);
        h = P.view.stageHeight(natural, width, avail, MAX_TEXT_PX / fontPx, MIN_STAGE_PX);
      }
      stage.style.height = h + "px";
      var now = width + "x" + stage.clientHeight;
      if (now !== sized) {
        sized = now;
        if (following) { view.fit(); follow(); } else view.fit();
      }
    }
    var observer = typeof ResizeObserver === "function" ? new ResizeObserver(size) : null;
    if (observer) observer.observe(stage);
    window.addEventListener("resize", size);
    function onFullscreen() { showCaption(); sized = null; size(); }
    document.addEventListener("fullscreenchange", onFullscreen);

    index = tl.startFrame(data.start);
    show(index, false);
    size();
    if (data.focus) player.focus({ preventScroll: true });
    if (data.autoplay) play();

    var api = {
      show: function (k) { pause(); show(k); }, play: play, pause: pause, fit: fit,
      frame: function () { return index; }, element: player,
      // A page that replaces the player (a new graph) lets go of the window and the page.
      destroy: function () {
        pause();
        controls.detach();
        if (observer) observer.disconnect();
        window.removeEventListener("resize", size);
        document.removeEventListener("fullscreenchange", onFullscreen);
      },
    };
    player.agx = api;
    return api;
  }

  var scope = typeof globalThis !== "undefined" ? globalThis : window;
  scope.mountPlayer = mountPlayer;
})();
