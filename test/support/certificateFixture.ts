/**
 * Committed certificates for tests: a project root of their own, exact dates, and one RSA key for every fixture of
 * the test worker (the program reads only the public certificates; generating a key costs a tenth of a second or more).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { certificatePath } from "../../infra/certificates";
import { makeSelfSigned, type SelfSigned } from "../../tools/certificate/selfSigned";

export interface CertificateFixture {
    readonly root: string;
    /** Writes the public certificate for `displayName`'s rotation of `rotationDay`, and returns it with its key. */
    commit(displayName: string, rotationDay: string, notBefore: string, notAfter: string, extra?: string): SelfSigned;
}

let key: string | undefined;

export function certificateFixture(): CertificateFixture {
    const root = mkdtempSync(join(tmpdir(), "app-identity-certs-"));
    return {
        root,
        commit(displayName, rotationDay, notBefore, notAfter, extra = "") {
            const made = makeSelfSigned({
                commonName: displayName, notBefore: new Date(notBefore), notAfter: new Date(notAfter),
                ...(key === undefined ? {} : { privateKeyPem: key }),
            });
            key = made.privateKeyPem;
            const file = join(root, certificatePath(displayName, new Date(`${rotationDay}T00:00:00Z`)));
            mkdirSync(dirname(file), { recursive: true });
            writeFileSync(file, made.certificatePem + extra);
            return made;
        },
    };
}
