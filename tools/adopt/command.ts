/**
 * `npm run adopt -- --stack NAME --client-id APP_ID [--write] [--accept-clearing]`
 * `npm run adopt -- --stack NAME --remove-secrets KEY_ID... [--yes]`
 *
 * Adopting an app identity made by hand (docs/adopt.md). The first form reads the app registration of that client
 * ID, its service principal, secrets (never values), owners and role assignments as the deploying identity, prints
 * how they line up with the stack's config and, with --write, puts the `app-identity:adopt` key that makes the next
 * `pulumi up` import them into the stack file. The second removes hand-made client secrets by key ID, after showing
 * them and asking (--yes for scripts). Exit 0 when ready (or removed), 1 when something must be done first (or the
 * removal is refused or declined), 2 when the call is wrong or Azure cannot be read.
 */
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { ConfigError, displayNameOf, parseStackConfig, type StackConfig } from "../../infra/config";
import { compareIdentity, renderComparison } from "./compare";
import { IdentityNotFound, readExisting } from "./existing";
import { describeRemoval, RemovalRefused, removeSecrets, secretsToRemove } from "./removeSecrets";
import { writeAdoptKey } from "./stackKey";
import { deployerCredential } from "../azure/credential";
import { AzureReader, AzureRequestError, GRAPH } from "../azure/rest";
import { runCommand, UsageError } from "../../common/cliArgs";
import { PROJECT_ROOT, readProject, readStackFile, StackFileError } from "../stacks/stackFiles";

const USAGE = "usage: npm run adopt -- --stack NAME --client-id APP_ID [--write] [--accept-clearing] [--root DIR]\n" +
    "       npm run adopt -- --stack NAME --remove-secrets KEY_ID... [--yes] [--root DIR]";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AdoptIo {
    readonly root: string;
    readonly env: NodeJS.ProcessEnv;
    readonly out: (text: string) => void;
    readonly err: (text: string) => void;
    /** Asks a yes/no question on the terminal; undefined when there is none. */
    readonly confirm: ((question: string) => Promise<boolean>) | undefined;
}

export async function main(argv: readonly string[], io: AdoptIo = defaultIo()): Promise<number> {
    let values, positionals: string[];
    try {
        ({ values, positionals } = parseArgs({
            args: [...argv], allowPositionals: true,
            options: {
                stack: { type: "string" }, root: { type: "string" }, "client-id": { type: "string" }, write: { type: "boolean" },
                "accept-clearing": { type: "boolean" }, "remove-secrets": { type: "boolean" }, yes: { type: "boolean" }, help: { type: "boolean", short: "h" },
            },
        }));
        if (values.help) {
            io.out(USAGE);
            return 0;
        }
        if (values.stack === undefined) throw new UsageError("--stack is required");
        const removing = values["remove-secrets"] === true;
        if (removing && positionals.length === 0) throw new UsageError("--remove-secrets needs the key IDs to remove");
        if (!removing && positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
        for (const keyId of positionals) if (!GUID.test(keyId)) throw new UsageError(`${JSON.stringify(keyId)} is not a key ID (a GUID)`);
        const clientId = values["client-id"];
        if (!removing && clientId === undefined) throw new UsageError("--client-id is required (the app's Application (client) ID)");
        if (clientId !== undefined && !GUID.test(clientId)) throw new UsageError(`--client-id ${JSON.stringify(clientId)} is not a GUID`);
        if (removing && values.write) throw new UsageError("--write goes with --client-id, not --remove-secrets");
        if (removing && values["accept-clearing"]) throw new UsageError("--accept-clearing goes with --client-id, not --remove-secrets");
    } catch (error) {
        io.err(`adopt: ${(error as Error).message}\n${USAGE}`);
        return 2;
    }

    try {
        const project = readProject(values.root ?? io.root);
        const file = readStackFile(project, values.stack);
        const config = parseStackConfig(project.name, values.stack, file.config, { keysAsWritten: file.keysAsWritten });
        if (config.developers.length > 0) throw new UsageError(`stack ${values.stack} has developers' identities; adopt an environment's stack`);
        const { credential } = deployerCredential(io.env);
        const reader = new AzureReader(credential);
        if (values["remove-secrets"] === true) return await remove(reader, config, positionals, values.yes === true, io);

        const existing = await readExisting(reader, values["client-id"]!, config.subscriptionId,
            [...new Set(config.roleAssignments.map((grant) => grant.resourceGroup))]);
        const token = await credential.getToken(GRAPH.scope);
        if (token === null) throw new Error("the deploying identity got no token for Graph");
        const comparison = compareIdentity(config, existing, objectIdOf(token.token), { acceptClearing: values["accept-clearing"] === true });
        io.out(renderComparison(comparison, config.stackFile, values["client-id"]!));
        if (values.write && comparison.ok) {
            await writeAdoptKey(file.path, project.name, comparison.adopt);
            io.out(`wrote ${project.name}:adopt into ${config.stackFile}: run pulumi preview --stack ${config.stack} next`);
        }
        return comparison.ok ? 0 : 1;
    } catch (error) {
        if (error instanceof RemovalRefused) {
            io.err(`adopt: ${error.message}`);
            return 1;
        }
        if (error instanceof ConfigError || error instanceof StackFileError || error instanceof UsageError ||
            error instanceof IdentityNotFound || error instanceof AzureRequestError) {
            io.err(`adopt: ${error.message}`);
            return 2;
        }
        throw error;
    }
}

async function remove(reader: AzureReader, config: StackConfig, keyIds: readonly string[], yes: boolean, io: AdoptIo): Promise<number> {
    const objectId = config.adopt?.application;
    if (objectId === undefined) {
        throw new UsageError(`${config.stackFile} adopts no app (no adopt key): there is no hand-made secret to remove`);
    }
    const app = await reader.get<{ passwordCredentials?: { keyId: string; displayName?: string | null; endDateTime: string }[] }>(
        GRAPH, `/v1.0/applications/${objectId}`);
    const identity = displayNameOf(config.appName, config.environment);
    const secrets = secretsToRemove((app.passwordCredentials ?? []).map(({ keyId, displayName, endDateTime }) =>
        ({ keyId: keyId.toLowerCase(), displayName: displayName ?? null, endDateTime })), keyIds, identity);
    io.out(describeRemoval(secrets, identity));
    if (!yes) {
        if (io.confirm === undefined) throw new UsageError("not a terminal, so no one can confirm: pass --yes to remove them");
        if (!await io.confirm("Remove them? [y/N] ")) {
            io.out("nothing removed");
            return 1;
        }
    }
    await removeSecrets(reader, objectId, secrets);
    io.out(`removed ${secrets.map((secret) => secret.keyId).join(", ")}`);
    return 0;
}

/** The `oid` claim of the deployer's own access token: who it is, as the providers' getClientConfig reads it. */
function objectIdOf(token: string): string {
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { oid?: unknown };
    if (typeof payload.oid !== "string") throw new Error("the deploying identity's Graph token has no oid claim");
    return payload.oid;
}

function defaultIo(): AdoptIo {
    return {
        root: PROJECT_ROOT, env: process.env,
        out: (text) => console.log(text), err: (text) => console.error(text),
        confirm: process.stdin.isTTY ? async (question) => {
            const prompt = createInterface({ input: process.stdin, output: process.stdout });
            try {
                return /^y(es)?$/i.test((await prompt.question(question)).trim());
            } finally {
                prompt.close();
            }
        } : undefined,
    };
}

if (require.main === module) runCommand("adopt", (argv) => main(argv), 2);
