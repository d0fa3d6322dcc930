/**
 * CIDR ranges as Conditional Access reads a caller's address: parsed, judged (too wide, or a range Entra never sees
 * as a caller) and matched. Node's own net.BlockList does the matching (a maintained library already here, which also
 * masks the host bits: Graph accepts a range written with them, such as 12.34.221.11/22 in its ipNamedLocation
 * example). Shared by the program's config, the guardrail pack and the local Entra, so that all three judge alike.
 */
import { BlockList, isIPv4, isIPv6 } from "node:net";

export type Family = "ipv4" | "ipv6";

export interface CidrRange {
    /** As written, such as 203.0.113.0/24. */
    readonly text: string;
    readonly family: Family;
    readonly address: string;
    readonly prefix: number;
}

/**
 * The widest range a stack may allow. IPv4: Entra allows "only CIDR masks greater than /8" in an IP named location
 * (Microsoft Learn, "Conditional Access: Network assignment", IPv4 and IPv6 address ranges), so /9 at the widest; the
 * provider checks less (terraform-provider-azuread v3.9.0 internal/services/conditionalaccess/named_location_resource.go,
 * validation.PrefixLengthAtLeast(8)), and Entra would refuse /8 at apply. IPv6: Entra's rule is the same /8, which is
 * an eighth of all unicast space; this project asks for /32 at the widest, the smallest allocation a regional registry
 * makes to a provider (RIPE-738 section 5.1.2; end sites get /48 to /64, RFC 6177), so no single organisation's servers
 * sit in a wider range.
 */
export const WIDEST_PREFIX: Readonly<Record<Family, number>> = { ipv4: 9, ipv6: 32 };

interface SpecialRange {
    readonly cidr: string;
    readonly name: string;
}

/**
 * Ranges no caller reaches Entra from, after the IANA IPv4 and IPv6 Special-Purpose Address Registries
 * (https://www.iana.org/assignments/iana-ipv4-special-registry, .../iana-ipv6-special-registry: the entries whose
 * "Globally Reachable" or "Source" column is False), and multicast (RFC 5771, RFC 4291), which is never a source.
 * Behind NAT, Entra sees the network's public address, never these (Learn, "Network assignment": "it's the address used
 * by the network to connect to the public internet").
 * Left out on purpose: the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), which the
 * examples, the tests and the local Azure use in place of a real public address (localazure/callerAddress.ts).
 */
const SPECIAL_RANGES: readonly SpecialRange[] = [
    { cidr: "0.0.0.0/8", name: "\"this network\" (RFC 791)" },
    { cidr: "10.0.0.0/8", name: "private use (RFC 1918)" },
    { cidr: "100.64.0.0/10", name: "shared address space, carrier-grade NAT (RFC 6598)" },
    { cidr: "127.0.0.0/8", name: "loopback (RFC 1122)" },
    { cidr: "169.254.0.0/16", name: "link-local (RFC 3927)" },
    { cidr: "172.16.0.0/12", name: "private use (RFC 1918)" },
    { cidr: "192.0.0.0/24", name: "IETF protocol assignments (RFC 6890)" },
    { cidr: "192.168.0.0/16", name: "private use (RFC 1918)" },
    { cidr: "198.18.0.0/15", name: "benchmarking (RFC 2544)" },
    { cidr: "224.0.0.0/4", name: "multicast (RFC 5771)" },
    { cidr: "240.0.0.0/4", name: "reserved (RFC 1112), with the limited broadcast address" },
    { cidr: "::/128", name: "the unspecified address (RFC 4291)" },
    { cidr: "::1/128", name: "loopback (RFC 4291)" },
    { cidr: "::ffff:0:0/96", name: "IPv4-mapped addresses (RFC 4291): write the IPv4 range" },
    { cidr: "fc00::/7", name: "unique local addresses (RFC 4193)" },
    { cidr: "fe80::/10", name: "link-local unicast (RFC 4291)" },
    { cidr: "ff00::/8", name: "multicast (RFC 4291)" },
];

const CIDR = /^([0-9A-Fa-f:.]+)\/(0|[1-9][0-9]{0,2})$/;

/** A range written as address/prefix, IPv4 or IPv6; undefined for anything else. */
export function parseCidr(text: string): CidrRange | undefined {
    const match = CIDR.exec(text);
    if (match === null) return undefined;
    const [, address, prefixText] = match as unknown as [string, string, string];
    const family: Family | undefined = isIPv4(address) ? "ipv4" : isIPv6(address) ? "ipv6" : undefined;
    const prefix = Number(prefixText);
    if (family === undefined || prefix > (family === "ipv4" ? 32 : 128)) return undefined;
    return { text, family, address, prefix };
}

function blockOf(range: CidrRange): BlockList {
    const block = new BlockList();
    block.addSubnet(range.address, range.prefix, range.family);
    return block;
}

/** Whether an address (of either family) lies in the range; another family's address never does. */
export function rangeContains(range: CidrRange, address: string): boolean {
    const family: Family | undefined = isIPv4(address) ? "ipv4" : isIPv6(address) ? "ipv6" : undefined;
    return family === range.family && blockOf(range).check(address, family);
}

/** Two prefixes share an address exactly when one holds the other's first address. */
export function rangesOverlap(a: CidrRange, b: CidrRange): boolean {
    return a.family === b.family && (blockOf(a).check(b.address, b.family) || blockOf(b).check(a.address, a.family));
}

/** Wider than WIDEST_PREFIX allows. */
export function isTooWide(range: CidrRange): boolean {
    return range.prefix < WIDEST_PREFIX[range.family];
}

/** The special-purpose range the range touches, by its registry name, if any. */
export function specialRangeOf(range: CidrRange): { readonly cidr: string; readonly name: string } | undefined {
    return SPECIAL_RANGES.find((special) => rangesOverlap(range, parseCidr(special.cidr)!));
}

/** What a stack may allow, for messages. */
export const RANGE_ALLOWED = `expected a public IPv4 or IPv6 range in CIDR form, such as 203.0.113.0/24 or 2001:db8:1234::/48, ` +
    `no wider than /${WIDEST_PREFIX.ipv4} (IPv4) or /${WIDEST_PREFIX.ipv6} (IPv6)`;

/**
 * What is wrong with one range, as the end of a message ("expected ..."), or undefined when Entra would use it: the
 * same words for the program's config and the guardrail pack.
 */
export function rangeProblem(text: string): string | undefined {
    const range = parseCidr(text);
    if (range === undefined) return RANGE_ALLOWED;
    if (isTooWide(range)) {
        return `${RANGE_ALLOWED}: /${range.prefix} is too wide (${range.family === "ipv4"
            ? "Entra allows only masks greater than /8 in a named location"
            : "wider than a provider's /32 allocation, more than any one organisation's servers"})`;
    }
    const special = specialRangeOf(range);
    if (special !== undefined) {
        return `${RANGE_ALLOWED}: it overlaps ${special.cidr}, ${special.name}, an address Entra never sees a caller ` +
            "come from (behind NAT, Entra sees the network's public address)";
    }
    return undefined;
}
