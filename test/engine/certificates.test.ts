/**
 * Certificates on the real engine: `pulumi up` of a stack with `credential: certificate` registers the committed
 * public certificates through the azuread stand-in's ApplicationCertificate (terraform-provider-azuread
 * internal/services/applications/application_certificate_resource.go) into the local Graph's keyCredentials, exactly
 * as Graph stores them; at the next rotation, with the next certificate committed, a second `up` replaces exactly the
 * slot whose turn it is. A moved clock (fakeClock.cjs) runs the program and the stand-ins on the chosen days.
 */
import { X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { certificatePath } from "../../infra/certificates";
import { makeSelfSigned } from "../../tools/certificate/selfSigned";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { appNamed, EVENT_LOG_ENV, expectOk, MovableClock, pulumiWith, stepsInEventLog, utc, writesSince } from "./support";
import { createEngineWorkspace, type EngineWorkspace } from "./workspace";

const NAME = "inventory-api-dev";
/** From anchor 2024-01-10, 12-month certificates rotate every 6 months: slot b on 2026-07-10, slot a on 2027-01-10. */
const STACK_FILE = `${readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.inventory-api-dev.yaml"), "utf8")}` +
    "  app-identity:credential: certificate\n  app-identity:secretRotationAnchor: \"2024-01-10\"\n";

let azure: LocalAzure;
let workspace: EngineWorkspace;
let clock: MovableClock;
let key: string | undefined;

/** Makes a certificate for the rotation of `day`, valid `from` → `to`, and commits it into the workspace's project. */
function commit(day: string, from: string, to: string): string {
    const made = makeSelfSigned({ commonName: NAME, notBefore: new Date(from), notAfter: new Date(to), ...(key === undefined ? {} : { privateKeyPem: key }) });
    key = made.privateKeyPem;
    const file = join(workspace.dir, certificatePath(NAME, new Date(`${day}T00:00:00Z`)));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, made.certificatePem);
    return made.certificatePem;
}

/** A keyCredential as Graph stores it, from the certificate alone (keyId aside: the provider makes it). */
function expectedCredential(pem: string, startDateTime: string, endDateTime: string) {
    const certificate = new X509Certificate(pem);
    return {
        customKeyIdentifier: certificate.fingerprint.replaceAll(":", ""), displayName: null, endDateTime,
        key: certificate.raw.toString("base64"), keyId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
        startDateTime, type: "AsymmetricX509Cert", usage: "Verify",
    };
}

function keyCredentials(): Record<string, unknown>[] {
    const stored = appNamed(azure, NAME).properties["keyCredentials"] as Record<string, unknown>[];
    return [...stored].sort((a, b) => String(a["startDateTime"]).localeCompare(String(b["startDateTime"])));
}

const pulumi = (args: readonly string[]) => pulumiWith(workspace, clock.env(workspace.env), args);

beforeAll(async () => {
    clock = new MovableClock(utc("2026-11-21"));
    azure = await startLocalAzure({ now: clock.now });
    workspace = await createEngineWorkspace(azure);
    workspace.writeStackFile("inventory-api-dev", STACK_FILE);
    expectOk(await workspace.pulumi(["stack", "init", "inventory-api-dev"]), "pulumi stack init inventory-api-dev");
}, 120_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

describe("credential: certificate on the real engine", () => {
    let current: string;
    let previous: string;

    it("pulumi up registers both slots' certificates as Graph keyCredentials, with their thumbprints and dates, and no secret", async () => {
        current = commit("2026-07-10", "2026-07-10T00:00:00Z", "2027-07-10T00:00:00Z");
        previous = commit("2026-01-10", "2026-01-10T00:00:00Z", "2027-01-10T00:00:00Z");
        // Under the guardrail pack in the real analyzer: the certificates' policies pass.
        const up = expectOk(await pulumi(["up", "--stack", "inventory-api-dev", "--yes", "--skip-preview", ...workspace.policyArgs]), "pulumi up");
        expect(up.stdout).toContain("app-identity-guardrails@v0.1.0");
        expect(keyCredentials()).toEqual([
            expectedCredential(previous, "2026-01-10T00:00:00Z", "2027-01-10T00:00:00Z"),
            expectedCredential(current, "2026-07-10T00:00:00Z", "2027-07-10T00:00:00Z"),
        ]);
        expect(appNamed(azure, NAME).passwords).toEqual([]);
        const outputs = JSON.parse(expectOk(await pulumi(["stack", "output", "--json", "--stack", "inventory-api-dev"]), "stack output").stdout) as Record<string, unknown>;
        expect(outputs["clientSecret"]).toBeUndefined();
        expect([outputs["credential"], outputs["certificateDueAt"], outputs["certificateExpiresAt"]])
            .toEqual(["certificate", "2027-01-10", "2027-07-10T00:00:00Z"]);
        expectOk(await pulumi(["preview", "--stack", "inventory-api-dev", "--expect-no-changes"]), "pulumi preview --expect-no-changes");
    }, 300_000);

    it("on the next rotation, with its certificate committed, pulumi up replaces exactly slot a: added, then the old one removed", async () => {
        const kept = keyCredentials()[1]!["keyId"];
        const next = commit("2027-01-10", "2027-01-10T00:00:00Z", "2028-01-10T00:00:00Z");
        clock.set(utc("2027-01-10"));
        const mark = azure.log().length;
        const eventLog = join(workspace.dir, "events-2027-01-10.jsonl");
        const up = expectOk(await pulumiWith(workspace, { ...clock.env(workspace.env), ...EVENT_LOG_ENV },
            ["up", "--stack", "inventory-api-dev", "--yes", "--skip-preview", "--event-log", eventLog]), "pulumi up at the rotation");
        expect(up.stdout).toMatch(/\+-1 replaced/);
        const type = "azuread:index/applicationCertificate:ApplicationCertificate";
        expect(stepsInEventLog(eventLog)).toEqual([
            `++ ${type} ${NAME}-certificate-a created replacement`, `+- ${type} ${NAME}-certificate-a replaced`,
            `-- ${type} ${NAME}-certificate-a deleted original`,
        ]);
        expect(writesSince(azure, mark)).toEqual([
            "PATCH graph.microsoft.com/v1.0/applications/{id} 204",
            "PATCH graph.microsoft.com/v1.0/applications/{id} 204",
        ]);
        expect(keyCredentials()).toEqual([
            { ...expectedCredential(current, "2026-07-10T00:00:00Z", "2027-07-10T00:00:00Z"), keyId: kept },
            expectedCredential(next, "2027-01-10T00:00:00Z", "2028-01-10T00:00:00Z"),
        ]);
    }, 300_000);

    it("a deploy without the certificate that is due stops before it changes anything, naming the file and the command", async () => {
        clock.set(utc("2027-07-10"));
        const mark = azure.log().length;
        const up = await pulumi(["up", "--stack", "inventory-api-dev", "--yes", "--skip-preview"]);
        expect(up.code).not.toBe(0);
        expect(up.stdout + up.stderr).toContain(`stacks/Pulumi.inventory-api-dev.yaml: app-identity:credential is "certificate", and ` +
            `stacks/certificates/${NAME}/2027-07-10.pem is missing; expected the public certificate for the rotation of ` +
            "2027-07-10 (slot b): make it on the server with npm run certificate -- new --stack inventory-api-dev --out DIR and commit " +
            "the certificate it writes there");
        expect(writesSince(azure, mark)).toEqual([]);
    }, 300_000);
});
