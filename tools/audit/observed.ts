/**
 * What Entra and ARM hold for one declared identity, read as the deploying identity with exactly the access
 * docs/deployer.md grants it:
 * - Graph, with Application.ReadWrite.OwnedBy (the program makes the deployer an owner of everything it creates):
 *   GET /applications/{id} for passwordCredentials and keyCredentials, which never carry a secret or, outside a
 *   `$select` of one object, a key (learn.microsoft.com/graph/api/resources/passwordcredential, keycredential);
 *   GET .../federatedIdentityCredentials (federatedidentitycredential-list) and the owners of the app and its
 *   service principal (application-list-owners, serviceprincipal-list-owners);
 * - ARM, Role Assignments - List For Scope (api-version 2022-04-01) with `$filter=principalId eq '{id}'`, which
 *   "return[s] all role assignments at, above or below the scope for the specified principal", and needs
 *   Microsoft.Authorization/roleAssignments/read at that scope (learn.microsoft.com/rest/api/authorization/
 *   role-assignments/list-for-scope). The subscription is tried first: it covers every resource group. The
 *   documented deployer holds its role on the stacks' resource groups only (docs/deployer.md section 4), so ARM
 *   refuses the subscription (403 AuthorizationFailed) and each of the fleet's resource groups in that subscription
 *   is listed instead: at, above (the subscription, management groups) and below each group. A hand-made
 *   assignment on a resource group no stack names stays out of sight; the report says which scopes were read.
 */
import { ARM, AzureRequestError, GRAPH, type AzureReader } from "../azure/rest";
import { ROLE_ASSIGNMENTS_API } from "../adopt/existing";
import type { DeclaredIdentity } from "./declared";

export interface ObservedCredential {
    /** Lower case. */
    readonly id: string;
    readonly displayName: string | null;
    readonly endDateTime: string | null;
}

export interface ObservedFederated {
    readonly id: string;
    readonly name: string;
    readonly subject: string;
}

export interface ObservedRoleAssignment {
    /** The ARM ID as ARM spells it. */
    readonly id: string;
    readonly scope: string;
    readonly roleDefinitionId: string;
}

/** Where role assignments were listed, and why not at the subscription when it was refused. */
export interface RoleScopes {
    readonly read: readonly string[];
    readonly refused?: string;
}

export interface ObservedApplication {
    readonly passwords: readonly ObservedCredential[];
    readonly certificates: readonly ObservedCredential[];
    /** The keyCredentials as Graph listed them (keys null): what a PATCH writes back without the removed one. */
    readonly keyCredentials: readonly Record<string, unknown>[];
    readonly federatedCredentials: readonly ObservedFederated[];
    readonly owners: readonly string[];
}

export interface ObservedIdentity {
    /** Undefined: Graph answered 404 for the declared app. */
    readonly application: ObservedApplication | undefined;
    /** Undefined: the declared service principal is gone (404), or the state declares none. */
    readonly servicePrincipalOwners: readonly string[] | undefined;
    readonly roleAssignments: readonly ObservedRoleAssignment[];
    readonly roleScopes: RoleScopes;
}

interface GraphCredential { keyId?: string; displayName?: string | null; endDateTime?: string | null }

const notFound = (error: unknown) => error instanceof AzureRequestError && error.status === 404;

async function orMissing<T>(read: () => Promise<T>): Promise<T | undefined> {
    try {
        return await read();
    } catch (error) {
        if (notFound(error)) return undefined;
        throw error;
    }
}

const credentialOf = (credential: GraphCredential): ObservedCredential => ({
    id: String(credential.keyId).toLowerCase(), displayName: credential.displayName ?? null, endDateTime: credential.endDateTime ?? null,
});

const ownerIds = async (reader: AzureReader, collection: string, objectId: string) =>
    (await reader.list<{ id: string }>(GRAPH, `/v1.0/${collection}/${objectId}/owners`)).map((owner) => owner.id.toLowerCase());

export async function readObserved(reader: AzureReader, declared: DeclaredIdentity, subscriptionId: string,
    resourceGroups: readonly string[]): Promise<ObservedIdentity> {
    const appId = declared.application.objectId;
    const application = await orMissing(async (): Promise<ObservedApplication> => {
        const app = await reader.get<{ passwordCredentials?: GraphCredential[]; keyCredentials?: (GraphCredential & Record<string, unknown>)[] }>(
            GRAPH, `/v1.0/applications/${appId}`);
        const federated = await reader.list<{ id: string; name: string; subject: string }>(GRAPH, `/v1.0/applications/${appId}/federatedIdentityCredentials`);
        return {
            passwords: (app.passwordCredentials ?? []).map(credentialOf),
            certificates: (app.keyCredentials ?? []).map(credentialOf),
            keyCredentials: app.keyCredentials ?? [],
            federatedCredentials: federated.map(({ id, name, subject }) => ({ id: id.toLowerCase(), name, subject })),
            owners: await ownerIds(reader, "applications", appId),
        };
    });
    const sp = declared.servicePrincipal;
    const servicePrincipalOwners = sp === undefined ? undefined : await orMissing(() => ownerIds(reader, "servicePrincipals", sp.objectId));
    if (sp === undefined || servicePrincipalOwners === undefined) return { application, servicePrincipalOwners, roleAssignments: [], roleScopes: { read: [] } };
    const { assignments, scopes } = await readRoleAssignments(reader, sp.objectId, subscriptionId, resourceGroups);
    return { application, servicePrincipalOwners, roleAssignments: assignments, roleScopes: scopes };
}

async function readRoleAssignments(reader: AzureReader, principalId: string, subscriptionId: string, resourceGroups: readonly string[]):
    Promise<{ assignments: ObservedRoleAssignment[]; scopes: RoleScopes }> {
    const filter = `?api-version=${ROLE_ASSIGNMENTS_API}&$filter=${encodeURIComponent(`principalId eq '${principalId}'`)}`;
    const subscription = `/subscriptions/${subscriptionId}`;
    const listAt = (scope: string) => reader.list<{ id: string; properties: { scope: string; roleDefinitionId: string } }>(
        ARM, `${scope}/providers/Microsoft.Authorization/roleAssignments${filter}`);
    const found = new Map<string, ObservedRoleAssignment>();
    const keep = (listed: Awaited<ReturnType<typeof listAt>>) => {
        for (const { id, properties } of listed) found.set(id.toLowerCase(), { id, scope: properties.scope, roleDefinitionId: properties.roleDefinitionId });
    };
    try {
        keep(await listAt(subscription));
        return { assignments: [...found.values()], scopes: { read: [subscription] } };
    } catch (error) {
        if (!(error instanceof AzureRequestError) || error.status !== 403) throw error;
        const groups = [...new Set(resourceGroups)].sort();
        for (const group of groups) keep(await listAt(`${subscription}/resourceGroups/${group}`));
        return {
            assignments: [...found.values()],
            scopes: { read: groups.map((group) => `${subscription}/resourceGroups/${group}`), refused: `${error.status} ${error.code}` },
        };
    }
}
