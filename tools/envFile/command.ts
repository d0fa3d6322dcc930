/**
 * `npm run env-file -- (--stack NAME | --from FILE|-) [--developer NAME] [--out PATH] [--stdout]`
 *
 * Turns a stack's outputs into the env file DefaultAzureCredential reads. With --out the file is written
 * atomically with mode 0600; without it, the file goes to standard output only when that is not a terminal or
 * with --stdout, so a secret does not land in a scrollback by accident. Exit 0 on success, 1 on an error, 2 for a
 * usage mistake. It never prints the secret anywhere but into the file, or the pipe, asked for.
 * `--wait-ready [--wait-seconds 300]` writes nothing until the credential in the file signs in (tools/envFile/waitReady.ts).
 */
import { parseArgs } from "node:util";
import { AtomicWriteError, writeFileAtomically } from "../../common/atomicWrite";
import { describeSource, OUTPUTS_SOURCE_OPTIONS, type OutputsSourceArgs, outputsSourceFrom, runCommand, UsageError } from "../../common/cliArgs";
import { EnvFileError, identityFromOutputs, managedIdentityFromOutputs, renderEnvFile, renderManagedIdentityEnvFile } from "./envFile";
import {
    certificateIdentityFromOutputs, checkCertificateFile, identityOutputsOf, keepsSecrets, renderCertificateEnvFile,
    signsInWithCertificate,
} from "./certificate";
import { checkTokenFilePath, federatedIdentityFromOutputs, renderFederatedEnvFile, signsInFederated } from "./federated";
import { OutputsError, readStackOutputs } from "../stacks/stackOutputs";
import { credentialOf, NotReadyError, waitUntilAccepted } from "./waitReady";

const USAGE = "usage: npm run env-file -- (--stack NAME | --from FILE|-) [--developer NAME] [--certificate-path PATH] [--token-file PATH] [--managed-identity] [--out PATH] [--stdout] [--wait-ready [--wait-seconds 300]]";

export interface Terminal {
    /** Whether standard output is a terminal. */
    readonly stdoutIsTerminal: boolean;
    readonly writeStdout: (text: string) => void;
}

const processTerminal: Terminal = {
    stdoutIsTerminal: process.stdout.isTTY === true,
    writeStdout: (text) => { process.stdout.write(text); },
};

export async function main(argv: readonly string[], terminal: Terminal = processTerminal): Promise<number> {
    let source: OutputsSourceArgs, out: string | undefined, toStdout: boolean, developer: string | undefined;
    let certificatePath: string | undefined, tokenFile: string | undefined, managedOnly: boolean;
    let waitSeconds: number | undefined;
    try {
        const { values } = parseArgs({
            args: [...argv],
            options: {
                ...OUTPUTS_SOURCE_OPTIONS,
                developer: { type: "string" },
                "certificate-path": { type: "string" },
                // A federated identity's token file on the server (tools/envFile/federated.ts).
                "token-file": { type: "string" },
                // During a move to a managed identity (docs/managed-identity.md): the file the switched server reads.
                "managed-identity": { type: "boolean", default: false },
                out: { type: "string" },
                stdout: { type: "boolean", default: false },
                "wait-ready": { type: "boolean", default: false },
                "wait-seconds": { type: "string" },
                help: { type: "boolean", short: "h" },
            },
        });
        if (values.help) {
            console.log(USAGE);
            return 0;
        }
        source = outputsSourceFrom(values);
        out = values.out;
        toStdout = values.stdout;
        developer = values.developer;
        certificatePath = values["certificate-path"];
        tokenFile = values["token-file"];
        if (tokenFile !== undefined && certificatePath !== undefined) {
            throw new UsageError("--token-file and --certificate-path: an env file carries one credential, never two");
        }
        managedOnly = values["managed-identity"];
        if (managedOnly && developer !== undefined) throw new UsageError("--managed-identity and --developer: developers have no managed identity");
        if (managedOnly && certificatePath !== undefined) {
            throw new UsageError("--managed-identity and --certificate-path: a managed identity's file carries no credential");
        }
        if (out !== undefined && toStdout) throw new UsageError("--out and --stdout name two destinations; give one");
        if (values["wait-seconds"] !== undefined && !values["wait-ready"]) throw new UsageError("--wait-seconds goes with --wait-ready");
        if (values["wait-ready"]) {
            const text = values["wait-seconds"] ?? "300";
            if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 3600) {
                throw new UsageError(`--wait-seconds is ${JSON.stringify(text)}; expected a whole number of seconds from 1 to 3600`);
            }
            waitSeconds = Number(text);
        }
    } catch (error) {
        console.error(`env-file: ${(error as Error).message}`);
        return 2;
    }

    const origin = describeSource(source);
    try {
        if (out === undefined && !toStdout && terminal.stdoutIsTerminal) {
            // Said before the outputs are read, so for every kind: a federated or managed identity's file holds no
            // secret, but the check does not ask Pulumi for the stack's secrets to find out.
            throw new UsageError("standard output is a terminal and an env file can hold a client secret: " +
                "write it with --out PATH, or pass --stdout if you mean it");
        }
        const outputs = await readStackOutputs(source, { showSecrets: true });
        const { content, wrote } = envFileFor(outputs, origin, developer, { certificatePath, tokenFile }, managedOnly);
        if (waitSeconds !== undefined) await waitForCredential(content, wrote, waitSeconds);
        if (out === undefined) {
            terminal.writeStdout(content);
        } else {
            await writeFileAtomically(out, content);
            console.error(`env-file: wrote ${out} (mode 0600) for ${wrote}`);
        }
        return 0;
    } catch (error) {
        if (error instanceof OutputsError || error instanceof EnvFileError || error instanceof AtomicWriteError ||
            error instanceof UsageError || error instanceof NotReadyError) {
            console.error(`env-file: ${error.message}`);
            return 1;
        }
        const code = (error as NodeJS.ErrnoException).code;
        if (typeof code === "string") {
            console.error(`env-file: cannot write ${out ?? "the file"}: ${(error as Error).message}`);
            return 1;
        }
        throw error;
    }
}

/** With --wait-ready: the file's own credential, signed in with until Entra accepts it; a managed identity has none to wait for. */
async function waitForCredential(content: string, wrote: string, timeoutSeconds: number): Promise<void> {
    const variables = Object.fromEntries([...content.matchAll(/^([A-Z_]+)='([^']*)'$/gm)].map((match) => [match[1]!, match[2]!]));
    const credential = credentialOf(variables);
    if (credential === undefined) {
        console.error("env-file: nothing to wait for: a managed identity's credential is the platform's");
        return;
    }
    const what = variables["AZURE_CLIENT_SECRET"] !== undefined ? "the client secret"
        : variables["AZURE_CLIENT_CERTIFICATE_PATH"] !== undefined ? "the certificate" : "the federated token";
    await waitUntilAccepted(credential, `${what} of ${wrote.split(";")[0]!}`, { timeoutSeconds, print: (line) => console.error(line) });
}

/** The file's text, and what the line after writing it says: one kind of credential per file, never two. */
function envFileFor(outputs: Record<string, unknown>, origin: string, developer: string | undefined,
    paths: { certificatePath: string | undefined; tokenFile: string | undefined }, managedOnly: boolean): { content: string; wrote: string } {
    const { certificatePath, tokenFile } = paths;
    const managed = developer === undefined ? managedIdentityFromOutputs(outputs, origin, managedOnly) : undefined;
    if (managed !== undefined) {
        if (certificatePath !== undefined || tokenFile !== undefined) {
            throw new UsageError(`${origin} runs under a managed identity; ${certificatePath !== undefined ? "--certificate-path is for " +
                "an identity with certificates" : "--token-file is for a federated identity"}`);
        }
        return { content: renderManagedIdentityEnvFile(managed, origin),
            wrote: `${managed.displayName}; no client secret: it runs under ${managed.kind === "userAssigned"
                ? `the user-assigned managed identity ${managed.clientId!} (AZURE_CLIENT_ID)` : "the Arc agent's managed identity"}` };
    }
    const identityOutputs = identityOutputsOf(outputs, developer);
    // Like certificates: while the secrets are kept (keepSecretsUntilSwitched), --token-file asks for the federated file.
    if (signsInFederated(identityOutputs) && (tokenFile !== undefined || !keepsSecrets(identityOutputs))) {
        if (tokenFile === undefined) {
            throw new UsageError(`${origin} signs in with federated credentials: give the path of the token file its issuer ` +
                "keeps on the server with --token-file PATH");
        }
        checkTokenFilePath(tokenFile);
        const identity = federatedIdentityFromOutputs(identityOutputs, origin);
        return { content: renderFederatedEnvFile(identity, origin, tokenFile),
            wrote: `${identity.displayName}; it signs in with the token in ${tokenFile}` };
    }
    if (tokenFile !== undefined) {
        throw new UsageError(`${origin} does not sign in with federated credentials; --token-file is for a federated identity`);
    }
    // While a stack keeps its secrets until every server is switched (keepSecretsUntilSwitched), the identity has
    // both: --certificate-path asks for the certificate's file, its absence for the secret's, never both in one.
    if (signsInWithCertificate(identityOutputs) && (certificatePath !== undefined || !keepsSecrets(identityOutputs))) {
        if (certificatePath === undefined) {
            throw new UsageError(`${origin}${developer === undefined ? "" : ` (developer ${developer})`} signs in with a ` +
                "certificate: give the server's key and certificate file with --certificate-path PATH");
        }
        const identity = certificateIdentityFromOutputs(identityOutputs, origin);
        checkCertificateFile(certificatePath, identity);
        return { content: renderCertificateEnvFile(identity, origin, certificatePath),
            wrote: `${identity.displayName}; it signs in with ${certificatePath}` };
    }
    if (certificatePath !== undefined) {
        throw new UsageError(`${origin} signs in with a client secret; --certificate-path is for an identity with ` +
            "certificates (an env file never carries both)");
    }
    const identity = identityFromOutputs(outputs, origin, developer);
    return { content: renderEnvFile(identity, origin),
        wrote: `${identity.displayName}; its client secret expires ${identity.clientSecretExpiresAt}` };
}

if (require.main === module) runCommand("env-file", main);
