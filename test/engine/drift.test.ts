/**
 * Drift on the real engine (issue 13, "Drift"): the maintenance job's `pulumi refresh --preview-only
 * --expect-no-changes` against changes a person makes in the portal (the local Azure's admin, through its real
 * Graph and ARM paths), and `pulumi up --refresh` repairing what the program owns.
 *
 * What a refresh can see is what the providers' Read returns for the resources in the state, and nothing else:
 * - azuread ApplicationPassword Read looks up its own key ID on the app, and drops the resource when it is gone
 *   (hashicorp/terraform-provider-azuread internal/services/applications/application_password_resource.go,
 *   applicationPasswordResourceRead: "Password credential ... was not found - removing from state!");
 * - azuread Application Read sets `owners` from Graph's owners list, and its `password` block only to a credential
 *   whose key ID the state already holds (application_resource.go, applicationResourceRead: "Match against the
 *   known key ID"); the program uses no `password` block, so a secret added in the portal is invisible to it;
 * - azure-native RoleAssignment Read GETs its own resource ID, and a 404 drops it (pulumi/pulumi-azure-native
 *   provider/pkg/provider/provider.go, Read); no resource lists a principal's role assignments, so one added in the
 *   portal is invisible too.
 * The provider stand-ins (localazure/providers/) model exactly these Reads.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resourceGroupScope, roleDefinitionId } from "../../infra/azureIds";
import { findRole } from "../../common/builtInRoles";
import { ADMIN_OBJECT_ID, SUBSCRIPTION_ID } from "../../localazure/seed";
import {
    driftCheck, identityIn, openScenario, outputOf, resourcesSummary, stateOf, stepLine,
    type IdentityState, type Scenario, type StateResource,
} from "./scenario";

const STACKS = ["inventory-api-dev", "inventory-api-test", "inventory-api-prod"] as const;
/** The CLI's error and exit code for --expect-no-changes (pkg/backend/backenderr/backenderr.go NoChangesExpectedError;
 * pkg/cmd/pulumi/cmd/exit_codes.go ExitNoChanges = 7). */
const NO_CHANGES_EXPECTED = "error: no changes were expected for refresh but changes were proposed\n";
const EXIT_NO_CHANGES = 7;

let scenario: Scenario;
const identities: Partial<Record<(typeof STACKS)[number], IdentityState>> = {};
const identity = (stack: (typeof STACKS)[number]) => identities[stack]!;
const objectIdOf = (resource: StateResource) => outputOf(resource, "objectId");
/** What the portal user made or removed, for the checks after the repair. */
const portal: { addedKeyId?: string; removedKeyId?: string; addedAssignment?: string } = {};

beforeAll(async () => {
    scenario = await openScenario(STACKS);
    for (const stack of STACKS) identities[stack] = identityIn(await stateOf(scenario, stack), stack);
}, 180_000);

afterAll(async () => {
    await scenario?.dispose();
});

function appNamed(name: string) {
    const app = scenario.azure.state().applications.find((candidate) => candidate.properties["displayName"] === name);
    if (app === undefined) throw new Error(`the local Azure holds no app ${name}`);
    return app;
}

function servicePrincipalOf(appId: string) {
    const principal = scenario.azure.state().servicePrincipals.find((candidate) => candidate.appId === appId);
    if (principal === undefined) throw new Error(`the local Azure holds no service principal for ${appId}`);
    return principal;
}

const assignmentsOf = (principalId: string) => scenario.azure.state().roleAssignments
    .filter((assignment) => assignment.principalId === principalId)
    .map(({ name, roleDefinitionId: role }) => ({ name, role }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));

const sorted = (list: readonly string[]) => [...list].sort();
const lastSegment = (id: string) => id.split("/").at(-1)!;

describe("drift: pulumi refresh --preview-only --expect-no-changes after changes made in the portal", () => {
    it("passes on a fresh deploy of each stack: every resource refreshed, none changed", async () => {
        const checks = await Promise.all(STACKS.map((stack) => driftCheck(scenario, stack)));
        // The stack, the component and its custom resources: 2 + 4 + one per role assignment (prod has two).
        expect(checks).toEqual([
            { code: 0, changes: [], summary: ["7 unchanged"], stderr: "" },
            { code: 0, changes: [], summary: ["7 unchanged"], stderr: "" },
            { code: 0, changes: [], summary: ["8 unchanged"], stderr: "" },
        ]);
    }, 120_000);

    it("a secret added in the portal is no drift to it (exit 0): no provider reads the app's other secrets", async () => {
        const app = appNamed("inventory-api-dev");
        const added = await scenario.portal.graph("POST", `/applications/${app.id}/addPassword`,
            { passwordCredential: { displayName: "added in the portal" } });
        expect(added.status).toBe(200);
        portal.addedKeyId = (added.body as { keyId: string }).keyId;
        expect(appNamed("inventory-api-dev").passwords.map((password) => password.keyId)).toEqual([
            ...app.passwords.map((password) => password.keyId), portal.addedKeyId]);

        expect(await driftCheck(scenario, "inventory-api-dev")).toEqual({ code: 0, changes: [], summary: ["7 unchanged"], stderr: "" });
    }, 60_000);

    it("a secret removed in the portal fails it (exit 7): that secret's resource is to be deleted from the state", async () => {
        const slotB = identity("inventory-api-dev").passwords.find((password) => password.urn.endsWith("-secret-b"))!;
        portal.removedKeyId = outputOf(slotB, "keyId");
        const removed = await scenario.portal.graph("POST", `/applications/${appNamed("inventory-api-dev").id}/removePassword`,
            { keyId: portal.removedKeyId });
        expect(removed.status).toBe(204);

        expect(await driftCheck(scenario, "inventory-api-dev")).toEqual({
            code: EXIT_NO_CHANGES, changes: [stepLine(slotB, "-", "delete")],
            summary: ["- 1 to delete", "6 unchanged"],
            stderr: NO_CHANGES_EXPECTED,
        });
    }, 60_000);

    it("a role assignment added in the portal is no drift to it (exit 0): no resource lists the principal's roles", async () => {
        const principalId = objectIdOf(identity("inventory-api-test").servicePrincipal);
        const scope = resourceGroupScope(SUBSCRIPTION_ID, "rg-inventory-test");
        const owner = roleDefinitionId(SUBSCRIPTION_ID, findRole("Storage Blob Data Owner")!.id);
        const added = await scenario.portal.assignRole(scope, owner, principalId);
        expect(added.status).toBe(201);
        portal.addedAssignment = (added.body as { name: string }).name;
        expect(assignmentsOf(principalId).map((assignment) => assignment.name)).toEqual(sorted([
            lastSegment(identity("inventory-api-test").roleAssignments[0]!.id!), portal.addedAssignment]));

        expect(await driftCheck(scenario, "inventory-api-test")).toEqual({ code: 0, changes: [], summary: ["7 unchanged"], stderr: "" });
    }, 60_000);

    it("a role assignment removed in the portal fails it (exit 7): that assignment is to be deleted from the state", async () => {
        const [assignment] = identity("inventory-api-test").roleAssignments;
        const removed = await scenario.portal.arm("DELETE", assignment!.id!);
        expect(removed.status).toBe(200);

        expect(await driftCheck(scenario, "inventory-api-test")).toEqual({
            code: EXIT_NO_CHANGES, changes: [stepLine(assignment!, "-", "delete")],
            summary: ["- 1 to delete", "6 unchanged"],
            stderr: NO_CHANGES_EXPECTED,
        });
    }, 60_000);

    it("owners changed in the portal fail it (exit 7): the app and the service principal are to be updated", async () => {
        const prod = identity("inventory-api-prod");
        // The co-owner of stacks/Pulumi.inventory-api-prod.yaml removed from the app; the dev identity made an owner of the
        // service principal by mistake.
        expect((await scenario.portal.removeOwner("applications", objectIdOf(prod.app), ADMIN_OBJECT_ID)).status).toBe(204);
        expect((await scenario.portal.addOwner("servicePrincipals", objectIdOf(prod.servicePrincipal),
            objectIdOf(identity("inventory-api-dev").servicePrincipal))).status).toBe(204);

        expect(await driftCheck(scenario, "inventory-api-prod")).toEqual({
            code: EXIT_NO_CHANGES,
            changes: [stepLine(prod.app, "~", "update", "~owners"), stepLine(prod.servicePrincipal, "~", "update", "~owners")],
            summary: ["~ 2 to update", "6 unchanged"],
            stderr: NO_CHANGES_EXPECTED,
        });
    }, 60_000);

    it("without --refresh, pulumi preview compares the program with the stale state and sees none of it", async () => {
        const previews = await Promise.all(STACKS.map((stack) =>
            scenario.pulumi(["preview", "--stack", stack, "--expect-no-changes", "--suppress-outputs"])));
        expect(previews.map((preview) => [preview.code, resourcesSummary(preview.stdout)])).toEqual([
            [0, ["7 unchanged"]], [0, ["7 unchanged"]], [0, ["8 unchanged"]],
        ]);
    }, 180_000);

    it("pulumi up --refresh repairs what the program owns, leaves what it does not know, and the check passes again", async () => {
        const ups = await Promise.all(STACKS.map((stack) =>
            scenario.pulumi(["up", "--stack", stack, "--refresh", "--yes", "--skip-preview", "--suppress-outputs"])));
        expect(ups.map((up) => [up.code, resourcesSummary(up.stdout)])).toEqual([
            [0, ["+ 1 created", "6 unchanged"]],
            [0, ["+ 1 created", "6 unchanged"]],
            [0, ["~ 2 updated", "6 unchanged"]],
        ]);

        // dev: slot a as it was, slot b with a new secret, and the one added in the portal, unknown to the program.
        const dev = identityIn(await stateOf(scenario, "inventory-api-dev"), "inventory-api-dev");
        const keyIdIn = (state: IdentityState, slot: string) =>
            outputOf(state.passwords.find((password) => password.urn.endsWith(`-secret-${slot}`))!, "keyId");
        expect(keyIdIn(dev, "a")).toBe(keyIdIn(identity("inventory-api-dev"), "a"));
        expect(keyIdIn(dev, "b")).not.toBe(portal.removedKeyId);
        expect(sorted(appNamed("inventory-api-dev").passwords.map((password) => password.keyId)))
            .toEqual(sorted([keyIdIn(dev, "a"), keyIdIn(dev, "b"), portal.addedKeyId!]));

        // test: the removed assignment is back under its derived name, the one added in the portal is still there.
        const contributor = findRole("Storage Blob Data Contributor")!.id;
        const owner = findRole("Storage Blob Data Owner")!.id;
        expect(assignmentsOf(objectIdOf(identity("inventory-api-test").servicePrincipal))
            .map((assignment) => [assignment.name, lastSegment(assignment.role)])).toEqual([
            [lastSegment(identity("inventory-api-test").roleAssignments[0]!.id!), contributor], [portal.addedAssignment, owner],
        ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));

        // prod: the owners are the deployer and the configured co-owner again, on both objects.
        const prodApp = appNamed("inventory-api-prod");
        const expectedOwners = sorted([scenario.azure.deployer.objectId, ADMIN_OBJECT_ID]);
        expect(sorted(prodApp.owners)).toEqual(expectedOwners);
        expect(sorted(servicePrincipalOf(prodApp.appId).owners)).toEqual(expectedOwners);

        const checks = await Promise.all(STACKS.map((stack) => driftCheck(scenario, stack)));
        expect(checks.map((check) => check.code)).toEqual([0, 0, 0]);
    }, 240_000);
});
