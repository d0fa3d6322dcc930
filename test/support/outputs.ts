/** Stack outputs as `pulumi stack output --json --show-secrets` prints them, from an offline evaluation. */
import { writeFileSync } from "node:fs";
import type { StackEvaluation } from "../../tools/offline/engine";

export function showSecretsJson(evaluation: StackEvaluation): Record<string, unknown> {
    if (!evaluation.ok) throw new Error(`stack ${evaluation.stack} failed: ${evaluation.errors.join("; ")}`);
    return Object.fromEntries(Object.entries(evaluation.outputs).map(([key, output]) => [key, output.value]));
}

export function writeOutputsFile(path: string, outputs: Record<string, unknown>): string {
    writeFileSync(path, JSON.stringify(outputs, null, 2));
    return path;
}
