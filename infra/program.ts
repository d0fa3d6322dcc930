/**
 * The stack: one app identity for the stack's environment, and the outputs that become its env file.
 */
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { AppIdentity, type GrantedRole } from "./appIdentity";
import { currentTime } from "./clock";
import { ConfigError, displayNameOf, type StackConfig } from "./config";
import { toDay, toRfc3339 } from "./months";
import { defaultAnchor, rotationMonthsFor, secretSchedule, type SecretWindow } from "./schedule";

export interface SecretOutput {
    readonly name: string;
    readonly startDate: string;
    readonly endDate: string;
}

export interface StackOutputs {
    readonly displayName: string;
    readonly clientId: pulumi.Output<string>;
    readonly tenantId: string;
    readonly subscriptionId: string;
    readonly clientSecret: pulumi.Output<string>;
    readonly clientSecretExpiresAt: string;
    readonly secrets: readonly SecretOutput[];
    readonly secretRotatesAt: string;
    readonly servicePrincipalObjectId: pulumi.Output<string>;
    readonly roleAssignments: readonly GrantedRole[];
}

export async function defineStack(config: StackConfig): Promise<StackOutputs> {
    // Ask who deploys before registering anything: a deployer signed in to another tenant would create the app
    // there, and the deployer must own what it creates when it holds only Application.ReadWrite.OwnedBy.
    const deployer = await azuread.getClientConfig();
    if (deployer.tenantId.toLowerCase() !== config.tenantId) {
        throw new ConfigError([
            `${config.stackFile}: ${pulumi.getProject()}:tenantId is ${JSON.stringify(config.tenantId)}; ` +
                `expected the tenant the deploying identity is signed in to (${deployer.tenantId}): ` +
                `sign in to tenant ${config.tenantId} or correct the key`,
        ]);
    }
    const owners = [...new Set([deployer.objectId.toLowerCase(), ...config.owners])];

    const displayName = displayNameOf(config.appName, config.environment);
    const rotationMonths = rotationMonthsFor(config.secretLifetimeMonths);
    const anchor = config.secretRotationAnchor ?? defaultAnchor(displayName, rotationMonths);
    const schedule = secretSchedule(anchor, config.secretLifetimeMonths, currentTime());

    const identity = new AppIdentity(displayName, {
        displayName,
        owners,
        subscriptionId: config.subscriptionId,
        roleAssignments: config.roleAssignments,
        secretSchedule: schedule,
    }, { protect: config.production });

    const describe = (window: SecretWindow): SecretOutput => ({
        name: `${displayName}-secret-${window.slot}`,
        startDate: toDay(window.rotatedAt),
        endDate: toRfc3339(window.endDate),
    });

    return {
        displayName,
        clientId: identity.clientId,
        tenantId: config.tenantId,
        subscriptionId: config.subscriptionId,
        clientSecret: identity.clientSecret,
        clientSecretExpiresAt: identity.clientSecretExpiresAt,
        secrets: [describe(schedule.current), describe(schedule.previous)],
        secretRotatesAt: toDay(schedule.nextRotation),
        servicePrincipalObjectId: identity.servicePrincipalObjectId,
        roleAssignments: identity.grantedRoles,
    };
}
