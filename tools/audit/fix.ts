/**
 * `--fix --yes`: removes each undeclared item as the deploying identity, with the call its removing command makes:
 * - a client secret: POST /applications/{id}/removePassword {keyId} (application-removepassword);
 * - a certificate: PATCH /applications/{id} with keyCredentials as Graph listed them, less that one, as `az ad app
 *   credential delete --cert` does (azure-cli 2.91.0 role/custom.py `_delete_credential`). Not removeKey: it
 *   demands "a proof of possession of an existing key" (application-removekey), a JWT signed with the app's own
 *   private key, which the deployer never holds;
 * - a federated credential: DELETE /applications/{id}/federatedIdentityCredentials/{id} (federatedidentitycredential-delete);
 * - an owner: DELETE /{applications|servicePrincipals}/{id}/owners/{id}/$ref (application-delete-owners);
 * - a role assignment: ARM DELETE of its ID (Role Assignments - Delete, 2022-04-01).
 * Each Graph call is one write of the fleet's budget, taken before the first one. What is missing is not touched:
 * `pulumi up --refresh` brings it back under the program. One failure does not stop the others.
 */
import { ARM, GRAPH, type AzureReader } from "../azure/rest";
import { ROLE_ASSIGNMENTS_API } from "../adopt/existing";
import type { GraphBudget } from "../fleet/budget";
import type { IdentityAudit, StackAudit } from "./audit";
import type { Finding } from "./findings";
import type { RepairPending } from "./pending";

export interface FixResult {
    readonly finding: Finding;
    /** Undefined when removed; the service's one-line answer otherwise. */
    readonly error?: string;
}

/** The Graph writes fixing these findings makes (role assignments are ARM's). */
export function graphWritesOf(findings: readonly Finding[]): number {
    return findings.filter((finding) => finding.status === "undeclared" && finding.kind !== "role-assignment").length;
}

export async function fixFindings(reader: AzureReader, identities: readonly IdentityAudit[], findings: readonly Finding[],
    budget?: GraphBudget): Promise<FixResult[]> {
    const undeclared = findings.filter((finding) => finding.status === "undeclared");
    const writes = graphWritesOf(undeclared);
    if (budget !== undefined && writes > 0) await budget.take(writes);
    // A certificate's removal writes the whole collection: what is left after each one, per app.
    const keyCredentials = new Map(identities.map(({ declared, observed }) =>
        [declared.application.objectId, [...(observed.application?.keyCredentials ?? [])]]));
    const results: FixResult[] = [];
    for (const finding of undeclared) {
        try {
            await removeOne(reader, finding, keyCredentials);
            results.push({ finding });
        } catch (error) {
            results.push({ finding, error: error instanceof Error ? error.message.split("\n")[0]! : String(error) });
        }
    }
    return results;
}

async function removeOne(reader: AzureReader, finding: Finding, keyCredentials: Map<string, Record<string, unknown>[]>): Promise<void> {
    const object = finding.objectId;
    switch (finding.kind) {
        case "password":
            await reader.post(GRAPH, `/v1.0/applications/${object}/removePassword`, { keyId: finding.id });
            return;
        case "certificate": {
            const left = (keyCredentials.get(object) ?? []).filter((credential) => String(credential["keyId"]).toLowerCase() !== finding.id);
            await reader.patch(GRAPH, `/v1.0/applications/${object}`, { keyCredentials: left });
            keyCredentials.set(object, left);
            return;
        }
        case "federated-credential":
            await reader.delete(GRAPH, `/v1.0/applications/${object}/federatedIdentityCredentials/${finding.id}`);
            return;
        case "owner":
            await reader.delete(GRAPH, `/v1.0/${finding.on}/${object}/owners/${finding.id}/$ref`);
            return;
        case "role-assignment":
            await reader.delete(ARM, `${finding.id}?api-version=${ROLE_ASSIGNMENTS_API}`);
            return;
        default:
            throw new Error(`a ${finding.kind} is not removed by the audit`);
    }
}

/**
 * The stack's pending creates repaired by the Pulumi CLI (pending.ts: one refresh that clears them, one import of
 * each that Azure holds), after the removals: one result per pending finding, all sharing the repair's outcome.
 * Neither command writes to Graph or ARM; they write the stack's state.
 */
export async function repairPending(audit: StackAudit, repair: RepairPending): Promise<FixResult[]> {
    if (audit.pending.length === 0) return [];
    const error = await repair(audit.stack, audit.pending);
    return audit.findings.filter((finding) => finding.status === "pending").map((finding) => (error === undefined ? { finding } : { finding, error }));
}

export function renderFixes(results: readonly FixResult[]): string[] {
    return results.map(({ finding, error }) => {
        const verb = finding.status === "pending" ? "repair pending" : "remove";
        const done = finding.status === "pending" ? "repaired pending" : "removed";
        return error === undefined ? `${done} ${finding.kind} ${finding.id} of ${finding.identity}`
            : `could not ${verb} ${finding.kind} ${finding.id} of ${finding.identity}: ${error}`;
    });
}
