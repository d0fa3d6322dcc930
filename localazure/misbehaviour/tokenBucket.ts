/**
 * A token bucket, the algorithm both Graph ("Throttling is based on a token bucket algorithm") and ARM use: full
 * at the start, refilled continuously; a request takes one token or is refused with the seconds until one is back.
 */
export class TokenBucket {
    private tokens: number;
    private at: number;

    constructor(readonly size: number, private readonly refillPerSecond: number, now: number) {
        this.tokens = size;
        this.at = now;
    }

    /** Takes one token: the tokens left after it, or undefined and the seconds to wait (Retry-After, rounded up). */
    take(now: number): { taken: true; remaining: number } | { taken: false; retryAfterSeconds: number } {
        this.tokens = Math.min(this.size, this.tokens + ((now - this.at) / 1000) * this.refillPerSecond);
        this.at = now;
        if (this.tokens >= 1) {
            this.tokens -= 1;
            return { taken: true, remaining: Math.floor(this.tokens) };
        }
        return { taken: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / this.refillPerSecond)) };
    }
}
