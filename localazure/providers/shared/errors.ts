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

/**
 * A resource made but not finished: the provider answers its ID and what it holds of it, and the engine keeps it in
 * the state with these reasons as its init errors (pulumi/pulumi sdk/go/common/resource/plugin/provider_plugin.go
 * `parseError`: an ErrorResourceInitFailed detail makes a StatusPartialFailure). The next `up` updates it
 * (pkg/resource/deploy/step_generator.go: "If resource was unchanged, but there were initialization errors,
 * generate an empty update step"), and a refresh that reads it clears them (step.go RefreshStep).
 */
export class ResourceInitError extends Error {
    constructor(readonly id: string, readonly outs: Record<string, unknown>, readonly reasons: readonly [string, ...string[]]) {
        super(reasons[0]);
        this.name = "ResourceInitError";
    }
}
