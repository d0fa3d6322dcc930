/**
 * `npm run local-azure [-- --port N] [--dir DIR] [--log FILE|-]`: starts the local Azure with its state in
 * DIR/state.json, installs the provider stand-ins into a Pulumi home under DIR, and prints what to set, as lines a
 * shell can `export` (also written to DIR/env.sh), until SIGINT or SIGTERM. Every request is logged as a JSON line
 * (localazure/requestLog.ts) to DIR/requests.jsonl, or FILE, or stdout for `--log -`. The misbehaviour flags
 * (throttling, outages, replication delay) are in localazure/misbehaviour/flags.ts.
 * `--oidc-subject S --oidc-token-file PATH [--oidc-token-owner USER]` also serves a local OIDC issuer and keeps a
 * token for S in PATH (localazure/oidc/localIssuer.ts), for trying `credential: federated` (docs/federation.md).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runCommand, UsageError } from "../common/cliArgs";
import { lookupUser, NoSuchUserError } from "../common/systemUsers";
import { startLocalAzure, type LocalAzure } from "./index";
import { RequestLogWriter } from "./requestLog";
import { installProviderPlugins, PULUMI_BIN_DIR } from "./plugins";
import { MISBEHAVIOUR_FLAGS, misbehaviourFromFlags } from "./misbehaviour/flags";
import type { MisbehaviourOptions } from "./misbehaviour";
import { startLocalIssuer, type LocalIssuer } from "./oidc/localIssuer";

export const DEFAULT_PORT = 47443;
export const DEFAULT_DIR = join(tmpdir(), "app-identity-local-azure");

const USAGE = "usage: npm run local-azure [-- --port N] [--dir DIR] [--log FILE|-] [--graph-throttle-scale N] " +
    "[--arm-writes SIZE,REFILL] [--outage SERVICES:ANSWER [--outage-requests N|--outage-seconds N|--outage-fraction F] " +
    "[--retry-after N]] [--replication-delay N] [--sp-replication-delay N] " +
    "[--oidc-subject SUBJECT --oidc-token-file PATH [--oidc-token-owner USER]]";

interface Arguments {
    readonly port: number;
    readonly dir: string;
    /** Where the request log goes: a file, or "-" for stdout. */
    readonly log: string;
    readonly misbehaviour: MisbehaviourOptions;
    /** The local OIDC issuer's one subject and the token file it keeps, when asked for. */
    readonly oidc?: { readonly subject: string; readonly tokenFile: string; readonly owner?: string };
}

export function parseArguments(argv: readonly string[]): Arguments {
    let values: { port?: string | undefined; dir?: string | undefined; log?: string | undefined; "oidc-subject"?: string | undefined;
        "oidc-token-file"?: string | undefined; "oidc-token-owner"?: string | undefined } & Parameters<typeof misbehaviourFromFlags>[0];
    let misbehaviour: MisbehaviourOptions;
    try {
        ({ values } = parseArgs({ args: [...argv], options: { port: { type: "string" }, dir: { type: "string" }, log: { type: "string" },
            "oidc-subject": { type: "string" }, "oidc-token-file": { type: "string" }, "oidc-token-owner": { type: "string" },
            ...MISBEHAVIOUR_FLAGS }, strict: true }));
        misbehaviour = misbehaviourFromFlags(values);
    } catch (error) {
        throw new UsageError(`${(error as Error).message}; ${USAGE}`);
    }
    const subject = values["oidc-subject"];
    const tokenFile = values["oidc-token-file"];
    const owner = values["oidc-token-owner"];
    if ((subject === undefined) !== (tokenFile === undefined) || (owner !== undefined && subject === undefined)) {
        throw new UsageError("--oidc-subject and --oidc-token-file go together (--oidc-token-owner with them); " +
            `expected the subject the local issuer's tokens carry in sub and the file it keeps them in; ${USAGE}`);
    }
    const port = values.port ?? String(DEFAULT_PORT);
    if (!/^\d+$/.test(port) || Number(port) > 65535) {
        throw new UsageError(`--port is ${JSON.stringify(port)}; expected a port number 1-65535, or 0 for any free one`);
    }
    const dir = resolve(values.dir ?? DEFAULT_DIR);
    const log = values.log === undefined ? join(dir, "requests.jsonl") : values.log === "-" ? "-" : resolve(values.log);
    if (subject === undefined || tokenFile === undefined) return { port: Number(port), dir, log, misbehaviour };
    return { port: Number(port), dir, log, misbehaviour, oidc: { subject, tokenFile: resolve(tokenFile), ...(owner === undefined ? {} : { owner }) } };
}

/** The variables to set, in order: for the Pulumi providers (ARM_*) and for the example app (proxy and CA). */
export function environmentFor(azure: LocalAzure): [string, string][] {
    return [
        ["LOCAL_AZURE_URL", azure.url],
        ["ARM_TENANT_ID", azure.tenantId],
        ["ARM_SUBSCRIPTION_ID", azure.subscriptionId],
        ["ARM_CLIENT_ID", azure.deployer.clientId],
        ["ARM_CLIENT_SECRET", azure.deployer.clientSecret],
        ["HTTPS_PROXY", azure.proxyUrl],
        // Loopback stays direct: the Pulumi engine and its plugins talk gRPC there.
        ["NO_PROXY", "localhost,127.0.0.1"],
        ["REQUESTS_CA_BUNDLE", azure.caFile],
        ["SSL_CERT_FILE", azure.caFile],
        ["NODE_EXTRA_CA_CERTS", azure.caFile],
    ];
}

export function renderExports(azure: LocalAzure, dir: string): string {
    return [
        `# Local Azure on ${azure.url}; state in ${join(dir, "state.json")}.`,
        "# ARM_CLIENT_SECRET is the local deployer's test credential: it opens this local Azure and nothing else.",
        ...environmentFor(azure).map(([name, value]) => `export ${name}='${value}'`),
        "",
    ].join("\n");
}

/**
 * What the Pulumi CLI needs to deploy to this local Azure from the checkout: the CLI of tools/pulumi/install.sh, a
 * Pulumi home of its own whose plugin cache holds the provider stand-ins (never the real providers: nothing is
 * downloaded), a `file://` state backend and a passphrase for the local stacks' secrets.
 */
export function renderPulumiExports(dir: string): string {
    return [
        "# The Pulumi CLI against this local Azure: its own Pulumi home (the provider stand-ins), state and passphrase.",
        `export PATH="${PULUMI_BIN_DIR}:$PATH"`,
        `export PULUMI_HOME='${join(dir, "pulumi-home")}'`,
        `export PULUMI_BACKEND_URL='file://${join(dir, "pulumi-state")}'`,
        "export PULUMI_CONFIG_PASSPHRASE='local-azure'",
        "export PULUMI_IGNORE_AMBIENT_PLUGINS=true",
        "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
        "export PULUMI_SKIP_UPDATE_CHECK=true",
        "",
    ].join("\n");
}

async function main(argv: readonly string[]): Promise<number> {
    let args: Arguments;
    try {
        args = parseArguments(argv);
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        console.error(`local-azure: ${error.message}`);
        return 2;
    }
    mkdirSync(args.dir, { recursive: true, mode: 0o700 });
    let local: LocalIssuer | undefined;
    try {
        local = args.oidc === undefined ? undefined : await startLocalIssuer({ subject: args.oidc.subject, tokenFile: args.oidc.tokenFile,
            ...(args.oidc.owner === undefined ? {} : { owner: lookupUser(args.oidc.owner) }) });
    } catch (error) {
        if (!(error instanceof NoSuchUserError)) throw error;
        console.error(`local-azure: --oidc-token-owner: ${error.message}`);
        return 2;
    }
    const requestLog = new RequestLogWriter(args.log);
    let azure: LocalAzure;
    try {
        azure = await startLocalAzure({ stateFile: join(args.dir, "state.json"), port: args.port, onRequest: (entry) => requestLog.write(entry),
            misbehaviour: args.misbehaviour, ...(local === undefined ? {} : { oidcIssuers: [local.issuer] }) });
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
            console.error(`local-azure: port ${args.port} is in use (another local Azure?); pass --port N`);
            return 1;
        }
        throw error;
    }
    mkdirSync(join(args.dir, "pulumi-state"), { recursive: true });
    const pulumiHome = join(args.dir, "pulumi-home");
    mkdirSync(pulumiHome, { recursive: true });
    installProviderPlugins({ ...process.env, PULUMI_HOME: pulumiHome, PULUMI_SKIP_UPDATE_CHECK: "true" });
    const exports = renderExports(azure, args.dir) + renderPulumiExports(args.dir);
    writeFileSync(join(args.dir, "env.sh"), exports, { mode: 0o600 });
    if (local !== undefined) {
        await local.tokens.start();
        process.stdout.write(`# OIDC issuer ${local.issuer.issuer}: a token for ${args.oidc!.subject} in ${args.oidc!.tokenFile}, ` +
            "an hour long, renewed at 80% of it (federatedCredentials: this issuer and subject).\n");
    }
    process.stdout.write(`${exports}# The same lines are in ${join(args.dir, "env.sh")}: . ${join(args.dir, "env.sh")}\n` +
        (args.log === "-" ? "# Every request follows here, one JSON line each.\n" : `# Every request is logged, one JSON line each, to ${args.log}\n`) +
        "# Stop with Ctrl-C.\n");
    const signal = await new Promise<NodeJS.Signals>((done) => {
        process.once("SIGINT", done);
        process.once("SIGTERM", done);
    });
    local?.tokens.stop();
    await azure.stop();
    requestLog.close();
    process.stderr.write(`local-azure: stopped (${signal}); the state stays in ${args.dir}\n`);
    return 0;
}

if (require.main === module) runCommand("local-azure", main);
