/**
 * The address Entra sees a caller come from. Entra judges a sign-in by the public address the network connects to the
 * internet with, not the client's own ("For devices on a private network, the IP address isn't the client IP ... it's
 * the address used by the network to connect to the public internet (like 198.51.100.3)", Learn, "Conditional Access:
 * Network assignment"). Tests cannot come from public addresses, so the local Azure models that translation on purpose:
 * a loopback caller 127.0.0.N is seen as <prefix>.N, as the internet sees the server through its NAT, the prefix a
 * documentation range (RFC 5737), 203.0.113 unless LOCAL_AZURE_PUBLIC_PREFIX says another (such as 198.51.100).
 * Clients get a distinct loopback source by binding (Node: localAddress; others through a forwarder that binds,
 * test/support/natGateway.ts). Any other address is taken as seen.
 */
import { isIPv4 } from "node:net";

export const DEFAULT_PUBLIC_PREFIX = "203.0.113";

export function publicAddressOf(remote: string | undefined, prefix = process.env["LOCAL_AZURE_PUBLIC_PREFIX"] ?? DEFAULT_PUBLIC_PREFIX): string | undefined {
    if (remote === undefined) return undefined;
    const address = remote.replace(/^::ffff:/, "");
    const loopback = /^127\.\d+\.\d+\.(\d+)$/.exec(address);
    if (loopback !== null && isIPv4(address)) return `${prefix}.${loopback[1]!}`;
    if (address === "::1") return `${prefix}.1`;
    return address;
}
