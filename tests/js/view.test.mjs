// The player's view maths: fit, zoom, pan, whether the whole graph shows, the stage's height.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const view = require("../../graphviz_utils/player/view.js");

const tall = { w: 400, h: 1200 };
const wide = { w: 2000, h: 200 };
const box = { w: 800, h: 600 };

test("the fit scales the graph by its tighter side", () => {
  assert.equal(view.fitScale(tall, box), 0.5);
  assert.equal(view.fitScale(wide, box), 0.4);
  assert.equal(view.fitScale({ w: 0, h: 0 }, box), 1);
});

test("the fitted graph is centred in the stage", () => {
  assert.deepEqual(view.fittedRect(tall, box), { x: 300, y: 0, w: 200, h: 600 });
  assert.deepEqual(view.fittedRect(wide, box), { x: 0, y: 260, w: 800, h: 80 });
});

test("the fit shows the whole graph; a zoom or a pan past the edge does not", () => {
  assert.equal(view.showsWhole(view.FIT, tall, box), true);
  assert.equal(view.showsWhole({ x: -50, y: 0, s: 1 }, wide, box), false);
  assert.equal(view.showsWhole({ x: 100, y: 0, s: 1 }, tall, box), true); // still inside
  assert.equal(view.showsWhole(view.zoomAt(view.FIT, 400, 300, 2), tall, box), false);
  assert.equal(view.showsWhole(view.zoomAt(view.FIT, 400, 300, 0.5), tall, box), true);
});

test("zoom keeps the point under the pointer where it is, within the scale limits", () => {
  const v = view.zoomAt({ x: 10, y: 20, s: 1 }, 200, 100, 3);
  // the canvas point under (200, 100) before: ((200 - 10) / 1, (100 - 20) / 1)
  assert.equal(v.x + v.s * 190, 200);
  assert.equal(v.y + v.s * 80, 100);
  assert.equal(view.zoomAt(view.FIT, 0, 0, 1e6).s, view.MAX_SCALE);
  assert.equal(view.zoomAt(view.FIT, 0, 0, 1e-6).s, view.MIN_SCALE);
});

test("centring puts a canvas point at the stage's centre", () => {
  const v = view.centreOn(box, 100, 50, 4);
  assert.equal(v.x + v.s * 100, box.w / 2);
  assert.equal(v.y + v.s * 50, box.h / 2);
});

test("following zooms in only when the fit's text is smaller than wanted", () => {
  assert.equal(view.readableScale(18, 2, 18), 1);
  assert.equal(view.readableScale(18, 0.25, 18), 4);
  assert.equal(view.readableScale(18, 1e-4, 18), view.MAX_SCALE);
});

test("the stage is as tall as the graph at its width, within the window's room", () => {
  // a tall graph takes all the room; a small one stops at maxScale; a flat one gets minHeight
  assert.equal(view.stageHeight(tall, 800, 700, 2, 360), 700);
  assert.equal(view.stageHeight({ w: 200, h: 150 }, 800, 700, 2, 100), 300);
  assert.equal(view.stageHeight(wide, 800, 700, 2, 360), 360);
  assert.equal(view.stageHeight(wide, 800, 200, 2, 360), 200); // never more than the room
});
