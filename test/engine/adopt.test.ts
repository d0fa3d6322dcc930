/**
 * Adopting an identity made by hand (issues 18 and 25), on the real engine against the local Azure: the identity
 * made as Microsoft's docs make it, with the real Azure CLI signed in as the local Azure's portal user (`az ad sp
 * create-for-rbac` with the Storage Blob role on the resource group, then `az ad app credential reset --append` for
 * the servers' secret), then edited in the portal; `npm run adopt` comparing it with stack inventory-api-dev, the
 * report's own commands followed, the first `pulumi up` importing it, and the cut-over to the stack's env file with
 * no moment at which the servers' env file fails.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { environmentFor } from "../../localazure/main";
import { Portal, resourcesSummary } from "./scenario";
import { AzureCli } from "../support/azureCli";
import { envFileFromStack, expectOk, runTool, signIn, signInWith, type EnvFile } from "./support";
import { createEngineWorkspace, type EngineWorkspace } from "./workspace";

const STACK = "inventory-api-dev";
const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * What a portal-made app carries besides its name: "New registration" adds Microsoft Graph's delegated User.Read
 * (API permissions), and a team adds a redirect URI (Authentication), notes (Branding & properties) and a tag.
 */
const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
const USER_READ = "e1fe6dd8-ba31-4d61-89e7-88639da4683d";
const REDIRECT = "https://inventory-api.example.com/signin-oidc";
const PORTAL_SETTINGS = {
    requiredResourceAccess: [{ resourceAppId: GRAPH_APP_ID, resourceAccess: [{ id: USER_READ, type: "Scope" }] }],
    web: { homePageUrl: null, logoutUrl: null, redirectUris: [REDIRECT], implicitGrantSettings:
        { enableAccessTokenIssuance: false, enableIdTokenIssuance: false }, redirectUriSettings: [] },
    notes: "Made in the portal for the inventory servers",
    tags: ["inventory"],
};
/** The report's lines for what the first pulumi up empties (common/azureadApplicationUpdate.ts), in its order. */
const CLEARED = [
    "  app registration notes \"Made in the portal for the inventory servers\" becomes null (the program does not set it, and azuread's update after the import writes it empty)",
    `  app registration web {"homePageUrl":null,"logoutUrl":null,"redirectUris":["${REDIRECT}"],"implicitGrantSettings":{"enableAccessTokenIssuance":false,"enableIdTokenIssuance":false}} ` +
        "becomes {\"homePageUrl\":null,\"logoutUrl\":null,\"redirectUris\":[],\"implicitGrantSettings\":{\"enableAccessTokenIssuance\":false,\"enableIdTokenIssuance\":false}} " +
        "(the program does not set it, and azuread's update after the import writes it empty)",
    `  app registration requiredResourceAccess [{"resourceAppId":"${GRAPH_APP_ID}","resourceAccess":[{"id":"${USER_READ}","type":"Scope"}]}] becomes [] ` +
        "(the program does not set it, and azuread's update after the import writes it empty)",
];

let azure: LocalAzure;
let workspace: EngineWorkspace;
let portal: Portal;
/** What the portal made. */
let hand: { appObjectId: string; clientId: string; principalId: string; keyIds: Record<string, string>; secret: string; assignment: string };
let az: AzureCli;
let newEnv: EnvFile;

const toolEnv = () => ({ ...workspace.env, ...Object.fromEntries(environmentFor(azure)) });
const adopt = (args: readonly string[]) => runTool(workspace, "adopt", ["--root", workspace.dir, "--stack", STACK, ...args], toolEnv());
const oldEnvSignIn = () => signIn(azure, azure.tenantId, hand.clientId, hand.secret);
/** Output with the IDs of this run replaced by names, for exact comparison. */
function named(text: string): string {
    const names: Record<string, string> = {
        [hand.appObjectId]: "{app}", [hand.clientId]: "{client}", [hand.principalId]: "{sp}", ...Object.fromEntries(Object.entries(hand.keyIds).map(([name, keyId]) => [keyId, `{${name} key}`])),
        [hand.assignment]: "{assignment}", [azure.deployer.objectId]: "{deployer}",
    };
    return text.replace(GUID, (id) => names[id] ?? id);
}

beforeAll(async () => {
    azure = await startLocalAzure();
    workspace = await createEngineWorkspace(azure);
    portal = new Portal(azure);
    az = new AzureCli(azure);
    // As Microsoft's docs make it, signed in as the person who does it by hand (the local Azure's portal user):
    // az ad sp create-for-rbac with the Storage Blob role on the resource group, then a secret for the servers
    // with az ad app credential reset --append, described "Current".
    await az.login(azure.admin.clientId, azure.admin.clientSecret);
    const scope = `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-inventory-dev`;
    const made = await az.json<{ appId: string; password: string }>(["ad", "sp", "create-for-rbac", "--name", "inventory-api-dev",
        "--role", "Storage Blob Data Contributor", "--scopes", scope]);
    const current = await az.json<{ password: string }>(["ad", "app", "credential", "reset", "--id", made.appId, "--append",
        "--display-name", "Current"]);
    // Then what a team sets in the portal over time (API permissions, a redirect URI, notes, a tag).
    const app = azure.state().applications.find((candidate) => candidate.appId === made.appId)!;
    await portal.graph("PATCH", `/applications/${app.id}`, PORTAL_SETTINGS);
    const state = azure.state();
    const sp = state.servicePrincipals.find((candidate) => candidate.appId === made.appId)!;
    const passwords = state.applications.find((candidate) => candidate.appId === made.appId)!.passwords;
    hand = { appObjectId: app.id, clientId: made.appId, principalId: sp.id,
        keyIds: Object.fromEntries(passwords.map((password) => [password.displayName ?? "", password.keyId])),
        secret: current.password,
        assignment: state.roleAssignments.find((assignment) => assignment.principalId === sp.id)!.name };
    expect(await oldEnvSignIn()).toEqual({ status: 200 });
    expectOk(await workspace.pulumi(["stack", "init", STACK]), "pulumi stack init");
}, 300_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

describe("adopting a hand-made identity on the real engine", () => {
    it("npm run adopt: not ready while the deploying identity owns neither the app nor its service principal", async () => {
        const result = await adopt(["--client-id", hand.clientId, "--write"]);
        expect(result.code).toBe(1);
        expect(named(result.stdout)).toContain("the deploying identity ({deployer}) does not own the app registration\n" +
            "    must: add it as owner (portal: App registrations > the app > Owners)");
        expect(named(result.stdout)).toContain("the deploying identity ({deployer}) does not own the service principal\n");
    }, 120_000);

    it("npm run adopt: refuses to write while the app is multi-tenant, as az made it, and the first up would empty its API permissions, redirect URIs and notes", async () => {
        // The runbook's step 2, by az for the app and by the portal for the service principal (az has no sp owner add).
        await az.json(["ad", "app", "owner", "add", "--id", hand.clientId, "--owner-object-id", azure.deployer.objectId]);
        await portal.addOwner("servicePrincipals", hand.principalId, azure.deployer.objectId);
        const before = readFileSync(join(workspace.dir, "stacks", "Pulumi.inventory-api-dev.yaml"), "utf8");
        const result = await adopt(["--client-id", hand.clientId, "--write"]);
        expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 1, stderr: "" });
        const lines = named(result.stdout).split("\n");
        expect(lines[0]).toBe("Adopting client ID {client} as inventory-api-dev (stacks/Pulumi.inventory-api-dev.yaml): NOT READY: act on the lines marked 'must'");
        const must = "    must: the stack cannot keep it: make sure nothing needs it (or set it again by hand after each pulumi up), then run again with --accept-clearing";
        expect(lines.slice(lines.indexOf(CLEARED[0]!), lines.indexOf(CLEARED[0]!) + 6)).toEqual(CLEARED.flatMap((line) => [line, must]));
        // az sent no signInAudience, so Graph made the app multi-tenant with personal accounts (Azure/azure-cli#25881).
        expect(lines.slice(lines.indexOf("extra (left alone by the stack unless said):") + 1).slice(0, 2)).toEqual([
            "  a multi-tenant app (signInAudience AzureADandPersonalMicrosoftAccount): the first pulumi up makes it single-tenant (AzureADMyOrg)",
            "    must: if no user or app of another tenant signs in to it, make it single-tenant first (az ad app update --id {client} " +
                "--sign-in-audience AzureADMyOrg, or portal: App registrations > the app > Authentication > Supported account types) and " +
                "run again; otherwise do not adopt it: let the stack create a new identity",
        ]);
        expect(lines.slice(lines.indexOf("missing:"))).toEqual(["missing:", "  none", ""]);
        expect(result.stdout).not.toContain("wrote");
        expect(readFileSync(join(workspace.dir, "stacks", "Pulumi.inventory-api-dev.yaml"), "utf8")).toBe(before);
    }, 120_000);

    it("npm run adopt --accept-clearing, after the report's az ad app update: the exact report, then the adopt key written into the stack file", async () => {
        await az.json(["ad", "app", "update", "--id", hand.clientId, "--sign-in-audience", "AzureADMyOrg"]);
        const result = await adopt(["--client-id", hand.clientId, "--write", "--accept-clearing"]);
        expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
        const secret = (name: string) => [
            `  client secret "${name}" (key ID {${name} key}, ends {date}): not managed by the stack, left as it is`,
            "    can: once every server runs on the stack's env file (npm run env-file -- --stack inventory-api-dev), remove it: " +
                `npm run adopt -- --stack inventory-api-dev --remove-secrets {${name} key}`,
        ];
        expect(named(result.stdout).split("\n").map((line) => line.replace(/ends \d{4}-\d{2}-\d{2}/, "ends {date}"))).toEqual([
            "Adopting client ID {client} as inventory-api-dev (stacks/Pulumi.inventory-api-dev.yaml): ready",
            "import (the first pulumi up takes these over as they are):",
            "  app registration \"inventory-api-dev\" (object ID {app})",
            "  service principal (object ID {sp})",
            "  role assignment Storage Blob Data Contributor on rg-inventory-dev (name {assignment})",
            "change (the same pulumi up, right after the import):",
            "  preventDuplicateNames becomes true (an import reads it as false: it lives in the stack's state only, nothing changes in Entra)",
            ...CLEARED.flatMap((line) => [line, "    can: accepted (--accept-clearing)"]),
            "extra (left alone by the stack unless said):",
            // create-for-rbac's own secret, and the one the servers use.
            ...secret("rbac"),
            ...secret("Current"),
            "missing:",
            "  none",
            "wrote app-identity:adopt into stacks/Pulumi.inventory-api-dev.yaml: run pulumi preview --stack inventory-api-dev next",
            "",
        ]);
    }, 120_000);

    it("pulumi preview: imports and the two managed secrets, no replacement, no deletion", async () => {
        const preview = expectOk(await workspace.pulumi(["preview", "--stack", STACK, "--diff"]), "pulumi preview");
        // The engine's import, then an update of what the program wants otherwise (step_generator.go
        // continueStepsFromImport): the report's "change" lines, and nothing else.
        const steps = [...preview.stdout.matchAll(/^ {8}([-+~=]+) (\S+): \((\S+)\)$/gm)].map((match) => `${match[2]} ${match[3]}`)
            .sort();
        // Sorted: the engine runs steps concurrently, so their order in the display varies.
        expect(steps).toEqual([
            "azure-native:authorization:RoleAssignment import",
            "azuread:index/application:Application import",
            "azuread:index/application:Application update",
            "azuread:index/applicationPassword:ApplicationPassword create",
            "azuread:index/applicationPassword:ApplicationPassword create",
            "azuread:index/servicePrincipal:ServicePrincipal import",
        ]);
        // The owners are already what the stack declares (the deployer alone: az adds no owner), so only the flag changes.
        expect(preview.stdout).toContain("          + preventDuplicateNames: true");
        expect(preview.stdout).not.toContain("~ owners");
        expect(resourcesSummary(preview.stdout)).toEqual(["+ 4 to create", "~ 1 to update", "= 3 to import", "8 changes"]);
        expect(preview.stdout).not.toMatch(/replace|delete/);
    }, 300_000);

    it("pulumi up imports; the old env file keeps working, and so does the stack's", async () => {
        const up = expectOk(await workspace.pulumi(["up", "--stack", STACK, "--yes", "--skip-preview", "--suppress-outputs"]), "pulumi up");
        expect(resourcesSummary(up.stdout)).toEqual(["+ 4 created", "~ 1 updated", "= 3 imported", "8 changes"]);
        expect(await oldEnvSignIn()).toEqual({ status: 200 });
        newEnv = await envFileFromStack(workspace, workspace.env, STACK);
        expect(newEnv.variables["AZURE_CLIENT_ID"]).toBe(hand.clientId);
        expect(await signInWith(azure, newEnv)).toEqual({ status: 200 });
        expectOk(await workspace.pulumi(["preview", "--stack", STACK, "--expect-no-changes"]), "pulumi preview --expect-no-changes");
        const app = azure.state().applications.filter((candidate) => candidate.appId === hand.clientId);
        expect(app).toHaveLength(1);
        // What the report said the update empties is empty; the tags are kept (tags is Optional and Computed).
        const { requiredResourceAccess, web, notes, tags } = app[0]!.properties as { web: { redirectUris: unknown } } & Record<string, unknown>;
        expect({ requiredResourceAccess, redirectUris: web.redirectUris, notes, tags })
            .toEqual({ requiredResourceAccess: [], redirectUris: [], notes: null, tags: ["inventory"] });
        expect(app[0]!.passwords.map((password) => password.displayName).sort())
            .toEqual(["Current", "rbac", expect.stringMatching(/^slot a, rotated /), expect.stringMatching(/^slot b, rotated /)]);
    }, 600_000);

    it("npm run adopt --remove-secrets: shows, removes; the old env file is refused, the stack's works", async () => {
        const keys = [hand.keyIds["rbac"]!, hand.keyIds["Current"]!];
        const refused = await adopt(["--remove-secrets", ...keys]);
        expect({ code: refused.code, stderr: refused.stderr })
            .toEqual({ code: 2, stderr: "adopt: not a terminal, so no one can confirm: pass --yes to remove them\n" });
        expect(await oldEnvSignIn()).toEqual({ status: 200 });
        const removed = await adopt(["--remove-secrets", ...keys, "--yes"]);
        expect({ code: removed.code, stderr: removed.stderr }).toEqual({ code: 0, stderr: "" });
        expect(named(removed.stdout).replace(/ends \d{4}-\d{2}-\d{2}/g, "ends {date}")).toBe([
            "Remove 2 client secrets of inventory-api-dev:",
            "  \"rbac\" (key ID {rbac key}, ends {date})",
            "  \"Current\" (key ID {Current key}, ends {date})",
            "Servers still signing in with these stop working at once.",
            "removed {rbac key}, {Current key}",
            "",
        ].join("\n"));
        expect(await oldEnvSignIn()).toEqual({ status: 401, errorCode: 7000215 });
        expect(await signInWith(azure, newEnv)).toEqual({ status: 200 });
        expectOk(await workspace.pulumi(["preview", "--stack", STACK, "--expect-no-changes"]), "pulumi preview --expect-no-changes");
    }, 300_000);
});
