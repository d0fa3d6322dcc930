/**
 * A certificate authority made for one test run, and a server certificate it signs for the Azure hosts the
 * stand-in answers for. Clients trust the CA through REQUESTS_CA_BUNDLE (Python) or NODE_EXTRA_CA_CERTS (Node).
 * Made with Debian's openssl.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCertificates {
    readonly caFile: string;
    readonly key: Buffer;
    readonly cert: Buffer;
}

export const STAND_IN_HOSTS = ["login.microsoftonline.com", "*.blob.core.windows.net"];

export function makeTestCertificates(): TestCertificates {
    const dir = mkdtempSync(join(tmpdir(), "stand-in-ca-"));
    const file = (name: string) => join(dir, name);
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=app-identity test CA",
        "-keyout", file("ca.key"), "-out", file("ca.pem"),
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=login.microsoftonline.com",
        "-keyout", file("server.key"), "-out", file("server.csr"));
    writeFileSync(file("server.ext"), [
        "basicConstraints=CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth",
        `subjectAltName=${STAND_IN_HOSTS.map((host) => `DNS:${host}`).join(",")}`,
    ].join("\n"));
    openssl("x509", "-req", "-in", file("server.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"),
        "-CAcreateserial", "-days", "2", "-extfile", file("server.ext"), "-out", file("server.pem"));

    return { caFile: file("ca.pem"), key: readFileSync(file("server.key")), cert: readFileSync(file("server.pem")) };
}
