/**
 * Calendar-month arithmetic in UTC. Rotation anchors fall on days 1-28, so adding months never clamps a day
 * to a shorter month and the schedule never drifts.
 */
const MS_PER_DAY = 86_400_000;

/** The date `months` calendar months after `date`, same day and time (UTC); the day must exist in that month. */
export function addMonths(date: Date, months: number): Date {
    const result = new Date(date.getTime());
    result.setUTCMonth(result.getUTCMonth() + months);
    if (result.getUTCDate() !== date.getUTCDate()) {
        throw new RangeError(`${date.toISOString()} plus ${months} months falls on a day that month does not have`);
    }
    return result;
}

/** Whole calendar months from `start` to `end` (negative when `end` is earlier), as a person counts them. */
export function wholeMonthsBetween(start: Date, end: Date): number {
    let months = (end.getUTCFullYear() - start.getUTCFullYear()) * 12 + (end.getUTCMonth() - start.getUTCMonth());
    const startInMonth = start.getTime() - Date.UTC(start.getUTCFullYear(), start.getUTCMonth());
    const endInMonth = end.getTime() - Date.UTC(end.getUTCFullYear(), end.getUTCMonth());
    if (endInMonth < startInMonth) months -= 1;
    return months;
}

export function daysBetween(start: Date, end: Date): number {
    return Math.floor((end.getTime() - start.getTime()) / MS_PER_DAY);
}

/** RFC 3339 in UTC without fractional seconds, the form Graph and the azuread provider print. */
export function toRfc3339(date: Date): string {
    return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** `YYYY-MM-DD` of a UTC date. */
export function toDay(date: Date): string {
    return date.toISOString().slice(0, 10);
}
