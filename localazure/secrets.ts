/** Identifiers and client secrets as Entra makes them. */
import { createHash, randomBytes, randomUUID } from "node:crypto";

/**
 * Entra-generated secrets: 40 characters of [A-Za-z0-9~._-] (GUIDE section 1; Microsoft Graph
 * `passwordCredential` resource type, secretText), their hint the first 3 characters.
 */
const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~._-";
export const SECRET_LENGTH = 40;

export function newSecret(): string {
    // Bytes past the last whole multiple of the alphabet's size are skipped, so that every character is as likely.
    const limit = 256 - (256 % SECRET_ALPHABET.length);
    let secret = "";
    while (secret.length < SECRET_LENGTH) {
        for (const byte of randomBytes(SECRET_LENGTH)) {
            if (byte < limit && secret.length < SECRET_LENGTH) secret += SECRET_ALPHABET[byte % SECRET_ALPHABET.length];
        }
    }
    return secret;
}

export function hintOf(secret: string): string {
    return secret.slice(0, 3);
}

export function hashSecret(secret: string): string {
    return createHash("sha256").update(secret, "utf8").digest("hex");
}

export function newId(): string {
    return randomUUID();
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
    return GUID.test(value);
}
