/**
 * The longest time between two runs of a five-field cron schedule (minute hour day month weekday),
 * in minutes, for the schedules a backup uses: runs every day, every hour. Returns undefined when the
 * schedule skips hours, days, months or weekdays (the gap is then hours or more: never acceptable
 * for a 15-minute backup, and not worth computing exactly).
 */
export function maxGapMinutes(cron: string): number | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5 || fields.slice(1).some((f) => f !== "*")) return undefined;
  const minutes = minuteSet(fields[0]!);
  if (!minutes || minutes.length === 0) return undefined;
  let gap = 0;
  minutes.forEach((m, i) => {
    const next = i + 1 < minutes.length ? minutes[i + 1]! : minutes[0]! + 60;
    gap = Math.max(gap, next - m);
  });
  return gap;
}

/** The minutes of the hour a minute field selects (`*`, `*\/N`, `A-B`, `A-B/N`, lists), ascending. */
function minuteSet(field: string): number[] | undefined {
  const out = new Set<number>();
  for (const part of field.split(",")) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const step = m[4] ? Number(m[4]) : 1;
    const from = m[1] === "*" ? 0 : Number(m[2]);
    const to = m[1] === "*" ? 59 : m[3] !== undefined ? Number(m[3]) : m[4] ? 59 : from;
    if (step < 1 || from > to || to > 59) return undefined;
    for (let x = from; x <= to; x += step) out.add(x);
  }
  return [...out].sort((a, b) => a - b);
}
