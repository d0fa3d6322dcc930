/** Errors of the stand-ins themselves, as opposed to the errors they model from the real providers. */

/** What the stand-in does not model: it fails loudly rather than pretend to be the real provider. */
export class NotModelledError extends Error {
    constructor(provider: string, what: string) {
        super(`${what} is not modelled by the stand-in ${provider} provider (localazure/providers/${provider})`);
        this.name = "NotModelledError";
    }
}

/** The inputs a handler does not model, among those the real schema accepts: a failure each, never ignored. */
export function unmodelledInputs(
    provider: string,
    token: string,
    inputs: Record<string, unknown>,
    modelled: readonly string[],
): string[] {
    return Object.keys(inputs)
        .filter((key) => !key.startsWith("__") && !modelled.includes(key) && inputs[key] !== undefined && inputs[key] !== null)
        .sort()
        .map((key) => new NotModelledError(provider, `the input "${key}" of ${token}`).message);
}
