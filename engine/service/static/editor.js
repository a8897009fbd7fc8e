// A small code editor: a plain <textarea> (native keyboard, undo, selection and screen
// reader support) over a highlighted copy of its text that shows YAML colours, line
// numbers, diagnostics at their line and column, and highlighted lines.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
const escape = (text) => text.replace(/[&<>"]/g, (c) => ESCAPES[c]);

// One YAML line as coloured HTML: the comment, a key, a list dash, scalars.
function colour(line) {
  let comment = "";
  const hash = line.search(/(^|\s)#/);
  if (hash >= 0 && !insideQuotes(line, hash)) {
    const at = line[hash] === "#" ? hash : hash + 1;
    comment = `<span class="t-comment">${escape(line.slice(at))}</span>`;
    line = line.slice(0, at);
  }
  const key = /^(\s*(?:-\s+)*)([^\s"'{}\[\],#:][^:{}\[\],]*?|"[^"]*"|'[^']*')(:)(\s|$)/.exec(line);
  let head = "";
  if (key) {
    head = dashes(key[1]) + `<span class="t-key">${escape(key[2])}</span>${key[3]}`;
    line = line.slice(key[1].length + key[2].length + 1);
  } else {
    const dash = /^(\s*(?:-\s+)+)/.exec(line);
    if (dash) {
      head = dashes(dash[1]);
      line = line.slice(dash[1].length);
    }
  }
  return head + scalars(line) + comment;
}

function insideQuotes(line, end) {
  let quote = null;
  for (let i = 0; i < end; i++) {
    const c = line[i];
    if (quote) { if (c === quote) quote = null; } else if (c === '"' || c === "'") quote = c;
  }
  return quote !== null;
}

const dashes = (text) => escape(text).replace(/-/g, '<span class="t-dash">-</span>');

function scalars(text) {
  // numbers and words only as whole values (not the 2026 in nordlicht-fashion-2026)
  return text.replace(/("(?:[^"\\]|\\.)*"?|'[^']*'?)|((?<=^|[\s,\[{:])-?\d+(?:\.\d+)?(?=$|[\s,\]}]))|((?<=^|[\s,\[{:])(?:true|false|null)(?=$|[\s,\]}]))|([&<>])/g,
    (all, string, number, word, special) => {
      if (string) return `<span class="t-string">${escape(string)}</span>`;
      if (number) return `<span class="t-number">${number}</span>`;
      if (word) return `<span class="t-word">${word}</span>`;
      return ESCAPES[special];
    });
}

export class Editor {
  // root: an element to fill; id: the textarea's id (a <label for> names it)
  constructor(root, id, onChange) {
    this.root = root;
    this.diagnostics = [];
    this.highlighted = null; // {line, end_line}[] to mark, or null
    root.innerHTML = `<div class="gutter" aria-hidden="true"><div class="numbers"></div></div>
      <div class="code"><pre class="shown" aria-hidden="true"></pre>
      <textarea id="${id}" spellcheck="false" autocapitalize="off" autocomplete="off"
        wrap="off" aria-describedby="${id.replace("-text", "")}-diagnostics"></textarea></div>`;
    this.area = root.querySelector("textarea");
    this.shown = root.querySelector("pre");
    this.numbers = root.querySelector(".numbers");
    this.area.addEventListener("input", () => { this.render(); onChange(); });
    this.area.addEventListener("scroll", () => this.follow());
    this.area.addEventListener("keydown", (event) => this.key(event));
  }

  get text() { return this.area.value; }

  set text(value) {
    this.area.value = value;
    this.render();
  }

  // Replace the whole text as an edit the user can undo (Ctrl-Z) where the browser can.
  replace(value) {
    this.area.focus();
    this.area.select();
    if (!document.execCommand || !document.execCommand("insertText", false, value)) {
      this.area.value = value;
      this.area.dispatchEvent(new Event("input"));
    }
  }

  key(event) {
    // Tab indents by two spaces; Escape first lets Tab move the focus on (no trap)
    if (event.key === "Escape") { this.escaped = true; return; }
    if (event.key === "Tab" && !event.shiftKey && !this.escaped && !event.ctrlKey &&
        !event.altKey && !event.metaKey) {
      event.preventDefault();
      document.execCommand("insertText", false, "  ");
    }
    this.escaped = false;
  }

  setDiagnostics(diagnostics) {
    this.diagnostics = diagnostics;
    this.render();
  }

  setHighlight(ranges) {
    this.highlighted = ranges && ranges.length ? ranges : null;
    this.render();
    if (this.highlighted) this.reveal(this.highlighted[0].line);
  }

  // Scroll so that a line is in view, and optionally put the caret at line:column.
  reveal(line, column) {
    const height = this.lineHeight();
    const top = (line - 1) * height;
    if (top < this.area.scrollTop || top > this.area.scrollTop + this.area.clientHeight - 2 * height) {
      this.area.scrollTop = Math.max(0, top - this.area.clientHeight / 3);
    }
    if (column !== undefined) {
      const lines = this.area.value.split("\n");
      let offset = 0;
      for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
      offset += Math.max(0, column - 1);
      this.area.focus();
      this.area.setSelectionRange(offset, offset);
    }
    this.follow();
  }

  lineHeight() {
    return parseFloat(getComputedStyle(this.area).lineHeight) || 18;
  }

  follow() {
    this.shown.scrollTop = this.area.scrollTop;
    this.shown.scrollLeft = this.area.scrollLeft;
    this.numbers.style.transform = `translateY(${-this.area.scrollTop}px)`;
  }

  // Lines are redrawn only where their text, marks or diagnostics changed: a keystroke
  // touches one line of the copy, not the whole file.
  render() {
    const lines = this.area.value.split("\n");
    const byLine = new Map();
    for (const d of this.diagnostics) {
      const line = Math.min(Math.max(d.line, 1), lines.length);
      if (!byLine.has(line)) byLine.set(line, []);
      byLine.get(line).push(d);
    }
    const marked = new Set();
    for (const range of this.highlighted || []) {
      for (let n = range.line; n <= range.end_line; n++) marked.add(n);
    }
    const rows = this.shown.children;
    const numbers = this.numbers.children;
    this.drawn = this.drawn || [];
    lines.forEach((text, index) => {
      const n = index + 1;
      const found = byLine.get(n);
      let classes = marked.has(n) ? "ln highlighted" : "ln";
      if (found) classes += found.some((d) => d.severity === "error") ? " has-error" : " has-warning";
      const key = `${classes}\u0000${text}\u0000${found ? JSON.stringify(found) : ""}`;
      if (this.drawn[index] === key && rows[index]) return;
      this.drawn[index] = key;
      const body = found ? markColumns(text, found) + found.map((d) =>
        `<span class="inline-message ${d.severity}">${escape(d.code)} ${escape(d.message)}</span>`).join("")
        : colour(text);
      let row = rows[index];
      let number = numbers[index];
      if (!row) {
        row = document.createElement("span");
        row.dataset.line = String(n);
        this.shown.append(row);
        number = document.createElement("span");
        number.dataset.line = String(n);
        number.textContent = String(n);
        this.numbers.append(number);
      }
      row.className = classes;
      row.innerHTML = body;
      number.className = classes;
    });
    while (rows.length > lines.length) {
      rows[rows.length - 1].remove();
      numbers[numbers.length - 1].remove();
    }
    this.drawn.length = lines.length;
    this.follow();
  }
}

// A line's text with each diagnostic's columns (on this line) underlined.
function markColumns(text, found) {
  const ranges = found.map((d) => {
    const start = Math.min(Math.max(d.column - 1, 0), text.length);
    let end = d.end_line === d.line ? d.end_column - 1 : text.length;
    if (end <= start) end = Math.min(start + 1, Math.max(text.length, start + 1));
    return [start, end, d.severity];
  }).sort((a, b) => a[0] - b[0]);
  let out = "";
  let at = 0;
  for (const [start, end, severity] of ranges) {
    if (start < at) continue;
    out += escape(text.slice(at, start));
    const inside = text.slice(start, end) || " ";
    out += `<mark class="diagnostic ${severity}">${escape(inside)}</mark>`;
    at = Math.max(end, start);
  }
  return out + escape(text.slice(at));
}
