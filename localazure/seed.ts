/**
 * A new local tenant: the IDs of the stack files' placeholders (tenant ...aaaa, subscription ...bbbb, and prod's
 * co-owner ...dddd, who is the admin here), the four resource groups of the example stacks with a storage account
 * each, the deployer, the preview identity and the admin. The deployer and the previewer hold exactly what
 * docs/deployer.md and docs/managed-identity.md tell a tenant administrator to grant them, no more:
 * test/documentedAccess.test.ts reads the docs' `az` commands and holds the two equal.
 */
import { randomBytes } from "node:crypto";
import { ROLE_IDS, STORAGE_BLOB_ROLE_IDS, deployerCondition } from "./arm/roleDefinitions";
import { hashSecret, hintOf, newId, newSecret } from "./secrets";
import type { ApplicationRecord, Credential, RoleAssignmentRecord, ServicePrincipalRecord, State } from "./state";

export const TENANT_ID = "00000000-0000-0000-0000-00000000aaaa";
export const SUBSCRIPTION_ID = "00000000-0000-0000-0000-00000000bbbb";
/** Pulumi.yaml's environments.prod's subscription. */
export const PRODUCTION_SUBSCRIPTION_ID = "00000000-0000-0000-0000-00000000cccc";
export const ADMIN_OBJECT_ID = "00000000-0000-0000-0000-00000000dddd";
/**
 * Where the managed identities of docs/managed-identity.md live (its stack example's `managedIdentity.resourceGroup`):
 * the deployer and the previewer read them there, and nowhere else.
 */
export const MANAGED_IDENTITY_GROUPS = ["rg-servers"];

export const SUBSCRIPTIONS: Record<string, string[]> = {
    [SUBSCRIPTION_ID]: ["rg-inventory-dev", "rg-inventory-test"],
    [PRODUCTION_SUBSCRIPTION_ID]: ["rg-inventory-prod", "rg-inventory-prod-archive"],
};
export const RESOURCE_GROUPS = Object.values(SUBSCRIPTIONS).flat();
export const STORAGE_ACCOUNTS: Record<string, { subscriptionId: string; resourceGroup: string }> = {
    inventoryapidev: { subscriptionId: SUBSCRIPTION_ID, resourceGroup: "rg-inventory-dev" },
    inventoryapitest: { subscriptionId: SUBSCRIPTION_ID, resourceGroup: "rg-inventory-test" },
    inventoryapiprod: { subscriptionId: PRODUCTION_SUBSCRIPTION_ID, resourceGroup: "rg-inventory-prod" },
    inventoryapiarchive: { subscriptionId: PRODUCTION_SUBSCRIPTION_ID, resourceGroup: "rg-inventory-prod-archive" },
};

/**
 * Microsoft Graph application permissions (Microsoft Graph permissions reference). The deployer reads the tenant's
 * app management policies before a deploy (tools/credentialPolicy/command.ts, docs/deployer.md section 3); the admin, the
 * portal user of the tests, also changes them (tenantappmanagementpolicy-update: Policy.ReadWrite.ApplicationConfiguration).
 */
export const DEPLOYER_GRAPH_PERMISSIONS = ["Application.ReadWrite.OwnedBy", "Policy.Read.ApplicationConfiguration"];
/**
 * Granted beside those only in a tenant whose stacks set allowedNetworks (docs/deployer.md section 3): Graph's writes of
 * named locations and Conditional Access policies take both (conditionalaccessroot-post-namedlocations, -post-policies).
 * Not seeded: tests grant them as the docs do (LocalAzure.grantGraphPermissions).
 */
export const CONDITIONAL_ACCESS_GRAPH_PERMISSIONS = ["Policy.Read.All", "Policy.ReadWrite.ConditionalAccess"];
/** The preview identity: reads apps and the credential policy, writes nothing (docs/deployer.md section 7). */
export const PREVIEWER_GRAPH_PERMISSIONS = ["Application.Read.All", "Policy.Read.ApplicationConfiguration"];
export const ADMIN_GRAPH_PERMISSIONS = ["Application.ReadWrite.All", "Directory.ReadWrite.All", "Policy.ReadWrite.ApplicationConfiguration"];

/** A role assignment as the tenant administrator makes it with `az role assignment create`. */
export interface SeededGrant {
    readonly principal: "deployer" | "previewer";
    readonly role: keyof typeof ROLE_IDS;
    readonly resourceGroup: string;
    readonly conditional: boolean;
}

/**
 * The role assignments docs/deployer.md (sections 4 and 7) and docs/managed-identity.md (section 1) make, one per
 * resource group: Role Based Access Control Administrator, conditioned, on the stacks' groups for the deployer;
 * Reader on them for the previewer; Reader on the managed identities' groups for both, for the lookups.
 */
export const SEEDED_GRANTS: readonly SeededGrant[] = [
    ...RESOURCE_GROUPS.map((resourceGroup) => ({ principal: "deployer", role: "rbacAdministrator", resourceGroup, conditional: true }) as const),
    ...RESOURCE_GROUPS.map((resourceGroup) => ({ principal: "previewer", role: "reader", resourceGroup, conditional: false }) as const),
    ...MANAGED_IDENTITY_GROUPS.flatMap((resourceGroup) => (["deployer", "previewer"] as const)
        .map((principal) => ({ principal, role: "reader", resourceGroup, conditional: false }) as const)),
];

/** The subscription that holds a resource group: its own, or the default one for a group the seed does not make. */
export function subscriptionOf(resourceGroup: string): string {
    return Object.entries(SUBSCRIPTIONS).find(([, groups]) => groups.includes(resourceGroup))?.[0] ?? SUBSCRIPTION_ID;
}

export function seedState(now: Date): State {
    const at = now.toISOString();
    const deployer = identity("app-identity-deployer", DEPLOYER_GRAPH_PERMISSIONS, at);
    const previewer = identity("app-identity-previewer", PREVIEWER_GRAPH_PERMISSIONS, at);
    const admin = identity("local-azure-admin", ADMIN_GRAPH_PERMISSIONS, at, ADMIN_OBJECT_ID);
    const assignment = (subscriptionId: string, scope: string, principalId: string, roleId: string, condition: string | null): RoleAssignmentRecord => ({
        name: newId(), scope, principalId, principalType: "ServicePrincipal",
        roleDefinitionId: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`,
        condition, conditionVersion: condition === null ? null : "2.0", description: null,
        createdOn: at, updatedOn: at, createdBy: null, updatedBy: null,
    });
    const principals = { deployer: deployer.credential.objectId, previewer: previewer.credential.objectId };
    return {
        version: 1,
        tenantId: TENANT_ID,
        subscriptionId: SUBSCRIPTION_ID,
        signingKey: randomBytes(32).toString("base64"),
        subscriptions: Object.fromEntries(Object.entries(SUBSCRIPTIONS).map(([id, groups]) => [id, [...groups]])),
        storageAccounts: STORAGE_ACCOUNTS,
        deployer: deployer.credential,
        previewer: previewer.credential,
        admin: admin.credential,
        applications: [deployer.application, previewer.application, admin.application],
        servicePrincipals: [deployer.servicePrincipal, previewer.servicePrincipal, admin.servicePrincipal],
        roleAssignments: [
            // The portal user: Owner of each subscription, for out-of-band changes.
            ...Object.keys(SUBSCRIPTIONS).map((subscriptionId) =>
                assignment(subscriptionId, `/subscriptions/${subscriptionId}`, admin.credential.objectId, ROLE_IDS.owner, null)),
            // Azure's "Delegate Azure role assignment management to others with conditions": only the Storage Blob
            // roles, only to service principals.
            ...SEEDED_GRANTS.map((grant) => {
                const subscriptionId = subscriptionOf(grant.resourceGroup);
                return assignment(subscriptionId, `/subscriptions/${subscriptionId}/resourceGroups/${grant.resourceGroup}`,
                    principals[grant.principal], ROLE_IDS[grant.role],
                    grant.conditional ? deployerCondition(STORAGE_BLOB_ROLE_IDS, ["ServicePrincipal"]) : null);
            }),
        ],
        blobs: {},
    };
}

function identity(displayName: string, graphPermissions: string[], at: string, objectId = newId()): {
    credential: Credential; application: ApplicationRecord; servicePrincipal: ServicePrincipalRecord;
} {
    const clientId = newId();
    const clientSecret = newSecret();
    const end = new Date(at);
    end.setUTCFullYear(end.getUTCFullYear() + 2);
    return {
        credential: { clientId, clientSecret, objectId },
        application: {
            id: newId(), appId: clientId, createdDateTime: at,
            properties: { displayName, signInAudience: "AzureADMyOrg" },
            owners: [],
            passwords: [{
                keyId: newId(), displayName: "local test credential", hint: hintOf(clientSecret),
                startDateTime: at, endDateTime: end.toISOString(), secretHash: hashSecret(clientSecret),
            }],
        },
        servicePrincipal: { id: objectId, appId: clientId, properties: { displayName }, owners: [], graphPermissions },
    };
}
