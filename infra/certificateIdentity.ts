/**
 * The certificate side of a stack: for each identity that signs in with certificates, its rotation schedule and the
 * committed certificates that serve it (checked before any resource is registered), and what the stack exports of
 * them. Public data only: no private key is ever read, and nothing here is secret.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AppIdentity } from "./appIdentity";
import type { GrantedRole } from "./grants";
import { readCertificates, type SlotCertificate } from "./certificates";
import { ConfigError, credentialOf, displayNameOf, writtenKeyOf, type StackConfig } from "./config";
import { toDay } from "./months";
import { certificateLogicalName } from "./certificateResources";
import { defaultAnchor, rotationMonthsFor, secretSchedule, type SecretSchedule } from "./schedule";

export interface CertificateIdentityPlan {
    /** The same two-slot schedule as the secrets', over certificateLifetimeMonths. */
    readonly schedule: SecretSchedule;
    /** Newest first. */
    readonly certificates: readonly SlotCertificate[];
}

export interface CertificateOutput {
    readonly name: string;
    readonly slot: string;
    readonly thumbprint: string;
    readonly startDate: string;
    readonly endDate: string;
    /** The committed public certificate, relative to the project root. */
    readonly file: string;
}

export interface CertificateIdentityOutputs {
    readonly displayName: string;
    readonly clientId: pulumi.Output<string>;
    readonly credential: "certificate";
    /** Newest first. */
    readonly certificates: readonly CertificateOutput[];
    /** The newest certificate's end. */
    readonly certificateExpiresAt: string;
    /** When the next certificate is due: the next rotation, `YYYY-MM-DD`. */
    readonly certificateDueAt: string;
    readonly servicePrincipalObjectId: pulumi.Output<string>;
    readonly roleAssignments: readonly GrantedRole[];
}

/** The command that makes an identity's next certificate, as messages suggest it. */
export function makeCertificateCommand(stack: string, developer?: string): string {
    return `npm run certificate -- new --stack ${stack}${developer === undefined ? "" : ` --developer ${developer}`} --out DIR`;
}

/** Every certificate identity of the stack, by display name; one ConfigError holding every problem, if any. */
export function certificatePlan(config: StackConfig, now: Date): ReadonlyMap<string, CertificateIdentityPlan> {
    const plans = new Map<string, CertificateIdentityPlan>();
    const problems: string[] = [];
    const identities = config.developers.length === 0 ? [undefined] : config.developers;
    for (const developer of identities) {
        if (credentialOf(config, developer) !== "certificate") continue;
        const displayName = displayNameOf(config.appName, config.environment, developer);
        const schedule = certificateSchedule(config, displayName, now);
        const credentialKey = developer !== undefined && config.developerCredentials[developer] !== undefined
            ? `${writtenKeyOf(config, pulumi.getProject(), "developerCredentials")}.${developer}`
            : writtenKeyOf(config, pulumi.getProject(), "credential");
        const read = readCertificates({
            stackFile: config.stackFile, credentialKey, displayName, schedule, now,
            makeCommand: makeCertificateCommand(config.stack, developer),
        });
        problems.push(...read.problems);
        plans.set(displayName, { schedule, certificates: read.certificates });
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return plans;
}

/** The rotation anchor is the secrets' (secretRotationAnchor, or derived from the name) over the certificates' lifetime. */
export function certificateSchedule(config: Pick<StackConfig, "certificateLifetimeMonths" | "secretRotationAnchor">,
    displayName: string, now: Date): SecretSchedule {
    const rotationMonths = rotationMonthsFor(config.certificateLifetimeMonths);
    const anchor = config.secretRotationAnchor ?? defaultAnchor(displayName, rotationMonths);
    return secretSchedule(anchor, config.certificateLifetimeMonths, now);
}

export function certificateOutputsOf(displayName: string, identity: AppIdentity, plan: CertificateIdentityPlan)
    : CertificateIdentityOutputs {
    const newest = plan.certificates[0]!;
    return {
        displayName,
        clientId: identity.clientId,
        credential: "certificate",
        certificates: plan.certificates.map((certificate) => ({
            name: certificateLogicalName(displayName, certificate),
            slot: certificate.slot,
            thumbprint: certificate.thumbprint,
            startDate: certificate.startDate,
            endDate: certificate.endDate,
            file: certificate.file,
        })),
        certificateExpiresAt: newest.endDate,
        certificateDueAt: toDay(plan.schedule.nextRotation),
        servicePrincipalObjectId: identity.servicePrincipalObjectId,
        roleAssignments: identity.grantedRoles,
    };
}
