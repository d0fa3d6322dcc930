/**
 * One identity by hand against one by the program, for `npm run bench`: `az ad sp create-for-rbac` with a Storage
 * Blob role at resource-group scope (Microsoft's Azure CLI of .tools/bin, signed in once as the deployer, as the
 * README's local Azure section shows) against `pulumi up` of a new one-identity stack (dev's stack file under
 * another name), both against the same local Azure in this process. Measured in rounds, each running both once,
 * so that the load of a shared machine falls on both alike; round 0 warms the caches and is left out.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startLocalAzure } from "../../localazure";
import { AzureCli } from "../../test/support/azureCli";
import { createEngineWorkspace } from "../../test/engine/workspace";
import { againstFloor, summarize, type Figure, type Sample } from "./figures";

/** dev's identity: the resource group and role of stacks/Pulumi.inventory-api-dev.yaml, which the pulumi side deploys. */
const GROUP = "rg-inventory-dev";
const ROLE = "Storage Blob Data Contributor";

/** The az command of round `round`: a name of its own, dev's role at dev's resource group (custom.py create_service_principal_for_rbac). */
export function createForRbacArgs(subscriptionId: string, round: number): string[] {
    return ["ad", "sp", "create-for-rbac", "--name", `bench-az-${round}`, "--role", ROLE,
        "--scopes", `/subscriptions/${subscriptionId}/resourceGroups/${GROUP}`, "--query", "appId", "--output", "tsv"];
}

/** The stack of round `round`: a new one, so that every `pulumi up` creates its identity (`one-<round>-dev`, in dev). */
export const oneIdentityStack = (round: number): string => `one-${round}-dev`;
export const upArgs = (stack: string): string[] => ["up", "--stack", stack, "--yes", "--skip-preview"];

export interface AzureCliFigures {
    /** az first, then pulumi up; `ratioToFloor` is each against az's median. */
    readonly figures: Figure[];
    /** pulumi up's median over az's. */
    readonly ratio: number;
}

async function timed(what: string, run: () => Promise<{ code: number; stderr: string }>): Promise<Sample> {
    const started = process.hrtime.bigint();
    const result = await run();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.code !== 0) throw new Error(`${what} exited ${result.code}: ${result.stderr.slice(-2000)}`);
    return { seconds, maxRssMiB: undefined };
}

export async function measureAzureCli(runs: number, progress: (text: string) => void): Promise<AzureCliFigures> {
    const azure = await startLocalAzure();
    const az = new AzureCli(azure);
    try {
        // Real waits: a real `pulumi up` polls each new credential for about 4 s, and az does not.
        const workspace = await createEngineWorkspace(azure, { realPollWaits: true });
        try {
            const signIn = await az.run(["login", "--service-principal", "--username", azure.deployer.clientId,
                `--password=${azure.deployer.clientSecret}`, "--tenant", azure.tenantId, "--output", "none"]);
            if (signIn.code !== 0) throw new Error(`az login exited ${signIn.code}: ${signIn.stderr}`);
            const devFile = readFileSync(join(workspace.dir, "stacks", "Pulumi.inventory-api-dev.yaml"), "utf8");
            const azSamples: Sample[] = [];
            const upSamples: Sample[] = [];
            for (let round = 0; round <= runs; round += 1) {
                progress(round === 0 ? "az against pulumi up: warm-up ..." : `az against pulumi up: round ${round} of ${runs} ...`);
                const stack = oneIdentityStack(round);
                const init = await workspace.pulumi(["stack", "init", stack]);
                if (init.code !== 0) throw new Error(`pulumi stack init ${stack} exited ${init.code}: ${init.stderr}`);
                workspace.writeStackFile(stack, devFile);
                const byHand = await timed("az ad sp create-for-rbac", () => az.run(createForRbacArgs(azure.subscriptionId, round)));
                const byProgram = await timed(`pulumi up --stack ${stack}`, () => workspace.pulumi(upArgs(stack)));
                if (round > 0) {
                    azSamples.push(byHand);
                    upSamples.push(byProgram);
                }
            }
            // az makes the app, its service principal, one secret and the role; the program a second secret, for rotation.
            const byHand = summarize("az ad sp create-for-rbac, one identity (by hand)", `az ${createForRbacArgs("<subscription>", 1).join(" ")}`, azSamples);
            const byProgram = summarize("pulumi up, one-identity stack (create)", `pulumi ${upArgs(oneIdentityStack(1)).join(" ")}`, upSamples);
            return { figures: againstFloor([byHand, byProgram], byHand), ratio: byProgram.median / byHand.median };
        } finally {
            workspace.dispose();
        }
    } finally {
        rmSync(az.configDir, { recursive: true, force: true });
        await azure.stop();
    }
}
