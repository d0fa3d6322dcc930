/**
 * When each client secret is made and when it ends: a pure function of the stack's config and one instant.
 *
 * Two slots, A and B, take turns. Every `rotationMonths` (half the lifetime) from the anchor, the slot holding the
 * older secret gets a new one. Between two rotations the schedule, and so every input of every secret, stays the
 * same, so `pulumi preview` shows no change; crossing a rotation replaces exactly one secret. The newest secret
 * always has at least half its lifetime left, and the previous one stays valid until the next rotation, which is
 * the time servers have to move to the new secret.
 */
import { addMonths, wholeMonthsBetween } from "./months";

export type SlotName = "a" | "b";

export interface SecretWindow {
    readonly slot: SlotName;
    /** The rotation that made this secret: it starts here. */
    readonly rotatedAt: Date;
    readonly endDate: Date;
}

export interface SecretSchedule {
    readonly lifetimeMonths: number;
    readonly rotationMonths: number;
    readonly anchor: Date;
    /** The newest secret, the one env files carry. */
    readonly current: SecretWindow;
    /** The secret made one rotation earlier, still valid while servers move to the newest. */
    readonly previous: SecretWindow;
    /** When the next rotation is due. */
    readonly nextRotation: Date;
}

/** Half the lifetime, in whole months: the longest period that keeps the previous secret valid until the next rotation. */
export function rotationMonthsFor(lifetimeMonths: number): number {
    if (!Number.isInteger(lifetimeMonths) || lifetimeMonths < 2) {
        throw new RangeError(`a secret lifetime of ${lifetimeMonths} months cannot hold two staggered secrets`);
    }
    return Math.floor(lifetimeMonths / 2);
}

export function secretSchedule(anchor: Date, lifetimeMonths: number, at: Date): SecretSchedule {
    const rotationMonths = rotationMonthsFor(lifetimeMonths);
    const rotation = Math.floor(wholeMonthsBetween(anchor, at) / rotationMonths);
    const window = (index: number): SecretWindow => {
        const rotatedAt = addMonths(anchor, index * rotationMonths);
        return { slot: slotOf(index), rotatedAt, endDate: addMonths(rotatedAt, lifetimeMonths) };
    };
    return {
        lifetimeMonths,
        rotationMonths,
        anchor,
        current: window(rotation),
        previous: window(rotation - 1),
        nextRotation: addMonths(anchor, (rotation + 1) * rotationMonths),
    };
}

function slotOf(rotation: number): SlotName {
    return ((rotation % 2) + 2) % 2 === 0 ? "a" : "b";
}

/**
 * The anchor a stack gets when its config sets none: a day 1-28 and a month offset derived from the identity's
 * name, so that the identities of a tenant do not all rotate on the same day, yet the same name always gets the
 * same anchor. (FNV-1a: small, stable across Node versions, and spreading well enough for this.)
 */
export function defaultAnchor(identityName: string, rotationMonths: number): Date {
    let hash = 0x811c9dc5;
    for (const char of identityName) {
        hash ^= char.codePointAt(0)!;
        hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    const day = 1 + (hash % 28);
    const monthOffset = Math.floor(hash / 28) % rotationMonths;
    return new Date(Date.UTC(2024, monthOffset, day));
}
