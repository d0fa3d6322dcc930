import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCertificates, setCertificatesRoot } from "../infra/certificates";
import { ConfigError, parseStackConfig } from "../infra/config";
import { secretSchedule } from "../infra/schedule";
import { certificateFixture, type CertificateFixture } from "./support/certificateFixture";
import { planStacks } from "../tools/plan/command";
import { renderJson } from "../tools/plan/render";
import { AT, countByType, evaluate, exampleConfig, flatConfig, ofType, PROJECT, ROOT, TYPES } from "./harness";

const NAME = "inventory-api-dev";
const FILE = "stacks/Pulumi.inventory-api-dev.yaml";
const ANCHOR = "2024-01-10";
/** At AT (2026-11-21) with a 12-month lifetime from 2024-01-10: slot b rotated 2026-07-10, slot a 2026-01-10. */
const CURRENT = { day: "2026-07-10", file: `stacks/certificates/${NAME}/2026-07-10.pem` };
const PREVIOUS = { day: "2026-01-10", file: `stacks/certificates/${NAME}/2026-01-10.pem` };
const CERTIFICATE_TYPE = "azuread:index/applicationCertificate:ApplicationCertificate";
/**
 * The SDK sends `value` as a secret (the azuread schema marks it `secret: true`), though a public certificate is
 * public: the Pulumi secret signature (@pulumi/pulumi runtime/rpc.ts specialSigKey, secretSig).
 */
const secret = (value: string) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });

/** openssl's own SHA-1 fingerprint, upper-case hex without colons: independent of the code under test. */
function opensslThumbprint(pem: string): string {
    const out = execFileSync("openssl", ["x509", "-noout", "-fingerprint", "-sha1"], { input: pem }).toString();
    return out.trim().replace(/^sha1 Fingerprint=/i, "").replaceAll(":", "");
}

function check(fixture: CertificateFixture, now = AT, lifetimeMonths = 12) {
    setCertificatesRoot(fixture.root);
    return readCertificates({
        stackFile: FILE, credentialKey: "app-identity:credential", displayName: NAME,
        schedule: secretSchedule(new Date(`${ANCHOR}T00:00:00Z`), lifetimeMonths, now), now, makeCommand: "MAKE",
    });
}

const made: CertificateFixture[] = [];
function fixture(): CertificateFixture {
    const created = certificateFixture();
    made.push(created);
    return created;
}
afterAll(() => made.forEach(({ root }) => rmSync(root, { recursive: true, force: true })));

describe("readCertificates: the committed certificates of the current and previous rotations", () => {
    it("reads both, newest first, with openssl's thumbprint and the certificates' own dates", () => {
        const certs = fixture();
        const current = certs.commit(NAME, CURRENT.day, "2026-07-10T00:00:00Z", "2027-07-10T00:00:00Z");
        const previous = certs.commit(NAME, PREVIOUS.day, "2026-01-10T00:00:00Z", "2027-01-10T00:00:00Z");
        const read = check(certs);
        expect(read.problems).toEqual([]);
        expect(read.certificates.map(({ slot, rotatedAt, file, thumbprint, startDate, endDate }) =>
            ({ slot, rotatedAt: rotatedAt.toISOString(), file, thumbprint, startDate, endDate }))).toEqual([
            { slot: "b", rotatedAt: "2026-07-10T00:00:00.000Z", file: CURRENT.file, thumbprint: opensslThumbprint(current.certificatePem),
                startDate: "2026-07-10T00:00:00Z", endDate: "2027-07-10T00:00:00Z" },
            { slot: "a", rotatedAt: "2026-01-10T00:00:00.000Z", file: PREVIOUS.file, thumbprint: opensslThumbprint(previous.certificatePem),
                startDate: "2026-01-10T00:00:00Z", endDate: "2027-01-10T00:00:00Z" },
        ]);
        expect(read.certificates[0]!.pem).toBe(current.certificatePem.trim());
        expect(read.certificates[0]!.thumbprint).toMatch(/^[0-9A-F]{40}$/);
    });

    it("takes the current rotation's certificate alone: a stack switching to certificates starts with one", () => {
        const certs = fixture();
        certs.commit(NAME, CURRENT.day, "2026-11-20T08:00:00Z", "2027-11-20T08:00:00Z");
        const read = check(certs);
        expect(read.problems).toEqual([]);
        expect(read.certificates.map((certificate) => [certificate.slot, certificate.startDate])).toEqual([["b", "2026-11-20T08:00:00Z"]]);
    });

    const prefix = `${FILE}: app-identity:credential is "certificate", and`;
    it.each([
        ["the current one is missing", () => undefined,
            `${prefix} ${CURRENT.file} is missing; expected the public certificate for the rotation of 2026-07-10 (slot b): ` +
            "make it on the server with MAKE and commit the certificate it writes there"],
        ["a file holds a private key", (certs: CertificateFixture) => {
            const key = certs.commit(NAME, PREVIOUS.day, "2026-01-10T00:00:00Z", "2027-01-10T00:00:00Z").privateKeyPem;
            certs.commit(NAME, CURRENT.day, "2026-07-10T00:00:00Z", "2027-07-10T00:00:00Z", key);
        }, `${prefix} ${CURRENT.file} holds a private key; expected the public certificate only: a private key never ` +
            "leaves its server and is never committed (delete it from the repository and its history, and make a new key pair)"],
        ["the previous one has expired", (certs: CertificateFixture) => {
            certs.commit(NAME, CURRENT.day, "2026-07-10T00:00:00Z", "2027-07-10T00:00:00Z");
            certs.commit(NAME, PREVIOUS.day, "2026-01-10T00:00:00Z", "2026-11-21T11:00:00Z");
        }, `${prefix} ${PREVIOUS.file} is valid from 2026-01-10T00:00:00Z to 2026-11-21T11:00:00Z: it has expired; ` +
            "expected a certificate valid after 2026-11-21T12:00:00Z"],
        ["it lives longer than certificateLifetimeMonths", (certs: CertificateFixture) => {
            certs.commit(NAME, CURRENT.day, "2026-07-10T00:00:00Z", "2027-07-10T00:00:01Z");
        }, `${prefix} ${CURRENT.file} is valid from 2026-07-10T00:00:00Z to 2027-07-10T00:00:01Z; expected at most 12 ` +
            "months (certificateLifetimeMonths)"],
        ["it starts before its rotation", (certs: CertificateFixture) => {
            certs.commit(NAME, CURRENT.day, "2026-07-09T23:59:59Z", "2027-07-09T23:59:59Z");
        }, `${prefix} ${CURRENT.file} is valid from 2026-07-09T23:59:59Z to 2027-07-09T23:59:59Z; expected, for the ` +
            "rotation of 2026-07-10 (slot b), a start on or after 2026-07-10 and before the next rotation 2027-01-10, and " +
            "an end no earlier than 2027-07-10, when slot b rotates again"],
        ["it ends before its slot rotates again", (certs: CertificateFixture) => {
            certs.commit(NAME, CURRENT.day, "2026-07-10T00:00:00Z", "2027-07-09T00:00:00Z");
        }, `${prefix} ${CURRENT.file} is valid from 2026-07-10T00:00:00Z to 2027-07-09T00:00:00Z; expected, for the ` +
            "rotation of 2026-07-10 (slot b), a start on or after 2026-07-10 and before the next rotation 2027-01-10, and " +
            "an end no earlier than 2027-07-10, when slot b rotates again"],
        ["the current one is not valid yet", (certs: CertificateFixture) => {
            certs.commit(NAME, CURRENT.day, "2026-12-01T00:00:00Z", "2027-12-01T00:00:00Z");
        }, `${prefix} ${CURRENT.file} is valid from 2026-12-01T00:00:00Z to 2027-12-01T00:00:00Z: it is not valid yet; ` +
            "expected a certificate valid now (2026-11-21T12:00:00Z), as its rotation has begun"],
    ])("refuses, in one line, when %s", (_case, arrange, message) => {
        const certs = fixture();
        arrange(certs);
        const read = check(certs);
        expect(read.problems).toEqual([message]);
    });
});

describe("readCertificates with an odd lifetime (7 months, a rotation every 3)", () => {
    // The only case where the start rule alone refuses: a start a month early still ends late enough, within 7 months.
    it("refuses a certificate that starts before its rotation, though it lives long enough and no longer than 7 months", () => {
        const certs = fixture();
        certs.commit(NAME, "2026-10-10", "2026-09-10T00:00:00Z", "2027-04-10T00:00:00Z");
        expect(check(certs, AT, 7).problems).toEqual([`${FILE}: app-identity:credential is "certificate", and ` +
            `stacks/certificates/${NAME}/2026-10-10.pem is valid from 2026-09-10T00:00:00Z to 2027-04-10T00:00:00Z; expected, ` +
            "for the rotation of 2026-10-10 (slot b), a start on or after 2026-10-10 and before the next rotation 2027-01-10, " +
            "and an end no earlier than 2027-04-10, when slot b rotates again"]);
    });
});

describe("config: credential, certificateLifetimeMonths, developerCredentials", () => {
    function problemsOf(values: Record<string, unknown>): readonly string[] {
        try {
            parseStackConfig(PROJECT, "inventory-api-dev", flatConfig(values));
        } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
            return (error as ConfigError).problems;
        }
        throw new Error("expected a ConfigError");
    }
    const lifetime = "expected a whole number of months from 2 to 24 (two staggered certificates need at least 2)";

    it.each([
        [{ credential: "certificates" }, `${FILE}: app-identity:credential is "certificates"; expected secret (client ` +
            "secrets, the default), certificate (a key pair made on the server, its public certificate committed under stacks/certificates/) " +
            "or federated (tokens of an OIDC issuer the server has, trusted through federatedCredentials)"],
        [{ certificateLifetimeMonths: 1 }, `${FILE}: app-identity:certificateLifetimeMonths is 1; ${lifetime}`],
        [{ certificateLifetimeMonths: 25 }, `${FILE}: app-identity:certificateLifetimeMonths is 25; ${lifetime}`],
        [{ developers: ["alice"], developerCredentials: { carol: "certificate" } },
            `${FILE}: app-identity:developerCredentials.carol is "certificate"; expected a developer listed in developers (alice)`],
    ])("refuses %j", (values, message) => {
        expect(problemsOf(exampleConfig(values))).toEqual([message]);
    });

    it("reads a developer's own choice over the stack's", () => {
        const config = parseStackConfig(PROJECT, "inventory-api-local", flatConfig(exampleConfig({
            credential: "certificate", certificateLifetimeMonths: 6, developers: ["alice", "bob"], developerCredentials: { bob: "secret" },
        })));
        expect([config.credential, config.certificateLifetimeMonths, config.developerCredentials])
            .toEqual(["certificate", 6, { bob: "secret" }]);
    });
});

describe("the program with credential: certificate", () => {
    let certs: CertificateFixture;
    const values = exampleConfig({ credential: "certificate", secretRotationAnchor: ANCHOR });
    beforeAll(() => {
        certs = fixture();
        certs.commit(NAME, CURRENT.day, "2026-07-10T00:00:00Z", "2027-07-10T00:00:00Z");
        certs.commit(NAME, PREVIOUS.day, "2026-01-10T00:00:00Z", "2027-01-10T00:00:00Z");
        setCertificatesRoot(certs.root);
    });

    it("registers one ApplicationCertificate per slot and no client secret", async () => {
        const plan = await evaluate("inventory-api-dev", values);
        expect(plan.errors).toEqual([]);
        expect(countByType(plan)).toEqual({
            [TYPES.component]: 1, [TYPES.application]: 1, [TYPES.servicePrincipal]: 1, [CERTIFICATE_TYPE]: 2, [TYPES.roleAssignment]: 1,
        });
        const applicationId = plan.fake.issued.find((resource) => resource.type === TYPES.application)!.id;
        const pems = check(certs).certificates.map((certificate) => certificate.pem);
        expect(ofType(plan, CERTIFICATE_TYPE).map(({ name, inputs, protect }) => ({ name, inputs, protect }))).toEqual([
            { name: `${NAME}-certificate-b`, protect: false, inputs: { applicationId, type: "AsymmetricX509Cert", encoding: "pem",
                value: secret(pems[0]!), startDate: "2026-07-10T00:00:00Z", endDate: "2027-07-10T00:00:00Z" } },
            { name: `${NAME}-certificate-a`, protect: false, inputs: { applicationId, type: "AsymmetricX509Cert", encoding: "pem",
                value: secret(pems[1]!), startDate: "2026-01-10T00:00:00Z", endDate: "2027-01-10T00:00:00Z" } },
        ]);
    });

    it("exports the certificates' slots, thumbprints and dates, when the next is due, and no clientSecret", async () => {
        const plan = await evaluate("inventory-api-dev", values);
        const [current, previous] = check(certs).certificates;
        expect(Object.keys(plan.outputs).sort()).toEqual([
            "certificateDueAt", "certificateExpiresAt", "certificates", "clientId", "credential", "displayName",
            "roleAssignments", "servicePrincipalObjectId", "subscriptionId", "tenantId",
        ]);
        expect(Object.values(plan.outputs).every((output) => !output.secret)).toBe(true);
        expect(plan.outputs["credential"]!.value).toBe("certificate");
        expect(plan.outputs["certificateDueAt"]!.value).toBe("2027-01-10");
        expect(plan.outputs["certificateExpiresAt"]!.value).toBe("2027-07-10T00:00:00Z");
        expect(plan.outputs["certificates"]!.value).toEqual([
            { name: `${NAME}-certificate-b`, slot: "b", thumbprint: current!.thumbprint, startDate: "2026-07-10T00:00:00Z",
                endDate: "2027-07-10T00:00:00Z", file: CURRENT.file },
            { name: `${NAME}-certificate-a`, slot: "a", thumbprint: previous!.thumbprint, startDate: "2026-01-10T00:00:00Z",
                endDate: "2027-01-10T00:00:00Z", file: PREVIOUS.file },
        ]);
    });

    it("registers nothing when the next rotation's certificate is missing on its day", async () => {
        const plan = await evaluate("inventory-api-dev", values, { at: new Date("2027-01-10T00:00:00Z") });
        expect(plan.errors).toEqual([`${FILE}: app-identity:credential is "certificate", and stacks/certificates/${NAME}/2027-01-10.pem ` +
            "is missing; expected the public certificate for the rotation of 2027-01-10 (slot a): make it on the server " +
            "with npm run certificate -- new --stack inventory-api-dev --out DIR and commit the certificate it writes there"]);
        expect(plan.resources).toEqual([]);
    });

    it("gives each developer their own choice: alice certificates, bob secrets", async () => {
        const alice = "inventory-api-local-alice";
        certs.commit(alice, CURRENT.day, "2026-07-10T00:00:00Z", "2027-07-10T00:00:00Z");
        const plan = await evaluate("inventory-api-local", exampleConfig({
            environment: "local", developers: ["alice", "bob"], developerCredentials: { alice: "certificate" },
            secretRotationAnchor: ANCHOR,
        }));
        expect(plan.errors).toEqual([]);
        expect(ofType(plan, CERTIFICATE_TYPE).map((resource) => resource.name)).toEqual([`${alice}-certificate-b`]);
        expect(ofType(plan, TYPES.password).map((resource) => resource.name))
            .toEqual(["inventory-api-local-bob-secret-a", "inventory-api-local-bob-secret-b"]);
        const developers = plan.outputs["developers"]!.value as Record<string, Record<string, unknown>>;
        expect([developers["alice"]!["credential"], developers["bob"]!["credential"]]).toEqual(["certificate", undefined]);
        expect(plan.outputs["developerSecrets"]!.secret).toBe(true);
        expect(Object.keys(plan.outputs["developerSecrets"]!.value as object)).toEqual(["bob"]);
    });
});

describe("a stack without credential stays on secrets", () => {
    it("registers two ApplicationPasswords and no certificate, reading no certificate file", async () => {
        setCertificatesRoot(join("/nonexistent", "root"));
        const plan = await evaluate("inventory-api-dev", exampleConfig());
        expect(plan.errors).toEqual([]);
        expect([ofType(plan, TYPES.password).length, ofType(plan, CERTIFICATE_TYPE).length]).toEqual([2, 0]);
    });
});

describe("npm run plan of a certificate stack, from its project root", () => {
    it("reads the certificates under --root and shows what a deploy registers, the certificate's value only as [secret]", async () => {
        const certs = fixture();
        cpSync(join(ROOT, "Pulumi.yaml"), join(certs.root, "Pulumi.yaml"));
        mkdirSync(join(certs.root, "stacks"), { recursive: true });
        writeFileSync(join(certs.root, "stacks", "Pulumi.inventory-api-dev.yaml"), readFileSync(join(ROOT, "stacks", "Pulumi.inventory-api-dev.yaml"), "utf8") +
            `  app-identity:credential: certificate\n  app-identity:secretRotationAnchor: "${ANCHOR}"\n`);
        certs.commit(NAME, CURRENT.day, "2026-07-10T00:00:00Z", "2027-07-10T00:00:00Z");
        const before = setCertificatesRoot("/elsewhere");
        const plan = await planStacks({ root: certs.root, stacks: ["inventory-api-dev"], at: AT });
        expect(setCertificatesRoot(before)).toBe("/elsewhere");
        const [stack] = plan.stacks;
        expect([stack!.ok, stack!.errors, stack!.violations]).toEqual([true, [], []]);
        const json = renderJson(plan);
        expect(json).not.toContain("BEGIN CERTIFICATE");
        expect(stack!.resources.filter((resource) => resource.type === CERTIFICATE_TYPE).map((resource) => [resource.name, resource.inputs]))
            .toEqual([[`${NAME}-certificate-b`, { applicationId: expect.any(String) as unknown, type: "AsymmetricX509Cert",
                encoding: "pem", value: "[secret]", startDate: "2026-07-10T00:00:00Z", endDate: "2027-07-10T00:00:00Z" }]]);
    });
});
