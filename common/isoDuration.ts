/**
 * ISO 8601 durations as Microsoft Graph writes an app management policy's `maxLifetime` ("P90D", "P4DT12H30M5S":
 * Graph v1.0 passwordCredentialConfiguration and keyCredentialConfiguration, a `Duration`, "defined as an ISO 8601
 * duration"). Graph's Edm.Duration is .NET's TimeSpan, which has no calendar: a year counts 365 days and a month 30
 * (System.Xml XsdDuration.TryToTimeSpan, the conversion of XmlConvert.ToTimeSpan).
 */
const MS = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const PATTERN = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** The duration in milliseconds, or undefined for text that is not an ISO 8601 duration of at least one part. */
export function parseIsoDuration(text: string): number | undefined {
    const match = PATTERN.exec(text);
    if (match === null || text === "P" || text.endsWith("T")) return undefined;
    const [years, months, weeks, days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0)) as
        [number, number, number, number, number, number, number];
    return (years * 365 + months * 30 + weeks * 7 + days) * MS.day + hours * MS.hour + minutes * MS.minute +
        Math.round(seconds * MS.second);
}

/** A duration for messages: whole days, with the rest when there is one ("90 days", "4 days 12:30:05"). */
export function describeDuration(ms: number): string {
    const days = Math.floor(ms / MS.day);
    const rest = ms - days * MS.day;
    const dayText = `${days} ${days === 1 ? "day" : "days"}`;
    if (rest === 0) return dayText;
    const clock = new Date(rest).toISOString().slice(11, 19);
    return `${dayText} ${clock}`;
}
