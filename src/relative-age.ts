// How the console writes a thread's last activity: "just now", "5 minutes ago", "yesterday".
// Pure: the time, the clock's `now` and the locale in, the phrase out. One
// `Intl.RelativeTimeFormat` per locale is kept, since a long list formats one age per row on
// every tick of the clock.
const formatters = new Map<string, Intl.RelativeTimeFormat>();

function formatter(locale: string | undefined): Intl.RelativeTimeFormat {
  const key = locale ?? "";
  let rtf = formatters.get(key);
  if (!rtf) {
    rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
    formatters.set(key, rtf);
  }
  return rtf;
}

/** The age of `at` at `now` (ms since the epoch) in `locale`; under 45 s it is `justNow`. */
export function relativeAge(at: number, now: number, locale: string | undefined, justNow: string): string {
  const seconds = Math.round((now - at) / 1000);
  if (seconds < 45) return justNow;
  const rtf = formatter(locale);
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return rtf.format(-minutes, "minute");
  const hours = Math.round(minutes / 60);
  if (hours < 24) return rtf.format(-hours, "hour");
  const days = Math.round(hours / 24);
  if (days < 30) return rtf.format(-days, "day");
  const months = Math.round(days / 30);
  if (months < 12) return rtf.format(-months, "month");
  return rtf.format(-Math.round(days / 365), "year");
}
