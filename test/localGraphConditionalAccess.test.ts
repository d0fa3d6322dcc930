/**
 * The local Graph's named locations and Conditional Access policies (localazure/graph/conditionalAccess.ts), through
 * plain fetch as the deployer, and the azuread stand-in's NamedLocation and ConditionalAccessPolicy on top of them
 * (terraform-provider-azuread v3.9.0 internal/services/conditionalaccess).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../localazure/index";
import { CONDITIONAL_ACCESS_GRAPH_PERMISSIONS } from "../localazure/seed";
import { TokenSource } from "../localazure/providers/shared/auth";
import { LocalAzureClient } from "../localazure/providers/shared/localAzure";
import { UNKNOWN } from "../localazure/providers/shared/properties";
import { GraphClient } from "../localazure/providers/azuread/graph";
import { NamedLocationHandler } from "../localazure/providers/azuread/namedLocation";
import { ConditionalAccessPolicyHandler } from "../localazure/providers/azuread/conditionalAccessPolicy";
import { deployerGraph, type DeployerGraph, type GraphAnswer } from "./support/deployerGraph";

let azure: LocalAzure;
let graph: DeployerGraph;
let principal: string;
const LOCATION_URN = "urn:pulumi:dev::p::azuread:index/namedLocation:NamedLocation::allowed";
const POLICY_URN = "urn:pulumi:dev::p::azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy::block";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const errorOf = (answer: GraphAnswer) => {
    const error = answer.body?.["error"] as { code: string; message: string };
    return { status: answer.status, code: error.code, message: error.message };
};
const ipLocation = (ranges: string[], overrides: Record<string, unknown> = {}) => ({
    "@odata.type": "#microsoft.graph.ipNamedLocation", displayName: "app allowed networks", isTrusted: false,
    ipRanges: ranges.map((cidrAddress) => ({ "@odata.type": "#microsoft.graph.iPv4CidrRange", cidrAddress })), ...overrides,
});
const blockingPolicy = (location: string, overrides: Record<string, unknown> = {}) => ({
    displayName: "app: block outside", state: "enabledForReportingButNotEnforced",
    conditions: {
        applications: { includeApplications: ["All"] }, clientAppTypes: ["all"],
        clientApplications: { includeServicePrincipals: [principal] }, users: { includeUsers: ["None"] },
        locations: { includeLocations: ["All"], excludeLocations: [location] },
    },
    grantControls: { operator: "OR", builtInControls: ["block"] },
    ...overrides,
});

beforeAll(async () => {
    azure = await startLocalAzure();
    const plain = await deployerGraph(azure);
    // Before the grant: the seeded deployer holds neither permission (docs/deployer.md grants them per tenant).
    const before = await plain("GET", "/identity/conditionalAccess/namedLocations");
    expect(errorOf(before)).toEqual({ status: 403, code: "AccessDenied",
        message: "You cannot perform the requested operation, required scopes are missing in the token." });
    azure.grantGraphPermissions(azure.deployer.objectId, CONDITIONAL_ACCESS_GRAPH_PERMISSIONS);
    graph = await deployerGraph(azure);
    const app = await graph("POST", "/applications", { displayName: "ca-app", signInAudience: "AzureADMyOrg" });
    principal = String((await graph("POST", "/servicePrincipals", { appId: app.body!["appId"] })).body!["id"]);
});
afterAll(async () => {
    await azure.stop();
});

describe("the local Graph's /identity/conditionalAccess", () => {
    it("403 AccessDenied with Policy.ReadWrite.ConditionalAccess alone: a write takes Policy.Read.All too", async () => {
        const app = await graph("POST", "/applications", { displayName: "writer-only", signInAudience: "AzureADMyOrg" });
        const sp = String((await graph("POST", "/servicePrincipals", { appId: app.body!["appId"] })).body!["id"]);
        const secret = await graph("POST", `/applications/${String(app.body!["id"])}/addPassword`, { passwordCredential: {} });
        azure.grantGraphPermissions(sp, ["Policy.ReadWrite.ConditionalAccess"]);
        const writer = await deployerGraph({ ...azure, deployer: { clientId: String(app.body!["appId"]),
            clientSecret: String(secret.body!["secretText"]), objectId: sp } });
        expect(errorOf(await writer("POST", "/identity/conditionalAccess/namedLocations", ipLocation(["203.0.113.0/24"]))))
            .toEqual({ status: 403, code: "AccessDenied", message: "You cannot perform the requested operation, required scopes are missing in the token." });
        expect((await writer("GET", "/identity/conditionalAccess/namedLocations")).status).toBe(200);
    });

    it("named locations: 201 with Graph's families, GET, PATCH 204, DELETE 204, then 404", async () => {
        const created = await graph("POST", "/identity/conditionalAccess/namedLocations", ipLocation(["203.0.113.0/24", "2001:db8:1234::/48"]));
        expect(created.status).toBe(201);
        const id = String(created.body!["id"]);
        expect(id).toMatch(GUID);
        expect(created.body).toEqual({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/namedLocations/$entity",
            "@odata.type": "#microsoft.graph.ipNamedLocation", id, displayName: "app allowed networks", isTrusted: false,
            ipRanges: [{ "@odata.type": "#microsoft.graph.iPv4CidrRange", cidrAddress: "203.0.113.0/24" },
                { "@odata.type": "#microsoft.graph.iPv6CidrRange", cidrAddress: "2001:db8:1234::/48" }],
            createdDateTime: created.body!["createdDateTime"], modifiedDateTime: created.body!["createdDateTime"],
        });
        expect(await graph("PATCH", `/identity/conditionalAccess/namedLocations/${id}`, { ...ipLocation(["198.51.100.0/24"]), isTrusted: true }))
            .toEqual({ status: 204, body: undefined });
        const read = await graph("GET", `/identity/conditionalAccess/namedLocations/${id}`);
        expect([read.body!["isTrusted"], read.body!["ipRanges"]]).toEqual([true, [{ "@odata.type": "#microsoft.graph.iPv4CidrRange", cidrAddress: "198.51.100.0/24" }]]);
        expect(errorOf(await graph("DELETE", `/identity/conditionalAccess/namedLocations/${id}`))).toEqual({ status: 400, code: "BadRequest",
            message: "A trusted named location cannot be deleted; remove its trusted designation first." });
        await graph("PATCH", `/identity/conditionalAccess/namedLocations/${id}`, { isTrusted: false });
        expect((await graph("DELETE", `/identity/conditionalAccess/namedLocations/${id}`)).status).toBe(204);
        expect((await graph("GET", `/identity/conditionalAccess/namedLocations/${id}`)).status).toBe(404);
    });

    it.each([
        ["a /8", ["11.0.0.0/8"], "Invalid IP range: 11.0.0.0/8. Only CIDR masks greater than /8 are allowed."],
        ["no CIDR", ["203.0.113.1"], "Invalid IP range: 203.0.113.1."],
        ["no range", [], "ipRanges is required and must hold at least one range."],
        ["2001 ranges", Array.from({ length: 2001 }, (_, i) => `203.${Math.floor(i / 256)}.${i % 256}.0/24`),
            "A named location can hold at most 2000 IP ranges."],
    ])("refuses a named location with %s (400, texts invented)", async (_case, ranges, message) => {
        expect(errorOf(await graph("POST", "/identity/conditionalAccess/namedLocations", ipLocation(ranges))))
            .toEqual({ status: 400, code: "BadRequest", message });
    });

    it("policies: 201, GET, PATCH of the state, refusals of the workload-identity rules, DELETE", async () => {
        const location = String((await graph("POST", "/identity/conditionalAccess/namedLocations", ipLocation(["203.0.113.0/24"]))).body!["id"]);
        const created = await graph("POST", "/identity/conditionalAccess/policies", blockingPolicy(location));
        expect(created.status).toBe(201);
        const id = String(created.body!["id"]);
        expect(created.body).toEqual({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/policies/$entity",
            templateId: null, id, ...blockingPolicy(location), sessionControls: null,
            createdDateTime: created.body!["createdDateTime"], modifiedDateTime: created.body!["createdDateTime"],
        });
        expect((await graph("PATCH", `/identity/conditionalAccess/policies/${id}`, { state: "enabled" })).status).toBe(204);
        expect((await graph("GET", `/identity/conditionalAccess/policies/${id}`)).body!["state"]).toBe("enabled");
        // The location is in use: the policy goes first (invented rule and text).
        expect(errorOf(await graph("DELETE", `/identity/conditionalAccess/namedLocations/${location}`)).message)
            .toBe(`The named location ${location} is used by the Conditional Access policy ${id}.`);

        const refused = async (overrides: Record<string, unknown>) => errorOf(await graph("POST", "/identity/conditionalAccess/policies", blockingPolicy(location, overrides)));
        expect(await refused({ grantControls: { operator: "OR", builtInControls: ["mfa"] } })).toEqual({ status: 400, code: "BadRequest",
            message: "Block access is the only grant control available for policies that apply to workload identities." });
        expect(await refused({ state: "on" })).toEqual({ status: 400, code: "BadRequest", message: "Invalid value for state: on." });
        const other = "5d6c7b8a-9f0e-4d1c-8b2a-3f4e5d6c7b8a";
        expect((await refused({ conditions: { ...blockingPolicy(location).conditions, locations: { includeLocations: ["All"], excludeLocations: [other] } } })).message)
            .toBe(`The named location ${other} does not exist.`);
        const multi = await graph("POST", "/applications", { displayName: "multi" });
        const multiSp = String((await graph("POST", "/servicePrincipals", { appId: multi.body!["appId"] })).body!["id"]);
        expect((await refused({ conditions: { ...blockingPolicy(location).conditions, clientApplications: { includeServicePrincipals: [multiSp] } } })).message)
            .toBe(`The service principal ${multiSp} is not a single-tenant application's: Conditional Access applies to single-tenant service principals registered in the tenant.`);

        expect((await graph("DELETE", `/identity/conditionalAccess/policies/${id}`)).status).toBe(204);
        expect((await graph("GET", `/identity/conditionalAccess/policies/${id}`)).status).toBe(404);
        expect((await graph("DELETE", `/identity/conditionalAccess/namedLocations/${location}`)).status).toBe(204);
    });
});

describe("the azuread stand-in's NamedLocation and ConditionalAccessPolicy", () => {
    let client: GraphClient;
    let locations: NamedLocationHandler;
    let policies: ConditionalAccessPolicyHandler;
    beforeAll(() => {
        const http = new LocalAzureClient(azure.url);
        client = new GraphClient(http, new TokenSource("deployer", http, { tenantId: azure.tenantId, ...azure.deployer }));
        locations = new NamedLocationHandler(() => client);
        policies = new ConditionalAccessPolicyHandler(() => client);
    });
    const locationInputs = (ipRanges: string[]) => ({ displayName: "app allowed networks", ip: { ipRanges, trusted: false } });
    const policyInputs = (location: string, state = "enabledForReportingButNotEnforced") => ({
        displayName: "app: block outside", state,
        conditions: {
            clientAppTypes: ["all"], applications: { includedApplications: ["All"] },
            clientApplications: { includedServicePrincipals: [principal] }, users: { includedUsers: ["None"] },
            locations: { includedLocations: ["All"], excludedLocations: [location] },
        },
        grantControls: { operator: "OR", builtInControls: ["block"] },
    });

    it("Check: the provider's validations, with its texts", async () => {
        expect((await locations.check(LOCATION_URN, {}, locationInputs(["203.0.113.0/24", "10.0.0.0/7", "nonsense"]))).failures).toEqual([
            { property: "ip.ipRanges[1]", reason: 'expected "ip.0.ip_ranges.1" to have a prefix length at least 8, got 7' },
            { property: "ip.ipRanges[2]", reason: 'expected "ip.0.ip_ranges.2" to be a valid IPv4 or IPv6 prefix' },
        ]);
        expect((await locations.check(LOCATION_URN, {}, { displayName: "x" })).failures).toEqual([{ property: "", reason: "Missing required property 'ip'" }]);
        expect((await policies.check(POLICY_URN, {}, { ...policyInputs("l", "on"), grantControls: { operator: "and", builtInControls: ["block"] } })).failures).toEqual([
            { property: "state", reason: 'expected state to be one of ["enabled","disabled","enabledForReportingButNotEnforced"], got on' },
            { property: "grantControls.operator", reason: 'expected grant_controls.0.operator to be one of ["AND","OR"], got and' },
        ]);
    });

    it("Create as a deployer without the docs' grant: the provider's diagnostic around Graph's 403, as hashicorp/terraform-provider-azuread#1687 shows it", async () => {
        const app = await graph("POST", "/applications", { displayName: "ungranted", signInAudience: "AzureADMyOrg" });
        // Its service principal, with no Graph permission: what a deployer is before docs/deployer.md section 3's grant.
        expect((await graph("POST", "/servicePrincipals", { appId: app.body!["appId"] })).status).toBe(201);
        const secret = await graph("POST", `/applications/${String(app.body!["id"])}/addPassword`, { passwordCredential: {} });
        const http = new LocalAzureClient(azure.url);
        const ungranted = new GraphClient(http, new TokenSource("deployer", http, { tenantId: azure.tenantId,
            clientId: String(app.body!["appId"]), clientSecret: String(secret.body!["secretText"]) }));
        await expect(new NamedLocationHandler(() => ungranted).create({ urn: LOCATION_URN, inputs: locationInputs(["203.0.113.0/24"]), preview: false }))
            .rejects.toThrow("1 error occurred:\n\t* Could not create named location: unexpected status 403 (403 Forbidden) with error: " +
                "AccessDenied: You cannot perform the requested operation, required scopes are missing in the token.\n\n");
    });

    it("create, read, a new range and the move to enforced as updates in place, delete", async () => {
        const preview = await locations.create({ urn: LOCATION_URN, inputs: locationInputs(["203.0.113.0/24"]), preview: true });
        expect(preview).toEqual({ id: "", outs: { ...locationInputs(["203.0.113.0/24"]), objectId: UNKNOWN } });
        const location = await locations.create({ urn: LOCATION_URN, inputs: locationInputs(["203.0.113.0/24"]), preview: false });
        const locationId = String(location.outs["objectId"]);
        expect(location).toEqual({ id: `/identity/conditionalAccess/namedLocations/${locationId}`,
            outs: { ...locationInputs(["203.0.113.0/24"]), objectId: locationId } });
        const locationDiff = await locations.diff({ id: location.id, urn: LOCATION_URN, olds: location.outs,
            news: locationInputs(["203.0.113.0/24", "198.51.100.0/24"]), oldInputs: locationInputs(["203.0.113.0/24"]) });
        expect(locationDiff).toEqual({ changes: true, replaces: [], stables: ["country"], deleteBeforeReplace: false, diffs: ["ip"] });
        expect(await locations.update({ id: location.id, urn: LOCATION_URN, olds: location.outs,
            news: locationInputs(["203.0.113.0/24", "198.51.100.0/24"]), oldInputs: locationInputs(["203.0.113.0/24"]), preview: false }))
            .toEqual({ ...locationInputs(["203.0.113.0/24", "198.51.100.0/24"]), objectId: locationId });

        const policy = await policies.create({ urn: POLICY_URN, inputs: policyInputs(locationId), preview: false });
        const policyId = String(policy.outs["objectId"]);
        expect(policy.id).toBe(`/identity/conditionalAccess/policies/${policyId}`);
        // Read sets every list, empty where Graph has none: Diff sees no change against the program's inputs.
        const read = await policies.read({ id: policy.id, urn: POLICY_URN, props: policy.outs, inputs: policyInputs(locationId) }) as { props: Record<string, unknown> };
        expect((read.props["conditions"] as Record<string, unknown>)["users"]).toEqual({ includedUsers: ["None"], excludedUsers: [],
            includedGroups: [], excludedGroups: [], includedRoles: [], excludedRoles: [] });
        expect(await policies.diff({ id: policy.id, urn: POLICY_URN, olds: read.props, news: policyInputs(locationId), oldInputs: policyInputs(locationId) }))
            .toEqual({ changes: false, replaces: [], stables: [], deleteBeforeReplace: false, diffs: [] });
        const enforced = await policies.diff({ id: policy.id, urn: POLICY_URN, olds: read.props, news: policyInputs(locationId, "enabled"), oldInputs: policyInputs(locationId) });
        expect(enforced).toEqual({ changes: true, replaces: [], stables: [], deleteBeforeReplace: false, diffs: ["state"] });
        expect(await policies.update({ id: policy.id, urn: POLICY_URN, olds: read.props, news: policyInputs(locationId, "enabled"), oldInputs: policyInputs(locationId), preview: false }))
            .toEqual({ ...policyInputs(locationId, "enabled"), objectId: policyId });
        expect((await graph("GET", `/identity/conditionalAccess/policies/${policyId}`)).body!["state"]).toBe("enabled");

        await policies.delete({ id: policy.id, urn: POLICY_URN, props: read.props, oldInputs: {} });
        expect(await policies.read({ id: policy.id, urn: POLICY_URN, props: read.props, inputs: {} })).toEqual({ id: "" });
        await locations.delete({ id: location.id, urn: LOCATION_URN, props: location.outs, oldInputs: {} });
        expect(await locations.read({ id: location.id, urn: LOCATION_URN, props: location.outs, inputs: {} })).toEqual({ id: "" });
        expect(azure.state().conditionalAccess).toEqual({ namedLocations: [], policies: [] });
    });
});
