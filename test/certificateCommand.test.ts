import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCertificatesRoot } from "../infra/certificates";
import { main, newCertificate } from "../tools/certificate/command";
import { AT, evaluate, exampleConfig, ofType, ROOT } from "./harness";
import { PYTHON_ENV, requireVenv } from "./support/envReaders";

const NAME = "inventory-api-dev";
let root: string;
let out: string;

beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "app-identity-cert-project-"));
    out = mkdtempSync(join(tmpdir(), "app-identity-cert-out-"));
    cpSync(join(ROOT, "Pulumi.yaml"), join(root, "Pulumi.yaml"));
    mkdirSync(join(root, "stacks"));
    writeFileSync(join(root, "stacks", "Pulumi.dev.yaml"), readFileSync(join(ROOT, "stacks", "Pulumi.dev.yaml"), "utf8") +
        "  app-identity:credential: certificate\n  app-identity:secretRotationAnchor: \"2024-01-10\"\n");
});
afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
});

/** Commits the public certificate the command wrote, as the pull request does. */
function commitPublic(publicFile: string): void {
    const target = join(root, publicFile.slice(out.length + 1));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(publicFile, target);
}

const certificateStack = exampleConfig({ credential: "certificate", secretRotationAnchor: "2024-01-10" });

describe("npm run certificate -- new", () => {
    it("for a stack switching to certificates: the current rotation, from now until its slot rotates out", async () => {
        const made = await newCertificate({ root, stack: "dev", out, now: AT });
        expect({ ...made, notBefore: made.notBefore.toISOString(), notAfter: made.notAfter.toISOString() }).toEqual({
            identity: NAME, rotationDay: "2026-07-10",
            serverFile: join(out, `${NAME}-2026-07-10.pem`), publicFile: join(out, `stacks/certificates/${NAME}/2026-07-10.pem`),
            notBefore: "2026-11-21T12:00:00.000Z", notAfter: "2027-07-10T00:00:00.000Z",
        });
        const server = readFileSync(made.serverFile, "utf8");
        const publicPem = readFileSync(made.publicFile, "utf8");
        expect(statSync(made.serverFile).mode & 0o777).toBe(0o600);
        expect([...server.matchAll(/-----BEGIN ([A-Z ]+)-----/g)].map((match) => match[1])).toEqual(["PRIVATE KEY", "CERTIFICATE"]);
        expect([...publicPem.matchAll(/-----BEGIN ([A-Z ]+)-----/g)].map((match) => match[1])).toEqual(["CERTIFICATE"]);
        expect(server.endsWith(publicPem)).toBe(true);
        const certificate = new X509Certificate(publicPem);
        expect([certificate.subject, new Date(certificate.validFrom).toISOString(), new Date(certificate.validTo).toISOString()])
            .toEqual([`CN=${NAME}`, "2026-11-21T12:00:00.000Z", "2027-07-10T00:00:00.000Z"]);

        commitPublic(made.publicFile);
        setCertificatesRoot(root);
        const plan = await evaluate("dev", certificateStack);
        expect(plan.errors).toEqual([]);
        expect(ofType(plan, "azuread:index/applicationCertificate:ApplicationCertificate").map((resource) => resource.name))
            .toEqual([`${NAME}-certificate-b`]);
    });

    it("once the current one is committed: the next rotation's, from its day, which the program takes on that day", async () => {
        const made = await newCertificate({ root, stack: "dev", out, now: AT });
        expect([made.rotationDay, made.notBefore.toISOString(), made.notAfter.toISOString()])
            .toEqual(["2027-01-10", "2027-01-10T00:00:00.000Z", "2028-01-10T00:00:00.000Z"]);
        commitPublic(made.publicFile);
        setCertificatesRoot(root);
        const plan = await evaluate("dev", certificateStack, { at: new Date("2027-01-10T00:00:00Z") });
        expect(plan.errors).toEqual([]);
        expect(ofType(plan, "azuread:index/applicationCertificate:ApplicationCertificate").map((resource) => resource.name))
            .toEqual([`${NAME}-certificate-a`, `${NAME}-certificate-b`]);
    });

    it("writes the file azure-identity's CertificateCredential loads (Python, the pinned .venv)", () => {
        const python = requireVenv();
        const file = join(out, `${NAME}-2026-07-10.pem`);
        const loaded = execFileSync(python, ["-c", [
            "import sys",
            "from azure.identity._credentials.certificate import get_client_credential",
            "credential = get_client_credential(certificate_path=sys.argv[1])",
            "print(credential['thumbprint'])",
        ].join("\n"), file], { env: { ...process.env, ...PYTHON_ENV } }).toString().trim();
        const thumbprint = new X509Certificate(readFileSync(join(root, `stacks/certificates/${NAME}/2026-07-10.pem`))).fingerprint.replaceAll(":", "");
        expect(loaded.toUpperCase()).toBe(thumbprint);
    });

    it.each([
        [["new", "--out", "x"], 2, "certificate: say which stack: --stack NAME"],
        [["make", "--stack", "dev", "--out", "x"], 2, "certificate: expected the subcommand new; usage: npm run certificate -- new --stack NAME [--developer NAME] --out DIR [--at YYYY-MM-DD] [--root PROJECT_DIR]"],
        [["new", "--stack", "local", "--out", "x"], 2, "certificate: stack local has developers (alice, bob); say whose: --developer NAME"],
        [["new", "--stack", "dev", "--developer", "carol", "--out", "x"], 2, "certificate: --developer is \"carol\"; expected one of stack dev's developers (none)"],
    ])("refuses %j in one line (exit %i)", async (args, code, line) => {
        const errors: string[] = [];
        const original = console.error;
        console.error = (text: string) => errors.push(text);
        try {
            expect(await main(args)).toBe(code);
        } finally {
            console.error = original;
        }
        expect(errors).toEqual([line]);
    });
});
