/**
 * One stack's audit: its state from the real Pulumi CLI, each declared identity as Entra and ARM hold it, and the
 * findings. The state comes from `pulumi stack export --stack S` without --show-secrets (the client secrets stay
 * encrypted in it); not from the Automation API, whose LocalWorkspace.exportStack always adds --show-secrets
 * (@pulumi/pulumi 3.276.0 automation/localWorkspace.js).
 */
import { execFile } from "node:child_process";
import type { AzureReader } from "../azure/rest";
import type { Fleet } from "../fleet/inventory";
import { declaredIdentities, pendingCreatesIn, type DeclaredIdentity } from "./declared";
import { auditIdentity, type Finding } from "./findings";
import { readObserved, type ObservedIdentity, type RoleScopes } from "./observed";
import { pendingFindings, readPendingCreates, type PendingState } from "./pending";

export interface IdentityAudit {
    readonly declared: DeclaredIdentity;
    readonly observed: ObservedIdentity;
}

export interface StackAudit {
    readonly stack: string;
    readonly identities: readonly IdentityAudit[];
    readonly findings: readonly Finding[];
    /** The creates an interrupted `pulumi up` left pending, and what Azure holds of each. */
    readonly pending: readonly PendingState[];
    /** Where role assignments were read (the same for every identity of the stack). */
    readonly roleScopes: RoleScopes;
}

/** The state could not be read; the message is one line for the user. */
export class StateReadError extends Error {}

export type ExportState = (stack: string) => Promise<string>;

/** `pulumi stack export --stack S` in `cwd`, as the CLI prints it. */
export function cliStateExport(cwd: string): ExportState {
    return (stack) => new Promise((resolve, reject) => {
        execFile("pulumi", ["stack", "export", "--stack", stack], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
            if (error === null) return resolve(stdout);
            if ((error as NodeJS.ErrnoException).code === "ENOENT") return reject(new StateReadError("the Pulumi CLI is not on PATH"));
            const first = stderr.split("\n").map((line) => line.trim()).find((line) => line !== "") ?? `exit code ${String(error.code)}`;
            reject(new StateReadError(`pulumi stack export --stack ${stack} failed: ${first}`));
        });
    });
}

/**
 * The resource groups of every stack file in the project that deploys to `subscriptionId`: where the documented
 * deployer holds its role (docs/deployer.md section 4, $RESOURCE_GROUPS), so where it can list role assignments.
 */
export function fleetResourceGroups(fleet: Fleet, subscriptionId: string): string[] {
    const groups = fleet.stacks.flatMap((stack) => stack.config === undefined || stack.config.subscriptionId !== subscriptionId.toLowerCase()
        ? [] : stack.config.roleAssignments.map((grant) => grant.resourceGroup));
    return [...new Set(groups)].sort();
}

export async function auditStack(stack: string, reader: AzureReader, exportState: ExportState, subscriptionId: string,
    resourceGroups: readonly string[]): Promise<StackAudit> {
    const exported = await exportState(stack);
    const declared = declaredIdentities(exported);
    const identities: IdentityAudit[] = [];
    for (const identity of declared) {
        identities.push({ declared: identity, observed: await readObserved(reader, identity, subscriptionId, resourceGroups) });
    }
    const pending = await readPendingCreates(reader, pendingCreatesIn(exported), declared);
    const importing = new Set(pending.flatMap((state) => (state.made === undefined ? [] : [state.made.toLowerCase()])));
    return {
        stack,
        identities,
        findings: [...identities.flatMap(({ declared: identity, observed }) => auditIdentity(stack, identity, observed, importing)),
            ...pendingFindings(stack, pending)],
        pending,
        roleScopes: identities.find((identity) => identity.observed.roleScopes.read.length > 0)?.observed.roleScopes ?? { read: [] },
    };
}
