/**
 * The whole chain, as on an on-premises server: stack outputs → `npm run env-file` → systemd's parser → the
 * example app under Debian's gunicorn → DefaultAzureCredential and BlobServiceClient (Debian's python3-azure) →
 * the loopback stand-in of Entra and Blob Storage, which enforces the stacks' role assignments.
 */
import runProgram from "../infra";
import { afterEach, describe, expect, it } from "vitest";
import { planRevoke } from "../tools/revoke";
import { evaluateStack, type StackEvaluation } from "../tools/offline/engine";
import { readProject, readStackFile } from "../tools/stackFiles";
import { AT, PROJECT, ROOT } from "./harness";
import { startApp, startAzure, writeEnvFile, type AzureStandIn, type RunningApp } from "./support/e2e";

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

describe("the blob app with its stacks' identities", { timeout: 120_000 }, () => {
    it("1. the dev identity uploads a blob to the dev account and reads it back", async () => {
        const dev = await plan("dev");
        const stand = await azure([dev]);
        const web = await app(await writeEnvFile(dev), "stinventorydev", stand);
        const upload = await web.request("PUT", "/blobs/reports/2026-11.csv", "sku,count\nA-1,12\n");
        expect({ status: upload.status, body: JSON.parse(upload.body) })
            .toEqual({ status: 201, body: { container: "reports", name: "2026-11.csv", bytes: 17 } });
        expect(await web.request("GET", "/blobs/reports/2026-11.csv")).toEqual({ status: 200, body: "sku,count\nA-1,12\n" });
        // What reached Storage was signed by the dev service principal, through the proxy, nowhere else.
        expect(stand.blob.data.get("stinventorydev")?.get("reports")?.has("2026-11.csv")).toBe(true);
        expect(stand.server.refusedTunnels).toEqual([]);
        const principal = String(dev.outputs["servicePrincipalObjectId"]!.value);
        expect([...stand.entra.issuedTokens.values()].map((claims) => claims.oid)).toEqual([principal]);
    });

    it("2. an identity holding Storage Blob Data Reader reads, and its upload is refused with 403", async () => {
        const prod = await plan("prod");
        const stand = await azure([prod]);
        stand.blob.seed("stinventoryarchive", "archive", "2019.csv", "old,data\n");
        const web = await app(await writeEnvFile(prod), "stinventoryarchive", stand);
        expect(await web.request("GET", "/blobs/archive/2019.csv")).toEqual({ status: 200, body: "old,data\n" });
        const upload = await web.request("PUT", "/blobs/archive/2020.csv", "new,data\n");
        expect(upload.status).toBe(403);
        expect(errorOf(upload.body).error).toBe("AuthorizationPermissionMismatch");
        expect(stand.blob.data.get("stinventoryarchive")?.get("archive")?.has("2020.csv")).toBe(false);
    });

    it("3. the dev identity is refused (403) on the prod account", async () => {
        const dev = await plan("dev");
        const prod = await plan("prod");
        const stand = await azure([dev, prod]);
        stand.blob.seed("stinventoryprod", "orders", "today.csv", "secret,business\n");
        const web = await app(await writeEnvFile(dev), "stinventoryprod", stand);
        const read = await web.request("GET", "/blobs/orders/today.csv");
        expect(read.status).toBe(403);
        expect(errorOf(read.body).error).toBe("AuthorizationPermissionMismatch");
        expect((await web.request("PUT", "/blobs/orders/evil.csv", "x")).status).toBe(403);
    });

    it("4. a rotation costs no downtime: the old file works until its secret's end date, the new one after", async () => {
        const before = new Date("2027-04-01T00:00:00Z");
        const after = new Date("2027-04-20T00:00:00Z");
        const oldFile = await writeEnvFile(await plan("dev", before));
        const rotated = await plan("dev", after);
        const newFile = await writeEnvFile(rotated);
        expect(oldFile).not.toBe(newFile);

        let now = after;
        const stand = await azure([rotated], () => now);
        const oldApp = await app(oldFile, "stinventorydev", stand);
        expect((await oldApp.request("PUT", "/blobs/c/old-file.txt", "still working")).status).toBe(201);
        const newApp = await app(newFile, "stinventorydev", stand);
        expect((await newApp.request("PUT", "/blobs/c/new-file.txt", "new secret")).status).toBe(201);
        await oldApp.stop();
        await newApp.stop();

        // The old file carries the secret that was newest before the rotation: it ends 2028-04-17.
        now = new Date("2028-04-18T00:00:00Z");
        const expired = await app(oldFile, "stinventorydev", stand);
        const refused = await expired.request("PUT", "/blobs/c/too-late.txt", "x");
        expect(refused.status).toBe(502);
        expect(errorOf(refused.body).message).toContain("AADSTS7000222");
        const current = await app(newFile, "stinventorydev", stand);
        expect((await current.request("PUT", "/blobs/c/on-time.txt", "y")).status).toBe(201);
    });

    it("5. a revoked identity is refused with its old file; the new file works", async () => {
        const revoke = await planRevoke(ROOT, "dev", undefined);
        const replaced = revoke.replaced.map((urn) => urn.split("::").at(-1)!);
        expect(replaced).toEqual(["inventory-api-dev", "inventory-api-dev-secret-a", "inventory-api-dev-secret-b", "inventory-api-dev"]);
        const oldFile = await writeEnvFile(await plan("dev"));
        const afterRevoke = await plan("dev", AT, replaced);
        const stand = await azure([afterRevoke]);

        const leaked = await app(oldFile, "stinventorydev", stand);
        const refused = await leaked.request("PUT", "/blobs/c/leaked.txt", "x");
        expect(refused.status).toBe(502);
        expect(errorOf(refused.body).message).toContain("AADSTS700016");

        const renewed = await app(await writeEnvFile(afterRevoke), "stinventorydev", stand);
        expect((await renewed.request("PUT", "/blobs/c/renewed.txt", "y")).status).toBe(201);
    });

    it("6. a developer's identity from the local stack reaches the dev account and is refused on prod", async () => {
        const local = await plan("local");
        const prod = await plan("prod");
        const stand = await azure([local, prod]);
        stand.blob.seed("stinventoryprod", "orders", "today.csv", "secret,business\n");
        const aliceFile = await writeEnvFile(local, "alice");

        const onDev = await app(aliceFile, "stinventorydev", stand);
        expect((await onDev.request("PUT", "/blobs/scratch/alice.txt", "hello")).status).toBe(201);
        expect(await onDev.request("GET", "/blobs/scratch/alice.txt")).toEqual({ status: 200, body: "hello" });

        const onProd = await app(aliceFile, "stinventoryprod", stand);
        const read = await onProd.request("GET", "/blobs/orders/today.csv");
        expect(read.status).toBe(403);
        expect(errorOf(read.body).error).toBe("AuthorizationPermissionMismatch");
    });
});
