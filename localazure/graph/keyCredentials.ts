/**
 * An application's certificates as Graph v1.0 keeps them in `keyCredentials` (keyCredential resource type,
 * learn.microsoft.com/graph/api/resources/keycredential): type "AsymmetricX509Cert", usage "Verify", `key` the
 * base64 of the certificate's DER, `customKeyIdentifier` its SHA-1 thumbprint in upper-case hex. The token endpoint
 * reads them to find the certificate a client assertion names by thumbprint.
 */
import { createHash, X509Certificate } from "node:crypto";

export interface KeyCredentialRecord {
    readonly keyId: string;
    readonly type: "AsymmetricX509Cert";
    readonly usage: "Verify";
    /** base64 of the certificate's DER. */
    readonly key: string;
    /** The certificate's SHA-1 thumbprint, upper-case hex. */
    readonly customKeyIdentifier: string;
    readonly displayName: string | null;
    readonly startDateTime: string;
    readonly endDateTime: string;
}

/** How a JWT header names its certificate (RFC 7515 §4.1.7, §4.1.8): `x5t` SHA-1, `x5t#S256` SHA-256, base64url. */
export interface Thumbprint {
    readonly algorithm: "sha1" | "sha256";
    readonly value: Buffer;
}

/** The registered certificate whose DER has this thumbprint; the key itself is hashed, as a verifier must. */
export function findKeyCredential(records: readonly KeyCredentialRecord[], thumbprint: Thumbprint): KeyCredentialRecord | undefined {
    return records.find((record) => record.type === "AsymmetricX509Cert" && record.usage === "Verify" &&
        createHash(thumbprint.algorithm).update(certificateOf(record).raw).digest().equals(thumbprint.value));
}

/**
 * The certificate a keyCredential holds. Its `key` is base64 of the DER, or of the PEM text: terraform-provider-azuread
 * sends the latter for `encoding = "pem"` (internal/helpers/credentials/credentials.go, KeyCredentialForResource),
 * and Graph takes both; node:crypto reads either.
 */
export function certificateOf(record: KeyCredentialRecord): X509Certificate {
    return new X509Certificate(Buffer.from(record.key, "base64"));
}

/** The SHA-1 thumbprint Graph stores as customKeyIdentifier, for a DER certificate. */
export function sha1Thumbprint(der: Buffer): string {
    return createHash("sha1").update(der).digest("hex").toUpperCase();
}
