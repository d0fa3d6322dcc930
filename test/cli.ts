/** Runs a command-line tool's main() in process, as npm would run it, and captures what it prints. */
import { vi } from "vitest";

export interface CliResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

export async function runCli(main: (argv: readonly string[]) => Promise<number>, args: readonly string[]): Promise<CliResult> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((text: unknown) => { stdout.push(String(text)); });
    const error = vi.spyOn(console, "error").mockImplementation((text: unknown) => { stderr.push(String(text)); });
    try {
        const code = await main(args);
        return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
    } finally {
        log.mockRestore();
        error.mockRestore();
    }
}

/** Runs `body` with `dir` first on PATH (a stand-in for a CLI), or with PATH emptied of every CLI. */
export async function withPath<T>(path: string, body: () => Promise<T>): Promise<T> {
    const saved = process.env["PATH"];
    process.env["PATH"] = path;
    try {
        return await body();
    } finally {
        process.env["PATH"] = saved;
    }
}
