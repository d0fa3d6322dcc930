/**
 * Conditional Access by network location (issue 30, part 4): allowedNetworks as Entra allows it, what the program
 * registers for it, and what the guardrail pack makes of it. Offline: the real program under the SDK's runtime.
 */
import { describe, expect, it } from "vitest";
import { checkResources, readPackConfig } from "../tools/plan/policyCheck";
import { planStack, renderTable } from "../tools/plan/render";
import { POLICIES } from "../policy/policies";
import { CONDITIONAL_ACCESS_POLICIES, CONDITIONAL_ACCESS_POLICY_TYPE, NAMED_LOCATION_TYPE } from "../policy/conditionalAccessPolicies";
import { parseStackConfig, projectProblems } from "../infra/config";
import { countByType, evaluate, exampleConfig, flatConfig, only, PROJECT, TYPES, configProblems } from "./harness";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FILE = "stacks/Pulumi.inventory-api-dev.yaml";
const ALLOWED = "expected a public IPv4 or IPv6 range in CIDR form, such as 203.0.113.0/24 or 2001:db8:1234::/48, no wider " +
    "than /9 (IPv4) or /32 (IPv6)";
const networks = (allowedNetworks: unknown, overrides: Record<string, unknown> = {}) =>
    exampleConfig({ environment: "dev", allowedNetworks, ...overrides });

const problems = configProblems;

describe("allowedNetworks in the stack file, as Entra allows it", () => {
    it("IPv4 and IPv6 ranges, report-only unless the stack says enforced", () => {
        const ranges = ["203.0.113.0/24", "198.51.100.7/32", "2001:db8:1234::/48"];
        expect(parseStackConfig(PROJECT, "inventory-api-dev", flatConfig(networks(ranges))).conditionalAccess)
            .toEqual({ allowedNetworks: ranges, rollout: "reportOnly" });
        expect(parseStackConfig(PROJECT, "inventory-api-dev", flatConfig(networks(ranges, { conditionalAccess: "enforced" }))).conditionalAccess)
            .toEqual({ allowedNetworks: ranges, rollout: "enforced" });
        expect(parseStackConfig(PROJECT, "inventory-api-dev", flatConfig(exampleConfig({ environment: "dev" }))).conditionalAccess)
            .toBeUndefined();
    });

    it.each([
        ["not a CIDR", "203.0.113.0", ALLOWED],
        ["a prefix past 32", "203.0.113.0/33", ALLOWED],
        ["a host name", "example.com/24", ALLOWED],
        ["0.0.0.0/0", "0.0.0.0/0", `${ALLOWED}: /0 is too wide (Entra allows only masks greater than /8 in a named location)`],
        ["a /8, which Entra refuses though the provider lets it by", "11.0.0.0/8",
            `${ALLOWED}: /8 is too wide (Entra allows only masks greater than /8 in a named location)`],
        ["an IPv6 /31", "2001:db8::/31", `${ALLOWED}: /31 is too wide (wider than a provider's /32 allocation, more than any one ` +
            "organisation's servers)"],
        ...([
            ["10.1.0.0/16", "10.0.0.0/8, private use (RFC 1918)"],
            ["172.20.0.0/16", "172.16.0.0/12, private use (RFC 1918)"],
            ["192.168.1.0/24", "192.168.0.0/16, private use (RFC 1918)"],
            ["127.0.0.2/32", "127.0.0.0/8, loopback (RFC 1122)"],
            ["169.254.10.0/24", "169.254.0.0/16, link-local (RFC 3927)"],
            ["100.64.0.0/10", "100.64.0.0/10, shared address space, carrier-grade NAT (RFC 6598)"],
            ["172.0.0.0/9", "172.16.0.0/12, private use (RFC 1918)"],
            ["fd00:1::/48", "fc00::/7, unique local addresses (RFC 4193)"],
            ["fe80::/64", "fe80::/10, link-local unicast (RFC 4291)"],
            ["::1/128", "::1/128, loopback (RFC 4291)"],
        ].map(([range, special]) => [`the non-public ${range}`, range, `${ALLOWED}: it overlaps ${special}, an address Entra never ` +
            "sees a caller come from (behind NAT, Entra sees the network's public address)"])),
    ])("refuses %s, naming the entry and what Entra allows", (_case, range, allowed) => {
        expect(problems(networks(["203.0.113.0/24", range]))).toEqual([
            `${FILE}: app-identity:allowedNetworks[1] is ${JSON.stringify(range)}; ${allowed}`,
        ]);
    });

    it("refuses a range twice, with host bits or without, and a range inside another", () => {
        expect(problems(networks(["203.0.113.0/24", "203.0.113.9/24", "203.0.113.128/25", "198.51.100.0/24"]))).toEqual([
            `${FILE}: app-identity:allowedNetworks[1] is "203.0.113.9/24"; expected ranges that do not overlap: allowedNetworks[0] ` +
                "(203.0.113.0/24) already holds addresses of it",
            `${FILE}: app-identity:allowedNetworks[2] is "203.0.113.128/25"; expected ranges that do not overlap: allowedNetworks[0] ` +
                "(203.0.113.0/24) already holds addresses of it",
        ]);
    });

    it("refuses more than 2000 ranges, Entra's limit per named location, without quoting the list", () => {
        const many = Array.from({ length: 2001 }, (_, index) => `203.${Math.floor(index / 256)}.${index % 256}.0/24`);
        expect(problems(networks(many))).toEqual([
            `${FILE}: app-identity:allowedNetworks holds 2001 entries; expected at most 2000: Entra allows 2000 IP ranges in a named location`,
        ]);
    });

    it.each([
        ["a value that is not a list", "203.0.113.0/24",
            `${FILE}: app-identity:allowedNetworks is "203.0.113.0/24"; expected a list of the server network's public ranges in ` +
            "CIDR form, such as [203.0.113.0/24]"],
        ["conditionalAccess without allowedNetworks", exampleConfig({ environment: "dev", conditionalAccess: "enforced" }),
            `${FILE}: app-identity:conditionalAccess is "enforced"; expected no value without allowedNetworks: there is no policy to roll out`],
        ["an unknown rollout", networks(["203.0.113.0/24"], { conditionalAccess: "on" }),
            `${FILE}: app-identity:conditionalAccess is "on"; expected reportOnly (the default: Entra records what the policy would ` +
            "block and blocks nothing) or enforced (Entra refuses tokens outside allowedNetworks)"],
    ])("refuses %s", (_case, values, message) => {
        expect(problems(typeof values === "string" ? networks(values) : values)).toEqual([message]);
    });

    it("refuses allowedNetworks in a developers' stack and for a managed identity alone", () => {
        expect(problems(exampleConfig({ environment: "local", developers: ["alice"], allowedNetworks: ["203.0.113.0/24"] }),
            "inventory-api-local")).toEqual([
            "stacks/Pulumi.inventory-api-local.yaml: app-identity:allowedNetworks is set in a stack with developers; expected it " +
                "only in an environment's stack: developers sign in from laptops on whatever network they are on, and the policy " +
                "would block them there",
        ]);
        expect(problems(networks(["203.0.113.0/24"], { managedIdentity: { kind: "objectId", objectId: "5d6c7b8a-9f0e-4d1c-8b2a-3f4e5d6c7b8a" } })))
            .toEqual([
                `${FILE}: app-identity:allowedNetworks is set for a managed identity; expected it only with an app registration: ` +
                    "Conditional Access does not cover managed identities (Learn, \"Conditional Access for workload identities\")",
            ]);
    });

    it("refuses the 196th stack with allowedNetworks in one tenant, Entra's 195 named locations", () => {
        const stacks = Array.from({ length: 196 }, (_, index) => parseStackConfig(PROJECT, `app${index}-dev`,
            flatConfig(networks(["203.0.113.0/24"], { appName: `app${index}` }))));
        expect(projectProblems(stacks)).toEqual([
            `stacks/Pulumi.app195-dev.yaml: allowedNetworks makes the 196th named location of tenant ${stacks[0]!.tenantId} across ` +
                "the project's stacks; expected at most 195, Entra's limit per tenant (the tenant's other named locations count too)",
        ]);
        expect(projectProblems(stacks.slice(0, 195))).toEqual([]);
    });
});

describe("what a stack with allowedNetworks registers", () => {
    it("a named location of the ranges and a report-only policy blocking the service principal elsewhere", async () => {
        const evaluation = await evaluate("inventory-api-dev", networks(["203.0.113.0/24", "2001:db8:1234::/48"]));
        expect(countByType(evaluation)).toEqual({ [TYPES.component]: 1, [TYPES.application]: 1, [TYPES.servicePrincipal]: 1,
            [TYPES.password]: 2, [TYPES.roleAssignment]: 1, [NAMED_LOCATION_TYPE]: 1, [CONDITIONAL_ACCESS_POLICY_TYPE]: 1 });
        const location = only(evaluation, NAMED_LOCATION_TYPE);
        const policy = only(evaluation, CONDITIONAL_ACCESS_POLICY_TYPE);
        // The offline engine's IDs: the principal's object ID, as the role assignment has it too, and the location's GUID.
        const principalId = String(only(evaluation, TYPES.roleAssignment).inputs["principalId"]);
        const locationId = String((policy.inputs["conditions"] as { locations: { excludedLocations: string[] } }).locations.excludedLocations[0]);
        expect([principalId, locationId]).toEqual([expect.stringMatching(GUID), expect.stringMatching(GUID)]);
        expect([location.name, location.inputs, location.protect, location.parent]).toEqual(["inventory-api-dev-allowed-networks", {
            displayName: "inventory-api-dev allowed networks",
            ip: { ipRanges: ["203.0.113.0/24", "2001:db8:1234::/48"], trusted: false },
        }, false, "urn:pulumi:inventory-api-dev::app-identity::appidentity:azure:AppIdentity::inventory-api-dev"]);
        expect([policy.name, policy.inputs, policy.protect]).toEqual(["inventory-api-dev-outside-allowed-networks", {
            displayName: "inventory-api-dev: block sign-ins outside its allowed networks",
            state: "enabledForReportingButNotEnforced",
            conditions: {
                clientAppTypes: ["all"],
                applications: { includedApplications: ["All"] },
                clientApplications: { includedServicePrincipals: [principalId] },
                users: { includedUsers: ["None"] },
                locations: { includedLocations: ["All"], excludedLocations: [locationId] },
            },
            grantControls: { operator: "OR", builtInControls: ["block"] },
        }, false]);
        const outputs = Object.fromEntries(Object.entries(evaluation.outputs).map(([key, output]) => [key, output.value]));
        expect([outputs["conditionalAccess"], outputs["allowedNetworks"], outputs["conditionalAccessPolicyId"]])
            .toEqual(["reportOnly", ["203.0.113.0/24", "2001:db8:1234::/48"], expect.stringMatching(GUID)]);
    });

    it("enforced: the same policy, state enabled; a production stack's policy unprotected too", async () => {
        const evaluation = await evaluate("inventory-api-prod", exampleConfig({ environment: "prod", allowedNetworks: ["203.0.113.0/24"],
            conditionalAccess: "enforced", roleAssignments: [{ resourceGroup: "rg-inventory-prod", role: "Storage Blob Data Reader" }] }));
        const policy = only(evaluation, CONDITIONAL_ACCESS_POLICY_TYPE);
        expect([policy.inputs["state"], policy.protect, only(evaluation, TYPES.servicePrincipal).protect]).toEqual(["enabled", false, true]);
        expect(evaluation.outputs["conditionalAccess"]?.value).toBe("enforced");
    });

    it("npm run plan's table shows both resources with their inputs, and the whole pack passes them", async () => {
        const evaluation = await evaluate("inventory-api-dev", networks(["203.0.113.0/24"], { conditionalAccess: "enforced" }));
        const violations = checkResources(evaluation.resources, readPackConfig(), POLICIES);
        expect(violations).toEqual([]);
        const table = renderTable({ at: "2026-11-21T12:00:00.000Z", stacks: [planStack(evaluation, violations)] }).split("\n");
        const principalId = String(only(evaluation, TYPES.roleAssignment).inputs["principalId"]);
        const policy = only(evaluation, CONDITIONAL_ACCESS_POLICY_TYPE);
        const locationId = (policy.inputs["conditions"] as { locations: { excludedLocations: string[] } }).locations.excludedLocations[0];
        const linesOf = (header: string, count: number) => table.slice(table.indexOf(header), table.indexOf(header) + count);
        expect(linesOf(`  + ${NAMED_LOCATION_TYPE}  inventory-api-dev-allowed-networks`, 3)).toEqual([
            `  + ${NAMED_LOCATION_TYPE}  inventory-api-dev-allowed-networks`,
            '      displayName: "inventory-api-dev allowed networks"',
            '      ip: {"ipRanges":["203.0.113.0/24"],"trusted":false}',
        ]);
        expect(linesOf(`  + ${CONDITIONAL_ACCESS_POLICY_TYPE}  inventory-api-dev-outside-allowed-networks`, 5)).toEqual([
            `  + ${CONDITIONAL_ACCESS_POLICY_TYPE}  inventory-api-dev-outside-allowed-networks`,
            `      conditions: {"applications":{"includedApplications":["All"]},"clientAppTypes":["all"],"clientApplications":` +
                `{"includedServicePrincipals":["${principalId}"]},"locations":{"excludedLocations":["${locationId}"],` +
                `"includedLocations":["All"]},"users":{"includedUsers":["None"]}}`,
            '      displayName: "inventory-api-dev: block sign-ins outside its allowed networks"',
            '      grantControls: {"builtInControls":["block"],"operator":"OR"}',
            '      state: "enabled"',
        ]);
        expect(table).toContain('      conditionalAccess: "enforced"');
    });

    it("without allowedNetworks, neither resource and no output", async () => {
        const evaluation = await evaluate("inventory-api-dev", exampleConfig({ environment: "dev" }));
        expect([countByType(evaluation)[NAMED_LOCATION_TYPE], countByType(evaluation)[CONDITIONAL_ACCESS_POLICY_TYPE]]).toEqual([undefined, undefined]);
        expect(Object.keys(evaluation.outputs)).not.toContain("conditionalAccess");
    });
});

describe("the guardrail pack on Conditional Access", () => {
    async function registered() {
        const evaluation = await evaluate("inventory-api-dev", networks(["203.0.113.0/24"]));
        return [only(evaluation, NAMED_LOCATION_TYPE), only(evaluation, CONDITIONAL_ACCESS_POLICY_TYPE)] as const;
    }
    const check = (resource: { urn: string; type: string; name: string }, inputs: Record<string, unknown>) =>
        checkResources([{ urn: resource.urn, type: resource.type, name: resource.name, inputs, protect: false, parent: "" }], {},
            [...CONDITIONAL_ACCESS_POLICIES]).map((violation) => violation.message);

    it("passes what the program registers", async () => {
        const [location, policy] = await registered();
        expect([check(location, location.inputs), check(policy, policy.inputs)]).toEqual([[], []]);
    });

    it("refuses in a named location what the config refuses, and a trusted one", async () => {
        const [location] = await registered();
        expect(check(location, { ...location.inputs, ip: { ipRanges: ["203.0.113.0/24", "0.0.0.0/0", "10.0.0.0/16"], trusted: true } })).toEqual([
            `ip.ipRanges[1] is "0.0.0.0/0"; ${ALLOWED}: /0 is too wide (Entra allows only masks greater than /8 in a named location)`,
            `ip.ipRanges[2] is "10.0.0.0/16"; ${ALLOWED}: it overlaps 10.0.0.0/8, private use (RFC 1918), an address Entra never ` +
                "sees a caller come from (behind NAT, Entra sees the network's public address)",
            "ip.trusted is true; expected false: a trusted location also loosens the tenant's other policies",
        ]);
    });

    it("refuses a policy outside the workload-identity shape", async () => {
        const [, policy] = await registered();
        const conditions = policy.inputs["conditions"] as Record<string, unknown>;
        expect(check(policy, { ...policy.inputs, state: "disabled", grantControls: { operator: "OR", builtInControls: ["mfa"] },
            conditions: { ...conditions, users: { includedUsers: ["All"] }, applications: { includedApplications: ["Office365"] },
                clientApplications: { includedServicePrincipals: ["ServicePrincipalsInMyTenant"] },
                locations: { includedLocations: ["All"] } } })).toEqual([
            'state is "disabled"; expected enabledForReportingButNotEnforced or enabled',
            'conditions.users is {"includedUsers":["All"]}; expected {"includedUsers":["None"]}: the policy is for service principals only',
            'conditions.clientApplications.includedServicePrincipals is ["ServicePrincipalsInMyTenant"]; expected the stack\'s ' +
                "service principals by object ID, not every principal in the tenant",
            'conditions.applications.includedApplications is ["Office365"]; expected ["All"]',
            'conditions.locations is {"includedLocations":["All"]}; expected includedLocations ["All"] and the allowed named location ' +
                "in excludedLocations",
            'grantControls.builtInControls is ["mfa"]; expected ["block"], the only control Entra applies to workload identities',
        ]);
    });
});
