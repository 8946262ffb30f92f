/* Autograd Explorer's backward-pass player: our own code, no dependency, no network.
 *
 * mountPlayer(root, data, onStep) draws data.svg (the one Graphviz layout) once into root
 * (an Element or a ShadowRoot), then only restyles it: nodes never move. data is
 * graphviz_utils.player_data(...); data.start is a pass.steps index (-1: before backward),
 * data.autoplay starts playing, data.focus focuses the player (a standalone page).
 * data.forward (frames, may be empty) is played first: values flow forward, op values appear.
 * data.caption: "always" (default), "playing" (hidden while paused on a backward step, when
 * a step card beside the player explains it) or "never"; full screen always shows it.
 * onStep(i) gets the pass.steps index shown (-1: before backward, and every forward frame);
 * while playing it is called once, when play stops, so playing never talks to a server.
 */
(function () {
  "use strict";

  var SPEEDS = [0.5, 1, 2, 4];
  var STEP_MS = 1400; // one step at 1× speed
  var TRAVEL_MS = 900; // the gradient token's trip along its edge at 1×
  var DONE_OPACITY = "0.7"; // gradients already delivered stay readable, but step back

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
    fit: "M10.5 4a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13zM15.5 15.5L21 21M7.5 10.5h6",
    fullscreen: "M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5",
  };

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function svgEl(tag, attrs) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  function icon(name) {
    var svg = svgEl("svg", { viewBox: "0 0 24 24", width: "20", height: "20",
                             "aria-hidden": "true", focusable: "false", "class": "agx-icon" });
    var stroked = STROKED[name] !== undefined;
    svg.appendChild(svgEl("path", stroked
      ? { d: STROKED[name], fill: "none", stroke: "currentColor", "stroke-width": "2.2",
          "stroke-linecap": "round", "stroke-linejoin": "round" }
      : { d: FILLED[name], fill: "currentColor" }));
    return svg;
  }

  function mountPlayer(root, data, onStep) {
    var style = data.style || {};
    var forward = data.forward || [];
    var F = forward.length; // frames [0, F) are the forward pass, [F, last] the backward one
    var frames = forward.concat(data.frames || []);
    var last = frames.length - 1;

    var player = el("div", { "class": "agx-player", tabindex: "0", "data-role": "player",
                             "data-theme": data.theme || "light" });
    // The chrome around the picture takes the picture's colours (a dark slide stays dark).
    if (style.background) player.style.setProperty("--agx-bg", style.background);
    if (style.text) player.style.setProperty("--agx-text", style.text);
    if (style.muted) player.style.setProperty("--agx-muted", style.muted);
    var bar = el("div", { "class": "agx-bar", role: "toolbar" });
    function button(role, title) {
      var b = el("button", { type: "button", "data-role": role, title: title, "aria-label": title });
      b.appendChild(icon(role));
      bar.appendChild(b);
      return b;
    }
    var bFirst = button("first", "First (Home)");
    var bPrev = button("prev", "Step back (←)");
    var bPlay = button("play", "Play (space)");
    var bNext = button("next", "Step forward (→)");
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
    var bFit = button("fit", "Reset zoom (0)");
    var bFull = button("fullscreen", "Full screen (f)");
    var stage = el("div", { "class": "agx-stage", "data-role": "stage" });
    stage.style.overflow = "hidden"; // even without player.css, a zoomed picture stays inside
    var canvas = el("div", { "class": "agx-canvas" });
    canvas.innerHTML = data.svg || "";
    stage.appendChild(canvas);
    var caption = el("div", { "class": "agx-caption", "data-role": "caption" });
    player.appendChild(bar);
    player.appendChild(stage);
    player.appendChild(caption);
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
    // Tokens go in their own group on top of the graph, in the graph's coordinates.
    var graphGroup = svg && svg.querySelector("g");
    var overlay = graphGroup ? svgEl("g", { "class": "agx-overlay" }) : null;
    if (overlay) graphGroup.appendChild(overlay);

    var elements = {};
    function byId(id) {
      // Graphviz escapes "-" as &#45; in ids; the DOM has the real character. Works in a ShadowRoot.
      if (!id || !svg) return null;
      if (!(id in elements)) elements[id] = svg.querySelector('[id="' + id + '"]');
      return elements[id];
    }
    function shapes(g) {
      return g ? Array.prototype.filter.call(g.children, function (c) {
        return c.tagName === "polygon" || c.tagName === "ellipse" || c.tagName === "path";
      }) : [];
    }
    function texts(g) { return g ? Array.prototype.slice.call(g.querySelectorAll("text")) : []; }
    function labelText(edgeId) {
      // An edge label is padding, the bold value, padding: the bold text carries the value.
      var all = texts(byId(edgeId));
      return all.filter(function (t) { return t.getAttribute("font-weight") === "bold"; })[0] || all[0];
    }
    function gradText(nodeId) {
      var t = texts(byId(nodeId));
      return t.length ? t[t.length - 1] : null; // the .grad row is the node's last line
    }

    // The SVG holds every label at its widest (that is its room); a label is hidden until
    // its gradient arrives. This hidden state is the one every full redraw starts from.
    (data.edges || []).forEach(function (id) {
      texts(byId(id)).forEach(function (t) { t.setAttribute("visibility", "hidden"); });
    });
    (data.grad_nodes || []).forEach(function (id) {
      var t = gradText(id);
      if (t) t.setAttribute("visibility", "hidden");
    });

    // Everything a frame may touch, with its attributes as drawn, so any frame starts clean.
    var ATTRS = ["stroke", "fill", "stroke-width", "font-weight", "visibility", "opacity"];
    var saved = [];
    function remember(node) {
      if (!node || node.__agx) return;
      var attrs = {};
      ATTRS.forEach(function (a) { attrs[a] = node.getAttribute(a); });
      node.__agx = { attrs: attrs, text: node.tagName === "text" ? node.textContent : null };
      saved.push(node);
    }
    function restoreOne(node) {
      var o = node.__agx;
      if (!o) return;
      ATTRS.forEach(function (a) {
        if (o.attrs[a] === null) node.removeAttribute(a); else node.setAttribute(a, o.attrs[a]);
      });
      if (o.text !== null && node.textContent !== o.text) node.textContent = o.text;
    }
    (data.edges || []).forEach(function (id) {
      var g = byId(id);
      shapes(g).forEach(remember);
      texts(g).forEach(remember);
    });
    frames.forEach(function (f) {
      shapes(byId(f.node)).forEach(remember);
      (f.travel || []).forEach(function (p) { shapes(byId(p[0])).forEach(remember); });
    });
    (data.grad_nodes || []).forEach(function (id) { remember(gradText(id)); });
    // Values the forward pass computes: drawn from the start (their room), hidden until reached.
    function valueText(p) {
      return texts(byId(p[0])).slice(1).filter(function (t) { return t.textContent.trim() === p[1]; })[0];
    }
    var reveals = forward.map(function (f) { return (f.reveal || []).map(valueText).filter(Boolean); });
    var revealed = [].concat.apply([], reveals);
    revealed.forEach(remember);

    var pen = parseFloat(style.pen) || 1.2;
    var fontSize = parseFloat(style.font_size) || 14;

    function paintEdge(id, text, current) {
      var g = byId(id);
      if (!g) return;
      var colour = current ? style.travel : style.done;
      var width = String(pen * (current ? 3 : 1.6));
      shapes(g).forEach(function (s) {
        s.setAttribute("stroke", colour);
        s.setAttribute("stroke-width", width);
        if (s.tagName === "polygon") s.setAttribute("fill", colour);
      });
      var main = labelText(id);
      texts(g).forEach(function (t) {
        t.setAttribute("visibility", "visible");
        t.setAttribute("opacity", current ? "1" : DONE_OPACITY);
        if (t === main) {
          t.textContent = text;
          t.setAttribute("fill", colour);
        }
      });
    }
    function paintNode(id, current, fwd) {
      var parts = shapes(byId(id));
      parts.forEach(restoreOne);
      parts.forEach(function (s, n) {
        if (!current) { s.setAttribute("stroke", fwd ? style.forward : style.done); return; }
        s.setAttribute("stroke", fwd ? style.forward : style.active);
        s.setAttribute("stroke-width", String(Math.max(4, pen * 3.5)));
        // Forward keeps the node's own fill: the orange wash means "backward runs here".
        if (!fwd && n === 0 && s.getAttribute("fill") !== "none" && style.filled !== false) {
          s.setAttribute("fill", style.active_fill);
        }
      });
    }
    function paintFlow(id, current) {
      // A forward edge: coloured, no label (edge labels are the gradients' room).
      var colour = style.forward || "#2b8a3e";
      shapes(byId(id)).forEach(function (s) {
        s.setAttribute("stroke", colour);
        s.setAttribute("stroke-width", String(pen * (current ? 3 : 1.6)));
        if (s.tagName === "polygon") s.setAttribute("fill", colour);
      });
    }
    function setGrad(id, text) {
      var t = gradText(id);
      if (!t) return;
      t.textContent = text;
      t.setAttribute("fill", style.grad || "#c2255c");
      t.setAttribute("visibility", "visible");
    }
    function paintFrame(k, current) {
      var f = frames[k], fwd = k < F;
      (f.travel || []).forEach(function (p) {
        if (fwd) paintFlow(p[0], current); else paintEdge(p[0], p[1], current);
      });
      if (f.node) paintNode(f.node, current, fwd);
      (f.grads || []).forEach(function (p) { setGrad(p[0], p[1]); });
      (reveals[k] || []).forEach(function (t) {
        restoreOne(t);
        if (current) { t.setAttribute("fill", style.forward); t.setAttribute("font-weight", "bold"); }
      });
    }

    var index = 0;
    var reported = null;
    var timer = null;
    var tokens = [];

    function clearTokens() {
      tokens.forEach(function (t) { t.cancelled = true; if (t.dot.parentNode) t.dot.parentNode.removeChild(t.dot); });
      tokens = [];
    }
    function rate() { return parseFloat(speed.value) || 1; }

    // The gradient visibly travels: a big token runs backward along the edge, head to tail;
    // in the forward pass a token of the forward colour runs the other way, with the value.
    function travel(id, fwd) {
      var colour = (fwd ? style.forward : style.travel) || "#d9480f";
      var g = byId(id);
      var path = g && g.querySelector("path");
      if (!path || !overlay || typeof path.getTotalLength !== "function") return;
      var length = path.getTotalLength();
      var r = Math.max(8, fontSize * 0.65);
      var dot = svgEl("g", { "class": "agx-token", "data-role": "token",
                             "data-pass": fwd ? "forward" : "backward" });
      dot.appendChild(svgEl("circle", { r: String(r * 1.9), fill: colour, opacity: "0.25" }));
      dot.appendChild(svgEl("circle", { r: String(r), fill: colour,
                                        stroke: style.background || "#fff",
                                        "stroke-width": String(Math.max(2, r * 0.3)) }));
      overlay.appendChild(dot);
      var token = { dot: dot, cancelled: false };
      tokens.push(token);
      var start = null;
      var ms = TRAVEL_MS / rate();
      function place(t) {
        var eased = t < 0.5 ? 2 * t * t : 1 - Math.pow(-2 * t + 2, 2) / 2;
        var p = path.getPointAtLength(length * (fwd ? eased : 1 - eased));
        dot.setAttribute("transform", "translate(" + p.x.toFixed(2) + "," + p.y.toFixed(2) + ")");
      }
      place(0);
      function frame(now) {
        if (token.cancelled) return;
        if (start === null) start = now;
        var t = Math.min(1, (now - start) / ms);
        place(t);
        if (t < 1) requestAnimationFrame(frame);
        else dot.setAttribute("opacity", "0");
      }
      requestAnimationFrame(frame);
    }

    function redraw(k) {
      saved.forEach(restoreOne);
      // Backward starts from the plain picture with every value shown; forward from no values.
      if (k < F) revealed.forEach(function (t) { t.setAttribute("visibility", "hidden"); });
      for (var i = k < F ? 0 : F; i < k; i++) paintFrame(i, false);
      paintFrame(k, true);
    }

    function show(k, animate) {
      k = Math.max(0, Math.min(last, k));
      clearTokens();
      // One step forward (play, →) only restyles what changes: smooth on big graphs too.
      if (k === index + 1 && k !== F && player.hasAttribute("data-frame")) {
        paintFrame(index, false);
        paintFrame(k, true);
      } else {
        redraw(k);
      }
      var cur = frames[k] || {};
      follow(cur.node || (frames[1] || {}).node);
      if (animate !== false) (cur.travel || []).forEach(function (p) { travel(p[0], k < F); });
      index = k;
      counter.textContent = k < F ? "forward " + k + " / " + (F - 1) : "step " + (k - F) + " / " + (last - F);
      caption.textContent = cur.caption || "";
      bFirst.disabled = bPrev.disabled = k === 0;
      bNext.disabled = bLast.disabled = k === last;
      player.setAttribute("data-frame", String(k));
      player.setAttribute("data-step", String(stepOf(k)));
      player.setAttribute("data-pass", k < F ? "forward" : "backward");
      showCaption();
      if (!timer) report();
    }
    // The step card beside an app's player explains a paused backward step better; it has
    // nothing on forward frames, and full screen hides it, so the caption shows then.
    function showCaption() {
      var mode = data.caption || "always";
      var on = mode === "always" || (mode === "playing" && (timer !== null || index < F || !!isFull()));
      if (caption.hidden === on) {
        caption.hidden = !on;
        if (isFull()) size();
      }
    }
    function stepOf(k) { var f = frames[k]; return f && f.step !== null && f.step !== undefined ? f.step : -1; }
    function report() {
      if (reported !== null && reported !== index && onStep) onStep(stepOf(index));
      reported = index;
    }

    function setPlayIcon(name, title) {
      bPlay.replaceChildren(icon(name));
      bPlay.setAttribute("title", title);
      bPlay.setAttribute("aria-label", title);
    }
    function pause() {
      var was = timer !== null;
      if (timer) clearInterval(timer);
      timer = null;
      setPlayIcon("play", "Play (space)");
      player.classList.remove("agx-playing");
      showCaption();
      if (was) report();
    }
    function play() {
      pause();
      setPlayIcon("pause", "Pause (space)");
      player.classList.add("agx-playing");
      timer = setInterval(function () {
        if (index >= last) pause(); else show(index + 1);
      }, STEP_MS / rate());
      if (index >= last) show(0); // after the timer exists: a restart reports nothing yet
      showCaption();
    }
    function toggle() { if (timer) pause(); else play(); }

    bFirst.addEventListener("click", function () { pause(); show(0); });
    bPrev.addEventListener("click", function () { pause(); show(index - 1); });
    bPlay.addEventListener("click", toggle);
    bNext.addEventListener("click", function () { pause(); show(index + 1); });
    bLast.addEventListener("click", function () { pause(); show(last); });
    speed.addEventListener("change", function () { if (timer) play(); });

    // Keys belong to this player only (two players on a page each keep their own).
    player.addEventListener("keydown", function (e) {
      if (e.target && e.target.tagName === "SELECT") return;
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      var handled = true;
      if (e.key === "ArrowRight") { pause(); show(index + 1); }
      else if (e.key === "ArrowLeft") { pause(); show(index - 1); }
      else if (e.key === " " || e.key === "Spacebar") toggle();
      else if (e.key === "Home") { pause(); show(0); }
      else if (e.key === "End") { pause(); show(last); }
      else if (e.key === "0") fit();
      else if (e.key === "f") fullscreen();
      else handled = false;
      if (handled) { e.preventDefault(); e.stopPropagation(); }
    });
    player.addEventListener("mousedown", function (e) {
      if (e.target && e.target.tagName !== "SELECT") player.focus({ preventScroll: true });
    });

    // Zoom (wheel, around the pointer) and pan (drag) for graphs too big to read at once.
    var view = { x: 0, y: 0, s: 1 };
    var following = true; // the camera follows the active node until the user zooms or pans
    function applyView() { canvas.style.transform = "translate(" + view.x + "px," + view.y + "px) scale(" + view.s + ")"; }
    function fit() { view = { x: 0, y: 0, s: 1 }; following = true; applyView(); follow(frames[index] && frames[index].node); }
    function manual() { following = false; }
    // A graph whose text would be drawn under 8 px high is too small to read on a projector:
    // centre the active node at natural size instead. (No CSS transition: Chromium keeps a
    // blurred raster while a transform animates. Laying the picture out at natural size
    // instead, or zooming through the viewBox, is far slower on big graphs.)
    function follow(nodeId) {
      var target = following && byId(nodeId);
      if (!target || !stage.clientWidth) return;
      var fitted = Math.min(stage.clientWidth / natural.w, stage.clientHeight / natural.h);
      if (!(fontSize * 4 / 3 * fitted < 8)) return;
      var r = target.getBoundingClientRect(), st = stage.getBoundingClientRect();
      var cx = (r.left + r.width / 2 - st.left - view.x) / view.s;
      var cy = (r.top + r.height / 2 - st.top - view.y) / view.s;
      var s = Math.min(40, 1 / fitted);
      view = { s: s, x: st.width / 2 - s * cx, y: st.height / 2 - s * cy };
      applyView();
    }
    stage.addEventListener("wheel", function (e) {
      e.preventDefault();
      manual();
      var r = stage.getBoundingClientRect();
      var px = e.clientX - r.left, py = e.clientY - r.top;
      var s = Math.max(0.2, Math.min(40, view.s * Math.exp(-e.deltaY * 0.0015)));
      view.x = px - (px - view.x) * s / view.s;
      view.y = py - (py - view.y) * s / view.s;
      view.s = s;
      applyView();
    }, { passive: false });
    var drag = null;
    stage.addEventListener("pointerdown", function (e) {
      drag = { x: e.clientX - view.x, y: e.clientY - view.y };
      if (stage.setPointerCapture) stage.setPointerCapture(e.pointerId);
      stage.classList.add("agx-dragging");
    });
    stage.addEventListener("pointermove", function (e) {
      if (!drag) return;
      if (Math.abs(e.clientX - drag.x - view.x) + Math.abs(e.clientY - drag.y - view.y) > 3) manual();
      view.x = e.clientX - drag.x;
      view.y = e.clientY - drag.y;
      applyView();
    });
    function endDrag() { drag = null; stage.classList.remove("agx-dragging"); }
    stage.addEventListener("pointerup", endDrag);
    stage.addEventListener("pointercancel", endDrag);

    function isFull() { return document.fullscreenElement && player.matches(":fullscreen"); }
    function fullscreen() {
      if (isFull()) document.exitFullscreen();
      else if (player.requestFullscreen) player.requestFullscreen().catch(function () {});
    }
    bFull.addEventListener("click", fullscreen);

    // The stage fits the picture: its natural size, no taller than most of the window;
    // in full screen it takes all the room the bar and caption leave.
    function size() {
      var winH = window.innerHeight || 800;
      if (isFull()) {
        stage.style.height = (winH - bar.offsetHeight - caption.offsetHeight) + "px";
        applyView();
        return;
      }
      var w = stage.clientWidth || natural.w;
      var h = natural.h * Math.min(1, w / natural.w);
      stage.style.height = Math.round(Math.min(h, winH * 0.78)) + "px";
      applyView();
    }
    size();
    if (typeof ResizeObserver === "function") new ResizeObserver(size).observe(stage);
    document.addEventListener("fullscreenchange", function () { showCaption(); size(); fit(); });

    var start = data.start === undefined || data.start === null ? -1 : data.start;
    var startFrame = 0;
    frames.forEach(function (f, k) { if (f.step === start) startFrame = k; });
    index = startFrame;
    show(startFrame, false);
    if (data.focus) player.focus({ preventScroll: true });
    if (data.autoplay) play();

    var api = { show: function (k) { pause(); show(k); }, play: play, pause: pause,
                frame: function () { return index; }, element: player };
    player.agx = api;
    return api;
  }

  var scope = typeof globalThis !== "undefined" ? globalThis : window;
  scope.mountPlayer = mountPlayer;
})();
