// The player's paint maths: where a leaf's direct forward arrow leaves a node's box.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const paint = require("../../graphviz_utils/player/paint.js");

const box = { x: 0, y: 0, width: 100, height: 40 }; // centre (50, 20)

test("the arrow leaves the box on the side that faces its target", () => {
  assert.deepEqual(paint.rectExit(box, 50, 220), { x: 50, y: 40 }); // straight down
  assert.deepEqual(paint.rectExit(box, 250, 20), { x: 100, y: 20 }); // straight right
  assert.deepEqual(paint.rectExit(box, -150, 20), { x: 0, y: 20 }); // straight left
});

test("a diagonal arrow leaves through the nearer edge, on the line to the target", () => {
  const p = paint.rectExit(box, 150, 120); // 45°: the bottom edge comes first
  assert.deepEqual(p, { x: 70, y: 40 });
});

test("a target inside the box, or at its centre, gives a point inside it", () => {
  assert.deepEqual(paint.rectExit(box, 50, 20), { x: 50, y: 20 });
  assert.deepEqual(paint.rectExit(box, 60, 25), { x: 60, y: 25 });
});
