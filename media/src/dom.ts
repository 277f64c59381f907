/**
 * A tiny element builder for the webview. Text always goes in through textContent, so data from a
 * cluster (names, labels, messages) is never parsed as HTML.
 */
type Child = Node | string | number | undefined | null | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    // Event handlers are wired with addEventListener by the caller; an "on…" attribute would be
    // inline script, which the CSP blocks anyway.
    if (name.startsWith('on')) throw new Error(`h(): use addEventListener, not the ${name} attribute`);
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** An SVG element (createElementNS; attributes only, no children but other SVG elements and text). */
export function svg(tag: string, attrs: Record<string, string | number> = {}, ...children: (Node | string | undefined)[]): SVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name.startsWith('on')) throw new Error(`svg(): use addEventListener, not the ${name} attribute`);
    el.setAttribute(name, String(value));
  }
  for (const child of children) if (child !== undefined) el.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  return el;
}
