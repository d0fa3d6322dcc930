/**
 * allowedNetworks on the real engine (issue 30, part 4): `pulumi up` of a stack with allowedNetworks, under the
 * guardrail pack, as a deployer granted what docs/deployer.md grants for it, registers through the azuread stand-in
 * exactly one IP named location and one report-only Conditional Access policy for the stack's service principal in the
 * local Graph; a preview afterwards changes nothing; the move to enforced is an update in place of the policy alone.
 * End to end: the env file `npm run env-file --stack` writes, read as systemd reads it, gives azure-identity's
 * DefaultAzureCredential (examples/token-check/token_check.py, from the checkout's .venv) run as the service's own user
 * behind a modelled NAT (test/support/natGateway.ts): from 127.0.0.2, seen as the allowed 203.0.113.2, it signs in;
 * from 127.0.0.3 (203.0.113.3) it signs in while the policy only reports, and is refused once it is enforced; removing
 * allowedNetworks takes both resources away (Learn's roll back: "delete or disable any created policies").
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { CONDITIONAL_ACCESS_GRAPH_PERMISSIONS } from "../../localazure/seed";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { appNamed, envFileFromStack, EVENT_LOG_ENV, expectOk, pulumiWith, stepsInEventLog, writesSince } from "./support";
import { readableCopy } from "../support/e2e";
import { PYTHON_ENV, requireVenv, systemd } from "../support/envReaders";
import { startNatGateway } from "../support/natGateway";
import { asUser, ensureServiceUser, userEnvironment } from "../support/serviceUser";
import { createEngineWorkspace, type EngineWorkspace } from "./workspace";

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

const run = promisify(execFile);
const TOKEN_CHECK = join(PROJECT_ROOT, "examples", "token-check", "token_check.py");

/**
 * token_check.py as the service's user, with the env file's variables as systemd passes them (EnvironmentFile= read as
 * root) and HTTPS_PROXY at a NAT whose outbound connections leave from `localAddress`.
 */
async function tokenCheckFrom(localAddress: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const dir = mkdtempSync(join(tmpdir(), "ca-env-"));
    const file = join(dir, "azure.env");
    writeFileSync(file, (await envFileFromStack(workspace, workspace.env, NAME)).content, { mode: 0o600 });
    const variables = Object.fromEntries(Object.entries(systemd([file])[0]!).filter(([key]) => key.startsWith("AZURE_")));
    const user = ensureServiceUser();
    const nat = await startNatGateway(azure.proxyUrl, localAddress);
    const command = asUser(user, requireVenv(), [TOKEN_CHECK]);
    try {
        const { stdout, stderr } = await run(command.command, command.args, { timeout: 60_000, env: {
            ...userEnvironment(user), ...variables, HTTPS_PROXY: nat.url, https_proxy: nat.url, NO_PROXY: "", no_proxy: "",
            REQUESTS_CA_BUNDLE: readableCopy(azure.caFile), ...PYTHON_ENV, PATH: "/usr/bin:/bin",
        } });
        return { code: 0, stdout, stderr };
    } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    } finally {
        await nat.stop();
        // The env file holds the client secret: gone with the run.
        rmSync(dir, { recursive: true, force: true });
    }
}

const conditionalAccess = () => azure.state().conditionalAccess ?? { namedLocations: [], policies: [] };
const principalOf = () => azure.state().servicePrincipals.find((sp) => sp.appId === appNamed(azure, NAME).appId)!.id;

describe("allowedNetworks on the real engine", () => {
    let policyId = "";

    it("pulumi up under the guardrail pack: one named location, one report-only policy for the stack's principal", async () => {
        const mark = azure.log().length;
        const result = await workspace.pulumi(["up", "--stack", NAME, "--yes", "--skip-preview", ...workspace.policyArgs]);
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
        const result = await workspace.pulumi(["preview", "--stack", NAME, "--expect-no-changes", ...workspace.policyArgs]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
    }, 180_000);

    it("report-only, end to end: azure-identity as the service's user signs in from either address; the log records the other", async () => {
        const before = azure.signIns().length;
        const allowed = await tokenCheckFrom("127.0.0.2");
        const other = await tokenCheckFrom("127.0.0.3");
        expect([allowed.code, other.code], allowed.stderr + other.stderr).toEqual([0, 0]);
        expect(JSON.parse(other.stdout)).toMatchObject({ signedIn: true, scope: "https://storage.azure.com/.default" });
        expect(azure.signIns().slice(before).map((entry) => [entry.servicePrincipalId, entry.ipAddress, entry.status.errorCode,
            entry.appliedConditionalAccessPolicies.map((applied) => [applied.id, applied.result])])).toEqual([
            [principalOf(), "203.0.113.2", 0, [[policyId, "reportOnlyNotApplied"]]],
            [principalOf(), "203.0.113.3", 0, [[policyId, "reportOnlyFailure"]]],
        ]);
    }, 120_000);

    it("conditionalAccess: enforced is an update in place of the policy alone, its state enabled", async () => {
        workspace.writeStackFile(NAME, stackFile("enforced"));
        const mark = azure.log().length;
        const eventLog = join(workspace.dir, "events-enforced.jsonl");
        const result = await pulumiWith(workspace, { ...workspace.env, ...EVENT_LOG_ENV },
            ["up", "--stack", NAME, "--yes", "--skip-preview", "--event-log", eventLog, ...workspace.policyArgs]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(stepsInEventLog(eventLog)).toEqual([
            "~ azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy inventory-api-dev-outside-allowed-networks updated",
        ]);
        expect(writesSince(azure, mark)).toEqual([`PATCH graph.microsoft.com/v1.0/identity/conditionalAccess/policies/{id} 204`]);
        expect(conditionalAccess().policies.map((policy) => [policy.id, policy.state])).toEqual([[policyId, "enabled"]]);
        const outputs = JSON.parse(expectOk(await workspace.pulumi(["stack", "output", "--json", "--stack", NAME]), "stack output").stdout) as
            Record<string, unknown>;
        expect(outputs["conditionalAccess"]).toBe("enforced");
        const again = await workspace.pulumi(["preview", "--stack", NAME, "--expect-no-changes", ...workspace.policyArgs]);
        expect(again.code, again.stdout + again.stderr).toBe(0);
    }, 300_000);

    it("enforced, end to end: the env file works from the allowed address and is refused from another with AADSTS53003", async () => {
        const before = azure.signIns().length;
        const allowed = await tokenCheckFrom("127.0.0.2");
        expect(allowed.code, allowed.stderr).toBe(0);
        expect(JSON.parse(allowed.stdout)).toMatchObject({ signedIn: true, scope: "https://storage.azure.com/.default" });
        const refused = await tokenCheckFrom("127.0.0.3");
        expect([refused.code, refused.stdout]).toEqual([1, ""]);
        // azure-identity's own words: DefaultAzureCredential logs the chain's failure, and token_check.py prints it again.
        const lines = refused.stderr.split("\n");
        expect(lines.filter((line) => line.startsWith("sign-in failed: "))).toEqual([
            "sign-in failed: DefaultAzureCredential failed to retrieve a token from the included credentials."]);
        expect(lines.filter((line) => line.includes("AADSTS")).map((line) => line.replace(/ Trace ID: .*$/, ""))).toEqual(Array(2).fill(
            "\tEnvironmentCredential: Authentication failed: AADSTS53003: Access has been blocked by Conditional Access policies. " +
            "The access policy does not allow token issuance."));
        expect(azure.signIns().slice(before).map((entry) => [entry.ipAddress, entry.status.errorCode, entry.appliedConditionalAccessPolicies[0]!.result]))
            .toEqual([["203.0.113.2", 0, "notApplied"], ["203.0.113.3", 53003, "failure"]]);
    }, 120_000);

    it("removing allowedNetworks deletes the policy, then the named location (untrusted first); the other address signs in again", async () => {
        workspace.writeStackFile(NAME, readFileSync(join(PROJECT_ROOT, "stacks/Pulumi.inventory-api-dev.yaml"), "utf8"));
        const mark = azure.log().length;
        const result = await workspace.pulumi(["up", "--stack", NAME, "--yes", "--skip-preview", ...workspace.policyArgs]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(writesSince(azure, mark)).toEqual([
            "DELETE graph.microsoft.com/v1.0/identity/conditionalAccess/policies/{id} 204",
            "PATCH graph.microsoft.com/v1.0/identity/conditionalAccess/namedLocations/{id} 204",
            "DELETE graph.microsoft.com/v1.0/identity/conditionalAccess/namedLocations/{id} 204",
        ]);
        expect(conditionalAccess()).toEqual({ namedLocations: [], policies: [] });
        const before = azure.signIns().length;
        expect((await tokenCheckFrom("127.0.0.3")).code).toBe(0);
        expect(azure.signIns()).toHaveLength(before);
    }, 240_000);
});
