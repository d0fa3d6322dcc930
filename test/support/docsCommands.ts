/**
 * The shell commands a document tells users to run, taken from the document itself so that a test follows them
 * literally: the ```sh block after a given line, with the server's paths moved into a test directory. `sudo` is
 * dropped (the tests run as root, as CI does); nothing else is changed.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../harness";

/** The lines of the first ```sh block after the line containing `after` in the document (a path under the repository). */
export function shellBlock(document: string, after: string): string[] {
    const lines = readFileSync(join(ROOT, document), "utf8").split("\n");
    const start = lines.findIndex((line) => line.includes(after));
    if (start < 0) throw new Error(`${document} has no line containing ${JSON.stringify(after)}`);
    const open = lines.findIndex((line, index) => index > start && line.trim() === "```sh");
    const close = lines.findIndex((line, index) => index > open && line.trim() === "```");
    if (open < 0 || close < 0) throw new Error(`${document} has no sh block after ${JSON.stringify(after)}`);
    return lines.slice(open + 1, close).map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"));
}

/** Runs the lines in the repository's root as root, each path in `paths` (server path → test path) replaced. */
export function runAsDocumented(lines: readonly string[], paths: Readonly<Record<string, string>>): string {
    const script = lines.map((line) => Object.entries(paths)
        .reduce((text, [from, to]) => text.split(from).join(to), line.replace(/^sudo /, "")));
    return execFileSync("bash", ["-euo", "pipefail", "-c", script.join("\n")], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}
