// The player's keys: which key does what, and which focused element keeps its own keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const controls = require("../../graphviz_utils/player/controls.js");

const key = (k, mods = {}) => ({ key: k, altKey: false, ctrlKey: false, metaKey: false, ...mods });
const element = (tagName, extra = {}) => ({ tagName, getAttribute: (a) => extra[a] ?? null,
                                            closest: () => null, ...extra });

test("clicker keys step like the arrows, on the page and in the player", () => {
  for (const pageWide of [true, false]) {
    assert.equal(controls.keyAction(key("PageDown"), pageWide), "next");
    assert.equal(controls.keyAction(key("PageUp"), pageWide), "prev");
    assert.equal(controls.keyAction(key("ArrowRight"), pageWide), "next");
    assert.equal(controls.keyAction(key(" "), pageWide), "toggle");
  }
});

test("Home, End and f belong to a focused player only; modifiers are the browser's", () => {
  assert.equal(controls.keyAction(key("End"), false), "last");
  assert.equal(controls.keyAction(key("End"), true), null);
  assert.equal(controls.keyAction(key("f"), true), null);
  assert.equal(controls.keyAction(key("0"), true), "fit");
  assert.equal(controls.keyAction(key("ArrowRight", { ctrlKey: true }), true), null);
  assert.equal(controls.keyAction(key("x"), false), null);
});

test("text fields, selects and editors keep their keys; the page body does not", () => {
  assert.equal(controls.ownsKey(element("TEXTAREA"), "ArrowRight"), true);
  assert.equal(controls.ownsKey(element("INPUT", { type: "text" }), "ArrowLeft"), true);
  assert.equal(controls.ownsKey(element("SELECT"), "ArrowLeft"), true);
  assert.equal(controls.ownsKey(element("DIV", { isContentEditable: true }), " "), true);
  assert.equal(controls.ownsKey(element("DIV", { role: "slider" }), "ArrowRight"), true);
  assert.equal(controls.ownsKey(element("BODY"), "ArrowRight"), false);
  assert.equal(controls.ownsKey(element("INPUT", { type: "checkbox" }), "ArrowRight"), false);
});

test("a focused button keeps its space, not the arrows", () => {
  assert.equal(controls.ownsKey(element("BUTTON"), " "), true);
  assert.equal(controls.ownsKey(element("BUTTON"), "ArrowRight"), false);
});
