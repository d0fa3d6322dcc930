/**
 * The test CA and the server certificate for the real Azure hostnames, kept in a directory so that a restarted
 * local Azure presents the same CA (REQUESTS_CA_BUNDLE and NODE_EXTRA_CA_CERTS set earlier stay right). Made with
 * the same openssl steps as the end-to-end stand-in (localazure/standin/certificates.ts), for all four hosts and valid a
 * year; the stand-in's cover only login and blob, for two days, in a directory of their own.
 */
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LOCAL_ISSUER_HOST } from "./oidc/host";
import { issueCertificates } from "./standin/certificates";

/** The four Azure hosts, and the local OIDC issuer's (localazure/oidc/issuer.ts); a directory without it is made anew. */
export const TLS_HOSTS = ["login.microsoftonline.com", "graph.microsoft.com", "management.azure.com", "*.blob.core.windows.net",
    LOCAL_ISSUER_HOST];

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
    issueCertificates(dir, { hosts: TLS_HOSTS, days: 365, caName: "app-identity local Azure CA" });
}
