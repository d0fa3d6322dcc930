/**
 * The env file of an identity that signs in with a certificate: AZURE_CLIENT_CERTIFICATE_PATH, the server's PEM
 * holding the private key and the certificate, in place of AZURE_CLIENT_SECRET. EnvironmentCredential takes a
 * secret before a certificate when both are set (azure-identity, azure/identity/_credentials/environment.py), so a
 * file never carries both. The same `KEY='value'` form as tools/envFile/envFile.ts.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { EnvFileError, outputReaders, renderLines, sanitizeComment as comment } from "./envFile";

export interface CertificateIdentity {
    readonly clientId: string;
    readonly tenantId: string;
    readonly subscriptionId: string;
    readonly displayName: string;
    /** Upper-case SHA-1 thumbprints of the certificates registered on the app, newest first. */
    readonly thumbprints: readonly string[];
    readonly certificateExpiresAt: string;
    readonly certificateDueAt: string;
}

/** The identity's outputs (an environment's, or one developer's with the stack's tenant and subscription). */
export function identityOutputsOf(outputs: Record<string, unknown>, developer?: string): Record<string, unknown> {
    const developers = outputs["developers"];
    if (developer === undefined || developers === null || typeof developers !== "object") return outputs;
    const entry = (developers as Record<string, unknown>)[developer];
    return entry !== null && typeof entry === "object"
        ? { ...(entry as Record<string, unknown>), tenantId: outputs["tenantId"], subscriptionId: outputs["subscriptionId"] }
        : {};
}

export function signsInWithCertificate(identityOutputs: Record<string, unknown>): boolean {
    return identityOutputs["credential"] === "certificate";
}

/** An identity with certificates that still has its secrets, during a move (keepSecretsUntilSwitched). */
export function keepsSecrets(identityOutputs: Record<string, unknown>): boolean {
    return Array.isArray(identityOutputs["secrets"]);
}

export function certificateIdentityFromOutputs(identityOutputs: Record<string, unknown>, origin: string): CertificateIdentity {
    const { text, guid } = outputReaders(identityOutputs, origin);
    const certificates = identityOutputs["certificates"];
    if (!Array.isArray(certificates) || certificates.length === 0) {
        throw new EnvFileError(`the outputs of ${origin} have no 'certificates'; expected the outputs of this project's stack`);
    }
    return {
        clientId: guid("clientId"), tenantId: guid("tenantId"), subscriptionId: guid("subscriptionId"),
        displayName: text("displayName"), certificateExpiresAt: text("certificateExpiresAt"), certificateDueAt: text("certificateDueAt"),
        thumbprints: certificates.map((certificate) => String((certificate as Record<string, unknown>)["thumbprint"])),
    };
}

/**
 * The server's PEM must be there, hold a private key, and certify one of the registered certificates: an env file
 * pointing at another file would fail at the first sign-in, long after it was written.
 */
export function checkCertificateFile(path: string, identity: CertificateIdentity): void {
    if (!isAbsolute(path)) {
        throw new EnvFileError(`--certificate-path is ${JSON.stringify(path)}; expected an absolute path (a service's working directory is its own)`);
    }
    let text: string;
    try {
        text = readFileSync(path, "utf8");
    } catch (error) {
        throw new EnvFileError(`cannot read ${path}: ${(error as Error).message}; expected the server's file from 'npm run certificate -- new'`);
    }
    if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
        throw new EnvFileError(`${path} holds no private key; expected the server's file (private key and certificate) from 'npm run certificate -- new'`);
    }
    const block = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(text);
    let thumbprint: string | undefined;
    try {
        thumbprint = block === null ? undefined : new X509Certificate(block[0]).fingerprint.replaceAll(":", "");
    } catch {
        thumbprint = undefined;
    }
    if (thumbprint === undefined || !identity.thumbprints.includes(thumbprint)) {
        throw new EnvFileError(`${path} holds the certificate ${thumbprint ?? "(none readable)"}; expected one registered on ` +
            `${identity.displayName}: ${identity.thumbprints.join(", ")}`);
    }
}

export function renderCertificateEnvFile(identity: CertificateIdentity, origin: string, certificatePath: string): string {
    return renderLines([
        `# Microsoft Entra ID identity ${comment(identity.displayName)}, from ${comment(origin)}; it signs in with a certificate.`,
        `# The newest certificate expires ${comment(identity.certificateExpiresAt)}; the next is due ${comment(identity.certificateDueAt)}: ` +
            "make it with 'npm run certificate -- new', then write this file again.",
        "# Written by 'npm run env-file'. Keep it mode 0600, readable by the service's user only.",
    ], [
        ["AZURE_CLIENT_ID", identity.clientId],
        ["AZURE_TENANT_ID", identity.tenantId],
        ["AZURE_CLIENT_CERTIFICATE_PATH", certificatePath],
        ["AZURE_SUBSCRIPTION_ID", identity.subscriptionId],
    ]);
}
