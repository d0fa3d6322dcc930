/**
 * An application's keyCredentials (certificates), as Graph v1.0 stores and shows them
 * (https://learn.microsoft.com/en-us/graph/api/resources/keycredential):
 * - written with PATCH /applications/{id}, the whole collection at once (application-update); an entry whose key is
 *   null keeps the stored credential of that keyId: a client reads the collection (keys null, below), appends and
 *   writes it back, as terraform-provider-azuread's application_certificate_resource.go does;
 * - `key` is "the certificate's raw data in byte array converted to Base64 string" (DER). The provider sends the
 *   base64 of the PEM text for encoding "pem" (internal/helpers/credentials/credentials.go KeyCredentialForResource),
 *   which Graph accepts; it is stored as DER;
 * - `key` is "returned only on $select for a single object ... otherwise, it is always null";
 * - customKeyIdentifier "defaults to the thumbprint of the certificate" (SHA-1, 40 upper-case hex characters);
 * - an end date after the certificate's own is refused, "Key credential end date is invalid." (Azure/azure-cli#11146
 *   and PR #13769: "The server-side does not accept end date ... exceed[ing]" the certificate's); absent dates are
 *   the certificate's.
 * The stored entries are what the local Entra verifies client assertions against (findKeyCredential).
 */
import { createHash, X509Certificate } from "node:crypto";
import { isGuid, newId } from "../secrets";
import { badRequest } from "./errors";
import { graphDateTime } from "./odata";

export interface KeyCredential {
    readonly customKeyIdentifier: string;
    readonly displayName: string | null;
    readonly endDateTime: string;
    /** Base64 DER. */
    readonly key: string;
    readonly keyId: string;
    readonly startDateTime: string;
    readonly type: "AsymmetricX509Cert";
    readonly usage: "Verify";
}

const invalid = (property: string) =>
    badRequest(`Invalid value specified for property '${property}' of resource 'KeyCredential'.`);

/** The application's stored credentials (kept under its properties, where PATCH writes them). */
export function storedKeyCredentials(properties: Record<string, unknown>): KeyCredential[] {
    const value = properties["keyCredentials"];
    return Array.isArray(value) ? value as KeyCredential[] : [];
}

/** The collection a PATCH writes, each entry checked and completed as Graph does. */
export function keyCredentialsFromPatch(stored: readonly KeyCredential[], value: unknown): KeyCredential[] {
    if (!Array.isArray(value)) throw badRequest("Invalid value specified for property 'keyCredentials' of resource 'Application'.");
    const result = value.map((entry: unknown) => {
        if (entry === null || typeof entry !== "object" || Array.isArray(entry)) throw invalid("keyCredentials");
        return keyCredentialOf(stored, entry as Record<string, unknown>);
    });
    const ids = result.map((credential) => credential.keyId.toLowerCase());
    if (new Set(ids).size !== ids.length) throw invalid("keyId");
    return result;
}

function keyCredentialOf(stored: readonly KeyCredential[], entry: Record<string, unknown>): KeyCredential {
    const keyId = entry["keyId"];
    if (keyId !== undefined && keyId !== null && (typeof keyId !== "string" || !isGuid(keyId))) throw invalid("keyId");
    if (entry["key"] === undefined || entry["key"] === null) {
        const kept = stored.find((credential) => typeof keyId === "string" && credential.keyId.toLowerCase() === keyId.toLowerCase());
        if (kept === undefined) throw invalid("key");
        return kept;
    }
    if (entry["type"] !== "AsymmetricX509Cert") throw invalid("type");
    if (entry["usage"] !== "Verify") throw invalid("usage");
    const certificate = certificateFromKey(entry["key"]);
    const notBefore = new Date(certificate.validFrom);
    const notAfter = new Date(certificate.validTo);
    const start = dateOf(entry["startDateTime"], "startDateTime", notBefore);
    const end = dateOf(entry["endDateTime"], "endDateTime", notAfter);
    if (end.getTime() > notAfter.getTime() || end.getTime() <= start.getTime()) {
        throw badRequest("Key credential end date is invalid.");
    }
    const custom = entry["customKeyIdentifier"];
    return {
        customKeyIdentifier: typeof custom === "string" && custom !== "" ? custom : certificate.fingerprint.replaceAll(":", "").toUpperCase(),
        displayName: typeof entry["displayName"] === "string" ? entry["displayName"] : null,
        endDateTime: graphDateTime(end),
        key: certificate.raw.toString("base64"),
        keyId: typeof keyId === "string" ? keyId : newId(),
        startDateTime: graphDateTime(start),
        type: "AsymmetricX509Cert",
        usage: "Verify",
    };
}

/** Base64 of the DER certificate, or of its PEM text. */
function certificateFromKey(key: unknown): X509Certificate {
    if (typeof key !== "string" || !/^[A-Za-z0-9+/]+=*$/.test(key)) throw invalid("key");
    const bytes = Buffer.from(key, "base64");
    try {
        return new X509Certificate(bytes);
    } catch {
        throw invalid("key");
    }
}

function dateOf(value: unknown, name: string, fallback: Date): Date {
    if (value === undefined || value === null) return fallback;
    const date = typeof value === "string" ? new Date(value) : new Date(NaN);
    if (Number.isNaN(date.getTime())) throw invalid(name);
    return date;
}

/** As an application's GET shows them: every key null, unless `withKeys` ($select=keyCredentials on one object). */
export function keyCredentialsView(stored: readonly KeyCredential[], withKeys: boolean): Record<string, unknown>[] {
    return stored.map((credential) => ({ ...credential, key: withKeys ? credential.key : null }));
}

/** What the token endpoint reads: the stored entries. */
export type KeyCredentialRecord = KeyCredential;

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
