/* The program editor's text edits, as pure functions of (text, selection): Tab, Shift+Tab,
 * Enter and Backspace as a Python editor does them, and where the error's line goes when
 * lines are typed above it. No DOM here: editor.js applies each edit to the textarea.
 *
 * An edit is { from, to, insert, start, end }: replace text[from:to] by `insert`, then
 * select start..end (positions in the new text). null means "the browser's own key".
 */
(function (root, factory) { // node's require (the unit tests), or the page's script
  if (typeof module === "object" && module.exports) module.exports = factory();
  else (root.agxEditor = root.agxEditor || {}).text = factory();
})(typeof globalThis !== "undefined" ? globalThis : this, function () {
  "use strict";

  var UNIT = 4; // PEP 8's indent
  // After these a block ends: the next line goes back one level (as IDLE does).
  var CLOSERS = /^(return|pass|break|continue|raise)\b/;

  function lineStart(text, pos) { return text.lastIndexOf("\n", pos - 1) + 1; }
  function lineEnd(text, pos) {
    var i = text.indexOf("\n", pos);
    return i < 0 ? text.length : i;
  }
  function leading(line) { return /^[ \t]*/.exec(line)[0]; }
  function spaces(n) { return new Array(n + 1).join(" "); }

  // The lines a selection touches: a selection ending at the start of a line leaves it out.
  function block(text, start, end) {
    var last = end > start && text[end - 1] === "\n" ? end - 1 : end;
    return { from: lineStart(text, start), to: lineEnd(text, last) };
  }

  // Replace each line of text[from:to] by fn(line); the selection follows the edit.
  function eachLine(text, start, end, fn) {
    var b = block(text, start, end);
    var lines = text.slice(b.from, b.to).split("\n");
    var out = lines.map(fn);
    var insert = out.join("\n");
    var first = out[0].length - lines[0].length;
    var multi = text.slice(start, end).indexOf("\n") >= 0;
    // One line: the caret keeps its place in the text (never left of the line's start).
    var s = Math.max(b.from, start + first);
    if (!multi) return { from: b.from, to: b.to, insert: insert, start: s, end: s + (end - start) };
    return { from: b.from, to: b.to, insert: insert, start: b.from,
             end: b.from + insert.length }; // several lines stay selected, whole
  }

  function indent(line) { return line.trim() === "" ? line : spaces(UNIT) + line; }
  function dedent(line) {
    var lead = leading(line);
    if (lead[0] === "\t") return line.slice(1);
    return line.slice(Math.min(UNIT, lead.length));
  }

  /* Tab: with several lines selected, each goes one level in; otherwise spaces to the next
   * multiple of four columns, in place of any selection. */
  function tab(text, start, end) {
    if (text.slice(start, end).indexOf("\n") >= 0) return eachLine(text, start, end, indent);
    var column = start - lineStart(text, start);
    var insert = spaces(UNIT - (column % UNIT));
    var at = start + insert.length;
    return { from: start, to: end, insert: insert, start: at, end: at };
  }

  /* Shift+Tab: the lines touched go one level out (null when none is indented). */
  function untab(text, start, end) {
    var edit = eachLine(text, start, end, dedent);
    return edit.insert === text.slice(edit.from, edit.to) ? null : edit;
  }

  // The code of a line, without a comment after it (a # inside a string is kept).
  function code(line) {
    var quote = null;
    for (var i = 0; i < line.length; i++) {
      var c = line[i];
      if (quote) {
        if (c === "\\") i++;
        else if (c === quote) quote = null;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === "#") return line.slice(0, i);
    }
    return line;
  }

  /* Enter: a new line with the indentation of this one, one level more after a line ending
   * in ":", one less after return, pass, break, continue or raise. */
  function enter(text, start, end) {
    var before = text.slice(lineStart(text, start), start);
    var lead = leading(before);
    var body = code(before).trim();
    var width = lead.replace(/\t/g, spaces(UNIT)).length;
    if (/:$/.test(body)) width += UNIT;
    else if (CLOSERS.test(body)) width = Math.max(0, width - UNIT);
    var insert = "\n" + (width === lead.length && lead.indexOf("\t") < 0 ? lead : spaces(width));
    var at = start + insert.length;
    return { from: start, to: end, insert: insert, start: at, end: at };
  }

  /* Backspace in a line's leading spaces: back to the previous level (null: one character,
   * the browser's own). */
  function backspace(text, start, end) {
    if (start !== end) return null;
    var before = text.slice(lineStart(text, start), start);
    if (before === "" || /[^ ]/.test(before)) return null;
    var n = ((before.length - 1) % UNIT) + 1;
    return { from: start - n, to: start, insert: "", start: start - n, end: start - n };
  }

  /* Where line `line` (1-based) of `before` is in `after`, one edit later: lines added or
   * removed above it move it; an edit on the line itself leaves it where it is. `caret` is
   * where the edit left the caret, which tells a typed "b\n" above a line "b" from one
   * below it (the texts alone do not). */
  function followLine(before, after, line, caret) {
    if (line == null) return null;
    var n = Math.min(before.length, after.length);
    var most = caret == null ? n : Math.min(n, after.length - caret);
    var tail = 0;
    while (tail < most &&
           before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
    var head = 0;
    while (head < n - tail && before[head] === after[head]) head++;
    var lineAt = line > 1 ? before.split("\n", line - 1).join("\n").length + 1 : 0;
    var end = before.length - tail; // where the edit ends, in `before`
    // An edit on the line or below leaves it; text put in front of it (Enter) moves it.
    if (head > lineAt || (head === lineAt && end > head)) return line;
    if (end > lineAt) return count(after.slice(0, after.length - tail)) + 1; // into the line
    var moved = line + count(after.slice(head, after.length - tail)) - count(before.slice(head, end));
    return Math.max(1, Math.min(moved, count(after) + 1));
  }
  function count(s) { return s.split("\n").length - 1; }

  return { tab: tab, untab: untab, enter: enter, backspace: backspace,
           followLine: followLine, UNIT: UNIT };
});
