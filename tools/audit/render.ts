/**
 * The audit as a person reads it and as a machine reads it. The JSON carries one object per finding (stack,
 * identity, status, kind, id, objectId, description, command), the shape an alert (issue 29 part 1) keys on:
 * the same stack, kind and id is the same condition from one run to the next. Neither holds a secret: findings
 * carry key IDs, names and end dates, which is all Graph lists of a credential.
 */
import type { Finding } from "./findings";
import type { RoleScopes } from "./observed";

export interface AuditReport {
    readonly stack: string;
    readonly identities: readonly string[];
    readonly roleScopes: RoleScopes;
    readonly findings: readonly Finding[];
}

const VERBS: Readonly<Record<Finding["status"], string>> = { undeclared: "remove", missing: "restore", pending: "repair" };

export const countOf = (findings: readonly Finding[], status: Finding["status"]) => findings.filter((finding) => finding.status === status).length;

/** Where role assignments were read, in words. */
export function describeScopes(scopes: RoleScopes): string {
    if (scopes.read.length === 0) return "no role assignments read (no service principal)";
    const names = scopes.read.map((scope) => scope.split("/").at(-1)!);
    const where = scopes.read.length === 1 && !scopes.read[0]!.includes("/resourceGroups/")
        ? `subscription ${names[0]}` : `resource groups ${names.join(", ")}`;
    return `role assignments read at ${where}` +
        (scopes.refused === undefined ? "" : ` (listing at the subscription was refused: ${scopes.refused})`);
}

/** "N undeclared, M missing", and ", K pending" when any is: the text head's and the fleet's counts. */
export function countsText(findings: readonly Finding[]): string {
    const pending = countOf(findings, "pending");
    return `${countOf(findings, "undeclared")} undeclared, ${countOf(findings, "missing")} missing${pending === 0 ? "" : `, ${pending} pending`}`;
}

export function renderText(report: AuditReport): string {
    const head = `Audit of stack ${report.stack} (${report.identities.length === 0 ? "no app identity in the state" : report.identities.join(", ")}): ` +
        (report.findings.length === 0 ? "clean" : countsText(report.findings)) + `; ${describeScopes(report.roleScopes)}`;
    const lines = [head];
    for (const finding of report.findings) {
        lines.push(`  ${finding.status} ${finding.kind} of ${finding.identity}: ${finding.description}`,
            `    ${VERBS[finding.status]}: ${finding.command}`);
    }
    return lines.join("\n");
}

export function renderJson(report: AuditReport): string {
    return JSON.stringify({
        stack: report.stack,
        clean: report.findings.length === 0,
        counts: { undeclared: countOf(report.findings, "undeclared"), missing: countOf(report.findings, "missing"),
            pending: countOf(report.findings, "pending") },
        identities: report.identities,
        roleScopes: report.roleScopes,
        findings: report.findings,
    }, null, 2);
}
