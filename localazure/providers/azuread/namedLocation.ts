/**
 * azuread:index/namedLocation:NamedLocation (ip only), after terraform-provider-azuread v3.9.0
 * internal/services/conditionalaccess/named_location_resource.go and conditionalaccess.go, as pulumi-terraform-bridge
 * serves it. Graph's side is localazure/graph/conditionalAccess.ts.
 * - ID: stable.NewIdentityConditionalAccessNamedLocationID(id).ID(), "/identity/conditionalAccess/namedLocations/{id}";
 *   object_id Computed, the GUID (what a policy names).
 * - Schema: display_name Required (StringIsNotEmpty), updated in place; ip TypeList MaxItems 1 ForceNew with ExactlyOneOf
 *   ip/country. The ForceNew of a block applies to its count only (terraform-plugin-sdk helper/schema schema.go diffList:
 *   the ".#" key carries the list's ForceNew, each element's fields their own), so a changed ip_ranges or trusted is an
 *   update, and only adding or removing the block (ip to country) replaces. Each range validation.PrefixLengthAtLeast(8).
 * - Create: POST with every range as an iPv4CidrRange (expandIPNamedLocationIPRange), then
 *   consistency.WaitForUpdateDelayStart: GETs until ip_ranges and trusted read back as sent; then Read.
 * - Update: PATCH of ipRanges and isTrusted (displayName only when it changed), WaitForUpdate alike, then Read.
 * - Delete: PATCH isTrusted false first (a trusted location cannot be deleted), wait until it reads untrusted; DELETE
 *   (a 404 is "already deleted"); WaitForDeletion: GETs until 404.
 * - Read: a 404 removes it from the state; display_name, object_id and ip { ip_ranges, trusted } as read.
 * The real waits sleep between GETs; here they do not.
 */
import { parseCidr } from "../../../common/networkRanges";
import { isUnknown, stringOf } from "../shared/properties";
import type {
    CheckFailure, CheckResult, CreateRequest, CreateResult, DeleteRequest, DiffRequest, DiffResult, PropertyMap, ReadRequest,
    ReadResult, ResourceHandler, UpdateRequest,
} from "../shared/types";
import { bridgeCheck, importedInputs, isImportRead, plannedState, refreshedInputs, type ResourceSpec } from "./bridge";
import { errorDiag, TerraformError } from "./diagnostics";
import type { GraphClient, GraphObject } from "./graph";

export const NAMED_LOCATION = "azuread:index/namedLocation:NamedLocation";
const PATH = "/identity/conditionalAccess/namedLocations/";
const WAIT_READS = 50;

export const namedLocationSpec: ResourceSpec = {
    token: NAMED_LOCATION,
    attributes: {
        displayName: { required: true },
        ip: { required: true },
    },
    otherForceNew: ["country"],
};

interface IpBlock {
    readonly ipRanges: string[];
    readonly trusted: boolean;
}

function ipOf(inputs: PropertyMap): IpBlock {
    const ip = (inputs["ip"] ?? {}) as Record<string, unknown>;
    return {
        ipRanges: Array.isArray(ip["ipRanges"]) ? ip["ipRanges"].map(String) : [],
        trusted: ip["trusted"] === true,
    };
}

/** stable.IPNamedLocation as expandIPNamedLocation builds it. */
function locationBody(ip: IpBlock): GraphObject {
    return {
        "@odata.type": "#microsoft.graph.ipNamedLocation",
        ipRanges: ip.ipRanges.map((cidrAddress) => ({ "@odata.type": "#microsoft.graph.iPv4CidrRange", cidrAddress })),
        isTrusted: ip.trusted,
    };
}

/** flattenIPNamedLocation: the ranges in Graph's order, trusted false when Graph has none. */
function readIp(location: GraphObject): IpBlock {
    const ranges = Array.isArray(location["ipRanges"]) ? location["ipRanges"] : [];
    return {
        ipRanges: ranges.map((range: unknown) => stringOf((range as Record<string, unknown>)["cidrAddress"])).filter((text) => text !== undefined),
        trusted: location["isTrusted"] === true,
    };
}

function outputsOf(location: GraphObject): PropertyMap {
    return { displayName: stringOf(location["displayName"]) ?? "", objectId: stringOf(location["id"]) ?? "", ip: readIp(location) };
}

/** stable.ParseIdentityConditionalAccessNamedLocationID. */
export function parseNamedLocationId(id: string): string {
    const match = /^\/identity\/conditionalAccess\/namedLocations\/([^/]+)$/.exec(id);
    if (match === null) {
        throw new TerraformError([errorDiag("Parsing Named Location ID", `parsing ${JSON.stringify(id)}: expected a Named Location ID of the ` +
            "form /identity/conditionalAccess/namedLocations/{namedLocationId}", "id")]);
    }
    return match[1]!;
}

export class NamedLocationHandler implements ResourceHandler {
    constructor(private readonly graph: () => GraphClient) {}

    check(_urn: string, _olds: PropertyMap, news: PropertyMap): Promise<CheckResult> {
        const checked = bridgeCheck(namedLocationSpec, news);
        return Promise.resolve({ inputs: checked.inputs, failures: [...checked.failures, ...schemaFailures(checked.inputs)] });
    }

    /** Nothing modelled replaces: the block stays an ip block (see the header). */
    diff({ olds, news }: DiffRequest): Promise<DiffResult> {
        const diffs = [
            ...(stringOf(olds["displayName"]) !== stringOf(news["displayName"]) ? ["displayName"] : []),
            ...(JSON.stringify(ipOf(olds)) !== JSON.stringify(ipOf(news)) || isUnknown(news["ip"]) ? ["ip"] : []),
        ];
        return Promise.resolve({ changes: diffs.length > 0, replaces: [], stables: ["country"], deleteBeforeReplace: false, diffs });
    }

    async create({ inputs, preview }: CreateRequest): Promise<CreateResult> {
        if (preview) return { id: "", outs: plannedState(inputs, ["objectId"]) };
        const graph = this.graph();
        const ip = ipOf(inputs);
        let created: GraphObject;
        try {
            created = await graph.createConditionalAccess("namedLocations", { ...locationBody(ip), displayName: stringOf(inputs["displayName"]) ?? "" });
        } catch (error) {
            throw new TerraformError([errorDiag("Could not create named location", error)]);
        }
        const objectId = stringOf(created["id"]);
        if (objectId === undefined || objectId === "") {
            throw new TerraformError([errorDiag("Bad API response", "nil/empty object ID returned for named location")]);
        }
        const id = `${PATH}${objectId}`;
        await this.waitFor(objectId, ip, `waiting for creation of Named Location (Named Location: ${JSON.stringify(objectId)})`);
        const read = await graph.getConditionalAccess("namedLocations", objectId);
        return { id, outs: outputsOf(read ?? created) };
    }

    async read({ id, props, inputs }: ReadRequest): Promise<ReadResult> {
        const objectId = parseNamedLocationId(id);
        const location = await this.graph().getConditionalAccess("namedLocations", objectId);
        if (location === undefined) return { id: "" };
        const outs = outputsOf(location);
        return { id, props: outs, inputs: isImportRead(props) ? importedInputs(namedLocationSpec, outs) : refreshedInputs(inputs, outs) };
    }

    async update({ id, olds, news, preview }: UpdateRequest): Promise<PropertyMap> {
        if (preview) return { ...olds, ...news };
        const objectId = parseNamedLocationId(id);
        const graph = this.graph();
        const ip = ipOf(news);
        const renamed = stringOf(olds["displayName"]) !== stringOf(news["displayName"]);
        try {
            await graph.updateConditionalAccess("namedLocations", objectId,
                { ...locationBody(ip), ...(renamed ? { displayName: stringOf(news["displayName"]) ?? "" } : {}) });
        } catch (error) {
            throw new TerraformError([errorDiag(`Updating Named Location (Named Location: ${JSON.stringify(objectId)})`, error)]);
        }
        await this.waitFor(objectId, ip, `waiting for update of Named Location (Named Location: ${JSON.stringify(objectId)})`);
        const read = await graph.getConditionalAccess("namedLocations", objectId);
        return read === undefined ? { ...olds, ...news } : outputsOf(read);
    }

    async delete({ id, props: olds, urn }: DeleteRequest): Promise<void> {
        const objectId = parseNamedLocationId(id);
        const graph = this.graph();
        const text = `Named Location (Named Location: ${JSON.stringify(objectId)})`;
        try {
            await graph.updateConditionalAccess("namedLocations", objectId, { ...locationBody(ipOf(olds)), isTrusted: false });
        } catch (error) {
            if (error instanceof Error && /^unexpected status 404 /.test(error.message)) return;
            throw new TerraformError([errorDiag(`updating ${text} prior to deletion`, error)], `deleting ${urn}: `);
        }
        await this.waitFor(objectId, { ...ipOf(olds), trusted: false }, `waiting for removal of trusted status on ${text}`, "trusted");
        try {
            if (await graph.deleteConditionalAccess("namedLocations", objectId) === "absent") return;
        } catch (error) {
            throw new TerraformError([errorDiag(`deleting ${text}`, error)], `deleting ${urn}: `);
        }
        for (let attempt = 0; attempt < WAIT_READS; attempt++) {
            if (await graph.getConditionalAccess("namedLocations", objectId) === undefined) return;
        }
        throw new TerraformError([errorDiag(`waiting for deletion of ${text}`, "still present")], `deleting ${urn}: `);
    }

    /** ipNamedLocationWait (or ipNamedLocationTrustedDeleteWait, `only` trusted): GETs until Graph reads back what was sent. */
    private async waitFor(objectId: string, ip: IpBlock, summary: string, only?: "trusted"): Promise<void> {
        for (let attempt = 0; attempt < WAIT_READS; attempt++) {
            let read: GraphObject | undefined;
            try {
                read = await this.graph().getConditionalAccess("namedLocations", objectId);
            } catch (error) {
                throw new TerraformError([errorDiag(summary, error)]);
            }
            if (read === undefined) continue;
            const back = readIp(read);
            if (back.trusted === ip.trusted && (only === "trusted" || JSON.stringify(back.ipRanges) === JSON.stringify(ip.ipRanges))) return;
        }
        throw new TerraformError([errorDiag(summary, "timeout while waiting for state to become 'true'")]);
    }
}

/**
 * display_name StringIsNotEmpty ("expected %q to not be an empty string, got %v"); each range PrefixLengthAtLeast(8)
 * (internal/helpers/tf/validation/net.go: netip.ParsePrefix, "expected %q to be a valid IPv4 or IPv6 prefix", then
 * "expected %q to have a prefix length at least %d, got %d"), `k` the attribute's path as the SDK gives it.
 */
function schemaFailures(inputs: PropertyMap): CheckFailure[] {
    const failures: CheckFailure[] = [];
    if (inputs["displayName"] === "") failures.push({ property: "displayName", reason: 'expected "display_name" to not be an empty string, got ' });
    ipOf(inputs).ipRanges.forEach((range, index) => {
        if (isUnknown(range)) return;
        const key = JSON.stringify(`ip.0.ip_ranges.${index}`);
        const parsed = parseCidr(range);
        if (parsed === undefined) {
            failures.push({ property: `ip.ipRanges[${index}]`, reason: `expected ${key} to be a valid IPv4 or IPv6 prefix` });
        } else if (parsed.prefix < 8) {
            failures.push({ property: `ip.ipRanges[${index}]`, reason: `expected ${key} to have a prefix length at least 8, got ${parsed.prefix}` });
        }
    });
    return failures;
}
