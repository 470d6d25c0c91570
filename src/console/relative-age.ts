// How the console writes a thread's last activity: "just now", "5 minutes ago", "yesterday",
// and the full date and time under it. Pure: the time, the clock's `now` and the locale in, the
// text out. One formatter of each kind per locale is kept, since a long list formats every row
// on every tick of the clock.
const formatters = new Map<string, Intl.RelativeTimeFormat>();
const dateFormatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: string | undefined): Intl.RelativeTimeFormat {
  const key = locale ?? "";
  let rtf = formatters.get(key);
  if (!rtf) {
    rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
    formatters.set(key, rtf);
  }
  return rtf;
}

/** `new Date(at).toLocaleString(locale)`, without building a formatter per call. */
export function fullDate(at: number, locale: string | undefined): string {
  const key = locale ?? "";
  let dtf = dateFormatters.get(key);
  if (!dtf) {
    // The fields Date.prototype.toLocaleString shows when given no options.
    const numeric = "numeric" as const;
    dtf = new Intl.DateTimeFormat(locale, {
      year: numeric,
      month: numeric,
      day: numeric,
      hour: numeric,
      minute: numeric,
      second: numeric,
    });
    dateFormatters.set(key, dtf);
  }
  return dtf.format(at);
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
