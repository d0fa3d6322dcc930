/**
 * The local Azure misbehaving on demand (localazure/misbehaviour): Graph's and ARM's write throttling with their
 * documented answers, outages (500, 503 with Retry-After, a dropped connection) and replication delay (Graph's
 * Request_ResourceNotFound, ARM's PrincipalNotFound without principalType, AADSTS7000215 for a new password).
 * The local Azure's clock is moved, never slept on.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../localazure/index";
import { misbehaviourFromFlags } from "../localazure/misbehaviour/flags";
import { GraphWriteThrottle } from "../localazure/misbehaviour/throttling";
import type { StandInRequest } from "../localazure/standin/server";
import { keyCredentialOf, makeCertificate, signAssertion } from "./support/certificates";

const GRAPH = "https://graph.microsoft.com/.default";
const ARM = "https://management.azure.com/.default";
const BLOB_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
const BLOB_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const BLOB_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let azure: LocalAzure;
let offset = 0;
const moveClock = (seconds: number) => { offset += seconds * 1000; };

beforeAll(async () => {
    azure = await startLocalAzure({ now: () => new Date(Date.now() + offset) });
});
afterAll(async () => {
    await azure.stop();
});
beforeEach(() => azure.misbehave({}));

interface Reply { status: number; headers: Headers; body: ReturnType<typeof JSON.parse> }

async function call(method: string, hostPath: string, token?: string, body?: unknown, form?: Record<string, string>): Promise<Reply> {
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    let payload: string | undefined;
    if (form !== undefined) payload = new URLSearchParams(form).toString();
    else if (body !== undefined) {
        headers["content-type"] = "application/json";
        payload = JSON.stringify(body);
    }
    const response = await fetch(`${azure.url}/${hostPath}`, { method, headers, body: payload });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) };
}

function tokenReply(client: { clientId: string; clientSecret: string }, scope: string): Promise<Reply> {
    return call("POST", `login.microsoftonline.com/${azure.tenantId}/oauth2/v2.0/token`, undefined, undefined,
        { grant_type: "client_credentials", client_id: client.clientId, client_secret: client.clientSecret, scope });
}

async function token(client: { clientId: string; clientSecret: string }, scope: string): Promise<string> {
    const reply = await tokenReply(client, scope);
    expect(reply.status).toBe(200);
    return reply.body.access_token as string;
}

const assignmentPath = (name: string) => `management.azure.com/subscriptions/${azure.subscriptionId}/resourceGroups/rg-inventory-dev` +
    `/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=2022-04-01`;
/** One assignment per principal and role at a scope: ARM answers 409 RoleAssignmentExists for a second. */
const assignment = (principalId: string, principalType?: string, role = BLOB_READER) => ({ properties: {
    roleDefinitionId: `/subscriptions/${azure.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
    principalId, ...(principalType === undefined ? {} : { principalType }),
} });

describe("Graph write throttling", () => {
    it("answers the write past the app+tenant quota 429 with Retry-After, Graph's scope and reason, and its sample body", async () => {
        const deployer = await token(azure.deployer, GRAPH);
        const { body: app } = await call("POST", "graph.microsoft.com/v1.0/applications", deployer, { displayName: "throttled" });
        azure.misbehave({ graphThrottling: { appTenant: { size: 3, seconds: 3 } } });
        const statuses: number[] = [];
        for (let write = 0; write < 4; write++) {
            statuses.push((await call("PATCH", `graph.microsoft.com/v1.0/applications/${app.id}`, deployer, { displayName: `w${write}` })).status);
        }
        expect(statuses).toEqual([204, 204, 204, 429]);
        // Reads cost no write quota.
        expect((await call("GET", `graph.microsoft.com/v1.0/applications/${app.id}`, deployer)).status).toBe(200);
        const throttled = await call("PATCH", `graph.microsoft.com/v1.0/applications/${app.id}`, deployer, { displayName: "again" });
        expect(throttled.status).toBe(429);
        expect(throttled.headers.get("retry-after")).toBe("1");
        expect(throttled.headers.get("x-ms-throttle-scope")).toBe(`Tenant_Application/Write/${azure.deployer.clientId}/${azure.tenantId}`);
        expect(throttled.headers.get("x-ms-throttle-information")).toBe("WriteLimitExceeded");
        expect(throttled.body).toEqual({ error: { code: "TooManyRequests", message: "Please retry again later.", innerError: {
            code: "429", date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/), message: "Please retry after",
            "request-id": expect.stringMatching(GUID), status: "429" } } });
        expect((await call("GET", `graph.microsoft.com/v1.0/applications/${app.id}`, deployer)).body.displayName).toBe("w2");
        moveClock(1);
        expect((await call("PATCH", `graph.microsoft.com/v1.0/applications/${app.id}`, deployer, { displayName: "later" })).status).toBe(204);
        expect(azure.log().slice(-8).map((entry) => [entry.method, entry.status, entry.error])).toEqual([
            ["PATCH", 204, null], ["PATCH", 204, null], ["PATCH", 204, null], ["PATCH", 429, "TooManyRequests"], ["GET", 200, null],
            ["PATCH", 429, "TooManyRequests"], ["GET", 200, null], ["PATCH", 204, null],
        ]);
    });

    it("counts every app's writes against the tenant's quota, and names the tenant scope", async () => {
        const deployer = await token(azure.deployer, GRAPH);
        const admin = await token(azure.admin, GRAPH);
        azure.misbehave({ graphThrottling: { tenant: { size: 2, seconds: 10 } } });
        const first = await call("POST", "graph.microsoft.com/v1.0/applications", deployer, { displayName: "tenant-1" });
        const second = await call("POST", "graph.microsoft.com/v1.0/applications", admin, { displayName: "tenant-2" });
        const third = await call("POST", "graph.microsoft.com/v1.0/applications", admin, { displayName: "tenant-3" });
        expect([first.status, second.status, third.status]).toEqual([201, 201, 429]);
        expect(third.headers.get("x-ms-throttle-scope")).toBe(`Tenant/Write/${azure.admin.clientId}/${azure.tenantId}`);
        expect(third.headers.get("retry-after")).toBe("5");
        expect(azure.state().applications.filter((app) => String(app.properties["displayName"]).startsWith("tenant-")).length).toBe(2);
    });

    it("scales Graph's own quotas: at scale 1000, 3 writes per 0.15 s per app, refilled one every 50 ms", () => {
        const throttle = new GraphWriteThrottle({ scale: 1000 });
        const write = { method: "POST", host: "graph.microsoft.com", url: new URL("https://graph.microsoft.com/v1.0/applications"),
            headers: {}, body: "" } as StandInRequest;
        const caller = { appid: "app", tid: "tenant" } as Parameters<GraphWriteThrottle["check"]>[1];
        const at = (ms: number) => throttle.check(write, caller, ms)?.status ?? 200;
        expect([at(0), at(0), at(0), at(0), at(49), at(50), at(50)]).toEqual([200, 200, 200, 429, 429, 200, 429]);
    });
});

describe("ARM subscription write throttling", () => {
    it("counts down x-ms-ratelimit-remaining-subscription-writes, then answers 429 with Retry-After until a token is back", async () => {
        const { body: app } = await call("POST", "graph.microsoft.com/v1.0/applications", await token(azure.deployer, GRAPH), { displayName: "arm-bucket" });
        const { body: sp } = await call("POST", "graph.microsoft.com/v1.0/servicePrincipals", await token(azure.deployer, GRAPH), { appId: app.appId });
        const deployer = await token(azure.deployer, ARM);
        azure.misbehave({ armThrottling: { size: 2, refillPerSecond: 0.5 } });
        const names = ["7a000000-0000-4000-8000-000000000001", "7a000000-0000-4000-8000-000000000002", "7a000000-0000-4000-8000-000000000003"];
        const roles = [BLOB_READER, BLOB_CONTRIBUTOR, BLOB_OWNER];
        const replies: Reply[] = [];
        for (const [index, name] of names.entries()) {
            replies.push(await call("PUT", assignmentPath(name), deployer, assignment(sp.id, "ServicePrincipal", roles[index])));
        }
        expect(replies.map((reply) => [reply.status, reply.headers.get("x-ms-ratelimit-remaining-subscription-writes"), reply.headers.get("retry-after")]))
            .toEqual([[201, "1", null], [201, "0", null], [429, "0", "2"]]);
        expect(replies[2]!.body).toEqual({ error: { code: "SubscriptionRequestsThrottled",
            message: `Number of 'write' requests for subscription '${azure.subscriptionId}' actor '${azure.deployer.objectId}' exceeded. ` +
                "Please try again after '2' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling" } });
        // Reads are another bucket, untouched; the throttled write wrote nothing.
        expect((await call("GET", assignmentPath(names[2]!), deployer)).status).toBe(404);
        moveClock(2);
        expect((await call("PUT", assignmentPath(names[2]!), deployer, assignment(sp.id, "ServicePrincipal", BLOB_OWNER))).status).toBe(201);
    });
});

describe("outages", () => {
    it("answers the next N Graph requests 503 with Retry-After and Graph's serviceNotAvailable, then serves again", async () => {
        const deployer = await token(azure.deployer, GRAPH);
        azure.misbehave({ outage: { services: ["graph"], answer: 503, requests: 2, retryAfterSeconds: 3 } });
        const replies: Reply[] = [];
        for (let request = 0; request < 3; request++) replies.push(await call("GET", "graph.microsoft.com/v1.0/applications", deployer));
        expect(replies.map((reply) => [reply.status, reply.headers.get("retry-after")])).toEqual([[503, "3"], [503, "3"], [200, null]]);
        expect(replies[0]!.body.error).toMatchObject({ code: "serviceNotAvailable", message: "The service isn't available. Try the request again after a delay." });
        // ARM was not in the outage.
        expect((await call("GET", assignmentPath("7a000000-0000-4000-8000-0000000000ff"), await token(azure.deployer, ARM))).status).toBe(404);
    });

    it("fails an even share of ARM requests with 500 and no Retry-After", async () => {
        const deployer = await token(azure.deployer, ARM);
        azure.misbehave({ outage: { services: ["arm"], answer: 500, fraction: 0.5 } });
        const replies: Reply[] = [];
        for (let request = 0; request < 4; request++) replies.push(await call("GET", assignmentPath("7a000000-0000-4000-8000-0000000000ff"), deployer));
        expect(replies.map((reply) => [reply.status, reply.headers.get("retry-after"), reply.body.error.code]))
            .toEqual([[404, null, "RoleAssignmentNotFound"], [500, null, "InternalServerError"], [404, null, "RoleAssignmentNotFound"], [500, null, "InternalServerError"]]);
    });

    it("fails every request for a window of seconds, then serves again", async () => {
        const deployer = await token(azure.deployer, GRAPH);
        azure.misbehave({ outage: { services: ["graph", "arm"], answer: 503, seconds: 30 } });
        expect((await call("GET", "graph.microsoft.com/v1.0/applications", deployer)).status).toBe(503);
        moveClock(29);
        expect((await call("GET", "graph.microsoft.com/v1.0/applications", deployer)).status).toBe(503);
        moveClock(1);
        expect((await call("GET", "graph.microsoft.com/v1.0/applications", deployer)).status).toBe(200);
    });

    it("drops the connection without an answer, logged with status 0", async () => {
        const deployer = await token(azure.deployer, GRAPH);
        azure.misbehave({ outage: { services: ["graph"], answer: "drop", requests: 1 } });
        await expect(call("GET", "graph.microsoft.com/v1.0/applications", deployer)).rejects.toThrow("fetch failed");
        expect((await call("GET", "graph.microsoft.com/v1.0/applications", deployer)).status).toBe(200);
        expect(azure.log().slice(-2).map((entry) => [entry.path, entry.status])).toEqual([["/v1.0/applications", 0], ["/v1.0/applications", 200]]);
    });
});

describe("replication delay", () => {
    it("a new application and service principal answer Request_ResourceNotFound by ID for N seconds", async () => {
        const deployer = await token(azure.deployer, GRAPH);
        azure.misbehave({ replication: { applicationSeconds: 10, servicePrincipalSeconds: 10 } });
        const { body: app } = await call("POST", "graph.microsoft.com/v1.0/applications", deployer, { displayName: "replicating" });
        const { body: sp } = await call("POST", "graph.microsoft.com/v1.0/servicePrincipals", deployer, { appId: app.appId });
        for (const path of [`applications/${app.id}`, `servicePrincipals/${sp.id}`]) {
            const hidden = await call("GET", `graph.microsoft.com/v1.0/${path}`, deployer);
            expect([hidden.status, hidden.body.error.code, hidden.body.error.message]).toEqual([404, "Request_ResourceNotFound",
                `Resource '${path.split("/")[1]}' does not exist or one of its queried reference-property objects are not present.`]);
        }
        const patched = await call("PATCH", `graph.microsoft.com/v1.0/applications/${app.id}`, deployer, { displayName: "renamed" });
        expect(patched.status).toBe(404);
        moveClock(9);
        expect((await call("GET", `graph.microsoft.com/v1.0/applications/${app.id}`, deployer)).status).toBe(404);
        moveClock(1);
        expect((await call("GET", `graph.microsoft.com/v1.0/applications/${app.id}`, deployer)).body.displayName).toBe("replicating");
        expect((await call("GET", `graph.microsoft.com/v1.0/servicePrincipals/${sp.id}`, deployer)).status).toBe(200);
    });

    it("ARM answers PrincipalNotFound for a new service principal without principalType, and accepts it with one", async () => {
        const graph = await token(azure.deployer, GRAPH);
        const admin = await token(azure.admin, ARM);
        azure.misbehave({ replication: { principalSeconds: 10 } });
        const { body: app } = await call("POST", "graph.microsoft.com/v1.0/applications", graph, { displayName: "principal-lag" });
        const { body: sp } = await call("POST", "graph.microsoft.com/v1.0/servicePrincipals", graph, { appId: app.appId });
        const untyped = await call("PUT", assignmentPath("7b000000-0000-4000-8000-000000000001"), admin, assignment(sp.id));
        expect([untyped.status, untyped.body]).toEqual([400, { error: { code: "PrincipalNotFound",
            message: `Principal ${sp.id.replace(/-/g, "")} does not exist in the directory ${azure.tenantId}. Check that you have the ` +
                "correct principal ID. If you are creating this principal and then immediately assigning a role, this error might " +
                "be related to a replication delay. In this case, set the role assignment principalType property to a value, such " +
                "as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype" } }]);
        expect((await call("PUT", assignmentPath("7b000000-0000-4000-8000-000000000002"), admin, assignment(sp.id, "ServicePrincipal", BLOB_CONTRIBUTOR))).status).toBe(201);
        moveClock(10);
        expect((await call("PUT", assignmentPath("7b000000-0000-4000-8000-000000000001"), admin, assignment(sp.id))).status).toBe(201);
    });

    it("refuses a new password at the token endpoint with AADSTS7000215 for N seconds, while the older one signs in", async () => {
        const graph = await token(azure.deployer, GRAPH);
        const { body: app } = await call("POST", "graph.microsoft.com/v1.0/applications", graph, { displayName: "password-lag" });
        await call("POST", "graph.microsoft.com/v1.0/servicePrincipals", graph, { appId: app.appId });
        const { body: older } = await call("POST", `graph.microsoft.com/v1.0/applications/${app.id}/addPassword`, graph, { passwordCredential: {} });
        azure.misbehave({ replication: { passwordSeconds: 60 } });
        const { body: newer } = await call("POST", `graph.microsoft.com/v1.0/applications/${app.id}/addPassword`, graph, { passwordCredential: {} });
        const refused = await tokenReply({ clientId: app.appId, clientSecret: newer.secretText }, GRAPH);
        expect([refused.status, refused.body.error, refused.body.error_codes]).toEqual([401, "invalid_client", [7000215]]);
        expect(refused.body.error_description).toMatch(/^AADSTS7000215: Invalid client secret provided\. /);
        expect((await tokenReply({ clientId: app.appId, clientSecret: older.secretText }, GRAPH)).status).toBe(200);
        moveClock(60);
        expect((await tokenReply({ clientId: app.appId, clientSecret: newer.secretText }, GRAPH)).status).toBe(200);
    });
});

describe("replication delay of a new certificate", () => {
    it("refuses a certificate just added by PATCH with AADSTS700027 for N seconds, while the one held before signs in", async () => {
        const graph = await token(azure.deployer, GRAPH);
        const { body: app } = await call("POST", "graph.microsoft.com/v1.0/applications", graph, { displayName: "certificate-lag" });
        await call("POST", "graph.microsoft.com/v1.0/servicePrincipals", graph, { appId: app.appId });
        const now = new Date(Date.now() + offset);
        const [older, newer] = ["older", "newer"].map((name) => makeCertificate(name, new Date(now.getTime() - 3_600_000), new Date(now.getTime() + 86_400_000)));
        const olderKey = keyCredentialOf(older!);
        expect((await call("PATCH", `graph.microsoft.com/v1.0/applications/${app.id}`, graph, { keyCredentials: [olderKey] })).status).toBe(204);
        azure.misbehave({ replication: { passwordSeconds: 60 } });
        expect((await call("PATCH", `graph.microsoft.com/v1.0/applications/${app.id}`, graph,
            { keyCredentials: [olderKey, keyCredentialOf(newer!)] })).status).toBe(204);
        const assertWith = (certificate: typeof older) => call("POST", `login.microsoftonline.com/${azure.tenantId}/oauth2/v2.0/token`, undefined, undefined, {
            grant_type: "client_credentials", client_id: app.appId, scope: GRAPH,
            client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            client_assertion: signAssertion(certificate!, { clientId: app.appId, tenant: azure.tenantId, now: new Date(Date.now() + offset) }),
        });
        const refused = await assertWith(newer);
        expect([refused.status, refused.body.error, refused.body.error_codes]).toEqual([401, "invalid_client", [700027]]);
        expect(refused.body.error_description).toMatch(/^AADSTS700027: The certificate with identifier used to sign the client assertion is not registered /);
        expect((await assertWith(older)).status).toBe(200);
        moveClock(60);
        expect((await assertWith(newer)).status).toBe(200);
    });
});

describe("npm run local-azure flags", () => {
    it("reads each knob", () => {
        expect(misbehaviourFromFlags({ "graph-throttle-scale": "100", "arm-writes": "200,10", outage: "graph,arm:503",
            "outage-fraction": "0.25", "retry-after": "5", "replication-delay": "30" })).toEqual({
            graphThrottling: { scale: 100 }, armThrottling: { size: 200, refillPerSecond: 10 },
            outage: { services: ["graph", "arm"], answer: 503, fraction: 0.25, retryAfterSeconds: 5 },
            replication: { applicationSeconds: 30, principalSeconds: 30, passwordSeconds: 30 },
        });
        expect(misbehaviourFromFlags({})).toEqual({});
        expect(misbehaviourFromFlags({ "sp-replication-delay": "5" })).toEqual({ replication: { servicePrincipalSeconds: 5 } });
    });

    it.each([
        [{ outage: "blob:503" }, `--outage is "blob:503"; expected SERVICES:ANSWER, services graph, arm or graph,arm and answer 500, 503 or drop`],
        [{ "arm-writes": "200" }, `--arm-writes is "200"; expected SIZE,REFILL_PER_SECOND such as 200,10`],
        [{ "graph-throttle-scale": "0" }, `--graph-throttle-scale is "0"; expected a number above 0 (1: Graph's own quotas)`],
        [{ outage: "arm:drop", "outage-fraction": "2" }, `--outage-fraction is "2"; expected a share above 0 and at most 1`],
    ])("refuses %j naming the flag, the value and what is allowed", (flags, message) => {
        expect(() => misbehaviourFromFlags(flags)).toThrow(message);
    });
});
