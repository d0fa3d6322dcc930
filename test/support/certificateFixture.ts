/** Committed certificates for tests: a project root of their own, one RSA key reused, exact dates. */
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

export function certificateFixture(): CertificateFixture {
    const root = mkdtempSync(join(tmpdir(), "app-identity-certs-"));
    let key: string | undefined;
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
