/**
 * The audit's diff: what Entra and ARM hold that the stack's state does not declare, and what the state declares
 * that is gone. One finding per item, each with the command that removes it (undeclared) or restores it (missing),
 * so that a person, or an alert (issue 29 part 1), can act on it alone.
 *
 * The removing commands are the Azure CLI's (azure-cli 2.91.0, src/azure-cli/azure/cli/command_modules/role/
 * custom.py): `az ad app credential delete` calls removePassword, or with --cert writes keyCredentials back without
 * the key (`_delete_credential`); `az ad app federated-credential delete`; `az ad app owner remove`; `az role
 * assignment delete --ids`. The CLI has no command that removes a service principal's owner, so that one is `az
 * rest` on Graph's `DELETE /servicePrincipals/{id}/owners/{id}/$ref` (serviceprincipal-delete-owners). What is
 * missing comes back with `pulumi up --refresh`: the refresh drops it from the state, the update makes it again.
 */
import { BUILT_IN_ROLES } from "../../common/builtInRoles";
import { urnName, type DeclaredIdentity } from "./declared";
import type { ObservedCredential, ObservedIdentity } from "./observed";
import { shellLine } from "../../common/shellLine";

/** undeclared: Azure holds it, the state does not; missing: the reverse; pending: an interrupted create (pending.ts). */
export type FindingStatus = "undeclared" | "missing" | "pending";
export type FindingKind = "application" | "service-principal" | "password" | "certificate" | "federated-credential" |
    "owner" | "role-assignment";

export interface Finding {
    readonly stack: string;
    readonly identity: string;
    readonly status: FindingStatus;
    readonly kind: FindingKind;
    /** The item's own ID: a key ID, a federated credential's ID, an owner's object ID, a role assignment's ARM ID. */
    readonly id: string;
    /** The Graph object the item belongs to: the app's object ID, or the service principal's (its owners, its roles). */
    readonly objectId: string;
    /** The Graph collection of that object. */
    readonly on: "applications" | "servicePrincipals";
    /** One line a person reads; never a secret (Graph returns none). */
    readonly description: string;
    /** The exact command that removes it (undeclared), restores it (missing) or repairs the state (pending). */
    readonly command: string;
}


export const restoreCommand = (stack: string) => shellLine(["pulumi", "up", "--refresh", "--stack", stack]);

const day = (instant: string | null) => (instant === null ? "no end date" : `ends ${instant.slice(0, 10)}`);
const named = (credential: ObservedCredential) => JSON.stringify(credential.displayName ?? "");

function roleName(roleDefinitionId: string): string {
    const guid = roleDefinitionId.split("/").at(-1)?.toLowerCase();
    return BUILT_IN_ROLES.find((role) => role.id === guid)?.name ?? roleDefinitionId;
}


/**
 * Every finding of one identity, in a fixed order: the app, its credentials, owners, the principal, its roles.
 * `importing`: the lower-case IDs that an interrupted create made and the repair imports (pending.ts): not undeclared.
 */
export function auditIdentity(stack: string, declared: DeclaredIdentity, observed: ObservedIdentity,
    importing: ReadonlySet<string> = new Set()): Finding[] {
    const app = declared.application.objectId;
    const findings: Finding[] = [];
    const add = (status: FindingStatus, kind: FindingKind, id: string, objectId: string, description: string, command: string) =>
        findings.push({ stack, identity: declared.identity, status, kind, id, objectId,
            on: objectId === app ? "applications" : "servicePrincipals", description, command });
    const restore = restoreCommand(stack);
    const missing = (kind: FindingKind, id: string, objectId: string, what: string) =>
        add("missing", kind, id, objectId, `${what} is in the state but gone from Entra`, restore);

    if (observed.application === undefined) {
        missing("application", app, app, `app registration ${app}`);
    } else {
        const held = observed.application;
        // An interrupted `up` leaves its create pending in the state, the credential made in Entra, its key ID never saved.
        // The pending create's displayName input is the one Graph shows on the credential it made.
        const orphanNote = (type: string, credential: ObservedCredential) => {
            const pending = declared.pendingCreates.filter((create) => create.type === type && create.displayName === (credential.displayName ?? undefined));
            return pending.length === 0 ? "" : `; an interrupted pulumi up was creating ${pending.map((create) => urnName(create.urn)).join(", ")}: its orphan`;
        };
        const compare = (kind: "password" | "certificate", what: string, type: string, declaredIds: readonly { urn: string; id: string }[],
            observedList: readonly ObservedCredential[], cert: boolean) => {
            for (const credential of observedList) {
                if (declaredIds.some((item) => item.id === credential.id)) continue;
                add("undeclared", kind, credential.id, app,
                    `${what} ${named(credential)} (key ID ${credential.id}, ${day(credential.endDateTime)}) is not in the state${orphanNote(type, credential)}`,
                    shellLine(["az", "ad", "app", "credential", "delete", "--id", app, "--key-id", credential.id, ...(cert ? ["--cert"] : [])]));
            }
            for (const item of declaredIds) {
                if (!observedList.some((credential) => credential.id === item.id)) missing(kind, item.id, app, `${what} ${urnName(item.urn)} (key ID ${item.id})`);
            }
        };
        compare("password", "client secret", "azuread:index/applicationPassword:ApplicationPassword", declared.passwords, held.passwords, false);
        compare("certificate", "certificate", "azuread:index/applicationCertificate:ApplicationCertificate", declared.certificates, held.certificates, true);
        for (const credential of held.federatedCredentials) {
            if (declared.federatedCredentials.some((item) => item.id === credential.id)) continue;
            add("undeclared", "federated-credential", credential.id, app,
                `federated credential ${JSON.stringify(credential.name)} (subject ${JSON.stringify(credential.subject)}, ID ${credential.id}) is not in the state`,
                shellLine(["az", "ad", "app", "federated-credential", "delete", "--id", app, "--federated-credential-id", credential.id]));
        }
        for (const item of declared.federatedCredentials) {
            if (!held.federatedCredentials.some((credential) => credential.id === item.id)) {
                missing("federated-credential", item.id, app, `federated credential ${urnName(item.urn)} (ID ${item.id})`);
            }
        }
        compareOwners(declared.application.owners, held.owners, "app registration", app, add, missing,
            (owner) => shellLine(["az", "ad", "app", "owner", "remove", "--id", app, "--owner-object-id", owner]));
    }

    const sp = declared.servicePrincipal;
    if (sp !== undefined) {
        if (observed.servicePrincipalOwners === undefined) {
            missing("service-principal", sp.objectId, sp.objectId, `service principal ${sp.objectId}`);
        } else {
            compareOwners(sp.owners, observed.servicePrincipalOwners, "service principal", sp.objectId, add, missing,
                (owner) => shellLine(["az", "rest", "--method", "DELETE", "--url",
                    `https://graph.microsoft.com/v1.0/servicePrincipals/${sp.objectId}/owners/${owner}/$ref`]));
            for (const assignment of observed.roleAssignments) {
                if (importing.has(assignment.id.toLowerCase())) continue;
                if (declared.roleAssignments.some((item) => item.id.toLowerCase() === assignment.id.toLowerCase())) continue;
                add("undeclared", "role-assignment", assignment.id, sp.objectId,
                    `role assignment ${assignment.id.split("/").at(-1)} (${roleName(assignment.roleDefinitionId)} at ${assignment.scope}) is not in the state`,
                    shellLine(["az", "role", "assignment", "delete", "--ids", assignment.id]));
            }
            for (const item of declared.roleAssignments) {
                if (!observed.roleAssignments.some((assignment) => assignment.id.toLowerCase() === item.id.toLowerCase())) {
                    missing("role-assignment", item.id, sp.objectId, `role assignment ${urnName(item.urn)} (${item.id})`);
                }
            }
        }
    }
    return findings;
}

function compareOwners(declaredOwners: readonly string[], observedOwners: readonly string[], what: string, objectId: string,
    add: (status: FindingStatus, kind: FindingKind, id: string, objectId: string, description: string, command: string) => void,
    missing: (kind: FindingKind, id: string, objectId: string, what: string) => void, removal: (owner: string) => string): void {
    for (const owner of observedOwners) {
        if (!declaredOwners.includes(owner)) add("undeclared", "owner", owner, objectId, `owner ${owner} of the ${what} ${objectId} is not declared`, removal(owner));
    }
    for (const owner of declaredOwners) {
        if (!observedOwners.includes(owner)) missing("owner", owner, objectId, `owner ${owner} of the ${what} ${objectId}`);
    }
}
