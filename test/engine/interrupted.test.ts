/**
 * Interrupted runs lose nothing (issue 28 part 3), on the real Pulumi CLI and engine against the local Azure: the
 * first `pulumi up` of inventory-api-dev killed (SIGKILL, the CLI and every process under it) at each step of the
 * deploy in turn, the moment Azure has done the write and before any process could record it:
 * 1. after Graph created the app registration: the state holds only its pending create;
 * 2. after Graph stored a client secret: the secret exists, valid for two years, its value known to nobody;
 * 3. after ARM wrote the role assignment.
 * After each: the next plain `up` doubles nothing (the app and the role assignment are refused as existing, a
 * secret is made again beside its orphan), and what the README tells the user to run, `npm run audit -- --stack S`
 * then its `--fix --yes`, imports what Azure holds, removes the orphan and clears the rest; the next `up` ends with
 * the tenant holding exactly what the stack declares. The killed `up`s run with `--parallel 1` so that each kill
 * leaves exactly one create pending; a user's parallel run may leave several, which the one repair handles alike.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure, type RequestLogEntry } from "../../localazure";
import { environmentFor } from "../../localazure/main";
import { Interrupter } from "./interrupter";
import { identityIn, type StateResource } from "./scenario";
import { envFileFromStack, expectOk, runTool, signInWith } from "./support";
import { createEngineWorkspace, type CommandResult, type EngineWorkspace } from "./workspace";

const STACK = "inventory-api-dev";
const UP = ["up", "--stack", STACK, "--yes", "--skip-preview", "--suppress-outputs"];
const KILLED_UP = [...UP, "--parallel", "1"];
const COMPONENT_URN = `urn:pulumi:${STACK}::app-identity::appidentity:azure:AppIdentity::${STACK}`;
const APP_URN = `urn:pulumi:${STACK}::app-identity::appidentity:azure:AppIdentity$azuread:index/application:Application::${STACK}`;
const ASSIGNMENT_URN = `urn:pulumi:${STACK}::app-identity::appidentity:azure:AppIdentity$azure-native:authorization:RoleAssignment::` +
    `${STACK}/rg-inventory-dev/storage-blob-data-contributor`;
const PASSWORD_TYPE = "azuread:index/applicationPassword:ApplicationPassword";

let azure: LocalAzure;
let workspace: EngineWorkspace;
const interrupter = new Interrupter();

const toolEnv = () => ({ ...workspace.env, ...Object.fromEntries(environmentFor(azure)) });
const audit = (args: readonly string[] = []) => runTool(workspace, "audit", ["--root", workspace.dir, "--stack", STACK, ...args], toolEnv());
const byDeployer = (method: string, host: string, test: (path: string) => boolean, status: number) => (entry: RequestLogEntry) =>
    entry.method === method && entry.host === host && test(entry.path) && entry.status === status && entry.caller === azure.deployer.objectId;

beforeAll(async () => {
    azure = await startLocalAzure({ onRequest: interrupter.onRequest });
    workspace = await createEngineWorkspace(azure);
    expectOk(await workspace.pulumi(["stack", "init", STACK]), "pulumi stack init");
}, 120_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

async function exported(): Promise<{ resources: StateResource[]; pending: { type: string; urn: string }[] }> {
    const { stdout } = expectOk(await workspace.pulumi(["stack", "export", "--stack", STACK]), "pulumi stack export");
    const { deployment } = JSON.parse(stdout) as { deployment: { resources?: StateResource[]; pending_operations?: { type: string; resource: { urn: string } }[] } };
    return { resources: deployment.resources ?? [],
        pending: (deployment.pending_operations ?? []).map((operation) => ({ type: operation.type, urn: operation.resource.urn })) };
}

/**
 * The README's first step after a killed run: the DIY backend keeps the killed update's lock file
 * (.pulumi/locks/...), and every later update is refused ("the stack is currently locked by 1 lock(s)") until
 * `pulumi cancel` deletes it.
 */
async function cancelLock(): Promise<void> {
    const locked = await workspace.pulumi(UP);
    expect({ code: locked.code, stderr: locked.stderr }).toEqual({ code: 1, stderr: expect.stringContaining("the stack is currently locked by 1 lock(s)") });
    expectOk(await workspace.pulumi(["cancel", "--stack", STACK, "--yes"]), "pulumi cancel");
}

const appsNamed = () => azure.state().applications.filter((app) => app.properties["displayName"] === STACK);
const assignmentsOf = (principalId: string) => azure.state().roleAssignments.filter((assignment) => assignment.principalId === principalId);
const lines = (result: CommandResult) => result.stdout.split("\n");

describe("pulumi up killed at each step, then the README's repair", { timeout: 300_000 }, () => {
    it("1. killed after Graph created the app: the next up makes no second app; audit --fix --yes imports it", async () => {
        const run = await interrupter.run(workspace, KILLED_UP, byDeployer("POST", "graph.microsoft.com", (path) => path === "/v1.0/applications", 201));
        expect({ run, alive: await interrupter.survivors() }).toEqual({ run: "killed", alive: [] });
        await cancelLock();
        const [made] = appsNamed();
        expect({ apps: appsNamed().length, state: await exported() }).toEqual({ apps: 1,
            state: { resources: expect.any(Array), pending: [{ type: "creating", urn: APP_URN }] } });

        // The plain next up: preventDuplicateNames refuses the second app (terraform-provider-azuread's CustomizeDiff).
        const plain = await workspace.pulumi(UP);
        expect(plain.code).not.toBe(0);
        expect(plain.stdout).toContain("warning: Attempting to deploy or update resources with 1 pending operations from previous deployment.");
        expect(plain.stdout).toContain(`An existing "azuread_application" with name "${STACK}" (ID: "${made!.id}") was found and ` +
            "`prevent_duplicate_names` was specified.");
        expect(appsNamed().map((app) => app.id)).toEqual([made!.id]);

        const found = await audit();
        const repair = `pulumi refresh --stack ${STACK} --yes --clear-pending-creates && pulumi import azuread:index/application:Application ${STACK} ` +
            `/applications/${made!.id} --stack ${STACK} --parent parent=${COMPONENT_URN} --generate-code=false --protect=false --yes`;
        expect({ code: found.code, stderr: found.stderr, stdout: lines(found) }).toEqual({ code: 1, stderr: "", stdout: [
            `Audit of stack ${STACK} (no app identity in the state): 0 undeclared, 0 missing, 1 pending; no role assignments read (no service principal)`,
            `  pending application of ${STACK}: an interrupted pulumi up was creating ${STACK}; Entra holds app registration ${made!.id} ` +
                `named "${STACK}"; the repair imports it into the state`,
            `    repair: ${repair}`, ""] });

        const fixed = await audit(["--fix", "--yes"]);
        expect({ code: fixed.code, stderr: fixed.stderr, last: lines(fixed).slice(-2) }).toEqual({ code: 0, stderr: "",
            last: [`repaired pending application /applications/${made!.id} of ${STACK}`, ""] });
        const repaired = await exported();
        expect({ pending: repaired.pending, app: repaired.resources.find((resource) => resource.urn === APP_URN)?.id })
            .toEqual({ pending: [], app: `/applications/${made!.id}` });
    });

    it("2. killed after Graph stored a client secret: the orphan is listed and removed, its create cleared", async () => {
        const app = appsNamed()[0]!;
        const run = await interrupter.run(workspace, KILLED_UP, byDeployer("POST", "graph.microsoft.com", (path) => path.endsWith("/addPassword"), 200));
        expect({ run, alive: await interrupter.survivors() }).toEqual({ run: "killed", alive: [] });
        await cancelLock();
        const orphan = azure.state().applications.find((candidate) => candidate.id === app.id)!.passwords;
        const state = await exported();
        expect({ passwordsInGraph: orphan.length, pending: state.pending.map((operation) => operation.type) }).toEqual({ passwordsInGraph: 1, pending: ["creating"] });
        const pendingUrn = state.pending[0]!.urn;
        expect(pendingUrn).toContain(`$${PASSWORD_TYPE}::${STACK}-secret-`);

        const found = await audit();
        expect({ code: found.code, stderr: found.stderr }).toEqual({ code: 1, stderr: "" });
        expect(lines(found).filter((line) => line.startsWith("  ") && !line.startsWith("    "))).toEqual([
            expect.stringMatching(new RegExp(`^  undeclared password of ${STACK}: client secret ".*" \\(key ID ${orphan[0]!.keyId}, ends .*\\) is not in the state; ` +
                `an interrupted pulumi up was creating ${pendingUrn.split("::").at(-1)}: its orphan$`)),
            `  pending password of ${STACK}: an interrupted pulumi up was creating ${pendingUrn.split("::").at(-1)}; a credential is made again by the ` +
                "next pulumi up, never imported; an orphan it left is listed above; the repair clears the pending create",
        ]);
        const fixed = await audit(["--fix", "--yes"]);
        expect({ code: fixed.code, stderr: fixed.stderr, last: lines(fixed).slice(-3) }).toEqual({ code: 0, stderr: "", last: [
            `removed password ${orphan[0]!.keyId} of ${STACK}`, `repaired pending password ${pendingUrn} of ${STACK}`, ""] });
        expect({ passwordsInGraph: azure.state().applications.find((candidate) => candidate.id === app.id)!.passwords.length,
            pending: (await exported()).pending }).toEqual({ passwordsInGraph: 0, pending: [] });
    });

    it("3. killed after ARM wrote the role assignment: the next up is refused as existing; audit --fix --yes imports it", async () => {
        const run = await interrupter.run(workspace, KILLED_UP, byDeployer("PUT", "management.azure.com", (path) => path.includes("/roleAssignments/"), 201));
        expect({ run, alive: await interrupter.survivors() }).toEqual({ run: "killed", alive: [] });
        await cancelLock();
        const state = await exported();
        expect(state.pending).toEqual([{ type: "creating", urn: ASSIGNMENT_URN }]);
        const sp = String(identityIn(state.resources, STACK).servicePrincipal.outputs!["objectId"]);
        const [assignment] = assignmentsOf(sp);
        const id = `/subscriptions/${azure.subscriptionId}/resourceGroups/rg-inventory-dev/providers/Microsoft.Authorization/roleAssignments/${assignment!.name}`;

        // The plain next up: azure-native checks that the resource does not exist before its PUT.
        const plain = await workspace.pulumi(UP);
        expect(plain.code).not.toBe(0);
        expect(plain.stdout).toContain(`cannot create already existing resource '${id}'`);
        expect(assignmentsOf(sp)).toHaveLength(1);

        const found = await audit();
        expect({ code: found.code, pending: lines(found).filter((line) => line.startsWith("  pending ") || line.startsWith("    repair: ")) }).toEqual({ code: 1, pending: [
            `  pending role-assignment of ${STACK}: an interrupted pulumi up was creating ${STACK}/rg-inventory-dev/storage-blob-data-contributor; ` +
                `ARM holds role assignment ${id}; the repair imports it into the state`,
            `    repair: pulumi refresh --stack ${STACK} --yes --clear-pending-creates && pulumi import azure-native:authorization:RoleAssignment ` +
                `${STACK}/rg-inventory-dev/storage-blob-data-contributor ${id} --stack ${STACK} --parent parent=${COMPONENT_URN} ` +
                "--generate-code=false --protect=false --yes"] });
        expect(found.stdout).not.toContain("undeclared role-assignment");
        expect((await audit(["--fix", "--yes"])).code).toBe(0);
        expect((await exported()).pending).toEqual([]);
    });

    it("then one up ends with exactly what the stack declares: one app, its secrets, its assignment; a clean audit; the env file signs in", async () => {
        expectOk(await workspace.pulumi(UP), "pulumi up");
        expectOk(await workspace.pulumi(["preview", "--stack", STACK, "--expect-no-changes"]), "pulumi preview --expect-no-changes");
        const identity = identityIn((await exported()).resources, STACK);
        const [app] = appsNamed();
        expect({ apps: appsNamed().length, app: identity.app.id }).toEqual({ apps: 1, app: `/applications/${app!.id}` });
        expect(app!.passwords.map((password) => password.keyId).sort())
            .toEqual(identity.passwords.map((password) => String(password.outputs!["keyId"])).sort());
        expect(identity.passwords).toHaveLength(2);
        const sp = String(identity.servicePrincipal.outputs!["objectId"]);
        expect(azure.state().servicePrincipals.filter((candidate) => candidate.appId === app!.appId)).toHaveLength(1);
        expect(assignmentsOf(sp).map((assignment) => assignment.name)).toEqual(identity.roleAssignments.map((resource) => String(resource.outputs!["name"])));
        const clean = await audit();
        expect({ code: clean.code, head: lines(clean)[0] }).toEqual({ code: 0, head: expect.stringMatching(new RegExp(`^Audit of stack ${STACK} \\(${STACK}\\): clean; `)) });
        expect(await signInWith(azure, await envFileFromStack(workspace, workspace.env, STACK))).toEqual({ status: 200 });
    });
});
