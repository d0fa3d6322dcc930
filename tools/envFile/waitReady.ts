/**
 * `--wait-ready`: prove the env file's credential before a server uses it. Entra is eventually consistent: a new
 * secret may be refused for a minute or two (AADSTS7000215), a new certificate or app may not be found yet
 * (AADSTS700027, 700016), a new federated credential may not match yet (AADSTS70021, 700213) (GUIDE section 7;
 * terraform-provider-azuread waits on addPassword for the same reason). A server restarted at once on the new file
 * would fail until then. So the file is written only once the very credential it holds signs in, through the Azure
 * SDK's own credentials (@azure/identity: ClientSecretCredential, ClientCertificateCredential,
 * WorkloadIdentityCredential, as DefaultAzureCredential builds them from these variables), with backoff, bounded,
 * saying what it waits for. A refusal that replication does not explain (a wrong tenant, a disabled app) is not
 * waited on.
 */
import { ClientCertificateCredential, ClientSecretCredential, WorkloadIdentityCredential, type TokenCredential } from "@azure/identity";

/** What the server's SDK asks for first in this project: Blob Storage. */
const SCOPE = "https://storage.azure.com/.default";
/** Entra's answers while a new credential replicates (Microsoft identity platform error codes). */
const REPLICATING = [7000215, 700016, 700027, 70021, 700213];

export interface WaitOptions {
    readonly timeoutSeconds: number;
    readonly print: (line: string) => void;
    readonly sleep?: (milliseconds: number) => Promise<void>;
    readonly now?: () => number;
}

export class NotReadyError extends Error {}

/** The credential DefaultAzureCredential's EnvironmentCredential or WorkloadIdentityCredential makes of these variables. */
export function credentialOf(variables: Readonly<Record<string, string>>): TokenCredential | undefined {
    const { AZURE_TENANT_ID: tenant, AZURE_CLIENT_ID: client } = variables;
    if (tenant === undefined || client === undefined) return undefined;
    if (variables["AZURE_CLIENT_SECRET"] !== undefined) return new ClientSecretCredential(tenant, client, variables["AZURE_CLIENT_SECRET"]);
    if (variables["AZURE_CLIENT_CERTIFICATE_PATH"] !== undefined) {
        return new ClientCertificateCredential(tenant, client, { certificatePath: variables["AZURE_CLIENT_CERTIFICATE_PATH"] });
    }
    if (variables["AZURE_FEDERATED_TOKEN_FILE"] !== undefined) {
        return new WorkloadIdentityCredential({ tenantId: tenant, clientId: client, tokenFilePath: variables["AZURE_FEDERATED_TOKEN_FILE"] });
    }
    return undefined;
}

/** The AADSTS code of a refused sign-in, as @azure/identity reports it (AuthenticationError's message holds Entra's). */
export function entraCode(error: unknown): number | undefined {
    const text = error instanceof Error ? error.message : String(error);
    const match = /AADSTS(\d+)/.exec(text);
    return match === null ? undefined : Number(match[1]);
}

/**
 * Signs in with `credential` until Entra accepts it: 2 s, then twice as long each time up to 30 s, within
 * `timeoutSeconds`. Throws NotReadyError with Entra's last answer when time runs out or the refusal is not one
 * replication explains.
 */
export async function waitUntilAccepted(credential: TokenCredential, what: string, options: WaitOptions): Promise<number> {
    const sleep = options.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
    const now = options.now ?? (() => Date.now());
    const deadline = now() + options.timeoutSeconds * 1000;
    let delay = 2000;
    for (let attempt = 1; ; attempt++) {
        try {
            await credential.getToken(SCOPE);
            options.print(`env-file: Entra accepts ${what} (attempt ${attempt})`);
            return attempt;
        } catch (error) {
            const code = entraCode(error);
            if (code === undefined || !REPLICATING.includes(code)) {
                throw new NotReadyError(`Entra refuses ${what}${code === undefined ? "" : ` (AADSTS${code})`}, which no wait mends: ` +
                    `${firstLine(error)}; the file was not written`);
            }
            if (now() + delay > deadline) {
                throw new NotReadyError(`Entra still refuses ${what} after ${options.timeoutSeconds} s (AADSTS${code}); the file was not ` +
                    "written: run again later, or with a longer --wait-seconds");
            }
            options.print(`env-file: waiting for Entra to accept ${what}: AADSTS${code} (a new credential takes a minute or two ` +
                `to reach every Entra region), attempt ${attempt}, next in ${delay / 1000} s`);
            await sleep(delay);
            delay = Math.min(delay * 2, 30_000);
        }
    }
}

function firstLine(error: unknown): string {
    return (error instanceof Error ? error.message : String(error)).split("\n")[0]!.trim();
}
