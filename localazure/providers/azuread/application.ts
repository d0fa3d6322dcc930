/**
 * azuread:index/application:Application, after terraform-provider-azuread
 * internal/services/applications/application_resource.go (v3.x) as pulumi-terraform-bridge serves it.
 */
import { isUnknown, sameStringSet, stringOf } from "../shared/properties";
import type {
    CheckResult, CreateRequest, CreateResult, DeleteRequest, DiffRequest, DiffResult, PropertyMap, ReadRequest,
    ReadResult, ResourceHandler, UpdateRequest,
} from "../shared/types";
import {
    afterSetId, bridgeCheck, bridgeDiff, importedInputs, isImportRead, noDiff, plannedState, refreshedInputs, type ResourceSpec,
} from "./bridge";
import {
    diffingError, errorDiag, importAsDuplicateDiag, importAsDuplicateError, TerraformError,
} from "./diagnostics";
import { applicationUpdateClears, clearingPatch } from "../../../common/azureadApplicationUpdate";
import { featureTags, stringList } from "./features";
import { APPLICATION_UPDATE_RETRY, GraphError, type GraphClient, type GraphObject } from "./graph";
import { finishInitialOwners, initialOwners, reconcileOwners } from "./owners";

export const APPLICATION = "azuread:index/application:Application";
const TF_NAME = "azuread_application";

export const applicationSpec: ResourceSpec = {
    token: APPLICATION,
    attributes: {
        displayName: { required: true },
        // Default: SignInAudienceAzureADMyOrg; prevent_duplicate_names Default: false.
        signInAudience: { default: "AzureADMyOrg" },
        preventDuplicateNames: { default: false },
        owners: { set: true },
    },
    // template_id is ForceNew (and not modelled): it is always among the stables.
    otherForceNew: ["templateId"],
};

/** What Read sets but the inputs leave out, unknown in a preview. */
const COMPUTED = [
    "appRoleIds", "clientId", "disabledByMicrosoft", "featureTags", "logoUrl", "oauth2PermissionScopeIds", "objectId",
    "publisherDomain", "tags", "templateId",
];

export const applicationId = (objectId: string) => `/applications/${objectId}`;
const label = (objectId: string) => `application with object ID: ${JSON.stringify(objectId)}`;
const idText = (objectId: string) => `Application (Application: ${JSON.stringify(objectId)})`;

export class ApplicationHandler implements ResourceHandler {
    constructor(private readonly graph: () => GraphClient) {}

    check(_urn: string, _olds: PropertyMap, news: PropertyMap): Promise<CheckResult> {
        return Promise.resolve(bridgeCheck(applicationSpec, news));
    }

    /**
     * CustomizeDiff's duplicate check compares `diff.Id()` ("/applications/{id}") with the bare object ID, so on an
     * existing resource it never fires: a Diff only compares.
     */
    diff(request: DiffRequest): Promise<DiffResult> {
        return Promise.resolve(bridgeDiff(applicationSpec, request.olds, request.news));
    }

    /**
     * The bridge plans before it creates, in previews too (pkg/tfbridge/provider.go `Create`: p.tf.Diff, then
     * Apply unless preview), so CustomizeDiff's preventDuplicateNames check runs in `pulumi preview`.
     */
    async create({ urn, inputs, preview }: CreateRequest): Promise<CreateResult> {
        await this.customizeDiff(urn, inputs);
        if (preview) return { id: "", outs: plannedState(inputs, COMPUTED) };

        const graph = this.graph();
        const displayName = String(inputs["displayName"]);
        // applicationResourceCreate: "Perform this check at apply time to catch any duplicate names created
        // during the same apply".
        if (inputs["preventDuplicateNames"] === true) {
            const existing = await this.named(displayName, "name");
            if (existing[0] !== undefined) {
                throw new TerraformError([importAsDuplicateDiag(TF_NAME, String(existing[0]["id"]), displayName)]);
            }
        }
        const callerId = await graph.callerObjectId();
        const owners = initialOwners(callerId, stringList(inputs["owners"]));
        let created: GraphObject;
        try {
            created = await graph.create("applications", {
                displayName,
                signInAudience: inputs["signInAudience"],
                tags: [],
                "owners@odata.bind": owners.bind,
            });
        } catch (error) {
            throw new TerraformError([errorDiag("Could not create application", error)]);
        }
        const objectId = String(created["id"]);
        await afterSetId(urn, applicationId(objectId), inputs, async () => {
            // "Attempt to patch the newly created application and set the display name, which will tell us whether
            // it exists yet, then set it back to the desired value", retrying 404 and 409 (applicationUpdateRetryFunc);
            // a 404 left when the retries run out is "Timed out whilst waiting for new application to be replicated".
            try {
                for (const name of [`TERRAFORM_UPDATE_${crypto.randomUUID()}`, displayName]) {
                    await graph.patch("applications", objectId, { displayName: name }, APPLICATION_UPDATE_RETRY);
                }
            } catch (error) {
                if (error instanceof GraphError && error.status === 404) {
                    throw new TerraformError([errorDiag("Timed out whilst waiting for new application to be replicated in Azure AD", error)]);
                }
                throw new TerraformError([errorDiag(`Failed to patch application with object ID ${JSON.stringify(objectId)} after creating`, error)]);
            }
            await finishInitialOwners(graph, "applications", objectId, owners, callerId, label(objectId));
        });
        const outs = await this.readOutputs(objectId, inputs["preventDuplicateNames"] === true);
        if (outs === undefined) throw new TerraformError([errorDiag(`Retrieving ${idText(objectId)}`, "not found")]);
        return { id: applicationId(objectId), outs };
    }

    /**
     * applicationResourceRead: a 404 removes the resource from the state ("was not found - removing from state").
     * An import reads preventDuplicateNames as false: the attribute lives in config only, and Read sets
     * `d.Get("prevent_duplicate_names")`, false on an empty state.
     */
    async read({ id, props, inputs }: ReadRequest): Promise<ReadResult> {
        const outs = await this.readOutputs(objectIdOf(id), props["preventDuplicateNames"] === true);
        if (outs === undefined) return { id: "" };
        return { id, props: outs, inputs: isImportRead(props) ? importedInputs(applicationSpec, outs) : refreshedInputs(inputs, outs) };
    }

    async update({ id, urn, olds, news, preview }: UpdateRequest): Promise<PropertyMap> {
        if (noDiff(applicationSpec, olds, news)) return olds;
        // The bridge's preview Update answers the planned state: the config over the old state.
        if (preview) return { ...olds, ...news };
        const graph = this.graph();
        const objectId = objectIdOf(id);
        const displayName = String(news["displayName"]);
        // applicationResourceUpdate checks on every update with preventDuplicateNames, and fails when another
        // application holds the name.
        if (news["preventDuplicateNames"] === true) {
            const other = (await this.named(displayName, "display_name")).find((app) => app["id"] !== objectId);
            if (other !== undefined) {
                throw new TerraformError([importAsDuplicateDiag(TF_NAME, String(other["id"]), displayName)]);
            }
        }
        try {
            // applicationResourceUpdate sends every property the config leaves unset as empty (tags aside), after
            // disabling the app roles and permission scopes it removes (applicationDisableAppRoles,
            // applicationDisableOauth2PermissionScopes: Graph refuses to delete an enabled one):
            // common/azureadApplicationUpdate.ts. The state holds what the import's Read saw; the stand-in reads it from Graph.
            const current = await graph.get("applications", objectId) ?? {};
            const cleared = applicationUpdateClears(current);
            const disabled = (entries: unknown) => (Array.isArray(entries) ? entries as Record<string, unknown>[] : [])
                .map((entry) => ({ ...entry, isEnabled: false }));
            const roles = cleared.find((each) => each.property === "appRoles");
            if (roles !== undefined) await graph.patch("applications", objectId, { appRoles: disabled(roles.before) });
            const api = cleared.find((each) => each.property === "api")?.before as Record<string, unknown> | undefined;
            if (api !== undefined && disabled(api["oauth2PermissionScopes"]).length > 0) {
                await graph.patch("applications", objectId, { api: { oauth2PermissionScopes: disabled(api["oauth2PermissionScopes"]) } });
            }
            await graph.patch("applications", objectId,
                { displayName, signInAudience: news["signInAudience"], ...clearingPatch(cleared, current) });
        } catch (error) {
            throw new TerraformError([errorDiag(`Could not update ${label(objectId)}`, error)]);
        }
        if (!sameStringSet(olds["owners"], news["owners"] ?? [])) {
            await reconcileOwners(graph, "applications", objectId, stringList(news["owners"]), label(objectId));
        }
        const outs = await this.readOutputs(objectId, news["preventDuplicateNames"] === true);
        if (outs === undefined) {
            throw new Error(`Resource provider reported that the resource did not exist while updating ${urn}.`);
        }
        return outs;
    }

    /** applicationResourceDelete: delete, then wait until Graph answers 404. */
    async delete({ id, urn }: DeleteRequest): Promise<void> {
        const graph = this.graph();
        const objectId = objectIdOf(id);
        try {
            await graph.delete("applications", objectId);
        } catch (error) {
            const cause = error instanceof Error ? error.message : String(error);
            throw new TerraformError([errorDiag(`deleting ${idText(objectId)}: ${cause}`, error, "id")], `deleting ${urn}: `);
        }
        if (await graph.get("applications", objectId) !== undefined) {
            throw new TerraformError([errorDiag(`Waiting for deletion of application with object ID ${JSON.stringify(objectId)}`, "still present")], `deleting ${urn}: `);
        }
    }

    /** applicationResourceCustomizeDiff, for a new resource (`diff.Id() == ""`). */
    private async customizeDiff(urn: string, inputs: PropertyMap): Promise<void> {
        const displayName = inputs["displayName"];
        if (inputs["preventDuplicateNames"] !== true || typeof displayName !== "string" || isUnknown(displayName) || displayName === "") {
            return;
        }
        let existing: GraphObject[];
        try {
            existing = await this.graph().applicationsNamed(displayName);
        } catch (error) {
            throw diffingError(urn, `could not check for existing application(s): ${error instanceof Error ? error.message : String(error)}`);
        }
        const first = existing[0];
        if (first !== undefined) throw diffingError(urn, importAsDuplicateError(TF_NAME, String(first["id"]), displayName));
    }

    private async named(displayName: string, attribute: string): Promise<GraphObject[]> {
        try {
            return await this.graph().applicationsNamed(displayName);
        } catch (error) {
            throw new TerraformError([errorDiag("Could not check for existing application(s)", error, attribute)]);
        }
    }

    private async readOutputs(objectId: string, preventDuplicateNames: boolean): Promise<PropertyMap | undefined> {
        const graph = this.graph();
        const app = await graph.get("applications", objectId);
        if (app === undefined) return undefined;
        const owners = await graph.owners("applications", objectId);
        return applicationOutputs(app, owners, preventDuplicateNames);
    }
}

/** What applicationResourceRead sets, under the schema's Pulumi names. */
export function applicationOutputs(app: GraphObject, owners: readonly string[], preventDuplicateNames: boolean): PropertyMap {
    const tags = stringList(app["tags"]);
    const info = (app["info"] ?? {}) as Record<string, unknown>;
    return {
        appRoleIds: {},
        appRoles: [],
        clientId: stringOf(app["appId"]) ?? "",
        deviceOnlyAuthEnabled: app["isDeviceOnlyAuthSupported"] === true,
        disabledByMicrosoft: stringOf(app["disabledByMicrosoftStatus"]) ?? "",
        displayName: stringOf(app["displayName"]) ?? "",
        fallbackPublicClientEnabled: app["isFallbackPublicClient"] === true,
        featureTags: featureTags(tags),
        groupMembershipClaims: [],
        identifierUris: stringList(app["identifierUris"]),
        logoUrl: stringOf(info["logoUrl"]) ?? "",
        notes: stringOf(app["notes"]) ?? "",
        oauth2PermissionScopeIds: {},
        objectId: String(app["id"]),
        owners: [...owners],
        preventDuplicateNames,
        publisherDomain: stringOf(app["publisherDomain"]) ?? "",
        requiredResourceAccesses: [],
        signInAudience: stringOf(app["signInAudience"]) ?? "",
        tags,
        templateId: stringOf(app["applicationTemplateId"]) ?? "",
    };
}

/** The object ID in the provider's ID "/applications/{objectId}". */
export function objectIdOf(id: string): string {
    return id.replace(/^\/applications\//, "");
}
