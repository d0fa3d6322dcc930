/**
 * An identity's certificates as `azuread.ApplicationCertificate` resources, one per slot.
 *
 * Inputs as the azuread v6.9.1 schema has them (pulumi-azuread provider/cmd/pulumi-resource-azuread/schema.json,
 * excerpt in /work/shared/reference): every one forces replacement, so each is a pure function of the committed
 * certificate, and a slot is replaced exactly when its file changes. startDate and endDate are always explicit, the
 * certificate's own dates: omitted, "the API will decide a suitable expiry date, which is typically around 2 years
 * from the start date" (terraform-provider-azuread internal/services/applications/application_certificate_resource.go,
 * end_date), not the certificate's.
 */
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import type { SlotCertificate } from "./certificates";

/** Graph's keyCredential type for a certificate that verifies client assertions. */
export const CERTIFICATE_TYPE = "AsymmetricX509Cert";

export function certificateLogicalName(identity: string, certificate: Pick<SlotCertificate, "slot">): string {
    return `${identity}-certificate-${certificate.slot}`;
}

export function registerCertificates(identity: string, applicationId: pulumi.Input<string>,
    certificates: readonly SlotCertificate[], opts: pulumi.CustomResourceOptions): azuread.ApplicationCertificate[] {
    return certificates.map((certificate) => new azuread.ApplicationCertificate(certificateLogicalName(identity, certificate), {
        applicationId,
        type: CERTIFICATE_TYPE,
        encoding: "pem",
        value: certificate.pem,
        startDate: certificate.startDate,
        endDate: certificate.endDate,
    }, {
        ...opts,
        // Never protected, like the secrets: a rotation replaces it (see AppIdentityArgs.protect).
        protect: false,
    }));
}
