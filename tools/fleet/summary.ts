/**
 * The end of a fleet run: a table a person reads (stack, result, changes, duration, and why a stack failed) and the
 * same as JSON for machines. Both hold only stack names, counts, durations and the engine's error lines: no output
 * value of any stack, so no secret.
 */
import type { Changes, StackRun } from "./runner";
import type { Finding } from "../audit/findings";

export interface FleetSummary {
    readonly verb: string;
    readonly stacks: readonly StackRun[];
    readonly counts: Readonly<Record<"succeeded" | "failed" | "skipped", number>>;
    readonly durationMs: number;
    /** Set when Graph writes were budgeted: the budget per 150 s and what the run's stacks may have written. */
    readonly graphWrites?: { readonly budgetPerWindow: number; readonly planned: number };
    /** `audit`: every finding of the run (tools/audit/findings.ts), and with --fix what was removed. */
    readonly audit?: {
        readonly findings: readonly Finding[];
        readonly fixed?: readonly { stack: string; kind: string; id: string; removed: boolean; error?: string }[];
    };
}

export function summarize(verb: string, stacks: readonly StackRun[], durationMs: number,
    graphWrites?: FleetSummary["graphWrites"]): FleetSummary {
    const counts = { succeeded: 0, failed: 0, skipped: 0 };
    for (const run of stacks) counts[run.result] += 1;
    return { verb, stacks, counts, durationMs, ...(graphWrites === undefined ? {} : { graphWrites }) };
}

/** `create 4, same 2`: the non-zero kinds in the engine's order of interest; `-` when nothing was counted. */
export function describeChanges(changes: Changes | undefined): string {
    if (changes === undefined) return "-";
    const order = ["create", "update", "replace", "delete", "same"];
    const kinds = Object.keys(changes).sort((a, b) => rank(order, a) - rank(order, b) || a.localeCompare(b));
    return kinds.length === 0 ? "none" : kinds.map((kind) => `${kind} ${changes[kind]}`).join(", ");
}

function rank(order: readonly string[], kind: string): number {
    const index = order.indexOf(kind);
    return index === -1 ? order.length : index;
}

export function seconds(ms: number): string {
    return `${(ms / 1000).toFixed(1)} s`;
}

export function renderSummaryTable(summary: FleetSummary): string {
    const rows = summary.stacks.map((run) => [run.stack, run.result, run.detail ?? describeChanges(run.changes), seconds(run.durationMs)]);
    const header = ["stack", "result", "changes", "duration"];
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
    const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd();
    const reasons = summary.stacks.filter((run) => run.reason !== undefined).map((run) => `${run.stack}: ${run.reason}`);
    const { succeeded, failed, skipped } = summary.counts;
    const total = `${summary.verb}: ${summary.stacks.length} stacks, ${succeeded} succeeded, ${failed} failed, ` +
        `${skipped} skipped, in ${seconds(summary.durationMs)}`;
    const budget = summary.graphWrites === undefined ? [] : [`Graph writes: at most ${summary.graphWrites.planned} ` +
        `planned, within a budget of ${summary.graphWrites.budgetPerWindow} per 150 s`];
    const findings = (summary.audit?.findings ?? []).flatMap((finding) => [
        `${finding.stack}: ${finding.status} ${finding.kind} of ${finding.identity}: ${finding.description}`,
        `  ${finding.status === "undeclared" ? "remove" : "restore"}: ${finding.command}`]);
    const fixed = (summary.audit?.fixed ?? []).map((fix) => fix.removed ? `${fix.stack}: removed ${fix.kind} ${fix.id}`
        : `${fix.stack}: could not remove ${fix.kind} ${fix.id}: ${fix.error ?? ""}`);
    const audit = [...findings, ...fixed];
    return [line(header), ...rows.map(line), "", ...reasons, ...(reasons.length > 0 ? [""] : []), ...audit, ...(audit.length > 0 ? [""] : []),
        total, ...budget].join("\n");
}

export function renderSummaryJson(summary: FleetSummary): string {
    return JSON.stringify(summary, null, 2);
}
