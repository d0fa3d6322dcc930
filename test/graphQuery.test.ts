/** localazure/graph/filter.ts and query.ts: Graph's $filter, $select, $top paging and $count on the local Graph. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../localazure/index";

let azure: LocalAzure;
let admin: string;

beforeAll(async () => {
    azure = await startLocalAzure();
    const form = new URLSearchParams({ grant_type: "client_credentials", client_id: azure.admin.clientId,
        client_secret: azure.admin.clientSecret, scope: "https://graph.microsoft.com/.default" });
    const reply = await fetch(`${azure.url}/login.microsoftonline.com/${azure.tenantId}/oauth2/v2.0/token`, { method: "POST", body: form });
    admin = ((await reply.json()) as { access_token: string }).access_token;
    for (const name of ["q-alpha", "q-beta", "Q-gamma", "other"]) {
        const made = await fetch(`${azure.url}/graph.microsoft.com/v1.0/applications`, { method: "POST",
            headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" }, body: JSON.stringify({ displayName: name, identifierUris: [`api://${name}`] }) });
        expect(made.status).toBe(201);
    }
});
afterAll(async () => {
    await azure.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Graph answers of several shapes, read by each test
async function get(pathAndQuery: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const url = pathAndQuery.startsWith("https://") ? `${azure.url}/${pathAndQuery.slice("https://".length)}` : `${azure.url}/graph.microsoft.com/v1.0${pathAndQuery}`;
    const reply = await fetch(url, { headers: { authorization: `Bearer ${admin}`, ...headers } });
    const text = await reply.text();
    return { status: reply.status, body: reply.headers.get("content-type")?.startsWith("text/plain") === true ? text : JSON.parse(text) };
}
const names = (body: { value: { displayName: string }[] }) => body.value.map((app) => app.displayName);
const q = encodeURIComponent;

describe("Graph's $filter on the local Graph", () => {
    it.each([
        ["startswith(displayName,'q-')", ["q-alpha", "q-beta", "Q-gamma"]],
        ["displayName eq 'Q-ALPHA'", ["q-alpha"]],
        ["identifierUris/any(s:s eq 'api://q-beta')", ["q-beta"]],
        ["startswith(displayName,'q-') and not (displayName eq 'q-beta')", ["q-alpha", "Q-gamma"]],
        ["displayName eq 'other' or displayName eq 'q-beta'", ["q-beta", "other"]],
        ["displayName eq 'it''s'", []],
    ])("%s", async (filter, expected) => {
        const { status, body } = await get(`/applications?$filter=${q(filter)}`);
        expect([status, names(body).filter((name) => name !== "app-identity-deployer" && name !== "local-azure-admin")]).toEqual([200, expected]);
    });

    it.each([
        ["endswith(displayName,'a')", "endswith"],
        ["createdDateTime ge 2020-01-01T00:00:00Z", "createdDateTime"],
        ["tags/all(t:t eq 'x')", "tags"],
    ])("refuses %s with Graph's Request_UnsupportedQuery", async (filter, property) => {
        const { status, body } = await get(`/applications?$filter=${q(filter)}`);
        expect([status, body.error.code, body.error.message]).toEqual([400, "Request_UnsupportedQuery",
            `Unsupported or invalid query filter clause specified for property '${property}' of resource 'Application'.`]);
    });
});

describe("$select, $top and $count", () => {
    it("selects properties and names them in @odata.context", async () => {
        const { body } = await get(`/applications?$filter=${q("displayName eq 'q-alpha'")}&$select=displayName,identifierUris`);
        expect(body).toEqual({ "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications(displayName,identifierUris)",
            value: [{ displayName: "q-alpha", identifierUris: ["api://q-alpha"] }] });
    });

    it("pages with $top and @odata.nextLink until the last page, which has none", async () => {
        const pages: string[][] = [];
        let next: string | undefined = `/applications?$filter=${q("startswith(displayName,'q-')")}&$top=2&$select=displayName`;
        while (next !== undefined) {
            const { body } = await get(next);
            pages.push(names(body));
            next = body["@odata.nextLink"];
        }
        expect(pages).toEqual([["q-alpha", "q-beta"], ["Q-gamma"]]);
        expect((await get("/applications?$top=1000")).body.error).toMatchObject({ code: "Request_BadRequest" });
    });

    it("counts only with ConsistencyLevel: eventual, as an advanced query", async () => {
        const filter = `$filter=${q("startswith(displayName,'q-')")}`;
        expect((await get(`/applications?${filter}&$count=true`, { consistencylevel: "eventual" })).body["@odata.count"]).toBe(3);
        expect(await get(`/applications/$count?${filter}`, { consistencylevel: "eventual" })).toEqual({ status: 200, body: "3" });
        const refused = await get(`/applications/$count?${filter}`);
        expect([refused.status, refused.body.error.code, refused.body.error.message]).toEqual([400, "Request_UnsupportedQuery",
            "Raw count (/$count) is not supported because the 'ConsistencyLevel:eventual' header is missing. Refer to https://aka.ms/graph-docs/advanced-queries for more information"]);
        expect((await get(`/applications?${filter}&$count=true`)).status).toBe(400);
    });
});
