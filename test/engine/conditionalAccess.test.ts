/**
 * allowedNetworks on the real engine (issue 30, part 4): `pulumi up` of a stack with allowedNetworks, under the
 * guardrail pack, as a deployer granted what docs/deployer.md grants for it, registers through the azuread stand-in
 * exactly one IP named location and one report-only Conditional Access policy for the stack's service principal in the
 * local Graph; a preview afterwards changes nothing; the move to enforced is an update in place of the policy alone.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { CONDITIONAL_ACCESS_GRAPH_PERMISSIONS } from "../../localazure/seed";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { appNamed, EVENT_LOG_ENV, expectOk, pulumiWith, stepsInEventLog, writesSince } from "./support";
import { createEngineWorkspace, POLICY_ARGS, type EngineWorkspace } from "./workspace";

const NAME = "inventory-api-dev";
const stackFile = (rollout?: string) =>
    `${readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.inventory-api-dev.yaml"), "utf8")}  app-identity:allowedNetworks:\n` +
    "    - 203.0.113.2/32\n    - 2001:db8:1234::/48\n" + (rollout === undefined ? "" : `  app-identity:conditionalAccess: ${rollout}\n`);

let azure: LocalAzure;
let workspace: EngineWorkspace;

beforeAll(async () => {
    azure = await startLocalAzure();
    // docs/deployer.md section 3: granted only in a tenant whose stacks set allowedNetworks.
    azure.grantGraphPermissions(azure.deployer.objectId, CONDITIONAL_ACCESS_GRAPH_PERMISSIONS);
    workspace = await createEngineWorkspace(azure);
    workspace.writeStackFile(NAME, stackFile());
    expectOk(await workspace.pulumi(["stack", "init", NAME]), `pulumi stack init ${NAME}`);
}, 120_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
});

const conditionalAccess = () => azure.state().conditionalAccess ?? { namedLocations: [], policies: [] };
const principalOf = () => azure.state().servicePrincipals.find((sp) => sp.appId === appNamed(azure, NAME).appId)!.id;

describe("allowedNetworks on the real engine", () => {
    let policyId = "";

    it("pulumi up under the guardrail pack: one named location, one report-only policy for the stack's principal", async () => {
        const mark = azure.log().length;
        const result = await workspace.pulumi(["up", "--stack", NAME, "--yes", "--skip-preview", ...POLICY_ARGS]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        const { namedLocations, policies } = conditionalAccess();
        expect(namedLocations.map(({ displayName, isTrusted, ipRanges }) => ({ displayName, isTrusted, ipRanges }))).toEqual([{
            displayName: "inventory-api-dev allowed networks", isTrusted: false,
            ipRanges: [{ "@odata.type": "#microsoft.graph.iPv4CidrRange", cidrAddress: "203.0.113.2/32" },
                { "@odata.type": "#microsoft.graph.iPv6CidrRange", cidrAddress: "2001:db8:1234::/48" }],
        }]);
        expect(policies).toHaveLength(1);
        policyId = policies[0]!.id;
        expect([policies[0]!.displayName, policies[0]!.state, policies[0]!.grantControls, policies[0]!.sessionControls]).toEqual([
            "inventory-api-dev: block sign-ins outside its allowed networks", "enabledForReportingButNotEnforced",
            { builtInControls: ["block"], customAuthenticationFactors: [], operator: "OR", termsOfUse: [] }, null,
        ]);
        expect(policies[0]!.conditions).toEqual({
            applications: { includeApplications: ["All"], excludeApplications: [], includeUserActions: [] },
            clientAppTypes: ["all"],
            clientApplications: { includeServicePrincipals: [principalOf()], excludeServicePrincipals: [] },
            locations: { includeLocations: ["All"], excludeLocations: [namedLocations[0]!.id] },
            servicePrincipalRiskLevels: [], signInRiskLevels: [], userRiskLevels: [],
            users: { includeUsers: ["None"], excludeUsers: [], includeGroups: [], excludeGroups: [], includeRoles: [], excludeRoles: [] },
        });
        expect(writesSince(azure, mark).filter((write) => write.includes("conditionalAccess"))).toEqual([
            "POST graph.microsoft.com/v1.0/identity/conditionalAccess/namedLocations 201",
            "POST graph.microsoft.com/v1.0/identity/conditionalAccess/policies 201",
        ]);
        const outputs = JSON.parse(expectOk(await workspace.pulumi(["stack", "output", "--json", "--stack", NAME]), "stack output").stdout) as
            Record<string, unknown>;
        expect([outputs["conditionalAccess"], outputs["allowedNetworks"], outputs["conditionalAccessPolicyId"]])
            .toEqual(["reportOnly", ["203.0.113.2/32", "2001:db8:1234::/48"], policyId]);
    }, 240_000);

    it("pulumi preview --expect-no-changes afterwards: nothing to change", async () => {
        const result = await workspace.pulumi(["preview", "--stack", NAME, "--expect-no-changes", ...POLICY_ARGS]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
    }, 180_000);

    it("conditionalAccess: enforced is an update in place of the policy alone, its state enabled", async () => {
        workspace.writeStackFile(NAME, stackFile("enforced"));
        const mark = azure.log().length;
        const eventLog = join(workspace.dir, "events-enforced.jsonl");
        const result = await pulumiWith(workspace, { ...workspace.env, ...EVENT_LOG_ENV },
            ["up", "--stack", NAME, "--yes", "--skip-preview", "--event-log", eventLog, ...POLICY_ARGS]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(stepsInEventLog(eventLog)).toEqual([
            "~ azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy inventory-api-dev-outside-allowed-networks updated",
        ]);
        expect(writesSince(azure, mark)).toEqual([`PATCH graph.microsoft.com/v1.0/identity/conditionalAccess/policies/{id} 204`]);
        expect(conditionalAccess().policies.map((policy) => [policy.id, policy.state])).toEqual([[policyId, "enabled"]]);
        const outputs = JSON.parse(expectOk(await workspace.pulumi(["stack", "output", "--json", "--stack", NAME]), "stack output").stdout) as
            Record<string, unknown>;
        expect(outputs["conditionalAccess"]).toBe("enforced");
        const again = await workspace.pulumi(["preview", "--stack", NAME, "--expect-no-changes", ...POLICY_ARGS]);
        expect(again.code, again.stdout + again.stderr).toBe(0);
    }, 300_000);
});
