/**
 * Certificate credentials: the public certificates a stack registers, read from the repository and checked before
 * any resource is registered.
 *
 * The key pair is made on the server that uses it; only the public certificate comes here, through a pull request.
 * Files are named after the rotation they serve, `stacks/certificates/<identity>/<YYYY-MM-DD>.pem`, not after a
 * slot: the certificate for the next rotation can be merged any time before it is due without replacing the one
 * in use, the schedule (infra/schedule.ts) picks the two whose rotations are current, and git keeps what each slot
 * held before.
 */
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { addMonths, toDay, toRfc3339 } from "./months";
import type { SecretSchedule, SecretWindow, SlotName } from "./schedule";

export type Credential = "secret" | "certificate" | "federated";
export const CREDENTIALS: readonly Credential[] = ["secret", "certificate", "federated"];

/**
 * 12 months by default: the validity of the self-signed certificate in Microsoft's guide (Microsoft Learn, "Create a
 * self-signed public certificate to authenticate your application",
 * https://learn.microsoft.com/en-us/entra/identity-platform/howto-create-self-signed-certificate: New-SelfSignedCertificate
 * makes it valid one year), and the limit a tenant sets with an app management policy's asymmetricKeyLifetime
 * (https://learn.microsoft.com/en-us/graph/api/resources/keycredentialconfiguration) is commonly a year. 2 to 24,
 * as for secrets: two staggered certificates need at least 2 whole months.
 */
export const CERTIFICATE_LIFETIME_MONTHS = { min: 2, max: 24, default: 12 } as const;

/** Where the public certificates live, relative to the project's root. */
export const CERTIFICATES_DIR = "stacks/certificates";

/** The project root the program reads certificates under: this checkout, unless a caller (the plan's --root) sets another. */
let certificatesRoot = join(__dirname, "..");
export function setCertificatesRoot(root: string): string {
    const previous = certificatesRoot;
    certificatesRoot = root;
    return previous;
}

/** `stacks/certificates/<identity>/<rotation day>.pem`: the public certificate serving that rotation. */
export function certificatePath(displayName: string, rotatedAt: Date): string {
    return `${CERTIFICATES_DIR}/${displayName}/${toDay(rotatedAt)}.pem`;
}

/** One certificate the stack registers: public data only. */
export interface SlotCertificate {
    readonly slot: SlotName;
    /** The rotation it serves. */
    readonly rotatedAt: Date;
    /** Relative to the project root, as messages and outputs name it. */
    readonly file: string;
    /** The public certificate, PEM. */
    readonly pem: string;
    /** SHA-1 of the DER certificate, upper-case hex: Graph's customKeyIdentifier, the x5t of a client assertion. */
    readonly thumbprint: string;
    readonly startDate: string;
    readonly endDate: string;
}

export interface CertificateCheck {
    /** The stack file, and how to name the credential key as written, for messages. */
    readonly stackFile: string;
    readonly credentialKey: string;
    readonly displayName: string;
    readonly schedule: SecretSchedule;
    readonly now: Date;
    /** The command that makes the missing certificate, for the message. */
    readonly makeCommand: string;
}

export interface CertificatesRead {
    /** Newest first: the current rotation's, then the previous one's if its file exists. */
    readonly certificates: readonly SlotCertificate[];
    readonly problems: readonly string[];
}

const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * The current rotation's certificate (required) and the previous rotation's (optional: a stack switching to
 * certificates starts with one), each checked against its rotation's window:
 * - it starts on or after its rotation day and before the next rotation, and has started if its rotation has;
 * - it lives at most the lifetime, and at least until its slot rotates again (two rotations after its own), so the
 *   previous certificate stays valid while servers move to the newest.
 */
export function readCertificates(check: CertificateCheck): CertificatesRead {
    const { current, previous } = check.schedule;
    const problems: string[] = [];
    const certificates: SlotCertificate[] = [];
    for (const [window, required] of [[current, true], [previous, false]] as const) {
        const file = certificatePath(check.displayName, window.rotatedAt);
        const absolute = join(certificatesRoot, file);
        if (!existsSync(absolute)) {
            if (required) problems.push(about(check, file, `is missing; expected the public certificate for the ` +
                `rotation of ${toDay(window.rotatedAt)} (slot ${window.slot}): make it on the server with ` +
                `${check.makeCommand} and commit the certificate it writes there`));
            continue;
        }
        const read = readOne(check, window, file, readFileSync(absolute, "utf8"));
        if (typeof read === "string") problems.push(read);
        else certificates.push(read);
    }
    return { certificates, problems };
}

function about(check: CertificateCheck, file: string, text: string): string {
    return `${check.stackFile}: ${check.credentialKey} is "certificate", and ${file} ${text}`;
}

function readOne(check: CertificateCheck, window: SecretWindow, file: string, text: string): SlotCertificate | string {
    if (PRIVATE_KEY.test(text)) {
        return about(check, file, "holds a private key; expected the public certificate only: a private key never " +
            "leaves its server and is never committed (delete it from the repository and its history, and make a new key pair)");
    }
    const blocks = text.match(CERTIFICATE_BLOCK) ?? [];
    if (blocks.length !== 1) {
        return about(check, file, `holds ${blocks.length} certificates; expected exactly one PEM certificate ` +
            "(-----BEGIN CERTIFICATE-----)");
    }
    let certificate: X509Certificate;
    try {
        certificate = new X509Certificate(blocks[0]);
    } catch {
        return about(check, file, "is not a readable X.509 certificate; expected one PEM certificate");
    }
    const start = new Date(certificate.validFrom);
    const end = new Date(certificate.validTo);
    const { lifetimeMonths, rotationMonths } = check.schedule;
    const dates = `is valid from ${toRfc3339(start)} to ${toRfc3339(end)}`;
    if (end.getTime() <= check.now.getTime()) {
        return about(check, file, `${dates}: it has expired; expected a certificate valid after ${toRfc3339(check.now)}`);
    }
    if (end.getTime() > addMonths(start, lifetimeMonths).getTime()) {
        return about(check, file, `${dates}; expected at most ${lifetimeMonths} months (certificateLifetimeMonths)`);
    }
    const nextRotation = addMonths(window.rotatedAt, rotationMonths);
    const slotRotatesAgain = addMonths(window.rotatedAt, 2 * rotationMonths);
    const fits = start.getTime() >= window.rotatedAt.getTime() && start.getTime() < nextRotation.getTime() &&
        end.getTime() >= slotRotatesAgain.getTime();
    if (!fits) {
        return about(check, file, `${dates}; expected, for the rotation of ${toDay(window.rotatedAt)} (slot ` +
            `${window.slot}), a start on or after ${toDay(window.rotatedAt)} and before the next rotation ` +
            `${toDay(nextRotation)}, and an end no earlier than ${toDay(slotRotatesAgain)}, when slot ${window.slot} rotates again`);
    }
    if (window.rotatedAt.getTime() <= check.now.getTime() && start.getTime() > check.now.getTime()) {
        return about(check, file, `${dates}: it is not valid yet; expected a certificate valid now ` +
            `(${toRfc3339(check.now)}), as its rotation has begun`);
    }
    return {
        slot: window.slot,
        rotatedAt: window.rotatedAt,
        file,
        pem: blocks[0],
        thumbprint: certificate.fingerprint.replaceAll(":", "").toUpperCase(),
        startDate: toRfc3339(start),
        endDate: toRfc3339(end),
    };
}
