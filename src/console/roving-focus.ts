import type { ReactiveController, ReactiveControllerHost } from "lit";

/**
 * The thread list's roving tabindex: one row is in the Tab order, the arrow keys, Home and End
 * move it, and a row asked for (by a key, or by the phone's back button) takes the focus once the
 * host has rendered it. Rows are `button[data-id]` in the host's render root.
 */
export class RovingFocusController implements ReactiveController {
  /** The row that takes Tab focus; follows the keys and the last row opened. */
  private focusId: string | null = null;
  private pending = false;

  constructor(private readonly host: ReactiveControllerHost & HTMLElement & { renderRoot: ParentNode }) {
    host.addController(this);
  }

  /** The row in the Tab order among `ids`: the one last moved to, else `open`, else the first. */
  tabStop(ids: readonly string[], open: string | null): string | null {
    if (this.focusId !== null && ids.includes(this.focusId)) return this.focusId;
    if (open !== null && ids.includes(open)) return open;
    return ids[0] ?? null;
  }

  /** A row was opened: it keeps the Tab stop. */
  opened(id: string): void {
    this.focusId = id;
  }

  /** Focus the Tab stop after the next render (`id` null: the row last moved to or opened). */
  focusAfterRender(id: string | null = this.focusId): void {
    this.focusId = id;
    this.pending = true;
    this.host.requestUpdate();
  }

  /** Signed out: no row is remembered. */
  reset(): void {
    this.focusId = null;
  }

  /** A key on the list of `ids` (in list order): moves the focus for the navigation keys. */
  keydown(e: KeyboardEvent, ids: readonly string[]): void {
    if (ids.length === 0) return;
    const current = (e.target as Element).closest?.("button[data-id]") as HTMLButtonElement | null;
    const next = rovingTarget(e.key, current ? ids.indexOf(current.dataset.id!) : -1, ids.length);
    if (next === null) return;
    e.preventDefault();
    this.focusAfterRender(ids[next]!);
  }

  hostUpdated(): void {
    if (!this.pending) return;
    this.pending = false;
    if (this.focusId === null) return;
    this.host.renderRoot.querySelector<HTMLButtonElement>(`button[data-id="${CSS.escape(this.focusId)}"]`)?.focus();
  }
}

/** The row the arrow, Home and End keys move to in a list of `length` rows, or null for other keys. */
export function rovingTarget(key: string, index: number, length: number): number | null {
  switch (key) {
    case "ArrowDown":
      return Math.min(length - 1, index + 1);
    case "ArrowUp":
      return Math.max(0, index - 1);
    case "Home":
      return 0;
    case "End":
      return length - 1;
    default:
      return null;
  }
}
