// Edits the page makes to the texts for the person (a switch in the stacking block, a
// coupon code in the cart): small changes to the lines as written, comments kept, so
// the editors, the share link and the downloads all show what was priced.

const CHILD = /^(\s+)([A-Za-z_]+):\s*([^#]*?)\s*(#.*)?$/;

// The stacking block's lines [start, end) when it is written as a block (one key a line).
function stackingBlock(lines) {
  const start = lines.findIndex((line) => /^stacking:\s*(#.*)?$/.test(line));
  if (start < 0) return null;
  let end = start + 1;
  while (end < lines.length && (/^\s*$/.test(lines[end]) || /^\s/.test(lines[end]))) end++;
  return { start, end };
}

function childIndent(lines, block) {
  for (let i = block.start + 1; i < block.end; i++) {
    const found = /^(\s+)\S/.exec(lines[i]);
    if (found && !lines[i].trim().startsWith("#")) return found[1];
  }
  return "  ";
}

// {base, mode, coupon_with_automatic, coupons_per_order, cap: "on"|"off"|"absent"} or null
// (a key not written is missing).
export function readStacking(text) {
  const lines = text.split("\n");
  const block = stackingBlock(lines);
  if (!block) return null;
  const indent = childIndent(lines, block);
  const found = { cap: "absent" };
  for (let i = block.start + 1; i < block.end; i++) {
    const child = CHILD.exec(lines[i]);
    if (child && child[1] === indent) found[child[2]] = child[3];
    if (lines[i].startsWith(`${indent}max_discount:`)) found.cap = "on";
    else if (lines[i].startsWith(`${indent}# max_discount:`) && found.cap === "absent") found.cap = "off";
  }
  return found;
}

// The text with stacking.KEY set to VALUE (the line rewritten, or added); null if no block.
export function setStacking(text, key, value) {
  const lines = text.split("\n");
  const block = stackingBlock(lines);
  if (!block) return null;
  const indent = childIndent(lines, block);
  for (let i = block.start + 1; i < block.end; i++) {
    const child = CHILD.exec(lines[i]);
    if (child && child[1] === indent && child[2] === key) {
      const at = lines[i].indexOf(":") + 1;
      const rest = lines[i].slice(at);
      const lead = /^\s*/.exec(rest)[0] || " ";
      let tail = rest.slice(lead.length + child[3].length);
      const gap = /^(\s+)#/.exec(tail);
      if (gap) { // keep the comment where it was (at least one space before it)
        const spaces = Math.max(1, gap[1].length + child[3].length - value.length);
        tail = " ".repeat(spaces) + tail.slice(gap[1].length);
      }
      lines[i] = lines[i].slice(0, at) + lead + value + tail;
      return lines.join("\n");
    }
  }
  lines.splice(block.start + 1, 0, `${indent}${key}: ${value}`);
  return lines.join("\n");
}

// The text with the max_discount cap switched on (uncommented) or off (commented out).
export function toggleCap(text, on) {
  const lines = text.split("\n");
  const block = stackingBlock(lines);
  if (!block) return null;
  const indent = childIndent(lines, block);
  for (let i = block.start + 1; i < block.end; i++) {
    if (!on && lines[i].startsWith(`${indent}max_discount:`)) {
      let j = i;
      do {
        lines[j] = `${indent}# ${lines[j].slice(indent.length)}`;
        j++;
      } while (j < block.end && /^\s*$/.test(lines[j]) === false &&
               /^(\s*)/.exec(lines[j])[1].length > indent.length);
      return lines.join("\n");
    }
    if (on && lines[i].startsWith(`${indent}# max_discount:`)) {
      lines[i] = indent + lines[i].slice(indent.length + 2);
      for (let j = i + 1; j < block.end && lines[j].startsWith(`${indent}#  `); j++) {
        lines[j] = indent + lines[j].slice(indent.length + 2);
      }
      return lines.join("\n");
    }
  }
  return null;
}

const PLAIN = /^[A-Za-z0-9_-]+$/;

// The cart text with CODE entered (in its coupons list, or a list added); null when the
// text is neither a JSON object nor a YAML mapping with a findable coupons key.
export function cartWithCoupon(text, code) {
  if (text.trim().startsWith("{")) {
    try {
      const cart = JSON.parse(text);
      cart.coupons = [...(Array.isArray(cart.coupons) ? cart.coupons : []), code];
      return JSON.stringify(cart, null, 2);
    } catch { return null; }
  }
  const written = PLAIN.test(code) ? code : JSON.stringify(code);
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const flow = /^(coupons:\s*\[)([^\]]*)(\].*)$/.exec(lines[i]);
    if (flow) {
      const inner = flow[2].trim();
      lines[i] = flow[1] + (inner ? `${inner}, ${written}` : written) + flow[3];
      return lines.join("\n");
    }
    if (/^coupons:\s*(#.*)?$/.test(lines[i])) {
      const item = /^(\s*)- /.exec(lines[i + 1] || "");
      let end = i + 1; // after the list's last item (the lines indented under the key)
      const inList = (line) => /^\s+\S/.test(line) || (item && item[1] === "" && /^- /.test(line));
      while (end < lines.length && inList(lines[end])) end++;
      lines.splice(end, 0, `${item ? item[1] : "  "}- ${written}`);
      return lines.join("\n");
    }
  }
  const end = text.endsWith("\n") || text === "" ? "" : "\n";
  return `${text}${end}coupons: [${written}]\n`;
}
