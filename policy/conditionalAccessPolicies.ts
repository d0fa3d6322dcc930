/**
 * The guardrails for Conditional Access by network location (infra/conditionalAccess.ts): a named location of
 * public ranges Entra can see a caller come from, no wider than the program allows (common/networkRanges.ts, the same
 * rules and words), never trusted; and a policy in the workload-identity shape, which blocks named service principals
 * and nothing else (Microsoft Learn, "Conditional Access for workload identities": service principals only, Block the
 * only grant control).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { rangeProblem } from "../common/networkRanges";

export const NAMED_LOCATION_TYPE = "azuread:index/namedLocation:NamedLocation";
export const CONDITIONAL_ACCESS_POLICY_TYPE = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy";
/** Graph's states for a policy in force, as report-only or enforced; "disabled" would protect nothing. */
const STATES = ["enabledForReportingButNotEnforced", "enabled"];

export const namedLocationRanges: ResourceValidationPolicy = {
    name: "named-location-public-ranges",
    description: "An IP named location holds only public ranges no wider than /9 (IPv4) or /32 (IPv6), and is not trusted.",
    remediationSteps: "Set allowedNetworks in the stack file to the public ranges the server's traffic leaves from.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type !== NAMED_LOCATION_TYPE) return;
        const ip = args.props["ip"] as { ipRanges?: unknown; trusted?: unknown } | undefined;
        if (ip === undefined) return;
        const ranges: unknown = ip.ipRanges;
        (Array.isArray(ranges) ? ranges : []).forEach((range: unknown, index) => {
            const problem = typeof range === "string" ? rangeProblem(range) : "expected a CIDR range";
            if (problem !== undefined) report(`ip.ipRanges[${index}] is ${JSON.stringify(range)}; ${problem}`);
        });
        if (ip.trusted === true) {
            report("ip.trusted is true; expected false: a trusted location also loosens the tenant's other policies");
        }
    },
};

export const workloadIdentityPolicyShape: ResourceValidationPolicy = {
    name: "conditional-access-workload-identity",
    description: "A Conditional Access policy here blocks named service principals outside named locations: no users, " +
        "All applications, every location but excluded ones, Block, report-only or enabled.",
    remediationSteps: "Let the program make the policy from allowedNetworks and conditionalAccess in the stack file.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type !== CONDITIONAL_ACCESS_POLICY_TYPE) return;
        const props = args.props as {
            state?: unknown;
            conditions?: { users?: Record<string, unknown>; applications?: { includedApplications?: unknown };
                clientApplications?: { includedServicePrincipals?: unknown };
                locations?: { includedLocations?: unknown; excludedLocations?: unknown } };
            grantControls?: { builtInControls?: unknown };
        };
        const json = (value: unknown) => JSON.stringify(value ?? null);
        if (!STATES.includes(String(props.state))) {
            report(`state is ${json(props.state)}; expected ${STATES.join(" or ")}`);
        }
        const users = props.conditions?.users ?? {};
        const userKeys = Object.keys(users).filter((key) => !(key === "includedUsers" && json(users[key]) === '["None"]'));
        if (json(users["includedUsers"]) !== '["None"]' || userKeys.length > 0) {
            report(`conditions.users is ${json(users)}; expected {"includedUsers":["None"]}: the policy is for service principals only`);
        }
        const principals = props.conditions?.clientApplications?.includedServicePrincipals;
        if (!Array.isArray(principals) || principals.length === 0 || principals.includes("ServicePrincipalsInMyTenant")) {
            report(`conditions.clientApplications.includedServicePrincipals is ${json(principals)}; expected the stack's ` +
                "service principals by object ID, not every principal in the tenant");
        }
        if (json(props.conditions?.applications?.includedApplications) !== '["All"]') {
            report(`conditions.applications.includedApplications is ${json(props.conditions?.applications?.includedApplications)}; expected ["All"]`);
        }
        const locations = props.conditions?.locations;
        const excluded = locations?.excludedLocations;
        if (json(locations?.includedLocations) !== '["All"]' || !Array.isArray(excluded) || excluded.length === 0) {
            report(`conditions.locations is ${json(locations)}; expected includedLocations ["All"] and the allowed named ` +
                "location in excludedLocations");
        }
        if (json(props.grantControls?.builtInControls) !== '["block"]') {
            report(`grantControls.builtInControls is ${json(props.grantControls?.builtInControls)}; expected ["block"], ` +
                "the only control Entra applies to workload identities");
        }
    },
};

export const CONDITIONAL_ACCESS_POLICIES: readonly ResourceValidationPolicy[] = [namedLocationRanges, workloadIdentityPolicyShape];
