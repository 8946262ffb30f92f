// The program editor's keys as text edits: what Tab, Shift+Tab, Enter and Backspace do to a
// program, and where the error's line goes when lines are typed above it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const text = require("../../app_ui/editor_text.js");

// Apply an edit as editor.js does; "|" marks the caret, "«" and "»" a selection.
function parse(marked) {
  const start = marked.search(/[|«]/);
  const plain = marked.replace(/[|«»]/g, "");
  const close = marked.indexOf("»");
  return { plain, start, end: close < 0 ? start : close - 1 };
}
function show(value, start, end) {
  if (start === end) return value.slice(0, start) + "|" + value.slice(start);
  return value.slice(0, start) + "«" + value.slice(start, end) + "»" + value.slice(end);
}
function press(fn, marked) {
  const { plain, start, end } = parse(marked);
  const edit = fn(plain, start, end);
  if (edit === null) return null;
  const value = plain.slice(0, edit.from) + edit.insert + plain.slice(edit.to);
  return show(value, edit.start, edit.end);
}

test("Tab puts spaces to the next multiple of four", () => {
  assert.equal(press(text.tab, "|x = 1"), "    |x = 1");
  assert.equal(press(text.tab, "for i in r:\n  |y"), "for i in r:\n    |y");
  assert.equal(press(text.tab, "a«bc»d"), "a   |d");
});

test("Tab and Shift+Tab move every selected line one level, and keep them selected", () => {
  assert.equal(press(text.tab, "«a\nb\n»c"), "«    a\n    b»\nc");
  assert.equal(press(text.tab, "x\ny«y\n\nz»z"), "x\n«    yy\n\n    zz»");
  assert.equal(press(text.untab, "«    a\n      b»"), "«a\n  b»");
  assert.equal(press(text.untab, "  x = |1"), "x = |1");
  assert.equal(press(text.untab, "\tx|"), "x|");
  assert.equal(press(text.untab, "x = |1"), null);
});

test("Enter keeps the indentation, and adds a level after a colon", () => {
  assert.equal(press(text.enter, "for i in range(3):|"), "for i in range(3):\n    |");
  assert.equal(press(text.enter, "    y = y + x|"), "    y = y + x\n    |");
  assert.equal(press(text.enter, "if a:  # a comment|"), "if a:  # a comment\n    |");
  assert.equal(press(text.enter, 'print("a:")|'), 'print("a:")\n|');
  assert.equal(press(text.enter, 'x = "#"  # y:|'), 'x = "#"  # y:\n|');
  assert.equal(press(text.enter, "def f(x):\n    return x|"), "def f(x):\n    return x\n|");
  assert.equal(press(text.enter, "a = [1, |2]"), "a = [1, \n|2]");
});

test("Backspace in the leading spaces goes back one level", () => {
  assert.equal(press(text.backspace, "        |y"), "    |y");
  assert.equal(press(text.backspace, "      |y"), "    |y");
  assert.equal(press(text.backspace, "    y|"), null);
  assert.equal(press(text.backspace, "|y"), null);
  assert.equal(press(text.backspace, "  «  »y"), null);
});

test("a typed loop is the program Python reads", () => {
  // for x in a: <Enter> s = s + x <Enter> <Backspace> print(s)
  let marked = "s = 0|";
  marked = press(text.enter, marked).replace("|", "for x in [1, 2]:|");
  marked = press(text.enter, marked).replace("|", "s = s + x|");
  marked = press(text.enter, marked);
  marked = press(text.backspace, marked).replace("|", "print(s)|");
  assert.equal(marked, "s = 0\nfor x in [1, 2]:\n    s = s + x\nprint(s)|");
});

test("the error's line follows lines typed or removed above it, not edits on it", () => {
  const before = "a = 1\nb = 2\nc = d\n";
  assert.equal(text.followLine(before, "z = 0\n" + before, 3, 6), 4);
  assert.equal(text.followLine(before, "a = 1\nc = d\n", 3, 6), 2);
  assert.equal(text.followLine(before, "a = 1\nb = 2\nc = dd\n", 3, 17), 3);
  assert.equal(text.followLine(before, before + "e = 5\n", 3, 24), 3);
  assert.equal(text.followLine(before, "a = 1\nb = 2\n\nc = d\n", 3, 13), 4); // Enter before it
  assert.equal(text.followLine(before, before, null, 0), null);
});

test("a line typed above a line that reads the same still moves the mark", () => {
  const before = "a\nb\nc";
  assert.equal(text.followLine(before, "a\nb\nb\nc", 3, 4), 4);  // "b\n" typed on line 2
  assert.equal(text.followLine(before, "a\nb\nb\nc", 2, 4), 3);
});
