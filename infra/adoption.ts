/**
 * Adopting an identity made by hand (`app-identity:adopt`, written by `npm run adopt`): the app registration, its
 * service principal and the matching role assignments that the stack's first `pulumi up` imports rather than
 * creates, through the `import` resource option.
 *
 * Why the option, not `pulumi import --file`: with the option one `pulumi up` imports and creates the two managed
 * secrets together, and its preview shows exactly that. The engine reads the resource with the import ID, then
 * diffs the program's inputs against what it read, so a difference the program wants becomes an update after the
 * import, and a replacement is refused in an update ("previously-imported resources that still specify an ID may
 * not be replaced", pulumi/pulumi v3.276.0 pkg/resource/deploy/step_generator.go continueStepsFromImport and
 * generateStepsFromDiff): the hand-made resources the servers use cannot be replaced by mistake. Once imported, the
 * option is inert: the engine imports only when the state has no resource of that URN or its import ID differs
 * (step_generator.go: `isImport := goal.Custom && goal.ID != "" && (old == nil || old.External || oldImportID !=
 * goal.ID)`). `pulumi import --file` (pkg/cmd/pulumi/import.go) runs a deployment of its own that copies every
 * read property into the inputs and writes code to paste; the resources must then match the program's URNs and
 * the component parent, and the next `pulumi up` is a second, separate change.
 *
 * The key stays in the stack file after the cut-over: an adopted role assignment keeps its hand-made name, since
 * the name is a path parameter of azure-native's RoleAssignment and a change of it replaces the assignment.
 */
import { z } from "zod";
import { resourceGroupScope } from "./azureIds";
import type { RoleAssignmentConfig } from "./grants";

export interface AdoptedRoleAssignment {
    readonly resourceGroup: string;
    readonly role: string;
    /** The existing assignment's name (a GUID), which the portal made up. */
    readonly name: string;
}

export interface Adoption {
    /** The app registration's object ID (not its client ID). */
    readonly application: string;
    /** The service principal's object ID; absent when the app has none (the stack then creates it). */
    readonly servicePrincipal?: string | undefined;
    readonly roleAssignments: readonly AdoptedRoleAssignment[];
}

interface SchemaParts {
    readonly guid: z.ZodType<string>;
    readonly resourceGroup: z.ZodType<string>;
    readonly role: z.ZodType<string>;
}

export const ADOPTION_KEYS = ["application", "servicePrincipal", "roleAssignments"] as const;
export const ADOPTED_ROLE_KEYS = ["resourceGroup", "role", "name"] as const;

/** The key's schema, built from config.ts's own GUID, resource group and role rules (so messages match). */
export function adoptionSchema(parts: SchemaParts) {
    const entry = z.strictObject(
        { resourceGroup: parts.resourceGroup, role: parts.role, name: parts.guid },
        { error: "expected an entry with exactly the keys resourceGroup, role and name (the existing assignment's GUID)" },
    );
    return z.strictObject(
        {
            application: parts.guid,
            servicePrincipal: parts.guid.optional(),
            roleAssignments: z.array(entry, { error: "expected a list of {resourceGroup, role, name} entries" }).default([]),
        },
        { error: "expected {application, servicePrincipal, roleAssignments}: what `npm run adopt` writes" },
    );
}

/** What `expected one of the keys` names for an unknown key under `adopt`. */
export function adoptionKeysAllowed(path: readonly PropertyKey[]): string {
    const keys = path.length === 1 ? ADOPTION_KEYS : ADOPTED_ROLE_KEYS;
    return `expected one of the keys: ${keys.join(", ")}`;
}

type Describe = (path: readonly PropertyKey[], allowed: string) => string;

/**
 * What the schema cannot see: an adopted assignment must be one the stack grants (or the import would be of a
 * resource the program does not declare), each once, and a stack of developers' identities has no single identity
 * to adopt.
 */
export function adoptionProblems(adopt: Adoption | undefined, roleAssignments: readonly RoleAssignmentConfig[],
    developers: readonly string[], describe: Describe): string[] {
    if (adopt === undefined) return [];
    if (developers.length > 0) {
        return [describe(["adopt"], "expected no adopt key in a stack with developers: adopt one environment's " +
            "identity, in a stack without developers")];
    }
    const problems: string[] = [];
    const seen = new Map<string, number>();
    adopt.roleAssignments.forEach((entry, index) => {
        const key = grantKey(entry);
        if (!roleAssignments.some((granted) => grantKey(granted) === key)) {
            problems.push(describe(["adopt", "roleAssignments", index], "expected a (resourceGroup, role) pair that " +
                "roleAssignments grants: only what the stack declares can be imported"));
        }
        const first = seen.get(key);
        if (first !== undefined) {
            problems.push(describe(["adopt", "roleAssignments", index],
                `expected each (resourceGroup, role) pair once; adopt.roleAssignments[${first}] already adopts it`));
        } else {
            seen.set(key, index);
        }
    });
    return problems;
}

/** The import IDs, as each provider's importer takes them. */
export interface ImportIds {
    /** terraform-provider-azuread application_resource.go Importer: stable.ValidateApplicationID, `/applications/{id}`. */
    readonly application: string;
    /** service_principal_resource.go Importer: stable.ParseServicePrincipalID, `/servicePrincipals/{id}`. */
    readonly servicePrincipal: string | undefined;
}

export function importIds(adopt: Adoption): ImportIds {
    return {
        application: `/applications/${adopt.application}`,
        servicePrincipal: adopt.servicePrincipal === undefined ? undefined : `/servicePrincipals/${adopt.servicePrincipal}`,
    };
}

/**
 * The adopted assignment of this grant, if any: its ARM ID (the import ID azure-native takes) and its name, which
 * the program must pass as roleAssignmentName. azure-native's import computes the inputs "that would produce the
 * given resource path and response" (pulumi-azure-native provider/pkg/convert responseToSdkInputs), the path's
 * roleAssignmentName among them; the project's deterministic name (infra/azureIds.ts) would differ and replace it.
 */
export function adoptedAssignment(adopt: Adoption | undefined, subscriptionId: string,
    grant: RoleAssignmentConfig): { id: string; name: string } | undefined {
    const entry = adopt?.roleAssignments.find((candidate) => grantKey(candidate) === grantKey(grant));
    if (entry === undefined) return undefined;
    const scope = resourceGroupScope(subscriptionId, grant.resourceGroup);
    return { id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${entry.name}`, name: entry.name };
}

function grantKey(grant: { resourceGroup: string; role: string }): string {
    // Azure compares resource group names without regard to case (as config.ts duplicateAssignments).
    return `${grant.resourceGroup.toLowerCase()}\n${grant.role}`;
}
