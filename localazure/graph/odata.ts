/** The OData pieces of Graph this API needs: `$filter=<property> eq '<value>'`, `@odata.context` and date-times. */
import { GraphError } from "./errors";

export const GRAPH_BASE = "https://graph.microsoft.com/v1.0";

export function context(fragment: string): { "@odata.context": string } {
    return { "@odata.context": `${GRAPH_BASE}/$metadata#${fragment}` };
}

export interface EqualsFilter {
    readonly property: string;
    readonly value: string;
}

/**
 * `displayName eq 'x'` or `appId eq 'x'` (a quote doubled inside the literal, as OData escapes it). Graph
 * answers any other filter on these collections it does not support with 400 Request_UnsupportedQuery
 * (learn.microsoft.com/graph/filter-query-parameter).
 */
export function parseEqualsFilter(filter: string | null, allowed: readonly string[], resource: string): EqualsFilter | undefined {
    if (filter === null) return undefined;
    const match = /^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$/.exec(filter);
    if (match === null || !allowed.includes(match[1]!)) {
        throw new GraphError(400, "Request_UnsupportedQuery",
            `Unsupported or invalid query filter clause specified for property '${match?.[1] ?? filter}' of resource '${resource}'.`);
    }
    return { property: match[1]!, value: match[2]!.replace(/''/g, "'") };
}

/**
 * Graph writes a DateTimeOffset in ISO 8601 UTC with no fraction when it is zero ("2027-01-01T00:00:00Z"): an
 * end date sent without milliseconds comes back as sent, so the provider sees no change in it (Microsoft Graph
 * docs, passwordCredential resource: "ISO 8601 format and is always in UTC time").
 */
export function graphDateTime(date: Date): string {
    return date.toISOString().replace(/\.000Z$/, "Z");
}
