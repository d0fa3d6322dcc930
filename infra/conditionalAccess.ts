/**
 * Conditional Access by network location for a stack's service principal: an IP named location of the stack's
 * allowedNetworks and a policy that blocks the principal's token requests from anywhere else, so that a secret or key
 * copied off the server is of no use elsewhere. After Microsoft Learn, "Conditional Access for workload identities":
 * - workload identities are chosen by service principal (clientApplications.includeServicePrincipals); the policy
 *   targets All cloud apps, includes Any location and excludes the allowed ones, and Block is its only grant control;
 * - it covers single-tenant service principals registered in the tenant (this program's apps are AzureADMyOrg), not
 *   managed identities;
 * - creating or changing such a policy needs Workload Identities Premium licences, and the deployer Graph's
 *   Policy.Read.All and Policy.ReadWrite.ConditionalAccess (Graph, "Create namedLocation" and "Create
 *   conditionalAccessPolicy", Permissions; terraform-provider-azuread docs/resources/conditional_access_policy.md);
 * - report-only first (enabledForReportingButNotEnforced: sign-ins record what the policy would do), then enabled.
 * The users condition is required by the provider's schema (conditions.0.users, Required): includedUsers ["None"], as
 * its docs' example for service principals writes it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import { z } from "zod";
import { parseCidr, rangeProblem, rangesOverlap } from "../common/networkRanges";

/** Entra: no more than 2000 IP ranges per named location (Learn, "Conditional Access: Network assignment"). */
export const MAX_ALLOWED_NETWORKS = 2000;
/** Entra: no more than 195 named locations in a tenant (same page): one per stack with allowedNetworks. */
export const MAX_NAMED_LOCATIONS = 195;

export const ROLLOUTS = ["reportOnly", "enforced"] as const;
export type Rollout = (typeof ROLLOUTS)[number];
/** Graph's conditionalAccessPolicyState for each step of the rollout (Graph, "conditionalAccessPolicy resource type"). */
export const POLICY_STATE: Readonly<Record<Rollout, string>> = {
    reportOnly: "enabledForReportingButNotEnforced",
    enforced: "enabled",
};

export interface ConditionalAccessConfig {
    readonly allowedNetworks: readonly string[];
    readonly rollout: Rollout;
}

const NETWORK_ALLOWED = "expected a public IPv4 or IPv6 range in CIDR form, such as 203.0.113.0/24 or 2001:db8:1234::/48";
export const allowedNetworksSchema = z.array(z.string({ error: NETWORK_ALLOWED }),
    { error: "expected a list of the server network's public ranges in CIDR form, such as [203.0.113.0/24]" });
export const rolloutSchema = z.enum(ROLLOUTS, { error: "expected reportOnly (the default: Entra records what the policy " +
    "would block and blocks nothing) or enforced (Entra refuses tokens outside allowedNetworks)" });

type Describe = (path: readonly PropertyKey[], allowed: string) => string;

/**
 * What Entra would refuse, or what would not protect anything, one line each. `developers` and `managedIdentityOnly`
 * say who signs in: a policy needs an app's service principal on a server.
 */
export function conditionalAccessProblems(values: { allowedNetworks: readonly string[]; conditionalAccess?: Rollout | undefined;
    developers: readonly string[]; managedIdentityOnly: boolean }, describe: Describe, about: (key: string, text: string) => string): string[] {
    const { allowedNetworks } = values;
    if (allowedNetworks.length === 0) {
        return values.conditionalAccess === undefined ? [] : [describe(["conditionalAccess"], "expected no value without " +
            "allowedNetworks: there is no policy to roll out")];
    }
    if (values.developers.length > 0) {
        return [about("allowedNetworks", "is set in a stack with developers; expected it only in an environment's stack: " +
            "developers sign in from laptops on whatever network they are on, and the policy would block them there")];
    }
    if (values.managedIdentityOnly) {
        return [about("allowedNetworks", "is set for a managed identity; expected it only with an app registration: " +
            "Conditional Access does not cover managed identities (Learn, \"Conditional Access for workload identities\")")];
    }
    const problems: string[] = [];
    const seen: { index: number; text: string }[] = [];
    allowedNetworks.forEach((text, index) => {
        const problem = rangeProblem(text);
        if (problem !== undefined) {
            problems.push(describe(["allowedNetworks", index], problem));
            return;
        }
        const range = parseCidr(text)!;
        const earlier = seen.find((other) => rangesOverlap(range, parseCidr(other.text)!));
        if (earlier !== undefined) {
            problems.push(describe(["allowedNetworks", index], `expected ranges that do not overlap: allowedNetworks[${earlier.index}] ` +
                `(${earlier.text}) already holds addresses of it`));
            return;
        }
        seen.push({ index, text });
    });
    return problems;
}

export interface ConditionalAccessOutputs {
    /** What is in force: report-only (recorded, not blocked) or enforced. */
    readonly conditionalAccess: Rollout;
    readonly allowedNetworks: readonly string[];
    readonly conditionalAccessPolicyId: pulumi.Output<string>;
}

/**
 * The named location of the allowed ranges (not trusted: trusting it would also loosen other policies and risk
 * scoring, Learn "Network assignment", Trusted locations) and the policy that blocks the principal outside it.
 */
export function registerConditionalAccess(identity: string, servicePrincipalObjectId: pulumi.Input<string>,
    config: ConditionalAccessConfig, opts: pulumi.CustomResourceOptions): { namedLocation: azuread.NamedLocation; policy: azuread.ConditionalAccessPolicy } {
    const namedLocation = new azuread.NamedLocation(`${identity}-allowed-networks`, {
        displayName: `${identity} allowed networks`,
        ip: { ipRanges: [...config.allowedNetworks], trusted: false },
    }, opts);
    const policy = new azuread.ConditionalAccessPolicy(`${identity}-outside-allowed-networks`, {
        displayName: `${identity}: block sign-ins outside its allowed networks`,
        state: POLICY_STATE[config.rollout],
        conditions: {
            clientAppTypes: ["all"],
            applications: { includedApplications: ["All"] },
            clientApplications: { includedServicePrincipals: [servicePrincipalObjectId] },
            users: { includedUsers: ["None"] },
            // The named location's object ID: a policy names locations by their Graph ID, not the provider's path ID.
            locations: { includedLocations: ["All"], excludedLocations: [namedLocation.objectId] },
        },
        grantControls: { operator: "OR", builtInControls: ["block"] },
    }, opts);
    return { namedLocation, policy };
}
