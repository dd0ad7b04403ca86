/*
 * Owner dashboard: DOM helpers. h() and svg() build elements from attributes and children
 * (textContent only, never innerHTML; no inline style, the CSP forbids it); reconcile() updates
 * a polled list in place; safeUrl() lets only http(s) links through.
 */

export const $ = (sel, root = document) => root.querySelector(sel);

export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

/** Builds an element. attrs: class, text, dataset, on<event> functions, other attributes. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  appendAll(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** Builds an SVG element (presentation attributes only, no style). */
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  appendAll(el, children);
  return el;
}

function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.setAttribute("class", v);
    else if (k === "text") el.textContent = String(v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "style") throw new Error("inline style is not allowed by the CSP");
    else el.setAttribute(k, v === true ? "" : String(v));
  }
}

export function appendAll(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function setLine(id, text) {
  const el = document.getElementById(id);
  if (el) {
    el.textContent = text || "";
    el.hidden = !text;
  }
}

export function fact(label, ...value) {
  return [h("dt", { text: label }), h("dd", null, ...value)];
}

/** Only http(s) links and same-origin paths may become hrefs. */
export function safeUrl(raw) {
  if (typeof raw !== "string" || !raw) return null;
  try {
    const u = new URL(raw, location.origin);
    if (u.protocol === "https:" || u.protocol === "http:") return u.href;
  } catch (_) {
    /* not a URL */
  }
  return null;
}

export const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** Small stable string hash, to tell whether a list item changed between polls. */
export function sigOf(value) {
  const s = JSON.stringify(value);
  let x = 5381;
  for (let i = 0; i < s.length; i++) x = ((x << 5) + x + s.charCodeAt(i)) | 0;
  return `${s.length}:${x}`;
}

const sigs = new WeakMap();

/**
 * Keyed list update: keeps nodes whose data did not change (so focus, typed text and
 * scroll stay), replaces changed ones (carrying over named inputs), removes the gone.
 */
export function reconcile(container, items, keyOf, render) {
  const old = new Map();
  for (const el of Array.from(container.children)) {
    if (el.dataset && el.dataset.key) old.set(el.dataset.key, el);
    else el.remove();
  }
  let prev = null;
  for (const item of items) {
    const key = String(keyOf(item));
    const sig = sigOf(item);
    let el = old.get(key);
    if (!el || sigs.get(el) !== sig) {
      const fresh = render(item);
      fresh.dataset.key = key;
      sigs.set(fresh, sig);
      if (el) {
        carryOver(el, fresh);
        el.replaceWith(fresh);
      }
      el = fresh;
    }
    old.delete(key);
    const want = prev ? prev.nextSibling : container.firstChild;
    if (el !== want) container.insertBefore(el, want);
    prev = el;
  }
  for (const el of old.values()) el.remove();
}

function carryOver(from, to) {
  for (const input of $$("input[name], textarea[name]", from)) {
    const twin = to.querySelector(`[name="${CSS.escape(input.name)}"]`);
    if (twin && input.value) twin.value = input.value;
  }
  const active = document.activeElement;
  if (active && from.contains(active)) {
    const sel = active.dataset.action
      ? `[data-action="${CSS.escape(active.dataset.action)}"]`
      : active.name
        ? `[name="${CSS.escape(active.name)}"]`
        : null;
    const twin = sel && to.querySelector(sel);
    if (twin) queueMicrotask(() => twin.focus({ preventScroll: true }));
  }
}
