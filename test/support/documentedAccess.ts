/**
 * What docs/deployer.md and docs/managed-identity.md tell a tenant administrator to grant the deploying identity and
 * the preview identity, read from the docs' own `az` commands: the Microsoft Graph application permissions
 * (`az ad app permission add ... --api-permissions "$VAR=Role"`) and the Azure role assignments
 * (`az role assignment create ... --role R --scope S`, with the `for group in $VAR` loops expanded). The local
 * Azure's seed (localazure/seed.ts) must grant exactly this: test/documentedAccess.test.ts holds the two equal, so
 * that every engine test runs as the documented identity and a change to either shows.
 */

export type Principal = "deployer" | "previewer";

export interface DocumentedRole {
    readonly principal: Principal;
    readonly role: string;
    /** The resource group of `/subscriptions/$SUBSCRIPTION_ID/resourceGroups/<group>`. */
    readonly resourceGroup: string;
    /** The `--condition` text with its variables expanded, or null. */
    readonly condition: string | null;
}

/** A role assignment on a scope the local Azure does not model (the state container, the Key Vault keys). */
export interface OtherScope {
    readonly principal: Principal;
    readonly role: string;
    readonly scope: string;
}

export interface DocumentedAccess {
    readonly graph: Record<Principal, string[]>;
    /** Graph permissions in a block that starts "# Only where ...": granted in some tenants, not by default. */
    readonly conditionalGraph: Record<Principal, string[]>;
    readonly roles: DocumentedRole[];
    readonly otherScopes: OtherScope[];
}

/**
 * Microsoft Graph application permissions by their app role IDs (Microsoft Graph permissions reference): a
 * variable's comment in the docs must name the permission its GUID is, or the parse fails.
 */
const GRAPH_APP_ROLES: Record<string, string> = {
    "18a4783c-866b-4cc7-a460-3d5e5662c884": "Application.ReadWrite.OwnedBy",
    "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30": "Application.Read.All",
    "df021288-bdef-4463-88db-98f22de89214": "User.Read.All",
};

const PRINCIPALS: Record<string, Principal> = {
    DEPLOYER_APP_ID: "deployer", DEPLOYER_SP_ID: "deployer", PREVIEW_APP_ID: "previewer", PREVIEW_SP_ID: "previewer",
};

/** The ```sh blocks of a Markdown text, continuation lines joined. */
export function shellBlocks(markdown: string): string[] {
    return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]!.replace(/\\\n\s*/g, " "));
}

/** `NAME=value` assignments: double-quoted (possibly over several lines), `$(...)` or bare, with the comment after. */
function assignments(block: string): Map<string, { value: string; comment: string }> {
    const found = new Map<string, { value: string; comment: string }>();
    for (const match of block.matchAll(/^([A-Z_]+)=(?:"([^"]*)"|(\$\([^\n]*\))|(\S*))[ \t]*(?:#\s*([^\n]*))?$/gm)) {
        found.set(match[1]!, { value: match[2] ?? match[3] ?? match[4] ?? "", comment: match[5] ?? "" });
    }
    return found;
}

/** Expands `$NAME` and `${NAME}` until nothing known is left (a condition names `$BLOB_ROLES`). */
function expand(text: string, variables: ReadonlyMap<string, { value: string }>): string {
    let current = text;
    for (let round = 0; round < 5; round++) {
        const next = current.replace(/\$([A-Z_]+)|\$\{([A-Z_]+)\}/g, (whole, bare?: string, braced?: string) =>
            variables.get(bare ?? braced ?? "")?.value ?? whole);
        if (next === current) return current;
        current = next;
    }
    return current;
}

/** A Graph permission variable: `$(az ad sp show ... appRoles[?value=='NAME'] ...)`, or a GUID whose comment names it. */
function graphPermission(name: string, variables: ReadonlyMap<string, { value: string; comment: string }>): string {
    const variable = variables.get(name);
    if (variable === undefined) throw new Error(`the docs use $${name} before setting it`);
    const lookedUp = /appRoles\[\?value=='([^']+)'\]/.exec(variable.value)?.[1];
    if (lookedUp !== undefined) return lookedUp;
    const known = GRAPH_APP_ROLES[variable.value];
    if (known === undefined) throw new Error(`$${name}=${variable.value}: not a Graph application permission this parser knows`);
    if (!variable.comment.startsWith(`${known} `) && variable.comment !== known) {
        throw new Error(`$${name}=${variable.value} is ${known}, but its comment says "${variable.comment}"`);
    }
    return known;
}

function option(command: string, name: string): string | undefined {
    const match = new RegExp(`--${name} (?:"([^"]*)"|(\\S+))`).exec(command);
    return match === null ? undefined : (match[1] ?? match[2]);
}

/** The identity a command grants to; undefined for the administrator's own ($ADMIN_ID: sections 5 and 6). */
function principalOf(reference: string | undefined, command: string): Principal | undefined {
    const name = /^\$([A-Z_]+)$/.exec(reference ?? "")?.[1];
    if (name === "ADMIN_ID") return undefined;
    const principal = name === undefined ? undefined : PRINCIPALS[name];
    if (principal === undefined) throw new Error(`a command for an identity this parser does not know: ${command}`);
    return principal;
}

/** Reads the grants out of the given Markdown documents, in order (a later one may use an earlier one's variables). */
export function documentedAccess(documents: readonly string[]): DocumentedAccess {
    const access: DocumentedAccess = {
        graph: { deployer: [], previewer: [] }, conditionalGraph: { deployer: [], previewer: [] }, roles: [], otherScopes: [],
    };
    const variables = new Map<string, { value: string; comment: string }>();
    for (const block of documents.flatMap(shellBlocks)) {
        for (const [name, value] of assignments(block)) variables.set(name, value);
        const conditional = /^# Only where/.test(block);
        let loop: { variable: string; groups: string[] } | undefined;
        for (const line of block.split("\n").map((text) => text.trim())) {
            const start = /^for (\w+) in \$([A-Z_]+); do$/.exec(line);
            if (start !== null) {
                loop = { variable: start[1]!, groups: expand(`$${start[2]!}`, variables).split(/\s+/).filter((group) => group !== "") };
                continue;
            }
            if (line === "done") {
                loop = undefined;
                continue;
            }
            if (line.startsWith("az ad app permission add ")) {
                const principal = principalOf(option(line, "id"), line);
                if (principal === undefined) continue;
                const permission = /^\$([A-Z_]+)=Role$/.exec(option(line, "api-permissions") ?? "")?.[1];
                if (permission === undefined) throw new Error(`an API permission this parser cannot read: ${line}`);
                (conditional ? access.conditionalGraph : access.graph)[principal].push(graphPermission(permission, variables));
            }
            if (line.startsWith("az role assignment create ")) {
                const principal = principalOf(option(line, "assignee-object-id"), line);
                if (principal === undefined) continue;
                const role = option(line, "role") ?? "";
                const scope = option(line, "scope") ?? "";
                const condition = option(line, "condition");
                const group = /^\/subscriptions\/\$SUBSCRIPTION_ID\/resourceGroups\/\$(\w+)$/.exec(scope)?.[1];
                if (group !== undefined && loop !== undefined && group === loop.variable) {
                    for (const resourceGroup of loop.groups) {
                        access.roles.push({ principal, role, resourceGroup,
                            condition: condition === undefined ? null : expand(condition, variables) });
                    }
                } else {
                    access.otherScopes.push({ principal, role, scope });
                }
            }
        }
    }
    return access;
}
