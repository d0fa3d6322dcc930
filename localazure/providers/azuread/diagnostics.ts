/**
 * terraform-provider-azuread's diagnostics (internal/helpers/tf/errors.go, v3.x) and how
 * pulumi-terraform-bridge turns them into the error text the engine shows.
 */

export interface Diagnostic {
    readonly summary: string;
    readonly detail: string;
    /** The Terraform attribute the diagnostic names, if any. */
    readonly attribute?: string;
}

/** `tf.ImportAsDuplicateDiag(resourceName, id, name)`. */
export function importAsDuplicateDiag(resourceName: string, id: string, name: string): Diagnostic {
    return {
        summary: `An existing ${quote(resourceName)} with name ${quote(name)} (ID: ${quote(id)}) was found and \`prevent_duplicate_names\` was specified`,
        detail: `To be managed via Terraform, this resource needs to be imported into the State. Please see the resource documentation for ${quote(resourceName)} for more information.`,
        attribute: "id",
    };
}

/** `tf.ImportAsDuplicateError`: the same diagnostic as a plain error, as CustomizeDiff returns it. */
export function importAsDuplicateError(resourceName: string, id: string, name: string): string {
    const diag = importAsDuplicateDiag(resourceName, id, name);
    return `${diag.summary}. ${diag.detail}`;
}

/** `tf.ImportAsExistsDiag(resourceName, id)`. */
export function importAsExistsDiag(resourceName: string, id: string): Diagnostic {
    return {
        summary: `A resource with the ID ${quote(id)} already exists`,
        detail: `To be managed via Terraform, this resource needs to be imported into the State. Please see the resource documentation for ${quote(resourceName)} for more information.`,
        attribute: "id",
    };
}

/** `tf.ErrorDiagF(err, format, ...)`: the summary, the cause as detail. */
export function errorDiag(summary: string, cause?: unknown, attribute?: string): Diagnostic {
    const detail = cause === undefined ? "" : cause instanceof Error ? cause.message : typeof cause === "string" ? cause : JSON.stringify(cause);
    return attribute === undefined ? { summary, detail } : { summary, detail, attribute };
}

/**
 * The text of diagnostics that reached the bridge: pulumi-terraform-bridge pkg/tfshim/sdk-v2/diagnostics.go
 * makes each a `diagnostics.ValidationError` ("[attr] summary: detail", pkg/tfshim/diagnostics/error.go) and joins
 * them with go-multierror ("1 error occurred:\n\t* ...\n\n").
 */
export function bridgeErrorText(diagnostics: readonly (Diagnostic | string)[]): string {
    const lines = diagnostics.map((diag) => {
        if (typeof diag === "string") return diag;
        const path = diag.attribute === undefined ? "" : `[${diag.attribute}] `;
        return diag.detail === "" ? `${path}${diag.summary}` : `${path}${diag.summary}: ${diag.detail}`;
    });
    const points = lines.map((line) => `* ${line}`).join("\n\t");
    const count = lines.length === 1 ? "1 error occurred" : `${lines.length} errors occurred`;
    return `${count}:\n\t${points}\n\n`;
}

/** A failed apply (Create, Update, Delete's Terraform side): the bridge passes the error through. */
export class TerraformError extends Error {
    constructor(diagnostics: readonly (Diagnostic | string)[], prefix = "") {
        super(`${prefix}${bridgeErrorText(diagnostics)}`);
        this.name = "TerraformError";
    }
}

/**
 * A CustomizeDiff failure: pulumi-terraform-bridge pkg/tfbridge/provider.go wraps p.tf.Diff's error as
 * `errors.Wrapf(err, "diffing %s", urn)` in Create, Diff and Update.
 */
export function diffingError(urn: string, message: string): TerraformError {
    return new TerraformError([message], `diffing ${urn}: `);
}

function quote(text: string): string {
    return JSON.stringify(text);
}
