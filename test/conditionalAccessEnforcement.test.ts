/**
 * The local Entra enforcing Conditional Access for workload identities on its token endpoint
 * (localazure/conditionalAccess.ts), by the caller's address as the NAT model shows it (localazure/callerAddress.ts):
 * clients bind to loopback aliases, 127.0.0.N seen as 203.0.113.N.
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicAddressOf } from "../localazure/callerAddress";
import { startLocalAzure, type LocalAzure } from "../localazure/index";
import { CONDITIONAL_ACCESS_GRAPH_PERMISSIONS } from "../localazure/seed";
import { deployerGraph, type DeployerGraph } from "./support/deployerGraph";

let azure: LocalAzure;
let graph: DeployerGraph;
let app: { clientId: string; secret: string; principal: string };
let policy: string;

/** A client-credentials token request, sent from `localAddress`, as a server behind the modelled NAT sends it. */
function tokenFrom(localAddress: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const url = new URL(`${azure.url}/login.microsoftonline.com/${azure.tenantId}/oauth2/v2.0/token`);
    const form = new URLSearchParams({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.secret,
        scope: "https://storage.azure.com/.default" }).toString();
    return new Promise((resolve, reject) => {
        const sent = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", localAddress,
            headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(form) } }, (response) => {
            let text = "";
            response.on("data", (chunk: Buffer) => { text += chunk.toString("utf8"); });
            response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
        });
        sent.on("error", reject);
        sent.end(form);
    });
}

beforeAll(async () => {
    azure = await startLocalAzure();
    azure.grantGraphPermissions(azure.deployer.objectId, CONDITIONAL_ACCESS_GRAPH_PERMISSIONS);
    graph = await deployerGraph(azure);
    const created = await graph("POST", "/applications", { displayName: "ca-enforced", signInAudience: "AzureADMyOrg" });
    const principal = String((await graph("POST", "/servicePrincipals", { appId: created.body!["appId"] })).body!["id"]);
    const secret = await graph("POST", `/applications/${String(created.body!["id"])}/addPassword`, { passwordCredential: {} });
    app = { clientId: String(created.body!["appId"]), secret: String(secret.body!["secretText"]), principal };
    const location = await graph("POST", "/identity/conditionalAccess/namedLocations", { "@odata.type": "#microsoft.graph.ipNamedLocation",
        displayName: "server", isTrusted: false, ipRanges: [{ "@odata.type": "#microsoft.graph.iPv4CidrRange", cidrAddress: "203.0.113.2/32" }] });
    const made = await graph("POST", "/identity/conditionalAccess/policies", {
        displayName: "block outside", state: "enabledForReportingButNotEnforced",
        conditions: { applications: { includeApplications: ["All"] }, clientAppTypes: ["all"], users: { includeUsers: ["None"] },
            clientApplications: { includeServicePrincipals: [principal] },
            locations: { includeLocations: ["All"], excludeLocations: [String(location.body!["id"])] } },
        grantControls: { operator: "OR", builtInControls: ["block"] },
    });
    policy = String(made.body!["id"]);
});
afterAll(async () => {
    await azure.stop();
});

describe("the caller's address as Entra sees it", () => {
    it("127.0.0.N is <prefix>.N, 203.0.113 unless LOCAL_AZURE_PUBLIC_PREFIX says another; other addresses as they are", () => {
        expect([publicAddressOf("127.0.0.2"), publicAddressOf("::ffff:127.0.0.9"), publicAddressOf("::1"), publicAddressOf("192.0.2.7")])
            .toEqual(["203.0.113.2", "203.0.113.9", "203.0.113.1", "192.0.2.7"]);
        expect(publicAddressOf("127.0.0.4", "198.51.100")).toBe("198.51.100.4");
        expect(publicAddressOf(undefined)).toBeUndefined();
    });
});

describe("Conditional Access on the token endpoint", () => {
    it("report-only: both addresses get tokens; the sign-in log records what enforcement would do", async () => {
        const before = azure.signIns().length;
        expect((await tokenFrom("127.0.0.2")).status).toBe(200);
        expect((await tokenFrom("127.0.0.3")).status).toBe(200);
        expect(azure.signIns().slice(before).map(({ servicePrincipalId, ipAddress, status, appliedConditionalAccessPolicies }) =>
            ({ servicePrincipalId, ipAddress, status, appliedConditionalAccessPolicies }))).toEqual([
            { servicePrincipalId: app.principal, ipAddress: "203.0.113.2", status: { errorCode: 0 },
                appliedConditionalAccessPolicies: [{ id: policy, displayName: "block outside", result: "reportOnlyNotApplied" }] },
            { servicePrincipalId: app.principal, ipAddress: "203.0.113.3", status: { errorCode: 0 },
                appliedConditionalAccessPolicies: [{ id: policy, displayName: "block outside", result: "reportOnlyFailure" }] },
        ]);
    });

    it("enforced: the allowed address gets a token, another is refused with AADSTS53003", async () => {
        expect((await graph("PATCH", `/identity/conditionalAccess/policies/${policy}`, { state: "enabled" })).status).toBe(204);
        const before = azure.signIns().length;
        expect((await tokenFrom("127.0.0.2")).status).toBe(200);
        const refused = await tokenFrom("127.0.0.3");
        expect(refused.status).toBe(400);
        expect(refused.body["error"]).toBe("invalid_grant");
        expect(refused.body["error_codes"]).toEqual([53003]);
        expect(String(refused.body["error_description"])).toMatch(new RegExp("^AADSTS53003: Access has been blocked by Conditional Access " +
            "policies\\. The access policy does not allow token issuance\\. Trace ID: [0-9a-f-]{36} Correlation ID: [0-9a-f-]{36} " +
            "Timestamp: \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}Z$"));
        expect(refused.body).not.toHaveProperty("access_token");
        expect(azure.signIns().slice(before).map((entry) => [entry.ipAddress, entry.status.errorCode, entry.appliedConditionalAccessPolicies[0]!.result]))
            .toEqual([["203.0.113.2", 0, "notApplied"], ["203.0.113.3", 53003, "failure"]]);
        // The refusal is Entra's: the request log shows it on the token endpoint with no caller, as for other AADSTS errors.
        const last = azure.log().at(-1)!;
        expect([last.path, last.status, last.caller]).toEqual([`/${azure.tenantId}/oauth2/v2.0/token`, 400, null]);
    });

    it("a principal no policy names is not judged, from anywhere", async () => {
        const before = azure.signIns().length;
        // The deployer signs in (a client-credentials token for Graph): no policy names it, so nothing is logged.
        await deployerGraph(azure);
        expect(azure.log().at(-1)!.status).toBe(200);
        expect(azure.signIns()).toHaveLength(before);
    });
});
