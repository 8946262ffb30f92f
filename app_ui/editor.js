/* The program editor: Streamlit's own textarea (key "program") made a code editor in place.
 *
 * The textarea stays the one widget that holds the program (AppTest, share links and
 * reconnects see only it); this adds line numbers in a gutter, Python's keys (editor_text.js)
 * and a band on the line of the run's error. Every edit goes through execCommand, so React
 * sees an input event as for a typed key, and Ctrl+Z undoes it.
 */
const EDITOR = '.st-key-program textarea';
const text = globalThis.agxEditor.text;
const mark = { line: null }; // the error's line in the text shown now (null: none)
let help = ''; // the keys, said to a screen reader (editor.py's KEYS_HELP)

function install(ta) {
  if (ta.__aeEditor) return ta.__aeEditor;
  const root = ta.parentElement;
  root.classList.add('ae-editor');
  ta.setAttribute('wrap', 'off'); // one text line per line: the gutter's numbers match
  ta.setAttribute('spellcheck', 'false');
  ta.setAttribute('autocapitalize', 'off');
  // A screen reader says what Tab does here, and how to leave (the hint under it, for eyes).
  const keys = document.createElement('span');
  keys.id = 'ae-editor-keys';
  keys.className = 'ae-sr';
  keys.textContent = help;
  root.appendChild(keys);
  ta.setAttribute('aria-describedby', keys.id);
  const gutter = document.createElement('div');
  gutter.className = 'ae-gutter';
  gutter.setAttribute('aria-hidden', 'true'); // the error message names the line already
  gutter.dataset.testid = 'ae-gutter';
  const numbers = document.createElement('div');
  numbers.className = 'ae-numbers';
  gutter.appendChild(numbers);
  root.appendChild(gutter);
  const ed = { ta, gutter, numbers, count: 0, value: ta.value, escaped: false, shown: false };
  ta.__aeEditor = ed;
  ta.addEventListener('keydown', (e) => onKey(ed, e));
  ta.addEventListener('input', () => onInput(ed));
  ta.addEventListener('scroll', () => scroll(ed));
  ta.addEventListener('blur', () => { ed.escaped = false; });
  new ResizeObserver(() => {
    paint(ed);
    // Shown again (presentation mode's editor unfolded): the error's line comes into view.
    const shown = ta.clientHeight > 0;
    if (shown && !ed.shown) reveal();
    ed.shown = shown;
  }).observe(ta);
  paint(ed);
  return ed;
}

function onKey(ed, e) {
  if (e.isComposing || e.altKey || e.ctrlKey || e.metaKey) return; // Ctrl+Enter runs
  // Esc, then Tab, leaves the editor as Tab does elsewhere: no keyboard trap.
  if (e.key === 'Escape') { ed.escaped = true; return; }
  if (e.key === 'Shift') return; // Esc, then Shift+Tab, goes back the same way
  const escaped = ed.escaped;
  ed.escaped = false;
  const ta = ed.ta;
  let edit;
  if (e.key === 'Tab') {
    if (escaped) return;
    edit = (e.shiftKey ? text.untab : text.tab)(ta.value, ta.selectionStart, ta.selectionEnd);
    e.preventDefault(); // Tab stays in the editor, even when there is nothing to dedent
  } else if (e.key === 'Enter' && !e.shiftKey) {
    edit = text.enter(ta.value, ta.selectionStart, ta.selectionEnd);
  } else if (e.key === 'Backspace' && !e.shiftKey) {
    edit = text.backspace(ta.value, ta.selectionStart, ta.selectionEnd);
  }
  if (!edit) return;
  e.preventDefault();
  apply(ta, edit);
}

function apply(ta, edit) {
  ta.setSelectionRange(edit.from, edit.to);
  // One undo step each, as for a typed key; "insertText" of "" would do nothing.
  if (edit.insert) document.execCommand('insertText', false, edit.insert);
  else document.execCommand('delete', false);
  ta.setSelectionRange(edit.start, edit.end);
}

function onInput(ed) {
  const value = ed.ta.value;
  mark.line = text.followLine(ed.value, value, mark.line, ed.ta.selectionEnd);
  ed.value = value;
  paint(ed);
}

function paint(ed) {
  const ta = ed.ta;
  const style = getComputedStyle(ta);
  const lines = ta.value.split('\n').length;
  if (lines !== ed.count) {
    const digits = [];
    for (let i = ed.count; i < lines; i++) {
      const n = document.createElement('div');
      n.textContent = String(i + 1);
      digits.push(n);
    }
    while (ed.numbers.childElementCount > lines) ed.numbers.lastChild.remove();
    ed.numbers.append(...digits);
    ed.count = lines;
  }
  ed.numbers.style.paddingTop = style.paddingTop;
  ed.numbers.style.lineHeight = style.lineHeight;
  ed.numbers.style.fontSize = style.fontSize;
  // The text starts right of the gutter, however many digits the last line number has.
  const pad = `${ed.gutter.offsetWidth + 8}px`;
  if (ta.style.paddingLeft !== pad) ta.style.paddingLeft = pad;
  for (const n of ed.numbers.querySelectorAll('.ae-error')) n.classList.remove('ae-error');
  const line = mark.line != null && mark.line <= lines ? mark.line : null;
  ed.ta.classList.toggle('ae-has-error', line != null);
  ed.gutter.dataset.errorLine = line == null ? '' : String(line);
  if (line != null) {
    ed.numbers.children[line - 1].classList.add('ae-error');
    // The band is the textarea's own background, scrolled with its text (attachment local).
    const top = parseFloat(style.paddingTop) + (line - 1) * parseFloat(style.lineHeight);
    ta.style.setProperty('--ae-band-top', `${top}px`);
    ta.style.setProperty('--ae-band-height', style.lineHeight);
  }
  scroll(ed);
}

function scroll(ed) {
  ed.numbers.style.transform = `translateY(${-ed.ta.scrollTop}px)`;
}

// The textarea of now, made an editor, its gutter and band up to date with its text. A
// text the page put there (a preset, the server's value) has no input event: seen here.
let last = { source: null, line: null };
function sync() {
  const ta = document.querySelector(EDITOR);
  if (!ta) return;
  const ed = install(ta);
  if (ta.value !== ed.value) {
    mark.line = ta.value === last.source ? last.line
      : text.followLine(ed.value, ta.value, mark.line);
    ed.value = ta.value;
  }
  paint(ed);
}

export default function (component) {
  const { data } = component;
  watch();
  let fresh = false;
  if (data) {
    // The line is that of the text that ran; lines typed since then move it (sync).
    fresh = data.source !== last.source || data.line !== last.line;
    last = { source: data.source, line: data.line == null ? null : data.line };
    help = data.help || help;
    const keys = document.getElementById('ae-editor-keys');
    if (keys) keys.textContent = help;
    mark.line = last.line;
    const ta = document.querySelector(EDITOR);
    if (ta) install(ta).value = last.source;
  }
  sync();
  requestAnimationFrame(() => { // React may set the textarea's new value after this call
    sync();
    if (fresh) reveal();
  });
}

// A run's error on a line scrolled out of the editor's view: scrolled into the middle of it.
// A textarea just unfolded may not hold its text yet (React sets it a frame later), and
// cannot scroll that far: it is tried again for a few frames.
function reveal(tries = 10) {
  const ta = document.querySelector(EDITOR);
  if (!ta || mark.line == null) return;
  const style = getComputedStyle(ta);
  const height = parseFloat(style.lineHeight);
  const top = parseFloat(style.paddingTop) + (mark.line - 1) * height;
  if (top >= ta.scrollTop && top + height <= ta.scrollTop + ta.clientHeight) return;
  const target = Math.max(0, top - (ta.clientHeight - height) / 2);
  ta.scrollTop = target;
  if (Math.abs(ta.scrollTop - target) > 1 && tries > 0) {
    requestAnimationFrame(() => reveal(tries - 1));
  }
}

// The textarea comes and goes (presentation mode's editor unfolds; a mode switch redraws
// the page): a new one is made an editor as soon as it appears.
function watch() {
  if (globalThis.__aeEditorWatch) return;
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  // Cheap while nothing changed: the player redraws below many times a second.
  globalThis.__aeEditorWatch = new MutationObserver(() => {
    const ta = document.querySelector(EDITOR);
    if (ta && (!ta.__aeEditor || ta.value !== ta.__aeEditor.value)) sync();
  });
  globalThis.__aeEditorWatch.observe(main, { childList: true, subtree: true });
}
