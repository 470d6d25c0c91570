// Owns the operator console's `operator:listThreads` subscriptions: one live subscription per
// loaded page. Page N+1 starts where page N ended, and once page N+1 exists page N is pinned to
// that boundary with `endCursor`, the way Convex's own reactive pagination keeps pages
// contiguous: a new thread lands inside the first page (which grows), a thread that starts
// streaming moves up into it, and nothing falls between two pages, whether or not the
// deployment keeps query journals (the local backend does not). Only the last page is sized by
// `numItems`; its `isDone` says whether "Load more" has anything to fetch.
import type { ReactiveController, ReactiveControllerHost } from "lit";
import type { PaginationResult } from "convex/server";
import { api, toErrorInfo, type ChatErrorInfo, type ThreadView } from "../api.js";
import type { ChatClient } from "../convex-pool.js";

export type ThreadListTarget = { client: ChatClient; token: string; pageSize: number } | null;

export interface ThreadListCallbacks {
  /** The first page arrived (the credential works). */
  onReady(): void;
  /** A subscription failed; the list has stopped. `ready`: whether a page had arrived before. */
  onError(info: ChatErrorInfo, ready: boolean): void;
}

type Page = {
  cursor: string | null;
  endCursor: string | null;
  result?: PaginationResult<ThreadView>;
  unsubscribe?: () => void;
};

export class ThreadListController implements ReactiveController {
  /** Threads of all loaded pages in server order (streaming first, then newest activity), each once. */
  threads: ThreadView[] = [];
  /** True once the first page has arrived. */
  ready = false;
  private _pages: Page[] = [];
  private _target: ThreadListTarget = null;
  private _connected = false;

  constructor(
    private readonly _host: ReactiveControllerHost,
    private readonly _cb: ThreadListCallbacks,
  ) {
    _host.addController(this);
  }

  /** More threads exist beyond the loaded pages. */
  get canLoadMore(): boolean {
    const last = this._pages[this._pages.length - 1]?.result;
    return !!last && !last.isDone;
  }

  /** The page "Load more" asked for has not arrived yet. */
  get loadingMore(): boolean {
    return this._pages.length > 1 && !this._pages[this._pages.length - 1]!.result;
  }

  setTarget(target: ThreadListTarget): void {
    const t = this._target;
    if (
      t === target ||
      (t && target && t.client === target.client && t.token === target.token && t.pageSize === target.pageSize)
    )
      return;
    this._stop();
    this._target = target;
    if (this._connected) this._start();
  }

  /** Pins the last page to where it ends now and subscribes to the page after it. */
  loadMore(): void {
    const last = this._pages[this._pages.length - 1];
    if (!last?.result || last.result.isDone || this.loadingMore) return;
    const boundary = last.result.continueCursor;
    this._subscribe(this._pages.length - 1, last.cursor, boundary);
    this._subscribe(this._pages.length, boundary, null);
    this._host.requestUpdate();
  }

  hostConnected(): void {
    this._connected = true;
    this._start();
  }

  hostDisconnected(): void {
    this._connected = false;
    this._stop();
  }

  private _start(): void {
    if (this._target && this._pages.length === 0) this._subscribe(0, null, null);
  }

  private _stop(): void {
    for (const p of this._pages) p.unsubscribe?.();
    this._pages = [];
    this.threads = [];
    this.ready = false;
  }

  private _subscribe(index: number, cursor: string | null, endCursor: string | null): void {
    const target = this._target!;
    const old = this._pages[index];
    old?.unsubscribe?.();
    // A page being re-pinned keeps its rows on screen until the new subscription answers.
    const page: Page = { cursor, endCursor, result: old?.result };
    this._pages[index] = page;
    page.unsubscribe = target.client.onUpdate(
      api.operator.listThreads,
      {
        token: target.token,
        paginationOpts: { numItems: target.pageSize, cursor, ...(endCursor ? { endCursor } : {}) },
      },
      (result) => {
        if (this._pages[index] !== page) return;
        page.result = result;
        this._merge();
        if (!this.ready) {
          this.ready = true;
          this._cb.onReady();
        }
        this._host.requestUpdate();
      },
      (err) => {
        if (this._pages[index] !== page) return;
        const ready = this.ready;
        this._stop();
        this._target = null;
        this._host.requestUpdate();
        this._cb.onError(toErrorInfo(err, err.message), ready);
      },
    );
  }

  private _merge(): void {
    const seen = new Set<string>();
    const threads: ThreadView[] = [];
    for (const p of this._pages) {
      for (const t of p.result?.page ?? []) {
        // A thread moving between pages can show up in both for one update.
        if (seen.has(t._id)) continue;
        seen.add(t._id);
        threads.push(t);
      }
    }
    this.threads = threads;
  }
}
