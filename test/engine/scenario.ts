/**
 * What the revoke and drift scenarios share on the real engine: a local Azure with a workspace whose stacks are
 * deployed, the portal user's out-of-band changes through the local Azure's real Graph and ARM paths, sign-in at
 * the token endpoint, the state as `pulumi stack export` shows it, and the deployer's writes in the request log.
 */
import { randomUUID } from "node:crypto";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { startLocalAzure, type LocalAzure, type RequestLogEntry } from "../../localazure";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { createEngineWorkspace, requirePulumiCli, runCommand, type CommandResult, type EngineWorkspace } from "./workspace";
import { expectOk } from "./support";

export const APP = "azuread:index/application:Application";
export const SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal";
export const PASSWORD = "azuread:index/applicationPassword:ApplicationPassword";
export const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";
/** The api-version the azure-native stand-in (and azure-native 3.28.0) uses for role assignments. */
export const ARM_API_VERSION = "2022-04-01";

export interface Scenario {
    readonly azure: LocalAzure;
    readonly workspace: EngineWorkspace;
    readonly portal: Portal;
    /** The workspace's CLI; `extraEnv` entries set to undefined are removed from its environment. */
    pulumi(args: readonly string[], extraEnv?: NodeJS.ProcessEnv): Promise<CommandResult>;
    /** The same, failing with the CLI's whole output unless it exits 0. */
    pulumiOk(args: readonly string[]): Promise<CommandResult>;
    dispose(): Promise<void>;
}

export interface ScenarioOptions {
    /**
     * Copy the project's tools into the workspace too, so that a tool that works on the project it belongs to
     * (tools/stacks/stackFiles.ts PROJECT_ROOT, two folders up) plans from the workspace and runs the CLI there.
     */
    readonly tools?: boolean;
}

/** A local Azure and a workspace in which each of `stacks` is created and deployed, concurrently (one lock each). */
export async function openScenario(stacks: readonly string[], options: ScenarioOptions = {}): Promise<Scenario> {
    const azure = await startLocalAzure();
    let workspace: EngineWorkspace;
    try {
        workspace = await createEngineWorkspace(azure);
        if (options.tools === true) cpSync(join(PROJECT_ROOT, "tools"), join(workspace.dir, "tools"), { recursive: true });
    } catch (error) {
        await azure.stop();
        throw error;
    }
    const pulumi = (args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}) =>
        runCommand(requirePulumiCli(), args, workspace.dir, withEnv(workspace.env, extraEnv));
    const pulumiOk = async (args: readonly string[]) => expectOk(await pulumi(args), `pulumi ${args.join(" ")}`);
    const scenario: Scenario = {
        azure, workspace, portal: new Portal(azure), pulumi, pulumiOk,
        async dispose() {
            workspace.dispose();
            await azure.stop();
        },
    };
    try {
        await Promise.all(stacks.map((stack) => pulumiOk(["stack", "init", stack])));
        await Promise.all(stacks.map((stack) => pulumiOk(["up", "--stack", stack, "--yes", "--skip-preview", "--suppress-outputs"])));
    } catch (error) {
        await scenario.dispose();
        throw error;
    }
    return scenario;
}

function withEnv(base: NodeJS.ProcessEnv, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const env = { ...base, ...extra };
    for (const [key, value] of Object.entries(extra)) if (value === undefined) delete env[key];
    return env;
}

export interface StateResource {
    readonly urn: string;
    readonly type: string;
    readonly id?: string;
    readonly parent?: string;
    readonly protect?: boolean;
    readonly inputs?: Record<string, unknown>;
    readonly outputs?: Record<string, unknown>;
}

/** The resources of the stack's state, from `pulumi stack export` (secrets stay encrypted). */
export async function stateOf(scenario: Scenario, stack: string): Promise<StateResource[]> {
    const exported = await scenario.pulumiOk(["stack", "export", "--stack", stack]);
    const document = JSON.parse(exported.stdout) as { deployment: { resources?: StateResource[] } };
    return document.deployment.resources ?? [];
}

/** The custom resources of one identity (the children of its component), by type. */
export interface IdentityState {
    readonly app: StateResource;
    readonly servicePrincipal: StateResource;
    readonly passwords: readonly StateResource[];
    readonly roleAssignments: readonly StateResource[];
    /** Every one of them, in state order. */
    readonly all: readonly StateResource[];
}

export function identityIn(resources: readonly StateResource[], identity: string): IdentityState {
    const component = resources.find((resource) => resource.type === "appidentity:azure:AppIdentity" &&
        resource.urn.endsWith(`::${identity}`));
    if (component === undefined) throw new Error(`the state holds no identity ${identity}`);
    const all = resources.filter((resource) => resource.parent === component.urn);
    const ofType = (type: string) => all.filter((resource) => resource.type === type);
    const [app, ...otherApps] = ofType(APP);
    const [servicePrincipal, ...otherPrincipals] = ofType(SERVICE_PRINCIPAL);
    if (app === undefined || servicePrincipal === undefined || otherApps.length + otherPrincipals.length > 0) {
        throw new Error(`identity ${identity}: expected one app and one service principal in the state`);
    }
    return { app, servicePrincipal, passwords: ofType(PASSWORD), roleAssignments: ofType(ROLE_ASSIGNMENT), all };
}

/** An output of a resource in the state, as a string. */
export function outputOf(resource: StateResource, name: string): string {
    const value = resource.outputs?.[name];
    if (typeof value !== "string") throw new Error(`${resource.urn} has no string output ${name}`);
    return value;
}

export interface DriftCheck {
    readonly code: number;
    /** The CLI's lines for the resources it would change, in one form ("~ TYPE NAME update [diff: ~owners]"), sorted. */
    readonly changes: readonly string[];
    /** The "Resources:" block. */
    readonly summary: readonly string[];
    readonly stderr: string;
}

/** A progress line that ends with a step's operation (the engine's display, pkg/backend/display/progress.go). */
const STEP_LINE = /^\s*([-+~]+)\s+(\S+:\S+)\s+(\S+)\s+(create|update|delete|replace)(?:\s+(\[diff: [^\]]*\]))?\s*$/;

/**
 * The maintenance job's drift check, `pulumi refresh --preview-only --expect-no-changes`, read as a person reads
 * its log. PULUMI_SKIP_CONFIRMATIONS is left out: the CLI counts it as `--yes`, which it refuses beside
 * `--preview-only` (pulumi/pulumi pkg/cmd/pulumi/operations/refresh.go: `yes = yes || skipPreview ||
 * env.SkipConfirmations.Value()`, then updateFlagsToOptions: "--yes and --preview-only cannot be used together").
 */
export async function driftCheck(scenario: Scenario, stack: string): Promise<DriftCheck> {
    const result = await scenario.pulumi(["refresh", "--stack", stack, "--preview-only", "--expect-no-changes"],
        { PULUMI_SKIP_CONFIRMATIONS: undefined });
    const changes = result.stdout.split(/\r?\n/).flatMap((line) => {
        const step = STEP_LINE.exec(line);
        return step === null ? [] : [[step[1], step[2], step[3], step[4], step[5]].filter(Boolean).join(" ")];
    });
    return { code: result.code, changes: changes.sort(), summary: resourcesSummary(result.stdout), stderr: result.stderr };
}

/**
 * How the CLI's progress display names a resource's step: the type token shortened as the display shortens it
 * ("azuread:index/application:Application" as "azuread:index:Application"), the logical name, the operation.
 */
export function stepLine(resource: StateResource, sign: string, op: string, diff?: string): string {
    const type = resource.type.replace(/^([^:]+):([^:/]+)\/[^:]+:/, "$1:$2:");
    return [sign, type, resource.urn.split("::").at(-1)!, op, ...(diff === undefined ? [] : [`[diff: ${diff}]`])].join(" ");
}

/** The last "Resources:" block the CLI printed (the update's, after its preview's), one trimmed line each. */
export function resourcesSummary(output: string): string[] {
    return resourcesSummaries(output).at(-1) ?? [];
}

/** Every "Resources:" block in an output, in order: a preview's and its update's, of each command. */
export function resourcesSummaries(output: string): string[][] {
    const lines = output.split(/\r?\n/);
    const blocks: string[][] = [];
    lines.forEach((line, index) => {
        if (line !== "Resources:") return;
        const end = lines.findIndex((next, at) => at > index && next.trim() === "");
        blocks.push(lines.slice(index + 1, end < 0 ? undefined : end).map((next) => next.trim()));
    });
    return blocks;
}

export interface RestAnswer {
    readonly status: number;
    readonly body: unknown;
}

/**
 * The "portal user" (the local Azure's admin: Graph Application.ReadWrite.All, Owner of the subscriptions), making
 * the changes a person makes in the portal, through the same Graph and ARM paths the portal calls.
 */
export class Portal {
    private readonly tokens = new Map<string, string>();

    constructor(private readonly azure: LocalAzure) {}

    graph(method: string, path: string, body?: unknown): Promise<RestAnswer> {
        return this.call("https://graph.microsoft.com/.default", method,
            `${this.azure.url}/graph.microsoft.com/v1.0${path}`, body);
    }

    arm(method: string, path: string, body?: unknown): Promise<RestAnswer> {
        return this.call("https://management.azure.com/.default", method,
            `${this.azure.url}/management.azure.com${path}?api-version=${ARM_API_VERSION}`, body);
    }

    /** Adds an owner (a directory object ID) to an application or service principal. */
    addOwner(collection: "applications" | "servicePrincipals", objectId: string, ownerId: string): Promise<RestAnswer> {
        return this.graph("POST", `/${collection}/${objectId}/owners/$ref`,
            { "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${ownerId}` });
    }

    removeOwner(collection: "applications" | "servicePrincipals", objectId: string, ownerId: string): Promise<RestAnswer> {
        return this.graph("DELETE", `/${collection}/${objectId}/owners/${ownerId}/$ref`);
    }

    /** A role assignment of a new random name, as the portal's "Add role assignment" makes one. */
    assignRole(scope: string, roleDefinitionId: string, principalId: string): Promise<RestAnswer> {
        return this.arm("PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`,
            { properties: { roleDefinitionId, principalId, principalType: "ServicePrincipal" } });
    }

    private async call(scope: string, method: string, url: string, body: unknown): Promise<RestAnswer> {
        const token = this.tokens.get(scope) ?? await this.signIn(scope);
        const response = await fetch(url, {
            method,
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        return { status: response.status, body: text === "" ? undefined : JSON.parse(text) as unknown };
    }

    private async signIn(scope: string): Promise<string> {
        const answer = await signIn(this.azure, this.azure.admin.clientId, this.azure.admin.clientSecret, scope);
        const token = (answer.body as { access_token?: string }).access_token;
        if (answer.status !== 200 || token === undefined) throw new Error(`the portal user could not sign in: ${answer.status}`);
        this.tokens.set(scope, token);
        return token;
    }
}

/** A client-credentials sign-in at the local Entra token endpoint, as DefaultAzureCredential makes it. */
export async function signIn(azure: LocalAzure, clientId: string, clientSecret: string,
    scope = "https://storage.azure.com/.default"): Promise<RestAnswer> {
    const response = await fetch(`${azure.url}/login.microsoftonline.com/${azure.tenantId}/oauth2/v2.0/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret, scope }).toString(),
    });
    return { status: response.status, body: JSON.parse(await response.text()) as unknown };
}

/** The AADSTS codes of a refused sign-in. */
export function errorCodesOf(answer: RestAnswer): number[] {
    return (answer.body as { error_codes?: number[] }).error_codes ?? [];
}

/**
 * The deployer's writes (every method but GET) to Graph and ARM in a slice of the request log, as
 * `METHOD host path status`, with the object IDs in `names` replaced by their names.
 */
export function deployerWrites(azure: LocalAzure, entries: readonly RequestLogEntry[], names: Readonly<Record<string, string>>): string[] {
    return entries
        .filter((entry) => entry.method !== "GET" && entry.caller === azure.deployer.objectId &&
            entry.host !== "login.microsoftonline.com")
        .map((entry) => {
            let path = entry.path;
            for (const [id, name] of Object.entries(names)) path = path.split(id).join(name);
            return `${entry.method} ${entry.host} ${path} ${entry.status}`;
        });
}
