/**
 * `npm run audit` and `npm run fleet -- audit` (issue 29 part 2) on the real engine against the local Azure: after a
 * real `pulumi up` of inventory-api-dev, the audit run as the documented deployer finds exactly what was planted
 * outside the stack, each with its command:
 * - a client secret added through the local Graph's addPassword by another identity (the portal user);
 * - an owner added by hand (the portal user's own service principal);
 * - a role assignment made with the real Azure CLI (.tools/bin/az), signed in as the portal user;
 * - the orphan of an interrupted `up`: a `pulumi up --target-replace` of the slot-b secret killed (SIGKILL, the CLI
 *   and every process under it) the moment Graph stored the replacement's password, before its answer left: Graph
 *   holds it, the state holds only the pending create, listed as pending with its repair;
 * and a declared role assignment deleted by hand shows as missing until its printed command restores it.
 * Then `--fix --yes` removes exactly those four as the deployer and clears the pending create, the audit is clean
 * and the env file still signs in;
 * and the printed commands, run as printed with the real Azure CLI as the deployer, remove what they name.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { environmentFor } from "../../localazure/main";
import { ADMIN_OBJECT_ID } from "../../localazure/seed";
import { AzureCli } from "../support/azureCli";
import { deployerWrites, identityIn, Portal, type IdentityState, type StateResource } from "./scenario";
import { envFileFromStack, expectOk, graphAsAdmin, runTool, secretValues, signInWith } from "./support";
import { Interrupter } from "./interrupter";
import { createEngineWorkspace, type CommandResult, type EngineWorkspace } from "./workspace";

const STACK = "inventory-api-dev";
const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** Slot b's secret, whose create the interrupted up left pending. */
const slotUrn = `urn:pulumi:${STACK}::app-identity::appidentity:azure:AppIdentity$azuread:index/applicationPassword:ApplicationPassword::${STACK}-secret-b`;
const SCOPES = "role assignments read at resource groups rg-inventory-dev, rg-inventory-test " +
    "(listing at the subscription was refused: 403 AuthorizationFailed)";

let azure: LocalAzure;
let workspace: EngineWorkspace;
let portal: Portal;
/** Kills the interrupted up from the local Azure's request hook. */
const interrupter = new Interrupter();
let ids: Record<string, string> = {};
/** What was planted, for the exact comparisons. */
const planted = { portalKeyId: "", secrets: [] as string[], orphanKeyId: "", assignment: "", assignmentName: "" };

const toolEnv = () => ({ ...workspace.env, ...Object.fromEntries(environmentFor(azure)) });
/** Everything the audit and the fleet printed, checked at the end against every secret the scenario made. */
const printed: string[] = [];
const kept = (result: CommandResult) => {
    printed.push(result.stdout, result.stderr);
    return result;
};
const audit = async (args: readonly string[] = []) => kept(await runTool(workspace, "audit", ["--root", workspace.dir, "--stack", STACK, ...args], toolEnv()));
/** Output with this run's IDs replaced by names. */
const named = (text: string) => text.replace(GUID, (id) => ids[id] ?? id);

beforeAll(async () => {
    azure = await startLocalAzure({ onRequest: interrupter.onRequest });
    workspace = await createEngineWorkspace(azure);
    portal = new Portal(azure);
    expectOk(await workspace.pulumi(["stack", "init", STACK]), "pulumi stack init");
    expectOk(await workspace.pulumi(["up", "--stack", STACK, "--yes", "--skip-preview", "--suppress-outputs"]), "pulumi up");
    const identity = identityIn(await exported(), STACK);
    const [a, b] = [slot(identity, "a"), slot(identity, "b")];
    ids = {
        [String(identity.app.outputs!["objectId"])]: "{app}", [String(identity.servicePrincipal.outputs!["objectId"])]: "{sp}",
        [String(a.outputs!["keyId"])]: "{slot-a}", [String(b.outputs!["keyId"])]: "{slot-b}",
        [azure.deployer.objectId]: "{deployer}", [ADMIN_OBJECT_ID]: "{admin}", [azure.subscriptionId]: "{subscription}",
        [String(identity.roleAssignments[0]!.outputs!["name"])]: "{declared-assignment}",
    };
}, 180_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

const objectOf = (name: string) => Object.entries(ids).find(([, value]) => value === name)![0];

describe("npm run audit on the real engine", { timeout: 180_000 }, () => {
    it("right after pulumi up: clean, exit 0, having written nothing", async () => {
        const from = azure.log().length;
        const result = await audit();
        expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ code: 0, stderr: "",
            stdout: `Audit of stack ${STACK} (${STACK}): clean; ${SCOPES}\n` });
        expect(deployerWrites(azure, azure.log().slice(from), {})).toEqual([]);
        // What it read, as the deployer, in order: the app, its federated credentials, the owners, the roles.
        expect(azure.log().slice(from).filter((entry) => entry.host !== "login.microsoftonline.com")
            .map((entry) => named(`${entry.method} ${entry.path} ${entry.status}`))).toEqual([
            "GET /v1.0/applications/{app} 200",
            "GET /v1.0/applications/{app}/federatedIdentityCredentials 200",
            "GET /v1.0/applications/{app}/owners 200",
            "GET /v1.0/servicePrincipals/{sp}/owners 200",
            "GET /subscriptions/{subscription}/providers/Microsoft.Authorization/roleAssignments 403",
            "GET /subscriptions/{subscription}/resourceGroups/rg-inventory-dev/providers/Microsoft.Authorization/roleAssignments 200",
            "GET /subscriptions/{subscription}/resourceGroups/rg-inventory-test/providers/Microsoft.Authorization/roleAssignments 200",
        ]);
    });

    it("a declared role assignment deleted by hand is missing, exit 1, until the printed command restores it", async () => {
        const declared = `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-inventory-dev/providers/Microsoft.Authorization/roleAssignments/${objectOf("{declared-assignment}")}`;
        expect((await portal.arm("DELETE", declared)).status).toBe(200);
        const result = await audit();
        const restore = "pulumi up --refresh --stack inventory-api-dev";
        expect({ code: result.code, stderr: result.stderr, stdout: named(result.stdout) }).toEqual({ code: 1, stderr: "", stdout: [
            `Audit of stack ${STACK} (${STACK}): 0 undeclared, 1 missing; ${SCOPES}`,
            `  missing role-assignment of ${STACK}: role assignment ${STACK}/rg-inventory-dev/storage-blob-data-contributor ` +
                `(/subscriptions/{subscription}/resourceGroups/rg-inventory-dev/providers/Microsoft.Authorization/roleAssignments/{declared-assignment}) ` +
                "is in the state but gone from Entra",
            `    restore: ${restore}`, ""].join("\n") });
        // The printed command, as a person runs it (--yes: no terminal here).
        expectOk(await workspace.pulumi([...restore.split(" ").slice(1), "--yes", "--skip-preview", "--suppress-outputs"]), restore);
        expect((await audit()).code).toBe(0);
    });

    it("finds the secret, the owner, the Azure CLI's role assignment and the interrupted up's orphan, each with its command", async () => {
        const app = objectOf("{app}");
        const sp = objectOf("{sp}");
        // 1. A secret added by another identity (the portal user) through the local Graph's addPassword.
        const added = await graphAsAdmin(azure, "POST", `/applications/${app}/addPassword`, { passwordCredential: { displayName: "added in the portal" } });
        expect(added.status).toBe(200);
        planted.portalKeyId = (added.body as { keyId: string }).keyId;
        planted.secrets.push((added.body as { secretText: string }).secretText);
        // 2. An owner added by hand.
        expect((await portal.addOwner("applications", app, ADMIN_OBJECT_ID)).status).toBe(204);
        // 3. A role assignment made with the real Azure CLI, signed in as the portal user (Owner of the subscription).
        const az = new AzureCli(azure);
        expectOk(await az.run(["login", "--service-principal", "--username", azure.admin.clientId, `--password=${azure.admin.clientSecret}`,
            "--tenant", azure.tenantId]), "az login");
        const made = await az.json<{ id: string; name: string }>(["role", "assignment", "create", "--assignee-object-id", sp,
            "--assignee-principal-type", "ServicePrincipal", "--role", "Storage Blob Data Reader",
            "--scope", `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-inventory-test`]);
        planted.assignment = made.id;
        planted.assignmentName = made.name;
        // 4. An interrupted up: the replacement of slot b is killed as soon as Graph has stored its password.
        const orphan = await interrupter.run(workspace, ["up", "--stack", STACK, "--yes", "--skip-preview", "--suppress-outputs",
            "--target-replace", slot(identityIn(await exported(), STACK), "b").urn],
        (entry) => entry.method === "POST" && entry.path.endsWith("/addPassword") && entry.caller === azure.deployer.objectId && entry.status === 200);
        const stored = azure.state().applications.find((candidate) => candidate.id === app)!.passwords.map((password) => password.keyId);
        planted.orphanKeyId = stored.find((keyId) => ![objectOf("{slot-a}"), objectOf("{slot-b}"), planted.portalKeyId].includes(keyId))!;
        expect({ orphan, passwordsInGraph: stored.length, pending: await pendingOperations() }).toEqual({ orphan: "killed", passwordsInGraph: 4,
            pending: [{ type: "creating", urn: slot(identityIn(await exported(), STACK), "b").urn }] });
        // The CLI, its language host and its azuread provider at least; all gone.
        expect({ atLeast3: interrupter.killedTree.length >= 3, alive: await interrupter.survivors() }).toEqual({ atLeast3: true, alive: [] });
        // The killed update's lock file stays behind on the DIY backend; the README's first step deletes it.
        expectOk(await workspace.pulumi(["cancel", "--stack", STACK, "--yes"]), "pulumi cancel");
        Object.assign(ids, { [planted.portalKeyId]: "{portal-key}", [planted.orphanKeyId]: "{orphan-key}", [planted.assignmentName]: "{az-assignment}" });

        const result = await audit();
        const slotB = slot(identityIn(await exported(), STACK), "b").inputs!["displayName"] as string;
        const end = (keyId: string) => azure.state().applications.find((candidate) => candidate.id === app)!.passwords
            .find((password) => password.keyId === keyId)!.endDateTime.slice(0, 10);
        expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 1, stderr: "" });
        expect(named(result.stdout).split("\n")).toEqual([
            `Audit of stack ${STACK} (${STACK}): 4 undeclared, 0 missing, 1 pending; ${SCOPES}`,
            `  undeclared password of ${STACK}: client secret "added in the portal" (key ID {portal-key}, ends ${end(planted.portalKeyId)}) is not in the state`,
            "    remove: az ad app credential delete --id {app} --key-id {portal-key}",
            `  undeclared password of ${STACK}: client secret ${JSON.stringify(slotB)} (key ID {orphan-key}, ends ${end(planted.orphanKeyId)}) ` +
                `is not in the state; an interrupted pulumi up was creating ${STACK}-secret-b: its orphan`,
            "    remove: az ad app credential delete --id {app} --key-id {orphan-key}",
            `  undeclared owner of ${STACK}: owner {admin} of the app registration {app} is not declared`,
            "    remove: az ad app owner remove --id {app} --owner-object-id {admin}",
            `  undeclared role-assignment of ${STACK}: role assignment {az-assignment} (Storage Blob Data Reader at ` +
                "/subscriptions/{subscription}/resourceGroups/rg-inventory-test) is not in the state",
            "    remove: az role assignment delete --ids /subscriptions/{subscription}/resourceGroups/rg-inventory-test/providers/Microsoft.Authorization/roleAssignments/{az-assignment}",
            `  pending password of ${STACK}: an interrupted pulumi up was creating ${STACK}-secret-b; a credential is made again by the next ` +
                "pulumi up, never imported; an orphan it left is listed above; the repair clears the pending create",
            `    repair: pulumi refresh --stack ${STACK} --yes --clear-pending-creates`,
            "",
        ]);
    });

    it("--format json: one object per finding, and npm run fleet -- audit reports the same findings", async () => {
        const single = await audit(["--format", "json"]);
        expect(single.code).toBe(1);
        const report = JSON.parse(single.stdout) as { clean: boolean; counts: unknown; findings: { kind: string; status: string; id: string; objectId: string; on: string; command: string }[] };
        expect({ clean: report.clean, counts: report.counts }).toEqual({ clean: false, counts: { undeclared: 4, missing: 0, pending: 1 } });
        expect(report.findings.map(({ status, kind, id, objectId, on }) => named([status, kind, id, objectId, on].join(" ")))).toEqual([
            "undeclared password {portal-key} {app} applications",
            "undeclared password {orphan-key} {app} applications",
            "undeclared owner {admin} {app} applications",
            `undeclared role-assignment /subscriptions/{subscription}/resourceGroups/rg-inventory-test/providers/Microsoft.Authorization/roleAssignments/{az-assignment} {sp} servicePrincipals`,
            `pending password ${slotUrn} {app} applications`,
        ]);
        const fleet = kept(await runTool(workspace, "fleet", ["audit", "--root", workspace.dir, "--stack", STACK, "--format", "json"], toolEnv()));
        const summary = JSON.parse(fleet.stdout) as { counts: unknown; stacks: { stack: string; result: string; reason: string }[]; audit: { findings: unknown[] } };
        expect({ code: fleet.code, counts: summary.counts, stacks: summary.stacks.map(({ stack, result, reason }) => ({ stack, result, reason })) }).toEqual({
            code: 1, counts: { succeeded: 0, failed: 1, skipped: 0 }, stacks: [{ stack: STACK, result: "failed", reason: "4 undeclared, 0 missing, 1 pending" }] });
        expect(summary.audit.findings).toEqual(report.findings);
        expect(fleet.stderr).toMatch(/^start {2}inventory-api-dev\n\[1\/1\] failed {4}inventory-api-dev \(\d+\.\d s\): 4 undeclared, 0 missing, 1 pending\n$/);
    });

    it("--fix alone refuses and reads nothing; --fix --yes removes exactly the four as the deployer and clears the pending create; then clean, and the env file signs in", async () => {
        const before = azure.log().length;
        const refused = await audit(["--fix"]);
        expect({ code: refused.code, stdout: refused.stdout, stderr: refused.stderr }).toEqual({ code: 2, stdout: "", stderr:
            "audit: --fix removes what the audit finds only with --yes as well; nothing was read or removed\n" +
            "usage: npm run audit -- --stack NAME [--format text|json] [--json-file PATH] [--fix --yes] [--root DIR]\n" });
        expect(azure.log().length).toBe(before);

        const fixed = await audit(["--fix", "--yes"]);
        expect({ code: fixed.code, stderr: fixed.stderr }).toEqual({ code: 0, stderr: "" });
        expect(named(fixed.stdout).split("\n").slice(-6)).toEqual([
            `removed password {portal-key} of ${STACK}`,
            `removed password {orphan-key} of ${STACK}`,
            `removed owner {admin} of ${STACK}`,
            `removed role-assignment /subscriptions/{subscription}/resourceGroups/rg-inventory-test/providers/Microsoft.Authorization/roleAssignments/{az-assignment} of ${STACK}`,
            `repaired pending password ${slotUrn} of ${STACK}`,
            "",
        ]);
        expect(deployerWrites(azure, azure.log().slice(before), ids)).toEqual([
            "POST graph.microsoft.com /v1.0/applications/{app}/removePassword 204",
            "POST graph.microsoft.com /v1.0/applications/{app}/removePassword 204",
            "DELETE graph.microsoft.com /v1.0/applications/{app}/owners/{admin}/$ref 204",
            "DELETE management.azure.com /subscriptions/{subscription}/resourceGroups/rg-inventory-test/providers/Microsoft.Authorization/roleAssignments/{az-assignment} 200",
        ]);

        const again = await audit();
        expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: `Audit of stack ${STACK} (${STACK}): clean; ${SCOPES}\n` });
        const envFile = await envFileFromStack(workspace, workspace.env, STACK);
        expect(await signInWith(azure, envFile)).toEqual({ status: 200 });
    });

    it("the printed commands, run as printed with the real Azure CLI signed in as the deployer, remove what they name", async () => {
        const app = objectOf("{app}");
        const sp = objectOf("{sp}");
        const again = await graphAsAdmin(azure, "POST", `/applications/${app}/addPassword`, { passwordCredential: { displayName: "again" } });
        expect(again.status).toBe(200);
        planted.secrets.push((again.body as { secretText: string }).secretText);
        expect((await portal.addOwner("servicePrincipals", sp, ADMIN_OBJECT_ID)).status).toBe(204);
        const reader = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
        expect((await portal.assignRole(`/subscriptions/${azure.subscriptionId}/resourceGroups/rg-inventory-dev`,
            `/subscriptions/${azure.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${reader}`, sp)).status).toBe(201);
        const found = await audit();
        const commands = found.stdout.split("\n").filter((line) => line.startsWith("    remove: ")).map((line) => line.slice("    remove: ".length));
        expect({ code: found.code, kinds: commands.map((command) => command.split(" ").slice(0, 4).join(" ")) }).toEqual({ code: 1,
            kinds: ["az ad app credential", "az rest --method DELETE", "az role assignment delete"] });
        const az = new AzureCli(azure);
        await az.login(azure.deployer.clientId, azure.deployer.clientSecret);
        for (const command of commands) {
            // Single-quoted words (the service principal owner's URL, for its `$ref`) as a POSIX shell reads them.
            const words = [...command.matchAll(/'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2]!);
            expectOk(await az.run(words.slice(1)), command);
        }
        expect(await audit()).toMatchObject({ code: 0, stdout: `Audit of stack ${STACK} (${STACK}): clean; ${SCOPES}\n` });
    });

    it("print no secret: neither slot's client secret, the portal's two, the deployer's secret nor the passphrase", async () => {
        const secrets = [...await secretValues(workspace, [STACK]), ...planted.secrets];
        // Ten audits and one fleet run, stdout and stderr each.
        expect({ secrets: secrets.length, outputs: printed.length }).toEqual({ secrets: 6, outputs: 22 });
        for (const output of printed) for (const secret of secrets) expect(output).not.toContain(secret);
    });
});

/** A slot's secret by its name: the state's order of resources changes when an update rewrites them. */
function slot(identity: IdentityState, name: "a" | "b"): StateResource {
    return identity.passwords.find((password) => password.urn.endsWith(`-secret-${name}`))!;
}

/** The state's resources, as `pulumi stack export` prints them. */
async function exported(): Promise<StateResource[]> {
    const { stdout } = expectOk(await workspace.pulumi(["stack", "export", "--stack", STACK]), "pulumi stack export");
    return (JSON.parse(stdout) as { deployment: { resources?: StateResource[] } }).deployment.resources ?? [];
}

async function pendingOperations(): Promise<{ type: string; urn: string }[]> {
    const { stdout } = expectOk(await workspace.pulumi(["stack", "export", "--stack", STACK]), "pulumi stack export");
    const { deployment } = JSON.parse(stdout) as { deployment: { pending_operations?: { type: string; resource: { urn: string } }[] } };
    return (deployment.pending_operations ?? []).map((operation) => ({ type: operation.type, urn: operation.resource.urn }));
}
