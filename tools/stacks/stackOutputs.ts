/**
 * A stack's outputs, as `pulumi stack output --json` prints them: from the Pulumi CLI (`--stack NAME`), or from a
 * file or standard input (`--from FILE|-`) on a machine without the CLI.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { text } from "node:stream/consumers";

/** Outputs that could not be had; the message is one line for the user. */
export class OutputsError extends Error {}

export type OutputsSource = { readonly stack: string } | { readonly from: string };

export interface ReadOptions {
    /** Ask the CLI for secret values too (`--show-secrets`); only the env-file command needs them. */
    readonly showSecrets: boolean;
}

export async function readStackOutputs(source: OutputsSource, options: ReadOptions): Promise<Record<string, unknown>> {
    if ("stack" in source) return parseOutputs(await runPulumiStackOutput(source.stack, options), `stack ${source.stack}`);
    const origin = source.from === "-" ? "standard input" : source.from;
    let json: string;
    try {
        json = source.from === "-" ? await text(process.stdin) : await readFile(source.from, "utf8");
    } catch (error) {
        throw new OutputsError(`cannot read ${origin}: ${(error as Error).message}`);
    }
    return parseOutputs(json, origin);
}

/** Parse and describe a source of outputs; errors name the source, never its content (it may hold a secret). */
export function parseOutputs(json: string, origin: string): Record<string, unknown> {
    let parsed: unknown;
    try {
        parsed = JSON.parse(json);
    } catch {
        throw new OutputsError(`${origin} is not JSON; expected what 'pulumi stack output --json' prints`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new OutputsError(`${origin} is not a JSON object; expected what 'pulumi stack output --json' prints`);
    }
    return parsed as Record<string, unknown>;
}

function runPulumiStackOutput(stack: string, options: ReadOptions): Promise<string> {
    const args = ["stack", "output", "--json", ...(options.showSecrets ? ["--show-secrets"] : []), "--stack", stack];
    return new Promise((resolvePromise, reject) => {
        execFile("pulumi", args, { cwd: process.cwd(), maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
            if (error === null) {
                resolvePromise(stdout);
            } else if ((error as NodeJS.ErrnoException).code === "ENOENT") {
                reject(new OutputsError("the Pulumi CLI is not on PATH: install it " +
                    "(https://www.pulumi.com/docs/install/) or pass the outputs with --from FILE"));
            } else if (/no stack named/i.test(stderr)) {
                reject(new OutputsError(`no stack named ${JSON.stringify(stack)}: 'pulumi stack ls' lists the stacks`));
            } else {
                const firstLine = stderr.split("\n").find((line) => line.trim() !== "") ?? `exit code ${String(error.code)}`;
                reject(new OutputsError(`'pulumi ${args.join(" ")}' failed: ${firstLine.trim()}`));
            }
        });
    });
}
