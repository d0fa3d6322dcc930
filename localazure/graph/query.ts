/**
 * Graph's query parameters on a collection of directory objects, after `$filter` (filter.ts): `$select` (only the
 * named properties, named again in @odata.context), `$top` with `@odata.nextLink` paging (a `$skiptoken` the client
 * follows as given: learn.microsoft.com/graph/paging; azure-cli's _graph_client.py _send follows it the same way),
 * and `$count`, which on directory objects is an advanced query that needs `ConsistencyLevel: eventual`
 * (learn.microsoft.com/graph/aad-advanced-queries). Without the header Graph answers 400 Request_UnsupportedQuery
 * (its text for /$count as public reports quote it: azurekid/ScEntra issue 17).
 */
import type { StandInRequest } from "../standin/server";
import { GraphError } from "./errors";
import type { GraphResult } from "./model";
import { GRAPH_BASE } from "./odata";

const MAX_TOP = 999;

function eventual(request: StandInRequest): boolean {
    return String(request.headers["consistencylevel"] ?? "").toLowerCase() === "eventual";
}

function missingHeader(what: string): GraphError {
    return new GraphError(400, "Request_UnsupportedQuery", `${what} is not supported because the 'ConsistencyLevel:eventual' header is ` +
        "missing. Refer to https://aka.ms/graph-docs/advanced-queries for more information");
}

/** GET /v1.0/{collection}/$count: the number, as text/plain. */
export function rawCount(request: StandInRequest, count: number): { status: number; text: string } {
    if (!eventual(request)) throw missingHeader("Raw count (/$count)");
    return { status: 200, text: String(count) };
}

/** The list answer `result` (a body with @odata.context and value) shaped by $select, $top, $skiptoken and $count. */
export function shapeList(request: StandInRequest, collection: string, result: GraphResult): GraphResult {
    const params = request.url.searchParams;
    const body = result.body as { value: Record<string, unknown>[] };
    let value = body.value;
    const count = params.get("$count");
    if (count !== null && count !== "true" && count !== "false") {
        throw new GraphError(400, "BadRequest", `Invalid value '${count}' for the $count query option: expected true or false.`);
    }
    if (count === "true" && !eventual(request)) throw missingHeader("$count");
    const top = params.get("$top");
    if (top !== null && (!/^\d+$/.test(top) || Number(top) < 1 || Number(top) > MAX_TOP)) {
        throw new GraphError(400, "Request_BadRequest", `Invalid page size specified: '${top}'. Must be between 1 and ${MAX_TOP} inclusive.`);
    }
    const skip = Number(Buffer.from(params.get("$skiptoken") ?? "", "base64url").toString("utf8") || "0");
    const total = value.length;
    const size = top === null ? 100 : Number(top);
    value = value.slice(skip, skip + size);
    const select = params.get("$select")?.split(",").map((name) => name.trim()).filter((name) => name !== "");
    if (select !== undefined) value = value.map((object) => Object.fromEntries(select.filter((name) => name in object).map((name) => [name, object[name]])));
    const nextLink = skip + size < total ? (() => {
        const next = new URL(`${GRAPH_BASE}/${collection}${request.url.search}`);
        next.searchParams.set("$skiptoken", Buffer.from(String(skip + size)).toString("base64url"));
        return next.toString();
    })() : undefined;
    return {
        status: result.status,
        body: {
            "@odata.context": `${GRAPH_BASE}/$metadata#${collection}${select === undefined ? "" : `(${select.join(",")})`}`,
            ...(count === "true" ? { "@odata.count": total } : {}),
            ...(nextLink === undefined ? {} : { "@odata.nextLink": nextLink }),
            value,
        },
    };
}
