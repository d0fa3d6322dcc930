/**
 * The env file of a federated identity: the client ID, the tenant, and the path of the token file that the server's
 * issuer (a Kubernetes projected service-account token, a SPIRE agent's JWT-SVID, a token-issuing agent) keeps
 * fresh. azure-identity's WorkloadIdentityCredential, inside DefaultAzureCredential, reads AZURE_CLIENT_ID,
 * AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE, and reads the file again as its token ages
 * (azure/identity/_credentials/workload_identity.py). Nothing in it is secret, and nothing expires.
 */
import { isAbsolute } from "node:path";
import { EnvFileError, outputReaders, renderLines, sanitizeComment } from "./envFile";

export interface FederatedIdentity {
    readonly displayName: string;
    readonly clientId: string;
    readonly tenantId: string;
    readonly subjects: readonly string[];
}

export function signsInFederated(identityOutputs: Record<string, unknown>): boolean {
    return identityOutputs["credential"] === "federated";
}

export function federatedIdentityFromOutputs(outputs: Record<string, unknown>, origin: string): FederatedIdentity {
    const { text, guid } = outputReaders(outputs, origin);
    const credentials = outputs["federatedCredentials"];
    if (!Array.isArray(credentials) || credentials.length === 0) {
        throw new EnvFileError(`the outputs of ${origin} have no 'federatedCredentials'; expected the outputs of this project's stack`);
    }
    return {
        displayName: text("displayName"),
        clientId: guid("clientId"),
        tenantId: guid("tenantId"),
        subjects: credentials.map((entry) => String((entry as Record<string, unknown>)["subject"])),
    };
}

/** An absolute path: the service reads it from its own working directory, which the env file does not know. */
export function checkTokenFilePath(path: string): void {
    if (!isAbsolute(path)) {
        throw new EnvFileError(`--token-file is ${JSON.stringify(path)}; expected the token file's absolute path on the server, ` +
            "such as /var/run/secrets/azure/tokens/azure-identity-token");
    }
}

export function renderFederatedEnvFile(identity: FederatedIdentity, origin: string, tokenFile: string): string {
    return renderLines([
        `# Microsoft Entra ID identity ${sanitizeComment(identity.displayName)}, from ${sanitizeComment(origin)}.`,
        "# No client secret: it signs in with the token in AZURE_FEDERATED_TOKEN_FILE, which the server's issuer keeps",
        `# fresh, for the subject ${sanitizeComment(identity.subjects.join(" or "))}. Nothing here expires. Written by 'npm run env-file'.`,
    ], [
        ["AZURE_CLIENT_ID", identity.clientId],
        ["AZURE_TENANT_ID", identity.tenantId],
        ["AZURE_FEDERATED_TOKEN_FILE", tokenFile],
    ]);
}
