/**
 * A certificate identity's revoke must not register again a key the old app held: when a credential leaks, the key
 * that signs is what leaked, and a certificate (even a new one) over that key would let it sign in to the new app.
 * So revoke compares public keys, not thumbprints: the keys of the certificates the program would register
 * (the committed public halves) against the keys of every certificate Entra holds on the old app
 * (`GET /v1.0/applications/{id}?$select=keyCredentials`: a single object's keyCredentials carry `key`, the
 * certificate's DER in base64, Microsoft Graph "keyCredential resource type"; Application.ReadWrite.OwnedBy reads the
 * apps the deployer owns).
 */
import { X509Certificate } from "node:crypto";
import { AzureReader, GRAPH } from "../azure/rest";
import { deployerCredential } from "../azure/credential";

/** A certificate the program would register: where it is committed, and its PEM. */
export interface PlannedCertificate {
    readonly file: string;
    readonly pem: string;
}

/** The certificate's public key (SubjectPublicKeyInfo, DER, base64): what signs, whatever the certificate around it. */
export function publicKeyOf(certificate: string | Buffer): string {
    return new X509Certificate(certificate).publicKey.export({ type: "spki", format: "der" }).toString("base64");
}

/** The planned certificates whose key is one of `held` (certificates as DER base64). */
export function reusedKeys(planned: readonly PlannedCertificate[], held: readonly string[]): PlannedCertificate[] {
    const keys = new Set(held.map((der) => publicKeyOf(Buffer.from(der, "base64"))));
    return planned.filter((certificate) => keys.has(publicKeyOf(certificate.pem)));
}

/** Reads the certificates (DER base64) Entra holds on an app, as the deploying identity. */
export type ReadHeldCertificates = (appObjectId: string) => Promise<string[]>;

export function graphHeldCertificates(env: NodeJS.ProcessEnv = process.env): ReadHeldCertificates {
    let reader: AzureReader | undefined;
    return async (appObjectId) => {
        reader ??= new AzureReader(deployerCredential(env).credential);
        const app = await reader.get<{ keyCredentials?: { key?: string | null }[] }>(GRAPH,
            `/v1.0/applications/${appObjectId}?$select=keyCredentials`);
        return (app.keyCredentials ?? []).map((credential) => credential.key).filter((key): key is string => typeof key === "string");
    };
}
