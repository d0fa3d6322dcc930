/**
 * A new local tenant: the IDs of the stack files' placeholders (tenant ...aaaa, subscription ...bbbb, and prod's
 * co-owner ...dddd, who is the admin here), the four resource groups of the example stacks with a storage account
 * each, the deployer and the admin.
 */
import { randomBytes } from "node:crypto";
import { ROLE_IDS, STORAGE_BLOB_ROLE_IDS, deployerCondition } from "./arm/roleDefinitions";
import { hashSecret, hintOf, newId, newSecret } from "./secrets";
import type { ApplicationRecord, Credential, RoleAssignmentRecord, ServicePrincipalRecord, State } from "./state";

export const TENANT_ID = "00000000-0000-0000-0000-00000000aaaa";
export const SUBSCRIPTION_ID = "00000000-0000-0000-0000-00000000bbbb";
/** stacks/Pulumi.prod.yaml's subscription. */
export const PRODUCTION_SUBSCRIPTION_ID = "00000000-0000-0000-0000-00000000cccc";
export const ADMIN_OBJECT_ID = "00000000-0000-0000-0000-00000000dddd";

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
export const ADMIN_GRAPH_PERMISSIONS = ["Application.ReadWrite.All", "Directory.ReadWrite.All", "Policy.ReadWrite.ApplicationConfiguration"];

export function seedState(now: Date): State {
    const at = now.toISOString();
    const deployer = identity("app-identity-deployer", DEPLOYER_GRAPH_PERMISSIONS, at);
    const admin = identity("local-azure-admin", ADMIN_GRAPH_PERMISSIONS, at, ADMIN_OBJECT_ID);
    const assignment = (subscriptionId: string, principalId: string, roleId: string, condition: string | null): RoleAssignmentRecord => {
        const subscription = `/subscriptions/${subscriptionId}`;
        return {
        name: newId(), scope: subscription, principalId, principalType: "ServicePrincipal",
        roleDefinitionId: `${subscription}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`,
        condition, conditionVersion: condition === null ? null : "2.0", description: null,
        createdOn: at, updatedOn: at, createdBy: null, updatedBy: null,
        };
    };
    return {
        version: 1,
        tenantId: TENANT_ID,
        subscriptionId: SUBSCRIPTION_ID,
        signingKey: randomBytes(32).toString("base64"),
        subscriptions: Object.fromEntries(Object.entries(SUBSCRIPTIONS).map(([id, groups]) => [id, [...groups]])),
        storageAccounts: STORAGE_ACCOUNTS,
        deployer: deployer.credential,
        admin: admin.credential,
        applications: [deployer.application, admin.application],
        servicePrincipals: [deployer.servicePrincipal, admin.servicePrincipal],
        roleAssignments: Object.keys(SUBSCRIPTIONS).flatMap((subscriptionId) => [
            assignment(subscriptionId, admin.credential.objectId, ROLE_IDS.owner, null),
            // The deployer as the GUIDE (section 1) and Azure's "Delegate role assignments with conditions" ask.
            assignment(subscriptionId, deployer.credential.objectId, ROLE_IDS.rbacAdministrator,
                deployerCondition(STORAGE_BLOB_ROLE_IDS, ["ServicePrincipal"])),
        ]),
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
