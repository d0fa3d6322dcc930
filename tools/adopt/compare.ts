/**
 * How a hand-made identity lines up with a stack's config: what the first `pulumi up` imports, what it changes on
 * the imported resources (the engine's update after an import, infra/adoption.ts), what exists that the stack will
 * not manage, and what is missing. Pure: every finding says what the user can do; nothing here changes anything.
 */
import type { Adoption, AdoptedRoleAssignment } from "../../infra/adoption";
import { resourceGroupScope } from "../../infra/azureIds";
import { displayNameOf, type StackConfig } from "../../infra/config";
import { BUILT_IN_ROLES } from "../../common/builtInRoles";
import { applicationUpdateClears } from "../../common/azureadApplicationUpdate";
import type { ExistingIdentity, ExistingRoleAssignment } from "./existing";

export type FindingKind = "import" | "change" | "extra" | "missing";

export interface Finding {
    readonly kind: FindingKind;
    readonly text: string;
    /** What the user can do; empty when nothing is needed. */
    readonly action: string;
    /** The cut-over cannot go ahead until the user acts. */
    readonly blocking: boolean;
}

export interface AdoptionComparison {
    readonly identity: string;
    readonly findings: readonly Finding[];
    /** What `app-identity:adopt` must hold. */
    readonly adopt: Adoption;
    readonly ok: boolean;
}

/** The program's single-tenant audience (infra/appIdentity.ts). */
const SINGLE_TENANT = "AzureADMyOrg";

export interface CompareOptions {
    /** `--accept-clearing`: the user has read what the first up empties on the app and adopts it all the same. */
    readonly acceptClearing?: boolean;
}

export function compareIdentity(config: StackConfig, existing: ExistingIdentity, deployerObjectId: string,
    options: CompareOptions = {}): AdoptionComparison {
    const identity = displayNameOf(config.appName, config.environment);
    const findings: Finding[] = [];
    const add = (kind: FindingKind, text: string, action = "", blocking = false) => findings.push({ kind, text, action, blocking });
    const { application: app, servicePrincipal: principal } = existing;
    const deployer = config.deployerObjectId ?? deployerObjectId.toLowerCase();
    const desiredOwners = [...new Set([deployer, ...config.owners])];

    // What is imported.
    add("import", `app registration ${JSON.stringify(app.displayName)} (object ID ${app.objectId})`);
    if (principal !== undefined) add("import", `service principal (object ID ${principal.objectId})`);
    const adopted: AdoptedRoleAssignment[] = [];
    const used = new Set<string>();
    for (const grant of config.roleAssignments) {
        const scope = resourceGroupScope(config.subscriptionId, grant.resourceGroup).toLowerCase();
        const roleId = BUILT_IN_ROLES.find((role) => role.name === grant.role)?.id;
        const match = existing.roleAssignments.find((assignment) => !used.has(assignment.id) &&
            assignment.scope.toLowerCase() === scope && roleIdOf(assignment) === roleId);
        if (match === undefined) {
            add("missing", `${grant.role} on ${grant.resourceGroup}: no such role assignment`, "none: the first pulumi up creates it");
            continue;
        }
        used.add(match.id);
        adopted.push({ resourceGroup: grant.resourceGroup, role: grant.role, name: match.name });
        add("import", `role assignment ${grant.role} on ${grant.resourceGroup} (name ${match.name})`);
    }

    // What the first pulumi up changes on what it imports.
    if (app.displayName !== identity) {
        add("change", `app registration display name ${JSON.stringify(app.displayName)} becomes ${JSON.stringify(identity)} ` +
            "(the project's naming, <appName>-<environment>)",
            "none if the new name suits you; otherwise set appName and environment in the stack file so they make the name you want");
    }
    add("change", "preventDuplicateNames becomes true (an import reads it as false: it lives in the stack's state only, nothing " +
        "changes in Entra)");
    // The update after the import empties what the program does not set (API permissions, redirect URIs, ...):
    // terraform-provider-azuread v3 applicationResourceUpdate, common/azureadApplicationUpdate.ts. The stack has
    // no keys for them, so adopting means losing them: refused until the user says so.
    for (const { property, before, after } of applicationUpdateClears(app.graph ?? {})) {
        add("change", `app registration ${property} ${JSON.stringify(before)} becomes ${JSON.stringify(after)} (the program does not ` +
            "set it, and azuread's update after the import writes it empty)",
        options.acceptClearing === true ? "accepted (--accept-clearing)"
            : "the stack cannot keep it: make sure nothing needs it (or set it again by hand after each pulumi up), then run " +
              "again with --accept-clearing", options.acceptClearing !== true);
    }
    ownerChanges("app registration", app.owners, desiredOwners, deployer, add);
    if (principal !== undefined) ownerChanges("service principal", principal.owners, desiredOwners, deployer, add);

    // What exists and the stack will not manage.
    // `az ad sp create-for-rbac` and `az ad app create` send no signInAudience, so Graph makes the app multi-tenant
    // with personal accounts (Azure/azure-cli#25881): the usual case of a hand-made app, and one the owner can fix.
    if (app.signInAudience !== SINGLE_TENANT) {
        add("extra", `a multi-tenant app (signInAudience ${app.signInAudience}): the first pulumi up makes it single-tenant ` +
            `(${SINGLE_TENANT})`, "if no user or app of another tenant signs in to it, make it single-tenant first " +
            `(az ad app update --id ${app.clientId} --sign-in-audience ${SINGLE_TENANT}, or portal: App registrations > the app > ` +
            "Authentication > Supported account types) and run again; otherwise do not adopt it: let the stack create a new identity", true);
    }
    for (const secret of app.secrets) {
        add("extra", `client secret ${JSON.stringify(secret.displayName ?? "")} (key ID ${secret.keyId}, ends ${secret.endDateTime.slice(0, 10)}): ` +
            "not managed by the stack, left as it is",
            `once every server runs on the stack's env file (npm run env-file -- --stack ${config.stack}), remove it: ` +
            `npm run adopt -- --stack ${config.stack} --remove-secrets ${secret.keyId}`);
    }
    for (const assignment of existing.roleAssignments.filter((candidate) => !used.has(candidate.id))) {
        const role = roleNameOf(assignment);
        const atSubscription = assignment.scope.toLowerCase() === `/subscriptions/${config.subscriptionId}`;
        add("extra", atSubscription
            ? `${role} at subscription scope (name ${assignment.name}): the stack grants roles on resource groups only`
            : `${role} on ${assignment.scope} (name ${assignment.name}): not in roleAssignments`,
        atSubscription
            ? "remove it in the portal (Subscriptions > Access control (IAM)) once the servers work with the stack's roles"
            : "add it to roleAssignments and run npm run adopt again to import it, or remove it in the portal (Access control (IAM))");
    }

    // What is missing.
    if (principal === undefined) add("missing", "service principal: the app has none", "none: the first pulumi up creates it");
    if (!app.owners.includes(deployer)) {
        add("missing", `the deploying identity (${deployer}) does not own the app registration`,
            "add it as owner (portal: App registrations > the app > Owners): with Application.ReadWrite.OwnedBy it can change only what it owns", true);
    }
    if (principal !== undefined && !principal.owners.includes(deployer)) {
        add("missing", `the deploying identity (${deployer}) does not own the service principal`,
            "add it as owner (portal: Enterprise applications > the app > Owners)", true);
    }

    const adopt: Adoption = {
        application: app.objectId,
        ...(principal === undefined ? {} : { servicePrincipal: principal.objectId }),
        roleAssignments: adopted,
    };
    return { identity, findings, adopt, ok: findings.every((finding) => !finding.blocking) };
}

function ownerChanges(what: string, current: readonly string[], desired: readonly string[], deployer: string,
    add: (kind: FindingKind, text: string, action?: string) => void): void {
    for (const owner of desired.filter((id) => !current.includes(id))) {
        add("change", `${what} owners: adds ${owner}${owner === deployer ? " (the deploying identity)" : ""}`);
    }
    for (const owner of current.filter((id) => !desired.includes(id))) {
        add("extra", `${what} owner ${owner}: not in owners, so the first pulumi up removes it`,
            "add it to owners in the stack file to keep it");
    }
}

function roleIdOf(assignment: ExistingRoleAssignment): string {
    return (assignment.roleDefinitionId.split("/").at(-1) ?? "").toLowerCase();
}

function roleNameOf(assignment: ExistingRoleAssignment): string {
    const id = roleIdOf(assignment);
    return BUILT_IN_ROLES.find((role) => role.id.toLowerCase() === id)?.name ?? `role ${id}`;
}

const HEADINGS: Record<FindingKind, string> = {
    import: "import (the first pulumi up takes these over as they are)",
    change: "change (the same pulumi up, right after the import)",
    extra: "extra (left alone by the stack unless said)",
    missing: "missing",
};

export function renderComparison(comparison: AdoptionComparison, stackFile: string, clientId: string): string {
    const lines = [`Adopting client ID ${clientId} as ${comparison.identity} (${stackFile}): ` +
        (comparison.ok ? "ready" : "NOT READY: act on the lines marked 'must'")];
    for (const kind of ["import", "change", "extra", "missing"] as const) {
        const found = comparison.findings.filter((finding) => finding.kind === kind);
        lines.push(`${HEADINGS[kind]}:`);
        if (found.length === 0) lines.push("  none");
        for (const finding of found) {
            lines.push(`  ${finding.text}`);
            if (finding.action !== "") lines.push(`    ${finding.blocking ? "must" : "can"}: ${finding.action}`);
        }
    }
    return lines.join("\n");
}
