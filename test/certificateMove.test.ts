/**
 * Moving a stack from client secrets to certificates without downtime: `keepSecretsUntilSwitched: true` beside
 * `credential: certificate` keeps both secrets exactly as they were and registers the certificate, the outputs carry
 * both, env-file writes one kind per file, expiry judges each kind, and the key is refused where it means nothing.
 * The real engine's side is test/engine/certificateMove.test.ts.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCertificatesRoot } from "../infra/certificates";
import { main as envFile } from "../tools/envFile/command";
import { main as expiry } from "../tools/expiry/command";
import { planStacks } from "../tools/plan/command";
import { AT, countByType, evaluate, exampleConfig, ofType, ROOT, TYPES } from "./harness";
import { certificateFixture, type CertificateFixture } from "./support/certificateFixture";
import { showSecretsJson, writeOutputsFile } from "./support/outputs";

const NAME = "inventory-api-dev";
const FILE = "stacks/Pulumi.inventory-api-dev.yaml";
const ANCHOR = "2024-01-10";
const CERTIFICATE_TYPE = "azuread:index/applicationCertificate:ApplicationCertificate";
/** At AT (2026-11-21), 12-month certificates from 2024-01-10: the current rotation is 2026-07-10, slot b. */
const CURRENT_DAY = "2026-07-10";
const SECRETS = exampleConfig({ secretRotationAnchor: ANCHOR });
const MOVING = exampleConfig({ secretRotationAnchor: ANCHOR, credential: "certificate", keepSecretsUntilSwitched: true });
const NOT_ALLOWED = "expected it only with credential: certificate or federated (or a developer's certificate in " +
    "developerCredentials): it keeps the client secrets while servers move off them";

let certs: CertificateFixture;
let serverFile: string;
beforeAll(() => {
    certs = certificateFixture();
    const made = certs.commit(NAME, CURRENT_DAY, "2026-07-10T00:00:00Z", "2027-07-10T00:00:00Z");
    serverFile = join(certs.root, "server.pem");
    writeFileSync(serverFile, made.privateKeyPem + made.certificatePem, { mode: 0o600 });
    setCertificatesRoot(certs.root);
});
afterAll(() => rmSync(certs.root, { recursive: true, force: true }));

describe("the program with keepSecretsUntilSwitched: true", () => {
    it("keeps both ApplicationPasswords with exactly the inputs of the secret stack, and adds the certificate", async () => {
        const before = await evaluate("inventory-api-dev", SECRETS);
        const moving = await evaluate("inventory-api-dev", MOVING);
        expect(moving.errors).toEqual([]);
        expect(countByType(moving)).toEqual({
            [TYPES.component]: 1, [TYPES.application]: 1, [TYPES.servicePrincipal]: 1, [TYPES.password]: 2,
            [CERTIFICATE_TYPE]: 1, [TYPES.roleAssignment]: 1,
        });
        const passwords = (evaluation: typeof moving) => ofType(evaluation, TYPES.password)
            .map(({ name, inputs, protect }) => ({ name, protect, inputs: { ...inputs, applicationId: "APP" } }));
        expect(passwords(moving)).toEqual(passwords(before));
        expect(passwords(moving).map((password) => password.name)).toEqual([`${NAME}-secret-a`, `${NAME}-secret-b`]);
        expect(ofType(moving, CERTIFICATE_TYPE).map((resource) => resource.name)).toEqual([`${NAME}-certificate-b`]);
    });

    it("exports the certificates and the secrets, the client secret as a Pulumi secret", async () => {
        const before = await evaluate("inventory-api-dev", SECRETS);
        const moving = await evaluate("inventory-api-dev", MOVING);
        expect(Object.keys(moving.outputs).sort()).toEqual([
            "certificateDueAt", "certificateExpiresAt", "certificates", "clientId", "clientSecret", "clientSecretExpiresAt",
            "credential", "displayName", "roleAssignments", "secretRotatesAt", "secrets", "servicePrincipalObjectId",
            "subscriptionId", "tenantId",
        ]);
        expect(Object.entries(moving.outputs).filter(([, output]) => output.secret).map(([key]) => key)).toEqual(["clientSecret"]);
        expect(moving.outputs["credential"]!.value).toBe("certificate");
        for (const key of ["secrets", "clientSecretExpiresAt", "secretRotatesAt"]) {
            expect([key, moving.outputs[key]!.value]).toEqual([key, before.outputs[key]!.value]);
        }
    });

    it("gives a developer with certificates their secrets too, and leaves the one with secrets as they were", async () => {
        certs.commit("inventory-api-local-alice", CURRENT_DAY, "2026-07-10T00:00:00Z", "2027-07-10T00:00:00Z");
        const plan = await evaluate("inventory-api-local", exampleConfig({
            environment: "local", developers: ["alice", "bob"], developerCredentials: { alice: "certificate" },
            secretRotationAnchor: ANCHOR, keepSecretsUntilSwitched: true,
        }));
        expect(plan.errors).toEqual([]);
        expect(ofType(plan, TYPES.password).map((resource) => resource.name)).toEqual([
            "inventory-api-local-alice-secret-a", "inventory-api-local-alice-secret-b",
            "inventory-api-local-bob-secret-a", "inventory-api-local-bob-secret-b",
        ]);
        expect(ofType(plan, CERTIFICATE_TYPE).map((resource) => resource.name)).toEqual(["inventory-api-local-alice-certificate-b"]);
        expect(Object.keys(plan.outputs["developerSecrets"]!.value as object)).toEqual(["alice", "bob"]);
    });
});

describe("keepSecretsUntilSwitched where it means nothing: one line, before any resource", () => {
    it.each([
        ["without credential: certificate", { keepSecretsUntilSwitched: true }, `${FILE}: app-identity:keepSecretsUntilSwitched is true; ${NOT_ALLOWED}`],
        ["with credential: secret", { credential: "secret", keepSecretsUntilSwitched: true },
            `${FILE}: app-identity:keepSecretsUntilSwitched is true; ${NOT_ALLOWED}`],
        ["not a boolean", { credential: "certificate", keepSecretsUntilSwitched: "yes" },
            `${FILE}: app-identity:keepSecretsUntilSwitched is "yes"; expected true or false`],
    ])("refuses it %s", async (_case, values, line) => {
        const plan = await evaluate("inventory-api-dev", exampleConfig({ secretRotationAnchor: ANCHOR, ...values }));
        expect(plan.errors).toEqual([line]);
        expect(plan.resources).toEqual([]);
    });

    it("refuses it in a developers' stack where every developer keeps secrets", async () => {
        const plan = await evaluate("inventory-api-local", exampleConfig({
            environment: "local", developers: ["alice"], credential: "certificate", developerCredentials: { alice: "secret" },
            keepSecretsUntilSwitched: true,
        }));
        expect(plan.errors).toEqual([`stacks/Pulumi.inventory-api-local.yaml: app-identity:keepSecretsUntilSwitched is true; ${NOT_ALLOWED}`]);
    });

    it("takes false anywhere: the secret stack is unchanged", async () => {
        const plan = await evaluate("inventory-api-dev", exampleConfig({ secretRotationAnchor: ANCHOR, keepSecretsUntilSwitched: false }));
        expect([plan.errors, ofType(plan, TYPES.password).length, ofType(plan, CERTIFICATE_TYPE).length]).toEqual([[], 2, 0]);
    });
});

describe("npm run plan of a stack moving to certificates", () => {
    function project(extra: string): string {
        const root = mkdtempSync(join(tmpdir(), "cert-move-plan-"));
        cpSync(join(ROOT, "Pulumi.yaml"), join(root, "Pulumi.yaml"));
        cpSync(join(certs.root, "stacks"), join(root, "stacks"), { recursive: true });
        mkdirSync(join(root, "stacks"), { recursive: true });
        writeFileSync(join(root, "stacks", "Pulumi.inventory-api-dev.yaml"), readFileSync(join(ROOT, "stacks", "Pulumi.inventory-api-dev.yaml"), "utf8") +
            `  app-identity:secretRotationAnchor: "${ANCHOR}"\n${extra}`);
        return root;
    }

    it("shows the two secrets and the certificate, the guardrail pack passing both kinds", async () => {
        const root = project("  app-identity:credential: certificate\n  app-identity:keepSecretsUntilSwitched: true\n");
        const [stack] = (await planStacks({ root, stacks: ["inventory-api-dev"], at: AT })).stacks;
        expect([stack!.ok, stack!.errors, stack!.violations]).toEqual([true, [], []]);
        expect(stack!.resources.filter((resource) => resource.type === TYPES.password || resource.type === CERTIFICATE_TYPE)
            .map((resource) => resource.name)).toEqual([`${NAME}-secret-a`, `${NAME}-secret-b`, `${NAME}-certificate-b`]);
        rmSync(root, { recursive: true, force: true });
    });

    it("refuses the key without credential: certificate, as the deploy does", async () => {
        const root = project("  app-identity:keepSecretsUntilSwitched: true\n");
        const [stack] = (await planStacks({ root, stacks: ["inventory-api-dev"], at: AT })).stacks;
        expect([stack!.ok, stack!.errors, stack!.resources]).toEqual([false,
            [`${FILE}: app-identity:keepSecretsUntilSwitched is true; ${NOT_ALLOWED}`], []]);
        rmSync(root, { recursive: true, force: true });
    });
});

describe("the tools while both kinds exist", () => {
    let outputsFile: string;
    beforeAll(async () => {
        outputsFile = writeOutputsFile(join(certs.root, "moving.json"), showSecretsJson(await evaluate("inventory-api-dev", MOVING)));
    });

    async function envFileText(args: readonly string[]): Promise<{ code: number; text: string }> {
        let text = "";
        const original = console.error;
        console.error = () => undefined;
        try {
            const code = await envFile(["--from", outputsFile, "--stdout", ...args], { stdoutIsTerminal: false, writeStdout: (chunk) => { text += chunk; } });
            return { code, text };
        } finally {
            console.error = original;
        }
    }

    const variables = (text: string) => [...text.matchAll(/^([A-Z_]+)=/gm)].map((match) => match[1]);

    it("env-file writes the secret's file without --certificate-path, the certificate's with it, never both", async () => {
        const secret = await envFileText([]);
        expect([secret.code, variables(secret.text)]).toEqual([0, ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_SUBSCRIPTION_ID"]]);
        const certificate = await envFileText(["--certificate-path", serverFile]);
        expect([certificate.code, variables(certificate.text)])
            .toEqual([0, ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_SUBSCRIPTION_ID"]]);
    });

    it("expiry lists the certificate and both secrets, each kind with its own newest", async () => {
        const printed: string[] = [];
        const original = console.log;
        console.log = (text: string) => printed.push(text);
        let code: number;
        try {
            code = await expiry(["--from", outputsFile, "--at", "2026-11-21", "--format", "json"]);
        } finally {
            console.log = original;
        }
        const report = JSON.parse(printed.join("\n")) as { ok: boolean; secrets: Record<string, unknown>[] };
        expect([code, report.ok]).toEqual([0, true]);
        expect(report.secrets.map(({ credential, name, endDate, newest, state }) => [credential ?? "secret", name, endDate, newest, state])).toEqual([
            ["secret", `${NAME}-secret-a`, "2028-01-10T00:00:00Z", true, "ok"],
            ["certificate", `${NAME}-certificate-b`, "2027-07-10T00:00:00Z", true, "ok"],
            ["secret", `${NAME}-secret-b`, "2027-01-10T00:00:00Z", false, "previous"],
        ]);
    });
});
