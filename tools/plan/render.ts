/**
 * Turns stack evaluations into what a reviewer reads: a table for the terminal, markdown for a pull-request
 * comment, JSON for machines. Secret values never get this far as text: they are shown as `[secret]`.
 */
import type { StackEvaluation } from "../offline/engine";
import { replaceMarkers } from "../offline/markers";

export const SECRET = "[secret]";
export const UNKNOWN = "[unknown]";
/** What protection means here, under a stack that protects anything (policy production-resources-protected). */
export const PROTECTION_NOTE = "pulumi destroy stops at these before it deletes any client secret, and so does any " +
    "replacement of them; client secrets are never protected, so that a rotation can replace them";

export interface Violation {
    readonly policy: string;
    readonly resource: string;
    readonly message: string;
}

export interface PlannedStack {
    readonly stack: string;
    readonly ok: boolean;
    readonly errors: readonly string[];
    readonly violations: readonly Violation[];
    readonly resources: readonly { type: string; name: string; protect: boolean; inputs: Record<string, unknown> }[];
    readonly outputs: Record<string, unknown>;
}

export interface Plan {
    readonly at: string;
    readonly stacks: readonly PlannedStack[];
}

/** A value as the engine recorded it, with secret and unknown markers replaced by their placeholders. */
export function renderValue(value: unknown): unknown {
    return replaceMarkers(value, { secret: () => SECRET, unknown: () => UNKNOWN });
}

/** `projectErrors`: what the checks across the project's stacks found in this one (a clash with another stack). */
export function planStack(evaluation: StackEvaluation, violations: readonly Violation[] = [],
    projectErrors: readonly string[] = []): PlannedStack {
    return {
        stack: evaluation.stack,
        ok: evaluation.ok && violations.length === 0 && projectErrors.length === 0,
        errors: [...evaluation.errors, ...projectErrors],
        violations,
        resources: evaluation.resources.map((resource) => ({
            type: resource.type,
            name: resource.name,
            protect: resource.protect,
            inputs: renderValue(resource.inputs) as Record<string, unknown>,
        })),
        outputs: Object.fromEntries(
            Object.entries(evaluation.outputs).map(([key, output]) => [key, output.secret ? SECRET : renderValue(output.value)]),
        ),
    };
}

export function renderJson(plan: Plan): string {
    return JSON.stringify(plan, null, 2);
}

export function renderTable(plan: Plan): string {
    const lines: string[] = [];
    for (const stack of plan.stacks) {
        lines.push(`Stack ${stack.stack}: ${stack.ok ? "ok" : "FAILED"} (planned at ${plan.at})`);
        for (const resource of stack.resources) {
            lines.push(`  + ${resource.type}  ${resource.name}${resource.protect ? "  [protected]" : ""}`);
            for (const [key, value] of Object.entries(resource.inputs)) {
                lines.push(`      ${key}: ${JSON.stringify(value)}`);
            }
        }
        if (stack.resources.some((resource) => resource.protect)) lines.push(`  [protected]: ${PROTECTION_NOTE}`);
        if (Object.keys(stack.outputs).length > 0) {
            lines.push("  Outputs:");
            for (const [key, value] of Object.entries(stack.outputs)) lines.push(`      ${key}: ${JSON.stringify(value)}`);
        }
        for (const error of stack.errors) lines.push(`  error: ${error}`);
        for (const violation of stack.violations) {
            lines.push(`  violation [${violation.policy}] ${violation.resource}: ${violation.message}`);
        }
        lines.push(`  ${stack.resources.length} resources`, "");
    }
    return lines.join("\n");
}

export function renderMarkdown(plan: Plan): string {
    const lines: string[] = [`## Offline plan (at ${plan.at})`, ""];
    for (const stack of plan.stacks) {
        lines.push(`### ${stack.ok ? "✅" : "❌"} Stack \`${stack.stack}\`: ${stack.resources.length} resources`, "");
        for (const error of stack.errors) lines.push(`- **error**: ${escapeMarkdown(error)}`);
        for (const violation of stack.violations) {
            lines.push(`- **${violation.policy}** on \`${violation.resource}\`: ${escapeMarkdown(violation.message)}`);
        }
        if (stack.errors.length + stack.violations.length > 0) lines.push("");
        if (stack.resources.length > 0) {
            lines.push("| Type | Name | Protected |", "| --- | --- | --- |");
            for (const resource of stack.resources) {
                lines.push(`| \`${resource.type}\` | \`${resource.name}\` | ${resource.protect ? "yes" : "no"} |`);
            }
            if (stack.resources.some((resource) => resource.protect)) lines.push("", `Protected: ${PROTECTION_NOTE}.`);
            lines.push("", "<details><summary>Inputs and outputs</summary>", "", "```json",
                JSON.stringify({ resources: stack.resources, outputs: stack.outputs }, null, 2), "```", "", "</details>", "");
        }
    }
    return lines.join("\n");
}

function escapeMarkdown(text: string): string {
    return text.replace(/([|*_`<>])/g, "\\$1");
}
