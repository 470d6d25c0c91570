// New requests for a person are announced (issue 22): the count in the document title while any
// wait, and with the console's `sound`, a short tone when a thread newly needs a person. The tone
// is made with Web Audio, so there is no file to fetch and nothing a strict CSP could block.

/** A soft two-step chime, in seconds and hertz: short enough not to startle. */
const TONES: readonly [at: number, hz: number][] = [
  [0, 880],
  [0.12, 1320],
];
const TONE_SECONDS = 0.18;

export class WaitingAnnouncer {
  /** The page's own title, restored when nobody waits any more. */
  #pageTitle: string | null = null;
  /** The threads waiting at the last update: a thread not among them is a new request. */
  #waiting = new Set<string>();
  #audio: AudioContext | null = null;

  /** `ids`: the threads waiting now; `title`: the count as the title shows it ("2 waiting"). */
  update(ids: readonly string[], title: string, sound: boolean): void {
    const fresh = ids.some((id) => !this.#waiting.has(id));
    this.#waiting = new Set(ids);
    if (fresh && sound) this.#chime();
    if (ids.length === 0) {
      if (this.#pageTitle !== null) document.title = this.#pageTitle;
      this.#pageTitle = null;
      return;
    }
    this.#pageTitle ??= document.title;
    document.title = `(${title}) ${this.#pageTitle}`;
  }

  #chime(): void {
    // Browsers refuse sound before the page's first user gesture: stay quiet until there was one.
    if (navigator.userActivation?.hasBeenActive === false) return;
    try {
      const audio = (this.#audio ??= new AudioContext());
      void audio.resume().catch(() => {});
      for (const [at, hz] of TONES) {
        const start = audio.currentTime + at;
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.frequency.value = hz;
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.15, start + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + TONE_SECONDS);
        osc.connect(gain).connect(audio.destination);
        osc.start(start);
        osc.stop(start + TONE_SECONDS);
      }
    } catch {
      // No Web Audio here: the title and the badge still say it.
    }
  }
}
