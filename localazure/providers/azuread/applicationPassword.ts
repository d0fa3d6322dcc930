/**
 * azuread:index/applicationPassword:ApplicationPassword, after terraform-provider-azuread
 * internal/services/applications/application_password_resource.go (v3.x) as pulumi-terraform-bridge serves it.
 */
import { reveal, secret, stringOf } from "../shared/properties";
import type {
    CheckResult, CreateRequest, CreateResult, DeleteRequest, DiffRequest, DiffResult, PropertyMap, ReadRequest,
    ReadResult, ResourceHandler, UpdateRequest,
} from "../shared/types";
import { objectIdOf } from "./application";
import { bridgeCheck, bridgeDiff, plannedState, refreshedInputs, type ResourceSpec } from "./bridge";
import { errorDiag, TerraformError } from "./diagnostics";
import type { GraphClient, GraphObject } from "./graph";
import { lockedBy } from "./locks";
import type { RetryClock } from "./retries";
import { CREDENTIAL_CREATE_TIMEOUT_MS, pollForCredential } from "./stateChange";

export const APPLICATION_PASSWORD = "azuread:index/applicationPassword:ApplicationPassword";

/** Every attribute is ForceNew (the resource has no UpdateContext); display_name and the dates are Optional+Computed. */
export const applicationPasswordSpec: ResourceSpec = {
    token: APPLICATION_PASSWORD,
    attributes: {
        applicationId: { required: true, forceNew: true },
        displayName: { forceNew: true, computed: true },
        startDate: { forceNew: true, computed: true },
        endDate: { forceNew: true, computed: true },
        endDateRelative: { forceNew: true },
        rotateWhenChanged: { forceNew: true },
    },
};

const COMPUTED = ["displayName", "startDate", "endDate", "keyId", "value"];
const idText = (objectId: string) => `Application (Application: ${JSON.stringify(objectId)})`;

export interface PasswordOptions {
    /** Whether the engine's Configure said it accepts secrets: then `value` goes back marked secret. */
    readonly secretOutputs: () => boolean;
    /** The clock of the consistency poll (./stateChange.ts pollClock). */
    readonly clock: RetryClock;
}

export class ApplicationPasswordHandler implements ResourceHandler {
    constructor(private readonly graph: () => GraphClient, private readonly options: PasswordOptions) {}

    check(_urn: string, _olds: PropertyMap, news: PropertyMap): Promise<CheckResult> {
        return Promise.resolve(bridgeCheck(applicationPasswordSpec, news));
    }

    diff(request: DiffRequest): Promise<DiffResult> {
        return Promise.resolve(bridgeDiff(applicationPasswordSpec, request.olds, request.news));
    }

    /**
     * Under the application's lock: GET the application, addPassword, then poll until Graph has listed the new key
     * five times (./stateChange.ts), then Read. The key and the value exist in Graph from addPassword on: a create
     * stopped during the poll leaves a secret that no state records.
     */
    async create({ inputs, preview }: CreateRequest): Promise<CreateResult> {
        if (preview) return { id: "", outs: plannedState(inputs, COMPUTED) };
        const graph = this.graph();
        const objectId = objectIdOf(String(inputs["applicationId"]));
        const startedAt = this.options.clock.now();
        const { keyId, value, polled } = await lockedBy(objectId, async () => {
            if (await graph.get("applications", objectId) === undefined) {
                throw new TerraformError([errorDiag(`${idText(objectId)} was not found`, undefined, "application_id")]);
            }
            let added: GraphObject;
            try {
                added = await graph.addPassword(objectId, passwordCredential(inputs));
            } catch (error) {
                throw new TerraformError([errorDiag(`Adding password for ${idText(objectId)}`, error)]);
            }
            const keyId = stringOf(added["keyId"]);
            const value = stringOf(added["secretText"]);
            if (keyId === undefined) throw new TerraformError([errorDiag(`API error adding password for ${idText(objectId)}`, "nil or empty keyId received")]);
            if (value === undefined || value === "") throw new TerraformError([errorDiag(`API error adding password for ${idText(objectId)}`, "nil or empty password received")]);
            let polled: GraphObject | undefined;
            try {
                const timeLeft = startedAt + CREDENTIAL_CREATE_TIMEOUT_MS.password - this.options.clock.now();
                polled = await pollForCredential(async () => findCredential(await graph.read("applications", objectId), keyId), timeLeft, this.options.clock);
            } catch (error) {
                throw new TerraformError([errorDiag(`Waiting for password credential for ${idText(objectId)}`, error)]);
            }
            if (polled === undefined) {
                throw new TerraformError([errorDiag(`Waiting for password credential for ${idText(objectId)}`, "password credential not found in application manifest")]);
            }
            return { keyId, value, polled };
        });
        // applicationPasswordResourceRead, as Create ends: one more GET of the application.
        const credential = await this.credential(objectId, keyId) ?? polled;
        return {
            id: `${objectId}/password/${keyId}`,
            outs: passwordOutputs(objectId, keyId, credential, value, inputs, this.options.secretOutputs()),
        };
    }

    /** Read: the application gone, or the key gone from it, removes the resource from the state. */
    async read({ id, props, inputs }: ReadRequest): Promise<ReadResult> {
        const { objectId, keyId } = parsePasswordId(id);
        const credential = await this.credential(objectId, keyId);
        if (credential === undefined) return { id: "" };
        // The secret is never read back: the state keeps the value it had.
        const outs = passwordOutputs(objectId, keyId, credential, reveal(props["value"]), props, this.options.secretOutputs());
        return { id, props: outs, inputs: refreshedInputs(inputs, outs) };
    }

    update({ urn }: UpdateRequest): Promise<PropertyMap> {
        return Promise.reject(new Error(`internal: expected diff to not require deletion or replacement during Update of ${urn}`));
    }

    /** Under the application's lock, as Create: removePassword, then one look that the key is gone. */
    async delete({ id, urn }: DeleteRequest): Promise<void> {
        const graph = this.graph();
        const { objectId, keyId } = parsePasswordId(id);
        await lockedBy(objectId, async () => {
            try {
                await graph.removePassword(objectId, keyId);
            } catch (error) {
                throw new TerraformError([errorDiag(`Removing password credential ${JSON.stringify(keyId)} from ${idText(objectId)}`, error)], `deleting ${urn}: `);
            }
            // consistency.WaitForDeletion: a failed GET of the application fails the delete too.
            let app: GraphObject | undefined;
            try {
                app = await graph.get("applications", objectId);
            } catch (error) {
                throw new TerraformError([errorDiag(`Waiting for deletion of password credential ${JSON.stringify(keyId)} from ${idText(objectId)}`, error)], `deleting ${urn}: `);
            }
            if (app === undefined || findCredential(app, keyId) !== undefined) {
                const cause = app === undefined ? "the application was not found" : "still present";
                throw new TerraformError([errorDiag(`Waiting for deletion of password credential ${JSON.stringify(keyId)} from ${idText(objectId)}`, cause)], `deleting ${urn}: `);
            }
        });
    }

    private async credential(objectId: string, keyId: string): Promise<GraphObject | undefined> {
        const app = await this.graph().get("applications", objectId);
        return app === undefined ? undefined : findCredential(app, keyId);
    }
}

/** What applicationPasswordResourceRead sets, with the value kept from the create (Graph never shows it again). */
export function passwordOutputs(
    objectId: string, keyId: string, credential: GraphObject, value: unknown, inputs: PropertyMap, secretValue: boolean,
): PropertyMap {
    const outs: PropertyMap = {
        applicationId: `/applications/${objectId}`,
        displayName: stringOf(credential["displayName"]) ?? "",
        endDate: stringOf(credential["endDateTime"]) ?? "",
        keyId,
        startDate: stringOf(credential["startDateTime"]) ?? "",
        // Sensitive in the Terraform schema: the bridge marks it secret when the engine accepts secrets.
        value: secretValue && typeof value === "string" ? secret(value) : value,
    };
    for (const name of ["endDateRelative", "rotateWhenChanged"]) {
        if (inputs[name] !== undefined) outs[name] = inputs[name];
    }
    return outs;
}

/**
 * `credentials.PasswordCredentialForResource`: display_name, start_date and end_date when set, the dates
 * re-formatted as RFC 3339; end_date_relative is not sent, so Graph applies its default end date.
 */
export function passwordCredential(inputs: PropertyMap): GraphObject {
    const credential: GraphObject = {};
    const displayName = stringOf(inputs["displayName"]);
    if (displayName !== undefined && displayName !== "") credential["displayName"] = displayName;
    const startDate = stringOf(inputs["startDate"]);
    if (startDate !== undefined && startDate !== "") credential["startDateTime"] = rfc3339(startDate, "start");
    const endDate = stringOf(inputs["endDate"]);
    if (endDate !== undefined && endDate !== "") credential["endDateTime"] = rfc3339(endDate, "end");
    return credential;
}

function rfc3339(text: string, which: string): string {
    const parsed = new Date(text);
    if (Number.isNaN(parsed.getTime()) || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
        throw new TerraformError([errorDiag("Generating password credentials", `Unable to parse the provided ${which} date ${JSON.stringify(text)}`, `${which}_date`)]);
    }
    return parsed.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function findCredential(app: GraphObject, keyId: string): GraphObject | undefined {
    const list = Array.isArray(app["passwordCredentials"]) ? app["passwordCredentials"] as GraphObject[] : [];
    return list.find((credential) => String(credential["keyId"]).toLowerCase() === keyId.toLowerCase());
}

/** `parse.PasswordID`: "{objectId}/password/{keyId}". */
export function parsePasswordId(id: string): { objectId: string; keyId: string } {
    const parts = id.split("/");
    if (parts.length !== 3 || parts[1] !== "password" || parts[0] === "" || parts[2] === "") {
        throw new TerraformError([errorDiag(`Parsing password credential with ID ${JSON.stringify(id)}`,
            `Object Resource ID should be in the format {objectId}/{type}/{subId} - but got ${JSON.stringify(id)}`, "id")]);
    }
    return { objectId: parts[0] as string, keyId: parts[2] as string };
}
