/**
 * The stack: the environment's app identity, or one per developer in a local-development stack, and the outputs
 * that become their env files.
 */
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { AppIdentity } from "./appIdentity";
import type { GrantedRole } from "./grants";
import { currentTime } from "./clock";
import {
    certificateOutputsOf, certificatePlan, type CertificateIdentityOutputs, type CertificateIdentityPlan,
} from "./certificateIdentity";
import { ConfigError, displayNameOf, displayNamesOf, writtenKeyOf, type StackConfig } from "./config";
import { toDay, toRfc3339 } from "./months";
import { defineManagedIdentity, type ManagedIdentityOutputs } from "./managedIdentity";
import type { FederatedIdentityOutputs } from "./federated";
import { registerConditionalAccess, type ConditionalAccessOutputs } from "./conditionalAccess";
import { legacyAliases, type RoleAssignmentRef } from "./names";
import { RegistrationPace } from "./pace";
import { defaultAnchor, rotationMonthsFor, secretSchedule, type SecretWindow } from "./schedule";

export interface SecretOutput {
    readonly name: string;
    readonly startDate: string;
    readonly endDate: string;
}

/**
 * What a stack exports of one identity, but its secret value: with client secrets, with certificates, or with both
 * while it moves to certificates (keepSecretsUntilSwitched).
 */
export type IdentityOutputs = SecretIdentityOutputs | CertificateIdentityOutputs | SwitchingIdentityOutputs
    | FederatedIdentityOutputs | SwitchingToFederationOutputs;

/** Federated credentials registered, and the secrets kept until every server signs in with its issuer's tokens. */
export type SwitchingToFederationOutputs = FederatedIdentityOutputs &
    Pick<SecretIdentityOutputs, "clientSecretExpiresAt" | "secrets" | "secretRotatesAt">;

/** Certificates registered, and the secrets kept until every server runs on its certificate. */
export type SwitchingIdentityOutputs = CertificateIdentityOutputs &
    Pick<SecretIdentityOutputs, "clientSecretExpiresAt" | "secrets" | "secretRotatesAt">;

export interface SecretIdentityOutputs {
    readonly displayName: string;
    readonly clientId: pulumi.Output<string>;
    readonly clientSecretExpiresAt: string;
    readonly secrets: readonly SecretOutput[];
    readonly secretRotatesAt: string;
    readonly servicePrincipalObjectId: pulumi.Output<string>;
    readonly roleAssignments: readonly GrantedRole[];
}

/** An environment's identity with allowedNetworks also says what Conditional Access holds in force. */
export type EnvironmentOutputs = EnvironmentIdentityOutputs & Partial<ConditionalAccessOutputs>;

type EnvironmentIdentityOutputs = (SecretIdentityOutputs & {
    readonly tenantId: string;
    readonly subscriptionId: string;
    readonly clientSecret: pulumi.Output<string>;
}) | ((CertificateIdentityOutputs | FederatedIdentityOutputs) & { readonly tenantId: string; readonly subscriptionId: string })
| ((SwitchingIdentityOutputs | SwitchingToFederationOutputs) & {
    readonly tenantId: string;
    readonly subscriptionId: string;
    readonly clientSecret: pulumi.Output<string>;
});

/** A stack whose app runs under a managed identity: no client ID, no secret (infra/managedIdentity.ts). */
export interface ManagedIdentityStackOutputs {
    readonly tenantId: string;
    readonly subscriptionId: string;
    readonly displayName: string;
    readonly managedIdentity: ManagedIdentityOutputs;
}

export interface DevelopersOutputs {
    readonly tenantId: string;
    readonly subscriptionId: string;
    readonly developers: Readonly<Record<string, IdentityOutputs>>;
    /**
     * The newest secret of each developer with client secrets, in one secret output: `developers` stays readable in
     * a preview.
     */
    readonly developerSecrets: pulumi.Output<Record<string, string>>;
}

export async function defineStack(config: StackConfig):
    Promise<EnvironmentOutputs | DevelopersOutputs | ManagedIdentityStackOutputs | (EnvironmentOutputs & ManagedIdentityStackOutputs)> {
    // The committed certificates are read and checked before anything is asked or registered.
    const certificates = certificatePlan(config, currentTime());
    // Ask who deploys before registering anything: a deployer signed in to another tenant would create the apps
    // there, and the deployer must own what it creates when it holds only Application.ReadWrite.OwnedBy.
    const deployer = await azuread.getClientConfig();
    const key = (name: string) => writtenKeyOf(config, pulumi.getProject(), name);
    if (deployer.tenantId.toLowerCase() !== config.tenantId) {
        throw new ConfigError([
            `${config.stackFile}: ${key("tenantId")} is ${JSON.stringify(config.tenantId)}; ` +
                `expected the tenant the deploying identity is signed in to (${deployer.tenantId}): ` +
                `sign in to tenant ${config.tenantId} or correct the key`,
        ]);
    }
    const signedIn = deployer.objectId.toLowerCase();
    // An update must keep its own identity among the owners: with Application.ReadWrite.OwnedBy it can manage only
    // what it owns (terraform-provider-azuread docs/resources/application_owner.md, "API Permissions"). A preview
    // may run as another identity (the read-only previewer), which is what deployerObjectId is for.
    if (config.deployerObjectId !== undefined && config.deployerObjectId !== signedIn && !pulumi.runtime.isDryRun()) {
        throw new ConfigError([
            `${config.stackFile}: ${key("deployerObjectId")} is ${JSON.stringify(config.deployerObjectId)}; expected ` +
                `the object ID of the identity running this update (${signedIn}), which must own what it manages: ` +
                "deploy as that identity or correct the key",
        ]);
    }
    const owners = [...new Set([config.deployerObjectId ?? signedIn, ...config.owners])];
    const common = { tenantId: config.tenantId, subscriptionId: config.subscriptionId };
    const aliases = roleAssignmentAliases(config);
    // One pace for the whole stack: a developers' stack registers its many resources across identities.
    const pace = new RegistrationPace();

    if (config.managedIdentity !== undefined) {
        const displayName = displayNameOf(config.appName, config.environment);
        const managedIdentity = await defineManagedIdentity({
            displayName, identity: config.managedIdentity, subscriptionId: config.subscriptionId,
            roleAssignments: config.roleAssignments, protect: config.production,
            where: `${config.stackFile}: ${key("managedIdentity")}`, pace,
        });
        if (!config.appRegistration) return { ...common, displayName, managedIdentity };
        // A migration: the app registration stays beside the managed identity until every server uses the latter.
        const identity = await defineIdentity(displayName, config, owners, aliases, pace, certificates.get(displayName));
        return identity.clientSecret === undefined
            ? { ...common, ...identity.outputs as CertificateIdentityOutputs | FederatedIdentityOutputs, ...identity.conditionalAccess, managedIdentity }
            : { ...common, ...identity.outputs, clientSecret: identity.clientSecret, ...identity.conditionalAccess, managedIdentity };
    }
    if (config.developers.length === 0) {
        const name = displayNameOf(config.appName, config.environment);
        const identity = await defineIdentity(name, config, owners, aliases, pace, certificates.get(name));
        return identity.clientSecret === undefined
            ? { ...common, ...identity.outputs as CertificateIdentityOutputs | FederatedIdentityOutputs, ...identity.conditionalAccess }
            : { ...common, ...identity.outputs, clientSecret: identity.clientSecret, ...identity.conditionalAccess };
    }
    const developers: Record<string, IdentityOutputs> = {};
    const secrets: Record<string, pulumi.Output<string>> = {};
    for (const developer of config.developers) {
        const name = displayNameOf(config.appName, config.environment, developer);
        const { outputs, clientSecret } = await defineIdentity(name, config, owners, aliases, pace, certificates.get(name));
        developers[developer] = outputs;
        if (clientSecret !== undefined) secrets[developer] = clientSecret;
    }
    return { ...common, developers, developerSecrets: pulumi.secret(pulumi.all(secrets)) };
}

/**
 * Each role assignment's former logical name, over every identity of the stack: legacy names of two identities can
 * coincide (infra/names.ts), and the engine refuses two resources aliasing one old URN.
 */
function roleAssignmentAliases(config: StackConfig): ReadonlyMap<string, string | undefined> {
    const refs: RoleAssignmentRef[] = displayNamesOf(config.appName, config.environment, config.developers)
        .flatMap((identity) => config.roleAssignments.map(({ resourceGroup, role }) => ({ identity, resourceGroup, role })));
    return legacyAliases(refs);
}

async function defineIdentity(displayName: string, config: StackConfig, owners: string[],
    aliases: ReadonlyMap<string, string | undefined>, pace: RegistrationPace, certificates?: CertificateIdentityPlan):
    Promise<{ outputs: IdentityOutputs; clientSecret: pulumi.Output<string> | undefined; conditionalAccess?: ConditionalAccessOutputs }> {
    const defined = await defineAppIdentity(displayName, config, owners, aliases, pace, certificates);
    // An environment's identity only: the config refuses allowedNetworks in a developers' stack.
    if (config.conditionalAccess === undefined || config.developers.length > 0) return defined;
    // Never protected, whatever the stack's production: loosening or lifting the policy stays one reviewed line.
    const { policy } = registerConditionalAccess(displayName, defined.identity.servicePrincipalObjectId, config.conditionalAccess,
        { parent: defined.identity, protect: false });
    return { ...defined, conditionalAccess: {
        conditionalAccess: config.conditionalAccess.rollout,
        allowedNetworks: config.conditionalAccess.allowedNetworks,
        conditionalAccessPolicyId: policy.objectId,
    } };
}

async function defineAppIdentity(displayName: string, config: StackConfig, owners: string[],
    aliases: ReadonlyMap<string, string | undefined>, pace: RegistrationPace, certificates?: CertificateIdentityPlan):
    Promise<{ outputs: IdentityOutputs; clientSecret: pulumi.Output<string> | undefined; identity: AppIdentity }> {
    const rotationMonths = rotationMonthsFor(config.secretLifetimeMonths);
    const anchor = config.secretRotationAnchor ?? defaultAnchor(displayName, rotationMonths);
    // The secrets' own schedule, whatever the credential: kept secrets must keep their inputs, or they would rotate.
    const schedule = secretSchedule(anchor, config.secretLifetimeMonths, currentTime());

    // Federation is for an environment's identity (the config refuses it in a developers' stack).
    const federated = config.credential === "federated" && config.developers.length === 0;
    const identity = await AppIdentity.create(displayName, {
        displayName,
        owners,
        subscriptionId: config.subscriptionId,
        roleAssignments: config.roleAssignments,
        secretSchedule: schedule,
        protect: config.production,
        roleAssignmentAliases: aliases,
        ...(config.adopt === undefined ? {} : { adopt: config.adopt }),
        ...(certificates === undefined ? {} : { certificates: certificates.certificates, keepSecrets: config.keepSecretsUntilSwitched }),
        ...(federated ? { federatedCredentials: config.federatedCredentials, keepSecrets: config.keepSecretsUntilSwitched } : {}),
    }, pace);
    if (certificates !== undefined && identity.clientSecret === undefined) {
        return { outputs: certificateOutputsOf(displayName, identity, certificates), clientSecret: undefined, identity };
    }
    const federatedOutputs: FederatedIdentityOutputs | undefined = federated ? {
        displayName,
        clientId: identity.clientId,
        credential: "federated",
        federatedCredentials: config.federatedCredentials,
        servicePrincipalObjectId: identity.servicePrincipalObjectId,
        roleAssignments: identity.grantedRoles,
    } : undefined;
    if (federatedOutputs !== undefined && identity.clientSecret === undefined) return { outputs: federatedOutputs, clientSecret: undefined, identity };

    const describe = (window: SecretWindow): SecretOutput => ({
        name: `${displayName}-secret-${window.slot}`,
        startDate: toDay(window.rotatedAt),
        endDate: toRfc3339(window.endDate),
    });
    const secretOutputs = {
        clientSecretExpiresAt: identity.clientSecretExpiresAt,
        secrets: [describe(schedule.current), describe(schedule.previous)],
        secretRotatesAt: toDay(schedule.nextRotation),
    };
    if (certificates !== undefined) {
        return { outputs: { ...certificateOutputsOf(displayName, identity, certificates), ...secretOutputs }, clientSecret: identity.clientSecret, identity };
    }
    if (federatedOutputs !== undefined) return { outputs: { ...federatedOutputs, ...secretOutputs }, clientSecret: identity.clientSecret, identity };
    const outputs: SecretIdentityOutputs = {
        displayName,
        clientId: identity.clientId,
        ...secretOutputs,
        servicePrincipalObjectId: identity.servicePrincipalObjectId,
        roleAssignments: identity.grantedRoles,
    };
    return { outputs, clientSecret: identity.clientSecret, identity };
}
