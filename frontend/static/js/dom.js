// Tiny DOM builder: h("li", {class: "x", dataset: {id: 1}, onclick}, "text", child) — text is never parsed as HTML.
const listeners = new WeakMap(); // element -> [[type, fn]] added by h(), so morph() can move them to a kept element

export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "style" && typeof value === "object") Object.assign(node.style, value);
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
      if (!listeners.has(node)) listeners.set(node, []);
      listeners.get(node).push([key.slice(2), value]);
    }
    else if (key === "text") node.textContent = value;
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : String(child));
  }
}

/** Replace all children of `node`. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

// --- update in place --------------------------------------------------------------------------------------
// morph(node, ...children) gives `node` the children that fill() would, but keeps every existing element that
// matches a wanted one (same tag, test id and data-*-id keys): a live event then never takes the keyboard focus
// or a screen reader's place away. Kept elements get the new attributes, text and listeners. Only for parts whose
// listeners do not close over other freshly built nodes (those would be the discarded copies).
const KEYS = ["id", "data-testid", "data-user-id", "data-item-id", "data-vote-id", "data-request-id", "data-option-id", "data-document-id", "data-id"];

function keyOf(n) {
  if (n.nodeType !== Node.ELEMENT_NODE) return `#${n.nodeType}`;
  return [n.tagName, ...KEYS.map((k) => n.getAttribute(k) ?? "")].join("|");
}

function patchNode(old, wanted) {
  if (old.nodeType !== Node.ELEMENT_NODE) {
    if (old.nodeValue !== wanted.nodeValue) old.nodeValue = wanted.nodeValue;
    return;
  }
  for (const { name } of [...old.attributes]) if (!wanted.hasAttribute(name)) old.removeAttribute(name);
  for (const { name, value } of [...wanted.attributes]) {
    if (name === "style") old.style.cssText = wanted.style.cssText; // CSSOM: allowed by the strict CSP
    else if (old.getAttribute(name) !== value) old.setAttribute(name, value);
  }
  if (!wanted.hasAttribute("style") && old.hasAttribute("style")) old.style.cssText = "";
  for (const [type, fn] of listeners.get(old) ?? []) old.removeEventListener(type, fn);
  const moved = listeners.get(wanted) ?? [];
  for (const [type, fn] of moved) old.addEventListener(type, fn);
  listeners.set(old, moved);
  patchChildren(old, [...wanted.childNodes]);
}

function patchChildren(parent, wanted) {
  const pool = new Map();
  for (const n of parent.childNodes) {
    const k = keyOf(n);
    if (!pool.has(k)) pool.set(k, []);
    pool.get(k).push(n);
  }
  wanted.forEach((w, i) => {
    const kept = pool.get(keyOf(w))?.shift();
    if (kept) patchNode(kept, w);
    const node = kept ?? w;
    if (parent.childNodes[i] !== node) parent.insertBefore(node, parent.childNodes[i] ?? null);
  });
  for (const rest of pool.values()) for (const n of rest) n.remove();
}

export function morph(node, ...children) {
  const wanted = document.createDocumentFragment();
  append(wanted, children);
  patchChildren(node, [...wanted.childNodes]);
  return node;
}
