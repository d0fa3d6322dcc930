/**
 * Helpers shared by the engine scenarios: a clock moved in step for the local Azure and the node processes the
 * CLI starts, sign-in through the local Entra token endpoint, the portal user's Graph calls, the project's tools
 * run as npm runs them, and the secret values a scenario must never see printed.
 */
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LocalAzure, RequestLogEntry } from "../../localazure";
import { identityFromOutputs, renderEnvFile } from "../../tools/envFile/envFile";
import { PROJECT_ROOT } from "../../tools/stacks/stackFiles";
import { requirePulumiCli, runCommand, TEST_PASSPHRASE, type CommandResult, type EngineWorkspace } from "./workspace";

/** The preload that moves `Date` in the node processes of a CLI call (see the file). */
export const FAKE_CLOCK = join(__dirname, "fakeClock.cjs");

/**
 * One moved clock for a scenario: give `now` to startLocalAzure, and `env()` to each CLI call, so that the local
 * Azure, the language host model, the program and the provider stand-ins all read the same instant.
 */
export class MovableClock {
    private offset: number;

    constructor(start: Date) {
        this.offset = start.getTime() - Date.now();
    }

    /** Moves the clock to `instant`; it runs on from there at the real pace. */
    set(instant: Date): void {
        this.offset = instant.getTime() - Date.now();
    }

    readonly now = (): Date => new Date(Date.now() + this.offset);

    /** `base` with the preload in NODE_OPTIONS and the current instant, for one command. */
    env(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
        if (/\s/.test(FAKE_CLOCK)) throw new Error(`${FAKE_CLOCK} has a space, which NODE_OPTIONS would split`);
        const setAt = Date.now();
        return {
            ...base,
            NODE_OPTIONS: [base["NODE_OPTIONS"], `--require ${FAKE_CLOCK}`].filter(Boolean).join(" "),
            FAKE_CLOCK_NOW: new Date(setAt + this.offset).toISOString(),
            FAKE_CLOCK_SET: String(setAt),
        };
    }
}

/** A UTC instant from `YYYY-MM-DD` and an hour. */
export function utc(day: string, hour = 12): Date {
    return new Date(`${day}T${String(hour).padStart(2, "0")}:00:00Z`);
}

export function addDays(date: Date, days: number): Date {
    return new Date(date.getTime() + days * 86_400_000);
}

/** The real CLI of the workspace, with another environment (a moved clock, another PATH). */
export function pulumiWith(workspace: EngineWorkspace, env: NodeJS.ProcessEnv, args: readonly string[]): Promise<CommandResult> {
    return runCommand(requirePulumiCli(), args, workspace.dir, env);
}

export interface RecordingCli {
    /** The workspace's environment with the recording `pulumi` first on PATH. */
    readonly env: NodeJS.ProcessEnv;
    /** The arguments of each CLI call since the last `clear`, one line each, in the order they started. */
    calls(): string[];
    clear(): void;
}

/** A `pulumi` first on PATH that appends each call's arguments to a log, then runs the real CLI. */
export function recordingCli(workspace: EngineWorkspace): RecordingCli {
    const bin = join(workspace.dir, "recording-bin");
    mkdirSync(bin);
    const log = join(workspace.dir, "pulumi-calls");
    writeFileSync(log, "");
    writeFileSync(join(bin, "pulumi"), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${log}"\nexec "${requirePulumiCli()}" "$@"\n`);
    chmodSync(join(bin, "pulumi"), 0o755);
    return {
        env: { ...workspace.env, PATH: `${bin}:${workspace.env["PATH"] ?? ""}` },
        calls: () => readFileSync(log, "utf8").split("\n").filter((line) => line !== ""),
        clear: () => writeFileSync(log, ""),
    };
}

/** Fails with everything the CLI said when it exits non-zero. */
export function expectOk(result: CommandResult, what: string): CommandResult {
    if (result.code !== 0) throw new Error(`${what} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
    return result;
}

/** `pulumi ARGS` in the workspace, failing with everything the CLI said when it exits non-zero. */
export async function pulumiOk(workspace: EngineWorkspace, args: readonly string[]): Promise<CommandResult> {
    return expectOk(await workspace.pulumi(args), `pulumi ${args.join(" ")}`);
}

/** The TypeScript hook package.json's scripts load the project's commands with: sucrase's, its output cached. */
export const TYPESCRIPT_HOOK = ["-r", join(PROJECT_ROOT, "common", "cachedTypeScript.cjs")] as const;

/**
 * `npm run SCRIPT -- ARGS` in the workspace: the command of package.json's script (`node -r
 * ./common/moduleCodeCache.cjs -r ./common/lazyTypeScript.cjs -r ./common/cachedTypeScript.cjs tools/X/command.ts`),
 * with this node and the checkout's files, without npm's own start-up.
 */
export function runTool(workspace: EngineWorkspace, script: string, args: readonly string[], env: NodeJS.ProcessEnv = workspace.env): Promise<CommandResult> {
    const { scripts } = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    const [node, ...words] = (scripts[script] ?? "").split(" ");
    if (node !== "node") throw new Error(`package.json has no script ${script} that runs node: ${JSON.stringify(scripts[script])}`);
    const fromCheckout = (word: string) => word.startsWith("tools/") || word.startsWith("./") ? join(PROJECT_ROOT, word) : word;
    return runCommand(process.execPath, [...words.map(fromCheckout), ...args],
        workspace.dir, env);
}

/** Copies project entries the workspace does not hold (tools/ for the CI scripts) into it. */
export function copyIntoWorkspace(workspace: EngineWorkspace, entries: readonly string[]): void {
    for (const entry of entries) cpSync(join(PROJECT_ROOT, entry), join(workspace.dir, entry), { recursive: true });
}

export interface SignInResult {
    readonly status: number;
    /** The AADSTS code of a refusal (7000215: wrong secret, 7000222: expired, 700016: unknown client). */
    readonly errorCode?: number;
}

/** Client credentials at the local Entra token endpoint, as DefaultAzureCredential's EnvironmentCredential sends them. */
export async function signIn(azure: LocalAzure, tenantId: string, clientId: string, clientSecret: string,
    scope = "https://storage.azure.com/.default"): Promise<SignInResult> {
    const response = await fetch(`${azure.url}/login.microsoftonline.com/${tenantId}/oauth2/v2.0/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret, scope }).toString(),
    });
    const body = await response.json() as { error_codes?: number[] };
    return response.status === 200 ? { status: 200 } : { status: response.status, errorCode: body.error_codes?.[0] ?? -1 };
}

/** A Graph call as the portal user (the local Azure's admin), through the real REST path. */
export async function graphAsAdmin(azure: LocalAzure, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const token = await fetch(`${azure.url}/login.microsoftonline.com/${azure.tenantId}/oauth2/v2.0/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: azure.admin.clientId,
            client_secret: azure.admin.clientSecret, scope: "https://graph.microsoft.com/.default" }).toString(),
    });
    const { access_token: accessToken } = await token.json() as { access_token: string };
    const response = await fetch(`${azure.url}/graph.microsoft.com/v1.0${path}`, {
        method,
        headers: { authorization: `Bearer ${accessToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) as unknown };
}

/**
 * A deployer secret that lives until `endDateTime`, added by the portal user: the seeded one lives two years, and a
 * scenario of ten simulated years outlives it (CI signs in with OIDC and has no such end).
 */
export async function renewDeployerSecret(azure: LocalAzure, endDateTime: Date): Promise<string> {
    const app = azure.state().applications.find((candidate) => candidate.appId === azure.deployer.clientId)!;
    const added = await graphAsAdmin(azure, "POST", `/applications/${app.id}/addPassword`,
        { passwordCredential: { displayName: "engine tests: ten years", endDateTime: endDateTime.toISOString() } });
    if (added.status !== 200) throw new Error(`addPassword for the deployer answered ${added.status}`);
    return (added.body as { secretText: string }).secretText;
}

/** The local Azure's application of that display name (exactly one). */
export function appNamed(azure: LocalAzure, displayName: string) {
    const apps = azure.state().applications.filter((app) => app.properties["displayName"] === displayName);
    if (apps.length !== 1) throw new Error(`${apps.length} applications named ${displayName}`);
    return apps[0]!;
}

/** Writes to Graph and ARM (no GET, no sign-in) in the log from entry `from` on: what a command changed, in order. */
export function writesSince(azure: LocalAzure, from: number): string[] {
    return azure.log().slice(from)
        .filter((entry: RequestLogEntry) => entry.method !== "GET" && entry.host !== "login.microsoftonline.com")
        .map((entry) => `${entry.method} ${entry.host}${entry.path.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "{id}")} ${entry.status}`);
}

export interface EnvFile {
    /** The stack outputs it was written from (the client secret among them). */
    readonly outputs: Record<string, unknown>;
    readonly content: string;
    readonly variables: Record<string, string>;
}

/**
 * The env file `npm run env-file -- --stack S` writes, from the real CLI's `pulumi stack output --json
 * --show-secrets` and the project's own renderer, read back as systemd reads `KEY='value'` lines.
 */
export async function envFileFromStack(workspace: EngineWorkspace, env: NodeJS.ProcessEnv, stack: string): Promise<EnvFile> {
    const outputs = expectOk(await pulumiWith(workspace, env, ["stack", "output", "--json", "--show-secrets", "--stack", stack]),
        `pulumi stack output --stack ${stack}`);
    const parsed = JSON.parse(outputs.stdout) as Record<string, unknown>;
    const content = renderEnvFile(identityFromOutputs(parsed, `stack ${stack}`), `stack ${stack}`);
    const variables = Object.fromEntries([...content.matchAll(/^([A-Z_]+)='([^']*)'$/gm)].map((match) => [match[1]!, match[2]!]));
    return { outputs: parsed, content, variables };
}

/** Signs in with an env file's identity. */
export function signInWith(azure: LocalAzure, file: EnvFile): Promise<SignInResult> {
    const { AZURE_TENANT_ID: tenant, AZURE_CLIENT_ID: client, AZURE_CLIENT_SECRET: secret } = file.variables;
    return signIn(azure, tenant!, client!, secret!);
}

/**
 * Every value no command may print: the client secrets in the stack's state (both slots, from the real `pulumi
 * stack export --show-secrets`, which writes a secret as {"plaintext": "<JSON>"}), the deployer's secret and the
 * passphrase.
 */
export async function secretValues(workspace: EngineWorkspace, stacks: readonly string[]): Promise<string[]> {
    const values = [String(workspace.env["ARM_CLIENT_SECRET"]), TEST_PASSPHRASE];
    for (const stack of stacks) {
        const exported = expectOk(await workspace.pulumi(["stack", "export", "--show-secrets", "--stack", stack]), "pulumi stack export");
        const { deployment } = JSON.parse(exported.stdout) as { deployment: { resources?: { type: string; outputs?: Record<string, unknown> }[] } };
        for (const resource of deployment.resources ?? []) {
            if (resource.type !== "azuread:index/applicationPassword:ApplicationPassword") continue;
            const value = resource.outputs?.["value"] as { plaintext?: string } | string | undefined;
            values.push(typeof value === "string" ? value : JSON.parse(value!.plaintext!) as string);
        }
    }
    return values;
}

/** What `--event-log FILE` needs: the flag exists with PULUMI_DEBUG_COMMANDS=true only (pkg/v3 v3.276.0 cmd/pulumi/operations/up.go, env.DebugCommands), as the Automation API runs the CLI. */
export const EVENT_LOG_ENV = { PULUMI_DEBUG_COMMANDS: "true" } as const;

const STEP_TEXT: Readonly<Record<string, string>> = {
    "create-replacement": "++ {} created replacement", replace: "+- {} replaced", "delete-replaced": "-- {} deleted original",
    create: "+ {} created", delete: "- {} deleted", update: "~ {} updated",
};

/**
 * The steps the engine did, in order, from its event log (one apitype.EngineEvent a line; each finished step is a
 * resOutputsEvent whose metadata holds the op, URN and type: pulumi/pulumi sdk/v3 v3.276.0 go/common/apitype/events.go
 * StepEventMetadata, history.go OpType), as `<op> <type> <name> <done>`. Not the progress display, which on a busy
 * machine may leave out a resource's last status change. A create-before-delete replacement is
 * "++ created replacement", "+- replaced", "-- deleted original".
 */
export function stepsInEventLog(eventLog: string): string[] {
    return readFileSync(eventLog, "utf8").split("\n").filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as { resOutputsEvent?: { metadata: { op: string; urn: string; type: string }; planning?: boolean } })
        .flatMap((event) => {
            const step = event.resOutputsEvent;
            const text = step === undefined || step.planning === true ? undefined : STEP_TEXT[step.metadata.op];
            return text === undefined ? [] : [text.replace("{}", `${step!.metadata.type} ${step!.metadata.urn.split("::").at(-1)!}`)];
        });
}
