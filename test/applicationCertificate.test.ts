/** The azuread stand-in's ApplicationCertificate against an in-memory Graph: what the provider sends, and its lock. */
import { setImmediate as yieldTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { ApplicationCertificateHandler, keyCredentialForResource } from "../localazure/providers/azuread/applicationCertificate";
import { realClock } from "../localazure/providers/azuread/retries";
import { pollClock } from "../localazure/providers/azuread/stateChange";
import type { GraphClient, GraphObject } from "../localazure/providers/azuread/graph";
import { makeSelfSigned } from "../tools/certificate/selfSigned";

const OBJECT_ID = "11111111-1111-4111-8111-111111111111";
const pem = makeSelfSigned({ commonName: "x", notBefore: new Date("2026-07-10T00:00:00Z"), notAfter: new Date("2027-07-10T00:00:00Z") }).certificatePem;
const der = pem.replace(/-----[A-Z ]+-----|\s/g, "");

/** An application whose keyCredentials a GET reads and a PATCH replaces, with a turn of the event loop in between. */
function memoryGraph() {
    let keyCredentials: GraphObject[] = [];
    const graph = {
        async get(): Promise<GraphObject> {
            await yieldTurn();
            return { id: OBJECT_ID, keyCredentials: keyCredentials.map((entry) => ({ ...entry })) };
        },
        read(): Promise<GraphObject> {
            return this.get();
        },
        async patch(_collection: string, _id: string, body: GraphObject): Promise<void> {
            await yieldTurn();
            keyCredentials = (body["keyCredentials"] as GraphObject[]).map((entry) => ({
                ...entry, startDateTime: entry["startDateTime"] ?? "2026-07-10T00:00:00Z", endDateTime: entry["endDateTime"] ?? "2027-07-10T00:00:00Z",
            }));
        },
    };
    return { graph: graph as unknown as GraphClient, keys: () => keyCredentials.map((entry) => entry["keyId"]) };
}

describe("ApplicationCertificate (azuread stand-in)", () => {
    it.each([
        ["pem", pem],
        ["base64", der],
        ["hex", Buffer.from(der, "base64").toString("hex")],
    ])("sends the base64 of PEM text for encoding %s, usage Verify, the dates in RFC 3339 (credentials.go)", (encoding, value) => {
        const credential = keyCredentialForResource({ value, encoding, type: "AsymmetricX509Cert", keyId: "k",
            startDate: "2026-07-10T00:00:00.000Z", endDate: "2027-07-10T00:00:00Z" });
        expect({ ...credential, key: Buffer.from(String(credential["key"]), "base64").toString().replace(/\s/g, "") }).toEqual({
            keyId: "k", type: "AsymmetricX509Cert", usage: "Verify", key: pem.replace(/\s/g, ""),
            startDateTime: "2026-07-10T00:00:00Z", endDateTime: "2027-07-10T00:00:00Z",
        });
    });

    it("takes turns on one application (tf.LockByName): two certificates created at once both stay", async () => {
        const { graph, keys } = memoryGraph();
        const handler = new ApplicationCertificateHandler(() => graph, { secretOutputs: () => true, clock: pollClock({ LOCAL_AZURE_POLL_SCALE: "0" }, realClock) });
        const create = (keyId: string) => handler.create({
            urn: `urn:pulumi:dev::p::azuread:index/applicationCertificate:ApplicationCertificate::${keyId}`, preview: false,
            inputs: { applicationId: `/applications/${OBJECT_ID}`, value: pem, encoding: "pem", type: "AsymmetricX509Cert", keyId },
        });
        const created = await Promise.all([create("a"), create("b")]);
        expect(created.map((result) => result.id)).toEqual([`${OBJECT_ID}/certificate/a`, `${OBJECT_ID}/certificate/b`]);
        expect(keys()).toEqual(["a", "b"]);
    });
});
