/**
 * App certificates for tests, made as a server would make its own: an RSA key and a self-signed certificate from
 * Debian's openssl, with chosen validity dates (`openssl ca -selfsign -startdate -enddate`, as OpenSSL 3.0's
 * `req -x509` cannot backdate), the server's file (ONE PEM, key then certificate, mode 0600: what
 * AZURE_CLIENT_CERTIFICATE_PATH names for azure-identity's EnvironmentCredential) and the Graph keyCredential that
 * registers it. Plus client assertions signed here with node:crypto, for the cases no real library would send.
 */
import { execFileSync } from "node:child_process";
import { createHash, createPrivateKey, randomUUID, sign, X509Certificate, constants, type KeyObject } from "node:crypto";
import { chmodSync, chownSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha1Thumbprint, type KeyCredentialRecord } from "../../localazure/graph/keyCredentials";

export interface TestCertificate {
    readonly name: string;
    readonly certificatePem: string;
    readonly keyPem: string;
    readonly privateKey: KeyObject;
    readonly der: Buffer;
    /** SHA-1 thumbprint, upper-case hex, as Graph's customKeyIdentifier and the portal show it. */
    readonly thumbprint: string;
    readonly notBefore: Date;
    readonly notAfter: Date;
}

/** openssl's dates for -startdate/-enddate: YYYYMMDDHHMMSSZ. */
const opensslDate = (date: Date) => date.toISOString().replace(/[-:T]/g, "").replace(/\.\d{3}Z$/, "Z");

export function makeCertificate(name: string, notBefore: Date, notAfter: Date): TestCertificate {
    const dir = mkdtempSync(join(tmpdir(), "app-cert-"));
    const file = (each: string) => join(dir, each);
    writeFileSync(file("index.txt"), "");
    writeFileSync(file("serial"), "01\n");
    writeFileSync(file("ca.cnf"), ["[ca]", "default_ca = app", "[app]", `database = ${file("index.txt")}`,
        `new_certs_dir = ${dir}`, `serial = ${file("serial")}`, "default_md = sha256", "policy = any",
        "unique_subject = no", "copy_extensions = none", "[any]", "commonName = supplied", ""].join("\n"));
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${name}`, "-keyout", file("key.pem"), "-out", file("req.pem"));
    openssl("ca", "-batch", "-config", file("ca.cnf"), "-selfsign", "-keyfile", file("key.pem"), "-in", file("req.pem"),
        "-startdate", opensslDate(notBefore), "-enddate", opensslDate(notAfter), "-notext", "-out", file("cert.pem"));
    const certificatePem = readFileSync(file("cert.pem"), "utf8");
    const keyPem = readFileSync(file("key.pem"), "utf8");
    const certificate = new X509Certificate(certificatePem);
    return {
        name, certificatePem, keyPem, privateKey: createPrivateKey(keyPem), der: certificate.raw,
        thumbprint: sha1Thumbprint(certificate.raw),
        notBefore: new Date(certificate.validFrom), notAfter: new Date(certificate.validTo),
    };
}

/**
 * The server's file: the private key and the certificate in one PEM, readable by its owner only; `owner` is the
 * service's user, as `npm run certificate -- new --owner` gives it (docs/certificates.md).
 */
export function writeServerFile(path: string, certificate: TestCertificate, owner?: { uid: number; gid: number }): string {
    // Written beside and renamed over: a process reading the path sees the old file or the new one, never half.
    const next = `${path}.next`;
    writeFileSync(next, certificate.keyPem + certificate.certificatePem, { mode: 0o600 });
    chmodSync(next, 0o600);
    if (owner !== undefined) chownSync(next, owner.uid, owner.gid);
    renameSync(next, path);
    return path;
}

/** The Graph keyCredential that registers the certificate on an app (keyCredential resource type). */
export function keyCredentialOf(certificate: TestCertificate, displayName: string = certificate.name): KeyCredentialRecord {
    return {
        keyId: randomUUID(), type: "AsymmetricX509Cert", usage: "Verify", key: certificate.der.toString("base64"),
        customKeyIdentifier: certificate.thumbprint, displayName,
        startDateTime: certificate.notBefore.toISOString(), endDateTime: certificate.notAfter.toISOString(),
    };
}

export type AssertionAlgorithm = "RS256" | "PS256";

/** A client assertion as Microsoft Learn describes it, with any header or claim replaced for a negative case. */
export function signAssertion(certificate: TestCertificate, options: {
    clientId: string; tenant: string; alg?: AssertionAlgorithm; now?: Date;
    header?: Record<string, unknown>; claims?: Record<string, unknown>;
}): string {
    const alg = options.alg ?? "RS256";
    const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
    const thumbprint = alg === "RS256"
        ? { x5t: createHash("sha1").update(certificate.der).digest("base64url") }
        : { "x5t#S256": createHash("sha256").update(certificate.der).digest("base64url") };
    const header = { alg, typ: "JWT", ...thumbprint, ...options.header };
    const claims = {
        aud: `https://login.microsoftonline.com/${options.tenant}/oauth2/v2.0/token`,
        iss: options.clientId, sub: options.clientId, jti: randomUUID(), nbf: now, iat: now, exp: now + 600,
        ...options.claims,
    };
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const signed = `${encode(header)}.${encode(claims)}`;
    const padding = alg === "RS256"
        ? { padding: constants.RSA_PKCS1_PADDING }
        : { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
    return `${signed}.${sign("sha256", Buffer.from(signed), { key: certificate.privateKey, ...padding }).toString("base64url")}`;
}
