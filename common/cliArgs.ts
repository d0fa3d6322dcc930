/** Small argument helpers shared by the command-line tools. */

/** A mistake in how a command was called: printed as one line, exit 2. */
export class UsageError extends Error {}

/** `YYYY-MM-DD` (midnight UTC) or a full RFC 3339 instant. */
export function parseDateArgument(flag: string, text: string): Date {
    const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text;
    const date = new Date(iso);
    if (!/^\d{4}-\d{2}-\d{2}(T.+)?$/.test(text) || Number.isNaN(date.getTime())) {
        throw new UsageError(`${flag} is ${JSON.stringify(text)}; expected a date YYYY-MM-DD or an RFC 3339 time`);
    }
    return date;
}

export type OutputsSourceArgs = { stack: string } | { from: string };

/** The parseArgs options that name where a stack's outputs come from, for `outputsSourceFrom`. */
export const OUTPUTS_SOURCE_OPTIONS = {
    stack: { type: "string" },
    from: { type: "string" },
} as const;

/** `--stack NAME` or `--from FILE|-`: exactly one. */
export function outputsSourceFrom(values: { stack?: string | undefined; from?: string | undefined }): OutputsSourceArgs {
    if (values.stack !== undefined && values.from !== undefined) {
        throw new UsageError("--stack and --from name two sources; give one");
    }
    if (values.stack !== undefined) return { stack: values.stack };
    if (values.from !== undefined) return { from: values.from };
    throw new UsageError("say where the outputs come from: --stack NAME (runs the Pulumi CLI) or --from FILE|-");
}

/** A whole number of days, 0 or more. */
export function parseDaysArgument(flag: string, text: string): number {
    if (!/^\d+$/.test(text)) throw new UsageError(`${flag} is ${JSON.stringify(text)}; expected a whole number of days`);
    return Number(text);
}

/** How messages name a source of outputs. */
export function describeSource(source: OutputsSourceArgs): string {
    if ("stack" in source) return `stack ${source.stack}`;
    return source.from === "-" ? "standard input" : source.from;
}

/**
 * Run a command's main() as a program: its result is the exit code; an unexpected error prints one line (no stack
 * trace) and exits with `failureCode`.
 */
export function runCommand(name: string, main: (argv: readonly string[]) => Promise<number>, failureCode = 1): void {
    main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
        console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = failureCode;
    });
}
