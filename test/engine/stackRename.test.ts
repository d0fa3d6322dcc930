/**
 * The README's path from a stack named after its environment (`prod`, with appName, tenantId, subscriptionId and
 * production in its own file, as this project's stacks were) to the fleet's `<app>-<environment>`, on the real CLI:
 * `pulumi stack rename` moves the state, rewriting its URNs (pkg/v3 v3.276.0 pkg/backend/diy/backend.go renameStack
 * -> pkg/resource/edit/operations.go RenameStack, which renames the root stack resource too), and the stack file
 * (cmd/pulumi/stack/stack_rename.go, os.Rename); the identity's name is `<appName>-<environment>` before and after,
 * so the preview shows no change, with the old file and with the new one that holds only the app's own keys.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { appNamed, pulumiOk as sharedPulumiOk } from "./support";
import { createEngineWorkspace, type EngineWorkspace } from "./workspace";

/** stacks/Pulumi.prod.yaml as it was before the fleet layout (git show 7affba7:stacks/Pulumi.prod.yaml). */
const LEGACY_PROD = `config:
  app-identity:appName: inventory-api
  app-identity:production: true
  app-identity:tenantId: 00000000-0000-0000-0000-00000000aaaa
  app-identity:subscriptionId: 00000000-0000-0000-0000-00000000cccc
  app-identity:owners:
    - 00000000-0000-0000-0000-00000000dddd
  app-identity:roleAssignments:
    - resourceGroup: rg-inventory-prod
      role: Storage Blob Data Contributor
    - resourceGroup: rg-inventory-prod-archive
      role: Storage Blob Data Reader
`;

let azure: LocalAzure;
let workspace: EngineWorkspace;

beforeAll(async () => {
    azure = await startLocalAzure();
    workspace = await createEngineWorkspace(azure);
    rmSync(join(workspace.dir, "stacks", "Pulumi.inventory-api-prod.yaml"));
    workspace.writeStackFile("prod", LEGACY_PROD);
}, 120_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

const pulumiOk = (args: readonly string[]) => sharedPulumiOk(workspace, args);
const stackFile = (stack: string) => join(workspace.dir, "stacks", `Pulumi.${stack}.yaml`);

async function urnsOf(stack: string): Promise<string[]> {
    const exported = JSON.parse((await pulumiOk(["stack", "export", "--stack", stack])).stdout) as
        { deployment: { resources: { urn: string }[] } };
    return exported.deployment.resources.map((resource) => resource.urn);
}

describe("pulumi stack rename prod -> inventory-api-prod, as the README shows it", () => {
    let before: string[] = [];
    let appId = "";

    it("deploys the stack under its old name and layout", async () => {
        await pulumiOk(["stack", "init", "prod"]);
        await pulumiOk(["up", "--stack", "prod", "--yes", "--skip-preview", ...workspace.policyArgs]);
        before = await urnsOf("prod");
        // The stack, two providers, the component, app, service principal, two secrets and two role assignments.
        expect(before).toHaveLength(10);
        expect(before.every((urn) => urn.startsWith("urn:pulumi:prod::app-identity::"))).toBe(true);
        appId = appNamed(azure, "inventory-api-prod").id;
    }, 300_000);

    it("renames it: the state's URNs and the stack file follow", async () => {
        // The file as stack init saved it, with its encryptionsalt: os.Rename moves it as it is.
        const file = readFileSync(stackFile("prod"), "utf8");
        expect(file).toMatch(/^encryptionsalt: v1:/m);
        await pulumiOk(["stack", "rename", "inventory-api-prod", "--stack", "prod"]);
        expect(await urnsOf("inventory-api-prod")).toEqual(before.map((urn) =>
            urn.replace("urn:pulumi:prod::", "urn:pulumi:inventory-api-prod::")
                // edit.RenameStack renames the root stack resource too: its name is <project>-<stack> (operations.go).
                .replace("pulumi:pulumi:Stack::app-identity-prod", "pulumi:pulumi:Stack::app-identity-inventory-api-prod")));
        expect(existsSync(stackFile("prod"))).toBe(false);
        expect(readFileSync(stackFile("inventory-api-prod"), "utf8")).toBe(file);
    }, 120_000);

    it("previews no change with the old file under the new name, and with the fleet's file", async () => {
        await pulumiOk(["preview", "--stack", "inventory-api-prod", "--expect-no-changes", ...workspace.policyArgs]);
        workspace.writeStackFile("inventory-api-prod",
            readFileSync(join(PROJECT_ROOT, "stacks", "Pulumi.inventory-api-prod.yaml"), "utf8"));
        await pulumiOk(["preview", "--stack", "inventory-api-prod", "--expect-no-changes", ...workspace.policyArgs]);
        // The same app, still the only one of its name.
        expect(appNamed(azure, "inventory-api-prod").id).toBe(appId);
    }, 300_000);
});
