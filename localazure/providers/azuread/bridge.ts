/**
 * How pulumi-terraform-bridge (pkg/tfbridge/provider.go) turns a Terraform SDKv2 schema into Check, Diff and
 * preview answers, for the few attributes the stand-in models.
 */
import { ResourceInitError, unmodelledInputs } from "../shared/errors";
import { containsUnknown, deepEqual, isUnknown, sameStringSet, UNKNOWN } from "../shared/properties";
import type { CheckFailure, CheckResult, DiffResult, PropertyMap } from "../shared/types";
import { TerraformError } from "./diagnostics";

export const PROVIDER = "azuread";

/** One Terraform attribute, under its Pulumi name. */
export interface AttributeSpec {
    readonly required?: boolean;
    /** `ForceNew: true`: a change replaces the resource. */
    readonly forceNew?: boolean;
    /** `Optional + Computed`: left out of the config, it keeps its state and shows no diff. */
    readonly computed?: boolean;
    /** A `TypeSet` of strings: compared without order. */
    readonly set?: boolean;
    /** The schema's `Default`, which Check writes into the inputs. */
    readonly default?: unknown;
}

export interface ResourceSpec {
    readonly token: string;
    /** The attributes the stand-in models (any other input is refused). */
    readonly attributes: Readonly<Record<string, AttributeSpec>>;
    /** ForceNew attributes the stand-in does not model: they still count as stables in a Diff. */
    readonly otherForceNew?: readonly string[];
}

/**
 * Check: ValidateResource's failures (a missing required attribute is "Missing required property '<name>'",
 * pkg/tfbridge/check_failures.go `missingRequiredKey`), then the inputs with the schema's defaults filled in.
 */
export function bridgeCheck(spec: ResourceSpec, news: PropertyMap): CheckResult {
    const failures: CheckFailure[] = unmodelledInputs(PROVIDER, spec.token, news, Object.keys(spec.attributes))
        .map((reason) => ({ property: "", reason }));
    const inputs: PropertyMap = {};
    for (const [name, attribute] of Object.entries(spec.attributes)) {
        const value = news[name];
        if (value !== undefined && value !== null) inputs[name] = value;
        else if (attribute.default !== undefined) inputs[name] = attribute.default;
        else if (attribute.required === true) failures.push({ property: "", reason: `Missing required property '${name}'` });
    }
    return { inputs, failures };
}

/**
 * Diff: Terraform's plan of the config against the old state. Every changed ForceNew attribute is a replace; the
 * ForceNew ones that did not change are stables; deleteBeforeReplace only for autonamed or flagged resources,
 * which none of azuread's modelled resources are (provider/resources.go: SetAutonaming applies to `name`).
 */
export function bridgeDiff(spec: ResourceSpec, olds: PropertyMap, news: PropertyMap): DiffResult {
    const changed = Object.entries(spec.attributes)
        .filter(([name, attribute]) => attributeChanged(attribute, olds[name], news[name]))
        .map(([name]) => name)
        .sort();
    const forceNew = [
        ...Object.entries(spec.attributes).filter(([, attribute]) => attribute.forceNew === true).map(([name]) => name),
        ...(spec.otherForceNew ?? []),
    ];
    const replaces = changed.filter((name) => spec.attributes[name]?.forceNew === true);
    return {
        changes: changed.length > 0,
        replaces,
        stables: forceNew.filter((name) => !replaces.includes(name)).sort(),
        deleteBeforeReplace: false,
        diffs: changed,
    };
}

function attributeChanged(attribute: AttributeSpec, old: unknown, next: unknown): boolean {
    if (next === undefined || next === null) {
        if (attribute.computed === true) return false;
        return !isZero(old);
    }
    if (containsUnknown(next)) return true;
    return attribute.set === true ? !sameStringSet(old, next) : !deepEqual(old, next);
}

function isZero(value: unknown): boolean {
    return value === undefined || value === null || value === "" || value === false ||
        (Array.isArray(value) && value.length === 0);
}

/**
 * A preview's outputs: the planned state, where what the provider computes is unknown
 * (Create with preview: `diff.ProposedState`).
 */
export function plannedState(inputs: PropertyMap, computed: readonly string[]): PropertyMap {
    const state: PropertyMap = { ...inputs };
    for (const name of computed) {
        if (state[name] === undefined) state[name] = UNKNOWN;
    }
    return state;
}

/**
 * Read's inputs after a refresh: the old inputs, each replaced by what was read
 * (pkg/tfbridge/provider.go `Read`, ExtractInputsFromOutputs).
 */
export function refreshedInputs(oldInputs: PropertyMap, props: PropertyMap): PropertyMap {
    const inputs: PropertyMap = {};
    for (const [name, value] of Object.entries(oldInputs)) {
        const read = props[name];
        inputs[name] = read === undefined || isUnknown(read) ? value : read;
    }
    return inputs;
}

/**
 * Read's inputs on an import (a Read with an ID and no state, pkg/tfbridge/provider.go `Read`: `isRefresh :=
 * len(req.GetProperties().GetFields()) != 0`): ExtractInputsFromOutputs takes the schema-directed path
 * (pkg/tfbridge/schema.go extractSchemaInputsObject): every Optional or Required attribute read, but an optional one
 * at its default or zero value, and the reserved `__defaults` key, empty.
 */
export function importedInputs(spec: ResourceSpec, outs: PropertyMap): PropertyMap {
    const inputs: PropertyMap = {};
    for (const [name, attribute] of Object.entries(spec.attributes)) {
        const value = outs[name];
        if (value === undefined) continue;
        if (attribute.required !== true && (isZero(value) || deepEqual(value, attribute.default))) continue;
        inputs[name] = value;
    }
    inputs["__defaults"] = [];
    return inputs;
}

/** An import's Read: the resource has no state yet (the engine's ImportStep sends the import ID alone). */
export function isImportRead(props: PropertyMap): boolean {
    return Object.keys(props).length === 0;
}

/**
 * What a create does after `d.SetId`: a Terraform error there comes with a state, which the bridge answers as a
 * partial create (pkg/tfbridge/provider.go Create: reasons "creating <urn>: <error>", initializationError). That
 * state is terraform-plugin-sdk's ResourceData.State(): the attributes that exist and are not computed
 * (helper/schema/resource_data.go: "if raw.Exists && !raw.Computed"), so the configured ones with their defaults,
 * and none of the computed ones (objectId, clientId) until a refresh reads them.
 */
export async function afterSetId<T>(urn: string, id: string, inputs: PropertyMap, work: () => Promise<T>): Promise<T> {
    try {
        return await work();
    } catch (error) {
        if (!(error instanceof TerraformError)) throw error;
        const configured = Object.fromEntries(Object.entries(inputs).filter(([key]) => !key.startsWith("__")));
        throw new ResourceInitError(id, configured, [`creating ${urn}: ${error.message}`]);
    }
}

/**
 * The bridge's Update answers the old state when Terraform finds no diff ("It is very possible for us to get here
 * with a nil diff"): what the engine sends for a partial create whose inputs did not change.
 */
export function noDiff(spec: ResourceSpec, olds: PropertyMap, news: PropertyMap): boolean {
    return !bridgeDiff(spec, olds, news).changes;
}
