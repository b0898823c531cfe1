// A tiny element builder: text always goes in as text, never as HTML.
export type Child = Node | string | number | bigint | null | undefined | false | Child[];
type AttrValue = string | number | boolean | null | undefined | ((ev: Event) => void);

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, AttrValue> | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (typeof v === "function") el.addEventListener(k.slice(2).toLowerCase(), v);
      else if (k === "class") el.className = String(v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else if (c instanceof Node) parent.appendChild(c);
    else parent.appendChild(document.createTextNode(String(c)));
  }
}

/** A message's parts (see i18n `tParts`) with each slot drawn by `fill`. */
export function fillParts(parts: (string | { slot: string })[], fill: (slot: string) => Child): Child[] {
  return parts.map((p) => (typeof p === "string" ? p : fill(p.slot)));
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from index.html`);
  return el as T;
}

/**
 * Runs `fn` at most once per animation frame and at most every `minMs`,
 * however often `request()` is called. A timer backs up the frame callback
 * (frames do not run in hidden tabs).
 */
export class FrameScheduler {
  private scheduled = false;
  private last = 0;
  constructor(
    private readonly fn: () => void,
    private readonly minMs = 100,
  ) {}
  request(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = Math.max(0, this.minMs - (performance.now() - this.last));
    const run = () => {
      if (!this.scheduled) return;
      this.scheduled = false;
      this.last = performance.now();
      this.fn();
    };
    setTimeout(() => {
      requestAnimationFrame(run);
      setTimeout(run, 250);
    }, wait);
  }
  /** Runs `fn` now (a pending request is then done). */
  flush(): void {
    this.scheduled = false;
    this.last = performance.now();
    this.fn();
  }
}
