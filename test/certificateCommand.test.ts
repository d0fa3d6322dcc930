import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCertificatesRoot } from "../infra/certificates";
import { main, newCertificate } from "../tools/certificate/command";
import { AT, evaluate, exampleConfig, ofType, ROOT } from "./harness";
import { PYTHON_ENV, requireVenv } from "./support/envReaders";
import { asUser, ensureServiceUser, SERVICE_USER } from "./support/serviceUser";

/** azure-identity's loading of AZURE_CLIENT_CERTIFICATE_PATH (certificate.py get_client_credential), in a process of `as`'s. */
function loadAsServiceUser(file: string): { code: number; output: string } {
    const python = asUser(ensureServiceUser(), requireVenv(), ["-c", [
        "import sys",
        "from azure.identity._credentials.certificate import get_client_credential",
        "try:",
        "    print(get_client_credential(certificate_path=sys.argv[1])['thumbprint'])",
        "except OSError as error:",
        "    print(type(error).__name__, error.errno); sys.exit(1)",
    ].join("\n"), file]);
    try {
        return { code: 0, output: execFileSync(python.command, python.args, { env: { PATH: "/usr/bin:/bin", ...PYTHON_ENV }, encoding: "utf8" }).trim() };
    } catch (error) {
        return { code: (error as { status: number }).status, output: String((error as { stdout: string }).stdout).trim() };
    }
}

/** /etc/inventory-api as docs/certificates.md makes it (install -d -m 0750 -o root -g inventory-api), under a readable stand-in of /etc. */
function serviceDirectory(mode: number): string {
    const etc = mkdtempSync(join(tmpdir(), "app-identity-cert-etc-"));
    chmodSync(etc, 0o755);
    const directory = join(etc, "inventory-api");
    mkdirSync(directory);
    chownSync(directory, 0, ensureServiceUser().gid);
    chmodSync(directory, mode);
    return directory;
}

const NAME = "inventory-api-dev";
let root: string;
let out: string;

beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "app-identity-cert-project-"));
    out = mkdtempSync(join(tmpdir(), "app-identity-cert-out-"));
    cpSync(join(ROOT, "Pulumi.yaml"), join(root, "Pulumi.yaml"));
    mkdirSync(join(root, "stacks"));
    writeFileSync(join(root, "stacks", "Pulumi.inventory-api-dev.yaml"), readFileSync(join(ROOT, "stacks", "Pulumi.inventory-api-dev.yaml"), "utf8") +
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
        const made = await newCertificate({ root, stack: "inventory-api-dev", out, now: AT });
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
        const plan = await evaluate("inventory-api-dev", certificateStack);
        expect(plan.errors).toEqual([]);
        expect(ofType(plan, "azuread:index/applicationCertificate:ApplicationCertificate").map((resource) => resource.name))
            .toEqual([`${NAME}-certificate-b`]);
    });

    it("once the current one is committed: the next rotation's, from its day, which the program takes on that day", async () => {
        const made = await newCertificate({ root, stack: "inventory-api-dev", out, now: AT });
        expect([made.rotationDay, made.notBefore.toISOString(), made.notAfter.toISOString()])
            .toEqual(["2027-01-10", "2027-01-10T00:00:00.000Z", "2028-01-10T00:00:00.000Z"]);
        commitPublic(made.publicFile);
        setCertificatesRoot(root);
        const plan = await evaluate("inventory-api-dev", certificateStack, { at: new Date("2027-01-10T00:00:00Z") });
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

    it("--owner gives the server's file to the service's user, who loads it; root's file fails in their process (Errno 13)", async () => {
        const user = ensureServiceUser();
        const owned = serviceDirectory(0o750);
        const made = await newCertificate({ root, stack: "inventory-api-dev", out: owned, owner: SERVICE_USER, now: AT });
        const stat = statSync(made.serverFile);
        expect({ mode: stat.mode & 0o777, uid: stat.uid, gid: stat.gid }).toEqual({ mode: 0o600, uid: user.uid, gid: user.gid });
        // The public half stays root's, world-readable: it is committed, not read by the service.
        expect([statSync(made.publicFile).uid, statSync(made.publicFile).mode & 0o777]).toEqual([0, 0o644]);
        const thumbprint = new X509Certificate(readFileSync(made.publicFile)).fingerprint.replaceAll(":", "");
        expect(loadAsServiceUser(made.serverFile)).toEqual({ code: 0, output: thumbprint.toLowerCase() });

        // Without --owner, in the same directory: root's 0600, which azure-identity cannot open under User=.
        const rootOwned = await newCertificate({ root, stack: "inventory-api-dev", out: serviceDirectory(0o750), now: AT });
        expect(statSync(rootOwned.serverFile).uid).toBe(0);
        expect(loadAsServiceUser(rootOwned.serverFile)).toEqual({ code: 1, output: "PermissionError 13" });
    });

    it("--owner refuses, before writing anything, a user that does not exist or cannot reach the directory", async () => {
        const closed = serviceDirectory(0o700);
        const errors: string[] = [];
        const original = console.error;
        console.error = (text: string) => errors.push(text);
        try {
            expect(await main(["new", "--stack", "inventory-api-dev", "--out", closed, "--owner", SERVICE_USER, "--root", root])).toBe(2);
            expect(await main(["new", "--stack", "inventory-api-dev", "--out", closed, "--owner", "no-such-service-user", "--root", root])).toBe(2);
        } finally {
            console.error = original;
        }
        expect(errors).toEqual([
            `certificate: --owner is "${SERVICE_USER}", but ${closed} does not let ${SERVICE_USER} through, so the service could not read ` +
            `its key; make the directory ${SERVICE_USER}'s group's (sudo install -d -m 0750 -o root -g ${SERVICE_USER} ${closed}); nothing was written`,
            "certificate: --owner is \"no-such-service-user\": there is no user \"no-such-service-user\" on this machine " +
            "(getent passwd no-such-service-user); nothing was written",
        ]);
        expect(readdirSync(closed)).toEqual([]);
        expect(existsSync(join(closed, "stacks"))).toBe(false);
    });

    it.each([
        [["new", "--out", "x"], 2, "certificate: say which stack: --stack NAME"],
        [["make", "--stack", "inventory-api-dev", "--out", "x"], 2, "certificate: expected the subcommand new; usage: npm run certificate -- new --stack NAME [--developer NAME] --out DIR [--owner SERVICE_USER] [--at YYYY-MM-DD] [--root PROJECT_DIR]"],
        [["new", "--stack", "inventory-api-local", "--out", "x"], 2, "certificate: stack inventory-api-local has developers (alice, bob); say whose: --developer NAME"],
        [["new", "--stack", "inventory-api-dev", "--developer", "carol", "--out", "x"], 2, "certificate: --developer is \"carol\"; expected one of stack inventory-api-dev's developers (none)"],
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
