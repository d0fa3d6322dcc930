/**
 * A certificate authority made for one test run, and a server certificate it signs for the Azure hosts the
 * stand-in answers for. Clients trust the CA through REQUESTS_CA_BUNDLE (Python) or NODE_EXTRA_CA_CERTS (Node).
 * Made with Debian's openssl, on P-256 keys: every client here (Node, Python's urllib3, curl) accepts ECDSA server
 * certificates, and an EC key takes milliseconds where an RSA 2048 key takes a tenth of a second or more, twice for
 * every stand-in a test starts.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOCAL_ISSUER_HOST } from "../oidc/host";

export interface TestCertificates {
    readonly caFile: string;
    readonly key: Buffer;
    readonly cert: Buffer;
}

/** Entra, Blob Storage, and the local OIDC issuer Entra reads federated tokens' keys from (localazure/oidc/issuer.ts). */
export const STAND_IN_HOSTS = ["login.microsoftonline.com", "*.blob.core.windows.net", LOCAL_ISSUER_HOST];

export function makeTestCertificates(): TestCertificates {
    const dir = mkdtempSync(join(tmpdir(), "stand-in-ca-"));
    issueCertificates(dir, { hosts: STAND_IN_HOSTS, days: 2, caName: "app-identity test CA" });
    return { caFile: join(dir, "ca.pem"), key: readFileSync(join(dir, "server.key")), cert: readFileSync(join(dir, "server.pem")) };
}

/** Writes ca.pem (and its key) and server.pem/server.key for `hosts` into `dir`, with openssl. */
export function issueCertificates(dir: string, options: { hosts: readonly string[]; days: number; caName: string }): void {
    const file = (name: string) => join(dir, name);
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const days = String(options.days);
    const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl("req", "-x509", ...newKey, "-days", days, "-subj", `/CN=${options.caName}`,
        "-keyout", file("ca.key"), "-out", file("ca.pem"),
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    openssl("req", ...newKey, "-subj", `/CN=${options.hosts[0] ?? "localhost"}`,
        "-keyout", file("server.key"), "-out", file("server.csr"));
    writeFileSync(file("server.ext"), [
        "basicConstraints=CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth",
        `subjectAltName=${options.hosts.map((host) => `DNS:${host}`).join(",")}`,
    ].join("\n"));
    openssl("x509", "-req", "-in", file("server.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"),
        "-CAcreateserial", "-days", days, "-extfile", file("server.ext"), "-out", file("server.pem"));
}
