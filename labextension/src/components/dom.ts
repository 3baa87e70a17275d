/**
 * A tiny element builder for the views (no framework: the sidebar is plain
 * Lumino widgets over DOM nodes).
 */

export type Child = Node | string | null | undefined | false;

/** `h('div', {class: 'x', title: 't'}, child, ...)`; `on*` attributes become listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, unknown> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    } else if (key === 'class') {
      node.className = String(value);
    } else if (key in node && typeof value !== 'string') {
      (node as any)[key] = value;
    } else {
      node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child);
    }
  }
  return node;
}

/** Replace all children of `node`. */
export function mount(node: HTMLElement, ...children: Child[]): void {
  node.replaceChildren(...(children.filter(c => c !== null && c !== undefined && c !== false) as (Node | string)[]));
}

/** A status badge (`running`, `finished`, `failed`, `killed`) styled by `.mlm-badge-<status>`. */
export function badge(status: string): HTMLElement {
  return h('span', { class: `mlm-badge mlm-badge-${status}`, title: status }, status);
}

/** Seconds since epoch -> local `YYYY-MM-DD HH:MM`. */
export function formatTime(epoch: number | null): string {
  if (epoch === null) {
    return '';
  }
  const d = new Date(epoch * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A compact number: 4 significant digits. */
export function formatNumber(value: unknown): string {
  return typeof value === 'number' ? Number(value.toPrecision(4)).toString() : String(value ?? '');
}
