/**
 * The test CA and the server certificate for the real Azure hostnames, kept in a directory so that a restarted
 * local Azure presents the same CA (REQUESTS_CA_BUNDLE and NODE_EXTRA_CA_CERTS set earlier stay right). Made with
 * openssl as localazure/standin/certificates.ts does, for all four hosts and valid a year; that one covers only login and
 * blob, for two days.
 */
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const TLS_HOSTS = ["login.microsoftonline.com", "graph.microsoft.com", "management.azure.com", "*.blob.core.windows.net"];

export interface ServerCertificates {
    readonly caFile: string;
    readonly key: Buffer;
    readonly cert: Buffer;
}

export function serverCertificates(dir: string, now: Date): ServerCertificates {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = (name: string) => join(dir, name);
    if (!usable(file("server.pem"), now)) make(dir);
    return { caFile: file("ca.pem"), key: readFileSync(file("server.key")), cert: readFileSync(file("server.pem")) };
}

/** Present, for every host, and valid for at least another day. */
function usable(certFile: string, now: Date): boolean {
    if (!existsSync(certFile)) return false;
    const certificate = new X509Certificate(readFileSync(certFile));
    const names = certificate.subjectAltName ?? "";
    return TLS_HOSTS.every((host) => names.includes(`DNS:${host}`)) &&
        new Date(certificate.validTo).getTime() > now.getTime() + 24 * 3600 * 1000;
}

function make(dir: string): void {
    const file = (name: string) => join(dir, name);
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365", "-subj", "/CN=app-identity local Azure CA",
        "-keyout", file("ca.key"), "-out", file("ca.pem"),
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=login.microsoftonline.com",
        "-keyout", file("server.key"), "-out", file("server.csr"));
    writeFileSync(file("server.ext"), [
        "basicConstraints=CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth",
        `subjectAltName=${TLS_HOSTS.map((host) => `DNS:${host}`).join(",")}`,
    ].join("\n"));
    openssl("x509", "-req", "-in", file("server.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"),
        "-CAcreateserial", "-days", "365", "-extfile", file("server.ext"), "-out", file("server.pem"));
}
