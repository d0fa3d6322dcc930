/**
 * The guardrails for certificate credentials, as for client secrets (policy/policies.ts): an explicit start and end
 * date, no endDateRelative, a lifetime within the configured maximum, and never protected.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { addMonths } from "../infra/months";

export const CERTIFICATE_TYPE = "azuread:index/applicationCertificate:ApplicationCertificate";

export const certificateDates: ResourceValidationPolicy = {
    name: "client-certificate-explicit-dates",
    description: "Certificates have an explicit RFC 3339 startDate and endDate (omitted, Graph picks an end about two " +
        "years on, not the certificate's), no endDateRelative, and a lifetime within the configured maximum.",
    remediationSteps: "Register the certificate with its own notBefore and notAfter as startDate and endDate (the " +
        "program does, from the committed certificate); make certificates no longer than the maximum " +
        "(certificateLifetimeMonths).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            // infra/certificates.ts CERTIFICATE_LIFETIME_MONTHS.max; the pack imports only what policy/tsconfig.json lists.
            maxLifetimeMonths: { type: "integer", minimum: 1, maximum: 24, default: 24 },
        },
    },
    validateResource: (args, report) => {
        if (args.type !== CERTIFICATE_TYPE) return;
        const { maxLifetimeMonths } = args.getConfig<{ maxLifetimeMonths: number }>();
        if (args.props["endDateRelative"] !== undefined) report("endDateRelative is set; use an explicit endDate instead");
        const dates: Date[] = [];
        for (const name of ["startDate", "endDate"]) {
            const value: unknown = args.props[name];
            if (typeof value !== "string" || Number.isNaN(Date.parse(value))) {
                report(`${name} is ${JSON.stringify(value ?? null)}; expected an RFC 3339 date`);
            } else {
                dates.push(new Date(value));
            }
        }
        const [start, end] = dates;
        if (dates.length === 2 && end!.getTime() > addMonths(start!, maxLifetimeMonths).getTime()) {
            report(`endDate ${String(args.props["endDate"])} is more than ${maxLifetimeMonths} months after startDate ` +
                String(args.props["startDate"]));
        }
    },
};

export const certificateUnprotected: ResourceValidationPolicy = {
    name: "client-certificate-unprotected",
    description: "Certificates are never protected, in any stack: a rotation replaces them, and the engine refuses to " +
        "replace a protected resource (pulumi/pulumi pkg/resource/deploy/step_generator.go).",
    remediationSteps: "Leave certificates unprotected (`pulumi state unprotect` one that is).",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type === CERTIFICATE_TYPE && args.opts.protect) {
            report("this certificate is protected; a rotation replaces it, and the engine refuses to replace a " +
                "protected resource: leave certificates unprotected");
        }
    },
};

export const CERTIFICATE_POLICIES: readonly ResourceValidationPolicy[] = [certificateDates, certificateUnprotected];
