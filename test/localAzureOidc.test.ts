/**
 * `npm run local-azure -- --oidc-subject S --oidc-token-file PATH [--oidc-token-owner USER]` (docs/federation.md,
 * "Trying it on the local Azure"): the flags as the command reads them, and the command run as a user runs it, serving
 * the local issuer's discovery document on its port and keeping a token for the subject in the file, the user's alone.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { parseArguments } from "../localazure/main";
import { ROOT } from "./harness";
import { ensureServiceUser } from "./support/serviceUser";

const SUBJECT = "system:serviceaccount:inventory:api";
const USAGE = "usage: npm run local-azure [-- --port N] [--dir DIR] [--log FILE|-] [--graph-throttle-scale N] " +
    "[--arm-writes SIZE,REFILL] [--outage SERVICES:ANSWER [--outage-requests N|--outage-seconds N|--outage-fraction F] " +
    "[--retry-after N]] [--replication-delay N] [--sp-replication-delay N] " +
    "[--oidc-subject SUBJECT --oidc-token-file PATH [--oidc-token-owner USER]]";

describe("the local issuer's flags", () => {
    it("reads the subject, the token file (made absolute) and the owner", () => {
        expect(parseArguments(["--dir", "/tmp/x", "--oidc-subject", SUBJECT, "--oidc-token-file", "token", "--oidc-token-owner", "inventory-api"]))
            .toEqual({ port: 47443, dir: "/tmp/x", log: "/tmp/x/requests.jsonl", misbehaviour: {},
                oidc: { subject: SUBJECT, tokenFile: join(process.cwd(), "token"), owner: "inventory-api" } });
        expect(parseArguments(["--dir", "/tmp/x"])).not.toHaveProperty("oidc");
    });

    it.each([
        [["--oidc-subject", SUBJECT]],
        [["--oidc-token-file", "/run/inventory-api/azure-identity-token"]],
        [["--oidc-token-owner", "inventory-api"]],
    ])("refuses %j: the subject and the file go together", (argv) => {
        expect(() => parseArguments(argv)).toThrow("--oidc-subject and --oidc-token-file go together (--oidc-token-owner with them); " +
            `expected the subject the local issuer's tokens carry in sub and the file it keeps them in; ${USAGE}`);
    });
});

describe("npm run local-azure with the local issuer", () => {
    let child: ChildProcess | undefined;
    afterAll(() => {
        if (child?.pid !== undefined) process.kill(-child.pid, "SIGTERM");
    });

    it("serves the issuer on its port and keeps a valid token for the subject in the file, 0600 and the owner's", async () => {
        const user = ensureServiceUser();
        const dir = mkdtempSync(join(tmpdir(), "local-azure-oidc-"));
        const tokenFile = join(dir, "azure-identity-token");
        // Its own process group, so that stopping it stops npm and the node under it.
        child = spawn("npm", ["run", "--silent", "local-azure", "--", "--port", "0", "--dir", dir, "--oidc-subject", SUBJECT,
            "--oidc-token-file", tokenFile, "--oidc-token-owner", user.name], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        let printed = "";
        await new Promise<void>((ready, failed) => {
            child!.stdout!.on("data", (chunk: Buffer) => {
                printed += chunk.toString();
                if (printed.includes("# Stop with Ctrl-C.")) ready();
            });
            child!.once("exit", (code) => failed(new Error(`npm run local-azure exited ${String(code)}: ${printed}`)));
        });
        expect(printed.split("\n")[0]).toBe(`# OIDC issuer https://oidc.local-azure.test/local: a token for ${SUBJECT} in ${tokenFile}, ` +
            "an hour long, renewed at 80% of it (federatedCredentials: this issuer and subject).");
        const url = /^export LOCAL_AZURE_URL='([^']+)'$/m.exec(printed)![1]!;
        const discovery = await (await fetch(`${url}/oidc.local-azure.test/local/.well-known/openid-configuration`)).json() as Record<string, string>;
        expect([discovery["issuer"], discovery["jwks_uri"]]).toEqual(["https://oidc.local-azure.test/local", "https://oidc.local-azure.test/local/openid/v1/jwks"]);
        const jwks = await (await fetch(`${url}/oidc.local-azure.test/local/openid/v1/jwks`)).json() as JSONWebKeySet;
        const { payload } = await jwtVerify(readFileSync(tokenFile, "utf8"), createLocalJWKSet(jwks),
            { issuer: "https://oidc.local-azure.test/local", audience: "api://AzureADTokenExchange", subject: SUBJECT });
        expect(payload.exp! - payload.iat!).toBe(3600);
        const stat = statSync(tokenFile);
        expect({ mode: stat.mode & 0o777, uid: stat.uid, gid: stat.gid }).toEqual({ mode: 0o600, uid: user.uid, gid: user.gid });
    }, 60_000);
});
