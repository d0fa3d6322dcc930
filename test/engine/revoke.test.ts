/**
 * `npm run revoke` on the real engine (issue 13, "Revoke"): tools/revoke/command.ts runs the real CLI against the local
 * Azure, for the production stack and for one developer of the local stack at once, then for prod again with a
 * step made to fail midway by a change made in the portal.
 *
 * tools/revoke/command.ts plans from, and runs the CLI in, the project it belongs to (tools/stacks/stackFiles.ts PROJECT_ROOT),
 * so the scenario runs the workspace's own copy of tools/ (as `npm run revoke` does, from the project's folder).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { environmentFor } from "../../localazure/main";
import { PRODUCTION_SUBSCRIPTION_ID } from "../../localazure/seed";
import type { State } from "../../localazure/state";
import {
    deployerWrites, errorCodesOf, identityIn, openScenario, outputOf, resourcesSummaries, signIn, stateOf,
    type IdentityState, type Scenario, type StateResource,
} from "./scenario";
import { TYPESCRIPT_HOOK } from "./support";
import { runCommand, type CommandResult } from "./workspace";

const PROD = "inventory-api-prod";
const PURGED = "revoke: the old app and service principal are deleted for good: Entra's deleted items no longer hold them";
const ALICE = "inventory-api-local-alice";
const BOB = "inventory-api-local-bob";

let scenario: Scenario;

beforeAll(async () => {
    scenario = await openScenario(["inventory-api-prod", "inventory-api-local"], { tools: true });
}, 180_000);

afterAll(async () => {
    await scenario?.dispose();
});

/**
 * `npm run revoke -- ARGS`, as npm runs it: from the project's folder, with the workspace's environment and the
 * local Azure's variables (its env.sh: HTTPS_PROXY and the test CA), through which revoke reaches Graph itself.
 */
function revoke(args: readonly string[]): Promise<CommandResult> {
    const { dir, env } = scenario.workspace;
    return runCommand(process.execPath, [...TYPESCRIPT_HOOK, join(dir, "tools", "revoke", "command.ts"), ...args], dir,
        { ...env, ...Object.fromEntries(environmentFor(scenario.azure)) });
}

/** What revoke itself says (its lines start with "revoke:"), apart from the CLI's output. */
const revokeLines = (result: CommandResult) => result.stderr.split("\n").filter((line) => line.startsWith("revoke: "));

/** The stack's outputs with secrets, as `npm run env-file -- --stack` reads them. */
async function outputs(stack: string): Promise<Record<string, unknown>> {
    return JSON.parse((await scenario.pulumiOk(["stack", "output", "--stack", stack, "--json", "--show-secrets"])).stdout) as Record<string, unknown>;
}

interface Credential {
    readonly clientId: string;
    readonly clientSecret: string;
}

function prodCredential(values: Record<string, unknown>): Credential {
    return { clientId: values["clientId"] as string, clientSecret: values["clientSecret"] as string };
}

function developerCredential(values: Record<string, unknown>, developer: string): Credential {
    const developers = values["developers"] as Record<string, { clientId: string }>;
    const secrets = values["developerSecrets"] as Record<string, string>;
    return { clientId: developers[developer]!.clientId, clientSecret: secrets[developer]! };
}

/** The identity as the local Azure holds it: app, service principal, secrets' key IDs, role assignments. */
function inAzure(state: State, displayName: string) {
    const app = state.applications.find((candidate) => candidate.properties["displayName"] === displayName);
    const principal = state.servicePrincipals.find((candidate) => candidate.appId === app?.appId);
    return {
        app, principal,
        assignments: state.roleAssignments.filter((assignment) => assignment.principalId === principal?.id)
            .map(({ scope, roleDefinitionId }) => `${roleDefinitionId.split("/").at(-1)} on ${scope}`).sort(),
    };
}

/** The name of each object ID and role assignment name of an identity, for reading the request log. */
function namesOf(identity: IdentityState, label: string): Record<string, string> {
    const names: Record<string, string> = {
        [outputOf(identity.app, "objectId")]: `{${label} app}`,
        [outputOf(identity.servicePrincipal, "objectId")]: `{${label} sp}`,
    };
    for (const assignment of identity.roleAssignments) {
        names[assignment.id!.split("/").at(-1)!] = `{${label} role on ${assignment.id!.split("/")[4]}}`;
    }
    return names;
}

/** The deployer's writes that a revoke of one identity makes, in the names of `namesOf`. */
function revokeWrites(identity: IdentityState, label: string, subscriptionId: string): { deletes: string[]; creates: string[] } {
    const graph = "graph.microsoft.com /v1.0";
    const roleGroups = identity.roleAssignments.map((assignment) => assignment.id!.split("/")[4]!);
    const role = (group: string, which: string) =>
        `management.azure.com /subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.Authorization/roleAssignments/{${which} role on ${group}}`;
    return {
        deletes: [
            ...roleGroups.map((group) => `DELETE ${role(group, `old ${label}`)} 200`),
            `POST ${graph}/applications/{old ${label} app}/removePassword 204`,
            `POST ${graph}/applications/{old ${label} app}/removePassword 204`,
            `DELETE ${graph}/servicePrincipals/{old ${label} sp} 204`,
            `DELETE ${graph}/applications/{old ${label} app} 204`,
            // Issue 24, defect 3: out of Entra's deleted items, where a restore would bring the old secrets back.
            `DELETE ${graph}/directory/deletedItems/{old ${label} app} 204`,
            `DELETE ${graph}/directory/deletedItems/{old ${label} sp} 204`,
        ],
        creates: [
            // terraform-provider-azuread's create: POST, then the display name patched away and back; the service
            // principal's description patched to null; then the two secrets; then the role assignments.
            `POST ${graph}/applications 201`,
            `PATCH ${graph}/applications/{new ${label} app} 204`,
            `PATCH ${graph}/applications/{new ${label} app} 204`,
            `POST ${graph}/servicePrincipals 201`,
            `PATCH ${graph}/servicePrincipals/{new ${label} sp} 204`,
            `POST ${graph}/applications/{new ${label} app}/addPassword 200`,
            `POST ${graph}/applications/{new ${label} app}/addPassword 200`,
            ...roleGroups.map((group) => `PUT ${role(group, `new ${label}`)} 201`),
        ],
    };
}

/**
 * What a revoke of another identity must not change in the state: each resource's ID, inputs and outputs. A secret
 * is encrypted anew at each save (the passphrase provider's nonce), so it counts as "[secret]" here; its value is
 * compared in the local Azure, which keeps each secret's hash.
 */
const stable = (identity: IdentityState) => Object.fromEntries(identity.all.map(({ urn, id, inputs, outputs: values }) =>
    [urn, JSON.parse(JSON.stringify({ id, inputs, outputs: values }), (_key, value: unknown) =>
        (typeof value === "object" && value !== null && "ciphertext" in value ? "[secret]" : value)) as unknown]));

const protectionOf = (identity: IdentityState) =>
    Object.fromEntries(identity.all.map((resource: StateResource) => [resource.urn, resource.protect === true]));

describe("npm run revoke, for prod and for alice of the local stack at once, with the real CLI", () => {
    let before: { prod: IdentityState; alice: IdentityState; bob: IdentityState; azure: State; logLength: number };
    let oldCredentials: { prod: Credential; alice: Credential };
    let results: { prod: CommandResult; alice: CommandResult };
    let after: { prod: IdentityState; alice: IdentityState; bob: IdentityState; azure: State };

    beforeAll(async () => {
        const [prodState, localState, prodOutputs, localOutputs] = await Promise.all([
            stateOf(scenario, "inventory-api-prod"), stateOf(scenario, "inventory-api-local"), outputs("inventory-api-prod"), outputs("inventory-api-local")]);
        before = {
            prod: identityIn(prodState, PROD), alice: identityIn(localState, ALICE), bob: identityIn(localState, BOB),
            azure: scenario.azure.state(), logLength: scenario.azure.log().length,
        };
        oldCredentials = { prod: prodCredential(prodOutputs), alice: developerCredential(localOutputs, "alice") };

        const [prod, alice] = await Promise.all([
            revoke(["--stack", "inventory-api-prod", "--yes"]),
            revoke(["--stack", "inventory-api-local", "--developer", "alice", "--yes"]),
        ]);
        results = { prod, alice };
        const [prodAfter, localAfter] = await Promise.all([stateOf(scenario, "inventory-api-prod"), stateOf(scenario, "inventory-api-local")]);
        after = {
            prod: identityIn(prodAfter, PROD), alice: identityIn(localAfter, ALICE), bob: identityIn(localAfter, BOB),
            azure: scenario.azure.state(),
        };
    }, 300_000);

    it("each exits 0, saying what it deletes and recreates, and which env file to write again", () => {
        expect([results.prod.code, revokeLines(results.prod)]).toEqual([0, [
            "revoke: identity inventory-api-prod of stack inventory-api-prod: pulumi destroy deletes its app, service principal, " +
                "2 secrets and 2 role assignments, then pulumi up creates them anew. The stack protects them: their " +
                "protection is lifted first, then restored by the up, or at once if a step fails.",
            PURGED,
            "revoke: inventory-api-prod now has a new app, service principal and secrets. Write its env file again: " +
                "npm run env-file -- --stack inventory-api-prod --out PATH",
        ]]);
        expect([results.alice.code, revokeLines(results.alice)]).toEqual([0, [
            "revoke: identity inventory-api-local-alice of stack inventory-api-local: pulumi destroy deletes its app, service " +
                "principal, 2 secrets and 1 role assignment, then pulumi up creates them anew.",
            PURGED,
            "revoke: inventory-api-local-alice now has a new app, service principal and secrets. Write its env file " +
                "again: npm run env-file -- --stack inventory-api-local --developer alice --out PATH",
        ]]);
        // The CLI's own summaries: the destroy's preview and update, then the up's preview and update.
        expect(resourcesSummaries(results.prod.stdout)).toEqual([
            ["- 6 to delete", "2 unchanged"], ["- 6 deleted", "2 unchanged"],
            ["+ 6 to create", "2 unchanged"], ["+ 6 created", "2 unchanged"],
        ]);
        expect(resourcesSummaries(results.alice.stdout)).toEqual([
            ["- 5 to delete", "8 unchanged"], ["- 5 deleted", "8 unchanged"],
            ["+ 5 to create", "8 unchanged"], ["+ 5 created", "8 unchanged"],
        ]);
    });

    it("the local Azure saw exactly the two identities deleted, then created anew, and nothing else written", () => {
        const names = {
            ...namesOf(before.prod, "old prod"), ...namesOf(after.prod, "new prod"),
            ...namesOf(before.alice, "old alice"), ...namesOf(after.alice, "new alice"),
        };
        const writes = deployerWrites(scenario.azure, scenario.azure.log().slice(before.logLength), names);
        const prod = revokeWrites(before.prod, "prod", PRODUCTION_SUBSCRIPTION_ID);
        const alice = revokeWrites(before.alice, "alice", scenario.azure.subscriptionId);
        expect([...writes].sort()).toEqual([...prod.deletes, ...prod.creates, ...alice.deletes, ...alice.creates].sort());

        // Per identity, in the log's order: role assignments first (they depend on the secrets and the service
        // principal), the app last, and every deletion before the first creation.
        for (const label of ["prod", "alice"]) {
            const mine = writes.filter((write) => write.includes(`{old ${label} `) || write.includes(`{new ${label} `));
            const phase = (write: string) => write.includes(`{new ${label} `) ? 3
                : write.includes("roleAssignments") ? 0 : write.includes("/directory/deletedItems/") ? 2.5
                    : write.startsWith(`DELETE graph.microsoft.com /v1.0/applications/`) ? 2 : 1;
            const phases = mine.map(phase);
            expect(phases).toEqual([...phases].sort());
        }
    });

    it("their role assignments are on the new service principals; bob and the old principals hold none changed", () => {
        for (const [label, name] of [["prod", PROD], ["alice", ALICE]] as const) {
            const old = inAzure(before.azure, name);
            const now = inAzure(after.azure, name);
            expect(now.app?.appId).not.toBe(old.app?.appId);
            expect(now.principal?.id).toBe(outputOf(after[label].servicePrincipal, "objectId"));
            expect(now.assignments).toEqual(old.assignments);
            expect(after.azure.roleAssignments.filter((assignment) => assignment.principalId === old.principal?.id)).toEqual([]);
            expect(after.azure.applications.some((app) => app.id === old.app?.id)).toBe(false);
        }
        expect(inAzure(after.azure, BOB)).toEqual(inAzure(before.azure, BOB));
        expect(stable(after.bob)).toEqual(stable(before.bob));
    });

    it("the old apps are not in Entra's deleted items: the portal user (Application.ReadWrite.All) cannot restore them (404)", async () => {
        for (const label of ["prod", "alice"] as const) {
            const oldApp = outputOf(before[label].app, "objectId");
            expect((after.azure.deletedItems ?? []).map((item) => item.application?.id ?? item.servicePrincipal?.id)).not.toContain(oldApp);
            const restore = await scenario.portal.graph("POST", `/directory/deletedItems/${oldApp}/restore`);
            expect(restore.status).toBe(404);
        }
    }, 60_000);

    it("the old client IDs are refused at the token endpoint (AADSTS700016); the new secrets sign in", async () => {
        const [prodOutputs, localOutputs] = await Promise.all([outputs("inventory-api-prod"), outputs("inventory-api-local")]);
        const fresh = [prodCredential(prodOutputs), developerCredential(localOutputs, "alice")];
        for (const old of [oldCredentials.prod, oldCredentials.alice]) {
            const refused = await signIn(scenario.azure, old.clientId, old.clientSecret);
            expect([refused.status, errorCodesOf(refused)]).toEqual([400, [700016]]);
        }
        for (const credential of fresh) {
            expect((await signIn(scenario.azure, credential.clientId, credential.clientSecret)).status).toBe(200);
        }
    }, 60_000);

    it("prod is protected again: the state protects its app, service principal and role assignments, never its secrets", () => {
        const expected = Object.fromEntries(after.prod.all.map((resource) => [resource.urn, resource.type !== "azuread:index/applicationPassword:ApplicationPassword"]));
        expect(protectionOf(after.prod)).toEqual(expected);
        expect(Object.values(expected).filter(Boolean)).toHaveLength(4);
        expect(protectionOf(after.alice)).toEqual(Object.fromEntries(after.alice.all.map((resource) => [resource.urn, false])));
    });
});

describe("npm run revoke of prod with a step that fails midway", () => {
    let failed: CommandResult;
    let identity: IdentityState;

    beforeAll(async () => {
        identity = identityIn(await stateOf(scenario, "inventory-api-prod"), PROD);
        // A person removes the deployer from the service principal's owners in the portal: with Graph
        // Application.ReadWrite.OwnedBy the deployer can no longer delete it, so `pulumi destroy` fails after the
        // role assignments and secrets are deleted, and before the app is.
        const removed = await scenario.portal.removeOwner("servicePrincipals", outputOf(identity.servicePrincipal, "objectId"),
            scenario.azure.deployer.objectId);
        expect(removed.status).toBe(204);
        failed = await revoke(["--stack", "inventory-api-prod", "--yes"]);
    }, 300_000);

    it("exits 1 with one line: what failed, what is protected again, and the command to run next", () => {
        expect([failed.code, revokeLines(failed).at(-1)]).toEqual([1,
            "revoke: pulumi destroy failed (exit 1); the identity may be partly deleted and its credentials may still " +
            "work; of the 4 protected resources, the 2 still in the state are protected again. Next, once the cause is " +
            "fixed: npm run revoke -- --stack inventory-api-prod"]);
        expect(failed.stdout).toContain("Authorization_RequestDenied");
    });

    it("leaves nothing unprotected: the app and service principal still in the state are both protected", async () => {
        const now = identityIn(await stateOf(scenario, "inventory-api-prod"), PROD);
        expect(now.all.map((resource) => [resource.urn, resource.protect === true])).toEqual([
            [identity.app.urn, true], [identity.servicePrincipal.urn, true]]);
        const azure = inAzure(scenario.azure.state(), PROD);
        expect([azure.app?.id, azure.app?.passwords, azure.assignments])
            .toEqual([outputOf(identity.app, "objectId"), [], []]);
    }, 60_000);

    it("once the cause is fixed, the command it printed completes the revoke, and prod is protected again", async () => {
        const restored = await scenario.portal.addOwner("servicePrincipals", outputOf(identity.servicePrincipal, "objectId"),
            scenario.azure.deployer.objectId);
        expect(restored.status).toBe(204);
        const again = await revoke(["--stack", "inventory-api-prod", "--yes"]);
        expect([again.code, revokeLines(again).at(-1)]).toEqual([0,
            "revoke: inventory-api-prod now has a new app, service principal and secrets. Write its env file again: " +
            "npm run env-file -- --stack inventory-api-prod --out PATH"]);
        const now = identityIn(await stateOf(scenario, "inventory-api-prod"), PROD);
        expect(outputOf(now.app, "objectId")).not.toBe(outputOf(identity.app, "objectId"));
        expect(now.all.filter((resource) => resource.protect === true).map((resource) => resource.type).sort()).toEqual([
            "azure-native:authorization:RoleAssignment", "azure-native:authorization:RoleAssignment",
            "azuread:index/application:Application", "azuread:index/servicePrincipal:ServicePrincipal"]);
        expect(now.passwords.map((password) => password.protect === true)).toEqual([false, false]);
    }, 300_000);
});
