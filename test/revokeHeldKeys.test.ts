/**
 * Issue 24, defect 2: revoke of a certificate identity refuses to register again a key the old app held
 * (tools/revoke/heldKeys.ts). Keys, not thumbprints: a new certificate made over the leaked key signs with it too.
 */
import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { makeSelfSigned } from "../tools/certificate/selfSigned";
import { publicKeyOf, reusedKeys } from "../tools/revoke/heldKeys";

const der = (pem: string) => new X509Certificate(pem).raw.toString("base64");
const old = makeSelfSigned({ commonName: "inventory-api-dev", notBefore: new Date("2026-07-10T00:00:00Z"), notAfter: new Date("2027-07-10T00:00:00Z") });
const sameKey = makeSelfSigned({ commonName: "inventory-api-dev", notBefore: new Date("2027-01-10T00:00:00Z"),
    notAfter: new Date("2028-01-10T00:00:00Z"), privateKeyPem: old.privateKeyPem });
const fresh = makeSelfSigned({ commonName: "inventory-api-dev", notBefore: new Date("2026-07-10T00:00:00Z"), notAfter: new Date("2027-07-10T00:00:00Z") });

describe("reusedKeys", () => {
    it("names the committed certificate whose key the old app holds", () => {
        const planned = [{ file: "stacks/certificates/inventory-api-dev/2026-07-10.pem", pem: old.certificatePem }];
        expect(reusedKeys(planned, [der(old.certificatePem)])).toEqual(planned);
    });

    it("refuses a different certificate over the same key: its thumbprint differs, its key does not", () => {
        expect(new X509Certificate(sameKey.certificatePem).fingerprint).not.toBe(new X509Certificate(old.certificatePem).fingerprint);
        expect(publicKeyOf(sameKey.certificatePem)).toBe(publicKeyOf(old.certificatePem));
        const planned = [{ file: "stacks/certificates/inventory-api-dev/2027-01-10.pem", pem: sameKey.certificatePem }];
        expect(reusedKeys(planned, [der(old.certificatePem)])).toEqual(planned);
    });

    it("lets a new key pair through, and names only the reused one of two", () => {
        const planned = [
            { file: "stacks/certificates/inventory-api-dev/2026-07-10.pem", pem: fresh.certificatePem },
            { file: "stacks/certificates/inventory-api-dev/2027-01-10.pem", pem: sameKey.certificatePem },
        ];
        expect(reusedKeys(planned, [der(old.certificatePem)]).map((certificate) => certificate.file))
            .toEqual(["stacks/certificates/inventory-api-dev/2027-01-10.pem"]);
        expect(reusedKeys(planned.slice(0, 1), [der(old.certificatePem)])).toEqual([]);
    });
});
