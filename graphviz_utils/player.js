/* Autograd Explorer's backward-pass player: our own code, no dependency, no network.
 *
 * mountPlayer(root, data, onStep) draws data.svg (the one Graphviz layout) once into root
 * (an Element or a ShadowRoot), then only restyles it: nodes never move. data is
 * graphviz_utils.player_data(...); data.start is a pass.steps index (-1: before backward),
 * data.autoplay starts playing. onStep(i) gets the pass.steps index shown (-1: before).
 */
(function () {
  "use strict";

  var SPEEDS = [0.5, 1, 2, 4];
  var STEP_MS = 1400; // one step at 1× speed
  var TRAVEL_MS = 900; // the gradient token's trip along its edge at 1×

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

  function mountPlayer(root, data, onStep) {
    var style = data.style || {};
    var frames = data.frames || [];
    var last = frames.length - 1;

    var player = el("div", { "class": "agx-player", tabindex: "0", "data-role": "player" });
    var bar = el("div", { "class": "agx-bar", role: "toolbar" });
    function button(role, label, title) {
      var b = el("button", { type: "button", "data-role": role, title: title, "aria-label": title }, label);
      bar.appendChild(b);
      return b;
    }
    var bFirst = button("first", "⏮", "First (Home)");
    var bPrev = button("prev", "◀", "Step back (←)");
    var bPlay = button("play", "▶", "Play / pause (space)");
    var bNext = button("next", "▶|", "Step forward (→)");
    var bLast = button("last", "⏭", "Last (End)");
    var speed = el("select", { "data-role": "speed", title: "Speed", "aria-label": "Speed" });
    SPEEDS.forEach(function (s) {
      var o = el("option", { value: String(s) }, s + "×");
      if (s === 1) o.selected = true;
      speed.appendChild(o);
    });
    bar.appendChild(speed);
    var counter = el("span", { "class": "agx-counter", "data-role": "counter", "aria-live": "polite" });
    bar.appendChild(counter);
    var bFit = button("fit", "⤢", "Reset zoom (0)");
    var stage = el("div", { "class": "agx-stage", "data-role": "stage" });
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

    function byId(id) {
      // Graphviz escapes "-" as &#45; in ids; the DOM has the real character. Works in a ShadowRoot.
      return id && svg ? svg.querySelector('[id="' + id + '"]') : null;
    }

    // Everything a frame may touch, with its attributes as drawn, so any frame starts clean.
    var saved = [];
    function remember(node) {
      if (!node || node.__agx) return;
      var attrs = {};
      ["stroke", "fill", "stroke-width", "font-weight"].forEach(function (a) {
        attrs[a] = node.getAttribute(a);
      });
      node.__agx = { attrs: attrs, text: node.tagName === "text" ? node.textContent : null };
      saved.push(node);
    }
    function restore() {
      saved.forEach(function (node) {
        var o = node.__agx;
        Object.keys(o.attrs).forEach(function (a) {
          if (o.attrs[a] === null) node.removeAttribute(a); else node.setAttribute(a, o.attrs[a]);
        });
        if (o.text !== null) node.textContent = o.text;
      });
    }
    function shapes(g) {
      return g ? Array.prototype.filter.call(g.children, function (c) {
        return c.tagName === "polygon" || c.tagName === "ellipse" || c.tagName === "path";
      }) : [];
    }
    function texts(g) { return g ? g.querySelectorAll("text") : []; }
    function gradText(nodeId) {
      var t = texts(byId(nodeId));
      return t.length ? t[t.length - 1] : null; // the .grad row is the node's last line
    }
    (data.edges || []).forEach(function (id) {
      var g = byId(id);
      shapes(g).forEach(remember);
      Array.prototype.forEach.call(texts(g), remember);
    });
    frames.forEach(function (f) {
      shapes(byId(f.node)).forEach(remember);
      (f.travel || []).forEach(function (p) { shapes(byId(p[0])).forEach(remember); });
    });
    (data.grad_nodes || []).forEach(function (id) { remember(gradText(id)); });

    var pen = parseFloat(style.pen) || 1.2;
    function paintEdge(id, text, colour, width, bold) {
      var g = byId(id);
      if (!g) return;
      shapes(g).forEach(function (s) {
        s.setAttribute("stroke", colour);
        s.setAttribute("stroke-width", String(width));
        if (s.tagName === "polygon") s.setAttribute("fill", colour);
      });
      var t = g.querySelector("text");
      if (t) {
        t.textContent = text;
        t.setAttribute("fill", colour);
        t.setAttribute("font-weight", "bold");
      }
    }
    function setGrad(id, text) {
      var t = gradText(id);
      if (t) { t.textContent = text; t.setAttribute("fill", style.grad || "#c2255c"); }
    }

    var index = 0;
    var timer = null;
    var tokens = [];

    function clearTokens() {
      tokens.forEach(function (t) { t.cancelled = true; if (t.dot.parentNode) t.dot.parentNode.removeChild(t.dot); });
      tokens = [];
    }
    function rate() { return parseFloat(speed.value) || 1; }

    // The gradient visibly travels: a token runs backward along the edge, head to tail.
    function travel(id) {
      var g = byId(id);
      var path = g && g.querySelector("path");
      if (!path || typeof path.getTotalLength !== "function") return;
      var length = path.getTotalLength();
      var dot = svgEl("circle", { r: String(3 + pen * 1.6), fill: style.travel || "#d9480f",
                                  stroke: style.background || "#fff", "stroke-width": "1.5",
                                  "class": "agx-token", "data-role": "token" });
      g.appendChild(dot);
      var token = { dot: dot, cancelled: false };
      tokens.push(token);
      var start = null;
      var ms = TRAVEL_MS / rate();
      function frame(now) {
        if (token.cancelled) return;
        if (start === null) start = now;
        var t = Math.min(1, (now - start) / ms);
        var eased = t < 0.5 ? 2 * t * t : 1 - Math.pow(-2 * t + 2, 2) / 2;
        var p = path.getPointAtLength(length * (1 - eased));
        dot.setAttribute("cx", p.x);
        dot.setAttribute("cy", p.y);
        if (t < 1) requestAnimationFrame(frame);
        else { dot.setAttribute("opacity", "0"); }
      }
      requestAnimationFrame(frame);
    }

    function show(k, animate) {
      k = Math.max(0, Math.min(last, k));
      clearTokens();
      restore();
      // Labels not reached yet are empty; their room was kept in the layout.
      (data.edges || []).forEach(function (id) {
        var t = byId(id) && byId(id).querySelector("text");
        if (t) t.textContent = "";
      });
      (data.grad_nodes || []).forEach(function (id) { var t = gradText(id); if (t) t.textContent = ""; });
      for (var i = 0; i <= k; i++) {
        var f = frames[i];
        (f.grads || []).forEach(function (p) { setGrad(p[0], p[1]); });
        if (i < k) {
          (f.travel || []).forEach(function (p) { paintEdge(p[0], p[1], style.done, pen * 1.6, false); });
          shapes(byId(f.node)).forEach(function (s) { s.setAttribute("stroke", style.done); });
        }
      }
      var cur = frames[k] || {};
      (cur.travel || []).forEach(function (p) { paintEdge(p[0], p[1], style.travel, pen * 2.6, true); });
      shapes(byId(cur.node)).forEach(function (s, n) {
        s.setAttribute("stroke", style.active);
        s.setAttribute("stroke-width", String(pen * 3));
        if (n === 0 && s.getAttribute("fill") !== "none" && style.filled !== false) {
          s.setAttribute("fill", style.active_fill);
        }
      });
      if (animate !== false) (cur.travel || []).forEach(function (p) { travel(p[0]); });
      var changed = k !== index;
      index = k;
      counter.textContent = "step " + k + " / " + last;
      caption.textContent = cur.caption || "";
      bFirst.disabled = bPrev.disabled = k === 0;
      bNext.disabled = bLast.disabled = k === last;
      player.setAttribute("data-frame", String(k));
      if (changed && onStep) onStep(stepOf(k));
    }
    function stepOf(k) { var f = frames[k]; return f && f.step !== null && f.step !== undefined ? f.step : -1; }

    function pause() {
      if (timer) clearInterval(timer);
      timer = null;
      bPlay.textContent = "▶";
      player.classList.remove("agx-playing");
    }
    function play() {
      if (index >= last) show(0);
      pause();
      bPlay.textContent = "⏸";
      player.classList.add("agx-playing");
      timer = setInterval(function () {
        if (index >= last) pause(); else show(index + 1);
      }, STEP_MS / rate());
    }
    function toggle() { if (timer) pause(); else play(); }

    bFirst.addEventListener("click", function () { pause(); show(0); });
    bPrev.addEventListener("click", function () { pause(); show(index - 1); });
    bPlay.addEventListener("click", toggle);
    bNext.addEventListener("click", function () { pause(); show(index + 1); });
    bLast.addEventListener("click", function () { pause(); show(last); });
    speed.addEventListener("change", function () { if (timer) play(); });

    player.addEventListener("keydown", function (e) {
      if (e.target && e.target.tagName === "SELECT") return;
      var handled = true;
      if (e.key === "ArrowRight") { pause(); show(index + 1); }
      else if (e.key === "ArrowLeft") { pause(); show(index - 1); }
      else if (e.key === " " || e.key === "Spacebar") toggle();
      else if (e.key === "Home") { pause(); show(0); }
      else if (e.key === "End") { pause(); show(last); }
      else if (e.key === "0") fit();
      else handled = false;
      if (handled) { e.preventDefault(); e.stopPropagation(); }
    });
    player.addEventListener("mousedown", function (e) {
      if (e.target && e.target.tagName !== "SELECT") player.focus({ preventScroll: true });
    });

    // Zoom (wheel, around the pointer) and pan (drag) for graphs too big to read at once.
    var view = { x: 0, y: 0, s: 1 };
    function applyView() { canvas.style.transform = "translate(" + view.x + "px," + view.y + "px) scale(" + view.s + ")"; }
    function fit() { view = { x: 0, y: 0, s: 1 }; applyView(); }
    bFit.addEventListener("click", fit);
    stage.addEventListener("wheel", function (e) {
      e.preventDefault();
      var r = stage.getBoundingClientRect();
      var px = e.clientX - r.left, py = e.clientY - r.top;
      var s = Math.max(0.2, Math.min(12, view.s * Math.exp(-e.deltaY * 0.0015)));
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
      view.x = e.clientX - drag.x;
      view.y = e.clientY - drag.y;
      applyView();
    });
    function endDrag() { drag = null; stage.classList.remove("agx-dragging"); }
    stage.addEventListener("pointerup", endDrag);
    stage.addEventListener("pointercancel", endDrag);

    // The stage fits the picture: its natural size, no taller than most of the window.
    function size() {
      var w = stage.clientWidth || natural.w;
      var h = natural.h * Math.min(1, w / natural.w);
      stage.style.height = Math.round(Math.min(h, (window.innerHeight || 800) * 0.78)) + "px";
    }
    size();
    if (typeof ResizeObserver === "function") new ResizeObserver(size).observe(stage);

    var start = data.start === undefined || data.start === null ? -1 : data.start;
    var startFrame = 0;
    frames.forEach(function (f, k) { if (f.step === start) startFrame = k; });
    index = startFrame;
    show(startFrame, false);
    if (data.autoplay) play();

    var api = { show: function (k) { pause(); show(k); }, play: play, pause: pause,
                frame: function () { return index; }, element: player };
    player.agx = api;
    return api;
  }

  var scope = typeof globalThis !== "undefined" ? globalThis : window;
  scope.mountPlayer = mountPlayer;
})();
