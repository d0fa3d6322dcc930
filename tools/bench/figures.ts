/** What every part of `npm run bench` reports: samples of one command summed up as a figure, and its table. */

export interface Sample {
    readonly seconds: number;
    readonly maxRssMiB: number | undefined;
}

export interface Figure {
    readonly name: string;
    readonly command: string;
    readonly runs: number;
    readonly median: number;
    readonly min: number;
    readonly max: number;
    readonly ratioToFloor: number;
    readonly peakRssMiB: number | undefined;
}

export function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A figure from one command's samples (the warm-up already left out), before the floor is known. */
export function summarize(name: string, command: string, samples: readonly Sample[]): Omit<Figure, "ratioToFloor"> {
    const seconds = samples.map((sample) => sample.seconds);
    const rss = samples.map((sample) => sample.maxRssMiB).filter((value): value is number => value !== undefined);
    return {
        name, command, runs: samples.length,
        median: median(seconds), min: Math.min(...seconds), max: Math.max(...seconds),
        peakRssMiB: rss.length === 0 ? undefined : Math.max(...rss),
    };
}

/** Each figure with its ratio to `floor`, a figure measured in the same run. */
export function againstFloor(figures: readonly Omit<Figure, "ratioToFloor">[], floor: Omit<Figure, "ratioToFloor">): Figure[] {
    return figures.map((figure) => ({ ...figure, ratioToFloor: figure.median / floor.median }));
}

export function renderTable(figures: readonly Figure[]): string {
    const rows = figures.map((figure) => [
        figure.name, `${figure.median.toFixed(2)} s`, `${figure.min.toFixed(2)} s`, `${figure.max.toFixed(2)} s`,
        `${figure.ratioToFloor.toFixed(2)}x`, figure.peakRssMiB === undefined ? "-" : `${figure.peakRssMiB.toFixed(0)} MiB`,
        String(figure.runs),
    ]);
    const header = ["figure", "median", "min", "max", "vs floor", "peak RSS", "runs"];
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
    const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd();
    return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}
