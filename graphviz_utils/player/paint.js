/* The player's paint: restyling the one laid-out SVG for a frame, and the travelling token.
 *
 * Nodes never move: a frame only changes colours, widths, visibility and texts. Everything a
 * frame may touch is remembered as drawn, so any frame can be painted from a clean picture.
 */
(function (root, factory) { // node's require (the unit tests), or the page's script
  if (typeof module === "object" && module.exports) module.exports = factory();
  else (root.agxPlayer = root.agxPlayer || {}).paint = factory();
})(typeof globalThis !== "undefined" ? globalThis : this, function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var TRAVEL_MS = 900; // the token's trip along its edge at 1×
  var DONE_OPACITY = "0.7"; // gradients already delivered stay readable, but step back
  var ATTRS = ["stroke", "fill", "stroke-width", "font-weight", "visibility", "opacity"];

  function svgEl(tag, attrs) {
    var e = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  /* The point where the segment from a rectangle's centre towards (tx, ty) leaves it. */
  function rectExit(r, tx, ty) {
    var cx = r.x + r.width / 2, cy = r.y + r.height / 2;
    var dx = tx - cx, dy = ty - cy;
    if (dx === 0 && dy === 0) return { x: cx, y: cy };
    var t = Math.min(dx ? r.width / 2 / Math.abs(dx) : Infinity, dy ? r.height / 2 / Math.abs(dy) : Infinity);
    t = Math.min(1, t);
    return { x: cx + dx * t, y: cy + dy * t };
  }

  function create(svg, data, tl, rate) {
    var style = data.style || {};
    var frames = tl.frames, F = tl.F;
    var graphGroup = svg && svg.querySelector("g");
    // Tokens go in their own group on top of the graph, in the graph's coordinates.
    var overlay = graphGroup ? svgEl("g", { "class": "agx-overlay" }) : null;
    if (overlay) graphGroup.appendChild(overlay);
    var pen = parseFloat(style.pen) || 1.2;
    var fontSize = parseFloat(style.font_size) || 14;

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
    var reveals = frames.slice(0, F).map(function (f) {
      return (f.reveal || []).map(valueText).filter(Boolean);
    });
    var revealed = [].concat.apply([], reveals);
    revealed.forEach(remember);

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
    /* A leaf's value goes straight to the op it feeds: AccumulateGrad, drawn between them, is
     * a backward-only sink, so the forward arrow is drawn for this frame, over the picture. */
    function directPath(pair) {
      var a = byId(pair[0]), b = byId(pair[1]);
      if (!a || !b || !overlay || typeof a.getBBox !== "function") return null;
      var ra = a.getBBox(), rb = b.getBBox();
      var p = rectExit(ra, rb.x + rb.width / 2, rb.y + rb.height / 2);
      var q = rectExit(rb, ra.x + ra.width / 2, ra.y + ra.height / 2);
      var colour = style.forward || "#2b8a3e";
      var path = svgEl("path", { d: "M" + p.x + "," + p.y + "L" + q.x + "," + q.y, fill: "none",
                                 stroke: colour, "stroke-width": String(pen * 3),
                                 "stroke-dasharray": String(pen * 6) + " " + String(pen * 4),
                                 "class": "agx-flow", "data-role": "flow",
                                 "data-from": pair[0], "data-to": pair[1] });
      overlay.appendChild(path);
      return path;
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

    var tokens = [];
    function clear() {
      tokens.forEach(function (t) { t.cancelled = true; });
      tokens = [];
      if (overlay) overlay.replaceChildren();
    }
    // The gradient visibly travels: a big token runs backward along the edge, head to tail;
    // in the forward pass a token of the forward colour runs the other way, with the value.
    function travelAlong(path, fwd) {
      if (!path || !overlay || typeof path.getTotalLength !== "function") return;
      var colour = (fwd ? style.forward : style.travel) || "#d9480f";
      var length = path.getTotalLength();
      var r = Math.max(8, fontSize * 0.65);
      var dot = svgEl("g", { "class": "agx-token", "data-role": "token",
                             "data-pass": fwd ? "forward" : "backward" });
      dot.appendChild(svgEl("circle", { r: String(r * 1.9), fill: colour, opacity: "0.25" }));
      dot.appendChild(svgEl("circle", { r: String(r), fill: colour,
                                        stroke: style.background || "#fff",
                                        "stroke-width": String(Math.max(2, r * 0.3)) }));
      overlay.appendChild(dot);
      var token = { cancelled: false };
      tokens.push(token);
      var start = null;
      var ms = TRAVEL_MS / rate();
      function place(t) {
        var eased = t < 0.5 ? 2 * t * t : 1 - Math.pow(-2 * t + 2, 2) / 2;
        var p = path.getPointAtLength(length * (fwd ? eased : 1 - eased));
        dot.setAttribute("transform", "translate(" + p.x.toFixed(2) + "," + p.y.toFixed(2) + ")");
      }
      place(0);
      function step(now) {
        if (token.cancelled) return;
        if (start === null) start = now;
        var t = Math.min(1, (now - start) / ms);
        place(t);
        if (t < 1) requestAnimationFrame(step);
        else dot.setAttribute("opacity", "0");
      }
      requestAnimationFrame(step);
    }
    /* What moves at frame k: tokens along its edges, and a forward frame's direct arrows. */
    function animate(k, tokensToo) {
      var f = frames[k] || {}, fwd = k < F;
      var direct = fwd ? (f.flow || []).map(directPath).filter(Boolean) : [];
      if (!tokensToo) return;
      (f.travel || []).forEach(function (p) {
        var g = byId(p[0]);
        travelAlong(g && g.querySelector("path"), fwd);
      });
      direct.forEach(function (path) { travelAlong(path, true); });
    }

    function redraw(k) {
      saved.forEach(restoreOne);
      // Backward starts from the plain picture with every value shown; forward from no values.
      if (k < F) revealed.forEach(function (t) { t.setAttribute("visibility", "hidden"); });
      tl.doneBefore(k).forEach(function (i) { paintFrame(i, false); });
      paintFrame(k, true);
    }

    return { byId: byId, paintFrame: paintFrame, redraw: redraw, animate: animate, clear: clear,
             fontSize: fontSize };
  }

  return { create: create, rectExit: rectExit, svgEl: svgEl };
});
