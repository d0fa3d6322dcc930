/**
 * The part of OData's `$filter` that Graph serves on applications and service principals and that its clients
 * send (learn.microsoft.com/graph/filter-query-parameter; azure-cli's azure/cli/command_modules/role/custom.py
 * builds `appId eq '..'`, `startswith(displayName,'..')`, `identifierUris/any(s:s eq '..')`,
 * `servicePrincipalNames/any(c:c eq '..')`, joined with ` and `): `eq`, `ne`, `startswith`, `any(x:x eq ..)`,
 * `and`, `or`, `not` and parentheses, on the properties each resource lists. Anything else is answered as Graph
 * answers it: 400 Request_UnsupportedQuery. Hand-written rather than a general OData parser from npm
 * (@odata/parser): Graph supports a small, per-property subset, and refusing the rest with Graph's text needs
 * the property named at the point it is met. Directory string comparisons ignore case, as Graph's do.
 */
import { GraphError } from "./errors";

export type Predicate = (object: Readonly<Record<string, unknown>>) => boolean;

export interface FilterableProperties {
    /** Graph's resource name in its messages: Application, ServicePrincipal. */
    readonly resource: string;
    /** String properties that take eq, ne and startswith. */
    readonly strings: readonly string[];
    /** Collections of strings that take any(x:x eq '..'). */
    readonly collections: readonly string[];
}

type Token = { kind: "word"; text: string } | { kind: "string"; text: string } | { kind: "punct"; text: string };

function unsupported(resource: string, clause: string): GraphError {
    return new GraphError(400, "Request_UnsupportedQuery",
        `Unsupported or invalid query filter clause specified for property '${clause}' of resource '${resource}'.`);
}

function invalid(filter: string, position: number): GraphError {
    return new GraphError(400, "BadRequest", `Invalid filter clause: syntax error at position ${position} in '${filter}'.`);
}

function tokenize(filter: string): { tokens: Token[]; positions: number[] } {
    const tokens: Token[] = [];
    const positions: number[] = [];
    let at = 0;
    while (at < filter.length) {
        const char = filter[at]!;
        if (/\s/.test(char)) { at += 1; continue; }
        positions.push(at);
        if (char === "'") {
            let text = "";
            at += 1;
            for (;;) {
                if (at >= filter.length) throw invalid(filter, positions.at(-1)!);
                if (filter[at] === "'") {
                    if (filter[at + 1] === "'") { text += "'"; at += 2; continue; }
                    at += 1;
                    break;
                }
                text += filter[at];
                at += 1;
            }
            tokens.push({ kind: "string", text });
        } else if ("(),:/".includes(char)) {
            tokens.push({ kind: "punct", text: char });
            at += 1;
        } else {
            const word = /^[A-Za-z0-9_.@$-]+/.exec(filter.slice(at))?.[0];
            if (word === undefined) throw invalid(filter, at);
            tokens.push({ kind: "word", text: word });
            at += word.length;
        }
    }
    return { tokens, positions };
}

const same = (a: unknown, b: string) => typeof a === "string" && a.toLowerCase() === b.toLowerCase();

/** The predicate a `$filter` selects with; undefined for no filter. */
export function parseFilter(filter: string | null, properties: FilterableProperties): Predicate | undefined {
    if (filter === null || filter.trim() === "") return undefined;
    const { tokens, positions } = tokenize(filter);
    let next = 0;
    const peek = (offset = 0) => tokens[next + offset];
    const fail = (): never => { throw invalid(filter, positions[next] ?? filter.length); };
    const expect = (text: string) => {
        const token = tokens[next];
        if (token === undefined || token.text !== text || token.kind === "string") fail();
        next += 1;
    };
    const keyword = (text: string) => peek()?.kind === "word" && peek()!.text.toLowerCase() === text;
    const literal = (): string | null => {
        const token = tokens[next];
        if (token?.kind === "string") { next += 1; return token.text; }
        if (token?.kind === "word" && token.text === "null") { next += 1; return null; }
        return fail();
    };
    const stringProperty = (name: string): string => {
        if (!properties.strings.includes(name)) throw unsupported(properties.resource, name);
        return name;
    };

    const or = (): Predicate => {
        let left = and();
        while (keyword("or")) { next += 1; const right = and(); const l = left; left = (o) => l(o) || right(o); }
        return left;
    };
    const and = (): Predicate => {
        let left = unary();
        while (keyword("and")) { next += 1; const right = unary(); const l = left; left = (o) => l(o) && right(o); }
        return left;
    };
    const unary = (): Predicate => {
        if (keyword("not")) { next += 1; const inner = unary(); return (o) => !inner(o); }
        return primary();
    };
    const primary = (): Predicate => {
        const token = peek();
        if (token?.kind === "punct" && token.text === "(") { next += 1; const inner = or(); expect(")"); return inner; }
        if (token?.kind !== "word") return fail();
        next += 1;
        if (token.text.toLowerCase() === "startswith" && peek()?.text === "(") {
            next += 1;
            const name = peek()?.kind === "word" ? peek()!.text : fail();
            next += 1;
            stringProperty(name);
            expect(",");
            const prefix = literal();
            expect(")");
            if (prefix === null) return fail();
            return (o) => typeof o[name] === "string" && (o[name]).toLowerCase().startsWith(prefix.toLowerCase());
        }
        const name = token.text;
        if (peek()?.text === "/") {
            next += 1;
            if (!properties.collections.includes(name)) throw unsupported(properties.resource, name);
            if (!(peek()?.kind === "word" && peek()!.text === "any")) throw unsupported(properties.resource, name);
            next += 1;
            expect("(");
            const variable = peek()?.kind === "word" ? peek()!.text : fail();
            next += 1;
            expect(":");
            if (peek()?.text !== variable) return fail();
            next += 1;
            if (!keyword("eq")) throw unsupported(properties.resource, name);
            next += 1;
            const value = literal();
            expect(")");
            if (value === null) return fail();
            return (o) => Array.isArray(o[name]) && (o[name] as unknown[]).some((item) => same(item, value));
        }
        stringProperty(name);
        const operator = peek()?.kind === "word" ? peek()!.text.toLowerCase() : fail();
        if (operator !== "eq" && operator !== "ne") throw unsupported(properties.resource, name);
        next += 1;
        const value = literal();
        const equal: Predicate = (o) => value === null ? o[name] === null || o[name] === undefined : same(o[name], value);
        return operator === "eq" ? equal : (o) => !equal(o);
    };

    const predicate = or();
    if (next !== tokens.length) fail();
    return predicate;
}

/** What Graph filters on for each resource (the application and servicePrincipal resource types mark them "Supports $filter"). */
export const APPLICATION_FILTER: FilterableProperties = {
    resource: "Application", strings: ["appId", "displayName", "id", "publisherDomain", "signInAudience"], collections: ["identifierUris", "tags"],
};
export const SERVICE_PRINCIPAL_FILTER: FilterableProperties = {
    resource: "ServicePrincipal", strings: ["appId", "displayName", "id", "servicePrincipalType", "appDisplayName"],
    collections: ["servicePrincipalNames", "tags"],
};
