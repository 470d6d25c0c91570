// The Copy button on rendered code blocks (MarkdownStream adds `button[data-copy]` next to each
// `pre`): one click listener on the transcript writes the code to the clipboard and says
// "Copied" for a moment. Timers that would restore a label end with the host.
import type { ReactiveController, ReactiveControllerHost } from "lit";

/** How long a button says "Copied". */
const COPIED_MS = 1500;

export interface CopyLabels {
  copy: string;
  copied: string;
}

export class CopyCodeController implements ReactiveController {
  private readonly _timers = new Map<HTMLButtonElement, ReturnType<typeof setTimeout>>();

  constructor(
    host: ReactiveControllerHost,
    private readonly _labels: () => CopyLabels,
  ) {
    host.addController(this);
  }

  /** The transcript's `click` listener (delegated: code blocks come and go as replies render). */
  readonly onClick = (e: Event): void => {
    const button = (e.target as Element).closest?.("button[data-copy]") as HTMLButtonElement | null;
    const code = button?.parentElement?.querySelector("pre")?.textContent;
    if (!button || code == null) return;
    const labels = this._labels();
    void navigator.clipboard?.writeText(code).then(
      () => {
        button.textContent = labels.copied;
        clearTimeout(this._timers.get(button));
        this._timers.set(
          button,
          setTimeout(() => {
            this._timers.delete(button);
            button.textContent = labels.copy;
          }, COPIED_MS),
        );
      },
      () => {},
    );
  };

  hostDisconnected(): void {
    for (const [button, timer] of this._timers) {
      clearTimeout(timer);
      button.textContent = this._labels().copy;
    }
    this._timers.clear();
  }
}
