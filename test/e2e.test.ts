/**
 * The whole chain, as on an on-premises server: stack outputs → `npm run env-file` → systemd's parser → the
 * example app under gunicorn → DefaultAzureCredential and BlobServiceClient, all from the checkout's .venv at the
 * versions pinned in examples/blob-app/requirements.txt → the loopback stand-in of Entra and Blob Storage, which
 * enforces the stacks' role assignments → Azurite, Microsoft's Blob Storage emulator, for what they allow.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import runProgram from "../infra";
import { afterEach, describe, expect, it } from "vitest";
import { planRevoke } from "../tools/revoke/command";
import { evaluateStack, type StackEvaluation } from "../tools/offline/engine";
import { readProject, readStackFile } from "../tools/stacks/stackFiles";
import { AT, PROJECT, ROOT } from "./harness";
import { identityLogLines, readBlob, seedBlob, startApp, startAzure, writeEnvFile, type AzureStandIn, type RunningApp } from "./support/e2e";
import { installedVersions, pinnedVersions } from "./support/envReaders";
import { ensureServiceUser, SERVICE_USER } from "./support/serviceUser";

/** A process's real, effective, saved and file-system user IDs and its groups, as the kernel reports them. */
function credentialsOf(pid: number): { uids: number[]; groups: number[] } {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string) => (new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status)?.[1] ?? "").trim().split(/\s+/).filter(Boolean).map(Number);
    return { uids: field("Uid"), groups: [...field("Gid").slice(0, 1), ...field("Groups")] };
}

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
    for (const each of running.splice(0).reverse()) await each.stop();
});

function plan(stack: string, at: Date = AT, replaced?: readonly string[]): Promise<StackEvaluation> {
    const file = readStackFile(readProject(ROOT), stack);
    return evaluateStack({ program: runProgram, project: PROJECT, stack, config: file.config, at, ...(replaced ? { replaced } : {}) });
}

async function azure(evaluations: StackEvaluation[], now: () => Date = () => AT): Promise<AzureStandIn> {
    const started = await startAzure(evaluations, now);
    running.push(started);
    return started;
}

async function app(envFile: string, account: string, stand: AzureStandIn): Promise<RunningApp> {
    const started = await startApp(envFile, account, stand);
    running.push(started);
    return started;
}

const errorOf = (body: string) => JSON.parse(body) as { error: string; message?: string };

/** Every host the apps asked the proxy for, by CONNECT, by plain HTTP, refused, and the hosts their requests named. */
function hostsReached(stand: AzureStandIn) {
    const unique = (values: readonly string[]) => [...new Set(values)].sort();
    return {
        connects: unique(stand.proxy.connects),
        plainRequests: stand.proxy.plainRequests,
        refusedTunnels: stand.server.refusedTunnels,
        requested: unique(stand.server.requests.map((request) => request.host)),
    };
}

/** Nothing but Entra's token endpoint and the account: no IMDS probe, no other host, nothing off loopback. */
const onlyAzure = (account: string) => ({
    connects: ["login.microsoftonline.com:443", `${account}.blob.core.windows.net:443`],
    plainRequests: [],
    refusedTunnels: [],
    requested: ["login.microsoftonline.com", `${account}.blob.core.windows.net`],
});

describe("the blob app with its stacks' identities", { timeout: 120_000 }, () => {
    it("0. runs exactly the Python packages pinned in examples/blob-app/requirements-test.txt", () => {
        const installed = installedVersions();
        expect(installed).toEqual(pinnedVersions());
        expect([installed["azure-identity"], installed["azure-storage-blob"], installed["gunicorn"]])
            .toEqual(["1.27.0", "12.31.1", "27.0.1"]);
    });

    it("0. the systemd unit runs gunicorn from the app's venv", () => {
        const unit = readFileSync(join(ROOT, "examples", "blob-app", "inventory-api.service"), "utf8");
        expect(unit.split("\n").filter((line) => line.startsWith("ExecStart="))).toEqual([
            "ExecStart=/srv/inventory-api/.venv/bin/gunicorn --bind 127.0.0.1:8000 --workers 2 --no-control-socket app:app",
        ]);
        expect(unit).toContain("sudo /srv/inventory-api/.venv/bin/pip install --no-deps -r /srv/inventory-api/requirements.txt");
    });

    it("1. the dev identity uploads a blob to the dev account and reads it back", async () => {
        const dev = await plan("inventory-api-dev");
        const stand = await azure([dev]);
        const web = await app(await writeEnvFile(dev), "stinventorydev", stand);
        // As the unit's User=inventory-api and Group=inventory-api, never root (the test itself runs as root).
        const user = ensureServiceUser();
        expect(user.name).toBe(SERVICE_USER);
        expect(user.uid).not.toBe(0);
        expect(credentialsOf(web.pid)).toEqual({ uids: [user.uid, user.uid, user.uid, user.uid], groups: [user.gid, user.gid] });
        const upload = await web.request("PUT", "/blobs/reports/2026-11.csv", "sku,count\nA-1,12\n");
        expect({ status: upload.status, body: JSON.parse(upload.body) })
            .toEqual({ status: 201, body: { container: "reports", name: "2026-11.csv", bytes: 17 } });
        expect(await web.request("GET", "/blobs/reports/2026-11.csv")).toEqual({ status: 200, body: "sku,count\nA-1,12\n" });
        // What reached Storage was signed by the dev service principal, through the proxy, nowhere else.
        expect(await readBlob(stand.azurite, "stinventorydev", "reports", "2026-11.csv")).toEqual({ status: 200, body: "sku,count\nA-1,12\n" });
        const principal = String(dev.outputs["servicePrincipalObjectId"]!.value);
        expect([...stand.entra.issuedTokens.values()].map((claims) => claims.oid)).toEqual([principal]);
        // azure-identity 1.27's DefaultAzureCredential builds its whole chain (managed identity included) but the
        // environment credential, first in it, signs in: Azure/azure-sdk-for-python
        // sdk/identity/azure-identity/azure/identity/_credentials/chained.py logs which one acquired the token.
        expect(identityLogLines(web.log())).toEqual([
            "azure.identity._credentials.environment INFO Environment is configured for ClientSecretCredential",
            `azure.identity._credentials.managed_identity INFO ManagedIdentityCredential will use IMDS with client_id: ${String(dev.outputs["clientId"]!.value)}`,
            "azure.identity._credentials.chained INFO DefaultAzureCredential acquired a token from EnvironmentCredential",
        ]);
        expect(hostsReached(stand)).toEqual(onlyAzure("stinventorydev"));
    });

    it("2. an identity holding Storage Blob Data Reader reads, and its upload is refused with 403", async () => {
        const prod = await plan("inventory-api-prod");
        const stand = await azure([prod]);
        await seedBlob(stand.azurite, "stinventoryarchive", "archive", "2019.csv", "old,data\n");
        const web = await app(await writeEnvFile(prod), "stinventoryarchive", stand);
        expect(await web.request("GET", "/blobs/archive/2019.csv")).toEqual({ status: 200, body: "old,data\n" });
        const upload = await web.request("PUT", "/blobs/archive/2020.csv", "new,data\n");
        expect(upload.status).toBe(403);
        expect(errorOf(upload.body).error).toBe("AuthorizationPermissionMismatch");
        expect(await readBlob(stand.azurite, "stinventoryarchive", "archive", "2020.csv")).toEqual({ status: 404, body: "BlobNotFound" });
        // Azurite saw the fixture, the app's download (the SDK asks for a first range: 206) and the check above: the
        // refused container create and upload never reached it.
        expect(stand.azurite.requests.map(({ method, path, status }) => `${method} ${path} ${status}`)).toEqual([
            "PUT /archive?restype=container 201", "PUT /archive/2019.csv 201", "GET /archive/2019.csv 206", "GET /archive/2020.csv 404"]);
        expect(hostsReached(stand)).toEqual(onlyAzure("stinventoryarchive"));
    });

    it("3. the dev identity is refused (403) on the prod account", async () => {
        const dev = await plan("inventory-api-dev");
        const prod = await plan("inventory-api-prod");
        const stand = await azure([dev, prod]);
        await seedBlob(stand.azurite, "stinventoryprod", "orders", "today.csv", "secret,business\n");
        const web = await app(await writeEnvFile(dev), "stinventoryprod", stand);
        const read = await web.request("GET", "/blobs/orders/today.csv");
        expect(read.status).toBe(403);
        expect(errorOf(read.body).error).toBe("AuthorizationPermissionMismatch");
        expect((await web.request("PUT", "/blobs/orders/evil.csv", "x")).status).toBe(403);
        expect(stand.azurite.requests.map(({ method, path, status }) => `${method} ${path} ${status}`))
            .toEqual(["PUT /orders?restype=container 201", "PUT /orders/today.csv 201"]);
        expect(hostsReached(stand)).toEqual(onlyAzure("stinventoryprod"));
    });

    it("4. a rotation costs no downtime: the old file works until its secret's end date, the new one after", async () => {
        const before = new Date("2027-04-01T00:00:00Z");
        const after = new Date("2027-04-20T00:00:00Z");
        const oldFile = await writeEnvFile(await plan("inventory-api-dev", before));
        const rotated = await plan("inventory-api-dev", after);
        const newFile = await writeEnvFile(rotated);
        expect(oldFile).not.toBe(newFile);

        let now = after;
        const stand = await azure([rotated], () => now);
        // Two servers side by side, one on each file, as during a rollout (started together: each start is a wait).
        const [oldApp, newApp] = await Promise.all([app(oldFile, "stinventorydev", stand), app(newFile, "stinventorydev", stand)]);
        expect((await oldApp.request("PUT", "/blobs/rotation/old-file.txt", "still working")).status).toBe(201);
        expect((await newApp.request("PUT", "/blobs/rotation/new-file.txt", "new secret")).status).toBe(201);
        await Promise.all([oldApp.stop(), newApp.stop()]);

        // The old file carries the secret that was newest before the rotation: it ends 2028-04-17.
        now = new Date("2028-04-18T00:00:00Z");
        const [expired, current] = await Promise.all([app(oldFile, "stinventorydev", stand), app(newFile, "stinventorydev", stand)]);
        const [refused, onTime] = await Promise.all([expired.request("PUT", "/blobs/rotation/too-late.txt", "x"),
            current.request("PUT", "/blobs/rotation/on-time.txt", "y")]);
        expect(onTime.status).toBe(201);
        expect(refused.status).toBe(502);
        expect(errorOf(refused.body).message).toContain("AADSTS7000222");
        // The environment credential failed, so the chain stopped there: no other credential was tried. Storage's
        // retry policy retries any AzureError but a signing error (azure-storage-blob
        // azure/storage/blob/_shared/policies.py, StorageRetryPolicy.send), so the app's retry_total=2 signs in 3 times.
        expect(identityLogLines(expired.log())).toEqual([
            "azure.identity._credentials.environment INFO Environment is configured for ClientSecretCredential",
            `azure.identity._credentials.managed_identity INFO ManagedIdentityCredential will use IMDS with client_id: ${String(rotated.outputs["clientId"]!.value)}`,
            ...Array<string>(3).fill("azure.identity._credentials.chained WARNING DefaultAzureCredential failed to retrieve a token from the included credentials."),
        ]);
        expect(hostsReached(stand)).toEqual(onlyAzure("stinventorydev"));
    });

    it("5. a revoked identity is refused with its old file; the new file works", async () => {
        // revoke deletes every resource of the identity and `pulumi up` creates them anew.
        const revoke = await planRevoke(ROOT, "inventory-api-dev", undefined);
        const replaced = revoke.resources.map((resource) => resource.urn.split("::").at(-1)!);
        expect(replaced).toEqual(["inventory-api-dev/rg-inventory-dev/storage-blob-data-contributor", "inventory-api-dev",
            "inventory-api-dev-secret-a", "inventory-api-dev-secret-b", "inventory-api-dev"]);
        const oldFile = await writeEnvFile(await plan("inventory-api-dev"));
        const afterRevoke = await plan("inventory-api-dev", AT, replaced);
        const stand = await azure([afterRevoke]);

        // A server still on the leaked file and one on the file written after the revoke, side by side.
        const [leaked, renewed] = await Promise.all([app(oldFile, "stinventorydev", stand),
            app(await writeEnvFile(afterRevoke), "stinventorydev", stand)]);
        const [refused, accepted] = await Promise.all([leaked.request("PUT", "/blobs/revoke/leaked.txt", "x"),
            renewed.request("PUT", "/blobs/revoke/renewed.txt", "y")]);
        expect(refused.status).toBe(502);
        expect(errorOf(refused.body).message).toContain("AADSTS700016");
        expect(accepted.status).toBe(201);
        expect(hostsReached(stand)).toEqual(onlyAzure("stinventorydev"));
    });

    it("6. a developer's identity from the local stack reaches the dev account and is refused on prod", async () => {
        const local = await plan("inventory-api-local");
        const prod = await plan("inventory-api-prod");
        const stand = await azure([local, prod]);
        await seedBlob(stand.azurite, "stinventoryprod", "orders", "today.csv", "secret,business\n");
        const aliceFile = await writeEnvFile(local, "alice");

        const onDev = await app(aliceFile, "stinventorydev", stand);
        expect((await onDev.request("PUT", "/blobs/scratch/alice.txt", "hello")).status).toBe(201);
        expect(await onDev.request("GET", "/blobs/scratch/alice.txt")).toEqual({ status: 200, body: "hello" });

        const onProd = await app(aliceFile, "stinventoryprod", stand);
        const read = await onProd.request("GET", "/blobs/orders/today.csv");
        expect(read.status).toBe(403);
        expect(errorOf(read.body).error).toBe("AuthorizationPermissionMismatch");
        const reached = hostsReached(stand);
        expect(reached.connects).toEqual(["login.microsoftonline.com:443", "stinventorydev.blob.core.windows.net:443",
            "stinventoryprod.blob.core.windows.net:443"]);
        expect(reached).toMatchObject({ plainRequests: [], refusedTunnels: [] });
        expect(reached.requested).toEqual(["login.microsoftonline.com", "stinventorydev.blob.core.windows.net",
            "stinventoryprod.blob.core.windows.net"]);
    });
});
