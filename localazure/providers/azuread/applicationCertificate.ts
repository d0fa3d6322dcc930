/**
 * azuread:index/applicationCertificate:ApplicationCertificate, after terraform-provider-azuread
 * internal/services/applications/application_certificate_resource.go (v3.x) and
 * internal/helpers/credentials/credentials.go KeyCredentialForResource, as pulumi-terraform-bridge serves it.
 * Graph's side (what it stores, what it refuses) is localazure/graph/keyCredentials.ts.
 */
import { randomUUID } from "node:crypto";
import { reveal, secret, stringOf } from "../shared/properties";
import type {
    CheckResult, CreateRequest, CreateResult, DeleteRequest, DiffRequest, DiffResult, PropertyMap, ReadRequest,
    ReadResult, ResourceHandler, UpdateRequest,
} from "../shared/types";
import { objectIdOf } from "./application";
import { bridgeCheck, bridgeDiff, plannedState, refreshedInputs, type ResourceSpec } from "./bridge";
import { errorDiag, importAsExistsDiag, TerraformError } from "./diagnostics";
import type { GraphClient, GraphObject } from "./graph";
import { lockedBy } from "./locks";
import type { RetryClock } from "./retries";
import { CREDENTIAL_CREATE_TIMEOUT_MS, pollForCredential } from "./stateChange";

export const APPLICATION_CERTIFICATE = "azuread:index/applicationCertificate:ApplicationCertificate";

/**
 * No UpdateContext: every attribute is ForceNew. encoding has `Default: "pem"`; key_id, start_date and end_date are
 * Optional+Computed; value is Required and Sensitive.
 */
export const applicationCertificateSpec: ResourceSpec = {
    token: APPLICATION_CERTIFICATE,
    attributes: {
        applicationId: { required: true, forceNew: true },
        encoding: { forceNew: true, default: "pem" },
        keyId: { forceNew: true, computed: true },
        startDate: { forceNew: true, computed: true },
        endDate: { forceNew: true, computed: true },
        endDateRelative: { forceNew: true },
        type: { forceNew: true },
        value: { required: true, forceNew: true },
    },
};

const COMPUTED = ["keyId", "startDate", "endDate"];
const idText = (objectId: string) => `Application (Application: ${JSON.stringify(objectId)})`;

export interface CertificateOptions {
    /** Whether the engine's Configure said it accepts secrets: then `value` goes back marked secret. */
    readonly secretOutputs: () => boolean;
    /** The clock of the consistency poll (./stateChange.ts pollClock). */
    readonly clock: RetryClock;
}

export class ApplicationCertificateHandler implements ResourceHandler {
    constructor(private readonly graph: () => GraphClient, private readonly options: CertificateOptions) {}

    check(_urn: string, _olds: PropertyMap, news: PropertyMap): Promise<CheckResult> {
        return Promise.resolve(bridgeCheck(applicationCertificateSpec, news));
    }

    diff(request: DiffRequest): Promise<DiffResult> {
        return Promise.resolve(bridgeDiff(applicationCertificateSpec, request.olds, request.news));
    }

    /** Under the application's lock: GET, PATCH keyCredentials with the new key, the five-read poll, then Read. */
    async create({ inputs, preview }: CreateRequest): Promise<CreateResult> {
        if (preview) return { id: "", outs: plannedState(inputs, COMPUTED) };
        const objectId = objectIdOf(String(inputs["applicationId"]));
        const credential = keyCredentialForResource(inputs);
        const keyId = String(credential["keyId"]);
        const id = `${objectId}/certificate/${keyId}`;
        const graph = this.graph();
        const startedAt = this.options.clock.now();
        const stored = await lockedBy(objectId, async () => {
            const app = await graph.get("applications", objectId).catch((error: unknown) => {
                throw new TerraformError([errorDiag(`Retrieving ${idText(objectId)}`, error, "application_id")]);
            });
            if (app === undefined) throw new TerraformError([errorDiag(`Retrieving ${idText(objectId)}`, "not found", "application_id")]);
            const existing = keyCredentialsOf(app);
            if (existing.some((entry) => String(entry["keyId"]).toLowerCase() === keyId.toLowerCase())) {
                throw new TerraformError([importAsExistsDiag("azuread_application_certificate", id)]);
            }
            try {
                await graph.patch("applications", objectId, { keyCredentials: [...existing, credential] });
            } catch (error) {
                throw new TerraformError([errorDiag(`Adding certificate for ${idText(objectId)}`, error)]);
            }
            try {
                const timeLeft = startedAt + CREDENTIAL_CREATE_TIMEOUT_MS.certificate - this.options.clock.now();
                return await pollForCredential(async () => findKeyCredential(await graph.read("applications", objectId), keyId), timeLeft, this.options.clock);
            } catch (error) {
                throw new TerraformError([errorDiag(`Waiting for certificate credential for ${idText(objectId)}`, error)]);
            }
        });
        if (stored === undefined) {
            throw new TerraformError([errorDiag(`Waiting for certificate credential for ${idText(objectId)}`, "certificate credential not found in application manifest")]);
        }
        // applicationCertificateResourceRead, as Create ends: one more GET of the application.
        const read = await this.credential(objectId, keyId) ?? stored;
        return { id, outs: certificateOutputs(objectId, keyId, read, inputs, this.options.secretOutputs()) };
    }

    /** Read: the application gone, or the key gone from it, removes the resource from the state. */
    async read({ id, props, inputs }: ReadRequest): Promise<ReadResult> {
        const { objectId, keyId } = parseCertificateId(id);
        const stored = await this.credential(objectId, keyId);
        if (stored === undefined) return { id: "" };
        const outs = certificateOutputs(objectId, keyId, stored, props, this.options.secretOutputs());
        return { id, props: outs, inputs: refreshedInputs(inputs, outs) };
    }

    update({ urn }: UpdateRequest): Promise<PropertyMap> {
        return Promise.reject(new Error(`internal: expected diff to not require deletion or replacement during Update of ${urn}`));
    }

    async delete({ id, urn }: DeleteRequest): Promise<void> {
        const { objectId, keyId } = parseCertificateId(id);
        const graph = this.graph();
        const what = `certificate credential ${JSON.stringify(keyId)} from application with object ID ${JSON.stringify(objectId)}`;
        await lockedBy(objectId, async () => {
            const app = await graph.get("applications", objectId);
            if (app === undefined) throw new TerraformError([errorDiag(`Retrieving ${idText(objectId)}`, "not found", "application_id")], `deleting ${urn}: `);
            const remaining = keyCredentialsOf(app).filter((entry) => String(entry["keyId"]).toLowerCase() !== keyId.toLowerCase());
            try {
                await graph.patch("applications", objectId, { keyCredentials: remaining });
            } catch (error) {
                throw new TerraformError([errorDiag(`Removing ${what}`, error)], `deleting ${urn}: `);
            }
        });
        // consistency.WaitForDeletion.
        if (await this.credential(objectId, keyId) !== undefined) {
            throw new TerraformError([errorDiag(`Waiting for deletion of ${what}`, "still present")], `deleting ${urn}: `);
        }
    }

    private async credential(objectId: string, keyId: string): Promise<GraphObject | undefined> {
        const app = await this.graph().get("applications", objectId);
        return app === undefined ? undefined : findKeyCredential(app, keyId);
    }

}

/** What applicationCertificateResourceRead sets; encoding, value and end_date_relative stay as configured. */
export function certificateOutputs(objectId: string, keyId: string, credential: GraphObject, inputs: PropertyMap,
    secretValue: boolean): PropertyMap {
    const value = reveal(inputs["value"]);
    const outs: PropertyMap = {
        applicationId: `/applications/${objectId}`,
        encoding: stringOf(inputs["encoding"]) ?? "pem",
        endDate: stringOf(credential["endDateTime"]) ?? "",
        keyId,
        startDate: stringOf(credential["startDateTime"]) ?? "",
        type: stringOf(credential["type"]) ?? "",
        // Sensitive in the Terraform schema: the bridge marks it secret when the engine accepts secrets.
        value: secretValue && typeof value === "string" ? secret(value) : value,
    };
    if (inputs["endDateRelative"] !== undefined) outs["endDateRelative"] = inputs["endDateRelative"];
    return outs;
}

function keyCredentialsOf(app: GraphObject): GraphObject[] {
    return Array.isArray(app["keyCredentials"]) ? app["keyCredentials"] as GraphObject[] : [];
}

/**
 * credentials.KeyCredentialForResource: the key is the base64 of PEM text, whatever the encoding (base64 and hex DER
 * are wrapped in PEM first); a new random key_id when none is given; usage Verify; the dates re-formatted as RFC 3339.
 * end_date_relative is not modelled (the program never sets it).
 */
export function keyCredentialForResource(inputs: PropertyMap): GraphObject {
    const value = stringOf(reveal(inputs["value"])) ?? "";
    const encoding = stringOf(inputs["encoding"]) ?? "pem";
    let pem: string;
    if (encoding === "pem") {
        pem = value;
    } else {
        const der = encoding === "base64" ? Buffer.from(value.trim(), "base64") : Buffer.from(value.trim(), "hex");
        if (der.length === 0) {
            throw new TerraformError([errorDiag("Generating certificate credentials", `failed to decode ${encoding === "hex" ? "hexadecimal" : "base64"} certificate data`, "value")]);
        }
        pem = `-----BEGIN CERTIFICATE-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;
    }
    const credential: GraphObject = {
        keyId: stringOf(inputs["keyId"]) ?? randomUUID(),
        type: stringOf(inputs["type"]) ?? "",
        usage: "Verify",
        key: Buffer.from(pem).toString("base64"),
    };
    for (const [input, property] of [["startDate", "startDateTime"], ["endDate", "endDateTime"]] as const) {
        const text = stringOf(inputs[input]);
        if (text === undefined || text === "") continue;
        const date = new Date(text);
        if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
            const which = input === "startDate" ? "start" : "end";
            throw new TerraformError([errorDiag("Generating certificate credentials", `Unable to parse the provided ${which} date ${JSON.stringify(text)}`, `${which}_date`)]);
        }
        credential[property] = date.toISOString().replace(/\.\d{3}Z$/, "Z");
    }
    return credential;
}

/** `parse.CertificateID`: "{objectId}/certificate/{keyId}". */
export function parseCertificateId(id: string): { objectId: string; keyId: string } {
    const parts = id.split("/");
    if (parts.length !== 3 || parts[1] !== "certificate" || parts[0] === "" || parts[2] === "") {
        throw new TerraformError([errorDiag(`Parsing certificate credential with ID ${JSON.stringify(id)}`,
            `Object Resource ID should be in the format {objectId}/{type}/{subId} - but got ${JSON.stringify(id)}`, "id")]);
    }
    return { objectId: parts[0] as string, keyId: parts[2] as string };
}

function findKeyCredential(app: GraphObject, keyId: string): GraphObject | undefined {
    return keyCredentialsOf(app).find((entry) => String(entry["keyId"]).toLowerCase() === keyId.toLowerCase());
}
