/**
 * A key pair and a self-signed certificate with exact dates, made with Debian's openssl.
 *
 * OpenSSL 3.0 (Debian 12's) sets explicit validity dates only through `openssl ca` (`-startdate`/`-enddate`;
 * `req -x509` and `x509` know only `-days` from now, and `-not_before`/`-not_after` came in 3.4), so this runs a
 * throw-away `ca` with `-selfsign` in a private temporary directory. RSA 2048: what Entra's client assertions
 * (RS256/PS256) and azure-identity's CertificateCredential take.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SelfSignedOptions {
    /** The certificate's subject common name, such as the identity's display name. */
    readonly commonName: string;
    readonly notBefore: Date;
    readonly notAfter: Date;
    /** An existing private key (PEM) to certify; a new RSA 2048 key when unset. */
    readonly privateKeyPem?: string;
}

export interface SelfSigned {
    /** PKCS#8 PEM: secret, for the server only. */
    readonly privateKeyPem: string;
    /** The public certificate, PEM. */
    readonly certificatePem: string;
}

const CA_CONFIG = [
    "[ca]", "default_ca = self",
    "[self]", "database = index.txt", "new_certs_dir = .", "serial = serial", "default_md = sha256", "policy = any",
    "unique_subject = no", "email_in_dn = no",
    "[any]", "commonName = supplied",
].join("\n");

/** `YYYYMMDDHHMMSSZ`, openssl's GeneralizedTime form for -startdate/-enddate. */
export function opensslTime(date: Date): string {
    return date.toISOString().replace(/[-:T]/g, "").replace(/\.\d{3}Z$/, "Z");
}

export function makeSelfSigned(options: SelfSignedOptions): SelfSigned {
    if (!/^[A-Za-z0-9._ -]{1,64}$/.test(options.commonName)) {
        throw new Error(`the common name ${JSON.stringify(options.commonName)} needs 1-64 letters, digits, '.', '_', ' ' or '-'`);
    }
    const dir = mkdtempSync(join(tmpdir(), "app-identity-certificate-"));
    try {
        const file = (name: string) => join(dir, name);
        const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
        if (options.privateKeyPem === undefined) {
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", file("key.pem"));
        } else {
            writeFileSync(file("key.pem"), options.privateKeyPem, { mode: 0o600 });
        }
        writeFileSync(file("ca.cnf"), CA_CONFIG);
        writeFileSync(file("index.txt"), "");
        // A random serial: two certificates of one identity must never share issuer and serial.
        openssl("rand", "-hex", "-out", file("serial"), "16");
        openssl("req", "-new", "-key", file("key.pem"), "-subj", `/CN=${options.commonName}`, "-out", file("request.csr"));
        openssl("ca", "-batch", "-selfsign", "-config", file("ca.cnf"), "-keyfile", file("key.pem"), "-in", file("request.csr"),
            "-startdate", opensslTime(options.notBefore), "-enddate", opensslTime(options.notAfter), "-notext",
            "-out", file("certificate.pem"));
        return { privateKeyPem: readFileSync(file("key.pem"), "utf8"), certificatePem: readFileSync(file("certificate.pem"), "utf8") };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
