/**
 * The README's `az` beside `pulumi` block (section "`pulumi up` against a local Azure, by hand"), run literally
 * against `npm run local-azure` started as a user starts it, in a directory of its own (the block's
 * `${TMPDIR:-/tmp}/app-identity-local-azure` moved there, as test/support/docsCommands.ts moves a server's paths).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./harness";
import { runAsDocumented, shellBlock } from "./support/docsCommands";

const BLOCK = shellBlock("README.md", "**`az` beside `pulumi`.**");
const DEFAULT_DIR = "${TMPDIR:-/tmp}/app-identity-local-azure";

let dir: string;
let localAzure: ChildProcess;

beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "readme-az-"));
    // Its own process group, so that stopping it stops npm and the node under it.
    localAzure = spawn("npm", ["run", "--silent", "local-azure", "--", "--port", "0", "--dir", dir], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let printed = "";
    await new Promise<void>((ready, failed) => {
        localAzure.stdout!.on("data", (chunk: Buffer) => {
            printed += chunk.toString();
            if (printed.includes("# Stop with Ctrl-C.")) ready();
        });
        localAzure.once("exit", (code) => failed(new Error(`npm run local-azure exited ${String(code)}: ${printed}`)));
    });
}, 60_000);
afterAll(() => {
    if (localAzure.pid !== undefined) process.kill(-localAzure.pid, "SIGTERM");
});

describe("README: az beside pulumi against the local Azure", () => {
    it("is the block the README shows: env.sh, AZURE_CONFIG_DIR, az login --service-principal --tenant, two az commands, the request log", () => {
        expect(BLOCK.map((line) => line.split(" ").slice(0, 3).join(" "))).toEqual([
            `. "${DEFAULT_DIR}/env.sh"`,
            `export AZURE_CONFIG_DIR="${DEFAULT_DIR}/azure-cli"`,
            "az login --service-principal",
            "az ad sp",
            "az role assignment",
            "tail -n 1",
        ]);
    });

    it("signs in finding both subscriptions, makes the identity with its role, and shows the last request logged", () => {
        const printed = runAsDocumented(BLOCK, { [DEFAULT_DIR]: dir }).trimEnd().split("\n");
        expect(printed.slice(0, 4)).toEqual(["Local Azure (dev and test)", "Local Azure (production)", "by-hand", "Storage Blob Data Reader"]);
        const last = JSON.parse(printed[4]!) as Record<string, unknown>;
        const deployer = (JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { deployer: { objectId: string } }).deployer.objectId;
        expect(Object.keys(last)).toEqual(["time", "caller", "method", "host", "path", "query", "status", "error"]);
        // az role assignment list names the principals with directoryObjects/getByIds (custom.py _resolve_object_id),
        // which needs Directory.Read.All: Graph refuses the deployer, and az lists the assignments without the principals' names.
        expect(last).toMatchObject({ caller: deployer, method: "POST", host: "graph.microsoft.com", path: "/v1.0/directoryObjects/getByIds",
            query: "", status: 403, error: "Authorization_RequestDenied" });
        expect(printed).toHaveLength(5);
        // az kept its sign-in where the block put it, not in ~/.azure.
        expect(readFileSync(join(dir, "azure-cli", "azureProfile.json"), "utf8")).toContain("Local Azure (production)");
    }, 120_000);
});
