/**
 * Logical names of an identity's role assignments, hence their URNs. A URN holds the parent's type but not its
 * name (`...::appidentity:azure:AppIdentity$azure-native:authorization:RoleAssignment::<name>`), so the name alone
 * must tell every role assignment of a stack apart.
 *
 * The old name, `${identity}-${resourceGroup}-${slug(role)}`, was not injective: developer "a-b" with resource
 * group "c" and developer "a" with resource group "b-c" both gave `app-env-a-b-c-<role>`, and resource group
 * "x-storage-blob-data" with role Reader met resource group "x" with Storage Blob Data Reader. The new name joins
 * the parts with '/', which none of them can hold: identity names are [a-z0-9-] (infra/config.ts), resource group
 * names are letters, digits and . _ - ( ) (Azure's rule, infra/config.ts), role slugs are [a-z0-9-].
 */
import { slug } from "./azureIds";

const SEPARATOR = "/";

export interface RoleAssignmentRef {
    /** The identity's logical name: its display name, such as `inventory-api-local-alice`. */
    readonly identity: string;
    readonly resourceGroup: string;
    readonly role: string;
}

/** `inventory-api-dev/rg-inventory-dev/storage-blob-data-contributor`. */
export function roleAssignmentLogicalName(ref: RoleAssignmentRef): string {
    for (const part of [ref.identity, ref.resourceGroup]) {
        // Config validation keeps '/' out of both; reaching this is a bug, not a user mistake.
        if (part.includes(SEPARATOR) || part === "") throw new Error(`cannot name a role assignment after ${JSON.stringify(part)}`);
    }
    return [ref.identity, ref.resourceGroup, slug(ref.role)].join(SEPARATOR);
}

/** The name deployed stacks have today: what an alias must name so that the rename replaces nothing. */
export function legacyRoleAssignmentName(ref: RoleAssignmentRef): string {
    return `${ref.identity}-${ref.resourceGroup}-${slug(ref.role)}`;
}

/**
 * The alias each role assignment may carry: its legacy name, but only where that name is its alone in the stack.
 * Two resources aliasing one old name is an engine error (pulumi/pulumi pkg/resource/deploy/step_generator.go,
 * GetDuplicateResourceAliasError), and a legacy name that two of them share cannot have
 * been deployed for both (their URNs were equal), so neither gets it.
 */
export function legacyAliases(refs: readonly RoleAssignmentRef[]): Map<string, string | undefined> {
    const counts = new Map<string, number>();
    for (const ref of refs) counts.set(legacyRoleAssignmentName(ref), (counts.get(legacyRoleAssignmentName(ref)) ?? 0) + 1);
    return new Map(refs.map((ref) => {
        const legacy = legacyRoleAssignmentName(ref);
        return [roleAssignmentLogicalName(ref), counts.get(legacy) === 1 ? legacy : undefined];
    }));
}
