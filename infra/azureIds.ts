/** Azure resource IDs and the deterministic names derived from them. */
import { v5 as uuidv5 } from "uuid";

/**
 * This project's UUID v5 namespace for role assignment names. Fixed forever: changing it would rename, and so
 * replace, every role assignment the project has made.
 */
const ROLE_ASSIGNMENT_NAMESPACE = "5f0c8a4e-3b8f-5c8e-9a51-7a1de0c1e2b4";

export function resourceGroupScope(subscriptionId: string, resourceGroup: string): string {
    return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

export function roleDefinitionId(subscriptionId: string, roleId: string): string {
    return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`;
}

/**
 * The role assignment's name: a GUID that depends only on what it grants (as Bicep's guid(scope, role, principal)),
 * so there is one name per (scope, role, principal) and a second assignment of the same grant is refused by Azure
 * rather than made twice. It does not let a re-run or a lost state adopt an existing assignment: azure-native's
 * Create first reads the ID and fails with "cannot create already existing resource" when it exists
 * (pulumi/pulumi-azure-native provider/pkg/provider/provider.go defaultCreate, provider/pkg/azure/client_azcore.go
 * CanCreate). A lost state is recovered with `pulumi import` (README, "Recovering a lost or damaged state").
 * Azure compares IDs without regard to case, so neither does this.
 */
export function roleAssignmentName(scope: string, roleDefinition: string, principalId: string): string {
    return uuidv5([scope, roleDefinition, principalId].join("|").toLowerCase(), ROLE_ASSIGNMENT_NAMESPACE);
}

/** `Storage Blob Data Contributor` → `storage-blob-data-contributor`, for logical resource names. */
export function slug(text: string): string {
    return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}
