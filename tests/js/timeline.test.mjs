// The player's timeline: frame and step arithmetic (node --test, no dependency).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const timeline = require("../../graphviz_utils/player/timeline.js");

// Two forward frames, then "before backward" and three backward steps.
const data = {
  forward: [{ step: null }, { step: null }],
  frames: [{ step: null }, { step: 0 }, { step: 1 }, { step: 2 }],
};

test("frames are the forward ones, then the backward ones", () => {
  const t = timeline.create(data);
  assert.equal(t.F, 2);
  assert.equal(t.last, 5);
  assert.equal(t.frames.length, 6);
});

test("a frame's step is its pass.steps index, -1 before backward and on forward frames", () => {
  const t = timeline.create(data);
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((k) => t.stepOf(k)), [-1, -1, -1, 0, 1, 2]);
});

test("the start step picks its frame; none or -1 opens on the first frame", () => {
  const t = timeline.create(data);
  assert.equal(t.startFrame(1), 4);
  assert.equal(t.startFrame(-1), 0);
  assert.equal(t.startFrame(null), 0);
  const backwardOnly = timeline.create({ frames: data.frames });
  assert.equal(backwardOnly.startFrame(-1), 0);
  assert.equal(backwardOnly.startFrame(2), 3);
});

test("frames clamp to the timeline", () => {
  const t = timeline.create(data);
  assert.equal(t.clamp(-3), 0);
  assert.equal(t.clamp(9), 5);
  assert.equal(t.clamp(3), 3);
});

test("the counter counts within each pass", () => {
  const t = timeline.create(data);
  assert.equal(t.counterText(1), "forward 1 / 1");
  assert.equal(t.counterText(2), "step 0 / 3");
  assert.equal(t.counterText(5), "step 3 / 3");
});

test("one step on repaints incrementally, except into the backward pass", () => {
  const t = timeline.create(data);
  assert.equal(t.isIncremental(0, 1), true);
  assert.equal(t.isIncremental(1, 2), false); // backward starts from the plain picture
  assert.equal(t.isIncremental(3, 4), true);
  assert.equal(t.isIncremental(4, 3), false);
  assert.equal(t.isIncremental(2, 4), false);
});

test("a full redraw paints the earlier frames of the same pass as done", () => {
  const t = timeline.create(data);
  assert.deepEqual(t.doneBefore(1), [0]);
  assert.deepEqual(t.doneBefore(2), []);
  assert.deepEqual(t.doneBefore(5), [2, 3, 4]);
});
