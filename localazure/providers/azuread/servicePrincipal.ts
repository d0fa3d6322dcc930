/**
 * azuread:index/servicePrincipal:ServicePrincipal, after terraform-provider-azuread
 * internal/services/serviceprincipals/service_principal_resource.go (v3.x) as pulumi-terraform-bridge serves it.
 */
import { sameStringSet, stringOf } from "../shared/properties";
import type {
    CheckResult, CreateRequest, CreateResult, DeleteRequest, DiffRequest, DiffResult, PropertyMap, ReadRequest,
    ReadResult, ResourceHandler, UpdateRequest,
} from "../shared/types";
import { afterSetId, bridgeCheck, bridgeDiff, importedInputs, isImportRead, noDiff, plannedState, refreshedInputs, type ResourceSpec } from "./bridge";
import { errorDiag, importAsExistsDiag, TerraformError } from "./diagnostics";
import { featureTags, legacyFeatures, stringList } from "./features";
import { GraphError, type GraphClient, type GraphObject } from "./graph";
import { finishInitialOwners, initialOwners, reconcileOwners } from "./owners";

export const SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal";
const TF_NAME = "azuread_service_principal";

export const servicePrincipalSpec: ResourceSpec = {
    token: SERVICE_PRINCIPAL,
    attributes: {
        // client_id: Required, ForceNew; account_enabled: Default true.
        clientId: { required: true, forceNew: true },
        accountEnabled: { default: true },
        owners: { set: true },
    },
};

const COMPUTED = [
    "appRoleIds", "appRoles", "applicationTenantId", "displayName", "featureTags", "features", "homepageUrl",
    "logoutUrl", "oauth2PermissionScopeIds", "oauth2PermissionScopes", "objectId", "redirectUris", "samlMetadataUrl",
    "servicePrincipalNames", "signInAudience", "tags", "type",
];

const servicePrincipalId = (objectId: string) => `/servicePrincipals/${objectId}`;
const idText = (objectId: string) => `Service Principal (Service Principal: ${JSON.stringify(objectId)})`;

export class ServicePrincipalHandler implements ResourceHandler {
    constructor(private readonly graph: () => GraphClient) {}

    check(_urn: string, _olds: PropertyMap, news: PropertyMap): Promise<CheckResult> {
        return Promise.resolve(bridgeCheck(servicePrincipalSpec, news));
    }

    diff(request: DiffRequest): Promise<DiffResult> {
        return Promise.resolve(bridgeDiff(servicePrincipalSpec, request.olds, request.news));
    }

    async create({ urn, inputs, preview }: CreateRequest): Promise<CreateResult> {
        if (preview) return { id: "", outs: plannedState(inputs, COMPUTED) };
        const graph = this.graph();
        const clientId = String(inputs["clientId"]);
        let existing: GraphObject[];
        try {
            existing = await graph.servicePrincipalsFor(clientId);
        } catch (error) {
            throw new TerraformError([errorDiag("Could not list existing service principals", error)]);
        }
        if (existing.length > 1) {
            throw new TerraformError([errorDiag("Could not list existing service principals",
                `unexpected number of service principals returned (expected: 1, received: ${existing.length}`)]);
        }
        // Without use_existing (not modelled), an existing service principal for the app is an error.
        if (existing[0] !== undefined) throw new TerraformError([importAsExistsDiag(TF_NAME, String(existing[0]["id"]))]);

        const callerId = await graph.callerObjectId();
        const owners = initialOwners(callerId, stringList(inputs["owners"]));
        let created: GraphObject;
        try {
            created = await graph.create("servicePrincipals", {
                accountEnabled: inputs["accountEnabled"] !== false,
                appId: clientId,
                appRoleAssignmentRequired: false,
                // "Set a temporary description as we'll attempt to patch the service principal with the correct
                // description after creating it".
                description: `TERRAFORM_UPDATE_${crypto.randomUUID()}`,
                tags: [],
                "owners@odata.bind": owners.bind,
            });
        } catch (error) {
            throw new TerraformError([errorDiag("Could not create service principal", error)]);
        }
        const objectId = String(created["id"]);
        await afterSetId(urn, servicePrincipalId(objectId), inputs, async () => {
            try {
                // nullable.NoZero(""): the empty description is sent as null. With DefaultUpdateServicePrincipalOperationOptions
                // there is no RetryFunc, so a 404 from a replica fails at once, whatever the provider's comment says of
                // "retries ... in the event of 404" (go-azure-sdk msgraph/client.go sets no default retry functions).
                await graph.patch("servicePrincipals", objectId, { description: null });
            } catch (error) {
                if (error instanceof GraphError && error.status === 404) {
                    throw new TerraformError([errorDiag("Timed out whilst waiting for new service principal to be replicated in Azure AD", error)]);
                }
                throw new TerraformError([errorDiag("Failed to patch service principal after creating", error)]);
            }
            await finishInitialOwners(graph, "servicePrincipals", objectId, owners, callerId, idText(objectId));
        });
        const outs = await this.readOutputs(objectId);
        if (outs === undefined) throw new TerraformError([errorDiag(`Retrieving ${idText(objectId)}`, "not found")]);
        return { id: servicePrincipalId(objectId), outs };
    }

    /** servicePrincipalResourceRead: a 404 removes it from the state. */
    async read({ id, props, inputs }: ReadRequest): Promise<ReadResult> {
        const outs = await this.readOutputs(objectIdOf(id));
        if (outs === undefined) return { id: "" };
        return { id, props: outs, inputs: isImportRead(props) ? importedInputs(servicePrincipalSpec, outs) : refreshedInputs(inputs, outs) };
    }

    async update({ id, urn, olds, news, preview }: UpdateRequest): Promise<PropertyMap> {
        if (noDiff(servicePrincipalSpec, olds, news)) return olds;
        if (preview) return { ...olds, ...news };
        const graph = this.graph();
        const objectId = objectIdOf(id);
        try {
            await graph.patch("servicePrincipals", objectId, {
                accountEnabled: news["accountEnabled"] !== false,
                appRoleAssignmentRequired: false,
                description: null,
                tags: stringList(olds["tags"]),
            });
        } catch (error) {
            throw new TerraformError([errorDiag(`Updating ${idText(objectId)}`, error)]);
        }
        if (!sameStringSet(olds["owners"], news["owners"] ?? [])) {
            await reconcileOwners(graph, "servicePrincipals", objectId, stringList(news["owners"]), idText(objectId));
        }
        const outs = await this.readOutputs(objectId);
        if (outs === undefined) {
            throw new Error(`Resource provider reported that the resource did not exist while updating ${urn}.`);
        }
        return outs;
    }

    async delete({ id, urn }: DeleteRequest): Promise<void> {
        const graph = this.graph();
        const objectId = objectIdOf(id);
        try {
            await graph.delete("servicePrincipals", objectId);
        } catch (error) {
            throw new TerraformError([errorDiag(`Deleting ${idText(objectId)}`, error, "id")], `deleting ${urn}: `);
        }
        if (await graph.get("servicePrincipals", objectId) !== undefined) {
            throw new TerraformError([errorDiag(`Waiting for deletion of ${idText(objectId)}`, "still present")], `deleting ${urn}: `);
        }
    }

    private async readOutputs(objectId: string): Promise<PropertyMap | undefined> {
        const graph = this.graph();
        const principal = await graph.get("servicePrincipals", objectId);
        if (principal === undefined) return undefined;
        return servicePrincipalOutputs(principal, await graph.owners("servicePrincipals", objectId));
    }
}

/** What servicePrincipalResourceRead sets, under the schema's Pulumi names. */
export function servicePrincipalOutputs(principal: GraphObject, owners: readonly string[]): PropertyMap {
    const tags = stringList(principal["tags"]);
    const appId = stringOf(principal["appId"]) ?? "";
    return {
        accountEnabled: principal["accountEnabled"] === true,
        alternativeNames: stringList(principal["alternativeNames"]),
        appRoleAssignmentRequired: principal["appRoleAssignmentRequired"] === true,
        appRoleIds: {},
        appRoles: [],
        applicationTenantId: stringOf(principal["appOwnerOrganizationId"]) ?? "",
        clientId: appId,
        displayName: stringOf(principal["displayName"]) ?? "",
        featureTags: featureTags(tags),
        features: legacyFeatures(tags),
        homepageUrl: stringOf(principal["homepage"]) ?? "",
        loginUrl: stringOf(principal["loginUrl"]) ?? "",
        logoutUrl: stringOf(principal["logoutUrl"]) ?? "",
        notes: stringOf(principal["notes"]) ?? "",
        notificationEmailAddresses: stringList(principal["notificationEmailAddresses"]),
        oauth2PermissionScopeIds: {},
        oauth2PermissionScopes: [],
        objectId: String(principal["id"]),
        owners: [...owners],
        preferredSingleSignOnMode: stringOf(principal["preferredSingleSignOnMode"]) ?? "",
        redirectUris: stringList(principal["replyUrls"]),
        samlMetadataUrl: "",
        // "Exclude the app ID from the list of service principal names".
        servicePrincipalNames: stringList(principal["servicePrincipalNames"]).filter((name) => name.toLowerCase() !== appId.toLowerCase()),
        signInAudience: stringOf(principal["signInAudience"]) ?? "",
        tags,
        type: stringOf(principal["servicePrincipalType"]) ?? "",
    };
}

function objectIdOf(id: string): string {
    return id.replace(/^\/servicePrincipals\//, "");
}
