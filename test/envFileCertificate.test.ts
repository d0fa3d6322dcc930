import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { certificatePath, setCertificatesRoot } from "../infra/certificates";
import { makeSelfSigned, type SelfSigned } from "../tools/certificate/selfSigned";
import { main } from "../tools/envFile/command";
import { evaluate, exampleConfig } from "./harness";
import { READERS } from "./support/envReaders";
import { showSecretsJson, writeOutputsFile } from "./support/outputs";

const scratch = () => mkdtempSync(join(tmpdir(), "env-file-cert-"));
let dir: string;
let outputsFile: string;
let localFile: string;
let serverFile: string;
let outputs: Record<string, unknown>;
let made: SelfSigned;

/** Runs the command, collecting what it prints on standard error. */
async function run(args: readonly string[]): Promise<{ code: number; errors: string[] }> {
    const errors: string[] = [];
    const original = console.error;
    console.error = (text: string) => errors.push(text);
    try {
        return { code: await main(args, { stdoutIsTerminal: false, writeStdout: () => undefined }), errors };
    } finally {
        console.error = original;
    }
}

beforeAll(async () => {
    dir = scratch();
    made = makeSelfSigned({ commonName: "x", notBefore: new Date("2026-07-10T00:00:00Z"), notAfter: new Date("2027-07-10T00:00:00Z") });
    for (const name of ["inventory-api-dev", "inventory-api-local-alice"]) {
        const file = join(dir, certificatePath(name, new Date("2026-07-10T00:00:00Z")));
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, made.certificatePem);
    }
    setCertificatesRoot(dir);
    outputs = showSecretsJson(await evaluate("dev", exampleConfig({ credential: "certificate", secretRotationAnchor: "2024-01-10" })));
    outputsFile = writeOutputsFile(join(dir, "dev.json"), outputs);
    localFile = writeOutputsFile(join(dir, "local.json"), showSecretsJson(await evaluate("local", exampleConfig({
        environment: "local", developers: ["alice", "bob"], developerCredentials: { alice: "certificate" }, secretRotationAnchor: "2024-01-10",
    }))));
    serverFile = join(dir, "server.pem");
    writeFileSync(serverFile, made.privateKeyPem + made.certificatePem, { mode: 0o600 });
});

describe("npm run env-file for an identity with certificates", () => {
    it("writes AZURE_CLIENT_CERTIFICATE_PATH and no secret (0600), read alike by every env file reader", async () => {
        const out = join(scratch(), "azure.env");
        expect(await run(["--from", outputsFile, "--certificate-path", serverFile, "--out", out]))
            .toEqual({ code: 0, errors: [`env-file: wrote ${out} (mode 0600) for inventory-api-dev; it signs in with ${serverFile}`] });
        expect(statSync(out).mode & 0o777).toBe(0o600);
        const text = readFileSync(out, "utf8");
        expect(text).toBe([
            "# Microsoft Entra ID identity inventory-api-dev, from " + outputsFile + "; it signs in with a certificate.",
            "# The newest certificate expires 2027-07-10T00:00:00Z; the next is due 2027-01-10: make it with 'npm run certificate -- new', then write this file again.",
            "# Written by 'npm run env-file'. Keep it mode 0600, readable by the service's user only.",
            `AZURE_CLIENT_ID='${String(outputs["clientId"])}'`,
            `AZURE_TENANT_ID='${String(outputs["tenantId"])}'`,
            `AZURE_CLIENT_CERTIFICATE_PATH='${serverFile}'`,
            `AZURE_SUBSCRIPTION_ID='${String(outputs["subscriptionId"])}'`,
            "",
        ].join("\n"));
        for (const [name, read] of Object.entries(READERS)) {
            const [variables] = read([out]);
            // bash prints an unset variable as empty.
            expect([name, variables!["AZURE_CLIENT_CERTIFICATE_PATH"], variables!["AZURE_CLIENT_SECRET"] ?? ""]).toEqual([name, serverFile, ""]);
        }
    });

    it("gives a developer with certificates their own file, and the developer with secrets a secret", async () => {
        const alice = join(scratch(), "alice.env");
        expect((await run(["--from", localFile, "--developer", "alice", "--certificate-path", serverFile, "--out", alice])).code).toBe(0);
        expect(readFileSync(alice, "utf8")).toMatch(/^AZURE_CLIENT_CERTIFICATE_PATH=/m);
        const bob = join(scratch(), "bob.env");
        expect((await run(["--from", localFile, "--developer", "bob", "--out", bob])).code).toBe(0);
        expect(readFileSync(bob, "utf8")).toMatch(/^AZURE_CLIENT_SECRET=/m);
        expect(readFileSync(bob, "utf8")).not.toContain("AZURE_CLIENT_CERTIFICATE_PATH");
    });

    it.each([
        ["no --certificate-path", () => ["--from", outputsFile],
            () => `env-file: ${outputsFile} signs in with a certificate: give the server's key and certificate file with --certificate-path PATH`],
        ["a secret identity given --certificate-path", () => ["--from", localFile, "--developer", "bob", "--certificate-path", serverFile],
            () => `env-file: ${localFile} signs in with a client secret; --certificate-path is for an identity with certificates (an env file never carries both)`],
        ["a relative path", () => ["--from", outputsFile, "--certificate-path", "server.pem"],
            () => "env-file: --certificate-path is \"server.pem\"; expected an absolute path (a service's working directory is its own)"],
        ["the public certificate alone", () => ["--from", outputsFile, "--certificate-path", join(dir, certificatePath("inventory-api-dev", new Date("2026-07-10T00:00:00Z")))],
            () => `env-file: ${join(dir, certificatePath("inventory-api-dev", new Date("2026-07-10T00:00:00Z")))} holds no private key; expected the server's file (private key and certificate) from 'npm run certificate -- new'`],
    ])("refuses %s in one line, writing nothing", async (_case, args, line) => {
        const out = join(scratch(), "azure.env");
        const result = await run([...args(), "--out", out]);
        expect(result).toEqual({ code: 1, errors: [line()] });
        expect(() => statSync(out)).toThrow();
    });

    it("refuses a server file whose certificate is not registered on the app", async () => {
        const other = makeSelfSigned({ commonName: "other", notBefore: new Date("2026-07-10T00:00:00Z"), notAfter: new Date("2027-07-10T00:00:00Z"), privateKeyPem: made.privateKeyPem });
        const file = join(dir, "other.pem");
        writeFileSync(file, other.privateKeyPem + other.certificatePem);
        const result = await run(["--from", outputsFile, "--certificate-path", file, "--out", join(scratch(), "x.env")]);
        expect(result.code).toBe(1);
        expect(result.errors[0]).toMatch(new RegExp(`^env-file: ${file} holds the certificate [0-9A-F]{40}; expected one registered on inventory-api-dev: [0-9A-F]{40}$`));
    });
});
