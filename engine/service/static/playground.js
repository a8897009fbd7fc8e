// The playground page: two editors, the priced result, why a promotion did what it did.
// Every edit is linted and priced by this service (nothing else is contacted); the
// state travels only in the share link's fragment, which never reaches a server.
import { Editor } from "./editor.js";
import { cartWithCoupon, readStacking, setStacking, toggleCap } from "./texts.js";

const $ = (id) => document.getElementById(id);
const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);

const QUIET_MS = 25; // a burst of keystrokes is priced once; at most one request in flight

const state = {
  samples: [], rulesetFile: "ruleset.yaml", cartFile: "cart.yaml",
  result: null, previous: null, promotions: {}, cartLines: {}, trace: null,
  selected: null, inFlight: false, pending: false, editAt: null, timer: null,
  freshBaseline: true,
};
const timings = []; // ms from an edit to its result on screen (read by the benchmark)
window.playground = { timings, state };

const rulesetEditor = new Editor($("ruleset-editor"), "ruleset-text", () => edited(true));
const cartEditor = new Editor($("cart-editor"), "cart-text", () => edited(false));

function edited(ruleset) {
  if (state.editAt === null) state.editAt = performance.now();
  if (ruleset) showStacking();
  clearTimeout(state.timer);
  state.timer = setTimeout(run, QUIET_MS);
}

function body(extra = {}) {
  const at = $("at").value.trim();
  return { ruleset: rulesetEditor.text, cart: cartEditor.text, ...(at ? { at } : {}), ...extra };
}

async function post(kind, data) {
  const response = await fetch(`/v1/playground/${kind}`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(data),
  });
  const type = response.headers.get("content-type") || "";
  return { status: response.status, data: type.includes("json") ? await response.json() : await response.text() };
}

async function run() {
  if (state.inFlight) { state.pending = true; return; }
  state.inFlight = true;
  const editAt = state.editAt;
  state.editAt = null;
  try {
    const sent = body();
    const evaluate = state.selected ? "evaluate?explain=true" : "evaluate";
    const [lint, priced] = await Promise.all([post("lint", sent), post(evaluate, sent)]);
    show(lint, priced);
  } catch (error) {
    say(`The playground's service did not answer (${error.message}); is promo play still running?`, true);
  }
  state.inFlight = false;
  if (editAt !== null) {
    timings.push(performance.now() - editAt);
    document.dispatchEvent(new CustomEvent("playground:rendered"));
  }
  if (state.pending) { state.pending = false; run(); }
}

function say(text, stale = false) {
  $("status").textContent = text;
  $("status").classList.toggle("stale", stale);
}

function show(lint, priced) {
  if (lint.status === 200) {
    const all = lint.data.diagnostics;
    showDiagnostics("ruleset", rulesetEditor, all.filter((d) => d.document === "ruleset"));
    showDiagnostics("cart", cartEditor, all.filter((d) => d.document === "cart"));
    state.promotions = lint.data.promotions;
    state.cartLines = lint.data.cart_lines;
  }
  if (priced.status === 200) {
    state.previous = state.freshBaseline ? null : state.result;
    state.freshBaseline = false;
    state.result = priced.data.result;
    state.trace = priced.data.explain || null;
    state.promotions = priced.data.promotions;
    state.cartLines = priced.data.cart_lines;
    const r = state.result;
    const was = state.previous && state.previous.total !== r.total ? ` (was ${state.previous.total})` : "";
    say(`Total ${r.total} ${r.currency}${was}, discount ${r.total_discount}; evaluated at ${r.at}.`);
    renderResult();
    renderChanges();
  } else if (priced.status === 422 && priced.data.diagnostics) {
    const first = priced.data.diagnostics[0];
    say(`The ${first.document} does not load (line ${first.line}, column ${first.column}: ` +
        `${first.code}); ${state.result ? "the result below is the last valid one" : "no result yet"}.`, true);
  } else {
    say(`The service refused the request: ${priced.data.detail || priced.status}`, true);
  }
  if (state.selected) {
    renderWhy(state.selected);
    if (!state.trace && priced.status === 200) refresh(); // asked for before the click
  }
}

// Price again now (no edit to time): for the trace when a promotion is first clicked.
function refresh() {
  clearTimeout(state.timer);
  state.timer = setTimeout(run, 0);
}

function showDiagnostics(document, editor, found) {
  editor.setDiagnostics(found);
  const list = $(`${document}-diagnostics`);
  list.innerHTML = found.map((d, i) => `<li class="${esc(d.severity)}"><button type="button" data-i="${i}">
    line ${d.line}, column ${d.column}: <span class="code-tag">${esc(d.code)}</span>
    ${esc(d.severity)}: ${esc(d.message)}${d.hint ? ` (${esc(d.hint)})` : ""}</button></li>`).join("");
  list.querySelectorAll("button").forEach((button) => button.addEventListener("click", () => {
    const d = found[Number(button.dataset.i)];
    editor.reveal(d.line, d.column);
  }));
}

// ----------------------------------------------------------------- the result

// Adds amounts written with the currency's decimals (all the same), exactly: the sum of
// a cart's shipments, which the result does not spell out.
function sumMoney(amounts) {
  const scale = amounts.length ? (amounts[0].split(".")[1] || "").length : 0;
  const total = amounts.reduce((sum, a) => sum + BigInt(a.replace(".", "")), 0n);
  const digits = total.toString().padStart(scale + 1, "0");
  return scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
}

function renderResult() {
  const r = state.result;
  const shipping = r.shipping;
  // A gift line is no cart line: marked so (its name, when the ruleset gives one).
  const lines = r.lines.map((line) => `<tr data-line-id="${esc(line.id)}"${line.gift ? ' class="gift"' : ""}>
      <td>${line.gift ? `<span class="gift-tag">gift</span> ${line.name ? `${esc(line.name)} ` : ""}` : ""}${esc(line.id)} <small>${esc(line.sku)}</small>
        ${line.discounts.map((d) => `<br><small>${esc(d.promotion)} −${d.amount}</small>`).join("")}</td>
      <td class="money">${line.quantity} × ${line.unit_price}</td><td class="money">${line.total}</td>
      <td class="money" data-key="line:${esc(line.id)}:discount">${line.discount}</td>
      <td class="money" data-key="line:${esc(line.id)}:final">${line.final_total}</td></tr>`).join("");
  const ship = shipping ? `<tr><td>shipping: ${esc(shipping.method)}
        ${shipping.discounts.map((d) => `<br><small>${esc(d.promotion)} −${d.amount}</small>`).join("")}</td>
      <td></td><td class="money">${shipping.price}</td>
      <td class="money" data-key="shipping:discount">${shipping.discount}</td>
      <td class="money" data-key="shipping:final">${shipping.final}</td></tr>` : "";
  const shipments = (r.shipments || []).map((s) => `<tr data-shipment-id="${esc(s.id)}">
      <td>shipment ${esc(s.id)}: ${esc(s.method)}${s.seller ? ` <small>${esc(s.seller)}</small>` : ""}
        ${s.discounts.map((d) => `<br><small>${esc(d.promotion)} −${d.amount}</small>`).join("")}</td>
      <td></td><td class="money">${s.price}</td>
      <td class="money" data-key="shipment:${esc(s.id)}:discount">${s.discount}</td>
      <td class="money" data-key="shipment:${esc(s.id)}:final">${s.final}</td></tr>`).join("");
  const shippingFinal = shipping ? shipping.final
    : r.shipments ? sumMoney(r.shipments.map((s) => s.final)) : "—";
  const applied = r.applied.map((a) => promotionButton(a.promotion, `<span>${esc(a.promotion)}
      ${a.coupon ? `<span class="code-tag">${esc(a.coupon)}</span>` : ""}<br>
      <span class="reason">${esc(a.name || "")}</span></span>
      <span class="amount" data-key="applied:${esc(a.promotion)}">−${a.amount}</span>`)).join("");
  const rejected = r.rejected.map((x) => promotionButton(x.promotion, `<span>${esc(x.promotion || x.coupon)}
      <span class="code-tag">${esc(x.code)}</span><br><span class="reason">${esc(x.reason)}</span></span>`,
      x.promotion === null)).join("");
  const capped = r.capped.map((c) => `<li>${esc(c.promotion)}: ${esc(c.cap)} cut ${c.before} to ${c.after}</li>`).join("");
  $("summary").innerHTML = `
    <table class="totals" aria-label="Totals"><tr><th>Subtotal</th><th>Discount</th>
      <th>Shipping</th><th>Total</th></tr>
      <tr><td class="money" data-key="subtotal">${r.subtotal}</td>
      <td class="money" data-key="total_discount">${r.total_discount}</td>
      <td class="money" data-key="shipping:final">${shippingFinal}</td>
      <td class="money" id="total" data-key="total">${r.total} ${esc(r.currency)}</td></tr></table>`;
  $("details").innerHTML = `
    <h3>Lines</h3>
    <table aria-label="Priced lines"><tr><th>line</th><th class="money">qty × unit</th>
      <th class="money">total</th><th class="money">discount</th>
      <th class="money">final</th></tr>${lines}${ship}${shipments}</table>
    <h3>Applied (${r.applied.length})</h3><ul class="promotions applied">${applied || "<li>none</li>"}</ul>
    <h3>Rejected (${r.rejected.length})</h3><ul class="promotions rejected">${rejected || "<li>none</li>"}</ul>
    ${capped ? `<h3>Capped</h3><ul>${capped}</ul>` : ""}`;
  $("result").querySelectorAll("button[data-promotion]").forEach((button) =>
    button.addEventListener("click", () => select(button.dataset.promotion)));
}

function promotionButton(id, inner, plain = false) {
  if (plain || !id) return `<li><div class="reason">${inner}</div></li>`;
  const pressed = state.selected === id;
  return `<li><button type="button" data-promotion="${esc(id)}" aria-pressed="${pressed}"
    aria-controls="why">${inner}</button></li>`;
}

// What changed since the previous result: totals, each line's discount and final, and
// each promotion's amount; the cells that changed are highlighted in the tables too.
function figures(r) {
  const out = new Map([["subtotal", r.subtotal], ["total_discount", r.total_discount], ["total", r.total]]);
  if (r.shipping) out.set("shipping:final", r.shipping.final).set("shipping:discount", r.shipping.discount);
  for (const s of r.shipments || []) {
    out.set(`shipment:${s.id}:discount`, s.discount).set(`shipment:${s.id}:final`, s.final);
  }
  for (const line of r.lines) {
    out.set(`line:${line.id}:discount`, line.discount).set(`line:${line.id}:final`, line.final_total);
  }
  for (const a of r.applied) out.set(`applied:${a.promotion}`, a.amount);
  return out;
}

const LABELS = { subtotal: "subtotal", total_discount: "total discount", total: "total" };

function renderChanges() {
  const section = $("changes");
  if (!state.previous) { section.hidden = true; return; }
  const before = figures(state.previous);
  const now = figures(state.result);
  const rows = [];
  for (const key of new Set([...before.keys(), ...now.keys()])) {
    if (before.get(key) === now.get(key)) continue;
    const [kind, id, what] = key.split(":");
    const label = LABELS[key] || (kind === "line" || kind === "shipment" ? `${kind} ${id} ${what}`
      : kind === "shipping" ? `shipping ${id}` : `${id} (applied amount)`);
    rows.push(`<tr><th scope="row">${esc(label)}</th><td class="money">${esc(before.get(key) ?? "—")}</td>
      <td class="money">${esc(now.get(key) ?? "not applied")}</td></tr>`);
    $("result").querySelectorAll(`[data-key="${CSS.escape(key)}"]`).forEach((cell) => cell.classList.add("changed"));
  }
  section.hidden = rows.length === 0;
  $("changes-table").innerHTML = `<tr><th>what</th><th class="money">before</th><th class="money">now</th></tr>${rows.join("")}`;
}

// ----------------------------------------------------------------- why

function select(id) {
  state.selected = state.selected === id ? null : id;
  renderResult();
  renderChanges();
  if (state.selected) {
    renderWhy(id);
    if (!state.trace) refresh();
    $("why-label").focus();
  } else {
    $("why").hidden = true;
    rulesetEditor.setHighlight(null);
    cartEditor.setHighlight(null);
  }
}

function touchedLines(r, id) {
  const traced = state.trace && state.trace.promotions.find((p) => p.id === id);
  if (traced && traced.effect) {
    const lines = traced.effect.lines.filter((line) => line.roles.length)
      .map((line) => ({ id: line.line, amount: Number(line.final || 0) }));
    return { lines, shipping: Boolean(traced.effect.shipping) };
  }
  const lines = r.lines.filter((line) => line.discounts.some((d) => d.promotion === id))
    .map((line) => ({ id: line.id, amount: line.discounts.filter((d) => d.promotion === id)
      .reduce((sum, d) => sum + Number(d.amount), 0) }));
  const shipping = r.shipping && r.shipping.discounts.some((d) => d.promotion === id);
  return { lines, shipping };
}

function renderWhy(id) {
  const r = state.result;
  if (!r) return;
  const applied = r.applied.find((a) => a.promotion === id);
  const rejected = r.rejected.find((x) => x.promotion === id);
  const span = state.promotions[id];
  const touched = touchedLines(r, id);
  const cartRanges = touched.lines.map((line) => state.cartLines[line.id]).filter(Boolean);
  rulesetEditor.setHighlight(span ? [span] : null);
  cartEditor.setHighlight(cartRanges);
  $("result").querySelectorAll("tr[data-line-id]").forEach((row) =>
    row.classList.toggle("touched", touched.lines.some((line) => line.id === row.dataset.lineId)));
  const fate = applied ? `applied: −${applied.amount} (items ${applied.items}, shipping ${applied.shipping})`
    : rejected ? `rejected: ${rejected.code}, ${rejected.reason}` : "not in this result";
  const where = span ? `<button type="button" id="why-goto">ruleset lines ${span.line}–${span.end_line}</button>` : "not found in the text";
  const lines = touched.lines.length || touched.shipping ? touched.lines.map((line) =>
    `${esc(line.id)}${state.cartLines[line.id] ? ` (cart lines ${state.cartLines[line.id].line}–${state.cartLines[line.id].end_line})` : ""}`)
    .concat(touched.shipping ? ["shipping"] : []).join(", ") : "none";
  $("why-body").innerHTML = `<p><strong>${esc(id)}</strong> ${esc(fate)}</p>
    <p>Written at ${where}. Cart lines it ${state.trace ? "took" : "discounted"}: ${lines}.</p>${traceHtml(id)}`;
  $("why").hidden = false;
  $("why-body").querySelectorAll("button.part").forEach((button) =>
    button.addEventListener("click", () => selectPart(button)));
  const goto = $("why-goto");
  if (goto) goto.addEventListener("click", () => rulesetEditor.reveal(span.line, 1));
}

// The explain trace of one promotion (the service's ``explain``): each step, each part
// of each condition with its value and truth (a button that selects its text in the
// ruleset), each line the effect looked at.
const mark = (passed) => passed === null || passed === undefined ? "" :
  `<span class="${passed}">${passed ? "✓" : "✗"}<span class="sr-only">${passed ? " passed" : " failed"}</span></span> `;
const valueText = (value) => value === null || value === undefined ? "missing" : JSON.stringify(value);

function traceHtml(id) {
  if (!state.trace) return '<p class="note">Loading the trace…</p>';
  const p = state.trace.promotions.find((x) => x.id === id);
  if (!p) return "";
  const steps = [];
  const c = p.coupon;
  steps.push(`<li>${mark(c.passed)}coupon: ${c.needs_code ? (c.entered ? `entered ${esc(c.entered)}` :
    "needs a code; none entered") : "none needed"}</li>`);
  const w = p.window;
  steps.push(`<li>${mark(w.passed)}window: ${esc(w.starts || "always")} ≤ at ${esc(w.at)} &lt; ${esc(w.ends || "forever")}</li>`);
  for (const condition of p.conditions) {
    steps.push(`<li>${mark(condition.root.truth)}${esc(condition.field)}${condition.per_line ? " (per line)" : ""}
      <ul class="trace">${partHtml(condition.root)}</ul></li>`);
  }
  if (p.limits) {
    steps.push(`<li>${mark(p.limits.passed)}limits: ${esc(Object.entries(p.limits.declared || {})
      .map(([k, v]) => `${k} ${v}`).join(", ") || "none")}${p.limits.store ? "" : " (no usage store: a dry run)"}</li>`);
  }
  if (p.stacking) {
    const s = p.stacking;
    steps.push(`<li>${mark(s.passed)}stacking: ${s.exclusive ? "exclusive" : ""} ${s.group ? `group ${esc(s.group)}` : ""}
      ${s.reason ? `— ${esc(s.reason)}` : ""}</li>`);
  }
  if (p.effect) steps.push(`<li>${effectHtml(p.effect)}</li>`);
  for (const effect of p.effects || []) steps.push(`<li>${effectHtml(effect)}</li>`);  // an effects list
  return `<div class="trace-block"><p>decided by <strong>${esc(p.decided_by)}</strong>:
    ${esc(p.outcome)}${p.amount ? ` ${esc(p.amount)}` : ""}${p.code ? ` (${esc(p.code)})` : ""}</p>
    <ul class="trace steps">${steps.join("")}</ul></div>`;
}

function partHtml(part) {
  const span = part.span || {};
  let outcome;
  if (part.lines) {
    outcome = part.lines.map((line) => part.tested ? `${esc(line.line)} ${mark(line.truth)}` :
      `${esc(line.line)} = ${esc(valueText(line.value))}`).join(" ");
  } else {
    outcome = part.tested ? `${mark(part.truth)}` : `= ${esc(valueText(part.value))}`;
  }
  const children = part.children && part.children.length && part.kind !== "literal"
    ? `<ul class="trace">${part.children.filter((child) => child.kind !== "literal").map(partHtml).join("")}</ul>` : "";
  return `<li><button type="button" class="part" data-line="${span.line}" data-col="${span.col}"
    data-end-line="${span.end_line}" data-end-col="${span.end_col}"
    title="select it in the ruleset (line ${span.line}, column ${span.col})">${esc(part.text)}</button>
    <span class="outcome">${outcome}</span>${children}</li>`;
}

function effectHtml(effect) {
  const lines = effect.lines.map((line) => line.why_not
    ? `<li>${esc(line.line)}: not taken, ${esc(line.why_not)}</li>`
    : `<li>${esc(line.line)} (${esc(line.roles.join(", "))}): base ${esc(line.base)}, ${esc(line.units)} of
      ${esc(line.quantity)} units, exact ${esc(line.exact)} → ${esc(line.computed)}, final ${esc(line.final)}</li>`).join("");
  const caps = (effect.caps || []).map((cap) => `<li>cap: ${esc(JSON.stringify(cap))}</li>`).join("");
  return `${mark(effect.final !== null && effect.final !== "0.00")}effect: ${esc(effect.kind)}
    ${esc(Object.entries(effect.spec || {}).map(([k, v]) => `${k} ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", "))}
    (base ${esc(effect.base)}, rounding ${esc(effect.rounding)})
    <ul class="trace">${lines}${caps}<li>computed ${esc(effect.computed)}, final ${esc(effect.final)}</li></ul>`;
}

function selectPart(button) {
  const d = button.dataset;
  const text = rulesetEditor.text.split("\n");
  const offset = (line, col) => text.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + col - 1;
  rulesetEditor.reveal(Number(d.line));
  rulesetEditor.area.focus();
  rulesetEditor.area.setSelectionRange(offset(Number(d.line), Number(d.col)),
    offset(Number(d.endLine), Number(d.endCol)));
}

// ----------------------------------------------------------------- try things

function showStacking() {
  const found = readStacking(rulesetEditor.text);
  const controls = ["stacking-base", "stacking-mode", "stacking-with-automatic", "stacking-coupons",
    "stacking-cap"];
  controls.forEach((id) => { $(id).disabled = !found; });
  if (!found) {
    $("stacking-note").textContent = "no stacking block written one key per line";
    return;
  }
  $("stacking-note").textContent = "";
  if (found.base) $("stacking-base").value = found.base;
  $("stacking-mode").value = found.mode || "priority"; // (the default when not written)
  $("stacking-with-automatic").checked = found.coupon_with_automatic === "true";
  $("stacking-coupons").value = found.coupons_per_order ?? "";
  $("stacking-cap").checked = found.cap === "on";
  $("stacking-cap").disabled = found.cap === "absent";
  $("stacking-note").textContent = found.cap === "absent" ? "(no max_discount to switch)" : "";
}

function rewriteRuleset(text) {
  if (text === null || text === rulesetEditor.text) return;
  rulesetEditor.text = text;
  edited(true);
}

$("stacking-base").addEventListener("change", (e) => rewriteRuleset(setStacking(rulesetEditor.text, "base", e.target.value)));
$("stacking-mode").addEventListener("change", (e) => rewriteRuleset(setStacking(rulesetEditor.text, "mode", e.target.value)));
$("stacking-with-automatic").addEventListener("change", (e) =>
  rewriteRuleset(setStacking(rulesetEditor.text, "coupon_with_automatic", String(e.target.checked))));
$("stacking-coupons").addEventListener("change", (e) => {
  if (/^\d+$/.test(e.target.value)) rewriteRuleset(setStacking(rulesetEditor.text, "coupons_per_order", e.target.value));
});
$("stacking-cap").addEventListener("change", (e) => rewriteRuleset(toggleCap(rulesetEditor.text, e.target.checked)));
$("at").addEventListener("input", () => edited(false));

$("coupon-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const code = $("coupon").value.trim();
  if (!code) return;
  const text = cartWithCoupon(cartEditor.text, code);
  if (text === null) { say("The cart's coupons could not be found to add the code: add it in the text.", true); return; }
  cartEditor.text = text;
  $("coupon").value = "";
  edited(false);
});

// ----------------------------------------------------------------- samples

function fillSelect(select, names, chosen) {
  select.innerHTML = names.map((name) => `<option ${name === chosen ? "selected" : ""}>${esc(name)}</option>`).join("");
}

function loadRuleset(id, cartName) {
  const ruleset = state.samples.find((s) => s.id === id) || state.samples[0];
  if (!ruleset) return;
  state.rulesetFile = ruleset.file;
  fillSelect($("ruleset-sample"), state.samples.map((s) => s.id), ruleset.id);
  fillSelect($("cart-sample"), ruleset.carts.map((c) => c.name), cartName);
  rulesetEditor.text = ruleset.text;
  const cart = ruleset.carts.find((c) => c.name === cartName) || ruleset.carts[0];
  loadCart(cart);
  showStacking();
}

function loadCart(cart) {
  state.cartFile = cart ? cart.name : "cart.yaml";
  cartEditor.text = cart ? cart.text : "";
  startOver();
}

function startOver() {
  state.freshBaseline = true;
  state.selected = null;
  $("why").hidden = true;
  rulesetEditor.setHighlight(null);
  cartEditor.setHighlight(null);
  edited(false);
}

$("ruleset-sample").addEventListener("change", (e) => {
  const ruleset = state.samples.find((s) => s.id === e.target.value);
  if (ruleset) loadRuleset(ruleset.id, preferred(ruleset.carts));
});
$("cart-sample").addEventListener("change", (e) => {
  const ruleset = state.samples.find((s) => s.id === $("ruleset-sample").value);
  loadCart(ruleset && ruleset.carts.find((c) => c.name === e.target.value));
});

// ----------------------------------------------------------------- share and save

const base64url = (bytes) => {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};
const unbase64url = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

async function squeeze(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return base64url(new Uint8Array(await new Response(stream).arrayBuffer()));
}

async function unsqueeze(data) {
  const stream = new Blob([unbase64url(data)]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return await new Response(stream).text();
}

$("share").addEventListener("click", async () => {
  const shared = { v: 1, ruleset: rulesetEditor.text, cart: cartEditor.text, at: $("at").value.trim() };
  const link = `${location.origin}${location.pathname}#s=${await squeeze(JSON.stringify(shared))}`;
  $("share-link").value = link;
  history.replaceState(null, "", link);
  $("share-link").select();
  try { await navigator.clipboard.writeText(link); say("Share link copied: it holds the ruleset and the cart."); }
  catch { say("Share link ready: copy it from the box."); }
});

async function restoreShared() {
  const found = /^#s=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!found) return false;
  try {
    const shared = JSON.parse(await unsqueeze(found[1]));
    rulesetEditor.text = String(shared.ruleset ?? "");
    cartEditor.text = String(shared.cart ?? "");
    $("at").value = String(shared.at ?? "");
    showStacking();
    startOver();
    return true;
  } catch (error) {
    say(`This share link cannot be read (${error.message}).`, true);
    return false;
  }
}
window.addEventListener("hashchange", restoreShared);

function download(name, text, type = "application/yaml") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

$("download-ruleset").addEventListener("click", () => download(state.rulesetFile, rulesetEditor.text));
$("download-cart").addEventListener("click", () => download(state.cartFile, cartEditor.text));
$("download-test").addEventListener("click", async () => {
  const answer = await post("ruletest", body());
  if (answer.status !== 200) { say(`No rule test: ${answer.data.detail || answer.status}`, true); return; }
  download(`${state.cartFile.replace(/\.(ya?ml|json)$/, "")}-test.yaml`, answer.data);
});

// ----------------------------------------------------------------- start

// The cart to open with: one named on the command line (listed first), else the
// ruleset's example, else its first sample.
function preferred(carts) {
  if (!carts.length) return null;
  return (carts.find((c) => c.given) || carts.find((c) => c.name === "example.yaml") || carts[0]).name;
}

async function start() {
  const answer = await fetch("/v1/playground/samples");
  state.samples = (await answer.json()).rulesets;
  if (!(await restoreShared())) {
    const first = state.samples[0];
    if (first) loadRuleset(first.id, preferred(first.carts));
  } else {
    fillSelect($("ruleset-sample"), state.samples.map((s) => s.id), null);
  }
}

start();
