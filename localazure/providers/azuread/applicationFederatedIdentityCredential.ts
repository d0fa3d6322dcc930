/**
 * azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential, after
 * terraform-provider-azuread internal/services/applications/application_federated_identity_credential_resource.go
 * (read at v3.9.0, df2a07a3; the file is the same from v3.0.0 on apart from its licence header) and parse/credentials.go,
 * parse/object.go, as pulumi-terraform-bridge serves it. Graph's side is localazure/graph/federatedIdentityCredentials.ts.
 */
import { isUnknown, stringOf } from "../shared/properties";
import type {
    CheckFailure, CheckResult, CreateRequest, CreateResult, DeleteRequest, DiffRequest, DiffResult, PropertyMap, ReadRequest,
    ReadResult, ResourceHandler, UpdateRequest,
} from "../shared/types";
import { objectIdOf } from "./application";
import { bridgeCheck, bridgeDiff, importedInputs, isImportRead, plannedState, refreshedInputs, type ResourceSpec } from "./bridge";
import { errorDiag, TerraformError } from "./diagnostics";
import type { GraphClient, GraphObject } from "./graph";
import { lockedBy } from "./locks";
import type { RetryClock } from "./retries";
import { CREDENTIAL_CREATE_TIMEOUT_MS, pollForCredential } from "./stateChange";

export const APPLICATION_FEDERATED_IDENTITY_CREDENTIAL =
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential";

/**
 * The schema: application_id and display_name Required+ForceNew; audiences (TypeList, MaxItems 1), issuer and subject
 * Required and updated in place (UpdateContext); description Optional; credential_id Computed. The schema excerpt
 * (azuread-v6.9.1) has no `description`: its maker dropped every key named "description", this one too; the resource has it.
 */
export const applicationFederatedIdentityCredentialSpec: ResourceSpec = {
    token: APPLICATION_FEDERATED_IDENTITY_CREDENTIAL,
    attributes: {
        applicationId: { required: true, forceNew: true },
        audiences: { required: true },
        description: {},
        displayName: { required: true, forceNew: true },
        issuer: { required: true },
        subject: { required: true },
    },
};

const COMPUTED = ["credentialId"];
/** go-uuid ParseUUID: 36 characters, hex in 8-4-4-4-12 groups. */
const isUuid = (text: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text);
const TYPE = "federatedIdentityCredential";
/** go-azure-sdk's ID texts (stable.ApplicationId, stable.ApplicationIdFederatedIdentityCredentialId String()). */
const appText = (objectId: string) => `Application (Application: ${JSON.stringify(objectId)})`;
const credentialText = (objectId: string, keyId: string) =>
    `Application Id Federated Identity Credential (Application: ${JSON.stringify(objectId)}\nFederated Identity Credential: ${JSON.stringify(keyId)})`;

export class ApplicationFederatedIdentityCredentialHandler implements ResourceHandler {
    constructor(private readonly graph: () => GraphClient, private readonly options: { readonly clock: RetryClock }) {}

    /** ValidateResource: the schema's required attributes, then its ValidateFuncs and MaxItems. */
    check(_urn: string, _olds: PropertyMap, news: PropertyMap): Promise<CheckResult> {
        const checked = bridgeCheck(applicationFederatedIdentityCredentialSpec, news);
        return Promise.resolve({ inputs: checked.inputs, failures: [...checked.failures, ...schemaFailures(checked.inputs)] });
    }

    /** ForceNew on application_id and display_name only: a new issuer, subject, audience or description is an update. */
    diff(request: DiffRequest): Promise<DiffResult> {
        return Promise.resolve(bridgeDiff(applicationFederatedIdentityCredentialSpec, request.olds, request.news));
    }

    async create({ inputs, preview }: CreateRequest): Promise<CreateResult> {
        if (preview) return { id: "", outs: plannedState(inputs, COMPUTED) };
        const objectId = objectIdOf(String(inputs["applicationId"]));
        const graph = this.graph();
        const startedAt = this.options.clock.now();
        const created = await lockedBy(objectId, async () => {
            let app: GraphObject | undefined;
            try {
                app = await graph.get("applications", objectId);
            } catch (error) {
                throw new TerraformError([errorDiag(`retrieving ${appText(objectId)}`, error)]);
            }
            if (app === undefined) {
                // GetApplication's 404 is an error here, not a removal (the cause text is ours: the SDK's error is not modelled).
                throw new TerraformError([errorDiag(`retrieving ${appText(objectId)}`, "not found", "application_id")]);
            }
            let created: GraphObject;
            try {
                created = await graph.createFederatedIdentityCredential(objectId, credentialBody(inputs));
            } catch (error) {
                throw new TerraformError([errorDiag(`Adding federated identity credential for ${appText(objectId)}`, error)]);
            }
            const id = typeof created["id"] === "string" && created["id"] !== "" ? created["id"] : undefined;
            if (id === undefined) {
                throw new TerraformError([errorDiag(`API error adding federated identity credential for ${appText(objectId)}`, "nil or empty ID received")]);
            }
            // StateChangeConf with ContinuousTargetOccurence 5 (./stateChange.ts): five sightings; a 404 between them is a
            // not-found tick, which does not start the count again.
            await this.waitForCredential(objectId, id, startedAt + CREDENTIAL_CREATE_TIMEOUT_MS.federatedIdentityCredential - this.options.clock.now());
            return { ...created, id };
        });
        const keyId = created.id;
        // Then Read, as Create ends; the credential was just read five times, so what POST answered stands in if it is not.
        const credential = await this.graph().getFederatedIdentityCredential(objectId, keyId) ?? created;
        return { id: `${objectId}/${TYPE}/${keyId}`, outs: credentialOutputs(objectId, keyId, credential) };
    }

    /** Read: the credential (or its application) gone answers 404, and the resource leaves the state. */
    async read({ id, props, inputs }: ReadRequest): Promise<ReadResult> {
        const { objectId, keyId } = parseFederatedIdentityCredentialId(id);
        let credential: GraphObject | undefined;
        try {
            credential = await this.graph().getFederatedIdentityCredential(objectId, keyId);
        } catch (error) {
            throw new TerraformError([errorDiag(`Retrieving federated identity credential with ID ${JSON.stringify(keyId)} for application with object ID ${JSON.stringify(objectId)}`, error, "id")]);
        }
        if (credential === undefined) return { id: "" };
        const outs = credentialOutputs(objectId, keyId, credential);
        return { id, props: outs, inputs: isImportRead(props) ? importedInputs(applicationFederatedIdentityCredentialSpec, outs) : refreshedInputs(inputs, outs) };
    }

    /** Update: a PATCH with the id, the (immutable) name and every updatable value, then Read. */
    async update({ id, olds, news, preview }: UpdateRequest): Promise<PropertyMap> {
        if (preview) return { ...olds, ...news };
        const { objectId, keyId } = parseFederatedIdentityCredentialId(id);
        const graph = this.graph();
        await lockedBy(objectId, async () => {
            try {
                await graph.updateFederatedIdentityCredential(objectId, keyId, { id: keyId, ...credentialBody(news) });
            } catch (error) {
                throw new TerraformError([errorDiag(`Updating federated identity credential with ID ${JSON.stringify(keyId)} for application with object ID ${JSON.stringify(objectId)}`, error)]);
            }
        });
        const credential = await graph.getFederatedIdentityCredential(objectId, keyId);
        return credential === undefined ? { ...olds, ...news } : credentialOutputs(objectId, keyId, credential);
    }

    /** Delete, then consistency.WaitForDeletion: a GET until it answers 404. */
    async delete({ id, urn }: DeleteRequest): Promise<void> {
        const { objectId, keyId } = parseFederatedIdentityCredentialId(id);
        const graph = this.graph();
        await lockedBy(objectId, async () => {
            try {
                await graph.deleteFederatedIdentityCredential(objectId, keyId);
            } catch (error) {
                throw new TerraformError([errorDiag(`Removing ${credentialText(objectId, keyId)}`, error)], `deleting ${urn}: `);
            }
        });
        let still: GraphObject | undefined;
        try {
            still = await graph.getFederatedIdentityCredential(objectId, keyId);
        } catch (error) {
            throw new TerraformError([errorDiag(`Waiting for deletion of ${credentialText(objectId, keyId)}`, error)], `deleting ${urn}: `);
        }
        if (still !== undefined) {
            throw new TerraformError([errorDiag(`Waiting for deletion of ${credentialText(objectId, keyId)}`, "still present")], `deleting ${urn}: `);
        }
    }

    /** A 404 is "Waiting" (response.WasNotFound), any other failure ends the wait. */
    private async waitForCredential(objectId: string, keyId: string, timeLeft: number): Promise<void> {
        let found: GraphObject | undefined;
        try {
            found = await pollForCredential(() => this.graph().getFederatedIdentityCredential(objectId, keyId), timeLeft, this.options.clock);
        } catch (error) {
            throw new TerraformError([errorDiag(`Waiting for ${credentialText(objectId, keyId)}`, error)]);
        }
        if (found === undefined) {
            throw new TerraformError([errorDiag(`Waiting for federated identity credential${credentialText(objectId, keyId)}`, "federated identity credential not found in application manifest")]);
        }
    }
}

/** stable.FederatedIdentityCredential as Create and Update build it: description is sent even when empty (nullable.Value). */
export function credentialBody(inputs: PropertyMap): GraphObject {
    return {
        audiences: Array.isArray(inputs["audiences"]) ? inputs["audiences"].map(String) : [],
        description: typeof inputs["description"] === "string" ? inputs["description"] : "",
        issuer: stringOf(inputs["issuer"]) ?? "",
        name: stringOf(inputs["displayName"]) ?? "",
        subject: stringOf(inputs["subject"]) ?? "",
    };
}

/** What applicationFederatedIdentityCredentialResourceRead sets (description GetOrZero: "" for null). */
export function credentialOutputs(objectId: string, keyId: string, credential: GraphObject): PropertyMap {
    return {
        applicationId: `/applications/${objectId}`,
        audiences: Array.isArray(credential["audiences"]) ? credential["audiences"].map(String) : [],
        credentialId: keyId,
        description: typeof credential["description"] === "string" ? credential["description"] : "",
        displayName: stringOf(credential["name"]) ?? "",
        issuer: stringOf(credential["issuer"]) ?? "",
        subject: stringOf(credential["subject"]) ?? "",
    };
}

/**
 * The schema's ValidateFuncs and MaxItems, with the SDK's texts: audiences MaxItems 1 (helper/schema validateList "%s:
 * attribute supports %d item maximum, but config has %d declared"), each audience validation.StringIsNotEmpty
 * ("expected %q to not be an empty string, got %v"), display_name validation.StringLenBetween(1, 120) ("expected length
 * of %s to be in the range (%d - %d), got %s"), application_id stable.ValidateApplicationID (an `/applications/{id}`).
 */
function schemaFailures(inputs: PropertyMap): CheckFailure[] {
    const failures: CheckFailure[] = [];
    const audiences = inputs["audiences"];
    if (Array.isArray(audiences)) {
        if (audiences.length > 1) failures.push({ property: "audiences", reason: `audiences: attribute supports 1 item maximum, but config has ${audiences.length} declared` });
        audiences.forEach((audience, index) => {
            if (audience === "") failures.push({ property: `audiences[${index}]`, reason: `expected "audiences.${index}" to not be an empty string, got ` });
        });
    }
    const name = inputs["displayName"];
    // Terraform runs a validator on known values only: in a preview, what depends on a new app is unknown (UNKNOWN).
    if (typeof name === "string" && !isUnknown(name) && (name.length < 1 || name.length > 120)) {
        failures.push({ property: "displayName", reason: `expected length of display_name to be in the range (1 - 120), got ${name}` });
    }
    const applicationId = inputs["applicationId"];
    if (typeof applicationId === "string" && !isUnknown(applicationId) && !/^\/applications\/[^/]+$/.test(applicationId)) {
        failures.push({ property: "applicationId", reason: `parsing ${JSON.stringify(applicationId)}: expected an application resource ID of the form /applications/{applicationId}` });
    }
    return failures;
}

/**
 * parse.FederatedIdentityCredentialID (ObjectSubResourceID): "{objectId}/federatedIdentityCredential/{keyId}", both
 * UUIDs. This is the resource's ID, and what `pulumi import` takes; the provider's "TODO: migrate this to a
 * stable.ApplicationIdFederatedIdentityCredentialId" (/applications/{id}/federatedIdentityCredentials/{id}) is not done.
 */
export function parseFederatedIdentityCredentialId(id: string): { objectId: string; keyId: string } {
    const fail = (cause: string) => new TerraformError([errorDiag(`Parsing federated identity credential with ID ${JSON.stringify(id)}`,
        `unable to parse Federated Identity Credential ID: ${cause}`, "id")]);
    const parts = id.split("/");
    if (parts.length !== 3) throw fail(`object Resource ID should be in the format {objectId}/{type}/{subId} - but got ${JSON.stringify(id)}`);
    const [objectId, type, keyId] = parts as [string, string, string];
    if (!isUuid(objectId)) throw fail(`object ID isn't a valid UUID (${JSON.stringify(objectId)})`);
    if (type === "") throw fail("type in {objectID}/{type}/{subID} should not be empty");
    if (type !== TYPE) throw fail(`type in {objectID}/{type}/{subID} was expected to be ${TYPE}, got ${type}`);
    if (!isUuid(keyId)) throw fail(`object Sub Resource ID isn't a valid UUID (${JSON.stringify(keyId)})`);
    return { objectId, keyId };
}
