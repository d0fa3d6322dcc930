/**
 * `npm run fleet` at scale on the real Pulumi CLI and engine against the local Azure: a generated fleet of 50 stacks
 * (25 apps, dev and test) brought up two at a time through the Automation API, with Graph throttled so that every
 * stack meets a 429 (FLEET_THROTTLING, issue 28 part 5), then previewed: every stack succeeds; no change in any
 * stack afterwards; the local Graph and ARM hold every identity exactly once with exactly its role assignments; and
 * the Graph writes that took effect are exactly the summary's planned writes (budget.ts). test/engine/fleet.test.ts
 * checks the fleet's other verbs on six stacks; this file checks that nothing is lost, doubled or left over at fifty.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findRole } from "../../common/builtInRoles";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { SUBSCRIPTION_ID } from "../../localazure/seed";
import { createFleetWorkspace, FLEET_THROTTLING, SCALE_APPS, stacksThatMetThrottling, type FleetWorkspace, type TimedResult } from "../../tools/bench/fleet";
import { stackWriteCost } from "../../tools/fleet/budget";
import { readFleet } from "../../tools/fleet/inventory";
import type { FleetSummary } from "../../tools/fleet/summary";
import { readProject } from "../../tools/stacks/stackFiles";

let azure: LocalAzure;
let fleet: FleetWorkspace;

beforeAll(async () => {
    azure = await startLocalAzure({ misbehaviour: FLEET_THROTTLING });
    fleet = await createFleetWorkspace(azure, SCALE_APPS);
}, 120_000);

afterAll(async () => {
    fleet?.dispose();
    await azure?.stop();
});

function summaryOf(result: TimedResult): FleetSummary {
    expect(result.code, result.stderr.slice(-4000)).toBe(0);
    return JSON.parse(result.stdout) as FleetSummary;
}

const graphWrites = (from: number) => azure.log().slice(from)
    .filter((entry) => entry.host === "graph.microsoft.com" && entry.method !== "GET");

/** Each stack: the component, app, service principal, two secrets and a role assignment per entry. */
const resourcesOf = (stack: string) => 5 + fleet.fixture.roles[stack]!.length;

describe("npm run fleet at scale: 50 stacks against the local Azure", () => {
    it("is 50 stacks, each with 1 to 4 role assignments", () => {
        expect(fleet.fixture.stacks).toHaveLength(50);
        expect(new Set(fleet.fixture.stacks.map((stack) => fleet.fixture.roles[stack]!.length))).toEqual(new Set([1, 2, 3, 4]));
    });

    it("up --concurrency 2, Graph throttled: every stack meets a 429 and is created once, with exactly the Graph writes the summary planned", async () => {
        const from = azure.log().length;
        const result = await fleet.fleet(["up", "--concurrency", "2", "--format", "json"]);
        const summary = summaryOf(result);
        const refused = graphWrites(from).filter((write) => write.status === 429).length;
        console.info(`fleet up of 50 stacks, concurrency 2, Graph throttled: ${result.seconds.toFixed(1)} s, ${refused} writes answered 429`);
        // The stack itself counts as a created resource too.
        expect(summary.stacks.map((run) => [run.stack, run.result, run.changes])).toEqual(fleet.fixture.stacks.map((stack) =>
            [stack, "succeeded", { create: 1 + resourcesOf(stack) }]));
        expect(summary.counts).toEqual({ succeeded: 50, failed: 0, skipped: 0 });
        const costs = readFleet(readProject(fleet.workspace.dir)).stacks.map((stack) => stackWriteCost(stack.config!));
        expect(costs).toEqual(Array.from({ length: 50 }, () => 7));
        expect(summary.graphWrites).toEqual({ budgetPerWindow: 2400, planned: 350 });
        expect(graphWrites(from).filter((write) => write.status < 300)).toHaveLength(summary.graphWrites!.planned);
        expect(stacksThatMetThrottling(azure, from, fleet.fixture.stacks)).toEqual(fleet.fixture.stacks);
        // Every other answer to a write was a success: the providers retried the 429s, nothing else failed.
        expect(graphWrites(from).filter((write) => write.status >= 300 && write.status !== 429)).toEqual([]);
    }, 900_000);

    it("the local Graph and ARM hold each identity exactly once, with exactly its role assignments, and nothing else", () => {
        const state = azure.state();
        const stacks = new Set(fleet.fixture.stacks);
        const ours = state.applications.filter((app) => stacks.has(String(app.properties["displayName"])));
        expect(ours.map((app) => app.properties["displayName"]).sort()).toEqual([...fleet.fixture.stacks]);
        const principalIds = new Set<string>();
        for (const stack of fleet.fixture.stacks) {
            const app = ours.find((each) => each.properties["displayName"] === stack)!;
            const principals = state.servicePrincipals.filter((principal) => principal.appId === app.appId);
            expect([stack, principals.length]).toEqual([stack, 1]);
            principalIds.add(principals[0]!.id);
            const assignments = state.roleAssignments.filter((assignment) => assignment.principalId === principals[0]!.id)
                .map((assignment) => [assignment.scope, assignment.roleDefinitionId.split("/").at(-1)]).sort();
            expect([stack, assignments]).toEqual([stack, fleet.fixture.roles[stack]!.map((entry) => [
                `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${entry.resourceGroup}`, findRole(entry.role)!.id]).sort()]);
        }
        // Every role assignment the fleet made belongs to one of its principals: none doubled under another.
        const total = Object.values(fleet.fixture.roles).reduce((sum, roles) => sum + roles.length, 0);
        expect(state.roleAssignments.filter((assignment) => principalIds.has(assignment.principalId))).toHaveLength(total);
    });

    it("preview --concurrency 2 afterwards: no change in any stack, and no Graph write", async () => {
        const from = azure.log().length;
        const result = await fleet.fleet(["preview", "--concurrency", "2", "--format", "json"]);
        const summary = summaryOf(result);
        console.info(`fleet preview of 50 stacks, concurrency 2: ${result.seconds.toFixed(1)} s`);
        expect(summary.stacks.map((run) => [run.stack, run.result, run.changes])).toEqual(fleet.fixture.stacks.map((stack) =>
            [stack, "succeeded", { same: 1 + resourcesOf(stack) }]));
        expect(summary.graphWrites).toBeUndefined();
        expect(graphWrites(from)).toEqual([]);
    }, 900_000);
});
