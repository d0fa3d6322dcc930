/**
 * `fleet audit [--fix --yes]`: each stack audited as `npm run audit -- --stack S` audits it (tools/audit), with one
 * sign-in as the deploying identity for the whole run. A stack with findings fails, so the run exits 1; every
 * finding, with its command, is collected for the summary (text and JSON). With --fix the Graph removals are taken
 * from the fleet's Graph budget (budget.ts) before each stack's first write.
 */
import { auditStack, fleetResourceGroups, type ExportState, type StackAudit } from "../audit/audit";
import { fixFindings, repairPending, type FixResult } from "../audit/fix";
import type { RepairPending } from "../audit/pending";
import { countOf, countsText } from "../audit/render";
import type { AzureReader } from "../azure/rest";
import type { GraphBudget } from "./budget";
import type { Fleet } from "./inventory";
import type { Operation } from "./runner";

export interface AuditOptions {
    readonly reader: AzureReader;
    readonly exportState: ExportState;
    readonly fleet: Fleet;
    readonly fix: boolean;
    /** With --fix: the stack's pending creates repaired (`pulumi refresh` and `pulumi import`, tools/audit/pending.ts). */
    readonly repair: RepairPending;
    readonly budget?: GraphBudget;
    /** Called once a stack, with its audit and what --fix did. */
    readonly collect: (audit: StackAudit, fixes: readonly FixResult[] | undefined) => void;
}

export function auditOperation(options: AuditOptions): Operation {
    return async (stack, _worker, progress) => {
        const subscriptionId = stack.config!.subscriptionId;
        progress.step("reading the state, Entra and ARM");
        const audit = await auditStack(stack.stack, options.reader, options.exportState, subscriptionId,
            fleetResourceGroups(options.fleet, subscriptionId));
        let fixes: FixResult[] | undefined;
        if (options.fix && audit.findings.some((finding) => finding.status !== "missing")) {
            progress.step("removing what the stack does not declare");
            fixes = await fixFindings(options.reader, audit.identities, audit.findings, options.budget);
            if (audit.pending.length > 0) {
                progress.step("repairing the pending creates (pulumi refresh, pulumi import)");
                fixes.push(...await repairPending(audit, options.repair));
            }
        }
        options.collect(audit, fixes);
        if (audit.findings.length === 0) return { detail: "clean" };
        const missing = countOf(audit.findings, "missing");
        const pending = countOf(audit.findings, "pending");
        const failedFixes = fixes?.filter((fix) => fix.error !== undefined).length ?? 0;
        if (fixes !== undefined && failedFixes === 0 && missing === 0) {
            return { detail: `removed ${fixes.length - pending} undeclared${pending === 0 ? "" : `, repaired ${pending} pending`}` };
        }
        throw new Error(countsText(audit.findings) + (fixes === undefined ? "" : `, ${fixes.length - failedFixes} removed, ${failedFixes} not removed`));
    };
}
