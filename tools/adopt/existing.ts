/**
 * The hand-made identity as the deploying identity can read it: the app registration of a client ID, its client
 * secrets (name, key ID, end date: Graph's passwordCredentials never carry the value after creation,
 * learn.microsoft.com/graph/api/resources/passwordcredential), owners, audience, its service principal and that
 * principal's role assignments on the stack's resource groups and at the subscription above them.
 */
import { ARM, GRAPH, type AzureReader } from "../azure/rest";

export interface ExistingSecret {
    readonly keyId: string;
    readonly displayName: string | null;
    readonly endDateTime: string;
}

export interface ExistingApplication {
    readonly objectId: string;
    readonly clientId: string;
    readonly displayName: string;
    readonly signInAudience: string;
    readonly owners: readonly string[];
    readonly secrets: readonly ExistingSecret[];
    /** The app's Graph object as listed (never a secret: Graph lists no credential values), for what the first up clears. */
    readonly graph?: Record<string, unknown>;
}

export interface ExistingPrincipal {
    readonly objectId: string;
    readonly owners: readonly string[];
}

export interface ExistingRoleAssignment {
    /** The ARM ID, also azure-native's import ID. */
    readonly id: string;
    readonly name: string;
    readonly scope: string;
    readonly roleDefinitionId: string;
}

export interface ExistingIdentity {
    readonly application: ExistingApplication;
    readonly servicePrincipal: ExistingPrincipal | undefined;
    readonly roleAssignments: readonly ExistingRoleAssignment[];
}

/** The role assignments API version azure-native 3.28.0 uses (localazure/providers/azure-native/roleAssignment.ts). */
export const ROLE_ASSIGNMENTS_API = "2022-04-01";

interface GraphApp {
    id: string; appId: string; displayName?: string | null; signInAudience?: string | null;
    passwordCredentials?: { keyId: string; displayName?: string | null; endDateTime: string }[];
}

export class IdentityNotFound extends Error {}

export async function readExisting(reader: AzureReader, clientId: string, subscriptionId: string,
    resourceGroups: readonly string[]): Promise<ExistingIdentity> {
    const literal = clientId.replace(/'/g, "''");
    const [app, ...others] = await reader.list<GraphApp>(GRAPH, `/v1.0/applications?$filter=${encodeURIComponent(`appId eq '${literal}'`)}`);
    if (app === undefined) {
        throw new IdentityNotFound(`no app registration has the client ID ${clientId} in the tenant the deploying identity signs in to`);
    }
    if (others.length > 0) throw new Error(`Graph answered ${others.length + 1} app registrations for client ID ${clientId}`);
    const ownerIds = async (collection: string, objectId: string) =>
        (await reader.list<{ id: string }>(GRAPH, `/v1.0/${collection}/${objectId}/owners`)).map((owner) => owner.id.toLowerCase());
    const [principal] = await reader.list<{ id: string }>(GRAPH,
        `/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${literal}'`)}`);
    const servicePrincipal = principal === undefined ? undefined
        : { objectId: principal.id.toLowerCase(), owners: await ownerIds("servicePrincipals", principal.id) };
    // principalId eq: the principal's assignments at, above and below the scope (Microsoft Learn, "List Azure role
    // assignments using the REST API"): at each of the stack's resource groups, that group's and the subscription's.
    const roleAssignments = new Map<string, ExistingRoleAssignment>();
    for (const group of principal === undefined ? [] : resourceGroups) {
        const listed = await reader.list<{ id: string; name: string; properties: { scope: string; roleDefinitionId: string } }>(ARM,
            `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.Authorization/roleAssignments` +
            `?api-version=${ROLE_ASSIGNMENTS_API}&$filter=${encodeURIComponent(`principalId eq '${principal!.id}'`)}`);
        for (const assignment of listed) {
            roleAssignments.set(assignment.id.toLowerCase(), { id: assignment.id, name: assignment.name,
                scope: assignment.properties.scope, roleDefinitionId: assignment.properties.roleDefinitionId });
        }
    }
    return {
        application: {
            objectId: app.id.toLowerCase(),
            clientId: app.appId.toLowerCase(),
            displayName: app.displayName ?? "",
            signInAudience: app.signInAudience ?? "",
            owners: await ownerIds("applications", app.id),
            secrets: (app.passwordCredentials ?? []).map(({ keyId, displayName, endDateTime }) =>
                ({ keyId: keyId.toLowerCase(), displayName: displayName ?? null, endDateTime })),
            graph: app as unknown as Record<string, unknown>,
        },
        servicePrincipal,
        roleAssignments: [...roleAssignments.values()],
    };
}
