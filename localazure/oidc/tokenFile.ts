/**
 * The token file an issuer's agent keeps fresh on the server, as kubelet does for a projected service-account token
 * volume: a new token is written once the one in the file is older than 80% of its lifetime or than 24 hours
 * (Kubernetes API, ServiceAccountTokenProjection.expirationSeconds: "The kubelet will start trying to rotate the
 * token if the token is older than 80 percent of its time to live or if the token is older than 24 hours"), and the
 * file is replaced whole, never half-written (kubelet's AtomicWriter swaps a symlink; here a rename,
 * common/atomicWrite.ts), readable by the service's user alone when an owner is given.
 */
import { writeFileAtomically, type FileOwner } from "../../common/atomicWrite";
import type { OidcIssuer } from "./issuer";

export interface TokenFileOptions {
    readonly path: string;
    readonly subject: string;
    /** Kubernetes' default expirationSeconds is 3600, its minimum 600. */
    readonly lifetimeSeconds: number;
    /** The service's user, who must read it; the file is 0600 either way. */
    readonly owner?: FileOwner;
    readonly audience?: string;
}

export const REFRESH_AT_FRACTION = 0.8;
const MAX_AGE_SECONDS = 24 * 3600;

export class TokenFile {
    /** The tokens written, in order: what a test compares with what the app presented. */
    readonly written: string[] = [];
    private writtenAt: number | undefined;
    private timer: NodeJS.Timeout | undefined;

    constructor(private readonly issuer: OidcIssuer, private readonly options: TokenFileOptions, private readonly now: () => Date) {}

    /** Writes a token when there is none yet or the one written is due; true when it wrote. */
    async refresh(): Promise<boolean> {
        const seconds = this.now().getTime() / 1000;
        const due = Math.min(this.options.lifetimeSeconds * REFRESH_AT_FRACTION, MAX_AGE_SECONDS);
        if (this.writtenAt !== undefined && seconds - this.writtenAt < due) return false;
        const token = await this.issuer.mint({
            subject: this.options.subject, lifetimeSeconds: this.options.lifetimeSeconds,
            ...(this.options.audience === undefined ? {} : { audience: this.options.audience }),
        });
        await writeFileAtomically(this.options.path, token, 0o600, this.options.owner);
        this.written.push(token);
        this.writtenAt = seconds;
        return true;
    }

    /** Writes the first token, then checks every `everyMs` (kubelet's token manager checks on each volume sync). */
    async start(everyMs = 1000): Promise<void> {
        await this.refresh();
        // A refresh that fails (a full disk, say) is tried again at the next check, as kubelet retries; the old token stays.
        this.timer = setInterval(() => { void this.refresh().catch(() => undefined); }, everyMs);
        this.timer.unref();
    }

    stop(): void {
        if (this.timer !== undefined) clearInterval(this.timer);
    }
}
